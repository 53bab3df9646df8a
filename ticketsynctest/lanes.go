package ticketsynctest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// Clocked is an Account whose fake keeps its own clock, which the
// account's connectors read (their Config.Now, say). The lane rule needs
// it when the connector is a ticketsync.LaneStarter: its Syncer runs on
// that clock, and it ages the account's history before the live lane
// starts. An Account that also implements TimedWebhooks has one Now for
// both.
type Clocked interface {
	// Now is the fake's clock.
	Now() time.Time
	// Advance moves the fake's clock forward by d.
	Advance(d time.Duration)
}

// Throttler is an Account whose fake enforces the platform's rate limits
// and can tell how often a client exceeded them.
type Throttler interface {
	// Throttled returns how many requests the fake has answered 429 on
	// its own, because a rate limit was exceeded, since the account was
	// made: not those of InjectFault or InjectBodyFault.
	Throttled() int
}

// RateLimitedHarness is a Harness whose fake can enforce the platform's
// rate limits. The lane rule makes its account with it, when the harness
// implements it, so that the two lanes run against the limits.
type RateLimitedHarness interface {
	// NewRateLimitedAccount is NewAccount, but the account's fake
	// enforces the platform's rate limits (as by default on its plan) and
	// its connectors keep to them as they do by default. The Account
	// should implement Throttler.
	NewRateLimitedAccount(tb testing.TB, n int) Account
}

// Lane rule settings.
const (
	// laneHistoryAge is how far the kit moves the account's clock between
	// seeding its history and starting the lanes: far past
	// ticketsync.DefaultLaneOverlap and any start granularity.
	laneHistoryAge = 48 * time.Hour
	// laneInterval is the live interval of the lane rule's Syncer, on the
	// account's clock. It is short so that a slice that ends at its
	// deadline (when a connector's pacing moves the clock) waits little.
	laneInterval = time.Second
	// laneGuard bounds the real time the rule waits for the Syncer before
	// it gives up: it is never what the rule measures.
	laneGuard = 2 * time.Minute
	// Backfill pages: a ticket is created before the second, the first
	// Syncer is stopped before the fourth.
	laneCreateAt, laneStopAt = 2, 4
)

// laneAccountSize is the size of the lane rule's account: six and a half
// pages, so that the backfill is still going when the Syncer is stopped.
func laneAccountSize(caps Capabilities) int { return 6*caps.PageSize + caps.PageSize/2 + 1 }

func laneRules() []connRule {
	return []connRule{
		{"LanesLiveDuringBackfill", "with a backfill lane, a ticket created during the backfill arrives by the next live run, the live lane reads no history, the backfill ends equal to the account, no rate limit is exceeded, and a restart resumes both lanes", checkLanes},
	}
}

// laneProbe wraps a LaneStarter and tells its Fetches apart by lane, by
// the lineage of their cursors: the cursors StartCursor returned (or, after
// a restart, the saved live cursor) and those the live lane's Fetches
// returned are the live lane's; the others are the backfill's.
type laneProbe struct {
	ticketsync.LaneStarter
	// before is called ahead of each backfill Fetch with its number, from
	// 1; an error it returns is Fetch's.
	before func(ctx context.Context, n int) error

	mu       sync.Mutex
	live     map[string]bool
	starts   int             // StartCursor calls
	backfill int             // backfill Fetches
	asked    []string        // the cursors of the backfill Fetches
	returned []string        // the cursors the backfill's successful Fetches returned
	liveGot  map[string]bool // ticket ids the live lane delivered
}

func newLaneProbe(p ticketsync.LaneStarter, live ...string) *laneProbe {
	lp := &laneProbe{LaneStarter: p, live: map[string]bool{}, liveGot: map[string]bool{}}
	for _, c := range live {
		lp.live[c] = true
	}
	return lp
}

func (p *laneProbe) StartCursor(since time.Time) (string, error) {
	c, err := p.LaneStarter.StartCursor(since)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starts++
	if err == nil {
		p.live[c] = true
	}
	return c, err
}

func (p *laneProbe) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	p.mu.Lock()
	live := p.live[cursor]
	n := 0
	if !live {
		p.backfill++
		n = p.backfill
		p.asked = append(p.asked, cursor)
	}
	p.mu.Unlock()
	if !live && p.before != nil {
		if err := p.before(ctx, n); err != nil {
			return ticketsync.Page{}, err
		}
	}
	page, err := p.LaneStarter.Fetch(ctx, cursor)
	if err != nil {
		return page, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !live {
		p.returned = append(p.returned, page.Cursor)
		return page, nil
	}
	p.live[page.Cursor] = true
	for _, t := range page.Tickets {
		p.liveGot[t.ID] = true
	}
	return page, nil
}

// describingProbe is a laneProbe over a connector that also describes its
// cursors, which the Syncer uses to tell where the backfill ends.
type describingProbe struct {
	*laneProbe
	d ticketsync.CursorDescriber
}

func (p describingProbe) DescribeCursor(cursor string) (ticketsync.CursorInfo, error) {
	return p.d.DescribeCursor(cursor)
}

// poller returns what the rule adds to its Syncer for p.
func (p *laneProbe) poller() ticketsync.Poller {
	if d, ok := p.LaneStarter.(ticketsync.CursorDescriber); ok {
		return describingProbe{p, d}
	}
	return p
}

// laneRun is one Syncer of the lane rule, running its scheduler.
type laneRun struct {
	s      *ticketsync.Syncer
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	polls  int // live runs ended
}

func (c *connCheck) startLanes(store *memstore.Store, clk Clocked, p ticketsync.Poller) *laneRun {
	c.t.Helper()
	r := &laneRun{done: make(chan struct{})}
	hooks := &ticketsync.Hooks{RunEnd: func(_ context.Context, run ticketsync.RunInfo, _ ticketsync.SyncRun, _ error) {
		if run.Trigger == ticketsync.TriggerPoll {
			r.mu.Lock()
			r.polls++
			r.mu.Unlock()
		}
	}}
	r.s = ticketsync.NewSyncer(store, &ticketsync.Options{
		Interval: laneInterval, Jitter: -1, RetryBase: laneInterval, Now: clk.Now, Hooks: hooks,
	})
	if err := r.s.Add(kitConnectorID, p, ticketsync.ModePoll); err != nil {
		c.fatalf("Syncer.Add: %v", err)
	}
	ctx, cancel := context.WithCancel(c.ctx)
	r.cancel = cancel
	go func() {
		defer close(r.done)
		_ = r.s.Run(ctx)
	}()
	return r
}

func (r *laneRun) livePolls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.polls
}

// stop stops the Syncer and waits for Run to return.
func (c *connCheck) stopLanes(r *laneRun) {
	c.t.Helper()
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(laneGuard):
		c.fatalf("Syncer.Run did not return within %s of being stopped", laneGuard)
	}
}

func checkLanes(c *connCheck) {
	if _, ok := c.connector(true).(ticketsync.LaneStarter); !ok {
		c.t.Skipf("the connector does not implement ticketsync.LaneStarter")
	}
	clk, ok := c.acct.(Clocked)
	if !ok {
		c.fatalf("the connector implements ticketsync.LaneStarter but the Account does not implement ticketsynctest.Clocked, which this rule needs")
	}
	// An account of its own, larger than the others, and rate-limited
	// when the harness can do it.
	var acct Account
	if rl, ok := c.h.(RateLimitedHarness); ok {
		acct = rl.NewRateLimitedAccount(c.tb, laneAccountSize(c.caps))
	} else {
		acct = c.h.NewAccount(c.tb, laneAccountSize(c.caps))
	}
	lc := *c
	lc.acct = acct
	c = &lc
	if clk, ok = acct.(Clocked); !ok {
		c.fatalf("the Account does not implement ticketsynctest.Clocked")
	}
	acct.Settle()
	clk.Advance(laneHistoryAge)
	history := map[string]bool{}
	want := c.want()
	for _, t := range want {
		history[t.ID] = true
	}
	store := memstore.New()
	probe := newLaneProbe(c.connector(true).(ticketsync.LaneStarter))
	var (
		mu                sync.Mutex
		created, updated  string
		pollsAtCreation   int
		arrivedAfterPolls = -1
		stopped           = make(chan struct{})
		run               *laneRun
	)
	probe.before = func(ctx context.Context, n int) error {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case n == laneCreateAt:
			// The backfill has stored some history but not all: a
			// customer opens a ticket, an agent changes an old one, and
			// the live interval passes.
			id, err := acct.CreateTicket()
			if err != nil {
				return fmt.Errorf("CreateTicket: %w", err)
			}
			created, updated = id, want[len(want)-1].ID
			if want[len(want)-1].Deleted {
				updated = want[len(want)-2].ID
			}
			if err := acct.UpdateTicket(updated); err != nil {
				return fmt.Errorf("UpdateTicket: %w", err)
			}
			acct.Settle()
			pollsAtCreation = run.livePolls()
			clk.Advance(laneInterval + time.Second)
		case n > laneCreateAt && arrivedAfterPolls < 0:
			if _, err := store.Ticket(ctx, kitConnectorID, created); err == nil && probe.delivered(created) {
				arrivedAfterPolls = run.livePolls() - pollsAtCreation
			}
		}
		if n == laneStopAt {
			run.cancel() // a restart in the middle of the backfill
			close(stopped)
			return context.Canceled
		}
		return nil
	}
	mu.Lock()
	run = c.startLanes(store, clk, probe.poller())
	mu.Unlock()
	for deadline := time.Now().Add(laneGuard); ; time.Sleep(5 * time.Millisecond) {
		select {
		case <-stopped:
		default:
			st, _ := run.s.Status(kitConnectorID)
			if st.Backfill != nil && st.Backfill.Done {
				c.stopLanes(run)
				c.fatalf("the backfill lane ended before its page %d, with %d tickets: %+v", laneStopAt, len(want), *st.Backfill)
			}
			if time.Now().After(deadline) {
				c.stopLanes(run)
				c.fatalf("the backfill lane did not reach page %d within %s (status %+v)", laneStopAt, laneGuard, st)
			}
			continue
		}
		break
	}
	c.stopLanes(run)

	mu.Lock()
	switch {
	case created == "":
		c.errorf("the backfill lane made fewer than %d Fetches before the Syncer stopped: is the connector synced in two lanes?", laneCreateAt)
	case arrivedAfterPolls < 0:
		c.errorf("ticket %q, created while the backfill lane was at page %d, was not stored by the live lane before backfill page %d (live runs since its creation: %d)",
			created, laneCreateAt, laneStopAt, run.livePolls()-pollsAtCreation)
	case arrivedAfterPolls > 1:
		c.errorf("ticket %q, created during the backfill, arrived after %d live runs, want by the next one", created, arrivedAfterPolls)
	}
	mu.Unlock()
	probe.mu.Lock()
	var old []string
	for id := range probe.liveGot {
		if history[id] && id != updated {
			old = append(old, id)
		}
	}
	starts := probe.starts
	var resumeAt string
	if len(probe.returned) > 0 {
		resumeAt = probe.returned[len(probe.returned)-1]
	}
	stored := len(probe.returned)
	probe.mu.Unlock()
	slices.Sort(old)
	if len(old) > 0 {
		c.errorf("the live lane delivered %d tickets last changed %s before it started (%q...): the live lane must start where StartCursor was asked to, and never go back to the configured start",
			len(old), laneHistoryAge, old[:min(3, len(old))])
	}
	if starts != 1 {
		c.errorf("StartCursor was called %d times by a new connector's lanes, want once", starts)
	}

	// A new Syncer over the same Store resumes both lanes.
	liveCursor, err := store.Cursor(c.ctx, kitConnectorID)
	if err != nil || liveCursor == "" {
		c.fatalf("the live lane's saved cursor: %q, %v", liveCursor, err)
	}
	again := newLaneProbe(c.connector(true).(ticketsync.LaneStarter), liveCursor)
	run = c.startLanes(store, clk, again.poller())
	deadline := time.Now().Add(laneGuard)
	for {
		if st, _ := run.s.Status(kitConnectorID); st.Backfill != nil && st.Backfill.Done {
			break
		}
		if time.Now().After(deadline) {
			st, _ := run.s.Status(kitConnectorID)
			c.stopLanes(run)
			c.fatalf("the backfill lane did not end within %s of the restart (status %+v, last error %q)", laneGuard, st.Backfill, st.LastError)
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.stopLanes(run)
	again.mu.Lock()
	starts, asked := again.starts, slices.Clone(again.asked)
	again.mu.Unlock()
	if starts > 0 {
		c.errorf("after a restart, StartCursor was called again: the live lane did not resume from its saved cursor")
	}
	switch {
	case len(asked) == 0:
		c.errorf("after a restart, the backfill lane made no Fetch, yet it ended")
	case asked[0] == "":
		c.errorf("after a restart, the backfill lane started over from the empty cursor, %d pages after it had stored %d", len(asked), stored)
	case asked[0] != resumeAt:
		c.errorf("after a restart, the backfill lane did not resume from the cursor of the last page it stored (page %d)", stored)
	}
	c.expectStore(store, "after the backfill, with changes made during it")
	if th, ok := acct.(Throttler); ok {
		if n := th.Throttled(); n > 0 {
			c.errorf("the fake answered %d requests with 429: the two lanes exceeded the platform's rate limits", n)
		}
	}
}

// delivered reports whether the live lane delivered ticket id.
func (p *laneProbe) delivered(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.liveGot[id]
}
