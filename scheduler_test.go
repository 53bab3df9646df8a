package ticketsync_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// fakeClock drives the scheduler without real waiting: Now is under the
// test's control and timers fire when Advance passes their deadline.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	ch      chan time.Time
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// WakeAt returns a channel that fires once Advance reaches at. Taking the
// deadline rather than a duration keeps it exact when the clock moves while
// the scheduler is computing its wait.
func (c *fakeClock) WakeAt(at time.Time) (<-chan time.Time, func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: at, ch: make(chan time.Time, 1)}
	if !at.After(c.now) {
		t.ch <- c.now
		return t.ch, func() bool { return false }
	}
	c.timers = append(c.timers, t)
	return t.ch, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.ch <- c.now
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

// newClockedSyncer returns a Syncer on a fake clock with no jitter.
func newClockedSyncer(store ticketsync.Store, opts ticketsync.Options) (*ticketsync.Syncer, *fakeClock) {
	clock := newFakeClock()
	opts.Now = clock.Now
	if opts.Jitter == 0 {
		opts.Jitter = -1
	}
	s := ticketsync.NewSyncer(store, &opts)
	ticketsync.SetWakeAt(s, clock.WakeAt)
	return s, clock
}

// runInBackground starts s.Run and returns a function that stops it and
// reports its error.
func runInBackground(t *testing.T, s *ticketsync.Syncer) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = waitFor(t, done, "Run to return")
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// countingPoller counts Fetch calls and reports each on a channel.
type countingPoller struct {
	calls   atomic.Int64
	fetched chan string
	fail    atomic.Pointer[error]
}

func newCountingPoller() *countingPoller {
	return &countingPoller{fetched: make(chan string, 100)}
}

func (c *countingPoller) Platform() string           { return "counting" }
func (c *countingPoller) Test(context.Context) error { return nil }
func (c *countingPoller) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	c.calls.Add(1)
	defer func() { c.fetched <- cursor }()
	if p := c.fail.Load(); p != nil {
		return ticketsync.Page{}, *p
	}
	return ticketsync.Page{Tickets: []ticketsync.Ticket{{ID: "1", UpdatedAt: t0}}, Cursor: "c"}, nil
}

func (c *countingPoller) failWith(err error) { c.fail.Store(&err) }

// latestRun waits until the connector's newest run has finished and returns it.
func latestRun(t *testing.T, store ticketsync.Store, id string) ticketsync.SyncRun {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runs, err := store.SyncRuns(context.Background(), id, 1)
		require.NoError(t, err)
		if len(runs) == 1 && runs[0].Status != ticketsync.RunRunning {
			return runs[0]
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no finished run of %s", id)
	return ticketsync.SyncRun{}
}

// attemptRun waits until the connector's newest run is the finished attempt
// number attempt and returns it.
func attemptRun(t *testing.T, store ticketsync.Store, id string, attempt int) ticketsync.SyncRun {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		run := latestRun(t, store, id)
		if run.Attempt == attempt {
			return run
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("attempt %d of %s did not finish", attempt, id)
	return ticketsync.SyncRun{}
}

// assertQuiet checks that no Fetch happens within a short real time. It can
// only miss a wrong run, never report a false one.
func assertQuiet(t *testing.T, c *countingPoller) {
	t.Helper()
	select {
	case <-c.fetched:
		t.Fatal("a run started before it was due")
	case <-time.After(50 * time.Millisecond):
	}
}

func TestRunSyncsNewConnectorsAtOnceThenEveryInterval(t *testing.T) {
	store := memstore.New()
	s, clock := newClockedSyncer(store, ticketsync.Options{Interval: 15 * time.Minute})
	first := newCountingPoller()
	require.NoError(t, s.Add("first", first, ticketsync.ModePoll))
	runInBackground(t, s)

	waitFor(t, first.fetched, "the first sync, without advancing the clock")
	run := latestRun(t, store, "first")
	assert.Equal(t, ticketsync.TriggerPoll, run.Trigger)
	assert.Equal(t, ticketsync.RunSucceeded, run.Status)

	// A connector added while Run runs also syncs at once.
	late := newCountingPoller()
	require.NoError(t, s.Add("late", late, ticketsync.ModePoll))
	waitFor(t, late.fetched, "the first sync of a connector added while running")

	clock.Advance(14 * time.Minute)
	assertQuiet(t, first)
	clock.Advance(time.Minute)
	assert.Equal(t, "c", waitFor(t, first.fetched, "the second sync after 15 minutes"), "resumes from the saved cursor")
	assert.EqualValues(t, 2, first.calls.Load())
}

func TestFailedRunsRetryWithExponentialBackoff(t *testing.T) {
	store := memstore.New()
	s, clock := newClockedSyncer(store, ticketsync.Options{Interval: 15 * time.Minute, RetryBase: 30 * time.Second})
	c := newCountingPoller()
	c.failWith(errors.New("502 bad gateway"))
	require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))
	runInBackground(t, s)

	waits := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute}
	waitFor(t, c.fetched, "the first attempt")
	for i, wait := range waits {
		run := latestRun(t, store, "acme")
		require.Equal(t, ticketsync.RunRetrying, run.Status, "attempt %d", i+1)
		assert.Equal(t, i+1, run.Attempt)
		assert.Equal(t, wait, run.NextRetryAt.Sub(run.FinishedAt), "attempt %d waits %s", i+1, wait)
		require.Len(t, run.Errors, 1)
		assert.Contains(t, run.Errors[0], "502 bad gateway")
		clock.Advance(wait - time.Second)
		assertQuiet(t, c)
		clock.Advance(time.Second)
		waitFor(t, c.fetched, "the retry")
	}

	// Success resets the attempt count and the schedule.
	c.fail.Store(nil)
	run := latestRun(t, store, "acme")
	for run.Status != ticketsync.RunSucceeded {
		clock.Advance(15 * time.Minute)
		waitFor(t, c.fetched, "a retry")
		run = latestRun(t, store, "acme")
	}
	assert.True(t, run.NextRetryAt.IsZero())
	assert.Greater(t, run.Attempt, 1)
	clock.Advance(15 * time.Minute)
	waitFor(t, c.fetched, "the next regular run")
	assert.Equal(t, 1, latestRun(t, store, "acme").Attempt)
}

func TestCredentialErrorsAreNotRetriedEarly(t *testing.T) {
	store := memstore.New()
	s, clock := newClockedSyncer(store, ticketsync.Options{Interval: 15 * time.Minute})
	c := newCountingPoller()
	c.failWith(&ticketsync.APIError{Platform: "counting", StatusCode: 401, Message: "Couldn't authenticate you"})
	require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))
	runInBackground(t, s)

	waitFor(t, c.fetched, "the first attempt")
	run := latestRun(t, store, "acme")
	assert.Equal(t, ticketsync.RunFailed, run.Status)
	assert.True(t, run.NextRetryAt.IsZero())
	clock.Advance(10 * time.Minute)
	assertQuiet(t, c)
	clock.Advance(5 * time.Minute)
	waitFor(t, c.fetched, "the run at the next interval")
}

// gatedPoller blocks in Fetch until released and tracks concurrency.
type gatedPoller struct {
	inflight, peak *atomic.Int64
	started        chan struct{}
	release        chan struct{}
}

func (g *gatedPoller) Platform() string           { return "gated" }
func (g *gatedPoller) Test(context.Context) error { return nil }
func (g *gatedPoller) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	n := g.inflight.Add(1)
	defer g.inflight.Add(-1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	g.started <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
		return ticketsync.Page{}, ctx.Err()
	}
	return ticketsync.Page{}, nil
}

func TestRunBoundsConcurrentRuns(t *testing.T) {
	s, _ := newClockedSyncer(memstore.New(), ticketsync.Options{MaxConcurrent: 3})
	var inflight, peak atomic.Int64
	started := make(chan struct{}, 20)
	release := make(chan struct{})
	for i := range 10 {
		g := &gatedPoller{inflight: &inflight, peak: &peak, started: started, release: release}
		require.NoError(t, s.Add(string(rune('a'+i)), g, ticketsync.ModePoll))
	}
	runInBackground(t, s)
	for range 3 {
		waitFor(t, started, "a run to start")
	}
	select {
	case <-started:
		t.Fatal("a fourth run started while three were in progress")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	for range 7 {
		waitFor(t, started, "the queued runs")
	}
	assert.EqualValues(t, 3, peak.Load())
}

func TestRunStopsCleanly(t *testing.T) {
	before := runtime.NumGoroutine()
	s, _ := newClockedSyncer(memstore.New(), ticketsync.Options{})
	var inflight, peak atomic.Int64
	started := make(chan struct{}, 5)
	for i := range 5 {
		g := &gatedPoller{inflight: &inflight, peak: &peak, started: started, release: make(chan struct{})}
		require.NoError(t, s.Add(string(rune('a'+i)), g, ticketsync.ModePoll))
	}
	stop := runInBackground(t, s)
	for range 5 {
		waitFor(t, started, "the runs to start")
	}
	require.NoError(t, stop(), "Run returns nil when its context ends")
	assert.EqualValues(t, 0, inflight.Load(), "Run returned before its runs stopped")

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines left behind")

	// Run can start again, and a second Run at the same time is refused at
	// once: of two concurrent calls, the first to return is the refused
	// one, whichever of them started first.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := make(chan error, 2)
	for range 2 {
		go func() { results <- s.Run(ctx) }()
	}
	assert.Error(t, waitFor(t, results, "the second Run to be refused"))
	cancel()
	assert.NoError(t, waitFor(t, results, "the first Run to return"))
}

func TestRemovedConnectorsStopRunning(t *testing.T) {
	store := memstore.New()
	s, clock := newClockedSyncer(store, ticketsync.Options{Interval: time.Minute})
	c := newCountingPoller()
	require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))
	runInBackground(t, s)
	waitFor(t, c.fetched, "the first run")
	latestRun(t, store, "acme")
	s.Remove("acme")
	clock.Advance(10 * time.Minute)
	assertQuiet(t, c)
	assert.EqualValues(t, 1, c.calls.Load())
}

func TestLeaseHeldElsewhereSkipsTheRun(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	ok, err := store.AcquireLease(ctx, "acme", "other-replica", time.Hour)
	require.NoError(t, err)
	require.True(t, ok)

	s := ticketsync.NewSyncer(store, &ticketsync.Options{Holder: "this-replica"})
	c := newCountingPoller()
	require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))
	_, err = s.SyncNow(ctx, "acme")
	require.ErrorIs(t, err, ticketsync.ErrSyncInProgress)
	assert.Contains(t, err.Error(), "another replica")
	assert.EqualValues(t, 0, c.calls.Load())

	require.NoError(t, store.ReleaseLease(ctx, "acme", "other-replica"))
	_, err = s.SyncNow(ctx, "acme")
	require.NoError(t, err)
	assert.EqualValues(t, 1, c.calls.Load())
	// The run released its lease.
	ok, err = store.AcquireLease(ctx, "acme", "other-replica", time.Hour)
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestPlatformStatedWaitIsHonoured(t *testing.T) {
	store := memstore.New()
	s, clock := newClockedSyncer(store, ticketsync.Options{Interval: 15 * time.Minute, RetryBase: 30 * time.Second})
	c := newCountingPoller()
	// Wrapped, as connectors and the engine wrap it: errors.As finds it.
	c.failWith(fmt.Errorf("list tickets: %w", &ticketsync.APIError{
		Platform: "counting", StatusCode: 429, RetryAfter: time.Hour,
	}))
	require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))
	runInBackground(t, s)

	waitFor(t, c.fetched, "the first attempt")
	run := latestRun(t, store, "acme")
	require.Equal(t, ticketsync.RunRetrying, run.Status)
	assert.Equal(t, time.Hour, run.NextRetryAt.Sub(run.FinishedAt), "NextRetryAt is the platform's stated time")
	clock.Advance(59 * time.Minute)
	assertQuiet(t, c)
	clock.Advance(time.Minute)
	waitFor(t, c.fetched, "the retry an hour later")
	require.Equal(t, 2, attemptRun(t, store, "acme", 2).Attempt)

	// A header asking for a century is capped.
	c.failWith(&ticketsync.APIError{Platform: "counting", StatusCode: 429, RetryAfter: 100 * 365 * 24 * time.Hour})
	clock.Advance(time.Hour)
	waitFor(t, c.fetched, "the next retry")
	run = attemptRun(t, store, "acme", 3)
	require.Equal(t, ticketsync.RunRetrying, run.Status)
	assert.Equal(t, ticketsync.DefaultMaxRetryAfter, run.NextRetryAt.Sub(run.FinishedAt))

	// A stated wait shorter than the backoff does not shorten it.
	c.failWith(&ticketsync.APIError{Platform: "counting", StatusCode: 503, RetryAfter: time.Second})
	clock.Advance(ticketsync.DefaultMaxRetryAfter)
	waitFor(t, c.fetched, "the retry after the capped wait")
	run = attemptRun(t, store, "acme", 4)
	require.Equal(t, ticketsync.RunRetrying, run.Status)
	assert.Equal(t, 4*time.Minute, run.NextRetryAt.Sub(run.FinishedAt), "the backoff of attempt 4")
}

// TestRunningSaysWhetherRunRuns: Running is false before Run, true while it
// runs and false once it has returned.
func TestRunningSaysWhetherRunRuns(t *testing.T) {
	clock := newFakeClock()
	s := ticketsync.NewSyncer(memstore.New(), &ticketsync.Options{Now: clock.Now})
	ticketsync.SetWakeAt(s, clock.WakeAt)
	assert.False(t, s.Running(), "before Run")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !s.Running() {
		require.True(t, time.Now().Before(deadline), "Run did not start")
		runtime.Gosched()
	}
	cancel()
	require.NoError(t, waitFor(t, done, "Run to return"))
	assert.False(t, s.Running(), "after Run returned")
}
