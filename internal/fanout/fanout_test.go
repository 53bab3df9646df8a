package fanout_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/ticketsync/ticketsync/internal/fanout"
)

func TestEachCallsEveryIndexWithinTheLimit(t *testing.T) {
	var running, most atomic.Int32
	seen := make([]bool, 50)
	err := fanout.Each(context.Background(), len(seen), 3, func(ctx context.Context, i int) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		seen[i] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, ok := range seen {
		if !ok {
			t.Errorf("index %d was never called", i)
		}
	}
	if m := most.Load(); m > 3 {
		t.Errorf("%d calls ran at once; the limit is 3", m)
	}
}

func TestEachStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var calls atomic.Int32
	err := fanout.Each(context.Background(), 1000, 1, func(ctx context.Context, i int) error {
		calls.Add(1)
		if i == 2 {
			return boom
		}
		return ctx.Err()
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Each = %v; want the first error", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d calls; with one at a time none may start after the failing third", n)
	}
}

func TestEachReturnsTheCallersCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int32
	err := fanout.Each(ctx, 10, 2, func(context.Context, int) error { calls.Add(1); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Each = %v; want context.Canceled", err)
	}
	if calls.Load() != 0 {
		t.Errorf("%d calls after the context ended", calls.Load())
	}
}
