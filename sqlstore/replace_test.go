package sqlstore_test

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/sqlstore"
)

// exclusivePoller counts two polls of one connector at once, across the
// connectors that replace each other, and a lease that another holder can
// take while a poll runs.
type exclusivePoller struct {
	leaser                          ticketsync.Leaser
	active, overlaps, stolen, polls *atomic.Int64
}

func (p *exclusivePoller) Platform() string           { return "exclusive" }
func (p *exclusivePoller) Test(context.Context) error { return nil }
func (p *exclusivePoller) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	if p.active.Add(1) > 1 {
		p.overlaps.Add(1)
	}
	defer p.active.Add(-1)
	p.polls.Add(1)
	p.checkLease()
	select {
	case <-time.After(time.Duration(rand.IntN(2000)) * time.Microsecond):
	case <-ctx.Done():
		return ticketsync.Page{}, ctx.Err()
	}
	// A replaced run ending now must not have freed this run's lease.
	p.checkLease()
	return ticketsync.Page{Cursor: "c"}, nil
}

func (p *exclusivePoller) checkLease() {
	ctx := context.Background()
	ok, err := p.leaser.AcquireLease(ctx, "acme", "intruder", time.Minute)
	if err == nil && ok {
		p.stolen.Add(1)
		_ = p.leaser.ReleaseLease(ctx, "acme", "intruder")
	}
}

// TestReplaceDuringRunsKeepsTheLease replaces a polling connector (and
// removes and adds it again) while its runs are in progress on a Syncer over
// the Store: no two polls of it overlap, and no other holder can take its
// lease while a poll runs. Run it with -race.
func TestReplaceDuringRunsKeepsTheLease(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		store := newStore(t, d, nil)
		var active, overlaps, stolen, polls atomic.Int64
		newPoller := func() ticketsync.Connector {
			return &exclusivePoller{leaser: store, active: &active, overlaps: &overlaps, stolen: &stolen, polls: &polls}
		}
		s := ticketsync.NewSyncer(store, &ticketsync.Options{
			Interval: time.Millisecond, Jitter: -1, RetryBase: time.Millisecond, Holder: "replica-1",
		})
		if err := s.Add("acme", newPoller(), ticketsync.ModePoll); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		// Replace once a poll has started (or after a while, should none
		// start), at a random moment of it, until enough polls have run to
		// prove something, however loaded the machine and the database.
		deadline := time.Now().Add(time.Minute)
		for i := 0; i < 60 || (polls.Load() < 30 && time.Now().Before(deadline)); i++ {
			before, wait := polls.Load(), time.Now().Add(200*time.Millisecond)
			for polls.Load() == before && time.Now().Before(wait) {
				time.Sleep(100 * time.Microsecond)
			}
			time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
			if i%3 == 2 {
				s.Remove("acme")
				if err := s.Add("acme", newPoller(), ticketsync.ModePoll); err != nil {
					t.Fatal(err)
				}
			} else if err := s.Replace("acme", newPoller(), ticketsync.ModePoll); err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		t.Logf("%d polls", polls.Load())
		if polls.Load() < 30 {
			t.Errorf("%d polls: too few to prove anything", polls.Load())
		}
		if n := overlaps.Load(); n > 0 {
			t.Errorf("two polls of one connector overlapped %d times", n)
		}
		if n := stolen.Load(); n > 0 {
			t.Errorf("the lease was free %d times while a poll ran", n)
		}
	})
}
