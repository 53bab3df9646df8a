package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/sqlstore"
)

// platform is one connector's source, shared by the replicas' connectors
// for it. It counts Fetch calls in progress, to catch two replicas polling
// it at once.
type platform struct {
	id       string
	inflight atomic.Int32
	overlaps atomic.Int32
	fetches  [3]atomic.Int32 // by replica
	// firstFetch is when a replica other than the stuck one first fetched
	// once the test asked for it (watch): the takeover.
	watch      atomic.Bool
	firstFetch atomic.Pointer[time.Time]
}

// hangs is the set of connectors whose Fetch is blocked in a stuck
// replica now.
type hangs struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (h *hangs) set(id string, on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if on {
		h.ids[id] = true
	} else {
		delete(h.ids, id)
	}
}

// count returns how many Fetch calls are blocked.
func (h *hangs) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ids)
}

// freeze calls f while no blocked Fetch can return, and returns the
// connectors blocked meanwhile.
func (h *hangs) freeze(f func()) map[string]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	f()
	return maps.Clone(h.ids)
}

// replicaConnector is replica r's connector for p. While hang is set, its
// Fetch blocks until its context ends, as a stuck replica's would, and
// is listed in hanging while it blocks.
type replicaConnector struct {
	p       *platform
	r       int
	hang    *atomic.Bool
	hanging *hangs
}

func (c *replicaConnector) Platform() string           { return "test" }
func (c *replicaConnector) Test(context.Context) error { return nil }

func (c *replicaConnector) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	if c.p.inflight.Add(1) > 1 {
		c.p.overlaps.Add(1)
	}
	defer c.p.inflight.Add(-1)
	c.p.fetches[c.r].Add(1)
	if c.p.watch.Load() && c.r != 2 {
		now := time.Now()
		c.p.firstFetch.CompareAndSwap(nil, &now)
	}
	if c.hang.Load() {
		c.hanging.set(c.p.id, true)
		defer c.hanging.set(c.p.id, false)
		<-ctx.Done()
		return ticketsync.Page{}, ctx.Err()
	}
	// Stay in Fetch a moment, so that an overlap would have time to show.
	select {
	case <-ctx.Done():
		return ticketsync.Page{}, ctx.Err()
	case <-time.After(2 * time.Millisecond):
	}
	n, _ := strconv.Atoi(cursor)
	tk := ticketsync.Ticket{ID: "t", Subject: fmt.Sprintf("fetch %d by replica %d", n, c.r), UpdatedAt: time.Now()}
	return ticketsync.Page{Tickets: []ticketsync.Ticket{tk}, Cursor: strconv.Itoa(n + 1)}, nil
}

// killableStore is a replica's Store that can die: after kill, every call
// fails, so the replica can neither renew nor release its leases.
type killableStore struct {
	*sqlstore.Store
	dead atomic.Bool
}

var errDead = errors.New("replica is dead")

func (s *killableStore) check() error {
	if s.dead.Load() {
		return errDead
	}
	return nil
}

func (s *killableStore) UpsertTickets(ctx context.Context, t []ticketsync.Ticket) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.Store.UpsertTickets(ctx, t)
}

func (s *killableStore) Cursor(ctx context.Context, id string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	return s.Store.Cursor(ctx, id)
}

func (s *killableStore) SetCursor(ctx context.Context, id, c string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.Store.SetCursor(ctx, id, c)
}

func (s *killableStore) SaveSyncRun(ctx context.Context, r ticketsync.SyncRun) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.Store.SaveSyncRun(ctx, r)
}

func (s *killableStore) AcquireLease(ctx context.Context, id, holder string, ttl time.Duration) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	return s.Store.AcquireLease(ctx, id, holder, ttl)
}

func (s *killableStore) ReleaseLease(ctx context.Context, id, holder string) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.Store.ReleaseLease(ctx, id, holder)
}

// platformByID returns the platform of connector id.
func platformByID(ps []*platform, id string) *platform {
	for _, p := range ps {
		if p.id == id {
			return p
		}
	}
	panic("no platform " + id)
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline: a liveness check, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestThreeReplicas runs three Syncers, each with its own connection pool as
// three processes would have, over one PostgreSQL database and 50
// connectors. Every connector is polled, never by two replicas at once.
// Then one replica dies holding leases (its Fetch calls hang and its
// database calls fail, so it cannot release them); once those leases
// expire, and not before, the other replicas take its connectors over.
// The other replicas pause while it dies, so that the test can read who
// holds the leases without racing their expiry on a loaded machine.
func TestThreeReplicas(t *testing.T) {
	const (
		connectors = 50
		interval   = 200 * time.Millisecond
		ttl        = 2 * time.Second
	)
	first := openDB(t, sqlstore.Postgres)
	prefix := uniquePrefix(t, first, sqlstore.Postgres)
	ctx := context.Background()

	platforms := make([]*platform, connectors)
	for i := range platforms {
		platforms[i] = &platform{id: fmt.Sprintf("conn-%02d", i)}
	}
	hanging := &hangs{ids: map[string]bool{}}
	var hang atomic.Bool
	type replica struct {
		store  *killableStore
		syncer *ticketsync.Syncer
		cancel context.CancelFunc
		done   chan error
	}
	var replicas []*replica
	for r := range 3 {
		db := first
		if r > 0 {
			db = openDB(t, sqlstore.Postgres)
		}
		s, err := sqlstore.New(ctx, db, &sqlstore.Options{TablePrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		ks := &killableStore{Store: s}
		syncer := ticketsync.NewSyncer(ks, &ticketsync.Options{
			Interval: interval,
			LeaseTTL: ttl,
			Holder:   fmt.Sprintf("replica-%d", r),
		})
		for _, p := range platforms {
			c := &replicaConnector{p: p, r: r, hang: new(atomic.Bool), hanging: hanging}
			if r == 2 {
				c.hang = &hang
			}
			if err := syncer.Add(p.id, c, ticketsync.ModePoll); err != nil {
				t.Fatal(err)
			}
		}
		rctx, cancel := context.WithCancel(ctx)
		rep := &replica{store: ks, syncer: syncer, cancel: cancel, done: make(chan error, 1)}
		go func() { rep.done <- syncer.Run(rctx) }()
		replicas = append(replicas, rep)
	}
	defer func() {
		for _, rep := range replicas {
			rep.cancel()
			<-rep.done
		}
	}()
	overlaps := func() int {
		n := 0
		for _, p := range platforms {
			n += int(p.overlaps.Load())
		}
		return n
	}
	total := func(p *platform) int {
		return int(p.fetches[0].Load() + p.fetches[1].Load() + p.fetches[2].Load())
	}

	// Several intervals: every connector polled at least three times.
	waitFor(t, "every connector polled three times", func() bool {
		for _, p := range platforms {
			if total(p) < 3 {
				return false
			}
		}
		return true
	})
	var byReplica [3]int
	for _, p := range platforms {
		for r := range 3 {
			byReplica[r] += int(p.fetches[r].Load())
		}
	}
	t.Logf("fetches by replica: %v", byReplica)
	if n := overlaps(); n > 0 {
		t.Fatalf("%d Fetch calls overlapped another replica's on the same connector", n)
	}

	// Replica 2 gets stuck in the Fetch calls it starts from now on, then
	// dies holding those connectors' leases. A stuck run may still end
	// before it dies (a renewal answered late, on a loaded database, stops
	// it and gives its lease up), so the leases it dies holding are those
	// of the Fetch calls blocked at the moment its Store dies: their runs
	// can release nothing after that.
	hang.Store(true)
	waitFor(t, "replica 2 stuck in three runs", func() bool { return hanging.count() >= 3 })
	// The survivors pause, so that nobody takes a lease over while the
	// test reads who holds it; they resume below.
	for _, rep := range replicas[:2] {
		for _, p := range platforms {
			if err := rep.syncer.Pause(p.id); err != nil {
				t.Fatal(err)
			}
		}
	}
	dead := replicas[2]
	held := hanging.freeze(func() { dead.store.dead.Store(true) })
	if len(held) == 0 {
		t.Fatal("replica 2 died stuck in no run")
	}
	dead.cancel()
	if err := <-dead.done; err != nil {
		t.Fatal(err)
	}
	dead.done <- nil // for the deferred shutdown
	start := time.Now()
	// Its leases outlive it: each still names it, however long dying
	// took, since only their holder releases them and nobody else has
	// asked for them.
	expires := map[string]time.Time{}
	for id := range held {
		var holder string
		var exp time.Time
		err := first.QueryRowContext(ctx, `SELECT holder, expires_at FROM `+prefix+`leases WHERE connector_id = $1`, id).Scan(&holder, &exp)
		if errors.Is(err, sql.ErrNoRows) {
			t.Errorf("the lease on %s was released by a replica whose Store had died; want it kept until its TTL", id)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if holder != "replica-2" {
			t.Errorf("the lease on %s is held by %q; want replica-2's, which it died holding", id, holder)
		}
		expires[id] = exp
	}
	before := map[string]int{}
	for _, p := range platforms {
		before[p.id] = int(p.fetches[0].Load() + p.fetches[1].Load())
		p.watch.Store(held[p.id])
	}
	for _, rep := range replicas[:2] {
		for _, p := range platforms {
			if err := rep.syncer.Resume(p.id); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, "the dead replica's connectors taken over", func() bool {
		for _, p := range platforms {
			if held[p.id] && int(p.fetches[0].Load()+p.fetches[1].Load()) == before[p.id] {
				return false
			}
		}
		return true
	})
	// Nobody took a lease over before it lapsed. The database's clock
	// decides expiry; it runs on this machine, so a takeover's Fetch, which
	// follows the statement that found the lease lapsed, comes after it.
	for id, exp := range expires {
		if at := platformByID(platforms, id).firstFetch.Load(); at == nil {
			t.Errorf("%s: taken over without a Fetch", id)
		} else if at.Before(exp) {
			t.Errorf("%s was polled by another replica at %s, before the dead replica's lease on it lapsed at %s", id, at.Format(time.StampMicro), exp.Format(time.StampMicro))
		}
	}
	t.Logf("%d connectors of the dead replica taken over %v after it died (lease TTL %v)", len(held), time.Since(start).Round(10*time.Millisecond), ttl)
	if n := overlaps(); n > 0 {
		t.Fatalf("%d Fetch calls overlapped another replica's on the same connector", n)
	}
}
