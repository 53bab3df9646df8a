package freshdesk_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/freshdesk"
	"github.com/ticketsync/ticketsync/freshdesk/freshdesktest"
	"github.com/ticketsync/ticketsync/ticketsynctest"
)

// TestConnectorKit runs the conformance kit against the fake.
func TestConnectorKit(t *testing.T) {
	ticketsynctest.RunConnectorTests(t, harness{})
}

// harness is the Freshdesk ticketsynctest.Harness over freshdesktest.
type harness struct{}

const (
	kitPageSize = 30
	kitToken    = "kit-webhook-token-5f2a9c"
	kitBadKey   = "wrong-api-key-0123456789"
)

func (harness) Capabilities() ticketsynctest.Capabilities {
	return ticketsynctest.Capabilities{
		Platform: "freshdesk",
		PageSize: kitPageSize,
		Fields: []string{"URL", "Subject", "Description", "Status", "RawStatus", "Priority", "RawPriority",
			"Channel", "Requester", "Assignee", "Tags", "Fields", "CreatedAt", "UpdatedAt"},
		Webhooks:      true,
		DeletesByPoll: true,
		CursorChecks:  true,
	}
}

func (harness) NewAccount(tb testing.TB, n int) ticketsynctest.Account {
	return newAccount(tb, newFake(tb, nil), n, false)
}

// NewRateLimitedAccount starts a fake that enforces the Growth plan's
// limits (the account's credits and the Tickets List sub-limit), to which
// the account's connectors pace themselves, as by default, on the fake's
// clock.
func (harness) NewRateLimitedAccount(tb testing.TB, n int) ticketsynctest.Account {
	f := freshdesktest.NewServer(tb, &freshdesktest.Options{Plan: freshdesktest.PlanGrowth})
	f.SetNow(t0)
	return newAccount(tb, f, n, true)
}

func newAccount(tb testing.TB, f *freshdesktest.Server, n int, paced bool) *account {
	f.AddStatus("Waiting on Customer", "Awaiting your reply")
	f.AddCustomField(freshdesktest.CustomField{Name: "cf_product", Label: "Product", Type: "custom_text"})
	f.GenerateTickets(n, &freshdesktest.GenerateOptions{Spacing: 400 * time.Millisecond})
	a := &account{f: f, paced: paced}
	tb.Cleanup(func() {
		for _, m := range a.missing {
			m.Close()
		}
	})
	return a
}

type account struct {
	f       *freshdesktest.Server
	missing []*freshdesktest.Server
	// paced: the fake enforces the plan's limits and the connectors keep
	// to them, as by default.
	paced bool
}

func (a *account) NewConnector(valid bool) (ticketsync.Connector, error) {
	key := a.f.APIKey
	if !valid {
		key = kitBadKey
	}
	cfg := freshdesk.Config{
		Domain: a.f.Domain, BaseURL: a.f.URL, APIKey: key, PageSize: kitPageSize,
		RequestsPerMinute: -1, ListRequestsPerMinute: -1, WebhookToken: kitToken,
	}
	if a.paced {
		cfg.RequestsPerMinute, cfg.ListRequestsPerMinute = 0, 0
	}
	return freshdesk.NewWithClock(cfg, a.f.Now, a.f.Sleep)
}

// Now is the fake's clock, which the connectors pace their requests by.
func (a *account) Now() time.Time { return a.f.Now() }

// Advance moves the fake's clock forward.
func (a *account) Advance(d time.Duration) { a.f.Advance(d) }

// Throttled counts the answers 429 in the fake's request log that its
// rate limits gave, not its injected faults.
func (a *account) Throttled() int {
	return a.f.Throttled()
}

// CapQuery lowers the fake's page cap of one query to the whole pages
// that results fill.
func (a *account) CapQuery(results int) { a.f.CapPages(max(1, results/kitPageSize)) }

// NewForbiddenConnector uses the key of an agent who sees only the
// tickets assigned to it.
func (a *account) NewForbiddenConnector() (ticketsync.Connector, error) {
	const key = "restricted-agent-key-7781"
	a.f.AddAPIKey(key, freshdesktest.Agent{TicketScope: 3})
	return freshdesk.NewWithClock(freshdesk.Config{Domain: a.f.Domain, BaseURL: a.f.URL, APIKey: key,
		RequestsPerMinute: -1, ListRequestsPerMinute: -1}, a.f.Now, a.f.Sleep)
}

// NewMissingAccountConnector points at a fake subdomain no account holds.
func (a *account) NewMissingAccountConnector() (ticketsync.Connector, error) {
	missing := freshdesktest.New(&freshdesktest.Options{Missing: true})
	a.missing = append(a.missing, missing)
	return freshdesk.New(freshdesk.Config{Domain: "acme-typo", BaseURL: missing.URL, APIKey: a.f.APIKey,
		RequestsPerMinute: -1, ListRequestsPerMinute: -1})
}

func parseID(id string) (int64, error) { return strconv.ParseInt(id, 10, 64) }

func (a *account) CreateTicket() (string, error) {
	t, err := a.f.CreateTicket(freshdesktest.Ticket{Subject: "Created by the kit", DescriptionText: "A new ticket.",
		Priority: freshdesktest.PriorityHigh, Tags: []string{"kit"}})
	if err != nil {
		return "", err
	}
	if _, err := a.f.AddReply(t.ID, "First reply from the kit.", false); err != nil {
		return "", err
	}
	return strconv.FormatInt(t.ID, 10), nil
}

func (a *account) UpdateTicket(id string) error {
	n, err := parseID(id)
	if err != nil {
		return err
	}
	// An agent changes one ticket at a time: a second apart on the
	// fake's stopped clock, as updated_at has whole seconds.
	a.f.Advance(time.Second)
	_, err = a.f.UpdateTicket(n, func(t *freshdesktest.Ticket) {
		t.Subject += " (updated)"
		t.Status = freshdesktest.StatusPending
	})
	return err
}

func (a *account) DeleteTicket(id string) error {
	n, err := parseID(id)
	if err != nil {
		return err
	}
	return a.f.DeleteTicket(n)
}

func (a *account) AddComment(id string) (string, error) {
	n, err := parseID(id)
	if err != nil {
		return "", err
	}
	c, err := a.f.AddNote(n, "A note from the kit.")
	return strconv.FormatInt(c.ID, 10), err
}

// Settle moves the clock a second on: Freshdesk shows changes at once, but
// updated_at has whole seconds.
func (a *account) Settle() { a.f.Advance(time.Second) }

func (a *account) InjectFault(status, n int) {
	f := freshdesktest.Fault{Status: status, Count: n}
	if status == http.StatusTooManyRequests {
		f.RetryAfter = time.Second
	}
	a.f.InjectFault(f)
}

// InjectBodyFault makes the fake answer the next n requests with a broken
// body or a 429 without Retry-After. Freshdesk has no reset header of its own.
func (a *account) InjectBodyFault(kind ticketsynctest.BodyFault, n int) bool {
	var f freshdesktest.Fault
	switch kind {
	case ticketsynctest.Truncated:
		f = freshdesktest.Fault{Truncate: true}
	case ticketsynctest.HTMLPage:
		f = freshdesktest.Fault{HTMLBody: true, Status: http.StatusBadGateway}
	case ticketsynctest.RateLimitedNoRetryAfter:
		f = freshdesktest.Fault{Status: http.StatusTooManyRequests}
	default:
		return false
	}
	f.Count = n
	a.f.InjectFault(f)
	return true
}

func (a *account) Secrets() []string { return []string{a.f.APIKey, kitBadKey, kitToken} }

var kitEvents = map[ticketsync.EventKind]string{
	ticketsync.EventCreated:   "{ticket_action:created}",
	ticketsync.EventUpdated:   "{status:{from:2,to:3}}",
	ticketsync.EventCommented: "{note_type:private}",
	ticketsync.EventDeleted:   "{ticket_action:deleted}",
}

func (a *account) Webhook(target string, kind ticketsync.EventKind, id string, tampered bool) (*http.Request, error) {
	n, err := parseID(id)
	if err != nil {
		return nil, err
	}
	body, err := a.f.RenderTemplate(freshdesk.RecommendedWebhookTemplate, n, kitEvents[kind])
	if err != nil {
		return nil, err
	}
	token := kitToken
	if tampered {
		token = "not-the-" + kitToken
	}
	return a.f.Delivery(target, body, freshdesktest.WebhookAuth{Header: http.Header{"X-Ticketsync-Token": {token}}})
}

// Want maps the fake's state to tickets on its own, from the meanings the
// Freshdesk documentation gives the codes, not through the connector.
func (a *account) Want() ([]ticketsync.Ticket, error) { return want(a.f), nil }

var (
	wantStatus   = map[int]ticketsync.Status{2: "open", 3: "pending", 4: "solved", 5: "closed"}
	wantPriority = map[int]ticketsync.Priority{1: "low", 2: "normal", 3: "high", 4: "urgent"}
	wantPrioText = map[int]string{1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}
	wantChannel  = map[int]string{1: "email", 2: "portal", 3: "phone", 7: "chat", 9: "feedback_widget", 10: "outbound_email"}
	wantCustom   = map[string]ticketsync.Status{"Waiting on Customer": "pending", "Waiting on Third Party": "on_hold"}
)

func want(f *freshdesktest.Server) []ticketsync.Ticket {
	var out []ticketsync.Ticket
	for _, t := range f.Tickets() {
		id := strconv.FormatInt(t.ID, 10)
		w := ticketsync.Ticket{
			Platform: "freshdesk", ID: id, URL: "https://" + f.Domain + ".freshdesk.com/a/tickets/" + id,
			Subject: t.Subject, Description: t.DescriptionText,
			RawStatus: f.StatusLabel(t.Status), Priority: wantPriority[t.Priority], RawPriority: wantPrioText[t.Priority],
			Channel: wantChannel[t.Source], Tags: t.Tags, CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC(),
			Deleted: t.Deleted || t.Spam,
		}
		w.Status = wantStatus[t.Status]
		if w.Status == "" {
			w.Status = wantCustom[w.RawStatus]
		}
		if c, ok := f.Contact(t.RequesterID); ok {
			w.Requester = ticketsync.Person{ID: strconv.FormatInt(c.ID, 10), Name: c.Name, Email: c.Email}
		}
		if t.ResponderID != 0 {
			w.Assignee = ticketsync.Person{ID: strconv.FormatInt(t.ResponderID, 10)}
			if a, ok := f.Agent(t.ResponderID); ok {
				w.Assignee.Name, w.Assignee.Email = a.Name, a.Email
			}
		}
		fields := map[string]string{}
		if t.Type != "" {
			fields["type"] = t.Type
		}
		if t.GroupID != 0 {
			fields["group_id"] = strconv.FormatInt(t.GroupID, 10)
		}
		if t.CompanyID != 0 {
			fields["company_id"] = strconv.FormatInt(t.CompanyID, 10)
		}
		for k, v := range t.CustomFields {
			if s, ok := v.(string); ok {
				fields[k] = s
			}
		}
		if t.Deleted {
			fields["deleted"] = "true"
		}
		if t.Spam {
			fields["spam"] = "true"
		}
		if len(fields) > 0 {
			w.Fields = fields
		}
		for _, c := range f.Conversations(t.ID) {
			w.Comments = append(w.Comments, ticketsync.Comment{
				ID: strconv.FormatInt(c.ID, 10), Author: ticketsync.Person{ID: strconv.FormatInt(c.UserID, 10)},
				Body: c.BodyText, Public: !c.Private, CreatedAt: c.CreatedAt.UTC(),
			})
		}
		out = append(out, w)
	}
	return out
}
