package sqlstore_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/sqlstore"
)

// interruptedBegin wraps the SQLite driver so that the next BEGIN
// IMMEDIATE, once armed, begins its transaction and still reports that its
// context ended: what the driver answers when the context ends just as the
// statement completes.
type interruptedBegin struct {
	driver.Driver
	armed *atomic.Bool
}

// sqliteConn is what database/sql uses of the SQLite driver's connections.
type sqliteConn interface {
	driver.Conn
	driver.ExecerContext
	driver.QueryerContext
	driver.ConnBeginTx
	driver.ConnPrepareContext
}

type interruptedConn struct {
	sqliteConn
	armed *atomic.Bool
}

func (d interruptedBegin) Open(name string) (driver.Conn, error) {
	c, err := d.Driver.Open(name)
	if err != nil {
		return nil, err
	}
	return &interruptedConn{sqliteConn: c.(sqliteConn), armed: d.armed}, nil
}

func (c *interruptedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := c.sqliteConn.ExecContext(ctx, query, args)
	if err == nil && query == "BEGIN IMMEDIATE" && c.armed.CompareAndSwap(true, false) {
		return nil, context.Canceled
	}
	return r, err
}

var (
	registerInterrupted sync.Once
	interruptArmed      atomic.Bool
)

// TestInterruptedBeginLeavesNoTransaction: a write whose BEGIN reported its
// context's end after the transaction had begun fails, but must not hand
// its connection back to the pool inside that transaction: the next write
// would find the database locked (or a transaction already open) until the
// busy timeout, again and again.
func TestInterruptedBeginLeavesNoTransaction(t *testing.T) {
	registerInterrupted.Do(func() {
		plain, err := sql.Open("sqlite", ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		sql.Register("sqlite-interrupted-begin", interruptedBegin{Driver: plain.Driver(), armed: &interruptArmed})
		plain.Close()
	})
	db, err := sql.Open("sqlite-interrupted-begin", sqliteDSN(filepath.Join(t.TempDir(), "tickets.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	s, err := sqlstore.New(ctx, db, &sqlstore.Options{Dialect: sqlstore.SQLite})
	if err != nil {
		t.Fatal(err)
	}
	interruptArmed.Store(true)
	if err := s.StorePage(ctx, "c1", []ticketsync.Ticket{ticket("1", 1)}, "cursor-1"); err == nil {
		t.Fatal("StorePage over an interrupted BEGIN: no error")
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.StorePage(wctx, "c1", []ticketsync.Ticket{ticket("2", 1)}, "cursor-2"); err != nil {
		t.Fatalf("the write after an interrupted BEGIN: %v", err)
	}
	if _, err := s.Ticket(ctx, "c1", "1"); err == nil {
		t.Error("the interrupted write stored its ticket")
	}
	mustTicket(t, s, "c1", "2")
}
