package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/sqlstore"
)

// Text that is not valid UTF-8 is stored with U+FFFD in place of the bad
// bytes, on every dialect, instead of failing the whole call (PostgreSQL
// refuses it with SQLSTATE 22021).
func TestInvalidUTF8TextIsReplaced(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		s := newStore(t, d, nil)
		bad := ticket("1", 1, comment("c\xff", "body \xfe\x00end", 1))
		bad.Subject = "caf\xe9 \x00menu"
		bad.Requester = ticketsync.Person{ID: "r\xff", Name: "J\xf6rg", Email: "j@x\xff"}
		bad.Tags = []string{"t\xff"}
		bad.Fields = map[string]string{"k\xff": "v\xff"}
		bad.RawStatus = "Op\xe9n"
		good := ticket("2", 1)
		if err := s.UpsertTickets(context.Background(), []ticketsync.Ticket{bad, good}); err != nil {
			t.Fatalf("one ticket with invalid UTF-8 failed the call: %v", err)
		}
		got := mustTicket(t, s, "c1", "1")
		nul := ""
		if d == sqlstore.SQLite {
			nul = "\x00"
		}
		checks := []struct{ name, got, want string }{
			{"subject", got.Subject, "caf\uFFFD " + nul + "menu"},
			{"requester id", got.Requester.ID, "r\uFFFD"},
			{"requester name", got.Requester.Name, "J\uFFFDrg"},
			{"raw status", got.RawStatus, "Op\uFFFDn"},
			{"tag", got.Tags[0], "t\uFFFD"},
			{"field", got.Fields["k\uFFFD"], "v\uFFFD"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if len(got.Comments) != 1 || got.Comments[0].ID != "c\uFFFD" || got.Comments[0].Body != "body \uFFFD"+nul+"end" {
			t.Errorf("comments = %+v", got.Comments)
		}
		mustTicket(t, s, "c1", "2")
	})
}

// Ids that the database would change ("n1\x00" into "n1" on PostgreSQL)
// are refused with ErrInvalidID before anything is written, and reading
// one finds nothing instead of failing.
func TestInvalidIDsAreRefused(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newStore(t, d, nil)
		mustUpsert(t, s, ticket("n1", 1))
		for _, id := range []string{"n1\x00", "n1\xff"} {
			tk := ticket(id, 2)
			err := s.UpsertTickets(ctx, []ticketsync.Ticket{ticket("n2", 1), tk})
			if !errors.Is(err, ticketsync.ErrInvalidID) {
				t.Errorf("upsert of id %q: err = %v, want ErrInvalidID", id, err)
			}
			tk.ID, tk.ConnectorID = "n3", "c1"+id[2:]
			if err := s.StorePage(ctx, "c1", []ticketsync.Ticket{tk}, "x"); !errors.Is(err, ticketsync.ErrInvalidID) {
				t.Errorf("store page with connector id %q: err = %v, want ErrInvalidID", tk.ConnectorID, err)
			}
			if _, err := s.Ticket(ctx, "c1", id); !errors.Is(err, ticketsync.ErrNotFound) {
				t.Errorf("Ticket(%q): err = %v, want ErrNotFound", id, err)
			}
		}
		if got := mustTicket(t, s, "c1", "n1"); got.Subject != "v1" {
			t.Errorf("n1 was overwritten by a refused id: subject %q", got.Subject)
		}
		if _, err := s.Ticket(ctx, "c1", "n2"); !errors.Is(err, ticketsync.ErrNotFound) {
			t.Errorf("a refused call stored n2: err = %v", err)
		}
	})
}

// A copy whose UpdatedAt is unknown (zero) is stored, never replaces a
// copy with a real time, and is replaced by any copy with one.
func TestUnknownUpdatedAt(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		s := newStore(t, d, nil)
		untimed := func(subject string) ticketsync.Ticket {
			tk := ticket("1", 0)
			tk.UpdatedAt, tk.Subject = time.Time{}, subject
			return tk
		}
		mustUpsert(t, s, untimed("a"))
		if got := mustTicket(t, s, "c1", "1"); got.Subject != "a" || !got.UpdatedAt.IsZero() {
			t.Fatalf("untimed copy stored as %q at %s", got.Subject, got.UpdatedAt)
		}
		mustUpsert(t, s, ticket("1", 5))
		mustUpsert(t, s, untimed("c"))
		if got := mustTicket(t, s, "c1", "1"); got.Subject != "v5" {
			t.Errorf("subject %q: an untimed copy replaced a timed one", got.Subject)
		}
	})
}

// The obvious SQLite DSN, a plain file name without pragmas, works under
// concurrent writers and readers: no "database is locked" (SQLITE_BUSY).
func TestSQLitePlainDSNUnderConcurrency(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "tickets.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := sqlstore.New(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const workers, rounds = 6, 21
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				tk := ticket(fmt.Sprint(r%5), w*rounds+r, comment(fmt.Sprintf("c%d-%d", w, r), "hi", r))
				if err := s.UpsertTickets(ctx, []ticketsync.Ticket{tk, ticket(fmt.Sprintf("w%d-%d", w, r), 1)}); err != nil {
					errs <- fmt.Errorf("upsert: %w", err)
				}
				if err := s.StorePage(ctx, fmt.Sprintf("c%d", w), nil, fmt.Sprint(r)); err != nil {
					errs <- fmt.Errorf("store page: %w", err)
				}
				run := ticketsync.SyncRun{ID: fmt.Sprintf("r%d-%d", w, r), ConnectorID: "c1", Status: ticketsync.RunSucceeded, StartedAt: at(r)}
				if err := s.SaveSyncRun(ctx, run); err != nil {
					errs <- fmt.Errorf("save run: %w", err)
				}
				if _, err := s.AcquireLease(ctx, "c1", fmt.Sprint(w), time.Minute); err != nil {
					errs <- fmt.Errorf("lease: %w", err)
				}
				if _, err := s.Ticket(ctx, "c1", fmt.Sprint(r%5)); err != nil && !errors.Is(err, ticketsync.ErrNotFound) {
					errs <- fmt.Errorf("read: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n < 5 {
			t.Error(err)
		}
		n++
	}
	if n > 0 {
		t.Fatalf("%d operations failed", n)
	}
	got := mustTicket(t, s, "c1", "0")
	if want := (workers-1)*rounds + 20; got.Subject != fmt.Sprintf("v%d", want) {
		t.Errorf("ticket 0 subject %q, want v%d (the newest)", got.Subject, want)
	}
}
