package intercom_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/intercom"
	"github.com/ticketsync/ticketsync/intercom/intercomtest"
	"github.com/ticketsync/ticketsync/memstore"
)

// workspace is a fake with a teammate, for the tests below.
type workspace struct {
	*intercomtest.Server
	agent string
}

func newWorkspace(t *testing.T, opts *intercomtest.Options) *workspace {
	t.Helper()
	if opts == nil {
		opts = &intercomtest.Options{}
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	fake := intercomtest.NewServer(t, opts)
	return &workspace{Server: fake, agent: fake.AddAdmin(intercomtest.Admin{Name: "Agnes Agent", Email: "agnes@example.com"})}
}

func (w *workspace) connector(t *testing.T, edit func(*intercom.Config)) *intercom.Connector {
	t.Helper()
	cfg := intercom.Config{AccessToken: w.Token(), BaseURL: w.URL, HTTPClient: w.Client(),
		ClientSecret: w.ClientSecret(), RequestsPerMinute: -1}
	if edit != nil {
		edit(&cfg)
	}
	c, err := intercom.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	intercom.SetClock(c, w.Now, w.Sleep)
	return c
}

// conversation starts a conversation by a new contact, with a reply.
func (w *workspace) conversation(t *testing.T, subject string) string {
	t.Helper()
	ct := w.AddContact(intercomtest.Contact{Name: "Cus " + subject, Email: strings.ReplaceAll(subject, " ", "") + "@example.com"})
	id, err := w.CreateConversation(intercomtest.NewConversation{Subject: subject, Body: "<p>Hello</p>", ContactID: ct})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Reply(id, intercomtest.Author{Type: intercomtest.AuthorAdmin, ID: w.agent}, "<p>On it</p>"); err != nil {
		t.Fatal(err)
	}
	return id
}

// syncAll runs one poll of c through a Syncer into store.
func syncAll(t *testing.T, c ticketsync.Poller, store *memstore.Store) ticketsync.SyncRun {
	t.Helper()
	return syncAllB(t, c, store)
}

func syncAllB(t testing.TB, c ticketsync.Poller, store *memstore.Store) ticketsync.SyncRun {
	t.Helper()
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add("ic", c, ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}
	run, err := s.SyncNow(t.Context(), "ic")
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return run
}

func stored(t *testing.T, store *memstore.Store, id string) ticketsync.Ticket {
	t.Helper()
	got, err := store.Ticket(t.Context(), "ic", id)
	if err != nil {
		t.Fatalf("ticket %q: %v", id, err)
	}
	return got
}

// TestSameSecondShuffledSearchLosesNothing: 400 conversations changed in
// one second come back from the search in an order unrelated to time or
// id, over several pages; a conversation changed again in that same second
// (its updated_at does not move) after the pass delivered it must come
// with the next sync; and a sync with no changes reads nothing again.
func TestSameSecondShuffledSearchLosesNothing(t *testing.T) {
	w := newWorkspace(t, &intercomtest.Options{Seed: 7})
	var ids []string
	for i := range 400 {
		ids = append(ids, w.conversation(t, fmt.Sprintf("Subject %d", i)))
	}
	c := w.connector(t, nil)
	store := memstore.New()

	// Page through the first sync by hand.
	cursor := ""
	for n := 0; ; n++ {
		page, err := c.Fetch(t.Context(), cursor)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 && len(page.Tickets) != intercom.PageSize {
			t.Fatalf("first page holds %d tickets, want %d", len(page.Tickets), intercom.PageSize)
		}
		if err := store.UpsertTickets(t.Context(), withConnector(page.Tickets)); err != nil {
			t.Fatal(err)
		}
		if err := store.SetCursor(t.Context(), "ic", page.Cursor); err != nil {
			t.Fatal(err)
		}
		if !page.More {
			break
		}
		cursor = page.Cursor
	}
	for _, id := range ids {
		stored(t, store, intercom.TicketID(intercom.KindConversation, id))
	}
	if got := len(store.Tickets("ic")); got != 400 {
		t.Errorf("stored %d tickets, want 400", got)
	}
	// A delivered conversation changes again within the same second.
	changed := ids[123]
	if err := w.UpdateConversation(changed, func(cv *intercomtest.Conversation) { cv.Title = "Changed in the same second" }); err != nil {
		t.Fatal(err)
	}
	if cv, _ := w.Conversation(changed); !cv.UpdatedAt.Equal(cv.CreatedAt) {
		t.Fatalf("the change moved updated_at from %s to %s; the test needs it in the same second", cv.CreatedAt, cv.UpdatedAt)
	}

	// The next sync brings the change made in the second the pass saw.
	w.Advance(time.Second)
	syncAll(t, c, store)
	if got := stored(t, store, intercom.TicketID(intercom.KindConversation, changed)); got.Subject != "Changed in the same second" {
		t.Errorf("conversation %s changed during the sync has subject %q after the next sync", changed, got.Subject)
	}

	// 200 more changes in one second, with 50 new conversations.
	w.Advance(time.Minute)
	for _, id := range ids[:200] {
		if err := w.UpdateConversation(id, func(cv *intercomtest.Conversation) { cv.Title = "Batch " + cv.ID }); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		ids = append(ids, w.conversation(t, fmt.Sprintf("Late %d", i)))
	}
	w.Advance(time.Second)
	w.ResetRequests()
	syncAll(t, c, store)
	for _, id := range ids[:200] {
		if got := stored(t, store, intercom.TicketID(intercom.KindConversation, id)); got.Subject != "Batch "+id {
			t.Fatalf("conversation %s has subject %q after the batch, want %q", id, got.Subject, "Batch "+id)
		}
	}
	for _, id := range ids[400:] {
		stored(t, store, intercom.TicketID(intercom.KindConversation, id))
	}

	// Nothing changed: the sync searches, and reads no record again.
	w.Advance(time.Minute)
	w.ResetRequests()
	run := syncAll(t, c, store)
	if run.Tickets != 0 {
		t.Errorf("a sync without changes stored %d tickets", run.Tickets)
	}
	for _, r := range w.Requests() {
		if r.Method == http.MethodGet {
			t.Errorf("a sync without changes read %s", r.Path)
			break
		}
	}
}

func withConnector(ts []ticketsync.Ticket) []ticketsync.Ticket {
	out := make([]ticketsync.Ticket, len(ts))
	for i, t := range ts {
		out[i] = t.Clone()
		out[i].ConnectorID = "ic"
	}
	return out
}

// TestConversationAndTicketWithTheSameIDStayDistinct: Intercom numbers
// conversations and tickets on their own, so both kinds have an id 1.
func TestConversationAndTicketWithTheSameIDStayDistinct(t *testing.T) {
	w := newWorkspace(t, nil)
	conv := w.conversation(t, "A conversation")
	ct := w.AddContact(intercomtest.Contact{Name: "Tess", Email: "tess@example.com"})
	tick, err := w.CreateTicket(intercomtest.NewTicket{Title: "A ticket", ContactID: ct})
	if err != nil {
		t.Fatal(err)
	}
	if conv != tick {
		t.Fatalf("the fake numbered the conversation %s and the ticket %s; the test needs the same id", conv, tick)
	}
	w.Advance(time.Second)
	c := w.connector(t, nil)
	store := memstore.New()
	syncAll(t, c, store)
	cv := stored(t, store, intercom.TicketID(intercom.KindConversation, conv))
	tk := stored(t, store, intercom.TicketID(intercom.KindTicket, tick))
	if cv.Subject != "A conversation" || cv.Fields[intercom.FieldKind] != intercom.KindConversation {
		t.Errorf("conversation stored as %q, kind %q", cv.Subject, cv.Fields[intercom.FieldKind])
	}
	if tk.Subject != "A ticket" || tk.Fields[intercom.FieldKind] != intercom.KindTicket {
		t.Errorf("ticket stored as %q, kind %q", tk.Subject, tk.Fields[intercom.FieldKind])
	}
	got, err := c.GetTickets(t.Context(), []string{cv.ID, tk.ID, conv})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Subject != "A conversation" || got[1].Subject != "A ticket" {
		t.Errorf("GetTickets = %d tickets %+v, want the conversation and the ticket", len(got), got)
	}
}

// TestLongConversationKeepsItsNewest500Parts: Intercom returns the 500
// most recent parts; the ticket says it is truncated.
func TestLongConversationKeepsItsNewest500Parts(t *testing.T) {
	w := newWorkspace(t, nil)
	long := w.conversation(t, "Long")
	short := w.conversation(t, "Short")
	var parts []string
	for i := range 699 {
		w.Advance(time.Second)
		id, err := w.Reply(long, intercomtest.Author{Type: intercomtest.AuthorAdmin, ID: w.agent}, fmt.Sprintf("<p>Reply %d</p>", i))
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, id)
	}
	w.Advance(time.Second)
	store := memstore.New()
	syncAll(t, w.connector(t, nil), store)
	got := stored(t, store, intercom.TicketID(intercom.KindConversation, long))
	if len(got.Comments) != intercom.MaxParts {
		t.Errorf("a conversation of 700 parts is stored with %d comments, want %d", len(got.Comments), intercom.MaxParts)
	}
	if got.Fields[intercom.FieldPartsTruncated] != "true" {
		t.Errorf("Fields[%q] = %q, want \"true\"", intercom.FieldPartsTruncated, got.Fields[intercom.FieldPartsTruncated])
	}
	if n := len(got.Comments); n > 0 && (got.Comments[n-1].ID != parts[len(parts)-1] || got.Comments[0].ID != parts[len(parts)-intercom.MaxParts]) {
		t.Errorf("comments run from %s to %s, want the newest %d parts, %s to %s", got.Comments[0].ID, got.Comments[n-1].ID,
			intercom.MaxParts, parts[len(parts)-intercom.MaxParts], parts[len(parts)-1])
	}
	if s := stored(t, store, intercom.TicketID(intercom.KindConversation, short)); s.Fields[intercom.FieldPartsTruncated] != "" || len(s.Comments) != 1 {
		t.Errorf("a conversation of one part: truncated %q, %d comments", s.Fields[intercom.FieldPartsTruncated], len(s.Comments))
	}
}

// TestWrongRegionNamesTheRegion: a token of an EU workspace sent to the US
// host is refused there and accepted by the EU host; Test says to set
// Config.Region to "EU". A proxy that reaches the EU workspace while the
// connector is configured for the US is caught by GET /me's app.region.
func TestWrongRegionNamesTheRegion(t *testing.T) {
	w := newWorkspace(t, &intercomtest.Options{Region: "EU"})
	c := w.connector(t, func(cfg *intercom.Config) { cfg.BaseURL = w.RegionURL("US") })
	intercom.SetRegionURLs(c, map[string]string{"US": w.RegionURL("US"), "EU": w.RegionURL("EU"), "AU": w.RegionURL("AU")})
	err := c.Test(t.Context())
	switch {
	case err == nil:
		t.Fatal("Test against the wrong region's host returned nil")
	case !errors.Is(err, ticketsync.ErrUnauthorized):
		t.Errorf("Test = %v; want an error matching ErrUnauthorized", err)
	case !strings.Contains(err.Error(), `set Config.Region to "EU"`):
		t.Errorf("Test = %q; want it to say to set Config.Region to \"EU\"", err)
	}
	if err != nil && strings.Contains(err.Error(), w.Token()) {
		t.Error("the error holds the token")
	}

	c = w.connector(t, func(cfg *intercom.Config) { cfg.Region = "AU" })
	err = c.Test(t.Context())
	if !errors.Is(err, ticketsync.ErrNotFound) || !strings.Contains(fmt.Sprint(err), `set Config.Region to "EU"`) {
		t.Errorf("Test with Region AU on the EU workspace = %v; want ErrNotFound naming the EU region", err)
	}

	if err := w.connector(t, func(cfg *intercom.Config) { cfg.Region = "EU" }).Test(t.Context()); err != nil {
		t.Errorf("Test with the right region: %v", err)
	}
}

// TestTestCredentials: a valid token passes; a token that reads /me but not
// conversations is ErrForbidden, naming the permission.
func TestTestCredentials(t *testing.T) {
	w := newWorkspace(t, nil)
	if err := w.connector(t, nil).Test(t.Context()); err != nil {
		t.Errorf("Test with a valid token: %v", err)
	}
	w.AddToken("limited-token-123456", intercomtest.PermReadTickets, intercomtest.PermReadUsers)
	err := w.connector(t, func(cfg *intercom.Config) { cfg.AccessToken = "limited-token-123456" }).Test(t.Context())
	if !errors.Is(err, ticketsync.ErrForbidden) || !strings.Contains(fmt.Sprint(err), `"Read conversations"`) {
		t.Errorf("Test = %v; want ErrForbidden naming \"Read conversations\"", err)
	}
	err = w.connector(t, func(cfg *intercom.Config) { cfg.AccessToken = "wrong-token-123456" }).Test(t.Context())
	if !errors.Is(err, ticketsync.ErrUnauthorized) || !strings.Contains(fmt.Sprint(err), "check the access token") {
		t.Errorf("Test with a wrong token = %v; want ErrUnauthorized saying to check the access token", err)
	}
}

// TestWebhooks: a bad signature is refused with 401, a ping is answered
// 200 and stores nothing, a conversation.deleted leaves a tombstone, and a
// reply notification makes the Syncer read the conversation.
func TestWebhooks(t *testing.T) {
	w := newWorkspace(t, nil)
	keep := w.conversation(t, "Kept")
	gone := w.conversation(t, "Gone")
	w.Advance(time.Second)
	c := w.connector(t, nil)
	store := memstore.New()
	syncAll(t, c, store)
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add("ic", c, ticketsync.ModeWebhook); err != nil {
		t.Fatal(err)
	}
	target := "https://example.test/api/webhooks/tickets?connectorId=ic"
	deliver := func(req *http.Request) int {
		rec := httptest.NewRecorder()
		s.WebhookHandler().ServeHTTP(rec, req.WithContext(t.Context()))
		return rec.Code
	}

	w.Advance(time.Second)
	if _, err := w.Reply(keep, intercomtest.Author{Type: intercomtest.AuthorAdmin, ID: w.agent}, "<p>Second reply</p>"); err != nil {
		t.Fatal(err)
	}
	req, _ := w.WebhookRequest(target, w.NotificationFor("conversation.admin.replied", "conversation", keep))
	req.Header.Set("X-Hub-Signature", intercom.Sign("not-the-client-secret", []byte("{}")))
	if code := deliver(req); code != http.StatusUnauthorized {
		t.Errorf("a delivery with a bad signature was answered %d, want 401", code)
	}
	if got := stored(t, store, intercom.TicketID(intercom.KindConversation, keep)); len(got.Comments) != 1 {
		t.Errorf("a refused delivery changed the stored ticket: %d comments", len(got.Comments))
	}

	req, _ = w.WebhookRequest(target, w.Ping())
	if code := deliver(req); code != http.StatusOK {
		t.Errorf("a ping was answered %d, want 200", code)
	}
	if events, err := c.ParseWebhook(w.Body(w.Ping())); err != nil || len(events) != 0 {
		t.Errorf("ParseWebhook(ping) = %v, %v; want no events and no error", events, err)
	}
	if runs, _ := store.SyncRuns(t.Context(), "ic", 10); len(runs) > 0 && runs[0].Trigger == "webhook" && runs[0].Tickets != 0 {
		t.Errorf("a ping stored %d tickets", runs[0].Tickets)
	}

	req, _ = w.WebhookRequest(target, w.NotificationFor("conversation.admin.replied", "conversation", keep))
	if code := deliver(req); code != http.StatusOK {
		t.Fatalf("a signed reply notification was answered %d, want 200", code)
	}
	if got := stored(t, store, intercom.TicketID(intercom.KindConversation, keep)); len(got.Comments) != 2 {
		t.Errorf("after a reply notification the conversation has %d comments, want 2", len(got.Comments))
	}

	w.Advance(time.Second)
	if err := w.DeleteConversation(gone); err != nil {
		t.Fatal(err)
	}
	var deleted intercomtest.Notification
	for _, n := range w.TakeNotifications() {
		if n.Topic == "conversation.deleted" {
			deleted = n
		}
	}
	if deleted.ItemID != gone {
		t.Fatalf("the fake recorded no conversation.deleted for %s", gone)
	}
	req, _ = w.WebhookRequest(target, deleted)
	if code := deliver(req); code != http.StatusOK {
		t.Fatalf("a conversation.deleted notification was answered %d, want 200", code)
	}
	got := stored(t, store, intercom.TicketID(intercom.KindConversation, gone))
	if !got.Deleted || got.Subject != "Gone" {
		t.Errorf("after conversation.deleted: Deleted %t, Subject %q; want a tombstone keeping the subject", got.Deleted, got.Subject)
	}
}

// Test429WaitsUntilTheStatedReset: Intercom answers 429 with
// X-RateLimit-Reset (unix seconds) and no Retry-After; the connector waits
// until the reset, on the fake's clock, and then goes on.
func Test429WaitsUntilTheStatedReset(t *testing.T) {
	w := newWorkspace(t, nil)
	for i := range 5 {
		w.conversation(t, fmt.Sprintf("Rate %d", i))
	}
	w.Advance(time.Second)
	c := w.connector(t, nil)
	w.RateLimited(1, 7*time.Second)
	reset := w.Now().Add(7 * time.Second)
	store := memstore.New()
	syncAll(t, c, store)
	if n := len(store.Tickets("ic")); n != 5 {
		t.Errorf("stored %d tickets after the 429, want 5", n)
	}
	reqs := w.Requests()
	if len(reqs) < 2 || reqs[0].Status != http.StatusTooManyRequests {
		t.Fatalf("the fake's first answer was not the 429 (%d requests)", len(reqs))
	}
	if reqs[1].At.Before(reset) {
		t.Errorf("the request after the 429 was sent at %s, before the stated reset %s", reqs[1].At, reset)
	}
	if late := reqs[1].At.Sub(reset); late > 2*time.Second {
		t.Errorf("the request after the 429 was sent %s after the stated reset", late)
	}
}

// TestFetchCatchesALateIndex: a change that reaches Intercom's search
// index late, after a newer change of the same kind was synced, still
// arrives: each pass searches again from a little before the newest
// change it saw.
func TestFetchCatchesALateIndex(t *testing.T) {
	w := newWorkspace(t, nil)
	late := w.conversation(t, "Late")
	prompt := w.conversation(t, "Prompt")
	w.Advance(time.Minute)
	c := w.connector(t, nil)
	store := memstore.New()
	syncAll(t, c, store)

	w.SetIndexLag(3 * time.Second)
	if err := w.UpdateConversation(late, func(cv *intercomtest.Conversation) { cv.Title = "Changed late" }); err != nil {
		t.Fatal(err)
	}
	w.SetIndexLag(0)
	w.Advance(time.Second)
	if err := w.UpdateConversation(prompt, func(cv *intercomtest.Conversation) { cv.Title = "Changed at once" }); err != nil {
		t.Fatal(err)
	}
	w.Advance(time.Second)
	syncAll(t, c, store)
	if got := stored(t, store, intercom.TicketID(intercom.KindConversation, prompt)); got.Subject != "Changed at once" {
		t.Fatalf("the prompt change did not arrive: %q", got.Subject)
	}
	if got := stored(t, store, intercom.TicketID(intercom.KindConversation, late)); got.Subject == "Changed late" {
		t.Fatal("the late change arrived before the index saw it; the test needs it late")
	}
	w.Advance(5 * time.Second)
	syncAll(t, c, store)
	if got := stored(t, store, intercom.TicketID(intercom.KindConversation, late)); got.Subject != "Changed late" {
		t.Errorf("a change the search index saw late never arrived: subject %q", got.Subject)
	}
}

// TestFetchMapsTickets checks the mapping of a conversation and a ticket
// in detail, with the ticket_state shapes of 2.11 (a string) and 2.14 (an
// object), and that every request pins Intercom-Version.
func TestFetchMapsTickets(t *testing.T) {
	for _, version := range []string{"2.11", "2.14"} {
		t.Run(version, func(t *testing.T) {
			w := newWorkspace(t, nil)
			ct := w.AddContact(intercomtest.Contact{Name: "Cora Customer", Email: "cora@example.com"})
			conv, err := w.CreateConversation(intercomtest.NewConversation{
				Subject: "<p>Refund &amp; invoice</p>", Body: "<p>Please <b>refund</b> order 7.</p><p>Thanks</p>",
				ContactID: ct, SourceType: "email", Priority: true, Assignee: w.agent, Tags: []string{"billing", "vip"},
				Attributes: map[string]any{"plan": "pro", "seats": 12, "trial": false, "nothing": nil},
			})
			if err != nil {
				t.Fatal(err)
			}
			reply, _ := w.Reply(conv, intercomtest.Author{Type: intercomtest.AuthorUser, ID: ct}, "<p>Any news?</p>")
			note, _ := w.Note(conv, w.agent, "<p>Checking with <i>finance</i></p>")
			if err := w.Assign(conv, w.agent, w.agent); err != nil {
				t.Fatal(err)
			}
			if err := w.SetState(conv, w.agent, "snoozed", w.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			tick, err := w.CreateTicket(intercomtest.NewTicket{Category: intercomtest.CategoryTracker, Title: "Printer broken",
				Description: "<p>It <b>jams</b></p>", ContactID: ct, State: intercomtest.StateWaitingOnCustomer,
				Attributes: map[string]any{"floor": 3}})
			if err != nil {
				t.Fatal(err)
			}
			w.Advance(time.Second)
			store := memstore.New()
			syncAll(t, w.connector(t, func(cfg *intercom.Config) { cfg.APIVersion = version }), store)

			c := stored(t, store, intercom.TicketID(intercom.KindConversation, conv))
			cv, _ := w.Conversation(conv)
			if c.Subject != "Refund & invoice" || c.Description != "Please refund order 7.\n\nThanks" {
				t.Errorf("subject %q, description %q", c.Subject, c.Description)
			}
			if c.Status != ticketsync.StatusOnHold || c.RawStatus != "snoozed" || c.Priority != ticketsync.PriorityHigh ||
				c.RawPriority != "priority" || c.Channel != "email" {
				t.Errorf("status %q (%q), priority %q (%q), channel %q", c.Status, c.RawStatus, c.Priority, c.RawPriority, c.Channel)
			}
			if c.Requester != (ticketsync.Person{ID: ct, Name: "Cora Customer", Email: "cora@example.com"}) ||
				c.Assignee != (ticketsync.Person{ID: w.agent, Name: "Agnes Agent", Email: "agnes@example.com"}) {
				t.Errorf("requester %+v, assignee %+v", c.Requester, c.Assignee)
			}
			if strings.Join(c.Tags, ",") != "billing,vip" || c.Fields["plan"] != "pro" || c.Fields["seats"] != "12" ||
				c.Fields["trial"] != "false" || c.Fields[intercom.FieldKind] != "conversation" {
				t.Errorf("tags %q, fields %v", c.Tags, c.Fields)
			}
			if _, ok := c.Fields["nothing"]; ok {
				t.Errorf("a null attribute became a field")
			}
			if !c.CreatedAt.Equal(cv.CreatedAt) || !c.UpdatedAt.Equal(cv.UpdatedAt) {
				t.Errorf("created %s, updated %s; want %s, %s", c.CreatedAt, c.UpdatedAt, cv.CreatedAt, cv.UpdatedAt)
			}
			// The source is the description, not a comment; assignment and
			// snooze parts are not comments.
			want := []ticketsync.Comment{
				{ID: reply, Author: ticketsync.Person{ID: ct, Name: "Cora Customer", Email: "cora@example.com"}, Body: "Any news?", Public: true},
				{ID: note, Author: ticketsync.Person{ID: w.agent, Name: "Agnes Agent", Email: "agnes@example.com"}, Body: "Checking with finance"},
			}
			if len(c.Comments) != len(want) {
				t.Fatalf("comments %+v, want %d", c.Comments, len(want))
			}
			for i, cm := range c.Comments {
				cm.CreatedAt = time.Time{}
				if cm != want[i] {
					t.Errorf("comment %d = %+v, want %+v", i, cm, want[i])
				}
			}
			if c.URL != "https://app.intercom.com/a/inbox/"+w.AppID()+"/inbox/conversation/"+conv {
				t.Errorf("URL %q", c.URL)
			}

			k := stored(t, store, intercom.TicketID(intercom.KindTicket, tick))
			tk, _ := w.Ticket(tick)
			if k.Subject != "Printer broken" || k.Description != "It jams" || k.Status != ticketsync.StatusPending ||
				k.RawStatus != "waiting_on_customer" || k.Priority != "" || k.Requester.Email != "cora@example.com" {
				t.Errorf("ticket: subject %q, description %q, status %q (%q), priority %q, requester %+v",
					k.Subject, k.Description, k.Status, k.RawStatus, k.Priority, k.Requester)
			}
			if k.Fields[intercom.FieldKind] != "ticket" || k.Fields[intercom.FieldTicketNumber] != tk.TicketID ||
				k.Fields[intercom.FieldCategory] != "Tracker" || k.Fields[intercom.FieldStateLabel] != "Waiting on customer" || k.Fields["floor"] != "3" {
				t.Errorf("ticket fields %v", k.Fields)
			}
			for _, r := range w.Requests() {
				if got := r.Header.Get("Intercom-Version"); got != version {
					t.Errorf("%s %s sent Intercom-Version %q, want %q", r.Method, r.Path, got, version)
					break
				}
			}
		})
	}
}

// TestGetTickets reads both kinds by id, leaves out ids that are not the
// connector's and records Intercom no longer has, resolves every contact
// in bulk, and fails on an error other than 404.
func TestGetTickets(t *testing.T) {
	w := newWorkspace(t, nil)
	convs, tickets, err := w.Seed(30, 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.DeleteConversation(convs[3]); err != nil {
		t.Fatal(err)
	}
	w.Advance(intercomtest.DefaultContactSearchLag)
	c := w.connector(t, nil)
	var ids []string
	for _, id := range convs {
		ids = append(ids, intercom.TicketID(intercom.KindConversation, id))
	}
	for _, id := range tickets {
		ids = append(ids, intercom.TicketID(intercom.KindTicket, id))
	}
	ids = append(ids, "987654321987", "conversation:abc", "ticket:", ids[0])
	w.ResetRequests()
	got, err := c.GetTickets(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 34 {
		t.Errorf("GetTickets returned %d tickets, want 34 (35 records, one deleted)", len(got))
	}
	for _, tk := range got {
		if tk.ID == intercom.TicketID(intercom.KindConversation, convs[3]) {
			t.Errorf("GetTickets returned the deleted conversation")
		}
		if tk.Requester.Email == "" || len(tk.Comments) != 2 {
			t.Errorf("%s: requester %+v, %d comments", tk.ID, tk.Requester, len(tk.Comments))
		}
	}
	if n := w.RequestCount("POST", "/contacts/search"); n != 1 {
		t.Errorf("35 records' contacts took %d contact searches, want 1", n)
	}
	if n := w.RequestCount("GET", "/contacts/"); n != 0 {
		t.Errorf("%d contacts were read one by one", n)
	}

	// A contact search that refuses the id list falls back to reads by id.
	w.InjectFault(intercomtest.Fault{Method: "POST", Path: "/contacts/search", Status: http.StatusBadRequest})
	w.ResetRequests()
	got, err = w.connector(t, nil).GetTickets(t.Context(), ids[:3])
	if err != nil || len(got) != 3 || got[2].Requester.Email == "" {
		t.Errorf("GetTickets after a refused contact search: %v, %d tickets", err, len(got))
	}
	if n := w.RequestCount("GET", "/contacts/"); n != 3 {
		t.Errorf("after a refused contact search, %d contacts were read by id, want 3", n)
	}

	w.InjectFault(intercomtest.Fault{Method: "GET", Path: "/conversations/", Status: http.StatusBadRequest})
	if _, err := w.connector(t, nil).GetTickets(t.Context(), ids[:3]); err == nil {
		t.Error("GetTickets returned no error for a 400")
	}
}

// TestFetchPagesAgainAfterARefusedStartingAfter: a starting_after that the
// search refuses (400) makes the pass page again from its first page,
// rather than failing every run after it.
func TestFetchPagesAgainAfterARefusedStartingAfter(t *testing.T) {
	w := newWorkspace(t, nil)
	convs, _, err := w.Seed(400, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Advance(time.Second)
	c := w.connector(t, nil)
	store := memstore.New()
	page, err := c.Fetch(t.Context(), "")
	if err != nil || !page.More {
		t.Fatalf("first page: %v, more %t", err, page.More)
	}
	if err := store.UpsertTickets(t.Context(), withConnector(page.Tickets)); err != nil {
		t.Fatal(err)
	}
	w.InjectFault(intercomtest.Fault{Method: "POST", Path: "/conversations/search", Status: http.StatusBadRequest,
		Body: `{"type":"error.list","errors":[{"code":"parameter_invalid","message":"starting_after is invalid"}]}`})
	for cursor := page.Cursor; ; {
		page, err := c.Fetch(t.Context(), cursor)
		if err != nil {
			t.Fatalf("Fetch after a refused starting_after: %v", err)
		}
		if err := store.UpsertTickets(t.Context(), withConnector(page.Tickets)); err != nil {
			t.Fatal(err)
		}
		if !page.More {
			break
		}
		cursor = page.Cursor
	}
	if n := len(store.Tickets("ic")); n != len(convs) {
		t.Errorf("stored %d conversations, want %d", n, len(convs))
	}
	// Paging again reads the first page's conversations again, at most.
	if n := w.RequestCount("GET", "/conversations/"); n > len(convs)+intercom.PageSize {
		t.Errorf("read %d conversations by id for %d", n, len(convs))
	}
}

// TestFetchFindsChangesThatMovedToPagesAlreadyRead: while a long pass
// pages, conversations it delivered change and move in the search's order,
// some to pages already read, and a later change is seen on a later page;
// the next sync still brings every change.
func TestFetchFindsChangesThatMovedToPagesAlreadyRead(t *testing.T) {
	w := newWorkspace(t, &intercomtest.Options{Seed: 3})
	if _, _, err := w.Seed(600, 0, 0); err != nil {
		t.Fatal(err)
	}
	w.Advance(time.Minute)
	c := w.connector(t, nil)
	store := memstore.New()
	page, err := c.Fetch(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.UpsertTickets(t.Context(), withConnector(page.Tickets)); err != nil {
		t.Fatal(err)
	}
	// Ten seconds into the pass, the first page's conversations change.
	w.Advance(10 * time.Second)
	var changed []string
	for _, tk := range page.Tickets {
		_, id, _ := intercom.ParseTicketID(tk.ID)
		if err := w.UpdateConversation(id, func(cv *intercomtest.Conversation) { cv.Title = "During the pass " + cv.ID }); err != nil {
			t.Fatal(err)
		}
		changed = append(changed, id)
	}
	// Later still, changes the pass will see on its later pages.
	w.Advance(20 * time.Second)
	for _, id := range w.ConversationIDs(false)[500:] {
		if slices.Contains(changed, id) {
			continue
		}
		if err := w.UpdateConversation(id, func(cv *intercomtest.Conversation) { cv.Title = "Later " + cv.ID }); err != nil {
			t.Fatal(err)
		}
	}
	for cursor := page.Cursor; ; {
		page, err := c.Fetch(t.Context(), cursor)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.UpsertTickets(t.Context(), withConnector(page.Tickets)); err != nil {
			t.Fatal(err)
		}
		if err := store.SetCursor(t.Context(), "ic", page.Cursor); err != nil {
			t.Fatal(err)
		}
		if !page.More {
			break
		}
		cursor = page.Cursor
	}
	w.Advance(time.Minute)
	syncAll(t, c, store)
	var missed int
	for _, id := range changed {
		if got := stored(t, store, intercom.TicketID(intercom.KindConversation, id)); got.Subject != "During the pass "+id {
			missed++
		}
	}
	if missed > 0 {
		t.Errorf("%d of %d conversations changed during a pass never arrived", missed, len(changed))
	}
}
