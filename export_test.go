package ticketsync

import "time"

// SetAfter replaces the timer the scheduler waits on, so that tests can
// drive Run with a fake clock.
func SetAfter(s *Syncer, after func(d time.Duration) (<-chan time.Time, func() bool)) {
	s.after = after
}
