package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/sqlstore"
)

func TestSyncRunsHistoryLimit(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newStore(t, d, &sqlstore.Options{HistoryLimit: 3})
		for i := range 5 {
			run := ticketsync.SyncRun{ID: fmt.Sprintf("r%d", i), ConnectorID: "c1", Trigger: ticketsync.TriggerPoll,
				Status: ticketsync.RunSucceeded, StartedAt: at(i * 1000), FinishedAt: at(i*1000 + 10), Tickets: i, Attempt: 1}
			if err := s.SaveSyncRun(ctx, run); err != nil {
				t.Fatal(err)
			}
		}
		other := ticketsync.SyncRun{ID: "other", ConnectorID: "c2", StartedAt: at(0), Errors: []string{}}
		if err := s.SaveSyncRun(ctx, other); err != nil {
			t.Fatal(err)
		}
		runs, err := s.SyncRuns(ctx, "c1", 0)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range runs {
			ids = append(ids, r.ID)
		}
		if want := []string{"r4", "r3", "r2"}; !reflect.DeepEqual(ids, want) {
			t.Errorf("runs kept %v, want %v (the newest 3)", ids, want)
		}
		got, err := s.SyncRuns(ctx, "c2", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], other) {
			t.Errorf("runs of c2 = %#v, want [%#v]", got, other)
		}
	})
}

func TestStorePageIsAtomic(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newStore(t, d, nil)
		if err := s.StorePage(ctx, "c1", []ticketsync.Ticket{ticket("1", 1, comment("a", "x", 1))}, "after-1"); err != nil {
			t.Fatal(err)
		}
		if cur, _ := s.Cursor(ctx, "c1"); cur != "after-1" {
			t.Errorf("cursor %q, want after-1", cur)
		}
		if got := mustTicket(t, s, "c1", "1"); commentBodies(got.Comments) != "a=x" {
			t.Errorf("comments %q", commentBodies(got.Comments))
		}
		// A page that cannot be stored leaves the cursor where it was.
		bad := ticket("", 2)
		if err := s.StorePage(ctx, "c1", []ticketsync.Ticket{ticket("2", 2), bad}, "after-2"); err == nil {
			t.Fatal("StorePage with an invalid ticket: no error")
		}
		if cur, _ := s.Cursor(ctx, "c1"); cur != "after-1" {
			t.Errorf("cursor after a failed page %q, want after-1", cur)
		}
		// A canceled call stores neither.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.StorePage(cctx, "c1", []ticketsync.Ticket{ticket("3", 3)}, "after-3"); err == nil {
			t.Fatal("StorePage with a canceled context: no error")
		}
		if _, err := s.Ticket(ctx, "c1", "3"); !errors.Is(err, ticketsync.ErrNotFound) {
			t.Errorf("ticket of a canceled page: err = %v, want ErrNotFound", err)
		}
		// An empty page moves only the cursor; a page larger than one
		// statement stays atomic too.
		if err := s.StorePage(ctx, "c1", nil, "after-empty"); err != nil {
			t.Fatal(err)
		}
		big := benchPage(1, 4500)
		if err := s.StorePage(ctx, "bench", big, "after-big"); err != nil {
			t.Fatal(err)
		}
		if cur, _ := s.Cursor(ctx, "bench"); cur != "after-big" {
			t.Errorf("cursor %q, want after-big", cur)
		}
		if got := mustTicket(t, s, "bench", big[4499].ID); len(got.Comments) != 3 {
			t.Errorf("last ticket of a big page has %d comments, want 3", len(got.Comments))
		}
	})
}

func TestLease(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newStore(t, d, nil)
		acquire := func(holder string, ttl time.Duration) bool {
			t.Helper()
			ok, err := s.AcquireLease(ctx, "c1", holder, ttl)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !acquire("a", time.Minute) {
			t.Fatal("a could not take a free lease")
		}
		if !acquire("a", time.Minute) {
			t.Fatal("a could not renew its lease")
		}
		if acquire("b", time.Minute) {
			t.Fatal("b took a's unexpired lease")
		}
		if err := s.ReleaseLease(ctx, "c1", "b"); err != nil {
			t.Fatal(err)
		}
		if acquire("b", time.Minute) {
			t.Fatal("b's release of a lease it does not hold freed a's lease")
		}
		if ok, _ := s.AcquireLease(ctx, "c2", "b", time.Minute); !ok {
			t.Fatal("leases of different connectors conflict")
		}
		if err := s.ReleaseLease(ctx, "c1", "a"); err != nil {
			t.Fatal(err)
		}
		if !acquire("b", 50*time.Millisecond) {
			t.Fatal("b could not take a released lease")
		}
		time.Sleep(150 * time.Millisecond) // longer than b's TTL
		if !acquire("a", time.Minute) {
			t.Fatal("a could not take b's expired lease")
		}
		if _, err := s.AcquireLease(ctx, "c1", "a", 0); err == nil {
			t.Error("AcquireLease with ttl 0: no error")
		}
	})
}

// TestLeaseLeft: the time a lease has left is its TTL less the time since
// it was taken or renewed, and 0 once it is released or has expired.
func TestLeaseLeft(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newStore(t, d, nil)
		left := func(id string) time.Duration {
			t.Helper()
			l, err := s.LeaseLeft(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		if l := left("c1"); l != 0 {
			t.Errorf("no lease: %v left, want 0", l)
		}
		before := time.Now()
		if ok, err := s.AcquireLease(ctx, "c1", "a", time.Minute); !ok || err != nil {
			t.Fatalf("AcquireLease = %v, %v", ok, err)
		}
		taken := time.Since(before)
		// Allow the round trips, and a second for the clocks of the
		// database and of the test to differ in resolution.
		if l := left("c1"); l > time.Minute || l < time.Minute-taken-time.Second {
			t.Errorf("a lease just taken for a minute: %v left", l)
		}
		if err := s.ReleaseLease(ctx, "c1", "a"); err != nil {
			t.Fatal(err)
		}
		if l := left("c1"); l != 0 {
			t.Errorf("released lease: %v left, want 0", l)
		}
		if ok, err := s.AcquireLease(ctx, "c1", "b", 20*time.Millisecond); !ok || err != nil {
			t.Fatalf("AcquireLease = %v, %v", ok, err)
		}
		time.Sleep(100 * time.Millisecond)
		if l := left("c1"); l != 0 {
			t.Errorf("expired lease: %v left, want 0", l)
		}
	})
}

// TestLeaseRace has many holders race for free leases: each lease goes to
// exactly one of them.
func TestLeaseRace(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newStore(t, d, nil)
		const holders, leases = 6, 20
		wins := make([]int, leases)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for h := range holders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for l := range leases {
					ok, err := s.AcquireLease(ctx, fmt.Sprintf("c%d", l), fmt.Sprintf("h%d", h), time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						mu.Lock()
						wins[l]++
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		for l, n := range wins {
			if n != 1 {
				t.Errorf("lease c%d was won %d times, want once", l, n)
			}
		}
	})
}

// TestConcurrentWritersNewestWins has several writers, each with its own
// connection pool as separate replicas would, store random versions of the
// same tickets at once: each ticket ends at its newest version, with every
// comment any writer delivered.
func TestConcurrentWritersNewestWins(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		first := newStore(t, d, nil)
		stores := []*sqlstore.Store{first}
		for range 3 {
			db := first.DB()
			if d == sqlstore.Postgres {
				db = openDB(t, d)
			}
			s, err := sqlstore.New(ctx, db, &sqlstore.Options{TablePrefix: first.Table("")})
			if err != nil {
				t.Fatal(err)
			}
			stores = append(stores, s)
		}
		const tickets, rounds = 10, 15
		var wg sync.WaitGroup
		for w, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					var batch []ticketsync.Ticket
					for i := range tickets {
						// Versions interleave across writers and
						// rounds; the newest is writer 0..3's
						// round rounds-1.
						v := (r*len(stores)+(w+i)%len(stores))*10 + 1
						batch = append(batch, ticket(fmt.Sprint(i), v, comment(fmt.Sprintf("w%d-r%d", w, r), "x", v)))
					}
					// Reverse order on odd writers, to cross lock orders.
					if w%2 == 1 {
						for a, b := 0, len(batch)-1; a < b; a, b = a+1, b-1 {
							batch[a], batch[b] = batch[b], batch[a]
						}
					}
					if err := s.UpsertTickets(ctx, batch); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		for i := range tickets {
			newest := 0
			for w := range stores {
				newest = max(newest, ((rounds-1)*len(stores)+(w+i)%len(stores))*10+1)
			}
			got := mustTicket(t, first, "c1", fmt.Sprint(i))
			if want := fmt.Sprintf("v%d", newest); got.Subject != want || !got.UpdatedAt.Equal(at(newest)) {
				t.Errorf("ticket %d: %s at %v, want %s at %v", i, got.Subject, got.UpdatedAt, want, at(newest))
			}
			if len(got.Comments) != len(stores)*rounds {
				t.Errorf("ticket %d has %d comments, want %d", i, len(got.Comments), len(stores)*rounds)
			}
		}
	})
}

// TestConcurrentEditsAndAdditions has two writers, each with its own
// connection pool as two replicas would, store the same ticket at once,
// over and over: one newer copies that edit comment "e", the other older
// copies that each bring a comment of their own. No comment is lost, and
// "e" ends with the newest edit.
func TestConcurrentEditsAndAdditions(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		first := newStore(t, d, nil)
		db := first.DB()
		if d == sqlstore.Postgres {
			db = openDB(t, d)
		}
		second, err := sqlstore.New(ctx, db, &sqlstore.Options{TablePrefix: first.Table("")})
		if err != nil {
			t.Fatal(err)
		}
		mustUpsert(t, first, ticket("1", 1000, comment("e", "v0", 1)))
		const rounds = 40
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			for r := 1; r <= rounds; r++ {
				if err := first.UpsertTickets(ctx, []ticketsync.Ticket{ticket("1", 1000+r, comment("e", fmt.Sprintf("v%d", r), 1))}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for r := range rounds {
				if err := second.UpsertTickets(ctx, []ticketsync.Ticket{ticket("1", 500, comment(fmt.Sprintf("a%02d", r), "added", 2))}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		wg.Wait()
		got := mustTicket(t, first, "c1", "1")
		if want := fmt.Sprintf("v%d", 1000+rounds); got.Subject != want {
			t.Errorf("subject %q, want %q", got.Subject, want)
		}
		var want []string
		want = append(want, fmt.Sprintf("e=v%d", rounds))
		for r := range rounds {
			want = append(want, fmt.Sprintf("a%02d=added", r))
		}
		if g, w := commentBodies(got.Comments), strings.Join(want, " "); g != w {
			t.Errorf("comments:\n got %s\nwant %s", g, w)
		}
	})
}

// TestOlderCopyLeavesTheRowAlone: on PostgreSQL, an older copy of a ticket
// that brings only stored comments, one of them in its text before an
// edit, changes nothing, so it must not write a new version of the row
// (its xmin stays); one that brings a new comment does. Both through the
// one-statement path and through COPY's staged merge.
func TestOlderCopyLeavesTheRowAlone(t *testing.T) {
	for _, copyPath := range []bool{false, true} {
		t.Run(map[bool]string{false: "params", true: "copy"}[copyPath], func(t *testing.T) {
			s := newStore(t, sqlstore.Postgres, nil)
			sqlstore.SetCopyMin(s, 1)
			sqlstore.SetBulkCopy(s, copyPath)
			ctx := context.Background()
			xmin := func() string {
				t.Helper()
				var x string
				if err := s.DB().QueryRowContext(ctx, "SELECT xmin::text FROM "+s.Table("tickets")+" WHERE id = '1'").Scan(&x); err != nil {
					t.Fatal(err)
				}
				return x
			}
			mustUpsert(t, s, ticket("1", 1, comment("a", "first", 1), comment("b", "second", 2)))
			mustUpsert(t, s, ticket("1", 3, comment("a", "first, edited", 1), comment("b", "second", 2)))
			before := xmin()
			mustUpsert(t, s, ticket("1", 2, comment("a", "first", 1), comment("b", "second", 2)))
			mustUpsert(t, s, ticket("1", 2, comment("b", "second", 2)))
			if after := xmin(); after != before {
				t.Errorf("older copies with only stored comments rewrote the row (xmin %s, then %s)", before, after)
			}
			if g, w := commentBodies(mustTicket(t, s, "c1", "1").Comments), "a=first, edited b=second"; g != w {
				t.Errorf("comments %q, want %q", g, w)
			}
			mustUpsert(t, s, ticket("1", 2, comment("a", "first", 1), comment("c", "third", 3)))
			if after := xmin(); after == before {
				t.Error("an older copy with a new comment did not write the row")
			}
			got := mustTicket(t, s, "c1", "1")
			if g, w := commentBodies(got.Comments), "a=first, edited b=second c=third"; g != w || got.Subject != "v3" {
				t.Errorf("comments %q, subject %q; want %q, v3", g, got.Subject, w)
			}
		})
	}
}
