package ticketsync

import (
	"container/heap"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// errRunning is returned by a second concurrent call of Run.
var errRunning = errors.New("ticketsync: Run is already running")

// Run is the poll scheduler. It polls every connector added with ModePoll or
// ModeBoth: a connector is due at once when added, then every
// Options.Interval (spread by Options.Jitter) after its last run ended. A
// failed run is retried after Options.RetryBase, doubling with each attempt
// up to the interval, or after the wait the platform stated
// (APIError.RetryAfter, at most Options.MaxRetryAfter) when that is longer,
// and recorded as RunRetrying with its NextRetryAt;
// failures that retrying cannot fix (ErrUnauthorized, ErrForbidden,
// ErrNotFound) are recorded as RunFailed and tried again at the next
// interval. At most Options.MaxConcurrent runs are in progress at once, and
// never two of one connector. Polls requested by webhook deliveries (for
// events the connector cannot load by id) run here too.
//
// Run blocks until ctx ends, then cancels the runs in progress, waits for
// them, and returns nil. It returns an error at once if Run is already
// running on this Syncer.
func (s *Syncer) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errRunning
	}
	s.running = true
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()

	for {
		s.mu.Lock()
		now := s.now()
		for s.inflight < s.opts.MaxConcurrent && len(s.queue) > 0 && !s.queue[0].due.After(now) {
			e := heap.Pop(&s.queue).(*entry)
			if r := s.runner[e.id]; r != nil && r != e {
				// e replaced a connector whose run is still ending;
				// release starts e when it has.
				e.handover = true
				continue
			}
			if e.busy {
				if e.requested {
					// A webhook asked for a poll while a run was in
					// progress, which may have read past the change
					// already: run again as soon as it ends.
					e.again = true
				} else {
					// A manual run is in progress; it does this run's work.
					s.schedule(e, now.Add(s.jittered(s.intervalOf(e))))
				}
				continue
			}
			// Only a run that merely keeps the interval may give way to
			// another replica's recent poll: not one asked for, nor a
			// retry.
			skippable := !e.requested && !e.forced && e.attempt == 1
			e.requested = false // this run serves any request
			e.forced = false
			rctx, rcancel := context.WithCancelCause(ctx)
			s.claim(e)
			e.cancel = rcancel
			s.inflight++
			wg.Add(1)
			go s.scheduledRun(rctx, rcancel, e, skippable, &wg)
		}
		var timer <-chan time.Time
		stop := func() bool { return false }
		if s.inflight < s.opts.MaxConcurrent && len(s.queue) > 0 {
			timer, stop = s.wakeAt(s.queue[0].due)
		}
		s.mu.Unlock()

		select {
		case <-ctx.Done():
			stop()
			return nil
		case <-s.wake:
		case <-timer:
		}
		stop()
	}
}

// Running reports whether Run is in progress: only then does the Syncer
// start the poll runs its schedule plans (ConnectorStatus.NextRun) and
// those webhook deliveries ask for. SyncNow, and storing webhook
// deliveries, work without it.
func (s *Syncer) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// scheduledRun runs one poll of e for Run and plans its next run. A
// skippable run gives way to another replica's recent poll (see
// polledElsewhere).
func (s *Syncer) scheduledRun(ctx context.Context, cancel context.CancelCauseFunc, e *entry, skippable bool, wg *sync.WaitGroup) {
	defer wg.Done()
	defer cancel(nil)
	s.mu.Lock()
	attempt := e.attempt
	s.mu.Unlock()

	run, leased, err := s.safePollOnce(ctx, e, runSpec{trigger: TriggerPoll, attempt: attempt, retry: true, skippable: skippable})

	s.mu.Lock()
	defer s.mu.Unlock()
	s.release(e)
	if leased {
		s.noteRun(e, run, err)
	}
	s.inflight--
	s.nudge()
	now := s.now()
	// Plan from when the run ended, not from now: the two differ when
	// recording the run was slow.
	ended := run.FinishedAt
	if ended.IsZero() {
		ended = now
	}
	// A webhook's request for a poll made while the run was in progress
	// is served at once (requested: the request is still queued, when
	// every slot was busy).
	again := e.again || e.requested
	e.again = false
	var next time.Time
	switch {
	case again:
		next = now
		e.forced = true
	case ctx.Err() != nil && !e.removed && !e.paused:
		// Run is stopping: due at once when Run starts again.
		next = now
	case errors.Is(err, errPolledElsewhere):
		// Another replica has just polled it: the next poll is due an
		// interval after that one, as if this replica had made it, and
		// the status shows that poll.
		s.noteElsewhere(e, run)
		next = ended.Add(s.jittered(s.intervalOf(e)))
	case !leased:
		// Another replica polls it, or held it when it died: look again
		// when its lease lapses, unless the interval ends first. Its
		// holder renews a lease while its run lasts and gives it up when
		// the run ends, so this poll is put off, not skipped.
		next = now.Add(s.jittered(s.intervalOf(e)))
		if at := run.NextRetryAt; !at.IsZero() && at.Before(next) {
			next = at
		}
		// A poll that was not to give way (a webhook asked for it, say)
		// still is not when it is tried again.
		e.forced = e.forced || !skippable
	case err == nil:
		e.attempt = 1
		next = ended.Add(s.jittered(s.intervalOf(e)))
	case run.Status == RunRetrying:
		e.attempt++
		next = run.NextRetryAt
	case ctx.Err() != nil:
		// Paused or removed: due at once when resumed.
		next = now
	default:
		e.attempt = 1
		next = ended.Add(s.jittered(s.intervalOf(e)))
	}
	if e.removed || (!e.mode.polls() && run.Status != RunRetrying && !again) {
		// A webhook-only connector polls only on request, and when such a
		// poll is to be retried.
		return
	}
	if e.paused {
		// Resume schedules it.
		e.due = next
		return
	}
	if e.waiting > 0 {
		// A SyncNow waits for this run to end: it runs next, and
		// schedules the connector when it is done.
		e.due = next
		if e.index >= 0 {
			heap.Remove(&s.queue, e.index)
		}
		return
	}
	s.schedule(e, next)
}

// schedule queues e to run at due. s.mu must be held.
func (s *Syncer) schedule(e *entry, due time.Time) {
	e.due = due
	if e.index >= 0 {
		heap.Fix(&s.queue, e.index)
	} else {
		heap.Push(&s.queue, e)
	}
	s.nudge()
}

// requestPoll makes e due at once, for a webhook event the connector cannot
// load by id. It reports false when e cannot poll.
func (s *Syncer) requestPoll(e *entry) bool {
	if e.poller == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.removed {
		return false
	}
	e.requested = true
	if e.slicing {
		// A backfill slice gives way after its page.
		e.yield = true
	}
	if e.paused {
		// Resume runs it.
		return true
	}
	s.schedule(e, s.now())
	return true
}

// retryWait is the wait before the retry of a run whose attempt failed with
// err: the backoff, or the wait the platform stated (an *APIError's
// RetryAfter anywhere in err's chain) when that is longer, capped at
// Options.MaxRetryAfter.
func (s *Syncer) retryWait(attempt int, interval time.Duration, err error) time.Duration {
	d := s.backoff(attempt, interval)
	if stated, ok := statedWait(err); ok {
		d = max(d, min(stated, s.opts.MaxRetryAfter))
	}
	return d
}

// statedWait returns the wait a platform asked for in err, if any.
func statedWait(err error) (time.Duration, bool) {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		return apiErr.RetryAfter, true
	}
	return 0, false
}

// jittered spreads d by ±Options.Jitter at random.
func (s *Syncer) jittered(d time.Duration) time.Duration {
	j := s.opts.Jitter
	if j == 0 {
		return d
	}
	f := 1 + j*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}

// backoff is the wait before retry number attempt (attempt 1 failed):
// RetryBase doubled for each earlier failure, at most the connector's
// interval, with jitter.
func (s *Syncer) backoff(attempt int, interval time.Duration) time.Duration {
	d := s.opts.RetryBase
	for i := 1; i < attempt && d < interval; i++ {
		d *= 2
	}
	if d > interval {
		d = interval
	}
	return s.jittered(d)
}
