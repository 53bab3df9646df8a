package intercom_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/intercom"
	"github.com/ticketsync/ticketsync/intercom/intercomtest"
	"github.com/ticketsync/ticketsync/ticketsynctest"
)

func TestConnectorKit(t *testing.T) {
	ticketsynctest.RunConnectorTests(t, harness{})
}

// harness runs the conformance kit over the fake. Its accounts hold
// conversations and tickets in turn, numbered independently, so that the
// two kinds share numeric ids.
type harness struct{}

func (harness) Capabilities() ticketsynctest.Capabilities {
	return ticketsynctest.Capabilities{
		Platform: "intercom",
		PageSize: intercom.PageSize,
		Fields: []string{"URL", "Subject", "Description", "Status", "RawStatus", "Priority", "RawPriority", "Channel",
			"Requester", "Assignee", "Tags", "Fields", "CreatedAt", "UpdatedAt"},
		Webhooks: true,
		// Intercom's searches leave deleted records out; deletions arrive
		// by webhook only.
		DeletesByPoll: false,
		CursorChecks:  true,
	}
}

func (harness) NewAccount(tb testing.TB, n int) ticketsynctest.Account {
	return newAccount(tb, n, false)
}

// NewRateLimitedAccount is NewAccount on a fake that enforces Intercom's
// per-app limit (10,000 a minute in 10-second windows of a sixth), to
// which the account's connectors keep as they do by default, on the
// fake's clock.
func (harness) NewRateLimitedAccount(tb testing.TB, n int) ticketsynctest.Account {
	return newAccount(tb, n, true)
}

// newAccount makes an account of n records; limited, its fake enforces the
// default rate limit and its connectors pace themselves by default.
func newAccount(tb testing.TB, n int, limited bool) *account {
	opts := &intercomtest.Options{RateLimit: -1}
	if limited {
		opts.RateLimit = 0 // the default: the per-app limit
	}
	fake := intercomtest.NewServer(tb, opts)
	a := &account{tb: tb, fake: fake, paced: limited}
	a.agent = fake.AddAdmin(intercomtest.Admin{Name: "Agnes Agent", Email: "agnes@example.com"})
	a.other = fake.AddAdmin(intercomtest.Admin{Name: "Otto Other", Email: "otto@example.com"})
	for range n {
		if _, err := a.CreateTicket(); err != nil {
			tb.Fatal(err)
		}
	}
	a.Settle()
	return a
}

type account struct {
	tb   testing.TB
	fake *intercomtest.Server
	// paced: the fake enforces the rate limit and the connectors keep to
	// their default pace.
	paced        bool
	agent, other string
	mu           sync.Mutex
	n            int
}

const wrongToken = "dG9rOndyb25nLWludGVyY29tLXRva2VuLTk5OTk="

func (a *account) NewConnector(valid bool) (ticketsync.Connector, error) {
	token := a.fake.Token()
	if !valid {
		token = wrongToken
	}
	cfg := intercom.Config{
		AccessToken: token, BaseURL: a.fake.URL, HTTPClient: a.fake.Client(), ClientSecret: a.fake.ClientSecret(),
		RequestsPerMinute: -1,
	}
	if a.paced {
		cfg.RequestsPerMinute = 0 // the default
	}
	c, err := intercom.New(cfg)
	if err != nil {
		return nil, err
	}
	intercom.SetClock(c, a.fake.Now, a.fake.Sleep)
	return c, nil
}

// Now is the fake's clock, on which the connectors pace themselves, wait
// and keep their caches.
func (a *account) Now() time.Time { return a.fake.Now() }

// Advance moves the fake's clock forward.
func (a *account) Advance(d time.Duration) { a.fake.Advance(d) }

// Throttled counts the answers 429 in the fake's request log that its
// rate limit gave, not its injected faults.
func (a *account) Throttled() int {
	return a.fake.Throttled()
}

var states = []string{"open", "closed", "snoozed", "open"}
var ticketStates = []string{intercomtest.StateSubmitted, intercomtest.StateInProgress, intercomtest.StateWaitingOnCustomer, intercomtest.StateResolved}

// CreateTicket creates a conversation or, every other time, a ticket, each
// with one reply, and returns its id.
func (a *account) CreateTicket() (string, error) {
	a.mu.Lock()
	i := a.n
	a.n++
	a.mu.Unlock()
	contact := a.fake.AddContact(intercomtest.Contact{Name: fmt.Sprintf("Cus %d", i), Email: fmt.Sprintf("customer%d@example.com", i)})
	defer a.fake.Advance(time.Second)
	if i%2 == 0 {
		nc := intercomtest.NewConversation{
			Subject: fmt.Sprintf("Subject %d", i), Body: fmt.Sprintf("<p>Body of conversation <b>%d</b></p>", i),
			ContactID: contact, SourceType: []string{"conversation", "email", "phone_call"}[i%3],
			Priority: i%4 == 0, Tags: []string{"billing", fmt.Sprintf("t%d", i%3)}[:1+i%2],
			Attributes: map[string]any{"plan": "pro", "seats": i},
		}
		if i%5 != 0 {
			nc.Assignee = a.agent
		}
		id, err := a.fake.CreateConversation(nc)
		if err != nil {
			return "", err
		}
		if _, err := a.fake.Reply(id, intercomtest.Author{Type: intercomtest.AuthorAdmin, ID: a.agent}, fmt.Sprintf("<p>Reply to %d</p>", i)); err != nil {
			return "", err
		}
		if st := states[i/2%len(states)]; st != "open" {
			if err := a.fake.SetState(id, a.agent, st, a.fake.Now().Add(time.Hour)); err != nil {
				return "", err
			}
		}
		return intercom.TicketID(intercom.KindConversation, id), nil
	}
	nt := intercomtest.NewTicket{
		Category: []string{intercomtest.CategoryCustomer, intercomtest.CategoryBackOffice, intercomtest.CategoryTracker}[i%3],
		Title:    fmt.Sprintf("Ticket title %d", i), Description: fmt.Sprintf("<p>Ticket body %d</p>", i),
		ContactID: contact, State: ticketStates[i/2%len(ticketStates)], Attributes: map[string]any{"severity": "S2"},
	}
	if i%3 != 0 {
		nt.Assignee = a.other
	}
	id, err := a.fake.CreateTicket(nt)
	if err != nil {
		return "", err
	}
	if _, err := a.fake.AddTicketPart(id, intercomtest.Part{Type: intercomtest.PartComment,
		Author: intercomtest.Author{Type: intercomtest.AuthorAdmin, ID: a.other}, Body: fmt.Sprintf("<p>Working on %d</p>", i)}); err != nil {
		return "", err
	}
	return intercom.TicketID(intercom.KindTicket, id), nil
}

func split(id string) (kind, n string) {
	kind, n, ok := intercom.ParseTicketID(id)
	if !ok {
		panic("not an intercom ticket id: " + id)
	}
	return kind, n
}

func (a *account) UpdateTicket(id string) error {
	defer a.fake.Advance(time.Second)
	kind, n := split(id)
	if kind == intercom.KindConversation {
		return a.fake.UpdateConversation(n, func(c *intercomtest.Conversation) { c.Title = "Changed " + n })
	}
	return a.fake.UpdateTicket(n, func(t *intercomtest.Ticket) { t.Title = "Changed " + n })
}

func (a *account) DeleteTicket(id string) error {
	defer a.fake.Advance(time.Second)
	kind, n := split(id)
	if kind == intercom.KindConversation {
		return a.fake.DeleteConversation(n)
	}
	return a.fake.DeleteTicket(n)
}

func (a *account) AddComment(id string) (string, error) {
	defer a.fake.Advance(time.Second)
	kind, n := split(id)
	author := intercomtest.Author{Type: intercomtest.AuthorAdmin, ID: a.agent}
	if kind == intercom.KindConversation {
		return a.fake.Note(n, a.agent, "<p>A later <i>note</i></p>")
	}
	return a.fake.AddTicketPart(n, intercomtest.Part{Type: intercomtest.PartComment, Author: author, Body: "<p>A later reply</p>"})
}

// lateLag is how long UpdateTicketLate's change takes to reach the search
// index; Settle waits it out.
const lateLag = 10 * time.Second

func (a *account) Settle() { a.fake.Advance(lateLag + time.Second) }

// UpdateTicketLate changes a record as UpdateTicket does, but the search
// index sees the change only lateLag later.
func (a *account) UpdateTicketLate(id string) error {
	a.fake.SetIndexLag(lateLag)
	defer a.fake.SetIndexLag(0)
	return a.UpdateTicket(id)
}

// NewForbiddenConnector has a token that reads /me but not conversations.
func (a *account) NewForbiddenConnector() (ticketsync.Connector, error) {
	const token = "dG9rOnRpY2tldHMtb25seS10b2tlbi0wMDAw"
	a.fake.AddToken(token, intercomtest.PermReadTickets, intercomtest.PermReadUsers, intercomtest.PermReadAdmins)
	return intercom.New(intercom.Config{AccessToken: token, BaseURL: a.fake.URL, HTTPClient: a.fake.Client(), RequestsPerMinute: -1})
}

// NewMissingAccountConnector is configured for the EU region while the
// workspace is hosted in the US: through BaseURL (a proxy) the token is
// accepted, and GET /me says where the workspace is.
func (a *account) NewMissingAccountConnector() (ticketsync.Connector, error) {
	return intercom.New(intercom.Config{AccessToken: a.fake.Token(), Region: "EU", BaseURL: a.fake.URL, HTTPClient: a.fake.Client(), RequestsPerMinute: -1})
}

// Want maps the fake's state on its own, as the package doc promises.
func (a *account) Want() ([]ticketsync.Ticket, error) {
	var out []ticketsync.Ticket
	person := func(kind, id string) ticketsync.Person {
		if id == "" {
			return ticketsync.Person{}
		}
		if kind == "admin" {
			ad, _ := a.fake.AdminByID(id)
			return ticketsync.Person{ID: id, Name: ad.Name, Email: ad.Email}
		}
		c, _ := a.fake.ContactByID(id)
		return ticketsync.Person{ID: id, Name: c.Name, Email: c.Email}
	}
	stripHTML := func(s string) string {
		for _, tag := range []string{"<p>", "</p>", "<b>", "</b>", "<i>", "</i>"} {
			s = strings.ReplaceAll(s, tag, "")
		}
		return s
	}
	comments := func(parts []intercomtest.Part) []ticketsync.Comment {
		var cs []ticketsync.Comment
		for _, p := range parts {
			if p.Type != intercomtest.PartComment && p.Type != intercomtest.PartNote {
				continue
			}
			cs = append(cs, ticketsync.Comment{ID: p.ID, Author: ticketsync.Person{ID: p.Author.ID}, Body: stripHTML(p.Body),
				Public: p.Type == intercomtest.PartComment, CreatedAt: p.CreatedAt.UTC()})
		}
		return cs
	}
	url := "https://app.intercom.com/a/inbox/" + a.fake.AppID() + "/inbox/conversation/"
	for _, n := range a.fake.ConversationIDs(false) {
		c, _ := a.fake.Conversation(n)
		t := ticketsync.Ticket{
			ID: intercom.TicketID(intercom.KindConversation, n), URL: url + n,
			Subject: c.Subject, Description: stripHTML(c.Body),
			Status:    map[string]ticketsync.Status{"open": "open", "closed": "solved", "snoozed": "on_hold"}[c.State],
			RawStatus: c.State, RawPriority: c.Priority,
			Priority:  map[string]ticketsync.Priority{"priority": "high", "not_priority": "normal"}[c.Priority],
			Channel:   map[string]string{"conversation": "chat", "email": "email", "phone_call": "phone"}[c.SourceType],
			Requester: person("contact", c.ContactIDs[0]), Assignee: person("admin", c.AdminAssigneeID),
			Tags:      c.Tags,
			Fields:    map[string]string{"_kind_": "conversation"},
			CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
			Comments: comments(c.Parts),
		}
		if c.Title != "" {
			t.Subject = c.Title
		}
		for k, v := range c.CustomAttrs {
			t.Fields[k] = fmt.Sprint(v)
		}
		out = append(out, t)
	}
	labels := map[string]string{"submitted": "Submitted", "in_progress": "In progress", "waiting_on_customer": "Waiting on customer", "resolved": "Resolved"}
	for _, n := range a.fake.TicketIDs(false) {
		tk, _ := a.fake.Ticket(n)
		t := ticketsync.Ticket{
			ID: intercom.TicketID(intercom.KindTicket, n), URL: url + n,
			Subject: tk.Title, Description: stripHTML(tk.Description),
			Status:    map[string]ticketsync.Status{"submitted": "new", "in_progress": "open", "waiting_on_customer": "pending", "resolved": "solved"}[tk.State],
			RawStatus: tk.State,
			Requester: person("contact", tk.ContactIDs[0]), Assignee: person("admin", tk.AdminAssigneeID),
			Fields: map[string]string{"_kind_": "ticket", "_ticket_number_": tk.TicketID, "_category_": tk.Category,
				"_ticket_type_": tk.TypeName, "_state_label_": labels[tk.State]},
			CreatedAt: tk.CreatedAt.UTC(), UpdatedAt: tk.UpdatedAt.UTC(),
			Comments: comments(tk.Parts),
		}
		for k, v := range tk.Attributes {
			t.Fields[k] = fmt.Sprint(v)
		}
		out = append(out, t)
	}
	return out, nil
}

func (a *account) InjectFault(status, n int) {
	if status == http.StatusTooManyRequests {
		a.fake.RateLimited(n, time.Second)
		return
	}
	a.fake.InjectFault(intercomtest.Fault{Status: status, Count: n})
}

// InjectBodyFault makes the fake answer the next n requests with a broken
// body or a 429 without Retry-After: Intercom's 429 carries only
// X-RateLimit-Reset, a Unix time.
func (a *account) InjectBodyFault(kind ticketsynctest.BodyFault, n int) bool {
	switch kind {
	case ticketsynctest.Truncated:
		a.fake.InjectFault(intercomtest.Fault{Truncate: true, Count: n})
	case ticketsynctest.HTMLPage:
		a.fake.InjectFault(intercomtest.Fault{HTMLBody: true, Status: http.StatusBadGateway, Count: n})
	case ticketsynctest.RateLimitedNoRetryAfter:
		a.fake.RateLimited(n, time.Second)
	default:
		return false
	}
	return true
}

func (a *account) Webhook(target string, kind ticketsync.EventKind, id string, tampered bool) (*http.Request, error) {
	k, n := split(id)
	topics := map[ticketsync.EventKind][2]string{
		ticketsync.EventCreated:   {"conversation.user.created", "ticket.created"},
		ticketsync.EventUpdated:   {"conversation.admin.assigned", "ticket.attribute.updated"},
		ticketsync.EventDeleted:   {"conversation.deleted", "ticket.deleted"},
		ticketsync.EventCommented: {"conversation.admin.replied", "ticket.admin.replied"},
	}
	topic := topics[kind][0]
	if k == intercom.KindTicket {
		topic = topics[kind][1]
	}
	req, body := a.fake.WebhookRequest(target, a.fake.NotificationFor(topic, k, n))
	if !tampered {
		return req, nil
	}
	forged := bytes.Replace(body, []byte(`"id":"`+n+`"`), []byte(`"id":"9`+n+`"`), 1)
	out, err := http.NewRequest(req.Method, req.URL.String(), bytes.NewReader(forged))
	if err != nil {
		return nil, err
	}
	out.Header = req.Header.Clone()
	return out, nil
}

func (a *account) Secrets() []string {
	return []string{a.fake.Token(), wrongToken, a.fake.ClientSecret()}
}
