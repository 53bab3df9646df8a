package ticketsync

import (
	"container/heap"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"
)

// Mode says how a connector's tickets arrive.
type Mode int

// The sync modes.
const (
	// ModePoll: the scheduler asks the platform what changed, every
	// Options.Interval. The connector must implement Poller.
	ModePoll Mode = iota + 1
	// ModeWebhook: the platform pushes changes to WebhookHandler. The
	// connector must implement WebhookReceiver.
	ModeWebhook
	// ModeBoth: webhooks for latency, polling as the safety net. The
	// connector must implement Poller and WebhookReceiver.
	ModeBoth
)

// String returns "poll", "webhook" or "both".
func (m Mode) String() string {
	switch m {
	case ModePoll:
		return "poll"
	case ModeWebhook:
		return "webhook"
	case ModeBoth:
		return "both"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

func (m Mode) polls() bool    { return m == ModePoll || m == ModeBoth }
func (m Mode) receives() bool { return m == ModeWebhook || m == ModeBoth }

// Defaults for Options.
const (
	// DefaultInterval is how often a connector is polled.
	DefaultInterval = 15 * time.Minute
	// DefaultJitter spreads runs over ±10% of the interval, so that
	// thousands of connectors added at once do not keep firing together.
	DefaultJitter = 0.1
	// DefaultRetryBase is the wait before the first retry of a failed run;
	// each further retry waits twice as long, up to the interval.
	DefaultRetryBase = 30 * time.Second
	// DefaultMaxConcurrent bounds the poll runs in progress at once.
	DefaultMaxConcurrent = 8
	// DefaultMaxBodyBytes bounds a webhook delivery's body.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultLeaseTTL is how long a poll run's lease lasts without renewal,
	// when the Store implements Leaser.
	DefaultLeaseTTL = 2 * time.Minute
	// DefaultMaxRetryAfter caps the wait a platform may impose on the next
	// attempt of a failed run (APIError.RetryAfter): a day covers daily
	// quotas, and a broken or hostile header cannot stall a connector for
	// longer.
	DefaultMaxRetryAfter = 24 * time.Hour
)

// Options configure a Syncer. The zero value, or nil, means the defaults.
type Options struct {
	// Interval between two poll runs of a connector; DefaultInterval when 0.
	Interval time.Duration
	// Jitter is the fraction of Interval by which runs are spread at random;
	// DefaultJitter when 0, none when negative.
	Jitter float64
	// RetryBase is the wait before retrying a failed run; it doubles with
	// each attempt up to Interval. DefaultRetryBase when 0.
	RetryBase time.Duration
	// MaxRetryAfter caps the wait a platform states for the next attempt
	// (APIError.RetryAfter), which the Syncer otherwise honours even when it
	// is longer than the backoff or the interval. DefaultMaxRetryAfter when
	// 0.
	MaxRetryAfter time.Duration
	// MaxConcurrent bounds the poll runs in progress at once;
	// DefaultMaxConcurrent when 0.
	MaxConcurrent int
	// MaxBodyBytes bounds a webhook delivery's body (larger ones are
	// answered 413); DefaultMaxBodyBytes when 0.
	MaxBodyBytes int64
	// Logger receives the Syncer's logs; nil means silent. Logs never hold
	// credentials, signatures or payloads.
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// OnTickets, when set, is called after tickets are stored by a poll run
	// or a webhook delivery, with the stored tickets, for low-latency work in
	// the host (alerting on hostile tickets, say). It runs on the goroutine
	// of the run or the delivery and should return quickly; it must not
	// keep or modify the slice. A panic in it is recovered and logged.
	OnTickets func(ctx context.Context, connectorID string, tickets []Ticket)
	// Holder names this replica for Leaser stores; by default the host
	// name, the process id and a random suffix. Set a name that survives a
	// restart (a pod name, say) so that a restarted replica takes its own
	// leases back at once instead of waiting for them to expire.
	Holder string
	// LeaseTTL is how long a lease lasts without renewal; DefaultLeaseTTL
	// when 0. The Syncer renews it every third of LeaseTTL while a run lasts.
	LeaseTTL time.Duration
}

// Syncer is the engine: it holds the connectors and the Store, polls on a
// schedule (Run), on demand (SyncNow), and receives webhooks
// (WebhookHandler). Its methods are safe for concurrent use.
type Syncer struct {
	store  Store
	leaser Leaser // nil unless store implements it
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	// wakeAt returns a channel that fires once the clock reaches t, and a
	// function to stop it; replaced in tests by a fake clock's timer.
	wakeAt func(t time.Time) (<-chan time.Time, func() bool)

	mu       sync.Mutex
	conns    map[string]*entry
	queue    dueQueue
	inflight int
	running  bool          // Run is in progress
	wake     chan struct{} // nudges Run's loop; buffered, size 1
}

// entry is one registered connector and its schedule.
type entry struct {
	id       string
	conn     Connector
	mode     Mode
	poller   Poller
	receiver WebhookReceiver
	getter   TicketGetter

	// Guarded by Syncer.mu.
	busy bool // a run is in progress
	// requested: a webhook asked for a poll that has not started yet.
	// again: it asked while a run was in progress; poll once more when
	// that run ends.
	requested, again bool
	cancel           context.CancelFunc // cancels the run in progress
	removed          bool
	attempt          int       // attempt number of the next run: 1 + failures since the last success
	due              time.Time // when the next poll run is due
	index            int       // position in Syncer.queue, -1 when not queued
}

// NewSyncer returns a Syncer that stores into store. opts may be nil.
// It panics if store is nil.
func NewSyncer(store Store, opts *Options) *Syncer {
	if store == nil {
		panic("ticketsync: NewSyncer called with a nil Store")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Jitter == 0 {
		o.Jitter = DefaultJitter
	} else if o.Jitter < 0 {
		o.Jitter = 0
	} else if o.Jitter > 1 {
		o.Jitter = 1
	}
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultRetryBase
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.Holder == "" {
		host, _ := os.Hostname()
		o.Holder = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), rand.Text()[:8])
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	s := &Syncer{
		store: store,
		opts:  o,
		log:   log,
		now:   now,
		conns: make(map[string]*entry),
		wake:  make(chan struct{}, 1),
	}
	s.wakeAt = s.realWakeAt
	s.leaser, _ = store.(Leaser)
	return s
}

// realWakeAt is wakeAt on the real clock.
func (s *Syncer) realWakeAt(at time.Time) (<-chan time.Time, func() bool) {
	t := time.NewTimer(at.Sub(s.now()))
	return t.C, t.Stop
}

// Add registers connector c under id, to be synced in mode. id is what the
// tickets' ConnectorID and the webhook URL's connectorId say; it must be
// unique within the Syncer. Add returns an error if id is empty or taken, c
// is nil, mode is unknown, or c cannot serve mode (ModePoll and ModeBoth need
// a Poller, ModeWebhook and ModeBoth a WebhookReceiver).
//
// A connector that polls is due at once: its first run starts as soon as Run
// has a free slot, also when Add is called while Run is running.
func (s *Syncer) Add(id string, c Connector, mode Mode) error {
	if id == "" {
		return errors.New("ticketsync: add connector: empty id")
	}
	if c == nil {
		return fmt.Errorf("ticketsync: add connector %q: nil connector", id)
	}
	if mode != ModePoll && mode != ModeWebhook && mode != ModeBoth {
		return fmt.Errorf("ticketsync: add connector %q: unknown mode %d (use ModePoll, ModeWebhook or ModeBoth)", id, int(mode))
	}
	e := &entry{id: id, conn: c, mode: mode, attempt: 1, index: -1}
	e.poller, _ = c.(Poller)
	e.receiver, _ = c.(WebhookReceiver)
	e.getter, _ = c.(TicketGetter)
	if mode.polls() && e.poller == nil {
		return fmt.Errorf("ticketsync: add connector %q: %s connector cannot poll (no Fetch method); use ModeWebhook", id, c.Platform())
	}
	if mode.receives() && e.receiver == nil {
		return fmt.Errorf("ticketsync: add connector %q: %s connector cannot receive webhooks; use ModePoll", id, c.Platform())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[id]; ok {
		return fmt.Errorf("ticketsync: add connector %q: id already added", id)
	}
	s.conns[id] = e
	if mode.polls() {
		e.due = s.now()
		heap.Push(&s.queue, e)
		s.nudge()
	}
	return nil
}

// Remove unregisters the connector added under id: no further runs start, a
// run in progress is canceled, and its webhooks are answered 404. Its stored
// tickets, cursor and history stay in the Store. Removing an unknown id does
// nothing.
func (s *Syncer) Remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.conns[id]
	if !ok {
		return
	}
	delete(s.conns, id)
	e.removed = true
	if e.index >= 0 {
		heap.Remove(&s.queue, e.index)
	}
	if e.cancel != nil {
		e.cancel()
	}
}

// Connector returns the connector added under id, and whether there is one.
func (s *Syncer) Connector(id string) (Connector, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.conns[id]
	if !ok {
		return nil, false
	}
	return e.conn, true
}

func (s *Syncer) lookup(id string) (*entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.conns[id]
	return e, ok
}

// nudge wakes Run's loop. s.mu may be held.
func (s *Syncer) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// SyncNow runs one poll of the connector added under id and waits for it,
// returning the run as recorded in the history. It returns an error matching
// ErrUnknownConnector when there is no such connector or it does not poll,
// and ErrSyncInProgress, without waiting, when a run of that connector is
// already in progress here (or, with a Leaser store, on another replica).
// Otherwise the error is the run's own, also recorded in the returned
// SyncRun. A manual run does not change the schedule of Run.
func (s *Syncer) SyncNow(ctx context.Context, id string) (SyncRun, error) {
	s.mu.Lock()
	e, ok := s.conns[id]
	if !ok || e.poller == nil {
		s.mu.Unlock()
		return SyncRun{}, fmt.Errorf("ticketsync: sync %q: %w", id, ErrUnknownConnector)
	}
	if e.busy {
		s.mu.Unlock()
		return SyncRun{}, fmt.Errorf("ticketsync: sync %q: %w", id, ErrSyncInProgress)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.busy, e.cancel = true, cancel
	s.mu.Unlock()

	run, leased, err := s.pollOnce(ctx, e, runSpec{trigger: TriggerManual, attempt: 1})

	s.mu.Lock()
	e.busy, e.cancel = false, nil
	if e.again && !e.removed {
		e.again = false
		s.schedule(e, s.now())
	}
	s.mu.Unlock()
	if !leased {
		return SyncRun{}, fmt.Errorf("ticketsync: sync %q: %w on another replica", id, ErrSyncInProgress)
	}
	return run, err
}

// ResetCursor clears the saved cursor of the connector added under id, so
// that its next poll starts again from the connector's configured start (a
// platform package's Config.StartTime), and makes the connector due at once.
// It is the remedy for a run that failed with ErrInvalidCursor. Stored
// tickets stay; the next run delivers them again, which is harmless.
//
// It returns an error matching ErrUnknownConnector when no connector was
// added under id, and ErrSyncInProgress when a run of it is in progress here
// or, with a Leaser store, on another replica: that run would save its own
// cursor over the reset.
func (s *Syncer) ResetCursor(ctx context.Context, id string) error {
	s.mu.Lock()
	e, ok := s.conns[id]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("ticketsync: reset cursor of %q: %w", id, ErrUnknownConnector)
	}
	if e.busy {
		s.mu.Unlock()
		return fmt.Errorf("ticketsync: reset cursor of %q: %w", id, ErrSyncInProgress)
	}
	// busy keeps runs from starting until the cursor is reset.
	e.busy = true
	s.mu.Unlock()

	err := s.resetCursor(ctx, id)

	s.mu.Lock()
	defer s.mu.Unlock()
	e.busy = false
	if err != nil {
		return fmt.Errorf("ticketsync: reset cursor of %q: %w", id, err)
	}
	e.attempt = 1
	if !e.removed && e.mode.polls() {
		s.schedule(e, s.now())
	}
	return nil
}

// resetCursor saves the empty cursor of id, under its lease when the Store
// is a Leaser.
func (s *Syncer) resetCursor(ctx context.Context, id string) error {
	if s.leaser != nil {
		ok, err := s.leaser.AcquireLease(ctx, id, s.opts.Holder, s.opts.LeaseTTL)
		if err != nil {
			return fmt.Errorf("acquire lease: %w", err)
		}
		if !ok {
			return fmt.Errorf("%w on another replica", ErrSyncInProgress)
		}
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
			defer cancel()
			if err := s.leaser.ReleaseLease(rctx, id, s.opts.Holder); err != nil {
				s.log.Warn("ticketsync: release lease", "connector", id, "err", err)
			}
		}()
	}
	return s.store.SetCursor(ctx, id, "")
}

// newRunID returns a random id for a SyncRun.
func newRunID() string { return rand.Text() }

// dueQueue is a min-heap of connectors by due time.
type dueQueue []*entry

func (q dueQueue) Len() int           { return len(q) }
func (q dueQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q dueQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}
func (q *dueQueue) Push(x any) {
	e := x.(*entry)
	e.index = len(*q)
	*q = append(*q, e)
}
func (q *dueQueue) Pop() any {
	old := *q
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	e.index = -1
	*q = old[:n-1]
	return e
}
