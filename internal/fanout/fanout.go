// Package fanout runs a platform's per-record requests a bounded number at
// a time: the comments of each ticket, the conversations of each ticket, a
// record read by id where the platform has no batch endpoint.
package fanout

import (
	"context"
	"sync"
)

// Each calls f(ctx, i) for every i in [0, n), with at most limit calls
// running at once (one when limit is less than one). The first error f
// returns cancels the context the other calls see and is returned once
// every started call has ended; no further call starts after it. When the
// caller's ctx ends first, Each returns its error. f must be safe to call
// from several goroutines; writing only to the i-th element of a slice is.
func Each(ctx context.Context, n, limit int, f func(ctx context.Context, i int) error) error {
	if limit < 1 {
		limit = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, limit)
	)
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(ctx, i); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
