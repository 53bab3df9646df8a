package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketsync/ticketsync"
)

// Dialect names the SQL database behind a Store.
type Dialect string

// The supported dialects.
const (
	// Postgres is PostgreSQL 12 or later, through any database/sql driver
	// (github.com/jackc/pgx/v5/stdlib, github.com/lib/pq, ...).
	Postgres Dialect = "postgres"
	// SQLite is SQLite 3.38 or later (modernc.org/sqlite,
	// github.com/mattn/go-sqlite3, ...).
	SQLite Dialect = "sqlite"
)

// MigrateMode says what New does with the database schema.
type MigrateMode int

// The migrate modes.
const (
	// MigrateAuto, the default, creates the tables when they are missing and
	// applies the migrations a newer release brings, inside a transaction
	// and under a lock, so that several replicas may start at once.
	MigrateAuto MigrateMode = iota
	// MigrateOff leaves the schema alone: New only checks that it is at
	// SchemaVersion, and fails otherwise. For hosts that run migrations as a
	// separate step, with (*Store).Migrate.
	MigrateOff
)

// Defaults for Options.
const (
	// DefaultTablePrefix starts the name of every table the Store uses.
	DefaultTablePrefix = "ticketsync_"
	// DefaultHistoryLimit is how many sync runs are kept per connector and
	// trigger.
	DefaultHistoryLimit = 1000
)

// Options configure a Store. nil means the defaults.
type Options struct {
	// Dialect of the database. When empty, New detects it from db's driver:
	// drivers whose package path mentions pgx, pq or postgres are Postgres,
	// those that mention sqlite are SQLite. Set it for other drivers.
	Dialect Dialect
	// TablePrefix starts every table and index name; DefaultTablePrefix when
	// empty. It must be a plain SQL identifier (letters, digits and
	// underscores, at most 30 characters). Several Stores with different
	// prefixes can share one database. To use a PostgreSQL schema, set
	// search_path in the connection string.
	TablePrefix string
	// HistoryLimit is how many sync runs are kept per connector and trigger
	// (the newest by StartedAt), so that webhook runs never push poll runs
	// out; DefaultHistoryLimit when 0, all of them when negative.
	HistoryLimit int
	// Migrate says whether New creates and upgrades the schema
	// (MigrateAuto, the default) or only checks it (MigrateOff).
	Migrate MigrateMode
}

// Store is a ticketsync.Store, ticketsync.Leaser and ticketsync.LeaseTimer
// over a database/sql database. Its methods are safe for concurrent use,
// also by several processes sharing the database.
type Store struct {
	db      *sql.DB
	dialect Dialect
	prefix  string
	history int // runs kept per connector; <= 0: all
	q       queries

	// On SQLite: writers hold rw, readers share it unless wal (see
	// sqlite.go).
	rw  sync.RWMutex
	wal bool

	// noCopy turns off the PostgreSQL COPY path (see copy.go), and
	// copyMin, when not 0, replaces copyMinTickets, for tests; copyPath
	// records whether the driver's connections can take it.
	noCopy   bool
	copyMin  int
	copyPath atomic.Int32
}

var (
	_ ticketsync.Store         = (*Store)(nil)
	_ ticketsync.Leaser        = (*Store)(nil)
	_ ticketsync.LeaseTimer    = (*Store)(nil)
	_ ticketsync.HistoryFilter = (*Store)(nil)
)

var prefixRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,29}$`)

// New returns a Store over db, which the caller opens (with the driver of
// its choice) and closes after the Store's last use. With the default
// Options.Migrate it creates or upgrades the schema first.
//
// For SQLite, a plain file name works ("tickets.db"): the Store serialises
// its writers and retries while another process holds the lock. A busy
// timeout and WAL journal are faster under concurrency, for example with
// modernc.org/sqlite: "file:tickets.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate".
func New(ctx context.Context, db *sql.DB, opts *Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: New called with a nil *sql.DB")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.TablePrefix == "" {
		o.TablePrefix = DefaultTablePrefix
	}
	if !prefixRE.MatchString(o.TablePrefix) {
		return nil, fmt.Errorf("sqlstore: table prefix %q is not a plain SQL identifier (letters, digits, underscores; at most 30)", o.TablePrefix)
	}
	if o.HistoryLimit == 0 {
		o.HistoryLimit = DefaultHistoryLimit
	}
	if o.Dialect == "" {
		d, err := detectDialect(db)
		if err != nil {
			return nil, err
		}
		o.Dialect = d
	}
	if o.Dialect != Postgres && o.Dialect != SQLite {
		return nil, fmt.Errorf("sqlstore: unknown dialect %q (use sqlstore.Postgres or sqlstore.SQLite)", o.Dialect)
	}
	s := &Store{
		db:      db,
		dialect: o.Dialect,
		prefix:  o.TablePrefix,
		history: o.HistoryLimit,
	}
	s.q = buildQueries(s.dialect, s.prefix)
	s.detectWAL(ctx)
	switch o.Migrate {
	case MigrateAuto:
		if err := s.Migrate(ctx); err != nil {
			return nil, err
		}
	case MigrateOff:
		v, err := s.schemaVersion(ctx)
		if err != nil {
			return nil, err
		}
		if v != SchemaVersion {
			return nil, fmt.Errorf("sqlstore: schema of tables %q* is at version %d, this release needs %d; run (*Store).Migrate or use MigrateAuto", s.prefix, v, SchemaVersion)
		}
	default:
		return nil, fmt.Errorf("sqlstore: unknown migrate mode %d", o.Migrate)
	}
	return s, nil
}

// detectDialect tells the dialect from the package path of db's driver.
func detectDialect(db *sql.DB) (Dialect, error) {
	t := reflect.TypeOf(db.Driver())
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	path := strings.ToLower(t.PkgPath() + "." + t.Name())
	switch {
	case strings.Contains(path, "sqlite"):
		return SQLite, nil
	case strings.Contains(path, "pgx"), strings.Contains(path, "postgres"),
		strings.Contains(path, "/pq."), strings.Contains(path, "/pq/"), strings.HasSuffix(path, "/pq"):
		return Postgres, nil
	}
	return "", fmt.Errorf("sqlstore: cannot tell the dialect of driver %s; set Options.Dialect", path)
}

// DB returns the database the Store was created with, for the host's own
// queries over the tables (see the package documentation for their names).
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the Store's dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// Table returns the full name of one of the Store's tables: Table("tickets")
// is "ticketsync_tickets" with the default prefix.
func (s *Store) Table(name string) string { return s.prefix + name }

// dbTime formats t for the database: UTC, microseconds, a fixed width so
// that SQLite's text comparison orders it; PostgreSQL parses the same text.
func dbTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(timeLayout)
}

const timeLayout = "2006-01-02T15:04:05.000000Z"

// nullTime is dbTime, or nil for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return dbTime(t)
}
