package hubspot_test

import (
	"errors"
	"testing"

	"github.com/ticketsync/ticketsync"
)

// TestDescribeCursor: the checkpoint of a drained cursor is the newest
// modification time delivered, and a foreign cursor is refused.
func TestDescribeCursor(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	for range 3 {
		fake.CreateTicket(map[string]string{"subject": "printer on fire"})
	}
	info, err := c.DescribeCursor("")
	if err != nil || !info.Checkpoint.IsZero() {
		t.Fatalf("DescribeCursor(\"\") = %+v, %v; want no checkpoint", info, err)
	}
	r := drain(t, c, "")
	if len(r.tickets) != 3 {
		t.Fatalf("drained %d tickets, want 3", len(r.tickets))
	}
	info, err = c.DescribeCursor(r.cursor)
	if err != nil {
		t.Fatal(err)
	}
	for id, tk := range r.tickets {
		if tk.UpdatedAt.After(info.Checkpoint) {
			t.Errorf("ticket %s updated %s, after the checkpoint %s", id, tk.UpdatedAt, info.Checkpoint)
		}
	}
	if info.Checkpoint.IsZero() {
		t.Error("no checkpoint after a drained sync")
	}
	if _, err := c.DescribeCursor("not-a-cursor"); !errors.Is(err, ticketsync.ErrInvalidCursor) {
		t.Errorf("DescribeCursor(foreign) = %v; want ErrInvalidCursor", err)
	}
}
