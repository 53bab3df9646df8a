package ticketsynctest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/sqlstore"
)

// SoakRoundsEnv names the environment variable that sets the number of
// rounds RunSoak runs; DefaultSoakRounds when unset, so that CI runs it
// briefly and a person can run it long:
//
//	TICKETSYNC_SOAK_ROUNDS=200 go test -run Soak ./zendesk/
const SoakRoundsEnv = "TICKETSYNC_SOAK_ROUNDS"

// SoakSeedEnv names the environment variable that sets RunSoak's random
// seed, to replay a failure; the seed is logged. Random when unset. The
// timing of the runs still varies from one replay to the next.
const SoakSeedEnv = "TICKETSYNC_SOAK_SEED"

// DefaultSoakRounds is RunSoak's number of rounds when SoakRoundsEnv is
// unset.
const DefaultSoakRounds = 4

// SoakReport is what RunSoak did: the faults it injected and what came of
// them, for RELIABILITY.md.
type SoakReport struct {
	Seed                          uint64
	Rounds, Restarts              int
	Changes                       int // creates, updates, deletes and comments on the fake
	PlatformFaults                int // 500, 503 and 429 answers injected into the fake
	BodyFaults                    int // truncated bodies, HTML pages, 429s without Retry-After (BodyFaulter)
	StoreFailures, StorePanics    int // Store calls that failed or panicked
	Deliveries, Duplicates        int // webhook deliveries, and those sent twice
	Tampered                      int // deliveries changed after signing
	Answered2xx, Answered401      int
	Answered5xx                   int
	RunsOK, RunsFailed, FinalRuns int
	Tickets                       int // tickets in the account at the end
}

// RunSoak drives a Syncer over the fake account of h through rounds of
// random faults, then checks that everything converges exactly. Each round
// changes the account (creates, updates, deletes, comments), has the fake
// answer some requests with 500, 503 or 429 (with Retry-After) and, when the
// harness's Account is a BodyFaulter, with truncated bodies, HTML error
// pages and 429s without Retry-After, makes the
// Store fail or panic on some calls, runs the scheduler for a while, sends
// webhook deliveries (when the platform has them) in random order, some
// twice and some tampered with, and then restarts: a new Syncer, a new
// connector, the Store reopened. When the test binary has registered the
// "sqlite" database/sql driver (modernc.org/sqlite), the Store is a
// sqlstore over a SQLite file, so a restart keeps its state on disk;
// otherwise it is a memstore kept across restarts.
//
// At the end, with the faults off, a poll must succeed, then one more (a
// run may end a pass an earlier run began), and the Store must equal the
// account on the compared fields (Harness.Capabilities), no run
// may be left "running" in the history, and no goroutine of the Syncer may
// be left. After each round, the stopped Syncer must have left no lease
// held. The seed is logged; the rounds come from SoakRoundsEnv.
func RunSoak(t *testing.T, h Harness) SoakReport {
	t.Helper()
	caps := h.Capabilities()
	rounds := DefaultSoakRounds
	if v := os.Getenv(SoakRoundsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number of rounds", SoakRoundsEnv, v)
		}
		rounds = n
	}
	seed := rand.Uint64()
	if v := os.Getenv(SoakSeedEnv); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want a number", SoakSeedEnv, v)
		}
		seed = n
	}
	t.Logf("soak of %s: %d rounds, seed %d", caps.Platform, rounds, seed)
	k := &soak{
		t:    t,
		caps: caps,
		acct: h.NewAccount(t, accountSize(caps)),
		rng:  rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		rep:  SoakReport{Seed: seed, Rounds: rounds},
	}
	k.ctx = t.Context()
	k.open = k.storeOpener()
	store := &faultyStore{}
	store.inner = k.open()
	k.store = store
	want, err := k.acct.Want()
	if err != nil {
		t.Fatalf("Account.Want: %v", err)
	}
	for _, w := range want {
		k.ids = append(k.ids, w.ID)
	}
	for range rounds {
		k.round()
	}
	k.converge()
	return k.rep
}

// soak is one RunSoak.
type soak struct {
	t     *testing.T
	ctx   context.Context
	caps  Capabilities
	acct  Account
	rng   *rand.Rand
	open  func() ticketsync.Store
	store *faultyStore
	ids   []string            // every ticket id the account has had
	ops   map[string][]string // what the soak did to each ticket, for failure messages
	rep   SoakReport
}

// storeOpener returns how the Store is (re)opened at each restart.
func (k *soak) storeOpener() func() ticketsync.Store {
	if !slices.Contains(sql.Drivers(), "sqlite") {
		m := memstore.New()
		return func() ticketsync.Store { return m }
	}
	path := filepath.Join(k.t.TempDir(), "soak.db")
	var db *sql.DB
	k.t.Cleanup(func() {
		if db != nil {
			db.Close()
		}
	})
	return func() ticketsync.Store {
		if db != nil {
			db.Close() // the process "dies": its connections go
		}
		var err error
		db, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)")
		if err != nil {
			k.t.Fatalf("open SQLite: %v", err)
		}
		s, err := sqlstore.New(k.ctx, db, nil)
		if err != nil {
			k.t.Fatalf("sqlstore.New: %v", err)
		}
		return s
	}
}

// round is one round of changes and faults, ending in a restart.
func (k *soak) round() {
	k.t.Helper()
	k.change(1 + k.rng.IntN(6))
	if k.rng.IntN(2) == 0 {
		k.acct.Settle()
	}
	for range k.rng.IntN(4) {
		statuses := []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusTooManyRequests}
		k.acct.InjectFault(statuses[k.rng.IntN(len(statuses))], 1)
		k.rep.PlatformFaults++
	}
	if bf, ok := k.acct.(BodyFaulter); ok {
		kinds := []BodyFault{Truncated, HTMLPage, RateLimitedNoRetryAfter}
		for range k.rng.IntN(3) {
			if bf.InjectBodyFault(kinds[k.rng.IntN(len(kinds))], 1) {
				k.rep.BodyFaults++
			}
		}
	}
	k.store.arm(k.rng)

	s := k.start()
	ctx, cancel := context.WithCancel(k.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	if k.caps.Webhooks {
		k.deliver(s)
	}
	time.Sleep(time.Duration(50+k.rng.IntN(200)) * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		k.t.Fatalf("Run: %v", err)
	}
	k.noLeaseLeft()
	k.restart()
}

// start makes a Syncer with a new connector of the account, as a process
// starting up does.
func (k *soak) start() *ticketsync.Syncer {
	k.t.Helper()
	conn, err := k.acct.NewConnector(true)
	if err != nil {
		k.t.Fatalf("NewConnector: %v", err)
	}
	mode := ticketsync.ModePoll
	if k.caps.Webhooks {
		mode = ticketsync.ModeBoth
	}
	// One lane: the Syncer runs on the real clock, which the fakes' clocks
	// do not follow, and a live lane started at the real "now" would read
	// none of the fake's changes. The lane rule of RunConnectorTests
	// checks the lanes, on the account's clock.
	s := ticketsync.NewSyncer(k.store, &ticketsync.Options{
		Interval: 30 * time.Millisecond, RetryBase: 5 * time.Millisecond, Jitter: -1,
		LeaseTTL: time.Second, RunTimeout: 20 * time.Second, SingleLane: true,
	})
	if err := s.Add(kitConnectorID, conn, mode); err != nil {
		k.t.Fatalf("Syncer.Add: %v", err)
	}
	return s
}

// noLeaseLeft fails the test when a Syncer whose Run has returned left the
// lease of its connector held. Each restart is a new Syncer with a new
// Holder, as a new process without a stable name would be: a lease left
// behind would hold it off until the lease lapsed, and SyncNow, which does
// not wait, would say "sync already in progress on another replica". Run
// returns only once its runs have ended and given their leases up, so any
// lease found here is a bug of the Syncer or the Store, and this names the
// round it happened in.
func (k *soak) noLeaseLeft() {
	k.t.Helper()
	k.store.mu.Lock()
	s := k.store.inner
	k.store.mu.Unlock()
	lt, ok := s.(ticketsync.LeaseTimer)
	if !ok {
		return
	}
	left, err := lt.LeaseLeft(k.ctx, kitConnectorID)
	if err != nil {
		k.t.Fatalf("LeaseLeft: %v", err)
	}
	if left > 0 {
		k.t.Errorf("soak (seed %d): round %d: the connector's lease is still held %v after Run returned; the next process would be refused it until then", k.rep.Seed, k.rep.Restarts+1, left)
	}
}

// restart reopens the Store, as a new process would.
func (k *soak) restart() {
	k.store.disarm()
	k.store.set(k.open())
	k.rep.Restarts++
}

// change makes n random changes to the account.
func (k *soak) change(n int) {
	k.t.Helper()
	for range n {
		k.rep.Changes++
		var err error
		switch op := k.rng.IntN(10); {
		case op < 3 || len(k.ids) < 2:
			var id string
			if id, err = k.acct.CreateTicket(); err == nil {
				k.ids = append(k.ids, id)
				k.note(id, "created")
			}
		case op < 7:
			id := k.pick()
			k.note(id, "updated")
			err = k.acct.UpdateTicket(id)
		case op < 9:
			id := k.pick()
			k.note(id, "commented")
			_, err = k.acct.AddComment(id)
		default:
			if !k.caps.DeletesByPoll && !k.caps.Webhooks {
				err = k.acct.UpdateTicket(k.pick())
				break
			}
			i := k.rng.IntN(len(k.ids))
			k.note(k.ids[i], "deleted")
			err = k.acct.DeleteTicket(k.ids[i])
			// Deleted tickets are changed no more.
			k.ids = slices.Delete(k.ids, i, i+1)
		}
		if err != nil && !errors.Is(err, ticketsync.ErrNotFound) {
			k.t.Fatalf("changing the account: %v", err)
		}
	}
}

// note records what the soak did to ticket id in this round.
func (k *soak) note(id, what string) {
	if k.ops == nil {
		k.ops = make(map[string][]string)
	}
	k.ops[id] = append(k.ops[id], fmt.Sprintf("%s in round %d", what, k.rep.Restarts+1))
}

// pick returns a random ticket id the account has had.
func (k *soak) pick() string { return k.ids[k.rng.IntN(len(k.ids))] }

// deliver sends webhook deliveries about random tickets to s in random
// order, some twice, some tampered with.
func (k *soak) deliver(s *ticketsync.Syncer) {
	k.t.Helper()
	type delivery struct {
		req      *http.Request
		tampered bool
	}
	var ds []delivery
	kinds := []ticketsync.EventKind{ticketsync.EventUpdated, ticketsync.EventCreated, ticketsync.EventCommented}
	for range 1 + k.rng.IntN(4) {
		id := k.pick()
		tampered := k.rng.IntN(6) == 0
		req, err := k.acct.Webhook(webhookTarget, kinds[k.rng.IntN(len(kinds))], id, tampered)
		if err != nil {
			continue // e.g. a deleted ticket the platform sends nothing about
		}
		ds = append(ds, delivery{req, tampered})
		if tampered {
			k.rep.Tampered++
		}
		if !tampered && k.rng.IntN(3) == 0 {
			if again, err := k.acct.Webhook(webhookTarget, ticketsync.EventUpdated, id, false); err == nil {
				ds = append(ds, delivery{again, false})
				k.rep.Duplicates++
			}
		}
	}
	k.rng.Shuffle(len(ds), func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })
	h := s.WebhookHandler()
	for _, d := range ds {
		k.rep.Deliveries++
		w := newRecorder()
		h.ServeHTTP(w, d.req.WithContext(k.ctx))
		switch {
		case d.tampered && w.code != http.StatusUnauthorized:
			k.t.Errorf("a tampered delivery was answered %d, want 401", w.code)
		case w.code >= 200 && w.code < 300:
			k.rep.Answered2xx++
		case w.code == http.StatusUnauthorized:
			k.rep.Answered401++
			if !d.tampered {
				k.t.Errorf("a signed delivery was answered 401")
			}
		case w.code >= 500:
			k.rep.Answered5xx++ // the platform delivers again; the final poll makes up for it
			k.t.Logf("a delivery was answered %d: %s", w.code, strings.TrimSpace(string(w.body)))
		default:
			k.t.Errorf("a delivery was answered %d", w.code)
		}
	}
}

// converge turns the faults off, polls until a run succeeds and checks that
// the Store equals the account.
func (k *soak) converge() {
	k.t.Helper()
	k.acct.Settle()
	k.store.disarm()
	s := k.start()
	var err error
	for attempt := 1; attempt <= 5; attempt++ {
		k.rep.FinalRuns++
		if _, err = s.SyncNow(k.ctx, kitConnectorID); err == nil {
			break
		}
	}
	if err != nil {
		k.t.Fatalf("no poll succeeded once the faults were off: %v", err)
	}
	// A run may resume a pass that a run cut short had begun, and end it
	// without reading what changed since that pass read it (HubSpot's
	// search phase, then its threads, engagements and recycle-bin phases):
	// nothing is lost, the next run reads it. One more run, which starts a
	// pass, must succeed.
	k.rep.FinalRuns++
	if _, err := s.SyncNow(k.ctx, kitConnectorID); err != nil {
		k.t.Fatalf("the run after the first successful one failed: %v", err)
	}
	want, err := k.acct.Want()
	if err != nil {
		k.t.Fatalf("Account.Want: %v", err)
	}
	k.rep.Tickets = len(want)
	c := &connCheck{t: k.t, tb: k.t, acct: k.acct, caps: k.caps, ctx: k.ctx, rule: "soak: the Store converges to the account"}
	var diffs []string
	for _, w := range want {
		got, err := k.store.Ticket(k.ctx, kitConnectorID, w.ID)
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("ticket %q: %v", w.ID, err))
			continue
		}
		if w.Deleted {
			// A ticket deleted before a poll saw it alive can only be a
			// bare tombstone: the platform tells little of deleted ones.
			if !got.Deleted {
				diffs = append(diffs, fmt.Sprintf("ticket %q (%s): stored alive, deleted in the account", w.ID, k.history(w.ID)))
			}
			continue
		}
		if d := diffProjected(toSecond(c.project(w)), toSecond(c.project(got))); len(d) > 0 {
			diffs = append(diffs, fmt.Sprintf("ticket %q (%s): %s", w.ID, k.history(w.ID), strings.Join(d, "; ")))
		}
	}
	if len(diffs) > 0 {
		n := len(diffs)
		if n > 5 {
			diffs = append(diffs[:5], fmt.Sprintf("and %d more", n-5))
		}
		k.t.Errorf("soak (seed %d): %d of %d tickets differ from the account: %s", k.rep.Seed, n, len(want), strings.Join(diffs, "; "))
	}
	runs, err := k.store.SyncRuns(k.ctx, kitConnectorID, 0)
	if err != nil {
		k.t.Fatalf("SyncRuns: %v", err)
	}
	for _, r := range runs {
		switch r.Status {
		case ticketsync.RunRunning:
			k.t.Errorf("soak (seed %d): run %s (%s, started %s) is still recorded as running", k.rep.Seed, r.ID, r.Trigger, r.StartedAt)
		case ticketsync.RunSucceeded:
			k.rep.RunsOK++
		default:
			k.rep.RunsFailed++
		}
	}
	k.noSyncerGoroutines()
	k.rep.StoreFailures, k.rep.StorePanics = k.store.failed, k.store.paniced
	k.t.Logf("soak of %s: %+v", k.caps.Platform, k.rep)
}

// toSecond truncates t's times to the second. Platforms give times in
// seconds or milliseconds, and a harness's Want may keep its fake's finer
// clock; a copy a second old is found all the same, since the soak's
// changes are seconds apart on the fakes' clocks.
func toSecond(t ticketsync.Ticket) ticketsync.Ticket {
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.Truncate(time.Second), t.UpdatedAt.Truncate(time.Second)
	cs := make([]ticketsync.Comment, len(t.Comments))
	for i, c := range t.Comments {
		c.CreatedAt = c.CreatedAt.Truncate(time.Second)
		cs[i] = c
	}
	t.Comments = cs
	return t
}

// history says what the soak did to ticket id.
func (k *soak) history(id string) string {
	if len(k.ops[id]) == 0 {
		return "untouched by the soak"
	}
	return strings.Join(k.ops[id], ", ")
}

// noSyncerGoroutines fails the test when a goroutine of the Syncer is left.
func (k *soak) noSyncerGoroutines() {
	k.t.Helper()
	var stacks string
	for range 100 {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "ticketsync.(*Syncer)") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, g := range strings.Split(stacks, "\n\n") {
		if strings.Contains(g, "ticketsync.(*Syncer)") {
			k.t.Errorf("soak: a goroutine of the Syncer is left:\n%s", g)
			return
		}
	}
}

// faultyStore is a Store that fails or panics on some calls while armed.
type faultyStore struct {
	mu              sync.Mutex
	inner           ticketsync.Store
	fails, panics   int // calls left to fail, to panic
	failed, paniced int // calls that failed, that panicked
}

var (
	errSoakStore                       = errors.New("soak: the database is unavailable")
	_            ticketsync.PageStorer = (*faultyStore)(nil)
	_            ticketsync.Leaser     = (*faultyStore)(nil)
)

// arm makes the next calls fail or panic at random.
func (f *faultyStore) arm(rng *rand.Rand) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fails, f.panics = rng.IntN(4), rng.IntN(2)
}

func (f *faultyStore) disarm() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fails, f.panics = 0, 0
}

func (f *faultyStore) set(s ticketsync.Store) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inner = s
}

// fault returns the inner Store, after failing or panicking when armed.
func (f *faultyStore) fault(write bool) (ticketsync.Store, error) {
	f.mu.Lock()
	inner := f.inner
	doPanic, doFail := false, false
	if write && f.panics > 0 {
		f.panics--
		f.paniced++
		doPanic = true
	} else if f.fails > 0 {
		f.fails--
		f.failed++
		doFail = true
	}
	f.mu.Unlock()
	if doPanic {
		panic("soak: the Store panicked")
	}
	if doFail {
		return nil, errSoakStore
	}
	return inner, nil
}

func (f *faultyStore) UpsertTickets(ctx context.Context, tickets []ticketsync.Ticket) error {
	s, err := f.fault(true)
	if err != nil {
		return err
	}
	return s.UpsertTickets(ctx, tickets)
}

func (f *faultyStore) StorePage(ctx context.Context, connectorID string, tickets []ticketsync.Ticket, cursor string) error {
	s, err := f.fault(true)
	if err != nil {
		return err
	}
	if ps, ok := s.(ticketsync.PageStorer); ok {
		return ps.StorePage(ctx, connectorID, tickets, cursor)
	}
	if err := s.UpsertTickets(ctx, tickets); err != nil {
		return err
	}
	return s.SetCursor(ctx, connectorID, cursor)
}

func (f *faultyStore) Ticket(ctx context.Context, connectorID, id string) (ticketsync.Ticket, error) {
	f.mu.Lock()
	s := f.inner
	f.mu.Unlock()
	return s.Ticket(ctx, connectorID, id)
}

func (f *faultyStore) Cursor(ctx context.Context, connectorID string) (string, error) {
	s, err := f.fault(false)
	if err != nil {
		return "", err
	}
	return s.Cursor(ctx, connectorID)
}

func (f *faultyStore) SetCursor(ctx context.Context, connectorID, cursor string) error {
	s, err := f.fault(true)
	if err != nil {
		return err
	}
	return s.SetCursor(ctx, connectorID, cursor)
}

func (f *faultyStore) SaveSyncRun(ctx context.Context, run ticketsync.SyncRun) error {
	f.mu.Lock()
	s := f.inner
	f.mu.Unlock()
	return s.SaveSyncRun(ctx, run)
}

func (f *faultyStore) SyncRuns(ctx context.Context, connectorID string, limit int) ([]ticketsync.SyncRun, error) {
	f.mu.Lock()
	s := f.inner
	f.mu.Unlock()
	return s.SyncRuns(ctx, connectorID, limit)
}

func (f *faultyStore) AcquireLease(ctx context.Context, connectorID, holder string, ttl time.Duration) (bool, error) {
	f.mu.Lock()
	s := f.inner
	f.mu.Unlock()
	if l, ok := s.(ticketsync.Leaser); ok {
		return l.AcquireLease(ctx, connectorID, holder, ttl)
	}
	return true, nil
}

func (f *faultyStore) ReleaseLease(ctx context.Context, connectorID, holder string) error {
	f.mu.Lock()
	s := f.inner
	f.mu.Unlock()
	if l, ok := s.(ticketsync.Leaser); ok {
		return l.ReleaseLease(ctx, connectorID, holder)
	}
	return nil
}

// soakRecorder is the little of httptest.ResponseRecorder the soak needs.
type soakRecorder struct {
	h    http.Header
	code int
	body []byte
}

func newRecorder() *soakRecorder { return &soakRecorder{h: http.Header{}, code: http.StatusOK} }

func (r *soakRecorder) Header() http.Header { return r.h }
func (r *soakRecorder) Write(b []byte) (int, error) {
	r.body = append(r.body, b...)
	return len(b), nil
}
func (r *soakRecorder) WriteHeader(code int) { r.code = code }
