package ticketsync_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// renewLeaser is a memstore whose AcquireLease counts its calls and fails
// from the call numbered failFrom on (never when 0).
type renewLeaser struct {
	*memstore.Store
	calls    atomic.Int64
	failFrom atomic.Int64
	renewed  chan struct{}
}

func (l *renewLeaser) AcquireLease(ctx context.Context, id, holder string, ttl time.Duration) (bool, error) {
	n := l.calls.Add(1)
	defer func() {
		if n > 1 {
			l.renewed <- struct{}{}
		}
	}()
	if f := l.failFrom.Load(); f > 0 && n >= f {
		return false, errors.New("database unreachable")
	}
	return l.Store.AcquireLease(ctx, id, holder, ttl)
}

func TestLeaseRenewalRunsOnTheSyncersClock(t *testing.T) {
	clock := newFakeClock()
	store := &renewLeaser{Store: memstore.NewWithOptions(memstore.Options{Now: clock.Now}), renewed: make(chan struct{}, 10)}
	opts := ticketsync.Options{Now: clock.Now, Jitter: -1, LeaseTTL: 3 * time.Minute}
	s := ticketsync.NewSyncer(store, &opts)
	ticketsync.SetWakeAt(s, clock.WakeAt)
	c := newScripted(makePages(1, 1)...)
	c.block = make(chan struct{})
	c.started = make(chan string, 1)
	require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))

	done := make(chan error, 1)
	go func() { _, err := s.SyncNow(context.Background(), "acme"); done <- err }()
	waitFor(t, c.started, "the run to start")
	select {
	case <-store.renewed:
		t.Fatal("the lease was renewed before a third of its TTL passed on the Syncer's clock")
	case <-time.After(30 * time.Millisecond):
	}
	advanceUntil(t, clock, time.Minute, store.renewed, "a renewal after a third of the TTL")
	assert.EqualValues(t, 2, store.calls.Load())

	// Renewals failing for two thirds of the TTL stop the run.
	store.failFrom.Store(3)
	advanceUntil(t, clock, time.Minute, store.renewed, "the first failed renewal")
	advanceUntil(t, clock, time.Minute, store.renewed, "the second failed renewal")
	err := waitFor(t, done, "the run to stop")
	require.ErrorIs(t, err, context.Canceled)
	runs, err := store.SyncRuns(context.Background(), "acme", 1)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Contains(t, runs[0].Errors[0], "lease could not be renewed")
}

// advanceUntil waits until something waits on clock, then moves it by d
// and waits for ch: the goroutine that waits on the clock sets its timer
// from the time it reads, so moving the clock earlier would not fire it.
func advanceUntil[T any](t *testing.T, clock *fakeClock, d time.Duration, ch <-chan T, what string) T {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		clock.mu.Lock()
		pending := len(clock.timers)
		clock.mu.Unlock()
		if pending > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing waited on the clock before %s", what)
		}
		time.Sleep(time.Millisecond)
	}
	clock.Advance(d)
	return waitFor(t, ch, what)
}

// refusingLeaser is a memstore that reports each lease it refuses.
type refusingLeaser struct {
	*memstore.Store
	refused chan string
}

func (l *refusingLeaser) AcquireLease(ctx context.Context, id, holder string, ttl time.Duration) (bool, error) {
	ok, err := l.Store.AcquireLease(ctx, id, holder, ttl)
	if err == nil && !ok {
		l.refused <- id
	}
	return ok, err
}

// plainLeaser is a Store and Leaser without LeaseTimer.
type plainLeaser struct {
	ticketsync.Store
	ticketsync.Leaser
}

// TestDeadReplicasLeaseIsTakenOverWhenItLapses: a connector whose lease
// another replica took and never gave up (it died) is polled soon after
// that lease expires, not an interval after the refusal; and never before.
func TestDeadReplicasLeaseIsTakenOverWhenItLapses(t *testing.T) {
	const (
		interval = 15 * time.Minute
		ttl      = 2 * time.Minute
		margin   = ttl / 20 // "soon after"
	)
	for _, tc := range []struct {
		name  string
		timer bool
		left  time.Duration // the dead replica's lease, from the refusal
		due   time.Duration // the poll is due by this long after the refusal
	}{
		// The Store tells when the lease lapses: polled then.
		{name: "LeaseTimer", timer: true, left: 90 * time.Second, due: 90*time.Second + margin},
		// It does not: polled one LeaseTTL after the refusal, when any
		// lease taken with the same TTL has lapsed.
		{name: "no LeaseTimer", left: 90 * time.Second, due: ttl + margin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			mem := memstore.NewWithOptions(memstore.Options{Now: clock.Now})
			ok, err := mem.AcquireLease(context.Background(), "acme", "dead-replica", tc.left)
			require.NoError(t, err)
			require.True(t, ok)
			l := &refusingLeaser{Store: mem, refused: make(chan string, 10)}
			var store ticketsync.Store = l
			if !tc.timer {
				store = plainLeaser{Store: l, Leaser: l}
			}
			s := ticketsync.NewSyncer(store, &ticketsync.Options{Now: clock.Now, Jitter: -1, Interval: interval, LeaseTTL: ttl, Holder: "survivor"})
			ticketsync.SetWakeAt(s, clock.WakeAt)
			c := newCountingPoller()
			require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))
			runInBackground(t, s)

			waitFor(t, l.refused, "the first attempt, refused")
			waitForTimer(t, clock)
			// Up to the lease's expiry, nothing polls the connector.
			clock.Advance(tc.left - time.Second)
			assertQuiet(t, c)
			clock.Advance(tc.due - (tc.left - time.Second))
			waitFor(t, c.fetched, "the poll after the dead replica's lease lapsed")
			assert.Equal(t, ticketsync.RunSucceeded, latestRun(t, store, "acme").Status)
		})
	}
}

// waitForTimer waits until something waits on clock.
func waitForTimer(t *testing.T, clock *fakeClock) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		clock.mu.Lock()
		pending := len(clock.timers)
		clock.mu.Unlock()
		if pending > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing waited on the clock")
		}
		time.Sleep(time.Millisecond)
	}
}

// hangingLeaser is a memstore whose lease renewals (every AcquireLease
// after the first) wait until their context ends, as on a database too
// loaded to answer.
type hangingLeaser struct {
	*memstore.Store
	calls atomic.Int64
}

func (l *hangingLeaser) AcquireLease(ctx context.Context, id, holder string, ttl time.Duration) (bool, error) {
	if l.calls.Add(1) > 1 {
		<-ctx.Done()
		return false, ctx.Err()
	}
	return l.Store.AcquireLease(ctx, id, holder, ttl)
}

// TestRunStopsWhileARenewalHangs: a renewal that does not return does not
// keep the run going past five sixths of the TTL after the lease was taken,
// before the lease may lapse and another replica poll the connector.
func TestRunStopsWhileARenewalHangs(t *testing.T) {
	const ttl = 1500 * time.Millisecond
	store := &hangingLeaser{Store: memstore.New()}
	conn := newScripted(makePages(1, 1)...)
	conn.started = make(chan string, 1)
	conn.block = make(chan struct{}) // never released: only the lease ends the run
	// On a fake clock, so that a loaded machine cannot stretch the run:
	// the renewal, a third of the TTL in, waits on a real-time deadline
	// set from the clock (five sixths of the TTL after the lease was
	// taken), and nothing else moves the clock.
	s, clock := newClockedSyncer(store, ticketsync.Options{LeaseTTL: ttl})
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))
	done := make(chan error, 1)
	go func() { _, err := s.SyncNow(context.Background(), "acme"); done <- err }()
	waitFor(t, conn.started, "the run to start")
	waitForTimer(t, clock)
	clock.Advance(ttl / 3)
	err := waitFor(t, done, "the run to stop while its lease renewal hangs")
	require.ErrorIs(t, err, context.Canceled)
	runs, _ := store.SyncRuns(context.Background(), "acme", 1)
	require.Len(t, runs, 1)
	assert.Contains(t, runs[0].Errors[0], "lease could not be renewed")
	assert.Less(t, runs[0].FinishedAt.Sub(runs[0].StartedAt), ttl, "the run stopped before the lease could lapse")
}
