package fakeapi

import (
	"context"
	"sync"
	"time"
)

// DefaultStart is a Clock's first reading when none is given.
var DefaultStart = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// Clock is a fake's clock: it moves only when set or advanced. It is safe
// for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock reading start (DefaultStart when zero).
func NewClock(start time.Time) *Clock {
	if start.IsZero() {
		start = DefaultStart
	}
	return &Clock{now: start.UTC()}
}

// Now returns the clock's reading.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// SetNow sets the clock. Setting it backwards is allowed.
func (c *Clock) SetNow(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleep advances the clock by d and returns at once, or returns ctx.Err()
// when ctx is done. A client under test uses it as its sleep function, so
// that waiting out a Retry-After takes no real time and the fake's rate
// window sees the wait.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.Advance(d)
	}
	return nil
}
