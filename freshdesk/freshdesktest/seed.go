package freshdesktest

import (
	"fmt"
	"time"
)

var (
	firstNames = []string{"Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farah", "Gustavo", "Hana", "Ivo", "Jun", "Kofi", "Lena", "Mateo", "Nia", "Oskar", "Priya"}
	lastNames  = []string{"Okafor", "Lindqvist", "Moreau", "Tanaka", "Kowalski", "Haddad", "Silva", "Novak", "Brennan", "Iyer", "Costa", "Yilmaz"}
	subjects   = []string{
		"Cannot log in after password reset",
		"Invoice %d shows the wrong VAT rate",
		"Export to CSV times out",
		"Refund for order %d",
		"App crashes when uploading a photo",
		"How do I add a second admin?",
		"Shipping address cannot be changed",
		"Two-factor codes arrive late",
	}
	replies = []string{
		"Thanks for reaching out. Could you tell us which browser you are using?",
		"I have reproduced this & passed it to our engineers.",
		"Customer is on the legacy plan, check billing before refunding.",
		"This should be fixed now. Can you confirm on your side?",
		"It still happens on <b>Firefox</b>, sorry!",
	}
	types   = []string{"", "Question", "Incident", "Problem", "Feature Request"}
	sources = []int{SourceEmail, SourcePortal, SourcePhone, SourceChat, SourceFeedbackWidget, SourceOutboundEmail}
	tagPool = []string{"billing", "login", "mobile", "vip", "bug", "refund", "api"}
)

func personName(n int) string {
	return firstNames[n%len(firstNames)] + " " + lastNames[(n/len(firstNames))%len(lastNames)]
}

// GenerateOptions tune GenerateTickets.
type GenerateOptions struct {
	// Conversations per ticket; zero varies it between 1 and 3, negative
	// means none.
	Conversations int
	// Newest is how long before the clock the newest ticket was last
	// updated; zero means a minute.
	Newest time.Duration
	// Spacing is the time between the updated_at of consecutive tickets;
	// zero means a second. Several tickets may share a second when it is
	// shorter (updated_at has whole seconds).
	Spacing time.Duration
	// Age is how long before its last update a ticket was created; zero
	// means 90 days, older than the list's 30-day default window.
	Age time.Duration
}

// Seed adds n generated tickets with the default GenerateOptions.
func (s *Server) Seed(n int) []Ticket { return s.GenerateTickets(n, nil) }

// GenerateTickets adds n tickets with deterministic content, the newest
// last: requesters are generated contacts (one per three tickets), about
// half the tickets are assigned to generated agents, and every ticket has
// conversations (replies both ways and private notes) unless opts say
// none. Custom statuses the account has are used too.
func (s *Server) GenerateTickets(n int, opts *GenerateOptions) []Ticket {
	var o GenerateOptions
	if opts != nil {
		o = *opts
	}
	if o.Newest == 0 {
		o.Newest = time.Minute
	}
	if o.Spacing == 0 {
		o.Spacing = time.Second
	}
	if o.Age == 0 {
		o.Age = 90 * 24 * time.Hour
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().Truncate(time.Second)
	var agents []int64
	for i := 0; i < 3; i++ {
		agents = append(agents, s.createAgentLocked(Agent{}).ID)
	}
	var requester int64
	out := make([]Ticket, 0, n)
	for i := 0; i < n; i++ {
		g := s.generated
		s.generated++
		if g%3 == 0 || requester == 0 {
			requester = s.createContactLocked(Contact{}).ID
		}
		updated := now.Add(-o.Newest - time.Duration(n-1-i)*o.Spacing).Truncate(time.Second)
		created := updated.Add(-o.Age)
		subject := subjects[g%len(subjects)]
		if containsVerb(subject) {
			subject = fmt.Sprintf(subject, 1000+g)
		}
		t := Ticket{
			Subject:     subject,
			Description: fmt.Sprintf("<div>Hello,</div><div>%s &mdash; ticket number %d.</div>", htmlEscape(subject), g),
			Status:      s.statuses[g%len(s.statuses)].Code,
			Priority:    1 + g%4,
			Source:      sources[g%len(sources)],
			Type:        types[g%len(types)],
			RequesterID: requester,
			Tags:        []string{tagPool[g%len(tagPool)]},
			CreatedAt:   created,
			UpdatedAt:   updated,
		}
		if g%2 == 0 {
			t.ResponderID = agents[g%len(agents)]
			t.GroupID = 43000000500 + int64(g%2)
		}
		if g%5 == 0 {
			t.CompanyID = 43000000700
		}
		if len(s.fields) > 0 {
			t.CustomFields = map[string]any{s.fields[0].Name: fmt.Sprintf("value %d", g%4)}
		}
		stored, err := s.createTicketLocked(t)
		if err != nil {
			panic(err) // generated tickets are always valid
		}
		rec := s.tickets[stored.ID]
		convs := o.Conversations
		if convs == 0 {
			convs = 1 + g%3
		}
		for k := 0; k < convs; k++ {
			c := Conversation{BodyText: replies[(g+k)%len(replies)], CreatedAt: created.Add(time.Duration(k+1) * time.Hour)}
			switch k % 3 {
			case 0:
				c.Incoming, c.UserID = true, requester
			case 1:
				c.UserID = agents[(g+k)%len(agents)]
			case 2:
				c.Private, c.UserID = true, agents[(g+k)%len(agents)]
			}
			if c.CreatedAt.After(updated) {
				c.CreatedAt = updated
			}
			c.Body = "<div>" + htmlEscape(c.BodyText) + "</div>"
			s.addConversationLocked(rec, c, false)
		}
		out = append(out, cloneTicket(rec.Ticket))
	}
	return out
}

func containsVerb(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' && s[i+1] == 'd' {
			return true
		}
	}
	return false
}
