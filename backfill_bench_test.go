package ticketsync_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// BenchmarkLiveChangeDuringBackfill measures how long a ticket created just
// after a new connector's first run starts takes to reach the Store, while
// 100,000 tickets of history are synced in pages of 100 with a poll
// interval of 50ms: in one lane (the change waits for the whole history)
// and with the backfill lane (it waits for the next live run). The figure
// is ms-to-store, from the change to OnTickets (ns/op also counts the first
// run's start).
func BenchmarkLiveChangeDuringBackfill(b *testing.B) {
	for _, bc := range []struct {
		name   string
		single bool
	}{{"one-lane", true}, {"two-lanes", false}} {
		b.Run(bc.name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				b.StopTimer()
				now := time.Now().UTC()
				p := newLanePlatform(100_000, now)
				p.pageSize, p.latency = 100, 0
				arrived := make(chan time.Time, 1)
				s := ticketsync.NewSyncer(memstore.New(), &ticketsync.Options{
					Interval: 50 * time.Millisecond, Jitter: -1, SingleLane: bc.single,
					OnTickets: func(ctx context.Context, id string, tickets []ticketsync.Ticket) {
						for _, t := range tickets {
							if strings.HasPrefix(t.ID, "live") {
								select {
								case arrived <- time.Now():
								default:
								}
							}
						}
					},
				})
				if err := s.Add("big", p, ticketsync.ModePoll); err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				b.StartTimer()
				go func() { done <- s.Run(ctx) }()
				// Wait for the first page, then change a ticket.
				for {
					p.mu.Lock()
					n := len(p.calls)
					p.mu.Unlock()
					if n > 0 {
						break
					}
					time.Sleep(time.Millisecond)
				}
				created := time.Now().UTC()
				p.put(ticketsync.Ticket{ID: "live1", Subject: "furious", CreatedAt: created, UpdatedAt: created})
				select {
				case at := <-arrived:
					total += at.Sub(created)
				case <-time.After(time.Minute):
					b.Fatal("the live ticket never arrived")
				}
				cancel()
				<-done
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-store")
		})
	}
}
