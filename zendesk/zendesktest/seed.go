package zendesktest

import (
	"fmt"
	"time"
)

// GenerateOptions tune GenerateTickets. The zero value gives realistic
// defaults.
type GenerateOptions struct {
	// Comments is the number of comments per ticket, the description
	// included. Zero varies it between 1 and 4 from ticket to ticket.
	Comments int
	// Newest is how long before the clock's time the newest generated ticket
	// was last changed. Zero means 2 minutes: outside the export's one-minute
	// hold-back, so the tickets are exportable at once.
	Newest time.Duration
	// Spacing is the time between the last changes of consecutive tickets.
	// Zero means one second.
	Spacing time.Duration
	// SystemAudits is the number of audits per ticket that carry no comment
	// (automation notifications, SLA target changes, satisfaction survey
	// offers), which the ticket_events export lists as any other update.
	// Zero means DefaultSystemAudits; negative means none.
	SystemAudits int
}

// DefaultSystemAudits is GenerateTickets' number of comment-less audits per
// ticket: on real accounts triggers, automations and SLA policies update a
// ticket several times besides its comments.
const DefaultSystemAudits = 4

// systemAuditTypes are the event types of generated comment-less audits, in
// turn.
var systemAuditTypes = []string{"Notification", "SlaTargetChange", "Notification", "SatisfactionRating"}

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
		"Webhook deliveries failing since Monday",
		"Request to delete my account",
		"Shipping address cannot be changed",
		"Two-factor codes arrive late",
		"Dark mode makes tables unreadable",
		"API returns 500 on bulk update",
	}
	replies = []string{
		"Hi,\n\nThanks for reaching out. Could you tell us which browser you are using?\n\nBest,\nSupport",
		"I have reproduced this and passed it to our engineers.",
		"Internal: customer is on the legacy plan,\ncheck billing before refunding.",
		"Hi again,\n\nThis should be fixed now. Can you confirm on your side?",
		"Following up: we have not heard back from you.",
	}
	statuses   = []string{"new", "open", "open", "pending", "hold", "solved", "closed", "open"}
	priorities = []string{"", "low", "normal", "normal", "high", "urgent"}
	types      = []string{"", "question", "incident", "problem", "task"}
	channels   = []string{"email", "web", "api", "chat", "voice", "mobile", "native_messaging", "chat_transcript", "any_channel", "sms", "facebook", "web_widget"}
	tagPool    = []string{"billing", "login", "mobile", "vip", "bug", "refund", "api", "enterprise"}
)

// Seed adds n generated tickets with default GenerateOptions; see
// GenerateTickets.
func (s *Server) Seed(n int) []Ticket {
	return s.GenerateTickets(n, nil)
}

// GenerateTickets adds n tickets with deterministic content: the same calls
// on a fake with the same Options and clock give the same tickets, users and
// comments. Requesters are generated end users (one per three tickets);
// assignees, when set, are generated agents. Tickets are spread over the past
// as GenerateOptions says, the newest last. It returns the tickets as stored.
func (s *Server) GenerateTickets(n int, opts *GenerateOptions) []Ticket {
	var o GenerateOptions
	if opts != nil {
		o = *opts
	}
	if o.Newest == 0 {
		o.Newest = 2 * time.Minute
	}
	if o.Spacing == 0 {
		o.Spacing = time.Second
	}
	if o.SystemAudits == 0 {
		o.SystemAudits = DefaultSystemAudits
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	for len(s.agents) < 3 {
		u := s.createUserLocked(User{Role: "agent", CreatedAt: now.Add(-365 * 24 * time.Hour)})
		s.agents = append(s.agents, u.ID)
	}
	out := make([]Ticket, 0, n)
	for k := range n {
		i := s.generated
		s.generated++
		last := now.Add(-o.Newest - time.Duration(n-1-k)*o.Spacing)
		if i%3 == 0 || s.lastRequester == 0 {
			u := s.createUserLocked(User{Role: "end-user", CreatedAt: last.Add(-30 * 24 * time.Hour)})
			s.lastRequester = u.ID
		}
		m := o.Comments
		if m <= 0 {
			m = 1 + i%4
		}
		subject := subjects[i%len(subjects)]
		if containsVerb(subject) {
			subject = fmt.Sprintf(subject, 10000+i)
		}
		t := Ticket{
			Subject:     subject,
			Description: fmt.Sprintf("Hello, this is ticket number %d. %s Please help.", i+1, subject),
			Status:      statuses[i%len(statuses)],
			Priority:    priorities[i%len(priorities)],
			Type:        types[i%len(types)],
			Channel:     channels[i%len(channels)],
			RequesterID: s.lastRequester,
			Tags:        []string{tagPool[i%len(tagPool)], tagPool[(i/3)%len(tagPool)]},
			CustomFields: []CustomField{
				{ID: 360000000101, Value: fmt.Sprintf("order-%d", 500000+i)},
				{ID: 360000000102, Value: i%2 == 0},
			},
			CreatedAt: last.Add(-time.Hour),
		}
		if t.Tags[0] == t.Tags[1] {
			t.Tags = t.Tags[:1]
		}
		if t.Status != "new" {
			t.AssigneeID = s.agents[i%len(s.agents)]
		}
		if i%7 == 3 {
			t.ExternalID = fmt.Sprintf("crm-%d", i)
		}
		t.UpdatedAt = t.CreatedAt
		created, err := s.createTicketLocked(t)
		if err != nil {
			panic(err) // generated content is valid by construction
		}
		rec := s.tickets[created.ID]
		for j := 1; j < m; j++ {
			at := last.Add(-time.Duration(m-1-j) * time.Minute)
			author, public := t.AssigneeID, true
			if author == 0 {
				author = s.agents[0]
			}
			body := replies[(i+j)%len(replies)]
			if j%2 == 0 {
				author = t.RequesterID
				body = "Thanks, here is more detail: it still happens."
			} else if (i+j)%len(replies) == 2 {
				public = false
			}
			a := s.newAuditLocked(created.ID, author, "web", at)
			c := Comment{ID: s.nextID(), TicketID: created.ID, AuthorID: author, Body: body, Public: public,
				Channel: "web", CreatedAt: at, AuditID: a.ID}
			a.Children = append(a.Children, childEvent{ID: c.ID, Type: "Comment", CommentID: c.ID})
			s.audits = append(s.audits, a)
			rec.comments = append(rec.comments, c)
		}
		for j := range max(o.SystemAudits, 0) {
			// Between the ticket's creation and its last change.
			at := last.Add(-time.Duration(j+1) * time.Hour / time.Duration(o.SystemAudits+1))
			s.addSystemAuditLocked(rec, systemAuditTypes[j%len(systemAuditTypes)], at)
		}
		rec.UpdatedAt, rec.GeneratedAt = last, last
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
