package zendesk_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/ticketsynctest"
	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// TestConnectorKit runs the conformance kit against the fake.
func TestConnectorKit(t *testing.T) {
	ticketsynctest.RunConnectorTests(t, harness{})
}

// harness is the Zendesk ticketsynctest.Harness over zendesktest.
type harness struct{}

const (
	kitPageSize  = 100
	kitSecret    = "kit-webhook-signing-secret"
	kitBadToken  = "wrong-api-token-0123456789"
	kitSubdomain = "acme"
)

func (harness) Capabilities() ticketsynctest.Capabilities {
	return ticketsynctest.Capabilities{
		Platform: "zendesk",
		PageSize: kitPageSize,
		Fields: []string{"URL", "Subject", "Description", "Status", "RawStatus", "Priority", "RawPriority",
			"Channel", "Requester", "Assignee", "Tags", "Fields", "CreatedAt", "UpdatedAt"},
		Webhooks:      true,
		DeletesByPoll: true,
		CursorChecks:  true,
	}
}

func (harness) NewAccount(tb testing.TB, n int) ticketsynctest.Account {
	f := newFake(tb, &zendesktest.Options{Subdomain: kitSubdomain})
	f.Seed(n)
	return &account{f: f}
}

// NewRateLimitedAccount starts a fake that enforces Zendesk's rate limits
// (the Team plan's and the exports' budget), to which the account's
// connectors pace themselves, as by default, on the fake's clock.
func (harness) NewRateLimitedAccount(tb testing.TB, n int) ticketsynctest.Account {
	f := newFake(tb, &zendesktest.Options{Subdomain: kitSubdomain,
		RateLimit: zendesktest.DefaultRateLimit, ExportRateLimit: zendesktest.DefaultExportRateLimit})
	f.Seed(n)
	return &account{f: f, paced: true}
}

type account struct {
	f *zendesktest.Server
	// paced: the connectors keep to Zendesk's default limits.
	paced bool
}

func (a *account) NewConnector(valid bool) (ticketsync.Connector, error) {
	token := a.f.Token
	if !valid {
		token = kitBadToken
	}
	cfg := zendesk.Config{
		Subdomain: kitSubdomain, BaseURL: a.f.URL, Email: a.f.Email, APIToken: token,
		PageSize: kitPageSize, RequestsPerMinute: -1, ExportRequestsPerMinute: -1,
		WebhookSecret: kitSecret, Now: a.f.Now,
	}
	if a.paced {
		cfg.RequestsPerMinute, cfg.ExportRequestsPerMinute = 0, 0
	}
	return zendesk.NewWithSleep(cfg, a.f.Sleep)
}

// NewForbiddenConnector signs in as an agent: valid credentials, but the
// incremental exports are for admins.
func (a *account) NewForbiddenConnector() (ticketsync.Connector, error) {
	u, err := a.f.CreateUser(zendesktest.User{Role: "agent", Email: "agent@" + kitSubdomain + ".example.com"})
	if err != nil {
		return nil, err
	}
	return zendesk.NewWithSleep(zendesk.Config{
		Subdomain: kitSubdomain, BaseURL: a.f.URL, Email: u.Email, APIToken: a.f.Token,
		RequestsPerMinute: -1, ExportRequestsPerMinute: -1, Now: a.f.Now,
	}, a.f.Sleep)
}

// NewMissingAccountConnector points at an address that is no Zendesk
// account: the fake answers it with Zendesk's "help center no longer
// exists" page.
func (a *account) NewMissingAccountConnector() (ticketsync.Connector, error) {
	return zendesk.NewWithSleep(zendesk.Config{
		Subdomain: kitSubdomain, BaseURL: a.f.URL + "/nosuchaccount", Email: a.f.Email, APIToken: a.f.Token,
		RequestsPerMinute: -1, ExportRequestsPerMinute: -1, Now: a.f.Now,
	}, a.f.Sleep)
}

// Now is the fake's clock, which the connectors check signed timestamps
// against and pace their requests by.
func (a *account) Now() time.Time { return a.f.Now() }

// Advance moves the fake's clock forward.
func (a *account) Advance(d time.Duration) { a.f.Advance(d) }

// Throttled counts the answers 429 in the fake's request log that its
// rate limits gave, not its injected faults.
func (a *account) Throttled() int {
	return a.f.Throttled()
}

// WebhookAt is Webhook signed with the timestamp at.
func (a *account) WebhookAt(target string, kind ticketsync.EventKind, id string, at time.Time) (*http.Request, error) {
	body, err := a.payload(kind, id)
	if err != nil {
		return nil, err
	}
	return a.f.SignedWebhookAt(target, kitSecret, body, at)
}

// payload is the event-subscription body of kind about ticket id.
func (a *account) payload(kind ticketsync.EventKind, id string) ([]byte, error) {
	n, err := parseID(id)
	if err != nil {
		return nil, err
	}
	return a.f.EventPayload(eventTypes[kind], n)
}

func parseID(id string) (int64, error) { return strconv.ParseInt(id, 10, 64) }

func (a *account) CreateTicket() (string, error) {
	t, err := a.f.CreateTicket(zendesktest.Ticket{Subject: "Created by the kit", Description: "A new ticket.", Status: "open", Priority: "high", Tags: []string{"kit"}})
	return strconv.FormatInt(t.ID, 10), err
}

func (a *account) UpdateTicket(id string) error {
	n, err := parseID(id)
	if err != nil {
		return err
	}
	_, err = a.f.UpdateTicket(n, func(t *zendesktest.Ticket) { t.Subject += " (updated)"; t.Status = "pending" })
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
	c, err := a.f.AddComment(n, zendesktest.Comment{Body: "A comment from the kit.", Public: true})
	return strconv.FormatInt(c.ID, 10), err
}

// Settle moves the fake's clock past the exports' one-minute hold-back.
func (a *account) Settle() { a.f.Advance(zendesktest.HoldBack + time.Second) }

func (a *account) InjectFault(status, n int) {
	f := zendesktest.Fault{Status: status, Count: n}
	if status == http.StatusTooManyRequests {
		f.RetryAfter = time.Second
	}
	a.f.InjectFault(f)
}

// InjectBodyFault makes the fake answer the next n requests with a broken
// body or a 429 without Retry-After. Zendesk's own reset header is ratelimit-reset, in seconds.
func (a *account) InjectBodyFault(kind ticketsynctest.BodyFault, n int) bool {
	var f zendesktest.Fault
	switch kind {
	case ticketsynctest.Truncated:
		f = zendesktest.Fault{Truncate: true}
	case ticketsynctest.HTMLPage:
		f = zendesktest.Fault{HTMLBody: true, Status: http.StatusBadGateway}
	case ticketsynctest.RateLimitedNoRetryAfter:
		h := http.Header{}
		h.Set("ratelimit-reset", "1")
		f = zendesktest.Fault{Status: http.StatusTooManyRequests, Header: h}
	default:
		return false
	}
	f.Count = n
	a.f.InjectFault(f)
	return true
}

func (a *account) Secrets() []string { return []string{a.f.Token, kitBadToken, kitSecret} }

var eventTypes = map[ticketsync.EventKind]string{
	ticketsync.EventCreated:   "ticket.created",
	ticketsync.EventUpdated:   "ticket.subject_changed",
	ticketsync.EventCommented: "ticket.comment_added",
	ticketsync.EventDeleted:   "ticket.soft_deleted",
}

func (a *account) Webhook(target string, kind ticketsync.EventKind, id string, tampered bool) (*http.Request, error) {
	body, err := a.payload(kind, id)
	if err != nil {
		return nil, err
	}
	req, err := a.f.SignedWebhook(target, kitSecret, body)
	if err != nil {
		return nil, err
	}
	if tampered {
		// The same delivery about another ticket, under the original
		// signature.
		forged := bytes.Replace(body, []byte(`"id":"`+id+`"`), []byte(`"id":"1`+id+`"`), 1)
		req.Body = io.NopCloser(bytes.NewReader(forged))
		req.ContentLength = int64(len(forged))
	}
	return req, nil
}

// Want maps the fake's state to tickets on its own, from the Zendesk
// documentation's meanings, not through the connector's code.
func (a *account) Want() ([]ticketsync.Ticket, error) {
	var out []ticketsync.Ticket
	person := func(id int64) ticketsync.Person {
		if id == 0 {
			return ticketsync.Person{}
		}
		u, ok := a.f.User(id)
		if !ok {
			return ticketsync.Person{ID: strconv.FormatInt(id, 10)}
		}
		return ticketsync.Person{ID: strconv.FormatInt(u.ID, 10), Name: u.Name, Email: u.Email}
	}
	// Zendesk's via.channel words (Via object reference) in the
	// contract's channel words; the raw word is kept in Fields.
	channels := map[string]string{"email": "email", "web": "web", "web_widget": "web", "api": "api", "chat": "chat",
		"chat_transcript": "chat", "native_messaging": "chat", "any_channel": "chat", "voice": "phone",
		"mobile": "mobile", "sms": "sms", "facebook": "social", "twitter": "social"}
	statuses := map[string]ticketsync.Status{"new": "new", "open": "open", "pending": "pending", "hold": "on_hold",
		"solved": "solved", "closed": "closed", "deleted": "closed"}
	for _, t := range a.f.Tickets() {
		id := strconv.FormatInt(t.ID, 10)
		w := ticketsync.Ticket{
			Platform: "zendesk", ID: id, URL: "https://" + kitSubdomain + ".zendesk.com/agent/tickets/" + id,
			Subject: t.Subject, Description: t.Description,
			Status: statuses[t.Status], RawStatus: t.Status,
			Priority: ticketsync.Priority(t.Priority), RawPriority: t.Priority,
			Channel: channels[t.Channel], Requester: person(t.RequesterID), Assignee: person(t.AssigneeID),
			Tags: t.Tags, CreatedAt: apiTime(t.CreatedAt), UpdatedAt: apiTime(t.UpdatedAt), Deleted: t.Status == "deleted",
		}
		if w.Channel == "" {
			w.Channel = t.Channel
		}
		if t.Channel != "" {
			w.Fields = map[string]string{"via.channel": t.Channel}
		}
		for _, f := range t.CustomFields {
			if f.Value == nil {
				continue
			}
			if w.Fields == nil {
				w.Fields = map[string]string{}
			}
			w.Fields[strconv.FormatInt(f.ID, 10)] = fmt.Sprint(f.Value)
		}
		for _, c := range a.f.Comments(t.ID) {
			w.Comments = append(w.Comments, ticketsync.Comment{
				ID: strconv.FormatInt(c.ID, 10), Author: ticketsync.Person{ID: strconv.FormatInt(c.AuthorID, 10)},
				Body: c.Body, Public: c.Public, CreatedAt: apiTime(c.CreatedAt),
			})
		}
		out = append(out, w)
	}
	return out, nil
}

// apiTime is t as the API shows it: ISO 8601 in whole seconds. The fake's
// clock moves by fractions of a second when a connector paces itself on
// it.
func apiTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
