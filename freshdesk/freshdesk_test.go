package freshdesk_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/freshdesk"
	"github.com/ticketsync/ticketsync/freshdesk/freshdesktest"
	"github.com/ticketsync/ticketsync/memstore"
)

func connector(tb testing.TB, f *freshdesktest.Server, cfg *freshdesk.Config) *freshdesk.Connector {
	tb.Helper()
	c := freshdesk.Config{Domain: f.Domain, BaseURL: f.URL, APIKey: f.APIKey,
		RequestsPerMinute: -1, ListRequestsPerMinute: -1, WebhookToken: kitToken}
	if cfg != nil {
		c = *cfg
		if c.BaseURL == "" {
			c.BaseURL = f.URL
		}
		if c.APIKey == "" {
			c.APIKey = f.APIKey
		}
	}
	// Waits move the fake's clock, which its rate windows read.
	conn, err := freshdesk.NewWithClock(c, f.Now, f.Sleep)
	if err != nil {
		tb.Fatal(err)
	}
	return conn
}

// syncAll runs Fetch until caught up and stores every page.
func syncAll(tb testing.TB, c *freshdesk.Connector, store *memstore.Store, cursor string) (string, int) {
	tb.Helper()
	ctx := context.Background()
	pages := 0
	for {
		page, err := c.Fetch(ctx, cursor)
		if err != nil {
			tb.Fatalf("Fetch after %d pages: %v", pages, err)
		}
		pages++
		for i := range page.Tickets {
			page.Tickets[i].ConnectorID = "fd"
		}
		if err := store.UpsertTickets(ctx, page.Tickets); err != nil {
			tb.Fatal(err)
		}
		cursor = page.Cursor
		if !page.More {
			return cursor, pages
		}
		if pages > 100000 {
			tb.Fatal("the cursor never ends")
		}
	}
}

// fetchLive calls Fetch from cursor until a page from the default listing:
// a pass reads the trash and spam first. Every page before it must be
// empty (the test's account has nothing in the trash or spam).
func fetchLive(tb testing.TB, c *freshdesk.Connector, cursor string) (ticketsync.Page, error) {
	tb.Helper()
	for range 2 {
		page, err := c.Fetch(context.Background(), cursor)
		if err != nil || len(page.Tickets) > 0 {
			return page, err
		}
		cursor = page.Cursor
	}
	return c.Fetch(context.Background(), cursor)
}

// expectEqual compares the stored tickets with the fake's, on every field
// the connector fills.
func expectEqual(tb testing.TB, f *freshdesktest.Server, store *memstore.Store) {
	tb.Helper()
	wants := want(f)
	got := store.Tickets("fd")
	byID := map[string]ticketsync.Ticket{}
	for _, t := range got {
		byID[t.ID] = t
	}
	bad := 0
	for _, w := range wants {
		g, ok := byID[w.ID]
		if !ok {
			if bad++; bad <= 5 {
				tb.Errorf("ticket %s missing", w.ID)
			}
			continue
		}
		g.ConnectorID = ""
		if d := diff(w, g); d != "" {
			if bad++; bad <= 5 {
				tb.Errorf("ticket %s: %s", w.ID, d)
			}
		}
	}
	if len(got) != len(wants) {
		tb.Errorf("stored %d tickets, the fake holds %d", len(got), len(wants))
	}
	if bad > 5 {
		tb.Errorf("and %d more tickets differ", bad-5)
	}
}

func diff(w, g ticketsync.Ticket) string {
	if len(w.Comments) == 0 {
		w.Comments = nil
	}
	if len(g.Comments) == 0 {
		g.Comments = nil
	}
	ws, gs := fmt.Sprintf("%+v", w), fmt.Sprintf("%+v", g)
	if ws != gs {
		return "got " + gs + "\nwant " + ws
	}
	return ""
}

func TestFetchCustomStatuses(t *testing.T) {
	f := newFake(t, nil)
	waiting := f.AddStatus("Waiting on Customer", "Awaiting your reply")
	tickets := f.GenerateTickets(3, nil)
	if _, err := f.SetStatus(tickets[0].ID, waiting); err != nil {
		t.Fatal(err)
	}
	c := connector(t, f, nil)
	store := memstore.New()
	cursor, _ := syncAll(t, c, store, "")
	got, err := store.Ticket(context.Background(), "fd", strconv.FormatInt(tickets[0].ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != ticketsync.StatusPending || got.RawStatus != "Waiting on Customer" {
		t.Errorf("custom status 6: Status %q, RawStatus %q; want pending, Waiting on Customer", got.Status, got.RawStatus)
	}

	// A status the account adds after the connector read ticket_fields.
	f.Advance(time.Minute)
	third := f.AddStatus("Waiting on Third Party", "")
	if _, err := f.SetStatus(tickets[1].ID, third); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Second)
	syncAll(t, c, store, cursor)
	got, _ = store.Ticket(context.Background(), "fd", strconv.FormatInt(tickets[1].ID, 10))
	if got.Status != ticketsync.StatusOnHold || got.RawStatus != "Waiting on Third Party" {
		t.Errorf("status added later: Status %q, RawStatus %q; want on_hold, Waiting on Third Party", got.Status, got.RawStatus)
	}
	if n := f.RequestCount("GET", "/api/v2/ticket_fields"); n != 2 {
		t.Errorf("ticket_fields read %d times, want 2: once, and again for the unknown code", n)
	}
	expectEqual(t, f, store)
}

func TestFetchDeletedAndSpam(t *testing.T) {
	f := newFake(t, nil)
	tickets := f.GenerateTickets(60, nil)
	c := connector(t, f, &freshdesk.Config{Domain: f.Domain, PageSize: 25, RequestsPerMinute: -1, ListRequestsPerMinute: -1})
	store := memstore.New()
	cursor, _ := syncAll(t, c, store, "")
	f.Advance(time.Minute)
	deleted, spam := tickets[10].ID, tickets[20].ID
	if err := f.DeleteTicket(deleted); err != nil {
		t.Fatal(err)
	}
	if err := f.MarkSpam(spam); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Second)
	cursor, _ = syncAll(t, c, store, cursor)
	ctx := context.Background()
	for _, tc := range []struct {
		id    int64
		field string
	}{{deleted, "deleted"}, {spam, "spam"}} {
		got, err := store.Ticket(ctx, "fd", strconv.FormatInt(tc.id, 10))
		if err != nil {
			t.Fatal(err)
		}
		if !got.Deleted || got.Fields[tc.field] != "true" || len(got.Comments) == 0 {
			t.Errorf("%s ticket %d: Deleted %t, Fields %v, %d comments; want a tombstone with Fields[%q] and its comments kept",
				tc.field, tc.id, got.Deleted, got.Fields, len(got.Comments), tc.field)
		}
	}
	expectEqual(t, f, store)

	// Taken out of the trash, the ticket comes back live.
	f.Advance(time.Minute)
	if _, err := f.UpdateTicket(deleted, func(t *freshdesktest.Ticket) { t.Deleted = false }); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Second)
	syncAll(t, c, store, cursor)
	if got, _ := store.Ticket(ctx, "fd", strconv.FormatInt(deleted, 10)); got.Deleted {
		t.Errorf("ticket %d restored from the trash is still stored as deleted", deleted)
	}
	expectEqual(t, f, store)
}

func TestGetTickets(t *testing.T) {
	f := newFake(t, nil)
	tickets := f.GenerateTickets(5, nil)
	c := connector(t, f, nil)
	ctx := context.Background()
	deleted, purged, spam := tickets[1].ID, tickets[2].ID, tickets[3].ID
	if err := f.DeleteTicket(deleted); err != nil {
		t.Fatal(err)
	}
	if err := f.MarkSpam(spam); err != nil {
		t.Fatal(err)
	}
	if err := f.PurgeTicket(purged); err != nil {
		t.Fatal(err)
	}
	ids := []string{strconv.FormatInt(tickets[0].ID, 10), strconv.FormatInt(deleted, 10), strconv.FormatInt(purged, 10),
		strconv.FormatInt(spam, 10), "not-an-id", unknownID, strconv.FormatInt(tickets[0].ID, 10)}
	got, err := c.GetTickets(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]ticketsync.Ticket{}
	for _, tk := range got {
		byID[tk.ID] = tk
	}
	if len(got) != 3 {
		t.Errorf("GetTickets(%q) = %d tickets, want 3: the live one once, and the trashed and spam tombstones", ids, len(got))
	}
	live := byID[strconv.FormatInt(tickets[0].ID, 10)]
	if live.Deleted || len(live.Comments) == 0 {
		t.Errorf("live ticket: Deleted %t, %d comments; want live with its conversations", live.Deleted, len(live.Comments))
	}
	for _, id := range []int64{deleted, spam} {
		if tk, ok := byID[strconv.FormatInt(id, 10)]; !ok || !tk.Deleted {
			t.Errorf("ticket %d (trash or spam): %+v; want a tombstone", id, tk)
		}
	}
	if _, ok := byID[strconv.FormatInt(purged, 10)]; ok {
		t.Errorf("GetTickets returned the purged ticket %d", purged)
	}
	wants := map[string]ticketsync.Ticket{}
	for _, w := range want(f) {
		wants[w.ID] = w
	}
	live.ConnectorID = ""
	if d := diff(wants[live.ID], live); d != "" {
		t.Errorf("ticket %s: %s", live.ID, d)
	}
}

const unknownID = "987654321"

// TestTestCredentials: Test for a valid key, a wrong one, an agent who
// sees part of the tickets, the Free plan and a domain that is not a
// Freshdesk account.
func TestTestCredentials(t *testing.T) {
	t.Run("Valid", func(t *testing.T) {
		f := newFake(t, nil)
		if err := connector(t, f, nil).Test(context.Background()); err != nil {
			t.Errorf("Test: %v", err)
		}
	})
	t.Run("WrongAPIKey", testWrongAPIKey)
	t.Run("RestrictedAgent", testRestrictedAgent)
	t.Run("FreePlan", testFreePlan)
	t.Run("WrongDomainHTMLPage", testWrongDomainHTMLPage)
}

func testRestrictedAgent(t *testing.T) {
	for _, scope := range []int{2, 3} {
		f := newFake(t, nil)
		f.SetTicketScope(scope)
		err := connector(t, f, nil).Test(context.Background())
		if !errors.Is(err, ticketsync.ErrForbidden) || !strings.Contains(err.Error(), "ticket scope") {
			t.Errorf("Test with ticket scope %d: %v; want ErrForbidden naming the ticket scope", scope, err)
		}
	}
}

func testFreePlan(t *testing.T) {
	f := newFake(t, &freshdesktest.Options{Plan: freshdesktest.PlanFree})
	f.Seed(3)
	c := connector(t, f, nil)
	err := c.Test(context.Background())
	if !errors.Is(err, ticketsync.ErrForbidden) || !strings.Contains(err.Error(), "Free plan") {
		t.Errorf("Test on the Free plan: %v; want ErrForbidden that names the Free plan", err)
	}
	if _, err := c.Fetch(context.Background(), ""); !errors.Is(err, ticketsync.ErrForbidden) {
		t.Errorf("Fetch on the Free plan: %v; want ErrForbidden", err)
	}
}

func testWrongDomainHTMLPage(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusNotFound} {
		f := newFake(t, nil)
		f.InjectFault(freshdesktest.Fault{HTMLBody: true, Status: status, Count: -1})
		c := connector(t, f, nil)
		err := c.Test(context.Background())
		if !errors.Is(err, ticketsync.ErrNotFound) || !strings.Contains(err.Error(), "check the domain") {
			t.Errorf("Test against an HTML page (%d): %v; want ErrNotFound saying to check the domain", status, err)
		}
		if _, err := c.Fetch(context.Background(), ""); !errors.Is(err, ticketsync.ErrNotFound) {
			t.Errorf("Fetch against an HTML page (%d): %v; want ErrNotFound", status, err)
		}
	}
}

func testWrongAPIKey(t *testing.T) {
	f := newFake(t, nil)
	c := connector(t, f, &freshdesk.Config{Domain: f.Domain, APIKey: kitBadKey, RequestsPerMinute: -1, ListRequestsPerMinute: -1})
	err := c.Test(context.Background())
	if !errors.Is(err, ticketsync.ErrUnauthorized) || !strings.Contains(err.Error(), "API key") {
		t.Errorf("Test with a wrong key: %v; want ErrUnauthorized saying to check the API key", err)
	}
	if strings.Contains(err.Error(), kitBadKey) {
		t.Error("the error holds the API key")
	}
}

// TestFetch429Storm: a run of 429s longer than the retries fails the Fetch
// without moving the cursor; the sync completes once the storm ends, and
// each wait honoured Retry-After.
func TestFetch429Storm(t *testing.T) {
	f := newFake(t, nil)
	f.Seed(40)
	c := connector(t, f, nil)
	page, err := c.Fetch(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	f.InjectFault(freshdesktest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Count: 5})
	start := f.Now()
	_, err = c.Fetch(context.Background(), page.Cursor)
	if !errors.Is(err, ticketsync.ErrRateLimited) {
		t.Fatalf("Fetch through 5 429s: %v; want ErrRateLimited after the retries", err)
	}
	if waited := f.Now().Sub(start); waited < 4*time.Second {
		t.Errorf("Fetch gave up after waiting %s; Retry-After asked for a second before each of 4 retries", waited)
	}
	// The storm is over: resuming from the same cursor loses nothing.
	store := memstore.New()
	for i := range page.Tickets {
		page.Tickets[i].ConnectorID = "fd"
	}
	if err := store.UpsertTickets(context.Background(), page.Tickets); err != nil {
		t.Fatal(err)
	}
	f.InjectFault(freshdesktest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Count: 2})
	syncAll(t, c, store, page.Cursor)
	expectEqual(t, f, store)
}

// TestFetchEnforcedLimitsAnswered429: against the fake's own Tickets List
// sub-limit with no limiter on the connector's side, the 429s it earns are
// waited out and the sync completes.
func TestFetchEnforcedLimitsAnswered429(t *testing.T) {
	f := freshdesktest.NewServer(t, &freshdesktest.Options{RateLimit: 1000, ListRateLimit: 3, RateWindow: time.Second})
	f.Seed(30)
	c := connector(t, f, &freshdesk.Config{Domain: f.Domain, PageSize: 5, RequestsPerMinute: -1, ListRequestsPerMinute: -1})
	store := memstore.New()
	syncAll(t, c, store, "")
	if statusCount(f, http.StatusTooManyRequests) == 0 {
		t.Error("the fake answered no 429: the test does not test the limit")
	}
	expectEqual(t, f, store)
}

func TestFetchTruncatedJSON(t *testing.T) {
	f := newFake(t, nil)
	f.Seed(10)
	c := connector(t, f, nil)
	// Cut short once: retried as a network error.
	f.InjectFault(freshdesktest.Fault{Path: "/api/v2/tickets", Truncate: true})
	store := memstore.New()
	syncAll(t, c, store, "")
	expectEqual(t, f, store)
	// Cut short every time: an error after the retries, and no page.
	f.InjectFault(freshdesktest.Fault{Path: "/api/v2/tickets/", Truncate: true, Count: -1})
	page, err := fetchLive(t, connector(t, f, nil), "")
	if err == nil || len(page.Tickets) != 0 {
		t.Errorf("Fetch with every conversations body cut short = %d tickets, %v; want an error", len(page.Tickets), err)
	}
	if n := f.RequestCount("GET", "/api/v2/tickets/"); n < 2 {
		t.Errorf("%d conversations requests: a body cut short was not retried", n)
	}
}

// TestFetchEmptyBody: a 200 answer without a body is an error, not an
// empty page that would end the sync.
func TestFetchEmptyBody(t *testing.T) {
	f := newFake(t, nil)
	f.Seed(3)
	f.InjectFault(freshdesktest.Fault{Path: "/api/v2/tickets", Status: http.StatusOK, Body: " ", Count: -1})
	page, err := connector(t, f, nil).Fetch(context.Background(), "")
	if err == nil || page.More || len(page.Tickets) != 0 {
		t.Errorf("Fetch of an empty body = %+v, %v; want an error", page, err)
	}
}

// TestFetch40000TicketsPastThePageCap syncs 40,000 tickets updated within
// seven minutes: one query would need 400 pages of 100, past Freshdesk's
// 300. Every ticket must arrive exactly as the fake holds it.
func TestFetch40000TicketsPastThePageCap(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("40,000 tickets: run without -short and without -race")
	}
	f := newFake(t, nil)
	f.GenerateTickets(40000, &freshdesktest.GenerateOptions{Spacing: 10 * time.Millisecond, Conversations: -1})
	c := connector(t, f, &freshdesk.Config{Domain: f.Domain, Concurrency: 16, RequestsPerMinute: -1, ListRequestsPerMinute: -1})
	store := memstore.New()
	syncAll(t, c, store, "")
	expectEqual(t, f, store)
	var capped, restarts int
	for _, r := range f.Requests() {
		if r.Path != "/api/v2/tickets" {
			continue
		}
		if r.Status == http.StatusBadRequest {
			capped++
		}
		if r.Query.Get("page") == "1" && r.Query.Get("filter") == "" {
			restarts++
		}
	}
	if capped > 0 {
		t.Errorf("%d list requests were refused with 400: the connector asked past the 300-page cap", capped)
	}
	if restarts < 2 {
		t.Errorf("the default listing was queried from page 1 %d times; 400 pages need a restart", restarts)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg   freshdesk.Config
		field string
	}{
		{freshdesk.Config{Domain: "https://acme.freshdesk.com", APIKey: "k"}, "Domain"},
		{freshdesk.Config{Domain: "acme.freshdesk.com", APIKey: "k"}, "Domain"},
		{freshdesk.Config{APIKey: "k"}, "Domain"},
		{freshdesk.Config{Domain: "acme"}, "APIKey"},
		{freshdesk.Config{Domain: "acme", APIKey: "abc:X"}, "APIKey"},
		{freshdesk.Config{Domain: "acme", APIKey: "k", PageSize: 101}, "PageSize"},
		{freshdesk.Config{Domain: "acme", APIKey: "k", WebhookUsername: "u"}, "WebhookPassword"},
		{freshdesk.Config{Domain: "acme", APIKey: "k", WebhookHeader: "X Token"}, "WebhookHeader"},
		{freshdesk.Config{Domain: "acme", APIKey: "k", BaseURL: "ftp://x"}, "BaseURL"},
	} {
		_, err := freshdesk.New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), "Config."+tc.field) {
			t.Errorf("New(%v): %v; want an error naming Config.%s", tc.cfg, err, tc.field)
		}
	}
	if _, err := freshdesk.New(freshdesk.Config{Domain: "acme", APIKey: "k"}); err != nil {
		t.Errorf("New of a valid Config: %v", err)
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	cfg := freshdesk.Config{Domain: "acme", APIKey: "secret-api-key-42", WebhookToken: "secret-token-42",
		WebhookTokens: []string{"secret-old-42"}, WebhookUsername: "fd", WebhookPassword: "secret-pass-42"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if s := fmt.Sprintf(verb, cfg); strings.Contains(s, "secret") {
			t.Errorf("Printf(%s, cfg) shows a secret: %s", verb, s)
		}
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("config", "cfg", cfg)
	if strings.Contains(b.String(), "secret") || !strings.Contains(b.String(), "acme") {
		t.Errorf("slog shows a secret or not the domain: %s", b.String())
	}
}

// TestFetchMapsTickets checks one ticket's mapping against values written
// out here, from Freshdesk's documented codes.
func TestFetchMapsTickets(t *testing.T) {
	f := newFake(t, nil)
	f.AddCustomField(freshdesktest.CustomField{Name: "cf_plan", Label: "Plan", Type: "custom_text"})
	requester := f.CreateContact(freshdesktest.Contact{Name: "Ada Okafor", Email: "ada@example.com"})
	created := t0.Add(-48 * time.Hour)
	tk, err := f.CreateTicket(freshdesktest.Ticket{
		Subject: "Refund", Description: "<div>Please <b>refund</b> order 42 &amp; 43.</div>",
		Status: freshdesktest.StatusResolved, Priority: freshdesktest.PriorityMedium, Source: freshdesktest.SourcePortal,
		Type: "Refund", RequesterID: requester.ID, ResponderID: f.MeID(), GroupID: 7, CompanyID: 9,
		Tags: []string{"billing"}, CustomFields: map[string]any{"cf_plan": "Pro", "cf_seats": 12.0},
		CreatedAt: created, UpdatedAt: created.Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	note, err := f.AddNote(tk.ID, "Checked with billing.")
	if err != nil {
		t.Fatal(err)
	}
	reply, err := f.AddReply(tk.ID, "Thanks!", true)
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	syncAll(t, connector(t, f, nil), store, "")
	got, err := store.Ticket(context.Background(), "fd", strconv.FormatInt(tk.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(tk.ID, 10)
	updated, _ := f.Ticket(tk.ID)
	want := ticketsync.Ticket{
		ConnectorID: "fd", Platform: "freshdesk", ID: id, URL: "https://acme.freshdesk.com/a/tickets/" + id,
		Subject: "Refund", Description: "Please refund order 42 & 43.",
		Status: ticketsync.StatusSolved, RawStatus: "Resolved", Priority: ticketsync.PriorityNormal, RawPriority: "Medium",
		Channel:   "portal",
		Requester: ticketsync.Person{ID: strconv.FormatInt(requester.ID, 10), Name: "Ada Okafor", Email: "ada@example.com"},
		Assignee:  ticketsync.Person{ID: strconv.FormatInt(f.MeID(), 10), Name: "Clark Kent", Email: "clark@example.com"},
		Tags:      []string{"billing"},
		Comments: []ticketsync.Comment{
			{ID: strconv.FormatInt(note.ID, 10), Author: ticketsync.Person{ID: strconv.FormatInt(f.MeID(), 10)},
				Body: "Checked with billing.", Public: false, CreatedAt: note.CreatedAt},
			{ID: strconv.FormatInt(reply.ID, 10), Author: ticketsync.Person{ID: strconv.FormatInt(requester.ID, 10)},
				Body: "Thanks!", Public: true, CreatedAt: reply.CreatedAt},
		},
		Fields:    map[string]string{"type": "Refund", "group_id": "7", "company_id": "9", "cf_plan": "Pro", "cf_seats": "12"},
		CreatedAt: created, UpdatedAt: updated.UpdatedAt,
	}
	if d := diff(want, got); d != "" {
		t.Error(d)
	}
}

// TestFetchUpdatedSinceInclusiveOrStrict: ten tickets a second, pages of
// ten, so that pages end within a second and each restart queries from a
// second whose tickets were only partly delivered. Freshdesk does not say
// whether updated_since is inclusive; the sync must be whole either way.
func TestFetchUpdatedSinceInclusiveOrStrict(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("StrictSince=%t", strict), func(t *testing.T) {
			f := newFake(t, &freshdesktest.Options{StrictSince: strict})
			f.GenerateTickets(200, &freshdesktest.GenerateOptions{Spacing: 100 * time.Millisecond, Conversations: -1})
			c := connector(t, f, &freshdesk.Config{Domain: f.Domain, PageSize: 10, RequestsPerMinute: -1, ListRequestsPerMinute: -1})
			store := memstore.New()
			syncAll(t, c, store, "")
			expectEqual(t, f, store)
		})
	}
}

// TestFetchPagesShiftMidSync: a ticket read on the first page is updated
// before the second page is asked for. On Freshdesk the ticket moves to
// the end of the listing and the one after it slides back onto the first
// page; a client that follows page numbers never sees that one.
func TestFetchPagesShiftMidSync(t *testing.T) {
	f := newFake(t, nil)
	f.GenerateTickets(50, nil)
	c := connector(t, f, &freshdesk.Config{Domain: f.Domain, PageSize: 10, RequestsPerMinute: -1, ListRequestsPerMinute: -1})
	ctx := context.Background()
	store := memstore.New()
	page, err := fetchLive(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tickets) == 0 {
		t.Fatal("no tickets on the default listing's first page")
	}
	for i := range page.Tickets {
		page.Tickets[i].ConnectorID = "fd"
	}
	if err := store.UpsertTickets(ctx, page.Tickets); err != nil {
		t.Fatal(err)
	}
	first, _ := strconv.ParseInt(page.Tickets[0].ID, 10, 64)
	f.Advance(time.Second)
	if _, err := f.UpdateTicket(first, func(t *freshdesktest.Ticket) { t.Subject += " (edited)" }); err != nil {
		t.Fatal(err)
	}
	syncAll(t, c, store, page.Cursor)
	expectEqual(t, f, store)
}

// TestFetchNamesNewAgents: an agent added after the connector read the
// agents list is looked up when a ticket is assigned to it.
func TestFetchNamesNewAgents(t *testing.T) {
	f := newFake(t, nil)
	tickets := f.GenerateTickets(3, nil)
	c := connector(t, f, nil)
	store := memstore.New()
	cursor, _ := syncAll(t, c, store, "")
	agent := f.CreateAgent(freshdesktest.Agent{Name: "Lois Lane", Email: "lois@example.com"})
	f.Advance(time.Minute)
	if _, err := f.UpdateTicket(tickets[1].ID, func(t *freshdesktest.Ticket) { t.ResponderID = agent.ID }); err != nil {
		t.Fatal(err)
	}
	syncAll(t, c, store, cursor)
	got, _ := store.Ticket(context.Background(), "fd", strconv.FormatInt(tickets[1].ID, 10))
	want := ticketsync.Person{ID: strconv.FormatInt(agent.ID, 10), Name: "Lois Lane", Email: "lois@example.com"}
	if got.Assignee != want {
		t.Errorf("assignee %+v, want %+v", got.Assignee, want)
	}
	if n := f.RequestCount("GET", "/api/v2/agents"); n != 2 {
		t.Errorf("the agents list was read %d times, want 2: once, and again for the new agent", n)
	}
}

// TestFetchCommentWithinTheSecondOfARead: updated_at has whole seconds, so
// a note added in the second a sync read its ticket leaves updated_at
// where it was; the next sync still delivers the note. Once a sync has
// read the ticket after that second ended, it is not delivered again.
func TestFetchCommentWithinTheSecondOfARead(t *testing.T) {
	f := newFake(t, nil)
	f.GenerateTickets(5, nil)
	f.Advance(time.Minute)
	tk, err := f.CreateTicket(freshdesktest.Ticket{Subject: "Busy", DescriptionText: "Changes twice in a second."})
	if err != nil {
		t.Fatal(err)
	}
	c := connector(t, f, nil)
	store := memstore.New()
	cursor, _ := syncAll(t, c, store, "")
	f.Advance(300 * time.Millisecond) // still the second tk was created in
	if _, err := f.AddNote(tk.ID, "Added in the same second."); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.Ticket(tk.ID); !got.UpdatedAt.Equal(tk.UpdatedAt) {
		t.Fatalf("the fake moved updated_at within one second: %s, then %s", tk.UpdatedAt, got.UpdatedAt)
	}
	cursor, _ = syncAll(t, c, store, cursor)
	expectEqual(t, f, store)

	// Read again after the second ended, the ticket is final: the sync
	// after that one delivers nothing.
	f.Advance(3 * time.Second)
	cursor, _ = syncAll(t, c, store, cursor)
	page, err := c.Fetch(context.Background(), cursor)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tickets) != 0 {
		t.Errorf("a sync with nothing changed delivered %d tickets", len(page.Tickets))
	}
}
