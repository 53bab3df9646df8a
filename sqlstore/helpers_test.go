package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/sqlstore"
)

// dsnEnv names the environment variable with the PostgreSQL DSN the tests
// use; .ci/postgres.sh sets it.
const dsnEnv = "TICKETSYNC_POSTGRES_DSN"

// dialects are the databases a test runs against.
var dialects = []sqlstore.Dialect{sqlstore.Postgres, sqlstore.SQLite}

// forEachDialect runs f as a subtest per dialect.
func forEachDialect(t *testing.T, f func(t *testing.T, d sqlstore.Dialect)) {
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) { f(t, d) })
	}
}

// openDB opens a database of dialect d for the test, skipping when
// PostgreSQL is wanted but not configured. SQLite databases are files in
// the test's temporary directory.
func openDB(t testing.TB, d sqlstore.Dialect) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	switch d {
	case sqlstore.Postgres:
		dsn := os.Getenv(dsnEnv)
		if dsn == "" {
			t.Skipf("PostgreSQL tests skipped: %s is not set (source .ci/postgres.sh to start a local server)", dsnEnv)
		}
		db, err = sql.Open("pgx", dsn)
	case sqlstore.SQLite:
		db, err = sql.Open("sqlite", sqliteDSN(filepath.Join(t.TempDir(), "tickets.db")))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_txlock=immediate"
}

// uniquePrefix returns a table prefix no other test uses, and drops its
// tables when the test ends, so that tests share one PostgreSQL database.
func uniquePrefix(t testing.TB, db *sql.DB, d sqlstore.Dialect) string {
	t.Helper()
	prefix := "t" + strings.ToLower(rand.Text()[:10]) + "_"
	t.Cleanup(func() { dropTables(t, db, d, prefix) })
	return prefix
}

func dropTables(t testing.TB, db *sql.DB, d sqlstore.Dialect, prefix string) {
	if d != sqlstore.Postgres {
		return // the file goes with the temporary directory
	}
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, $1)`, prefix)
	if err != nil {
		t.Logf("drop tables %s*: %v", prefix, err)
		return
	}
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	rows.Close()
	if len(names) > 0 {
		if _, err := db.ExecContext(ctx, "DROP TABLE "+strings.Join(names, ", ")+" CASCADE"); err != nil {
			t.Logf("drop tables %s*: %v", prefix, err)
		}
	}
	// The comments' composite type (schema version 5), with the staging
	// tables of the pool's sessions that use it.
	if _, err := db.ExecContext(ctx, "DROP TYPE IF EXISTS "+prefix+"comment CASCADE"); err != nil {
		t.Logf("drop type %scomment: %v", prefix, err)
	}
}

// newStore returns a Store of dialect d over fresh tables.
func newStore(t testing.TB, d sqlstore.Dialect, opts *sqlstore.Options) *sqlstore.Store {
	t.Helper()
	db := openDB(t, d)
	return newStoreOn(t, db, d, opts)
}

func newStoreOn(t testing.TB, db *sql.DB, d sqlstore.Dialect, opts *sqlstore.Options) *sqlstore.Store {
	t.Helper()
	var o sqlstore.Options
	if opts != nil {
		o = *opts
	}
	if o.TablePrefix == "" {
		o.TablePrefix = uniquePrefix(t, db, d)
	}
	s, err := sqlstore.New(context.Background(), db, &o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// at returns a time n milliseconds after a fixed instant.
func at(n int) time.Time {
	return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC).Add(time.Duration(n) * time.Millisecond)
}

// ticket returns a ticket of connector "c1" with the given id and version:
// UpdatedAt at(version), Subject "v<version>".
func ticket(id string, version int, comments ...ticketsync.Comment) ticketsync.Ticket {
	return ticketsync.Ticket{
		ConnectorID: "c1",
		Platform:    "test",
		ID:          id,
		Subject:     fmt.Sprintf("v%d", version),
		Status:      ticketsync.StatusOpen,
		CreatedAt:   at(0),
		UpdatedAt:   at(version),
		Comments:    comments,
	}
}

func comment(id, body string, createdAt int) ticketsync.Comment {
	return ticketsync.Comment{ID: id, Body: body, Public: true, CreatedAt: at(createdAt)}
}

func mustUpsert(t testing.TB, s ticketsync.Store, tickets ...ticketsync.Ticket) {
	t.Helper()
	if err := s.UpsertTickets(context.Background(), tickets); err != nil {
		t.Fatal(err)
	}
}

func mustTicket(t testing.TB, s ticketsync.Store, connectorID, id string) ticketsync.Ticket {
	t.Helper()
	got, err := s.Ticket(context.Background(), connectorID, id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// commentBodies lists "id=body" for each comment, in order.
func commentBodies(cs []ticketsync.Comment) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.ID+"="+c.Body)
	}
	return strings.Join(parts, " ")
}

// unknownDriver is a database/sql driver that sqlstore cannot recognize.
type unknownDriver struct{}

func (unknownDriver) Open(string) (driver.Conn, error) { return nil, errors.New("not a real driver") }
