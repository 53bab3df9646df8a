package ticketsync

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"time"
)

// TriggerBackfill is the trigger of a backfill lane's runs, in the history.
const TriggerBackfill = "backfill"

// DefaultLaneOverlap is how far before "now" a new connector's live lane
// starts, so that a change made while the lanes were set up is read by both
// lanes rather than by neither.
const DefaultLaneOverlap = 10 * time.Minute

// BackfillCursorSuffix is appended to a connector's id to make the key
// under which its backfill lane's state is saved through Store.SetCursor.
// A connector id must not itself end with it.
const BackfillCursorSuffix = "#backfill"

// LaneStarter is an optional interface of a Poller whose platform can start
// a cursor at a given time, as well as at the configured start. A new
// connector (one with no saved cursor) whose Poller implements it, and
// whose first run is a scheduled one (Run, not SyncNow), is synced in two
// lanes unless Options.SingleLane is set: a live lane whose cursor starts
// at DefaultLaneOverlap before the first run, which keeps the connector
// current from that first run on, and a backfill lane that walks the
// history from the configured start up to where the live lane started.
// Without it the Syncer polls in one lane.
//
// A live lane's cursor must never go back before since, also after a run
// that read nothing: ticketsynctest's lane rule checks it.
type LaneStarter interface {
	Poller
	// StartCursor returns a cursor from which Fetch reads the changes made
	// at or after since, as the empty cursor reads those made at or after
	// the configured start. It makes no platform request.
	StartCursor(since time.Time) (string, error)
}

// BackfillStatus is the state of a connector's backfill lane, as
// ConnectorStatus shows it.
type BackfillStatus struct {
	// LiveFrom is where the live lane started: the backfill lane walks
	// history up to it.
	LiveFrom time.Time
	// Done is true once the backfill lane has reached LiveFrom.
	Done bool
	// Progress is an estimate of the share of the history read, from 0 to
	// 1, when the connector can tell (CursorDescriber and a configured
	// start); -1 otherwise.
	Progress float64
}

// backfillState is a backfill lane's saved state: where the live lane
// started, whether the lane is done, and the lane's own cursor.
type backfillState struct {
	liveFrom time.Time
	done     bool
	cursor   string
}

const backfillStateVersion = "b1"

func (b backfillState) encode() string {
	done := "0"
	if b.done {
		done = "1"
	}
	return backfillStateVersion + "|" + strconv.FormatInt(b.liveFrom.UnixNano(), 10) + "|" + done + "|" + b.cursor
}

func decodeBackfillState(s string) (backfillState, error) {
	parts := strings.SplitN(s, "|", 4)
	if len(parts) != 4 || parts[0] != backfillStateVersion {
		return backfillState{}, fmt.Errorf("backfill state: %w", ErrInvalidCursor)
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return backfillState{}, fmt.Errorf("backfill state: %w", ErrInvalidCursor)
	}
	return backfillState{liveFrom: time.Unix(0, n).UTC(), done: parts[2] == "1", cursor: parts[3]}, nil
}

// lanes sets up or loads e's backfill lane before a poll run: it returns
// the lane's state, and false when e is synced in one lane. A new
// connector's lanes are set up here: the backfill state first, then the
// live cursor, so that a crash between the two writes is completed on the
// next run from the saved state.
func (s *Syncer) lanes(ctx context.Context, e *entry, spec runSpec) (backfillState, bool, error) {
	key := e.id + BackfillCursorSuffix
	saved, err := s.store.Cursor(ctx, key)
	if err != nil {
		return backfillState{}, false, fmt.Errorf("load backfill state: %w", err)
	}
	starter, ok := e.poller.(LaneStarter)
	// Lanes are set up by a scheduled run only: a manual first run
	// (SyncNow) syncs a new connector in one lane, from its start.
	if saved == "" && (!ok || s.opts.SingleLane || spec.trigger != TriggerPoll) {
		return backfillState{}, false, nil
	}
	live, err := s.store.Cursor(ctx, e.id)
	if err != nil {
		return backfillState{}, false, fmt.Errorf("load cursor: %w", err)
	}
	var st backfillState
	if saved != "" {
		if st, err = decodeBackfillState(saved); err != nil {
			return backfillState{}, false, err
		}
	} else {
		if live != "" {
			return backfillState{}, false, nil // an existing one-lane connector
		}
		st = backfillState{liveFrom: s.now().Add(-DefaultLaneOverlap).UTC()}
		if err := s.store.SetCursor(ctx, key, st.encode()); err != nil {
			return backfillState{}, false, fmt.Errorf("save backfill state: %w", err)
		}
	}
	if live == "" && ok {
		c, err := starter.StartCursor(st.liveFrom)
		if err != nil {
			return backfillState{}, false, fmt.Errorf("start the live lane: %w", err)
		}
		if err := s.store.SetCursor(ctx, e.id, c); err != nil {
			return backfillState{}, false, fmt.Errorf("save live cursor: %w", err)
		}
	}
	s.noteBackfill(e, st)
	return st, true, nil
}

// noteBackfill keeps st for ConnectorStatus.
func (s *Syncer) noteBackfill(e *entry, st backfillState) {
	bs := &BackfillStatus{LiveFrom: st.liveFrom, Done: st.done, Progress: progressOf(e, st)}
	s.mu.Lock()
	e.backfill = bs
	s.mu.Unlock()
}

// progressOf estimates the share of the history e's backfill lane has
// read at st: from 0 to 1, or -1 when the connector cannot tell.
func progressOf(e *entry, st backfillState) float64 {
	switch {
	case st.done:
		return 1
	case st.cursor == "":
		return 0
	}
	if d, ok := e.poller.(CursorDescriber); ok {
		if info, err := d.DescribeCursor(st.cursor); err == nil && !info.Start.IsZero() && !info.Checkpoint.IsZero() && st.liveFrom.After(info.Start) {
			p := float64(info.Checkpoint.Sub(info.Start)) / float64(st.liveFrom.Sub(info.Start))
			return min(max(p, 0), 1)
		}
	}
	return -1
}

// backfillSlice runs e's backfill lane, page after page, until deadline,
// the lane's end or ctx's end, and records it as a run with Trigger
// TriggerBackfill. It runs after a live run of the same connector, under
// the same lease, never at the same time as it: the two lanes share the
// connector's rate budget, and the live lane goes first at every interval.
//
// A live poll asked for while the slice runs (SyncNow, a webhook's request
// for a poll, SetInterval) ends it after its current page, so that the
// live run starts at once; the backfill goes on after it.
func (s *Syncer) backfillSlice(ctx context.Context, e *entry, st backfillState, deadline time.Time) {
	if st.done || ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	if e.yield || e.again || e.waiting > 0 || e.requested {
		s.mu.Unlock()
		return // a live run is wanted already
	}
	e.slicing = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		e.slicing = false
		s.mu.Unlock()
	}()
	spec := runSpec{trigger: TriggerBackfill, attempt: 1}
	ctx = s.runStart(ctx, e, spec)
	run := SyncRun{ID: newRunID(), ConnectorID: e.id, Trigger: TriggerBackfill, Status: RunRunning, StartedAt: s.now(), Attempt: 1,
		Progress: progressOf(e, st)}
	err := s.backfillPages(ctx, e, &st, &run, deadline)
	if err != nil && errors.Is(context.Cause(ctx), errRunTimeout) {
		err = nil // Options.RunTimeout ends the slice early; the next goes on
	}
	s.finish(ctx, e, spec, &run, err)
	s.runEnd(ctx, e, spec, run, err)
	s.noteBackfill(e, st)
}

// backfillPages is the loop of backfillSlice. The lane's cursor moves only
// after its page's tickets are stored.
func (s *Syncer) backfillPages(ctx context.Context, e *entry, st *backfillState, run *SyncRun, deadline time.Time) error {
	if err := s.store.SaveSyncRun(ctx, *run); err != nil {
		return fmt.Errorf("record run start: %w", err)
	}
	key := e.id + BackfillCursorSuffix
	describer, _ := e.poller.(CursorDescriber)
	seen := make(map[uint64]struct{})
	seed := maphash.MakeSeed()
	for n := 1; !st.done && s.now().Before(deadline) && !s.yielding(e); n++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("stopped before page %d: %w", n, err)
		}
		page, err := safeFetch(ctx, e.poller, st.cursor)
		if err != nil {
			return fmt.Errorf("fetch page %d: %w", n, err)
		}
		for i := range page.Tickets {
			t := &page.Tickets[i]
			t.ConnectorID, t.Platform = e.id, e.platform
			if t.Deleted {
				if err := s.keepKnownFields(ctx, t); err != nil {
					return fmt.Errorf("page %d: %w", n, err)
				}
			}
		}
		if len(page.Tickets) > 0 {
			if err := guard("store", func() error { return s.store.UpsertTickets(ctx, page.Tickets) }); err != nil {
				return fmt.Errorf("page %d (%d tickets): store tickets: %w", n, len(page.Tickets), err)
			}
			for i := range page.Tickets {
				h := maphash.String(seed, page.Tickets[i].ID)
				if _, ok := seen[h]; !ok {
					seen[h] = struct{}{}
					run.Tickets++
				}
			}
			s.onTickets(ctx, e.id, page.Tickets)
		}
		next := *st
		if page.Cursor != "" {
			next.cursor = page.Cursor
		}
		switch {
		case !page.More:
			next.done = true // caught up with the present: past the live lane's start
		case page.Cursor == "" || page.Cursor == st.cursor:
			return fmt.Errorf("fetch page %d: %s connector reported more pages without a new cursor", n, e.platform)
		case describer != nil:
			if info, err := describer.DescribeCursor(next.cursor); err == nil && !info.Checkpoint.IsZero() && !info.Checkpoint.Before(next.liveFrom) {
				next.done = true // reached where the live lane started
			}
		}
		if err := guard("store", func() error { return s.store.SetCursor(ctx, key, next.encode()) }); err != nil {
			return fmt.Errorf("page %d: save backfill cursor: %w", n, err)
		}
		*st = next
		run.Progress = progressOf(e, next)
		s.noteBackfill(e, next)
		if n%10 == 0 {
			if err := s.store.SaveSyncRun(ctx, *run); err != nil {
				s.log.Warn("ticketsync: record backfill progress", "connector", e.id, "err", err)
			}
		}
	}
	return nil
}
