package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
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
		return strings.NewReplacer("$1", "?1", "$2", "?2", "$3", "?3", "$4", "?4", "$5", "?5", "$6", "?6", "$7", "?7").Replace(q)
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

// TestMigrationKeepsEveryComment upgrades a version 2 database, whose
// comments are rows of their own table, that holds tickets with comments
// (with and without IDs, in several calls, one edited) and checks that
// every comment survives the move into the ticket rows, in the documented
// order; that the rules hold on the moved comments; and that the comments
// view answers as the table did.
func TestMigrationKeepsEveryComment(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		db := openDB(t, d)
		prefix := uniquePrefix(t, db, d)
		if err := sqlstore.MigrateTo(ctx, db, d, prefix, 2); err != nil {
			t.Fatal(err)
		}
		// Tickets and comments as version 2 stored them.
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, rebind(d, q), args...); err != nil {
				t.Fatal(err)
			}
		}
		tm := func(n int) string { return at(n).Format("2006-01-02T15:04:05.000000Z") }
		for _, id := range []string{"1", "2", "3"} {
			exec(`INSERT INTO `+prefix+`tickets (connector_id, id, subject, status, updated_at) VALUES ('c1', $1, $2, 'open', $3)`,
				id, "v10", tm(10))
		}
		for _, c := range []struct {
			ticket, id, key, author, body string
			public                        bool
			at                            int
		}{
			{"1", "b", "", "u2", "second", false, 2},
			{"1", "a", "", "u1", "first", true, 1},
			{"1", "", "k1", "u1", "no id, \"quoted\"\n", true, 3},
			{"1", "c", "", "u1", "same time as b", true, 2},
			{"2", "x", "", "u3", "only", true, 5},
			// ticket 3 has no comments.
		} {
			exec(`INSERT INTO `+prefix+`comments (connector_id, ticket_id, comment_id, content_key, author_id, body, public, created_at)
				VALUES ('c1', $1, $2, $3, $4, $5, $6, $7)`, c.ticket, c.id, c.key, c.author, c.body, c.public, tm(c.at))
		}

		s, err := sqlstore.New(ctx, db, &sqlstore.Options{TablePrefix: prefix})
		if err != nil {
			t.Fatalf("New over a version 2 database: %v", err)
		}
		got := mustTicket(t, s, "c1", "1")
		want := []ticketsync.Comment{
			{ID: "a", Author: ticketsync.Person{ID: "u1"}, Body: "first", Public: true, CreatedAt: at(1)},
			{ID: "b", Author: ticketsync.Person{ID: "u2"}, Body: "second", Public: false, CreatedAt: at(2)},
			{ID: "c", Author: ticketsync.Person{ID: "u1"}, Body: "same time as b", Public: true, CreatedAt: at(2)},
			{ID: "", Author: ticketsync.Person{ID: "u1"}, Body: "no id, \"quoted\"\n", Public: true, CreatedAt: at(3)},
		}
		if !reflect.DeepEqual(got.Comments, want) {
			t.Errorf("ticket 1 after the migration:\n got %+v\nwant %+v", got.Comments, want)
		}
		if got.Subject != "v10" || !got.UpdatedAt.Equal(at(10)) {
			t.Errorf("ticket 1 after the migration: %q at %v", got.Subject, got.UpdatedAt)
		}
		if got := mustTicket(t, s, "c1", "2"); commentBodies(got.Comments) != "x=only" {
			t.Errorf("ticket 2 after the migration: comments %q", commentBodies(got.Comments))
		}
		if got := mustTicket(t, s, "c1", "3"); got.Comments != nil {
			t.Errorf("ticket 3 after the migration: comments %+v, want none", got.Comments)
		}

		// The rules hold on moved comments: an older copy adds only, a
		// newer one edits, and neither drops one.
		mustUpsert(t, s, ticket("1", 5, comment("a", "stale", 1), comment("d", "added", 9)))
		mustUpsert(t, s, ticket("1", 11, comment("b", "edited", 2)))
		got = mustTicket(t, s, "c1", "1")
		if g, w := commentBodies(got.Comments), `a=first b=edited c=same time as b =no id, "quoted"`+"\n"+` d=added`; g != w {
			t.Errorf("after two deliveries: comments %q, want %q", g, w)
		}

		// The comments view: one row per comment, the old table's columns.
		rows, err := db.QueryContext(ctx, `SELECT ticket_id, comment_id, author_id, body, public, created_at
			FROM `+prefix+`comments WHERE connector_id = 'c1' ORDER BY ticket_id, created_at, comment_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var ticketID, id, author, body string
			var public bool
			var created any
			if err := rows.Scan(&ticketID, &id, &author, &body, &public, &created); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%s/%s %s %q %v", ticketID, id, author, body, public))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		wantLines := []string{
			`1/a u1 "first" true`, `1/b  "edited" true`, `1/c u1 "same time as b" true`,
			`1/ u1 "no id, \"quoted\"\n" true`, `1/d  "added" true`, `2/x u3 "only" true`,
		}
		if !reflect.DeepEqual(lines, wantLines) {
			t.Errorf("comments view:\n got %q\nwant %q", lines, wantLines)
		}
	})
}

// TestMigrationFromJSONBComments upgrades a version 4 PostgreSQL database,
// whose comments are JSONB arrays in the ticket rows, to the typed arrays
// of version 5, and checks that every comment keeps its fields and its
// place in the order of arrival, that the view answers as before, and
// that the rules hold on the converted comments.
func TestMigrationFromJSONBComments(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlstore.Postgres)
	prefix := uniquePrefix(t, db, sqlstore.Postgres)
	if err := sqlstore.MigrateTo(ctx, db, sqlstore.Postgres, prefix, 4); err != nil {
		t.Fatal(err)
	}
	tm := func(n int) string { return at(n).Format("2006-01-02T15:04:05.000000Z") }
	for _, r := range []struct{ id, comments string }{
		// Arrival order is not time order: b arrived before a.
		{"1", `[{"id": "b", "content_key": "", "author_id": "u2", "author_name": "Bo", "author_email": "bo@example.com",
			"body": "second", "public": false, "created_at": "` + tm(2) + `"},
			{"id": "a", "content_key": "", "author_id": "u1", "author_name": "", "author_email": "",
			"body": "first, \"quoted\"\nand ünïcödé", "public": true, "created_at": "` + tm(1) + `"},
			{"id": "", "content_key": "k1", "author_id": "u1", "author_name": "", "author_email": "",
			"body": "no id", "public": true, "created_at": "` + tm(3) + `"}]`},
		{"2", `[]`},
	} {
		if _, err := db.ExecContext(ctx, `INSERT INTO `+prefix+`tickets (connector_id, id, subject, status, updated_at, comments)
			VALUES ('c1', $1, 'v10', 'open', $2, $3::jsonb)`, r.id, tm(10), r.comments); err != nil {
			t.Fatal(err)
		}
	}

	s, err := sqlstore.New(ctx, db, &sqlstore.Options{TablePrefix: prefix})
	if err != nil {
		t.Fatalf("New over a version 4 database: %v", err)
	}
	var typ string
	if err := db.QueryRowContext(ctx, `SELECT udt_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'comments'`, prefix+"tickets").Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if typ != "_"+prefix+"comment" {
		t.Errorf("comments column is %s after the migration, want _%scomment", typ, prefix)
	}
	var order string
	if err := db.QueryRowContext(ctx, `SELECT string_agg(c.id || '/' || c.content_key, ' ' ORDER BY n)
		FROM `+prefix+`tickets AS t, unnest(t.comments) WITH ORDINALITY AS c(id, content_key, a, b, e, body, p, ca, n)
		WHERE t.id = '1'`).Scan(&order); err != nil {
		t.Fatal(err)
	}
	if order != "b/ a/ /k1" {
		t.Errorf("stored order after the migration %q, want the order of arrival %q", order, "b/ a/ /k1")
	}
	got := mustTicket(t, s, "c1", "1")
	want := []ticketsync.Comment{
		{ID: "a", Author: ticketsync.Person{ID: "u1"}, Body: "first, \"quoted\"\nand ünïcödé", Public: true, CreatedAt: at(1)},
		{ID: "b", Author: ticketsync.Person{ID: "u2", Name: "Bo", Email: "bo@example.com"}, Body: "second", CreatedAt: at(2)},
		{ID: "", Author: ticketsync.Person{ID: "u1"}, Body: "no id", Public: true, CreatedAt: at(3)},
	}
	if !reflect.DeepEqual(got.Comments, want) {
		t.Errorf("ticket 1 after the migration:\n got %+v\nwant %+v", got.Comments, want)
	}
	if got := mustTicket(t, s, "c1", "2"); got.Comments != nil {
		t.Errorf("ticket 2 after the migration: comments %+v, want none", got.Comments)
	}

	// The view keeps its columns and types.
	var n int
	var public bool
	var created time.Time
	if err := db.QueryRowContext(ctx, `SELECT count(*) OVER (), public, created_at FROM `+prefix+`comments
		WHERE ticket_id = '1' AND comment_id = 'b'`).Scan(&n, &public, &created); err != nil {
		t.Fatal(err)
	}
	if n != 1 || public || !created.Equal(at(2)) {
		t.Errorf("comments view row of b: count %d, public %v, created_at %v", n, public, created)
	}

	// The rules hold on converted comments: an older copy adds only, a
	// newer one edits, and neither drops one.
	mustUpsert(t, s, ticket("1", 5, comment("a", "stale", 1), comment("d", "added", 9)))
	mustUpsert(t, s, ticket("1", 11, comment("b", "edited", 2)))
	if g, w := commentBodies(mustTicket(t, s, "c1", "1").Comments), "a=first, \"quoted\"\nand ünïcödé b=edited =no id d=added"; g != w {
		t.Errorf("after two deliveries: comments %q, want %q", g, w)
	}
}
