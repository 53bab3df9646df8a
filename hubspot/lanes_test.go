package hubspot_test

import (
	"testing"
	"time"
)

// TestStartCursorStartsTheLiveLaneAtATime: a cursor started at since reads
// the tickets modified since then and not the history before; the backfill
// lane (the empty cursor) reads all of it; together, newest copy wins,
// they hold the fake's tickets.
func TestStartCursorStartsTheLiveLaneAtATime(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	var since time.Time
	for i := range 40 {
		if i == 30 {
			since = fake.Now()
		}
		fake.CreateTicket(map[string]string{"subject": "ticket"})
		fake.Advance(time.Hour)
	}
	fake.Advance(2 * time.Hour)

	cur, err := c.StartCursor(since)
	if err != nil {
		t.Fatal(err)
	}
	live := drain(t, c, cur)
	for id, tk := range live.tickets {
		if tk.UpdatedAt.Before(since.Add(-time.Hour)) {
			t.Errorf("live lane read ticket %s of %s, long before its start %s", id, tk.UpdatedAt, since)
		}
	}
	if len(live.tickets) != 10 {
		t.Errorf("live lane read %d tickets, want the 10 modified since its start", len(live.tickets))
	}
	back := drain(t, c, "")
	if len(back.tickets) != 40 {
		t.Errorf("backfill lane read %d tickets, want 40", len(back.tickets))
	}
	for id, tk := range live.tickets {
		if b, ok := back.tickets[id]; !ok || !b.UpdatedAt.Equal(tk.UpdatedAt) {
			t.Errorf("ticket %s: lanes disagree: live %s, backfill %+v", id, tk.UpdatedAt, b.UpdatedAt)
		}
	}
	info, err := c.DescribeCursor(live.cursor)
	if err != nil || info.Checkpoint.Before(since) {
		t.Errorf("live cursor checkpoint %s, %v; want at or after %s", info.Checkpoint, err, since)
	}
}
