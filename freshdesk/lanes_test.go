package freshdesk_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/freshdesk"
	"github.com/ticketsync/ticketsync/freshdesk/freshdesktest"
	"github.com/ticketsync/ticketsync/memstore"
)

// lanePage is one page Fetch returned, with the checkpoint DescribeCursor
// gives its cursor.
type lanePage struct {
	tickets    []ticketsync.Ticket
	checkpoint time.Time
}

// drainLane calls Fetch from cursor until caught up and returns its pages.
func drainLane(t *testing.T, c *freshdesk.Connector, cursor string) []lanePage {
	t.Helper()
	var pages []lanePage
	for n := 0; ; n++ {
		if n > 1000 {
			t.Fatal("no end after 1000 pages")
		}
		page, err := c.Fetch(context.Background(), cursor)
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if page.Cursor == "" {
			t.Fatal("Fetch returned no cursor")
		}
		cursor = page.Cursor
		info, err := c.DescribeCursor(cursor)
		if err != nil {
			t.Fatalf("DescribeCursor of a cursor Fetch returned: %v", err)
		}
		pages = append(pages, lanePage{tickets: page.Tickets, checkpoint: info.Checkpoint})
		if !page.More {
			return pages
		}
	}
}

// newest keeps the newest copy of each ticket the pages delivered.
func newest(pages []lanePage) map[string]ticketsync.Ticket {
	got := map[string]ticketsync.Ticket{}
	for _, p := range pages {
		for _, tk := range p.tickets {
			if old, ok := got[tk.ID]; !ok || !tk.UpdatedAt.Before(old.UpdatedAt) {
				got[tk.ID] = tk
			}
		}
	}
	return got
}

// TestStartCursorStartsTheLiveLaneAtATime: over 40 hours of history, a
// cursor started at since reads the tickets changed since then, with all
// their conversations, and the tickets moved to the trash or spam since
// then, and nothing before; a ticket changed within since's second, after
// since, whose updated_at (whole seconds) reads before since, is not lost,
// whether updated_since is inclusive or not. The empty cursor reads it
// all. Checkpoints: the live lane's are never before since; the backfill
// lane's reach since only once every ticket changed before since has been
// delivered, the tombstones of the trash included, and before its end.
func TestStartCursorStartsTheLiveLaneAtATime(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("StrictSince=%t", strict), func(t *testing.T) {
			testStartCursor(t, strict)
		})
	}
}

func testStartCursor(t *testing.T, strict bool) {
	f := newFake(t, &freshdesktest.Options{StrictSince: strict})
	f.SetNow(t0.Add(-40 * time.Hour))
	var ids []int64
	var since time.Time
	for i := range 40 {
		if i == 30 {
			// since falls within a second; ticket 30 is created later
			// in that second, and its updated_at is the second's start.
			f.Advance(300 * time.Millisecond)
			since = f.Now()
			f.Advance(400 * time.Millisecond)
		}
		if i == 20 {
			if err := f.DeleteTicket(ids[7]); err != nil { // in the history: the backfill's
				t.Fatal(err)
			}
		}
		tk, err := f.CreateTicket(freshdesktest.Ticket{Subject: "ticket " + strconv.Itoa(i), DescriptionText: "first message"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.AddReply(tk.ID, "a reply", i%2 == 0); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if _, err := f.AddNote(tk.ID, "a note"); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, tk.ID)
		f.Advance(time.Hour)
	}
	// After since: an old ticket gets a reply, one is deleted, one is
	// marked as spam.
	if _, err := f.AddReply(ids[3], "a late reply", true); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Minute)
	if err := f.DeleteTicket(ids[5]); err != nil {
		t.Fatal(err)
	}
	if err := f.MarkSpam(ids[6]); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Hour)
	if tk, _ := f.Ticket(ids[30]); !tk.UpdatedAt.Before(since) {
		t.Fatalf("ticket 30 updated at %s, not before since %s: the boundary is not tested", tk.UpdatedAt, since)
	}
	c := connector(t, f, &freshdesk.Config{Domain: f.Domain, PageSize: 5, RequestsPerMinute: -1, ListRequestsPerMinute: -1})

	// The live lane.
	cur, err := c.StartCursor(since)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.DescribeCursor(cur)
	if err != nil || info.Checkpoint.Before(since) {
		t.Errorf("StartCursor's cursor: checkpoint %s, %v; want at or after %s", info.Checkpoint, err, since)
	}
	f.ResetRequests()
	livePages := drainLane(t, c, cur)
	from := since.Truncate(time.Second).Add(-time.Second)
	for _, r := range f.Requests() {
		if r.Path != "/api/v2/tickets" {
			continue
		}
		at, err := time.Parse(time.RFC3339, r.Query.Get("updated_since"))
		if err != nil || at.Before(from) {
			t.Errorf("the live lane listed tickets with updated_since %q: before its start, or none", r.Query.Get("updated_since"))
		}
	}
	prev := since
	for i, p := range livePages {
		if p.checkpoint.Before(prev) {
			t.Errorf("live lane page %d: checkpoint %s, before %s", i, p.checkpoint, prev)
		}
		prev = p.checkpoint
	}
	if newestChange := t0.Add(-time.Hour); prev.Before(newestChange) {
		t.Errorf("the live lane caught up, and its checkpoint %s is before the last change %s", prev, newestChange)
	}
	live := newest(livePages)
	want := map[string]string{strconv.FormatInt(ids[3], 10): "", strconv.FormatInt(ids[5], 10): "deleted", strconv.FormatInt(ids[6], 10): "spam"}
	for i := 30; i < 40; i++ {
		want[strconv.FormatInt(ids[i], 10)] = ""
	}
	for id := range live {
		if _, ok := want[id]; !ok {
			t.Errorf("the live lane read ticket %s, which did not change since %s", id, since)
		}
	}
	for id, tomb := range want {
		tk, ok := live[id]
		if !ok {
			t.Errorf("the live lane did not read ticket %s, which changed since its start", id)
			continue
		}
		if tomb != "" {
			if !tk.Deleted || tk.Fields[tomb] != "true" {
				t.Errorf("ticket %s, moved to %s since the live lane's start: Deleted %t, Fields %v; want a %s tombstone", id, tomb, tk.Deleted, tk.Fields, tomb)
			}
			continue
		}
		n, _ := strconv.ParseInt(id, 10, 64)
		if conv := f.Conversations(n); tk.Deleted || len(tk.Comments) != len(conv) || len(conv) == 0 {
			t.Errorf("ticket %s in the live lane: Deleted %t, %d comments; want live, with its %d conversations", id, tk.Deleted, len(tk.Comments), len(conv))
		}
	}

	// The backfill lane.
	if info, err := c.DescribeCursor(""); err != nil || !info.Checkpoint.IsZero() {
		t.Errorf("DescribeCursor(\"\") = checkpoint %s, %v; want zero", info.Checkpoint, err)
	}
	backPages := drainLane(t, c, "")
	back := newest(backPages)
	if len(back) != 40 {
		t.Errorf("the backfill lane read %d tickets, want 40", len(back))
	}
	for i, tomb := range map[int]string{5: "deleted", 6: "spam", 7: "deleted"} {
		if tk := back[strconv.FormatInt(ids[i], 10)]; !tk.Deleted || tk.Fields[tomb] != "true" {
			t.Errorf("ticket %d in the backfill lane: Deleted %t, Fields %v; want a %s tombstone", i, tk.Deleted, tk.Fields, tomb)
		}
	}
	history := map[string]bool{}
	for _, tk := range f.Tickets() {
		if tk.UpdatedAt.Before(since) {
			history[strconv.FormatInt(tk.ID, 10)] = true
		}
	}
	delivered := map[string]bool{}
	reached, midway := -1, false
	var last time.Time
	for i, p := range backPages {
		for _, tk := range p.tickets {
			delivered[tk.ID] = true
		}
		if p.checkpoint.Before(last) {
			t.Errorf("backfill page %d: checkpoint %s, before %s", i, p.checkpoint, last)
		}
		last = p.checkpoint
		if !p.checkpoint.IsZero() && p.checkpoint.Before(since) {
			midway = true
		}
		if reached < 0 && !p.checkpoint.Before(since) {
			reached = i
			for id := range history {
				if !delivered[id] {
					t.Errorf("backfill page %d: checkpoint %s reached since %s, and ticket %s, changed before since, was not delivered", i, p.checkpoint, since, id)
				}
			}
		}
	}
	if !midway {
		t.Error("no backfill checkpoint between the start and since: the progress of the backfill is unknown")
	}
	if reached < 0 || reached == len(backPages)-1 {
		t.Errorf("the backfill checkpoint reached since at page %d of %d: it must, before the lane has read all the live lane reads", reached, len(backPages))
	}
}

// TestCheckpointWaitsForTheTrash: a ticket deleted while a pass reads the
// default listing, after it read the trash, is delivered only by the next
// pass; the checkpoint must not pass the deletion before then, even though
// the default listing delivers a later change.
func TestCheckpointWaitsForTheTrash(t *testing.T) {
	f := newFake(t, nil)
	tickets := f.GenerateTickets(6, nil)
	c := connector(t, f, &freshdesk.Config{Domain: f.Domain, PageSize: 5, RequestsPerMinute: -1, ListRequestsPerMinute: -1})
	ctx := context.Background()
	cursor, _ := syncAll(t, c, memstore.New(), "")
	f.Advance(time.Minute)
	// The next pass reads the trash and the spam (nothing new)...
	for _, listing := range []string{"deleted", "spam"} {
		page, err := c.Fetch(ctx, cursor)
		if err != nil || len(page.Tickets) != 0 || !page.More {
			t.Fatalf("Fetch of the %s listing = %d tickets, more %t, %v; want none and more", listing, len(page.Tickets), page.More, err)
		}
		cursor = page.Cursor
	}
	// ...then a ticket is deleted and another changes.
	if err := f.DeleteTicket(tickets[0].ID); err != nil {
		t.Fatal(err)
	}
	deletedAt := f.Now().Truncate(time.Second)
	f.Advance(time.Minute)
	if _, err := f.AddReply(tickets[1].ID, "later", true); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Minute)
	page, err := c.Fetch(ctx, cursor)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tickets) != 1 || page.Tickets[0].ID != strconv.FormatInt(tickets[1].ID, 10) {
		t.Fatalf("the default listing delivered %d tickets; want the changed one", len(page.Tickets))
	}
	info, err := c.DescribeCursor(page.Cursor)
	if err != nil || info.Checkpoint.IsZero() || !info.Checkpoint.Before(deletedAt) {
		t.Errorf("checkpoint %s, %v, after the default listing delivered a change of %s; want one before the undelivered deletion at %s",
			info.Checkpoint, err, page.Tickets[0].UpdatedAt, deletedAt)
	}
	// The next pass delivers the deletion, and the checkpoint passes it.
	cursor, _ = syncAll(t, c, memstore.New(), page.Cursor)
	if info, err := c.DescribeCursor(cursor); err != nil || info.Checkpoint.Before(deletedAt) {
		t.Errorf("checkpoint %s, %v, after the pass that read the deletion; want at or after %s", info.Checkpoint, err, deletedAt)
	}
}
