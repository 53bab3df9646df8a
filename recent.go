package ticketsync

import (
	"sync"
	"time"
)

// DefaultRecentWebhooks is how many tickets a Syncer remembers, per
// connector, as named by the webhook deliveries it received, for Explain.
const DefaultRecentWebhooks = 4096

// WebhookSighting is what this Syncer remembers of the latest webhook
// delivery that named a ticket.
type WebhookSighting struct {
	// ReceivedAt is when the delivery was received (the Syncer's clock).
	ReceivedAt time.Time
	// Kind is the event's kind.
	Kind EventKind
	// Stored reports whether the delivery's tickets were stored; when
	// false, Error says why, and the platform was answered non-2xx so that
	// it delivers again.
	Stored bool
	Error  string
}

// recentWebhooks remembers, per connector, the latest webhook sighting of
// the most recently named tickets: a bounded ring per connector, in the
// memory of this process only. It is not guarded by Syncer.mu.
type recentWebhooks struct {
	mu   sync.Mutex
	byID map[string]*webhookRing
}

// webhookRing is one connector's sightings: at most DefaultRecentWebhooks
// tickets, the oldest forgotten first.
type webhookRing struct {
	seen  map[string]WebhookSighting
	order []string // ticket ids, oldest first; may hold ids seen again later
}

// note records that a delivery to connectorID received at at named the
// tickets of events, and whether it was stored (err nil).
func (r *recentWebhooks) note(connectorID string, events []Event, at time.Time, err error) {
	if len(events) == 0 {
		return
	}
	s := WebhookSighting{ReceivedAt: at, Stored: err == nil}
	if err != nil {
		s.Error = truncate(err.Error(), maxReasonLen)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = make(map[string]*webhookRing)
	}
	ring := r.byID[connectorID]
	if ring == nil {
		ring = &webhookRing{seen: make(map[string]WebhookSighting)}
		r.byID[connectorID] = ring
	}
	for _, ev := range events {
		id := ev.TicketID
		if id == "" && ev.Ticket != nil {
			id = ev.Ticket.ID
		}
		if id == "" {
			continue
		}
		s.Kind = ev.Kind
		ring.seen[id] = s
		ring.order = append(ring.order, id)
	}
	// Forget the oldest ids once the ring holds too many, down to three
	// quarters of the bound so that this runs once per quarter of it, and
	// compact the order so that it stays bounded as well.
	if len(ring.seen) > DefaultRecentWebhooks || len(ring.order) > 2*DefaultRecentWebhooks {
		const target = DefaultRecentWebhooks - DefaultRecentWebhooks/4
		var keep []string
		n := len(ring.seen)
		last := make(map[string]int, len(ring.order))
		for i, id := range ring.order {
			last[id] = i
		}
		for i, id := range ring.order {
			if last[id] != i {
				continue // seen again later
			}
			if n > target {
				delete(ring.seen, id)
				n--
				continue
			}
			keep = append(keep, id)
		}
		ring.order = keep
	}
}

// lookup returns the latest sighting of ticket id on connectorID.
func (r *recentWebhooks) lookup(connectorID, id string) (WebhookSighting, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ring := r.byID[connectorID]
	if ring == nil {
		return WebhookSighting{}, false
	}
	s, ok := ring.seen[id]
	return s, ok
}
