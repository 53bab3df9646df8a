package ticketsync

import "time"

// SetWakeAt replaces the timer the scheduler waits on, so that tests can
// drive Run with a fake clock. wakeAt fires once the clock reaches its
// argument.
func SetWakeAt(s *Syncer, wakeAt func(t time.Time) (<-chan time.Time, func() bool)) {
	s.wakeAt = wakeAt
}

// Idle reports whether s has no run in progress and none due now.
func Idle(s *Syncer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight == 0 && (len(s.queue) == 0 || s.queue[0].due.After(s.now()))
}

// WaitSeeded waits until the history reads with which Add fills the
// statuses of the connectors added so far are done.
func WaitSeeded(s *Syncer) { s.seeds.Wait() }

// Seeders returns how many goroutines are filling statuses from the history.
func Seeders(s *Syncer) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seeders
}
