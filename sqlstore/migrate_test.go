package sqlstore_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"github.com/ticketsync/ticketsync/sqlstore"
)

func TestMigrate(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		db := openDB(t, d)
		prefix := uniquePrefix(t, db, d)
		opts := &sqlstore.Options{TablePrefix: prefix}

		// MigrateOff on an empty database refuses.
		if _, err := sqlstore.New(ctx, db, &sqlstore.Options{TablePrefix: prefix, Migrate: sqlstore.MigrateOff}); err == nil {
			t.Fatal("New with MigrateOff over missing tables: no error")
		}

		// Replicas starting at once all succeed, and the schema is
		// created once.
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := sqlstore.New(ctx, db, opts); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		var versions []int
		rows, err := db.QueryContext(ctx, "SELECT version FROM "+prefix+"schema_migrations ORDER BY version")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v int
			rows.Scan(&v)
			versions = append(versions, v)
		}
		rows.Close()
		if len(versions) != sqlstore.SchemaVersion || versions[len(versions)-1] != sqlstore.SchemaVersion {
			t.Errorf("schema_migrations holds %v, want 1..%d", versions, sqlstore.SchemaVersion)
		}

		// Data survives a second New, and MigrateOff accepts the schema.
		s, err := sqlstore.New(ctx, db, opts)
		if err != nil {
			t.Fatal(err)
		}
		mustUpsert(t, s, ticket("1", 1))
		s2, err := sqlstore.New(ctx, db, &sqlstore.Options{TablePrefix: prefix, Migrate: sqlstore.MigrateOff})
		if err != nil {
			t.Fatal(err)
		}
		mustTicket(t, s2, "c1", "1")

		// A database from a newer release is refused, not changed.
		if _, err := db.ExecContext(ctx, rebind(d, "INSERT INTO "+prefix+"schema_migrations (version, applied_at) VALUES ($1, $2)"), 99, "2030-01-01T00:00:00.000000Z"); err != nil {
			t.Fatal(err)
		}
		_, err = sqlstore.New(ctx, db, opts)
		if err == nil || !strings.Contains(err.Error(), "99") {
			t.Errorf("New over a version 99 schema: err = %v, want one naming version 99", err)
		}
	})
}

// rebind turns $n placeholders into SQLite's ?n.
func rebind(d sqlstore.Dialect, q string) string {
	if d == sqlstore.SQLite {
		return strings.NewReplacer("$1", "?1", "$2", "?2", "$3", "?3").Replace(q)
	}
	return q
}

func TestNewOptions(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlstore.SQLite)
	for _, prefix := range []string{"bad-prefix", "x; DROP TABLE y", "1abc", strings.Repeat("a", 31)} {
		if _, err := sqlstore.New(ctx, db, &sqlstore.Options{TablePrefix: prefix}); err == nil {
			t.Errorf("New with table prefix %q: no error", prefix)
		}
	}
	if _, err := sqlstore.New(ctx, db, &sqlstore.Options{Dialect: "oracle"}); err == nil {
		t.Error("New with an unknown dialect: no error")
	}
	if _, err := sqlstore.New(ctx, nil, nil); err == nil {
		t.Error("New with a nil db: no error")
	}
}

// registerUnknown registers the unknown driver once, so that the test can
// run more than once in a process (go test -count).
var registerUnknown sync.Once

func TestDialectDetection(t *testing.T) {
	ctx := context.Background()
	s, err := sqlstore.New(ctx, openDB(t, sqlstore.SQLite), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Dialect() != sqlstore.SQLite {
		t.Errorf("modernc.org/sqlite detected as %q", s.Dialect())
	}
	if s.Table("tickets") != "ticketsync_tickets" {
		t.Errorf("default table name %q", s.Table("tickets"))
	}
	// A driver the package does not know must be named.
	registerUnknown.Do(func() { sql.Register("sqlstore-test-unknown", unknownDriver{}) })
	db, _ := sql.Open("sqlstore-test-unknown", "")
	if _, err := sqlstore.New(ctx, db, nil); err == nil || !strings.Contains(err.Error(), "Options.Dialect") {
		t.Errorf("New over an unknown driver: err = %v, want one asking for Options.Dialect", err)
	}

	pg := openDB(t, sqlstore.Postgres)
	s, err = sqlstore.New(ctx, pg, &sqlstore.Options{TablePrefix: uniquePrefix(t, pg, sqlstore.Postgres)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Dialect() != sqlstore.Postgres {
		t.Errorf("pgx detected as %q", s.Dialect())
	}
}
