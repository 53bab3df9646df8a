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
