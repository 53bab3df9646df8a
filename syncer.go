package ticketsync

import (
	"container/heap"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
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
	// DefaultWebhookReadTimeout bounds the time to read one webhook
	// delivery's body.
	DefaultWebhookReadTimeout = 30 * time.Second
	// DefaultRunTimeout bounds one poll run. A run that reaches it fails,
	// says so in its SyncRun, releases its lease and is retried with
	// backoff; the cursor saved so far keeps its progress, so a long
	// backfill goes on where it stopped.
	DefaultRunTimeout = time.Hour
)

// Options configure a Syncer. The zero value, or nil, means the defaults.
type Options struct {
	// Interval between two poll runs of a connector; DefaultInterval when 0.
	Interval time.Duration
	// Jitter is the fraction of Interval by which runs are spread at random;
	// DefaultJitter when 0, none when negative, at most 1. With a Leaser
	// Store it also sets how recent another replica's successful poll must
	// be for a scheduled poll here to give way to it: less than
	// Interval × (1 − Jitter) ago (see Leaser).
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
	// WebhookReadTimeout bounds the time to read one delivery's body, set
	// per delivery through http.ResponseController, so that slow or stalled
	// senders cannot hold connections and memory (answered 408);
	// DefaultWebhookReadTimeout when 0, none when negative. The host's
	// http.Server should still set ReadHeaderTimeout and IdleTimeout.
	WebhookReadTimeout time.Duration
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
	// when 0. The Syncer renews it every third of LeaseTTL while a run
	// lasts, and stops the run when renewals have failed for two thirds of
	// it or one has not answered by five sixths, before the lease can lapse.
	// Set it well above the Store's slowest answers.
	LeaseTTL time.Duration
	// SingleLane turns the backfill lane off: every connector is polled in
	// one lane from its configured start, and a ticket changed during a new
	// connector's first sync arrives only once that sync has walked the
	// history. By default a new connector whose platform can start a
	// cursor at a time (LaneStarter) is polled in a live lane and a
	// backfill lane. A connector whose lanes were set up keeps them.
	SingleLane bool
	// BackfillLane is ignored: two lanes are the default (see SingleLane).
	//
	// Deprecated: two lanes are the default; set SingleLane to poll every
	// connector in one lane.
	BackfillLane bool
	// Hooks, when set, observe runs, webhook deliveries and the platform
	// requests made for them, for metrics and traces; see Hooks and package
	// ticketsyncotel.
	Hooks *Hooks
	// RunTimeout bounds one poll run, so that a connector stalled by a
	// platform (a hung connection, a rate-limit wait) fails visibly and
	// gives its lease up instead of renewing it for ever;
	// DefaultRunTimeout when 0, no bound when negative.
	RunTimeout time.Duration
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

	mu    sync.Mutex
	conns map[string]*entry
	// runner is the entry whose run (or cursor reset) of a connector id is
	// in progress. An entry replaced or removed and added again during a
	// run stays here until that run has ended and released its lease, so
	// that two runs of one id never overlap in this Syncer.
	runner   map[string]*entry
	queue    dueQueue
	inflight int
	running  bool          // Run is in progress
	wake     chan struct{} // nudges Run's loop; buffered, size 1

	// webhooks are the registrations RegisterWebhook made, by connector id.
	webhooks map[string]WebhookRegistration
	// hooks remembers which tickets recent webhook deliveries named, for
	// Explain.
	hooks recentWebhooks

	// seedQ are the entries whose status seedStatus is to fill, read by
	// seeders goroutines (at most seedReads); guarded by mu. seeds counts
	// the entries not yet done.
	seedQ   []*entry
	seeders int
	seeds   sync.WaitGroup
}

// entry is one registered connector and its schedule.
type entry struct {
	id       string
	conn     Connector
	platform string
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
	// forced: the next run of Run is not to give way to another
	// replica's recent poll (see polledElsewhere): it serves a request, a
	// reset cursor or a changed connector.
	forced bool
	// handover: the entry is due but waits for the run of the entry it
	// replaced to end.
	handover bool
	cancel   context.CancelCauseFunc // cancels the run in progress
	removed  bool
	paused   bool
	interval time.Duration // 0: Options.Interval
	attempt  int           // attempt number of the next run: 1 + failures since the last success
	due      time.Time     // when the next poll run is due
	index    int           // position in Syncer.queue, -1 when not queued
	last     lastRun

	webhooks webhookRuns     // not guarded by Syncer.mu
	backfill *BackfillStatus // nil while the connector is polled in one lane

	// Guarded by Syncer.mu. slicing: a backfill slice of the run in
	// progress is running; yield: a live poll was asked for meanwhile, so
	// the slice ends after its current page. released is closed when the
	// run in progress ends, for the SyncNow calls (waiting of them) that
	// wait for it.
	slicing, yield bool
	waiting        int
	released       chan struct{}
}

// lastRun is what a ConnectorStatus reports of the past.
type lastRun struct {
	ended, success, webhook time.Time
	status                  RunStatus
	err                     string
	tickets                 int
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
	if o.WebhookReadTimeout == 0 {
		o.WebhookReadTimeout = DefaultWebhookReadTimeout
	}
	if o.RunTimeout == 0 {
		o.RunTimeout = DefaultRunTimeout
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
		store:  store,
		opts:   o,
		log:    log,
		now:    now,
		conns:  make(map[string]*entry),
		runner: make(map[string]*entry),
		wake:   make(chan struct{}, 1),
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
// unique within the Syncer. Add returns an error if id is taken or invalid
// (one matching ErrInvalidID when CheckID refuses it: empty, over MaxIDLen
// bytes, a NUL character or invalid UTF-8), c
// is nil, mode is unknown, or c cannot serve mode (ModePoll and ModeBoth need
// a Poller, ModeWebhook and ModeBoth a WebhookReceiver).
//
// A connector that polls is due at once: its first run starts as soon as Run
// has a free slot, also when Add is called while Run is running.
//
// Add then reads the connector's newest poll and manual runs from the
// Store's history, in the background (a few connectors at a time, so that a
// host adding thousands at start-up neither waits for it nor floods its
// database) and for at most a few seconds, so that its ConnectorStatus
// shows its last sync from the start (after a restart, say); an error
// reading them is logged, and the status then starts empty.
func (s *Syncer) Add(id string, c Connector, mode Mode) error {
	return s.AddWithOptions(id, c, mode, nil)
}

// ConnectorOptions configure one connector of a Syncer. The zero value, or
// nil, means the Syncer's defaults.
type ConnectorOptions struct {
	// Interval between two poll runs of this connector; Options.Interval
	// when 0. A product with plans might poll a free account hourly and a
	// paying one every five minutes.
	Interval time.Duration
	// Paused adds the connector paused: it is not polled until Resume. See
	// Pause.
	Paused bool
}

// AddWithOptions is Add with per-connector options; opts may be nil.
func (s *Syncer) AddWithOptions(id string, c Connector, mode Mode, opts *ConnectorOptions) error {
	e, err := newEntry("add connector", id, c, mode, opts)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[id]; ok {
		return fmt.Errorf("ticketsync: add connector %q: id already added", id)
	}
	s.conns[id] = e
	if mode.polls() && !e.paused {
		s.schedule(e, s.now())
	}
	s.seeds.Add(1)
	s.seedQ = append(s.seedQ, e)
	if s.seeders < seedReads {
		s.seeders++
		go s.seed()
	}
	return nil
}

// newEntry checks c and mode and returns the entry for them; op names the
// caller in errors.
func newEntry(op, id string, c Connector, mode Mode, opts *ConnectorOptions) (*entry, error) {
	if err := CheckID(id); err != nil {
		return nil, fmt.Errorf("ticketsync: %s: %w", op, err)
	}
	if c == nil {
		return nil, fmt.Errorf("ticketsync: %s %q: nil connector", op, id)
	}
	if mode != ModePoll && mode != ModeWebhook && mode != ModeBoth {
		return nil, fmt.Errorf("ticketsync: %s %q: unknown mode %d (use ModePoll, ModeWebhook or ModeBoth)", op, id, int(mode))
	}
	e := &entry{id: id, conn: c, platform: c.Platform(), mode: mode, attempt: 1, index: -1}
	e.poller, _ = c.(Poller)
	e.receiver, _ = c.(WebhookReceiver)
	e.getter, _ = c.(TicketGetter)
	if mode.polls() && e.poller == nil {
		return nil, fmt.Errorf("ticketsync: %s %q: %s connector cannot poll (no Fetch method); use ModeWebhook", op, id, e.platform)
	}
	if mode.receives() && e.receiver == nil {
		return nil, fmt.Errorf("ticketsync: %s %q: %s connector cannot receive webhooks; use ModePoll", op, id, e.platform)
	}
	if opts != nil {
		if opts.Interval < 0 {
			return nil, fmt.Errorf("ticketsync: %s %q: negative interval %s", op, id, opts.Interval)
		}
		e.interval, e.paused = opts.Interval, opts.Paused
	}
	return e, nil
}

// Replace swaps the connector added under id for c, synced in mode: new
// credentials, a new mode, a connector built from a changed Config. The
// connector keeps its id, cursor, history, interval and pause state; from
// the moment Replace returns, webhook deliveries are verified and parsed by
// c.
//
// A poll run of the old connector in progress is canceled (recorded as
// failed, "connector replaced"; the pages it stored stay stored, and its
// cursor is where the next run resumes). The first run of c is due at once,
// but starts only after that run has ended and released its lease: two runs
// of one connector never overlap, in this Syncer or, with a Leaser store,
// across replicas. Replace returns an error matching ErrUnknownConnector
// when no connector was added under id, and the errors of Add when c cannot
// serve mode; the old connector then stays.
func (s *Syncer) Replace(id string, c Connector, mode Mode) error {
	e, err := newEntry("replace connector", id, c, mode, nil)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.conns[id]
	if !ok {
		return fmt.Errorf("ticketsync: replace connector %q: %w", id, ErrUnknownConnector)
	}
	e.interval, e.paused, e.last = old.interval, old.paused, old.last
	e.forced = true
	s.drop(old, errReplaced)
	s.conns[id] = e
	if mode.polls() && !e.paused {
		s.schedule(e, s.now())
	}
	return nil
}

// Causes of a canceled run, in its history record.
var (
	errRemoved  = errors.New("connector removed")
	errReplaced = errors.New("connector replaced")
	errPaused   = errors.New("connector paused")
)

// drop takes e out of the schedule and cancels its run with cause. s.mu
// must be held.
func (s *Syncer) drop(e *entry, cause error) {
	e.removed = true
	if e.index >= 0 {
		heap.Remove(&s.queue, e.index)
	}
	if e.cancel != nil {
		e.cancel(cause)
	}
}

// SetInterval sets the poll interval of the connector added under id; 0
// means Options.Interval. A connector waiting for its next regular run is
// rescheduled to the new interval after its last run; a retry keeps its
// time. It returns an error matching ErrUnknownConnector when no connector
// was added under id.
func (s *Syncer) SetInterval(id string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("ticketsync: set interval of %q: negative interval %s", id, d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.conns[id]
	if !ok {
		return fmt.Errorf("ticketsync: set interval of %q: %w", id, ErrUnknownConnector)
	}
	e.interval = d
	if e.slicing {
		// The slice's deadline was set by the old interval: the next
		// live run is planned from the new one once the slice has ended.
		e.yield = true
	}
	if e.index >= 0 && e.attempt == 1 && !e.requested && !e.last.ended.IsZero() {
		s.schedule(e, e.last.ended.Add(s.jittered(s.intervalOf(e))))
	}
	return nil
}

// Pause stops polling the connector added under id without removing it: no
// scheduled or webhook-requested poll starts, and a run in progress is
// canceled (recorded as failed, "connector paused"). SyncNow still runs a
// poll when asked, and webhook deliveries are still received and stored
// (the platform would otherwise deliver them again and, on some platforms,
// disable the webhook); Remove stops both. It returns an error matching
// ErrUnknownConnector when no connector was added under id.
func (s *Syncer) Pause(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.conns[id]
	if !ok {
		return fmt.Errorf("ticketsync: pause %q: %w", id, ErrUnknownConnector)
	}
	if e.paused {
		return nil
	}
	e.paused = true
	if e.index >= 0 {
		heap.Remove(&s.queue, e.index)
	}
	if e.cancel != nil {
		e.cancel(errPaused)
	}
	return nil
}

// Resume undoes Pause: a connector whose run fell due during the pause, or
// for which a webhook asked for a poll, runs at once; otherwise at its next
// due time. It returns an error matching ErrUnknownConnector when no
// connector was added under id.
func (s *Syncer) Resume(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.conns[id]
	if !ok {
		return fmt.Errorf("ticketsync: resume %q: %w", id, ErrUnknownConnector)
	}
	if !e.paused {
		return nil
	}
	e.paused = false
	switch {
	case e.requested || (e.mode.polls() && e.due.IsZero()):
		s.schedule(e, s.now())
	case e.mode.polls() || e.attempt > 1:
		s.schedule(e, e.due)
	}
	return nil
}

// intervalOf returns e's poll interval. s.mu must be held.
func (s *Syncer) intervalOf(e *entry) time.Duration {
	if e.interval > 0 {
		return e.interval
	}
	return s.opts.Interval
}

// Remove unregisters the connector added under id: no further runs start, a
// run in progress is canceled, and its webhooks are answered 404. A
// connector added again under id before that run has ended waits for it. Its stored
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
	s.drop(e, errRemoved)
}

// ConnectorStatus is one connector as a host's "Connectors" page shows it.
//
// LastRun, LastStatus, LastTickets, LastError and LastSuccess report the
// connector's latest poll runs (scheduled, retries and SyncNow) as this
// Syncer knows them: its own runs since the connector was added (or
// replaced, which keeps them); the newest ones the Store's history held
// when it was added, so that a restarted Syncer does not show a connector
// synced minutes ago as never synced; and, on a fleet of replicas sharing a
// Leaser Store, the successful poll of another replica that a scheduled
// poll here gave way to (see Leaser). So on a fleet they may describe
// another replica's run, and they can lag behind the fleet: the poll runs
// of other replicas that this Syncer did not give way to show only in the
// Store's history (SyncRuns), which has every run. Running, NextRun and
// Attempt are this Syncer's own: its run in progress and its schedule.
type ConnectorStatus struct {
	ID       string
	Platform string // Connector.Platform
	Mode     Mode
	// Interval is the connector's poll interval: its own, or
	// Options.Interval.
	Interval time.Duration
	Paused   bool // Pause was called; Resume undoes it
	// Running: a poll run of the connector is in progress in this Syncer.
	Running bool
	// NextRun is when the next poll run is due in this Syncer's schedule:
	// in the past when it waits for a free slot, zero when none is planned
	// (a webhook-only connector, a paused one, or one whose run is in
	// progress). After a poll given way to another replica, it is an
	// interval after that replica's run. Runs start only while Run is
	// running (see Syncer.Running).
	NextRun time.Time
	// Attempt is the attempt number of the next run: 1, or 1 + the failures
	// since the last success; above 1, NextRun is a retry.
	Attempt int
	// LastRun is when the last poll run ended, LastStatus its status,
	// LastTickets the tickets it stored and LastError its error ("" when it
	// succeeded). All are zero while no finished poll run is known (see
	// above): webhook runs, imports and backfill slices are not poll runs.
	LastRun     time.Time
	LastStatus  RunStatus
	LastTickets int
	LastError   string
	// LastSuccess is when a poll run last succeeded, as far as this
	// Syncer knows (see above).
	LastSuccess time.Time
	// LastWebhook is when a webhook delivery to the connector was last
	// stored by this Syncer: each replica receives its own deliveries, and
	// the Store's history has the webhook runs of all.
	LastWebhook time.Time
	// Backfill is the state of the connector's backfill lane (see
	// LaneStarter) as of its last run in this Syncer; nil when it is
	// polled in one lane or has not run yet.
	Backfill *BackfillStatus
}

// Connectors returns the status of every connector, sorted by id. It reads
// only the Syncer's memory, under one lock, so a host may call it as often
// as its page refreshes.
func (s *Syncer) Connectors() []ConnectorStatus {
	s.mu.Lock()
	out := make([]ConnectorStatus, 0, len(s.conns))
	for _, e := range s.conns {
		out = append(out, s.statusOf(e))
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b ConnectorStatus) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Status returns the status of the connector added under id, and whether
// there is one.
func (s *Syncer) Status(id string) (ConnectorStatus, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.conns[id]
	if !ok {
		return ConnectorStatus{}, false
	}
	return s.statusOf(e), true
}

// statusOf returns e's status. s.mu must be held.
func (s *Syncer) statusOf(e *entry) ConnectorStatus {
	st := ConnectorStatus{
		ID:          e.id,
		Platform:    e.platform,
		Mode:        e.mode,
		Interval:    s.intervalOf(e),
		Paused:      e.paused,
		Running:     e.busy || s.runner[e.id] != nil,
		Attempt:     e.attempt,
		LastRun:     e.last.ended,
		LastStatus:  e.last.status,
		LastTickets: e.last.tickets,
		LastError:   e.last.err,
		LastSuccess: e.last.success,
		LastWebhook: e.last.webhook,
	}
	if e.backfill != nil {
		b := *e.backfill
		st.Backfill = &b
	}
	if e.index >= 0 {
		st.NextRun = e.due
	} else if e.handover {
		st.NextRun = e.due
	}
	return st
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
//
// On a connector polled in two lanes (see LaneStarter), SyncNow runs the
// live lane; the backfill lane goes on in Run's scheduled runs. A backfill
// slice in progress is not an ErrSyncInProgress: it ends after its current
// page, SyncNow runs at once, and the scheduler resumes the backfill after
// it.
func (s *Syncer) SyncNow(ctx context.Context, id string) (SyncRun, error) {
	s.mu.Lock()
	e, ok := s.conns[id]
	if !ok || e.poller == nil {
		s.mu.Unlock()
		return SyncRun{}, fmt.Errorf("ticketsync: sync %q: %w", id, ErrUnknownConnector)
	}
	yielded := false
	for !s.claim(e) {
		if !e.slicing || e.removed {
			s.mu.Unlock()
			return SyncRun{}, fmt.Errorf("ticketsync: sync %q: %w", id, ErrSyncInProgress)
		}
		// A backfill slice gives way to the live lane after its page.
		if err := s.awaitSlice(ctx, e); err != nil {
			s.mu.Unlock()
			return SyncRun{}, fmt.Errorf("ticketsync: sync %q: %w", id, err)
		}
		if e.removed {
			// Removed or replaced while the slice ended.
			s.mu.Unlock()
			return SyncRun{}, fmt.Errorf("ticketsync: sync %q: %w", id, ErrSyncInProgress)
		}
		yielded = true
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	e.cancel = cancel
	s.mu.Unlock()

	run, leased, err := s.safePollOnce(ctx, e, runSpec{trigger: TriggerManual, attempt: 1})

	s.mu.Lock()
	s.release(e)
	if leased {
		s.noteRun(e, run, err)
		if wait, ok := statedWait(err); ok && e.index >= 0 && !e.paused {
			// The platform asked for a pause: the next scheduled run
			// honours it too.
			if at := run.FinishedAt.Add(min(wait, s.opts.MaxRetryAfter)); e.due.Before(at) {
				s.schedule(e, at)
			}
		}
	}
	if !e.removed && !e.paused && (e.again || yielded && e.mode.polls()) {
		// A webhook asked for a poll, or the backfill gave way to this
		// run: the scheduler goes on at once.
		e.again = false
		e.forced = true
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
	// Claiming e keeps runs from starting until the cursor is reset.
	if !s.claim(e) {
		s.mu.Unlock()
		return fmt.Errorf("ticketsync: reset cursor of %q: %w", id, ErrSyncInProgress)
	}
	s.mu.Unlock()

	err := s.resetCursor(ctx, id)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.release(e)
	if err != nil {
		return fmt.Errorf("ticketsync: reset cursor of %q: %w", id, err)
	}
	e.attempt = 1
	e.forced = true
	if !e.removed && !e.paused && e.mode.polls() {
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
	// The backfill lane's state goes first: a live cursor left alone
	// would otherwise be restarted at the old lane's start.
	if err := s.store.SetCursor(ctx, id+BackfillCursorSuffix, ""); err != nil {
		return err
	}
	return s.store.SetCursor(ctx, id, "")
}

// History returns the sync history of connectorID from the Store, newest
// StartedAt first, at most limit runs (all when limit <= 0): only the runs
// whose Trigger is trigger, or all of them when trigger is "". The
// connector need not be added. With a trigger, History uses the Store's
// HistoryFilter when it has one, and otherwise reads the whole history
// through SyncRuns and filters it.
//
// History(ctx, id, TriggerPoll, 1) is a connector's last scheduled sync,
// whatever the webhooks did since.
func (s *Syncer) History(ctx context.Context, connectorID, trigger string, limit int) ([]SyncRun, error) {
	var runs []SyncRun
	var err error
	switch f, ok := s.store.(HistoryFilter); {
	case trigger == "":
		runs, err = s.store.SyncRuns(ctx, connectorID, limit)
	case ok:
		runs, err = f.SyncRunsByTrigger(ctx, connectorID, trigger, limit)
	default:
		runs, err = s.store.SyncRuns(ctx, connectorID, 0)
		runs = slices.DeleteFunc(runs, func(r SyncRun) bool { return r.Trigger != trigger })
		if limit > 0 && len(runs) > limit {
			runs = runs[:limit]
		}
	}
	if err != nil {
		return nil, fmt.Errorf("ticketsync: history of %q: %w", connectorID, err)
	}
	return runs, nil
}

// claim marks e's run as in progress, unless a run of e, or of another entry
// under its id, is in progress. s.mu must be held.
func (s *Syncer) claim(e *entry) bool {
	if e.busy || s.runner[e.id] != nil {
		return false
	}
	e.busy = true
	s.runner[e.id] = e
	return true
}

// awaitSlice asks e's backfill slice in progress to end after its current
// page and waits, s.mu released, until e's run has ended. It returns with
// s.mu held, and ctx's error if ctx ended first.
func (s *Syncer) awaitSlice(ctx context.Context, e *entry) error {
	e.yield = true
	e.waiting++
	if e.released == nil {
		e.released = make(chan struct{})
	}
	ch := e.released
	s.mu.Unlock()
	var err error
	select {
	case <-ch:
	case <-ctx.Done():
		err = context.Cause(ctx)
	}
	s.mu.Lock()
	e.waiting--
	if err != nil && e.waiting == 0 && !e.busy && e.index < 0 && !e.removed && !e.paused && e.mode.polls() {
		// The scheduled run left e unplanned for this call.
		s.schedule(e, s.now())
	}
	return err
}

// yielding reports whether a live poll was asked for while e's backfill
// slice runs.
func (s *Syncer) yielding(e *entry) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return e.yield || e.again || e.waiting > 0
}

// release ends the run claimed for e, after it has released its lease, and
// starts the connector that replaced e if it waits for this run. s.mu must
// be held.
func (s *Syncer) release(e *entry) {
	e.slicing, e.yield = false, false
	if e.released != nil {
		close(e.released)
		e.released = nil
	}
	e.busy, e.cancel = false, nil
	if s.runner[e.id] == e {
		delete(s.runner, e.id)
	}
	if next := s.conns[e.id]; next != nil && next != e && next.handover {
		next.handover = false
		if !next.paused {
			s.schedule(next, s.now())
		}
	}
}

// noteRun keeps what ConnectorStatus reports of a finished poll run of e.
// s.mu must be held.
func (s *Syncer) noteRun(e *entry, run SyncRun, err error) {
	if run.FinishedAt.IsZero() {
		return
	}
	e.last.ended = run.FinishedAt
	e.last.status = run.Status
	e.last.tickets = run.Tickets
	e.last.err = ""
	if err != nil {
		e.last.err = err.Error()
		if len(run.Errors) > 0 {
			e.last.err = run.Errors[len(run.Errors)-1]
		}
	} else {
		e.last.success = run.FinishedAt
	}
}

// noteElsewhere keeps what ConnectorStatus reports of run, a finished poll
// or manual run of e that the Store's history holds (another replica's, or
// an earlier process's), unless this Syncer knows of a later one. s.mu must
// be held.
func (s *Syncer) noteElsewhere(e *entry, run SyncRun) {
	if run.FinishedAt.IsZero() || run.Status == RunRunning || !run.FinishedAt.After(e.last.ended) {
		return
	}
	e.last.ended = run.FinishedAt
	e.last.status = run.Status
	e.last.tickets = run.Tickets
	e.last.err = ""
	switch {
	case run.Status == RunSucceeded:
		e.last.success = run.FinishedAt
	case len(run.Errors) > 0:
		e.last.err = run.Errors[len(run.Errors)-1]
	default:
		e.last.err = "the run " + string(run.Status) + " without saying why"
	}
}

// seedTimeout bounds the history reads with which Add fills a connector's
// status, and seedReads how many connectors' reads run at once.
const (
	seedTimeout = 2 * time.Second
	seedReads   = 4
)

// seed fills the statuses of the entries in s.seedQ until it is empty.
func (s *Syncer) seed() {
	for {
		s.mu.Lock()
		if len(s.seedQ) == 0 {
			s.seedQ = nil
			s.seeders--
			s.mu.Unlock()
			return
		}
		e := s.seedQ[0]
		s.seedQ[0] = nil
		s.seedQ = s.seedQ[1:]
		s.mu.Unlock()
		s.seedStatus(e)
	}
}

// seedStatus, run by a seed goroutine for Add, fills the status of e from
// the newest poll and manual runs in the Store's history: the runs that
// ConnectorStatus reports. Webhook runs are not among them (LastWebhook is
// this Syncer's own deliveries), nor backfill slices (Backfill comes from
// the lane's state, at the next run). A run still in progress (or whose
// replica died during it) is skipped, and a run this Syncer has finished
// meanwhile wins. An error is logged; the status then starts empty.
func (s *Syncer) seedStatus(e *entry) {
	defer s.seeds.Done()
	ctx, cancel := context.WithTimeout(context.Background(), seedTimeout)
	defer cancel()
	var runs []SyncRun
	err := guard("store", func() error {
		f, ok := s.store.(HistoryFilter)
		if !ok {
			// The newest few, as polledElsewhere reads them.
			var err error
			runs, err = s.store.SyncRuns(ctx, e.id, recentRuns)
			return err
		}
		for _, trigger := range []string{TriggerPoll, TriggerManual} {
			r, err := f.SyncRunsByTrigger(ctx, e.id, trigger, recentRuns)
			if err != nil {
				return err
			}
			runs = append(runs, r...)
		}
		return nil
	})
	if err != nil {
		s.log.Warn("ticketsync: read sync history for the status; it starts empty", "connector", e.id, "err", err)
		return
	}
	var last, success SyncRun
	for _, r := range runs {
		if (r.Trigger != TriggerPoll && r.Trigger != TriggerManual) || r.Status == RunRunning {
			continue
		}
		if r.FinishedAt.After(last.FinishedAt) {
			last = r
		}
		if r.Status == RunSucceeded && r.FinishedAt.After(success.FinishedAt) {
			success = r
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.conns[e.id]; cur != nil {
		// e itself, or the entry that replaced it and took its status.
		e = cur
	}
	s.noteElsewhere(e, last)
	if success.FinishedAt.After(e.last.success) {
		e.last.success = success.FinishedAt
	}
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
