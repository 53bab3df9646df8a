package ticketsync

import "time"

// SetAfter replaces the timer the scheduler waits on, so that tests can
// drive Run with a fake clock.
func SetAfter(s *Syncer, after func(d time.Duration) (<-chan time.Time, func() bool)) {
	s.after = after
}

// Idle reports whether s has no run in progress and none due now.
func Idle(s *Syncer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight == 0 && (len(s.queue) == 0 || s.queue[0].due.After(s.now()))
}
