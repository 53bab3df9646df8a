package sqlstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/sqlstore"
	"github.com/ticketsync/ticketsync/ticketsynctest"
)

func TestStoreKit(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		db := openDB(t, d)
		ticketsynctest.RunStoreTests(t, func(t *testing.T) ticketsync.Store {
			return newStoreOn(t, db, d, nil)
		})
	})
	// Every batch, however small, through COPY: straight into the table
	// when its tickets are new, staged and merged otherwise.
	t.Run("postgres-copy", func(t *testing.T) {
		db := openDB(t, sqlstore.Postgres)
		ticketsynctest.RunStoreTests(t, func(t *testing.T) ticketsync.Store {
			s := newStoreOn(t, db, sqlstore.Postgres, nil)
			sqlstore.SetCopyMin(s, 1)
			return s
		})
	})
	// Drivers other than pgx take the parameter path on PostgreSQL.
	t.Run("postgres-params", func(t *testing.T) {
		db := openDB(t, sqlstore.Postgres)
		ticketsynctest.RunStoreTests(t, func(t *testing.T) ticketsync.Store {
			s := newStoreOn(t, db, sqlstore.Postgres, nil)
			sqlstore.SetBulkCopy(s, false)
			return s
		})
	})
}

// TestDeletedRowIsStoredAgain: a ticket whose row a host deleted (its
// comments live in the row and go with it) is stored anew by a later
// delivery, which on PostgreSQL takes the COPY path's direct insert again.
func TestDeletedRowIsStoredAgain(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		s := newStore(t, d, nil)
		mustUpsert(t, s, ticket("1", 1, comment("a", "first", 1), comment("b", "second", 2)))
		if _, err := s.DB().ExecContext(context.Background(), "DELETE FROM "+s.Table("tickets")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Ticket(context.Background(), "c1", "1"); !errors.Is(err, ticketsync.ErrNotFound) {
			t.Fatalf("deleted ticket: err = %v, want ErrNotFound", err)
		}
		mustUpsert(t, s, ticket("1", 2, comment("a", "edited", 1), comment("c", "third", 3)))
		got := mustTicket(t, s, "c1", "1")
		if got.Subject != "v2" || commentBodies(got.Comments) != "a=edited c=third" {
			t.Fatalf("got subject %q, comments %q; want v2 and a=edited c=third", got.Subject, commentBodies(got.Comments))
		}
	})
}
