package ticketsync_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// exclusivePoller detects two polls of one connector at once, across the
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
	case <-time.After(time.Duration(rand.IntN(500)) * time.Microsecond):
	case <-ctx.Done():
		return ticketsync.Page{}, ctx.Err()
	}
	// A replaced run ending now must not have freed this run's lease.
	p.checkLease()
	return ticketsync.Page{Cursor: "c"}, nil
}

// checkLease counts a lease that another holder could take during a poll.
func (p *exclusivePoller) checkLease() {
	ctx := context.Background()
	ok, err := p.leaser.AcquireLease(ctx, "acme", "intruder", time.Minute)
	if err == nil && ok {
		p.stolen.Add(1)
		_ = p.leaser.ReleaseLease(ctx, "acme", "intruder")
	}
}

// TestReplaceNeverOverlapsPolls replaces a polling connector, and removes
// and adds it again, while its runs are in progress, and checks that no two
// polls of it overlap and that its lease is never free during a poll. Run
// it with -race.
func TestReplaceNeverOverlapsPolls(t *testing.T) {
	store := memstore.New()
	runReplaceRace(t, store, store)
}

// runReplaceRace is TestReplaceNeverOverlapsPolls over any Leaser store.
func runReplaceRace(t *testing.T, store ticketsync.Store, leaser ticketsync.Leaser) {
	var active, overlaps, stolen, polls atomic.Int64
	newPoller := func() ticketsync.Connector {
		return &exclusivePoller{leaser: leaser, active: &active, overlaps: &overlaps, stolen: &stolen, polls: &polls}
	}
	s := ticketsync.NewSyncer(store, &ticketsync.Options{
		Interval: time.Millisecond, Jitter: -1, RetryBase: time.Millisecond, Holder: "replica-1",
	})
	require.NoError(t, s.Add("acme", newPoller(), ticketsync.ModePoll))
	stop := runInBackground(t, s)
	// Replace once a poll has started (or after a while, should none
	// start), at a random moment of it, until enough polls have run to
	// prove something, however loaded the machine.
	deadline := time.Now().Add(time.Minute)
	for i := 0; i < 300 || (polls.Load() < 30 && time.Now().Before(deadline)); i++ {
		before, wait := polls.Load(), time.Now().Add(100*time.Millisecond)
		for polls.Load() == before && time.Now().Before(wait) {
			time.Sleep(50 * time.Microsecond)
		}
		time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
		if i%3 == 2 {
			s.Remove("acme")
			require.NoError(t, s.Add("acme", newPoller(), ticketsync.ModePoll))
		} else {
			require.NoError(t, s.Replace("acme", newPoller(), ticketsync.ModePoll))
		}
	}
	require.NoError(t, stop())
	t.Logf("%d polls", polls.Load())
	assert.GreaterOrEqual(t, polls.Load(), int64(30), "too few polls to prove anything")
	assert.Zero(t, overlaps.Load(), "two polls of one connector overlapped")
	assert.Zero(t, stolen.Load(), "the lease was free while a poll ran")
}

func TestReplaceSwapsTheConnector(t *testing.T) {
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	require.ErrorIs(t, s.Replace("acme", newCountingPoller(), ticketsync.ModePoll), ticketsync.ErrUnknownConnector)

	old := newScripted(makePages(3, 1)...)
	old.block = make(chan struct{})
	old.started = make(chan string, 1)
	require.NoError(t, s.AddWithOptions("acme", old, ticketsync.ModePoll, &ticketsync.ConnectorOptions{Interval: time.Hour}))
	done := make(chan error, 1)
	go func() { _, err := s.SyncNow(context.Background(), "acme"); done <- err }()
	waitFor(t, old.started, "the old connector's run")

	// A connector that cannot serve the mode is refused; the old one stays.
	require.Error(t, s.Replace("acme", newCountingPoller(), ticketsync.ModeWebhook))
	c, _ := s.Connector("acme")
	require.Same(t, old, c)

	next := newCountingPoller()
	require.NoError(t, s.Replace("acme", next, ticketsync.ModePoll))
	c, _ = s.Connector("acme")
	require.Same(t, next, c, "the new connector serves at once")
	require.Error(t, waitFor(t, done, "the old run to be canceled"))
	runs, err := store.SyncRuns(context.Background(), "acme", 1)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, ticketsync.RunFailed, runs[0].Status)
	assert.Contains(t, runs[0].Errors[0], "connector replaced")

	st, ok := s.Status("acme")
	require.True(t, ok)
	assert.Equal(t, time.Hour, st.Interval, "the interval survives a replacement")
	assert.Equal(t, "counting", st.Platform)

	_, err = s.SyncNow(context.Background(), "acme")
	require.NoError(t, err)
	assert.EqualValues(t, 1, next.calls.Load())
}

func TestConnectorsListsEachConnectorsState(t *testing.T) {
	store := memstore.New()
	s, clock := newClockedSyncer(store, ticketsync.Options{Interval: 15 * time.Minute, RetryBase: time.Minute})
	ok := newCountingPoller()
	failing := newCountingPoller()
	failing.failWith(errors.New("502 bad gateway"))
	require.NoError(t, s.Add("b-ok", ok, ticketsync.ModePoll))
	require.NoError(t, s.Add("a-failing", failing, ticketsync.ModePoll))
	require.NoError(t, s.AddWithOptions("c-paused", newCountingPoller(), ticketsync.ModePoll, &ticketsync.ConnectorOptions{Paused: true, Interval: time.Hour}))
	require.NoError(t, s.Add("d-webhook", webhookOnly{}, ticketsync.ModeWebhook))

	list := s.Connectors()
	require.Len(t, list, 4)
	assert.Equal(t, []string{"a-failing", "b-ok", "c-paused", "d-webhook"}, []string{list[0].ID, list[1].ID, list[2].ID, list[3].ID})
	assert.Equal(t, t0, list[1].NextRun, "due at once")
	assert.True(t, list[2].Paused)
	assert.True(t, list[2].NextRun.IsZero())
	assert.Equal(t, time.Hour, list[2].Interval)
	assert.Equal(t, ticketsync.ModeWebhook, list[3].Mode)
	assert.True(t, list[3].NextRun.IsZero())

	runInBackground(t, s)
	waitFor(t, ok.fetched, "the first run")
	waitFor(t, failing.fetched, "the first run")
	waitUntil(t, "both runs recorded", func() bool {
		l := s.Connectors()
		return !l[0].LastRun.IsZero() && !l[1].LastRun.IsZero() && !l[0].Running && !l[1].Running
	})
	list = s.Connectors()
	f, g := list[0], list[1]
	assert.Equal(t, ticketsync.RunRetrying, f.LastStatus)
	assert.Contains(t, f.LastError, "502 bad gateway")
	assert.Equal(t, 2, f.Attempt)
	assert.Equal(t, t0.Add(time.Minute), f.NextRun, "the retry")
	assert.True(t, f.LastSuccess.IsZero())
	assert.Equal(t, "counting", f.Platform)

	assert.Equal(t, ticketsync.RunSucceeded, g.LastStatus)
	assert.Empty(t, g.LastError)
	assert.Equal(t, 1, g.LastTickets)
	assert.Equal(t, 1, g.Attempt)
	assert.Equal(t, t0, g.LastSuccess)
	assert.Equal(t, t0.Add(15*time.Minute), g.NextRun)
	_ = clock
}

func TestPerConnectorIntervalAndPause(t *testing.T) {
	store := memstore.New()
	s, clock := newClockedSyncer(store, ticketsync.Options{Interval: 15 * time.Minute})
	fast := newCountingPoller()
	slow := newCountingPoller()
	require.NoError(t, s.AddWithOptions("fast", fast, ticketsync.ModePoll, &ticketsync.ConnectorOptions{Interval: 5 * time.Minute}))
	require.NoError(t, s.Add("slow", slow, ticketsync.ModePoll))
	runInBackground(t, s)
	waitFor(t, fast.fetched, "fast's first run")
	waitFor(t, slow.fetched, "slow's first run")
	waitUntil(t, "both scheduled", func() bool {
		a, _ := s.Status("fast")
		b, _ := s.Status("slow")
		return !a.NextRun.IsZero() && !b.NextRun.IsZero()
	})

	clock.Advance(5 * time.Minute)
	waitFor(t, fast.fetched, "fast's run after its own 5-minute interval")
	assertQuiet(t, slow)

	// Paused: no run at its time, none while paused; Resume runs it at once.
	waitUntil(t, "fast scheduled", func() bool { a, _ := s.Status("fast"); return !a.NextRun.IsZero() })
	require.NoError(t, s.Pause("fast"))
	st, _ := s.Status("fast")
	assert.True(t, st.Paused)
	assert.True(t, st.NextRun.IsZero())
	clock.Advance(10 * time.Minute)
	waitFor(t, slow.fetched, "slow's run after 15 minutes")
	assertQuiet(t, fast)
	require.NoError(t, s.Resume("fast"))
	waitFor(t, fast.fetched, "fast's run on Resume, as it fell due while paused")

	// SetInterval reschedules from the last run.
	waitUntil(t, "slow scheduled", func() bool { b, _ := s.Status("slow"); return !b.NextRun.IsZero() && !b.Running })
	require.NoError(t, s.SetInterval("slow", time.Minute))
	st, _ = s.Status("slow")
	assert.Equal(t, time.Minute, st.Interval)
	assert.Equal(t, st.LastRun.Add(time.Minute), st.NextRun)
	clock.Advance(time.Minute)
	waitFor(t, slow.fetched, "slow's run a minute later")

	require.ErrorIs(t, s.Pause("nobody"), ticketsync.ErrUnknownConnector)
	require.ErrorIs(t, s.Resume("nobody"), ticketsync.ErrUnknownConnector)
	require.ErrorIs(t, s.SetInterval("nobody", time.Minute), ticketsync.ErrUnknownConnector)
	require.Error(t, s.SetInterval("slow", -time.Minute))
}

// waitUntil polls cond until it holds; the bound only guards against a hang.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
