package ticketsync

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

// TestRecentWebhooksIsBounded: the index keeps the latest sighting of the
// most recently named tickets, at most DefaultRecentWebhooks of them per
// connector, forgetting the oldest first.
func TestRecentWebhooksIsBounded(t *testing.T) {
	var r recentWebhooks
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 3 * DefaultRecentWebhooks
	for i := range n {
		r.note("a", []Event{{Kind: EventUpdated, TicketID: strconv.Itoa(i)}}, at.Add(time.Duration(i)*time.Second), nil)
		// Ticket "0" is named again and again: it stays.
		r.note("a", []Event{{Kind: EventUpdated, TicketID: "0"}}, at.Add(time.Duration(i)*time.Second), nil)
	}
	ring := r.byID["a"]
	if len(ring.seen) > DefaultRecentWebhooks || len(ring.order) > 2*DefaultRecentWebhooks {
		t.Fatalf("index holds %d tickets and %d order entries; bound %d", len(ring.seen), len(ring.order), DefaultRecentWebhooks)
	}
	if _, ok := r.lookup("a", "1"); ok {
		t.Error("the oldest ticket is still remembered")
	}
	for _, id := range []string{"0", strconv.Itoa(n - 1)} {
		if _, ok := r.lookup("a", id); !ok {
			t.Errorf("recent ticket %s forgotten", id)
		}
	}
	r.note("a", []Event{{Kind: EventCreated, TicketID: "x"}}, at, errors.New("store down"))
	if s, ok := r.lookup("a", "x"); !ok || s.Stored || s.Error != "store down" {
		t.Errorf("failed delivery sighting = %+v, %v", s, ok)
	}
	if _, ok := r.lookup("b", "x"); ok {
		t.Error("connectors share sightings")
	}
}
