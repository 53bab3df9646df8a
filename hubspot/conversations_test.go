package hubspot_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/hubspot"
	"github.com/ticketsync/ticketsync/hubspot/hubspottest"
)

// Help-desk conversations live in inbox threads; their messages arrive as
// comments, by polling, even though a new message does not move the
// ticket's modification time, and without a request per ticket.
func TestConversationThreadsAreComments(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	var ids []string
	for range 30 {
		ids = append(ids, fake.CreateTicket(map[string]string{"subject": "chat"}))
	}
	th := fake.AddThread(ids[4], hubspottest.Thread{Channel: "1000"})
	fake.AddMessage(th, hubspottest.Message{Direction: "INCOMING", Text: "my printer is on fire", SenderID: "V-1", SenderName: "Ada", SenderEmail: "ada@example.com"})
	fake.Advance(time.Second)
	fake.AddMessage(th, hubspottest.Message{Type: "COMMENT", RichText: "<p>escalate <b>now</b></p>", SenderID: "A-7", SenderName: "Agnes Agent"})
	fake.Advance(time.Minute)
	r1 := drain(t, c, "")
	got := r1.tickets[ids[4]].Comments
	if len(got) != 2 || !got[0].Public || got[0].Body != "my printer is on fire" || got[0].Author.Email != "ada@example.com" ||
		got[1].Public || got[1].Body != "escalate now" || got[1].Author.Name != "Agnes Agent" {
		t.Fatalf("thread comments = %+v", got)
	}

	// A new message later: the ticket's hs_lastmodifieddate stays, polling
	// still delivers it.
	fake.Advance(10 * time.Minute)
	fake.AddMessage(th, hubspottest.Message{Direction: "OUTGOING", Text: "on our way", SenderID: "A-7", SenderName: "Agnes Agent"})
	th2 := fake.AddThread(ids[20], hubspottest.Thread{})
	fake.AddMessage(th2, hubspottest.Message{Direction: "INCOMING", Text: "hello", SenderID: "V-2"})
	fake.Advance(time.Minute)
	fake.ResetRequests()
	r2 := drain(t, c, r1.cursor)
	if cm := r2.tickets[ids[4]].Comments; len(cm) == 0 || cm[len(cm)-1].Body != "on our way" {
		t.Errorf("second run, ticket %s comments = %+v", ids[4], cm)
	}
	if cm := r2.tickets[ids[20]].Comments; len(cm) != 1 || cm[0].Body != "hello" {
		t.Errorf("second run, ticket %s comments = %+v", ids[20], cm)
	}
	if n := fake.RequestCount("GET", "/conversations/v3/conversations/threads"); n != 1 {
		t.Errorf("%d thread listings, want 1", n)
	}
	if n := fake.RequestCount("GET", "/conversations/v3/conversations/threads/"); n != 2 {
		t.Errorf("%d message reads for 2 changed threads, want 2", n)
	}
}

func TestConversationsScopeNamed(t *testing.T) {
	fake, _ := newPair(t, nil, nil)
	fake.AddToken("pat-na1-no-inbox", hubspottest.ScopeTickets, hubspottest.ScopeContactsRead)
	c := newConnector(t, fake, func(cfg *hubspot.Config) { cfg.PrivateAppToken = "pat-na1-no-inbox" })
	err := c.Test(t.Context())
	if !errors.Is(err, ticketsync.ErrForbidden) || !slices.Equal(hubspot.MissingScopes(err), []string{hubspot.ScopeConversations}) ||
		!strings.Contains(err.Error(), "SkipConversations") {
		t.Errorf("Test without conversations.read: %v", err)
	}
	skip := newConnector(t, fake, func(cfg *hubspot.Config) { cfg.PrivateAppToken = "pat-na1-no-inbox"; cfg.SkipConversations = true })
	if err := skip.Test(t.Context()); err != nil {
		t.Errorf("Test with SkipConversations: %v", err)
	}
	// A sync degrades: tickets arrive, the inbox is skipped.
	id := fake.CreateTicket(nil)
	fake.AddMessage(fake.AddThread(id, hubspottest.Thread{}), hubspottest.Message{Text: "hi"})
	if r := drain(t, c, ""); len(r.tickets) != 1 {
		t.Errorf("sync without the scope: %v", r.seen)
	}
}

// The thread list is sorted by latest message, which moves while it is
// paged: a thread that gets a message between two pages must not push
// another one past the reader.
func TestThreadsPagedWhileTheyChange(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	var threads []string
	want := map[string]bool{}
	for i := range 150 {
		id := fake.CreateTicket(nil)
		th := fake.AddThread(id, hubspottest.Thread{})
		fake.AddMessage(th, hubspottest.Message{Text: fmt.Sprint("m", i)})
		threads = append(threads, th)
		want[id] = true
		fake.Advance(time.Second)
	}
	fake.Advance(time.Minute)
	got := map[string]bool{}
	cursor, moved := "", false
	for {
		page, err := c.Fetch(t.Context(), cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range page.Tickets {
			if len(tk.Comments) > 0 {
				got[tk.ID] = true
			}
		}
		if !moved && fake.RequestCount("GET", "/conversations/v3/conversations/threads") == 1 {
			// Between the first and the second page of threads.
			fake.AddMessage(threads[3], hubspottest.Message{Text: "moved to the end"})
			moved = true
		}
		cursor = page.Cursor
		if !page.More {
			break
		}
	}
	for id := range want {
		if !got[id] {
			t.Errorf("ticket %s: its thread's messages never arrived", id)
		}
	}
}
