package ticketsync

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"time"
)

// finishTimeout bounds the writes that record a run's end, which are made
// even after the run's context has ended.
const finishTimeout = 10 * time.Second

// errRunTimeout is the cause of a poll run's end at Options.RunTimeout.
var errRunTimeout = errors.New("poll run took longer than allowed")

// pollOnce runs one poll of e under its lease, when the Store is a Leaser.
// leased is false when another replica holds the lease; nothing ran then,
// and run.NextRetryAt is when that lease lapses unless renewed.
func (s *Syncer) pollOnce(ctx context.Context, e *entry, spec runSpec) (run SyncRun, leased bool, err error) {
	if d := s.opts.RunTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, fmt.Errorf("%w (Options.RunTimeout %s)", errRunTimeout, d))
		defer cancel()
	}
	if s.leaser != nil {
		var ok bool
		asked := s.now()
		err := guard("store", func() (err error) {
			ok, err = s.leaser.AcquireLease(ctx, e.id, s.opts.Holder, s.opts.LeaseTTL)
			return err
		})
		if err != nil {
			// The lease may have been taken all the same (a statement
			// that committed as its context ended): give it up, or no
			// replica could poll the connector until it expires.
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
			_ = guard("store", func() error { return s.leaser.ReleaseLease(rctx, e.id, s.opts.Holder) })
			rcancel()
			// Without the lease we cannot know whether another replica
			// runs; record the failure so that it shows in the history.
			err = fmt.Errorf("acquire lease: %w", err)
			ctx = s.runStart(ctx, e, spec)
			run := s.failEarly(ctx, e, spec, err)
			s.runEnd(ctx, e, spec, run, err)
			return run, true, err
		}
		if !ok {
			return SyncRun{NextRetryAt: s.leaseLapses(ctx, e.id)}, false, nil
		}
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		stop := s.keepLease(ctx, cancel, e.id, asked)
		defer func() {
			stop()
			cancel(nil)
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
			defer rcancel()
			if err := guard("store", func() error { return s.leaser.ReleaseLease(rctx, e.id, s.opts.Holder) }); err != nil {
				s.log.Warn("ticketsync: release lease", "connector", e.id, "err", err)
			}
		}()
	}
	if spec.skippable {
		if last, ok := s.polledElsewhere(ctx, e); ok {
			// The deferred release gives the lease up; no run is
			// recorded and the platform is not called.
			return last, false, errPolledElsewhere
		}
	}
	ctx = s.runStart(ctx, e, spec)
	lane, twoLanes, err := s.lanes(ctx, e, spec)
	if err != nil {
		run = s.failEarly(ctx, e, spec, err)
		s.runEnd(ctx, e, spec, run, err)
		return run, true, err
	}
	run, err = s.runPages(ctx, e, spec)
	s.runEnd(ctx, e, spec, run, err)
	if err == nil && twoLanes && spec.trigger == TriggerPoll {
		// The backfill lane takes what is left of the interval; the next
		// live run is due when it ends.
		s.mu.Lock()
		deadline := run.FinishedAt.Add(s.intervalOf(e))
		s.noteRun(e, run, err) // the listing shows the live run at once
		s.mu.Unlock()
		s.backfillSlice(ctx, e, lane, deadline)
	}
	return run, true, err
}

// errPolledElsewhere is pollOnce's answer to a skippable run when another
// replica has just polled the connector: nothing ran, and the returned
// run is that replica's poll, as the history records it.
var errPolledElsewhere = errors.New("polled by another replica")

// recentRuns is how many of a connector's newest runs polledElsewhere reads
// from a Store without HistoryFilter.
const recentRuns = 16

// polledElsewhere reports whether the latest poll run of e, which this
// replica holds the lease of, succeeded so recently that this scheduled poll
// would repeat it: it ended less than the fresh window ago, the connector's
// interval shortened by the whole spread of Options.Jitter below it
// (interval × (1 − Jitter)). A replica's own schedule never puts its next
// poll closer than that to its last, so a lone replica never skips; when
// several share the Store, the first whose schedule falls due polls and the
// others, due within the jitter's spread of it, find its run and skip.
// A failed, retrying or unfinished run never suppresses a poll, nor does an
// unfinished backfill slice (its replica died holding the lease), nor an
// error reading the history: polling twice is better than not at
// all.
func (s *Syncer) polledElsewhere(ctx context.Context, e *entry) (SyncRun, bool) {
	var runs []SyncRun
	err := guard("store", func() (err error) {
		if _, ok := s.store.(HistoryFilter); ok {
			runs, err = s.History(ctx, e.id, TriggerPoll, 1)
			return err
		}
		// Without a HistoryFilter, History would read every run: the
		// newest few do, and a poll run among them is the latest.
		runs, err = s.store.SyncRuns(ctx, e.id, recentRuns)
		runs = slices.DeleteFunc(runs, func(r SyncRun) bool { return r.Trigger != TriggerPoll })
		return err
	})
	if err != nil {
		s.log.Warn("ticketsync: read last poll run; polling", "connector", e.id, "err", err)
		return SyncRun{}, false
	}
	if len(runs) == 0 || runs[0].Status != RunSucceeded || runs[0].FinishedAt.IsZero() {
		return SyncRun{}, false
	}
	s.mu.Lock()
	interval := s.intervalOf(e)
	s.mu.Unlock()
	window := time.Duration(float64(interval) * (1 - s.opts.Jitter))
	last := runs[0]
	if age := s.now().Sub(last.FinishedAt); age >= window || age < -window {
		// age < -window: a clock far ahead wrote it; do not trust it.
		return SyncRun{}, false
	}
	// The replica that polled runs the backfill lane's slice after its
	// live run, under the same lease, until the next live run is due. A
	// backfill lane still walking history, now that this replica holds the
	// lease, has had its slice cut short (its replica stopped or died):
	// poll, so that the backfill goes on now rather than at the next
	// interval.
	saved, err := s.store.Cursor(ctx, e.id+BackfillCursorSuffix)
	if err != nil {
		s.log.Warn("ticketsync: read backfill state; polling", "connector", e.id, "err", err)
		return SyncRun{}, false
	}
	if saved != "" {
		if st, err := decodeBackfillState(saved); err != nil || !st.done {
			return SyncRun{}, false
		}
	}
	var bf []SyncRun
	err = guard("store", func() (err error) {
		bf, err = s.History(ctx, e.id, TriggerBackfill, 1)
		return err
	})
	if err != nil {
		s.log.Warn("ticketsync: read last backfill run; polling", "connector", e.id, "err", err)
		return SyncRun{}, false
	}
	if len(bf) > 0 && bf[0].Status == RunRunning {
		return SyncRun{}, false
	}
	s.log.Debug("ticketsync: polled by another replica; skipping", "connector", e.id, "finished", last.FinishedAt)
	return last, true
}

// leaseLapses returns when the lease on id, which another holder has, is
// worth trying again: when it expires unless renewed, by the Store's
// LeaseTimer or else at most Options.LeaseTTL from now, plus a margin for
// the round trip and the clocks' resolution.
func (s *Syncer) leaseLapses(ctx context.Context, id string) time.Time {
	ttl := s.opts.LeaseTTL
	left := ttl
	if lt, ok := s.leaser.(LeaseTimer); ok {
		err := guard("store", func() (err error) {
			left, err = lt.LeaseLeft(ctx, id)
			return err
		})
		if err != nil {
			s.log.Warn("ticketsync: lease time left", "connector", id, "err", err)
			left = ttl
		}
	}
	return s.now().Add(max(left, 0) + ttl/50)
}

// keepLease renews the lease on id every third of its TTL, on the Syncer's
// clock, until stop is called; asked is when the call that took the lease
// started, the earliest the lease can have started to run. It cancels the
// run when another replica has taken the lease, when renewals have failed
// for two thirds of the TTL, and when one has not answered by five sixths
// of it since the last that succeeded: by then the lease may lapse, and
// another replica may start polling the same connector, so a slow Store (a
// loaded database, say) must not keep the run going.
func (s *Syncer) keepLease(ctx context.Context, cancel context.CancelCauseFunc, id string, asked time.Time) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	ttl := s.opts.LeaseTTL
	go func() {
		defer close(finished)
		// lastOK is when the last successful call started: the lease
		// lasts until at least ttl after it.
		lastOK, last := asked, asked
		for {
			tick, stopTick := s.wakeAt(last.Add(ttl / 3))
			select {
			case <-done:
				stopTick()
				return
			case <-ctx.Done():
				stopTick()
				return
			case <-tick:
			}
			last = s.now()
			// The deadline is on the Syncer's clock, the timeout in real
			// time: the same, but in tests, whose renewals do not wait.
			rctx, rcancel := context.WithTimeout(ctx, max(0, lastOK.Add(ttl-ttl/6).Sub(last)))
			var ok bool
			err := guard("store", func() (err error) {
				ok, err = s.leaser.AcquireLease(rctx, id, s.opts.Holder, ttl)
				return err
			})
			late := rctx.Err() != nil && ctx.Err() == nil
			rcancel()
			switch {
			case err == nil && ok:
				lastOK = last
			case err == nil:
				s.log.Warn("ticketsync: lease lost to another replica; stopping run", "connector", id)
				cancel(errors.New("lease taken over by another replica"))
				return
			case s.now().Sub(lastOK) >= ttl-ttl/3 || late:
				s.log.Warn("ticketsync: cannot renew lease; stopping run", "connector", id, "err", err)
				cancel(fmt.Errorf("lease could not be renewed: %w", err))
				return
			default:
				s.log.Warn("ticketsync: renew lease", "connector", id, "err", err)
			}
		}
	}()
	return func() { close(done); <-finished }
}

// failEarly records a run that failed before it could start fetching.
func (s *Syncer) failEarly(ctx context.Context, e *entry, spec runSpec, err error) SyncRun {
	run := SyncRun{ID: newRunID(), ConnectorID: e.id, Trigger: spec.trigger, StartedAt: s.now(), Attempt: spec.attempt}
	s.finish(ctx, e, spec, &run, err)
	return run
}

// runPages is one sync run: load the cursor, then Fetch, store, save the
// cursor, page after page until the connector is caught up. The cursor
// moves only after its page's tickets are stored.
func (s *Syncer) runPages(ctx context.Context, e *entry, spec runSpec) (run SyncRun, err error) {
	run = SyncRun{
		ID:          newRunID(),
		ConnectorID: e.id,
		Trigger:     spec.trigger,
		Status:      RunRunning,
		StartedAt:   s.now(),
		Attempt:     spec.attempt,
	}
	defer func() {
		// A Store that panics fails the run, as a connector that panics
		// does, instead of killing the host or leaving the run "running".
		if p := recover(); p != nil {
			err = fmt.Errorf("store panicked: %v", p)
			s.finish(ctx, e, spec, &run, err)
		}
	}()
	log := s.log.With("connector", e.id, "run", run.ID)
	if err := s.store.SaveSyncRun(ctx, run); err != nil {
		err = fmt.Errorf("record run start: %w", err)
		s.finish(ctx, e, spec, &run, err)
		return run, err
	}
	log.Debug("ticketsync: sync started", "trigger", spec.trigger, "attempt", spec.attempt)

	cursor, err := s.store.Cursor(ctx, e.id)
	if err != nil {
		err = fmt.Errorf("load cursor: %w", err)
		s.finish(ctx, e, spec, &run, err)
		return run, err
	}
	platform := e.conn.Platform()
	// seen counts each ticket once, however many copies of it the run
	// stores: a page may repeat a ticket, or carry only its new comments.
	// It holds 64-bit hashes of the ids; a collision, at odds of about one
	// in 30 million for a run of a million tickets, would undercount by one.
	seen := make(map[uint64]struct{})
	seed := maphash.MakeSeed()
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			err = fmt.Errorf("stopped before page %d: %w", n, err)
			s.finish(ctx, e, spec, &run, err)
			return run, err
		}
		page, err := safeFetch(ctx, e.poller, cursor)
		if err != nil {
			err = fmt.Errorf("fetch page %d: %w", n, err)
			if errors.Is(err, ErrInvalidCursor) {
				err = fmt.Errorf("%w; the saved cursor cannot be used: reset it with Syncer.ResetCursor to sync again from the connector's configured start", err)
			}
			s.finish(ctx, e, spec, &run, err)
			return run, err
		}
		var refused []string
		page.Tickets, refused = dropInvalidIDs(page.Tickets)
		if len(refused) > 0 {
			run.Errors = append(run.Errors, refused...)
			log.Warn("ticketsync: tickets with invalid ids skipped", "page", n, "notes", len(refused))
		}
		for i := range page.Tickets {
			t := &page.Tickets[i]
			t.ConnectorID = e.id
			t.Platform = platform
			if t.Deleted {
				if err := s.keepKnownFields(ctx, t); err != nil {
					err = fmt.Errorf("page %d: %w", n, err)
					s.finish(ctx, e, spec, &run, err)
					return run, err
				}
			}
		}
		if err := s.storePage(ctx, e.id, page, cursor); err != nil {
			err = fmt.Errorf("page %d (%d tickets): %w", n, len(page.Tickets), err)
			s.finish(ctx, e, spec, &run, err)
			return run, err
		}
		if len(page.Tickets) > 0 {
			for i := range page.Tickets {
				h := maphash.String(seed, page.Tickets[i].ID)
				if _, ok := seen[h]; !ok {
					seen[h] = struct{}{}
					run.Tickets++
				}
			}
			s.onTickets(ctx, e.id, page.Tickets)
		}
		if !page.More {
			break
		}
		if page.Cursor == "" || page.Cursor == cursor {
			// A connector that says "more" without moving would loop
			// for ever; stop and say so.
			err := fmt.Errorf("fetch page %d: %s connector reported more pages without a new cursor", n, platform)
			s.finish(ctx, e, spec, &run, err)
			return run, err
		}
		cursor = page.Cursor
		if n%10 == 0 {
			// Keep the history current during a long run.
			if err := s.store.SaveSyncRun(ctx, run); err != nil {
				log.Warn("ticketsync: record run progress", "err", err)
			}
		}
	}
	s.finish(ctx, e, spec, &run, nil)
	log.Debug("ticketsync: sync finished", "tickets", run.Tickets)
	return run, nil
}

// runSpec says why a run happens.
type runSpec struct {
	trigger string
	attempt int
	// retry: a failure is retried with backoff (runs started by Run). A
	// failure that retrying cannot fix (credentials, permissions) is not.
	retry bool
	// skippable: a scheduled poll that only keeps the interval; it gives
	// way to another replica's recent poll (see polledElsewhere).
	skippable bool
}

// finish records the end of run with err (nil for success). A failed run
// that spec allows to retry is recorded as retrying, with NextRetryAt.
func (s *Syncer) finish(ctx context.Context, e *entry, spec runSpec, run *SyncRun, err error) {
	run.FinishedAt = s.now()
	switch {
	case err == nil:
		run.Status = RunSucceeded
	case spec.retry && !permanent(err) && (ctx.Err() == nil || errors.Is(context.Cause(ctx), errRunTimeout)):
		run.Status = RunRetrying
		s.mu.Lock()
		interval := s.intervalOf(e)
		s.mu.Unlock()
		run.NextRetryAt = run.FinishedAt.Add(s.retryWait(run.Attempt, interval, err))
	default:
		run.Status = RunFailed
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && cause != ctx.Err() {
			err = fmt.Errorf("%w (%v)", err, cause)
		}
		run.Errors = append(run.Errors, err.Error())
		s.log.Warn("ticketsync: sync failed", "connector", e.id, "run", run.ID,
			"attempt", run.Attempt, "status", string(run.Status), "err", err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if serr := guard("store", func() error { return s.store.SaveSyncRun(sctx, *run) }); serr != nil {
		s.log.Error("ticketsync: record run end", "connector", e.id, "run", run.ID, "err", serr)
	}
}

// safeFetch calls p.Fetch, turning a panic into an error so that one broken
// connector cannot take down the scheduler.
func safeFetch(ctx context.Context, p Poller, cursor string) (page Page, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s connector panicked: %v", p.Platform(), r)
		}
	}()
	return p.Fetch(ctx, cursor)
}

// onTickets calls Options.OnTickets, recovering a panic.
func (s *Syncer) onTickets(ctx context.Context, id string, tickets []Ticket) {
	if s.opts.OnTickets == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("ticketsync: OnTickets panicked", "connector", id, "panic", fmt.Sprint(r))
		}
	}()
	s.opts.OnTickets(ctx, id, tickets)
}

// storePage saves page's tickets and then its cursor, when it moved from
// prev: atomically through PageStorer when the Store has it.
func (s *Syncer) storePage(ctx context.Context, id string, page Page, prev string) error {
	moved := page.Cursor != "" && page.Cursor != prev
	if ps, ok := s.store.(PageStorer); ok && moved {
		if err := ps.StorePage(ctx, id, page.Tickets, page.Cursor); err != nil {
			return fmt.Errorf("store tickets and cursor: %w", err)
		}
		return nil
	}
	if len(page.Tickets) > 0 {
		if err := s.store.UpsertTickets(ctx, page.Tickets); err != nil {
			return fmt.Errorf("store tickets: %w", err)
		}
	}
	if moved {
		if err := s.store.SetCursor(ctx, id, page.Cursor); err != nil {
			return fmt.Errorf("save cursor: %w", err)
		}
	}
	return nil
}

// keepKnownFields fills the empty fields of tombstone t from the stored copy
// of the ticket, if any: platforms often report a deleted ticket with little
// more than its id, and the tombstone should keep what was last known.
func (s *Syncer) keepKnownFields(ctx context.Context, t *Ticket) error {
	stored, err := s.store.Ticket(ctx, t.ConnectorID, t.ID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load ticket %q for its tombstone: %w", t.ID, err)
	}
	fillEmpty(t, &stored)
	return nil
}

// fillEmpty copies into t each field of from that t leaves empty. Comments
// are not copied: the Store keeps the stored ones.
func fillEmpty(t, from *Ticket) {
	str := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	str(&t.URL, from.URL)
	str(&t.Subject, from.Subject)
	str(&t.Description, from.Description)
	str(&t.RawStatus, from.RawStatus)
	str(&t.RawPriority, from.RawPriority)
	str(&t.Channel, from.Channel)
	if t.Status == "" {
		t.Status = from.Status
	}
	if t.Priority == PriorityNone {
		t.Priority = from.Priority
	}
	if t.Requester.IsZero() {
		t.Requester = from.Requester
	}
	if t.Assignee.IsZero() {
		t.Assignee = from.Assignee
	}
	if len(t.Tags) == 0 {
		t.Tags = from.Tags
	}
	if len(t.Fields) == 0 {
		t.Fields = from.Fields
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = from.CreatedAt
	}
}

// guard calls f, turning a panic into an error that names what panicked:
// a Store or connector that panics must neither take the host down nor
// leave a run or a connector marked busy.
func guard(what string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s panicked: %v", what, p)
		}
	}()
	return f()
}

// safePollOnce is pollOnce with any panic it lets through turned into the
// run's error.
func (s *Syncer) safePollOnce(ctx context.Context, e *entry, spec runSpec) (run SyncRun, leased bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			leased, err = true, fmt.Errorf("sync run panicked: %v", p)
			s.log.Error("ticketsync: sync run panicked", "connector", e.id, "panic", fmt.Sprint(p))
		}
	}()
	return s.pollOnce(ctx, e, spec)
}
