package zendesk_test

import (
	"context"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// drainTickets calls Fetch from cursor until caught up and returns the
// newest copy of each ticket and the last cursor.
func drainTickets(t *testing.T, c *zendesk.Connector, cursor string) (map[string]ticketsync.Ticket, string) {
	t.Helper()
	got := map[string]ticketsync.Ticket{}
	for n := 0; ; n++ {
		if n > 1000 {
			t.Fatal("no end after 1000 pages")
		}
		page, err := c.Fetch(context.Background(), cursor)
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		for _, tk := range page.Tickets {
			if old, ok := got[tk.ID]; !ok || !tk.UpdatedAt.Before(old.UpdatedAt) {
				got[tk.ID] = tk
			}
		}
		if page.Cursor != "" {
			cursor = page.Cursor
		}
		if !page.More {
			return got, cursor
		}
	}
}

// TestStartCursorStartsTheLiveLaneAtATime: a cursor started at since reads
// the tickets changed since then, with all their comments, and not the
// history before; the empty cursor reads it all.
func TestStartCursorStartsTheLiveLaneAtATime(t *testing.T) {
	f := newFake(t, nil)
	f.Advance(-40 * time.Hour)
	var since time.Time
	for i := range 40 {
		if i == 30 {
			since = f.Now()
		}
		if _, err := f.CreateTicket(zendesktest.Ticket{Subject: "ticket", Description: "first message"}); err != nil {
			t.Fatal(err)
		}
		f.Advance(time.Hour)
	}
	f.Advance(time.Hour)
	c := newConn(t, f, func(cfg *zendesk.Config) { cfg.PageSize = 10 })

	cur, err := c.StartCursor(since)
	if err != nil {
		t.Fatal(err)
	}
	live, liveCur := drainTickets(t, c, cur)
	if len(live) != 10 {
		t.Errorf("live lane read %d tickets, want the 10 changed since its start", len(live))
	}
	for id, tk := range live {
		if tk.UpdatedAt.Before(since) {
			t.Errorf("live lane read ticket %s of %s, before its start %s", id, tk.UpdatedAt, since)
		}
		if len(tk.Comments) != 1 {
			t.Errorf("ticket %s has %d comments in the live lane, want its first message", id, len(tk.Comments))
		}
	}
	back, _ := drainTickets(t, c, "")
	if len(back) != 40 {
		t.Errorf("backfill lane read %d tickets, want 40", len(back))
	}
	info, err := c.DescribeCursor(liveCur)
	if err != nil || info.Checkpoint.Before(since) {
		t.Errorf("live cursor checkpoint %s, %v; want at or after %s", info.Checkpoint, err, since)
	}
	// Start stays the configured start (here all history): the history
	// before since is the backfill lane's, not "before the start".
	for _, cur := range []string{cur, liveCur} {
		if info, err := c.DescribeCursor(cur); err != nil || !info.Start.IsZero() {
			t.Errorf("live cursor start %s, %v; want the configured start (zero: all history)", info.Start, err)
		}
	}
}
