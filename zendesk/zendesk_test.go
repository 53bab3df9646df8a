package zendesk_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

const secretToken = "s3cr3t-api-token-value"

func TestNewValidatesConfig(t *testing.T) {
	ok := zendesk.Config{Subdomain: "acmecorp", Email: "admin@acmecorp.com", APIToken: secretToken}
	cases := []struct {
		name  string
		edit  func(*zendesk.Config)
		field string // the error must name it
		hint  string // and say what a valid value looks like
	}{
		{"subdomain with dots", func(c *zendesk.Config) { c.Subdomain = "acmecorp.zendesk.com" }, "Subdomain", `"acmecorp"`},
		{"subdomain as URL", func(c *zendesk.Config) { c.Subdomain = "https://acmecorp.zendesk.com" }, "Subdomain", `"acmecorp"`},
		{"no subdomain", func(c *zendesk.Config) { c.Subdomain = "" }, "Subdomain", `"acmecorp"`},
		{"email without @", func(c *zendesk.Config) { c.Email = "admin" }, "Email", "admin@acmecorp.com"},
		{"email without token", func(c *zendesk.Config) { c.APIToken = "" }, "APIToken", "Zendesk API"},
		{"no credentials", func(c *zendesk.Config) { c.Email, c.APIToken = "", "" }, "APIToken", "OAuthToken"},
		{"two credentials", func(c *zendesk.Config) { c.OAuthToken = secretToken + "-oauth" }, "OAuthToken", "only one"},
		{"page too large", func(c *zendesk.Config) { c.PageSize = 5000 }, "PageSize", "1 to 1000"},
		{"base URL not a URL", func(c *zendesk.Config) { c.BaseURL = "acme" }, "BaseURL", "https://"},
		{"empty rotated secret", func(c *zendesk.Config) { c.WebhookSecrets = []string{""} }, "WebhookSecrets", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			_, err := zendesk.New(cfg)
			if err == nil {
				t.Fatal("New accepted the config")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "zendesk: ") || !strings.Contains(msg, tc.field) || !strings.Contains(msg, tc.hint) {
				t.Errorf("error %q should start with zendesk:, name %s and say %q", msg, tc.field, tc.hint)
			}
			if strings.Contains(msg, secretToken) {
				t.Error("the error holds the token")
			}
		})
	}
	if _, err := zendesk.New(ok); err != nil {
		t.Errorf("New(valid config): %v", err)
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	cfg := zendesk.Config{Subdomain: "acmecorp", Email: "admin@acmecorp.com", APIToken: secretToken,
		OAuthToken: "oauth-" + secretToken, WebhookSecret: "hook-" + secretToken, WebhookSecrets: []string{"old-" + secretToken}}
	c, err := zendesk.New(zendesk.Config{Subdomain: "acmecorp", Email: "admin@acmecorp.com", APIToken: secretToken, WebhookSecret: "hook-" + secretToken})
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		for _, v := range []any{cfg, &cfg, c, []any{cfg}} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, secretToken) || strings.Contains(out, fmt.Sprintf("%x", secretToken)) {
				t.Errorf("fmt %s of %T prints a secret: %s", verb, v, out)
			}
		}
	}
	if s := cfg.String(); !strings.Contains(s, `"acmecorp"`) || !strings.Contains(s, "[redacted]") {
		t.Errorf("String() = %s; want the subdomain shown and the token redacted", s)
	}
}

func TestTestCredentials(t *testing.T) {
	f := newFake(t, nil)
	if err := newConn(t, f, nil).Test(context.Background()); err != nil {
		t.Fatalf("Test with an admin's token: %v", err)
	}
	stripAuth := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Del("Authorization")
		return http.DefaultTransport.RoundTrip(r)
	})}
	cases := []struct {
		name  string
		setup func(*zendesktest.Server)
		edit  func(*zendesk.Config)
		want  error
		hint  string
	}{
		{"wrong token", nil, func(c *zendesk.Config) { c.APIToken = secretToken }, ticketsync.ErrUnauthorized, "check the admin email and API token"},
		{"wrong email", nil, func(c *zendesk.Config) { c.Email = "nobody@example.com" }, ticketsync.ErrUnauthorized, "check the admin email and API token"},
		{"anonymous 200", nil, func(c *zendesk.Config) { c.HTTPClient = stripAuth }, ticketsync.ErrUnauthorized, "anonymous"},
		{"agent", func(f *zendesktest.Server) { f.SetRole("agent") }, nil, ticketsync.ErrForbidden, "incremental export needs an admin"},
		{"HTML page", func(f *zendesktest.Server) {
			f.InjectFault(zendesktest.Fault{HTMLBody: true, Status: http.StatusOK, Count: -1})
		}, nil, ticketsync.ErrNotFound, "check the subdomain"},
		{"HTML 404", func(f *zendesktest.Server) {
			f.InjectFault(zendesktest.Fault{HTMLBody: true, Count: -1})
		}, nil, ticketsync.ErrNotFound, "check the subdomain"},
		{"JSON 404", func(f *zendesktest.Server) {
			f.InjectFault(zendesktest.Fault{Status: http.StatusNotFound, Count: -1})
		}, nil, ticketsync.ErrNotFound, "check the subdomain"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, nil)
			if tc.setup != nil {
				tc.setup(f)
			}
			err := newConn(t, f, tc.edit).Test(context.Background())
			if !errors.Is(err, tc.want) {
				t.Fatalf("Test: %v; want an error matching %v", err, tc.want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "zendesk: test credentials: ") || !strings.Contains(msg, tc.hint) ||
				strings.Contains(msg, secretToken) || strings.Contains(msg, f.Token) {
				t.Errorf("error %q: want it to start with %q, say %q and hold no token", msg, "zendesk: test credentials: ", tc.hint)
			}
		})
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// fetchAll calls Fetch until More is false and returns the pages' tickets.
func fetchAll(t *testing.T, c *zendesk.Connector, cursor string) ([]ticketsync.Ticket, string) {
	t.Helper()
	var all []ticketsync.Ticket
	for range 1000 {
		page, err := c.Fetch(context.Background(), cursor)
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		all = append(all, page.Tickets...)
		cursor = page.Cursor
		if !page.More {
			return all, cursor
		}
	}
	t.Fatal("Fetch never caught up")
	return nil, ""
}

func TestFetchMapsTickets(t *testing.T) {
	f := newFake(t, &zendesktest.Options{LargeIDs: true})
	seeded := f.Seed(20)
	c := newConn(t, f, nil)
	store := memstore.New()
	syncAll(t, c, store)
	for _, s := range seeded {
		id := strconv.FormatInt(s.ID, 10)
		got, err := store.Ticket(context.Background(), "zd", id)
		if err != nil {
			t.Fatalf("ticket %s (a 64-bit id): %v", id, err)
		}
		if s.ID <= 1<<32 {
			t.Fatalf("the fake gave id %d, want one above 2^32", s.ID)
		}
		req, _ := f.User(s.RequesterID)
		if got.Subject != s.Subject || got.RawStatus != s.Status || got.Requester.Email != req.Email || got.Requester.Name != req.Name ||
			got.URL != "https://acme.zendesk.com/agent/tickets/"+id || got.Fields[zendesk.FieldChannel] != s.Channel {
			t.Errorf("ticket %s = %+v; from %+v", id, got, s)
		}
		if s.Status == "hold" && got.Status != ticketsync.StatusOnHold {
			t.Errorf("status hold mapped to %q", got.Status)
		}
		if len(got.Comments) != len(f.Comments(s.ID)) {
			t.Errorf("ticket %s has %d comments, the fake %d", id, len(got.Comments), len(f.Comments(s.ID)))
		}
	}
}

// TestFetchOddValues feeds Fetch an export page with values the fake never
// makes: unknown status and priority words, nulls everywhere, ids above
// 2^53, custom fields of every JSON type.
func TestFetchOddValues(t *testing.T) {
	f := newFake(t, nil)
	page := `{"tickets":[
	  {"id":9007199254740993,"subject":null,"description":null,"status":"escalated_to_legal","priority":"p1",
	   "via":null,"requester_id":9007199254740995,"assignee_id":null,"tags":null,
	   "custom_fields":[{"id":1,"value":null},{"id":2,"value":42.5},{"id":3,"value":false},{"id":4,"value":["a","b"]},{"id":5,"value":"x \"y\""}],
	   "created_at":null,"updated_at":"2026-03-01T10:00:00Z","generated_timestamp":1772359200},
	  {"id":7,"subject":"Waiting","status":"Waiting on Customer","priority":"weird","via":{"channel":42},
	   "created_at":"2026-03-01T09:00:00Z","updated_at":"2026-03-01T09:30:00Z"}],
	 "users":[{"id":9007199254740995,"name":null,"email":"big@example.com"}],
	 "after_cursor":null,"end_of_stream":true}`
	f.InjectFault(zendesktest.Fault{Path: "/api/v2/incremental/tickets/cursor.json", Status: http.StatusOK, Body: page})
	c := newConn(t, f, nil)
	p, err := c.Fetch(context.Background(), "")
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	byID := map[string]ticketsync.Ticket{}
	for _, tk := range p.Tickets {
		byID[tk.ID] = tk
	}
	big := byID["9007199254740993"]
	if big.ID == "" {
		t.Fatalf("the ticket with id 2^53+1 is missing: %+v", p.Tickets)
	}
	if big.Status != ticketsync.StatusOpen || big.RawStatus != "escalated_to_legal" || big.Priority != ticketsync.PriorityUrgent || big.RawPriority != "p1" {
		t.Errorf("unknown status/priority: %q/%q %q/%q", big.Status, big.RawStatus, big.Priority, big.RawPriority)
	}
	if big.Requester != (ticketsync.Person{ID: "9007199254740995", Email: "big@example.com"}) || !big.Assignee.IsZero() || big.Tags != nil {
		t.Errorf("people and tags from nulls: %+v %+v %q", big.Requester, big.Assignee, big.Tags)
	}
	wantFields := map[string]string{"2": "42.5", "3": "false", "4": "a,b", "5": `x "y"`}
	if fmt.Sprint(big.Fields) != fmt.Sprint(wantFields) {
		t.Errorf("Fields = %v, want %v", big.Fields, wantFields)
	}
	if !big.CreatedAt.IsZero() || !big.UpdatedAt.Equal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("times: %s %s", big.CreatedAt, big.UpdatedAt)
	}
	if w := byID["7"]; w.Status != ticketsync.StatusPending || w.Channel != "42" || w.Priority != ticketsync.PriorityNone || w.RawPriority != "weird" {
		t.Errorf("ticket 7 = %+v", w)
	}
}

func TestFetchBadAnswers(t *testing.T) {
	f := newFake(t, nil)
	f.Seed(30)
	c := newConn(t, f, nil)
	// A body cut short is retried.
	f.InjectFault(zendesktest.Fault{Path: "/api/v2/incremental/tickets/cursor.json", Truncate: true})
	if got, _ := fetchAll(t, c, ""); len(got) < 30 {
		t.Errorf("after a truncated answer: %d tickets, want 30 or more", len(got))
	}
	// Invalid JSON with 200 is an error, and moves nothing.
	f.InjectFault(zendesktest.Fault{Path: "/api/v2/incremental/tickets/cursor.json", Status: http.StatusOK, Body: `{"tickets":[{"id":1,`})
	if _, err := c.Fetch(context.Background(), ""); err == nil || !strings.HasPrefix(err.Error(), "zendesk: fetch tickets from the start: ") {
		t.Errorf("Fetch of invalid JSON: %v; want an error saying what was fetched", err)
	}
	// A cursor not written by the connector.
	if _, err := c.Fetch(context.Background(), "bm90IG91cnM"); !errors.Is(err, ticketsync.ErrInvalidCursor) || !strings.HasPrefix(err.Error(), "zendesk: ") {
		t.Errorf("Fetch with a foreign cursor: %v; want ErrInvalidCursor", err)
	}
	// A cursor of another account.
	other := newFake(t, &zendesktest.Options{Subdomain: "globex"})
	other.Seed(1)
	p, err := newConn(t, other, nil).Fetch(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Fetch(context.Background(), p.Cursor); !errors.Is(err, ticketsync.ErrInvalidCursor) {
		t.Errorf("Fetch with another account's cursor: %v; want ErrInvalidCursor", err)
	}
	// A cursor of the connector's first version still resumes.
	v1 := base64.RawURLEncoding.EncodeToString([]byte(`{"v":1,"p":"c","ev":0}`))
	if _, err := c.Fetch(context.Background(), v1); err != nil {
		t.Errorf("Fetch with a version 1 cursor: %v", err)
	}
}

func TestFetchRateLimitStorm(t *testing.T) {
	f := newFake(t, nil)
	f.Seed(10)
	c := newConn(t, f, nil)
	// Zendesk asking for a wait longer than the client waits: the error
	// carries RetryAfter for the engine's backoff, at once.
	f.InjectFault(zendesktest.Fault{Status: http.StatusTooManyRequests, RetryAfter: 10 * time.Minute, Count: -1})
	_, err := c.Fetch(context.Background(), "")
	var api *ticketsync.APIError
	if !errors.Is(err, ticketsync.ErrRateLimited) || !errors.As(err, &api) || api.RetryAfter != 10*time.Minute {
		t.Fatalf("Fetch in a 429 storm: %v; want ErrRateLimited with RetryAfter 10m", err)
	}
	f.ClearFaults()
	// A short storm is waited out.
	f.InjectFault(zendesktest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Count: 2})
	if got, _ := fetchAll(t, c, ""); len(got) < 10 {
		t.Errorf("after a short 429 storm: %d tickets", len(got))
	}
}

func TestFetchHoldBackAndRecentStart(t *testing.T) {
	f := newFake(t, nil)
	c := newConn(t, f, func(cfg *zendesk.Config) { cfg.StartTime = t0.Add(-10 * time.Second) })
	// A start within the last minute: Zendesk answers 422; nothing yet.
	p, err := c.Fetch(context.Background(), "")
	if err != nil || p.More || len(p.Tickets) != 0 || p.Cursor == "" {
		t.Fatalf("Fetch with a too recent start: %+v, %v", p, err)
	}
	if _, err := f.CreateTicket(zendesktest.Ticket{Subject: "fresh", Description: "hi"}); err != nil {
		t.Fatal(err)
	}
	got, cur := fetchAll(t, c, p.Cursor)
	if len(got) != 0 {
		t.Errorf("a ticket changed within the hold-back was delivered: %d", len(got))
	}
	f.Advance(2 * time.Minute)
	got, _ = fetchAll(t, c, cur)
	if len(got) != 1 || got[0].Subject != "fresh" || len(got[0].Comments) != 1 {
		t.Errorf("after the hold-back: %+v", got)
	}
}

func TestFetchStartTimeLoadsOlderComments(t *testing.T) {
	f := newFake(t, nil)
	seeded := f.GenerateTickets(20, &zendesktest.GenerateOptions{Comments: 3, Spacing: time.Minute})
	start := t0.Add(-10 * time.Minute)
	c := newConn(t, f, func(cfg *zendesk.Config) { cfg.StartTime = start })
	store := memstore.New()
	syncAll(t, c, store)
	n := 0
	for _, s := range seeded {
		if s.UpdatedAt.Before(start) {
			continue
		}
		n++
		got, err := store.Ticket(context.Background(), "zd", strconv.FormatInt(s.ID, 10))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Comments) != 3 {
			t.Errorf("ticket %d changed after StartTime has %d comments, want all 3", s.ID, len(got.Comments))
		}
	}
	if n == 0 || store.Len("zd") != n {
		t.Errorf("stored %d tickets, want the %d changed after StartTime", store.Len("zd"), n)
	}
}

func TestGetTickets(t *testing.T) {
	f := newFake(t, nil)
	seeded := f.Seed(150)
	if err := f.DeleteTicket(seeded[3].ID); err != nil {
		t.Fatal(err)
	}
	c := newConn(t, f, nil)
	var ids []string
	for _, s := range seeded {
		ids = append(ids, strconv.FormatInt(s.ID, 10))
	}
	ids = append(ids, "999999", "not-an-id")
	f.ResetRequests()
	got, err := c.GetTickets(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 149 {
		t.Errorf("GetTickets returned %d tickets, want 149 (one deleted, two unknown)", len(got))
	}
	if n := f.RequestCount("GET", "/api/v2/tickets/show_many.json"); n != 2 {
		t.Errorf("%d show_many requests for 152 ids, want 2", n)
	}
	for _, tk := range got {
		id, _ := strconv.ParseInt(tk.ID, 10, 64)
		if len(tk.Comments) != len(f.Comments(id)) || tk.Requester.Email == "" {
			t.Errorf("ticket %s: %d comments (fake %d), requester %+v", tk.ID, len(tk.Comments), len(f.Comments(id)), tk.Requester)
		}
	}
}
