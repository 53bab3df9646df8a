package zendesk_test

import (
	"context"
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

// The tests of this file each model one way the real Zendesk API differs
// from a kind one; each failed against the connector before it handled
// that difference.

// stored returns the stored copy of fake ticket id.
func stored(t *testing.T, store *memstore.Store, id int64) ticketsync.Ticket {
	t.Helper()
	got, err := store.Ticket(context.Background(), "zd", strconv.FormatInt(id, 10))
	if err != nil {
		t.Fatalf("ticket %d: %v", id, err)
	}
	return got
}

// syncRun runs one poll and returns its error, for runs expected to fail.
func syncRun(c ticketsync.Connector, store *memstore.Store) error {
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add("zd", c, ticketsync.ModePoll); err != nil {
		return err
	}
	_, err := s.SyncNow(context.Background(), "zd")
	return err
}

// TestAIAgentTicketsArrive: the exports leave out AI-agent tickets unless
// asked with support_type_scope=all.
func TestAIAgentTicketsArrive(t *testing.T) {
	f := newFake(t, nil)
	human, _ := f.CreateTicket(zendesktest.Ticket{Subject: "Printer jam", Description: "Paper stuck."})
	bot, err := f.CreateTicket(zendesktest.Ticket{Subject: "Where is my order?", Description: "Order 551.", AIAgent: true})
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(2 * time.Minute)
	store := memstore.New()
	syncAll(t, newConn(t, f, nil), store)
	for _, id := range []int64{human.ID, bot.ID} {
		if got := stored(t, store, id); len(got.Comments) != 1 {
			t.Errorf("ticket %d: %d comments, want 1", id, len(got.Comments))
		}
	}
	for _, r := range f.Requests() {
		if strings.Contains(r.Path, "/incremental/") && r.Query.Get("support_type_scope") != "all" {
			t.Errorf("%s without support_type_scope=all", r.Path)
		}
	}
}

// TestCommentsNeverBlockTickets: a ticket_events page that keeps failing
// must not hold back the ticket export.
func TestCommentsNeverBlockTickets(t *testing.T) {
	f := newFake(t, nil)
	seeded := f.Seed(30)
	f.InjectFault(zendesktest.Fault{Path: "/api/v2/incremental/ticket_events.json", Status: http.StatusGatewayTimeout, Count: -1})
	c := newConn(t, f, nil)
	store := memstore.New()
	if err := syncRun(c, store); err == nil {
		t.Error("a run whose comments cannot be read succeeded; want it to fail and be retried")
	}
	if n := store.Len("zd"); n != len(seeded) {
		t.Fatalf("with the events export failing: %d tickets stored, want all %d", n, len(seeded))
	}
	f.ClearFaults()
	syncAll(t, c, store)
	for _, s := range seeded {
		if got := stored(t, store, s.ID); len(got.Comments) != len(f.Comments(s.ID)) || got.Subject != s.Subject {
			t.Errorf("ticket %d after recovery: %d comments, want %d", s.ID, len(got.Comments), len(f.Comments(s.ID)))
		}
	}
}

// TestLargeEventPagesTimeOut: Zendesk answers 504 for event pages that
// take too long to build; smaller pages get through.
func TestLargeEventPagesTimeOut(t *testing.T) {
	f := newFake(t, &zendesktest.Options{EventTimeoutAbove: 150})
	seeded := f.GenerateTickets(120, nil) // about 780 updates
	c := newConn(t, f, nil)
	store := memstore.New()
	syncAll(t, c, store)
	for _, s := range seeded {
		if got := stored(t, store, s.ID); len(got.Comments) != len(f.Comments(s.ID)) {
			t.Fatalf("ticket %d: %d comments, want %d", s.ID, len(got.Comments), len(f.Comments(s.ID)))
		}
	}
	ok := 0
	for _, r := range f.Requests() {
		if strings.HasSuffix(r.Path, "ticket_events.json") && r.Status == http.StatusOK {
			if n, _ := strconv.Atoi(r.Query.Get("per_page")); n == 0 || n > 150 {
				t.Errorf("an events page of per_page %q got through", r.Query.Get("per_page"))
			}
			ok++
		}
	}
	if ok == 0 {
		t.Error("no events page was read")
	}
}

// TestFullSecondOfEvents: 1,500 comments made within one second. The
// events export answers the same 1,000 for that second over and over; none
// may be lost, and the sync must end.
func TestFullSecondOfEvents(t *testing.T) {
	f := newFake(t, nil)
	tk, err := f.CreateTicket(zendesktest.Ticket{Subject: "Imported history", Description: "First."})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1499 {
		if _, err := f.AddComment(tk.ID, zendesktest.Comment{Body: "imported " + strconv.Itoa(i), Public: true}); err != nil {
			t.Fatal(err)
		}
	}
	f.Advance(2 * time.Minute)
	store := memstore.New()
	syncAll(t, newConn(t, f, nil), store)
	if got := stored(t, store, tk.ID); len(got.Comments) != 1500 {
		t.Errorf("%d of 1500 comments made within one second stored", len(got.Comments))
	}
	if n := f.RequestCount("GET", "/api/v2/incremental/ticket_events.json"); n > 10 {
		t.Errorf("%d events requests for one second of events: looping on it", n)
	}
}

// TestPrivacyChangeAndRedaction: a comment made private must stop being
// public, and redacted text must leave the Store, in poll mode.
func TestPrivacyChangeAndRedaction(t *testing.T) {
	const card = "4111 1111 1111 1111"
	f := newFake(t, nil)
	tk, _ := f.CreateTicket(zendesktest.Ticket{Subject: "Payment", Description: "I cannot pay."})
	leak, _ := f.AddComment(tk.ID, zendesktest.Comment{Body: "My card is " + card + ", expiry 12/29.", Public: true})
	oops, err := f.AddComment(tk.ID, zendesktest.Comment{AuthorID: f.AdminID(), Body: "Escalating to billing; they said the customer is difficult.", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	// Later activity elsewhere, so that the next poll does not read the
	// comments' second again.
	f.Advance(time.Minute)
	if _, err := f.CreateTicket(zendesktest.Ticket{Subject: "Other", Description: "Later."}); err != nil {
		t.Fatal(err)
	}
	f.Advance(2 * time.Minute)
	c := newConn(t, f, nil)
	store := memstore.New()
	syncAll(t, c, store)
	if got := stored(t, store, tk.ID); !strings.Contains(got.Comments[1].Body, card) {
		t.Fatalf("the first sync did not store the comment: %+v", got.Comments)
	}

	if err := f.MakeCommentPrivate(tk.ID, oops.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.RedactComment(tk.ID, leak.ID, card); err != nil {
		t.Fatal(err)
	}
	f.Advance(2 * time.Minute)
	syncAll(t, c, store)
	got := stored(t, store, tk.ID)
	for _, cm := range got.Comments {
		if strings.Contains(cm.Body, card) {
			t.Errorf("comment %s still holds the redacted card number: %q", cm.ID, cm.Body)
		}
		if cm.ID == strconv.FormatInt(oops.ID, 10) && cm.Public {
			t.Errorf("comment %s was made private but is stored public", cm.ID)
		}
	}
	if len(got.Comments) != 3 {
		t.Errorf("%d comments stored, want 3", len(got.Comments))
	}
}

// TestOneCommentText: a comment must read the same whether it came by
// polling or through GetTickets (webhooks): Zendesk's plain_body differs
// from body.
func TestOneCommentText(t *testing.T) {
	f := newFake(t, nil)
	seeded := f.Seed(12)
	c := newConn(t, f, nil)
	store := memstore.New()
	syncAll(t, c, store)
	var ids []string
	for _, s := range seeded {
		ids = append(ids, strconv.FormatInt(s.ID, 10))
	}
	got, err := c.GetTickets(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	multiline := 0
	for _, tk := range got {
		polled, err := store.Ticket(context.Background(), "zd", tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		bodies := map[string]string{}
		for _, cm := range polled.Comments {
			bodies[cm.ID] = cm.Body
		}
		for _, cm := range tk.Comments {
			if bodies[cm.ID] != cm.Body {
				t.Errorf("comment %s: polled %q, loaded by id %q", cm.ID, bodies[cm.ID], cm.Body)
			}
			if strings.Contains(cm.Body, "\n") {
				multiline++
			}
		}
	}
	if multiline == 0 {
		t.Error("no comment had paragraphs; the test shows nothing")
	}
}

// TestCommentAuthorsInBulk: comments by people on no page's sideload (a
// second agent, a CC) are named through users/show_many, 100 at a time,
// also by a connector that has just started.
func TestCommentAuthorsInBulk(t *testing.T) {
	f := newFake(t, nil)
	tickets := f.Seed(3)
	f.Advance(2 * time.Minute)
	store := memstore.New()
	syncAll(t, newConn(t, f, nil), store)

	var authors []zendesktest.User
	for i := range 150 {
		u, err := f.CreateUser(zendesktest.User{Role: "agent", Name: "Second Agent " + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		authors = append(authors, u)
		if _, err := f.AddComment(tickets[i%3].ID, zendesktest.Comment{AuthorID: u.ID, Body: "Looking into it.", Public: false}); err != nil {
			t.Fatal(err)
		}
	}
	f.Advance(2 * time.Minute)
	f.ResetRequests()
	syncAll(t, newConn(t, f, nil), store) // a new connector: an empty cache
	names := map[string]string{}
	for _, tk := range tickets {
		for _, cm := range stored(t, store, tk.ID).Comments {
			names[cm.Author.ID] = cm.Author.Name
		}
	}
	for _, u := range authors {
		if got := names[strconv.FormatInt(u.ID, 10)]; got != u.Name {
			t.Errorf("author %d named %q, want %q", u.ID, got, u.Name)
		}
	}
	if n := f.RequestCount("GET", "/api/v2/users/show_many.json"); n != 2 {
		t.Errorf("%d users/show_many requests for 150 authors, want 2", n)
	}
	for _, r := range f.Requests() {
		if strings.HasPrefix(r.Path, "/api/v2/users/") && !strings.HasPrefix(r.Path, "/api/v2/users/show_many") {
			t.Errorf("a request per user: %s", r.Path)
		}
	}
}

// TestTriggerTimeToTheMinute: {{ticket.updated_at_with_timestamp}} renders
// without seconds; a delete delivered with it must not be older than the
// change it follows.
func TestTriggerTimeToTheMinute(t *testing.T) {
	f := newFake(t, nil)
	tk := f.Seed(1)[0]
	f.Advance(42 * time.Second)
	updated, err := f.UpdateTicket(tk.ID, func(t *zendesktest.Ticket) { t.Status = "open" })
	if err != nil {
		t.Fatal(err)
	}
	body, err := f.TriggerPayload(tk.ID, `{"ticket_id":"{{ticket.id}}","event":"deleted","updated_at":"{{ticket.updated_at_with_timestamp}}"}`)
	if err != nil {
		t.Fatal(err)
	}
	events, err := newConn(t, f, nil).ParseWebhook(body)
	if err != nil || len(events) != 1 {
		t.Fatalf("ParseWebhook(%s): %v, %v", body, events, err)
	}
	if at := events[0].At; at.Before(updated.UpdatedAt) || at.Sub(updated.UpdatedAt) >= time.Minute {
		t.Errorf("event time %s from %s; want within the minute after the change at %s", at, body, updated.UpdatedAt)
	}
}

// TestChannelWords: Zendesk's via.channel words become the contract's,
// and the raw word stays in Fields.
func TestChannelWords(t *testing.T) {
	f := newFake(t, nil)
	want := map[string]string{"voice": "phone", "native_messaging": "chat", "chat_transcript": "chat",
		"any_channel": "chat", "web_widget": "web", "email": "email", "facebook": "social"}
	ids := map[string]int64{}
	for raw := range want {
		tk, err := f.CreateTicket(zendesktest.Ticket{Subject: raw, Description: "hi", Channel: raw})
		if err != nil {
			t.Fatal(err)
		}
		ids[raw] = tk.ID
	}
	f.Advance(2 * time.Minute)
	store := memstore.New()
	syncAll(t, newConn(t, f, nil), store)
	for raw, word := range want {
		got := stored(t, store, ids[raw])
		if got.Channel != word || got.Fields[zendesk.FieldChannel] != raw {
			t.Errorf("via.channel %q: Channel %q, Fields[%q] %q; want %q and the raw word", raw, got.Channel,
				zendesk.FieldChannel, got.Fields[zendesk.FieldChannel], word)
		}
	}
}

// TestFacebookAndVoiceComments: comments carried by FacebookComment and
// VoiceComment audit events are comments too.
func TestFacebookAndVoiceComments(t *testing.T) {
	f := newFake(t, nil)
	tk, _ := f.CreateTicket(zendesktest.Ticket{Subject: "From our page", Description: "Hello", Channel: "facebook"})
	fb, _ := f.AddComment(tk.ID, zendesktest.Comment{Type: "FacebookComment", Body: "Any news on my refund?", Public: true, Channel: "facebook"})
	call, err := f.AddComment(tk.ID, zendesktest.Comment{AuthorID: f.AdminID(), Type: "VoiceComment", Body: "Call recording: refund confirmed.", Public: false, Channel: "voice"})
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(2 * time.Minute)
	store := memstore.New()
	syncAll(t, newConn(t, f, nil), store)
	got := map[string]string{}
	for _, cm := range stored(t, store, tk.ID).Comments {
		got[cm.ID] = cm.Body
	}
	for _, cm := range []zendesktest.Comment{fb, call} {
		if got[strconv.FormatInt(cm.ID, 10)] != cm.Body {
			t.Errorf("%s %d missing: stored %v", cm.Type, cm.ID, got)
		}
	}
}

// TestStartTimeTooRecent400: Zendesk also answers a start_time within the
// last minute with 400 StartTimeTooRecent; that means "nothing yet", not a
// failed run.
func TestStartTimeTooRecent400(t *testing.T) {
	f := newFake(t, nil)
	f.InjectFault(zendesktest.Fault{Path: "/api/v2/incremental/tickets/cursor.json", Status: http.StatusBadRequest,
		Body: `{"error":"StartTimeTooRecent","description":"Too recent start_time. Use a start_time older than one minute"}`})
	c := newConn(t, f, func(cfg *zendesk.Config) { cfg.StartTime = t0.Add(-30 * time.Second) })
	p, err := c.Fetch(context.Background(), "")
	if err != nil || len(p.Tickets) != 0 || p.Cursor == "" {
		t.Fatalf("Fetch with a too recent start answered 400: %+v, %v; want nothing yet and a cursor", p, err)
	}
	if _, err := f.CreateTicket(zendesktest.Ticket{Subject: "fresh", Description: "hi"}); err != nil {
		t.Fatal(err)
	}
	f.Advance(2 * time.Minute)
	got, _ := fetchAll(t, c, p.Cursor)
	if len(got) != 1 || got[0].Subject != "fresh" {
		t.Errorf("after the hold-back: %+v", got)
	}
}

// TestCrowdedSecondWithSmallPages: pages shrunk after timeouts meet a
// second holding more events than they do. The connector asks for that
// second in one large page, and when that times out too, reloads the
// second's comments another way; it neither loses them nor loops.
func TestCrowdedSecondWithSmallPages(t *testing.T) {
	f := newFake(t, &zendesktest.Options{EventTimeoutAbove: 600})
	tk, err := f.CreateTicket(zendesktest.Ticket{Subject: "Imported history", Description: "First."})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 699 {
		if _, err := f.AddComment(tk.ID, zendesktest.Comment{Body: "imported " + strconv.Itoa(i), Public: true}); err != nil {
			t.Fatal(err)
		}
	}
	f.Advance(2 * time.Minute)
	store := memstore.New()
	syncAll(t, newConn(t, f, nil), store)
	if got := stored(t, store, tk.ID); len(got.Comments) != 700 {
		t.Errorf("%d of 700 comments made within one second stored", len(got.Comments))
	}
	if n := f.RequestCount("GET", "/api/v2/incremental/ticket_events.json"); n > 30 {
		t.Errorf("%d events requests: looping on the second", n)
	}
}
