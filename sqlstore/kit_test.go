package sqlstore_test

import (
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
}
