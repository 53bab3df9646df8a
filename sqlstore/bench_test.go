package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/sqlstore"
)

// benchSize is how many tickets one call of a benchmark writes.
const benchSize = 1000

// benchPage returns page n of a benchmark: size new tickets, each with
// three comments, shaped like a help desk's tickets.
func benchPage(n, size int) []ticketsync.Ticket {
	page := make([]ticketsync.Ticket, size)
	for i := range page {
		id := fmt.Sprintf("%d-%d", n, i)
		page[i] = ticketsync.Ticket{
			ConnectorID: "bench",
			Platform:    "zendesk",
			ID:          id,
			URL:         "https://acme.zendesk.com/agent/tickets/" + id,
			Subject:     "Cannot log in after password reset " + id,
			Description: "Hello, since this morning I cannot log in. I reset my password twice and still get an error page. Please help.",
			Status:      ticketsync.StatusOpen,
			RawStatus:   "open",
			Priority:    ticketsync.PriorityNormal,
			RawPriority: "normal",
			Channel:     "email",
			Requester:   ticketsync.Person{ID: "u" + id, Name: "Ann Example", Email: "ann@example.com"},
			Assignee:    ticketsync.Person{ID: "agent-7", Name: "Bob Agent", Email: "bob@acme.example"},
			Tags:        []string{"login", "vip"},
			Fields:      map[string]string{"plan": "enterprise", "region": "eu"},
			CreatedAt:   at(i),
			UpdatedAt:   at(n*size + i),
		}
		for c := range 3 {
			page[i].Comments = append(page[i].Comments, ticketsync.Comment{
				ID:        fmt.Sprintf("%s-c%d", id, c),
				Author:    ticketsync.Person{ID: "agent-7", Name: "Bob Agent", Email: "bob@acme.example"},
				Body:      "Thanks for reaching out. Could you tell us which browser you use and send a screenshot of the error?",
				Public:    c != 1,
				CreatedAt: at(i + c),
			})
		}
	}
	return page
}

// updatePage returns page n again as a later delivery of call number
// call: every ticket is already stored; the even ones are newer (a new
// status, subject and UpdatedAt, their comments delivered again with the
// last one edited), the odd ones an hour older than the stored copy.
func updatePage(n, size, call int) []ticketsync.Ticket {
	page := benchPage(n, size)
	for i := range page {
		t := &page[i]
		if i%2 == 1 {
			t.UpdatedAt = t.UpdatedAt.Add(-time.Hour)
			t.Subject = "stale copy"
			continue
		}
		t.UpdatedAt = at(0).Add(time.Duration(call+1) * 24 * time.Hour).Add(time.Duration(n*size+i) * time.Millisecond)
		t.Status, t.RawStatus = ticketsync.StatusPending, "pending"
		t.Subject += fmt.Sprintf(" (update %d)", call)
		t.Comments[2].Body = fmt.Sprintf("Edited in update %d: please send the screenshot.", call)
	}
	return page
}

// benchTarget is a way of writing a page: a Store, or a baseline that
// writes the same rows as plainly as the database allows.
type benchTarget struct {
	name    string
	open    func(b *testing.B) func(ctx context.Context, page []ticketsync.Ticket) error
	store   bool // a Store, which the update variant may run on
	newOnly bool // a baseline that can write only new rows
}

func storeTarget(name string, open func(b *testing.B) ticketsync.Store) benchTarget {
	return benchTarget{name: name, store: true, open: func(b *testing.B) func(context.Context, []ticketsync.Ticket) error {
		return open(b).UpsertTickets
	}}
}

func benchTargets() []benchTarget {
	return []benchTarget{
		storeTarget("postgres", func(b *testing.B) ticketsync.Store { return newStore(b, sqlstore.Postgres, nil) }),
		storeTarget("postgres-params", func(b *testing.B) ticketsync.Store {
			s := newStore(b, sqlstore.Postgres, nil)
			sqlstore.SetBulkCopy(s, false)
			return s
		}),
		{name: "postgres-bare-copy", open: func(b *testing.B) func(context.Context, []ticketsync.Ticket) error { return openBareCopy(b, false) }},
		{name: "postgres-bare-copy-keyed", newOnly: true, open: func(b *testing.B) func(context.Context, []ticketsync.Ticket) error { return openBareCopy(b, true) }},
		storeTarget("sqlite", func(b *testing.B) ticketsync.Store { return newStore(b, sqlstore.SQLite, nil) }),
		{name: "sqlite-bare-insert", open: openBareSQLite},
		storeTarget("memstore", func(b *testing.B) ticketsync.Store { return memstore.New() }),
	}
}

// BenchmarkUpsert writes pages of 1,000 new tickets with 3 comments each,
// one call per page, and reports tickets/s: the PostgreSQL store (COPY
// path, and the parameter path other drivers take), a bare pgx COPY of the
// same rows into unindexed tables, the SQLite store, bare prepared SQLite
// inserts of the same rows in one transaction per call, and memstore.
func BenchmarkUpsert(b *testing.B) {
	for _, tg := range benchTargets() {
		b.Run(tg.name, func(b *testing.B) {
			write := tg.open(b)
			ctx := context.Background()
			n := 0
			for b.Loop() {
				b.StopTimer()
				page := benchPage(n, benchSize)
				n++
				b.StartTimer()
				if err := write(ctx, page); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*benchSize)/b.Elapsed().Seconds(), "tickets/s")
		})
	}
}

// BenchmarkUpsertUpdates is BenchmarkUpsert's update-heavy variant: every
// ticket of a call is already stored (ten pages are stored before the
// timer starts, and the calls go round them), half of them newer, with an
// edited comment, and half older. The baselines write the same rows as
// new ones (but for the keyed COPY, which cannot).
func BenchmarkUpsertUpdates(b *testing.B) {
	const stored = 10
	for _, tg := range benchTargets() {
		if tg.newOnly {
			continue
		}
		b.Run(tg.name, func(b *testing.B) {
			write := tg.open(b)
			ctx := context.Background()
			if tg.store {
				for n := range stored {
					if err := write(ctx, benchPage(n, benchSize)); err != nil {
						b.Fatal(err)
					}
				}
			}
			call := 0
			for b.Loop() {
				b.StopTimer()
				page := updatePage(call%stored, benchSize, call)
				call++
				b.StartTimer()
				if err := write(ctx, page); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(call*benchSize)/b.Elapsed().Seconds(), "tickets/s")
		})
	}
}

// bareTicketCols and bareCommentCols are the columns of the baselines'
// tables: the Store's, without keys or indexes.
var (
	bareTicketCols = []string{"connector_id", "id", "platform", "url", "subject", "description",
		"status", "raw_status", "priority", "raw_priority", "channel", "requester_id", "requester_name",
		"requester_email", "assignee_id", "assignee_name", "assignee_email", "tags", "fields",
		"created_at", "updated_at", "deleted"}
	bareCommentCols = []string{"connector_id", "ticket_id", "comment_id", "author_id", "author_name",
		"author_email", "body", "public", "created_at"}
)

// bareRows turns page into the rows of the baselines' tables, as plainly
// as the Store would need them: times as time.Time or text, tags and
// fields as JSON.
func bareRows(page []ticketsync.Ticket, timeText bool) (tickets, comments [][]any, err error) {
	tm := func(t time.Time) any {
		if timeText {
			return t.UTC().Format(time.RFC3339Nano)
		}
		return t
	}
	tickets = make([][]any, 0, len(page))
	comments = make([][]any, 0, 3*len(page))
	for i := range page {
		t := &page[i]
		tags, err := json.Marshal(t.Tags)
		if err != nil {
			return nil, nil, err
		}
		fields, err := json.Marshal(t.Fields)
		if err != nil {
			return nil, nil, err
		}
		tickets = append(tickets, []any{t.ConnectorID, t.ID, t.Platform, t.URL, t.Subject, t.Description,
			string(t.Status), t.RawStatus, string(t.Priority), t.RawPriority, t.Channel,
			t.Requester.ID, t.Requester.Name, t.Requester.Email, t.Assignee.ID, t.Assignee.Name, t.Assignee.Email,
			string(tags), string(fields), tm(t.CreatedAt), tm(t.UpdatedAt), t.Deleted})
		for _, c := range t.Comments {
			comments = append(comments, []any{t.ConnectorID, t.ID, c.ID, c.Author.ID, c.Author.Name,
				c.Author.Email, c.Body, c.Public, tm(c.CreatedAt)})
		}
	}
	return tickets, comments, nil
}

// openBareCopy is the PostgreSQL baseline: one pgx connection, two
// unindexed tables, and per call one transaction of two binary COPYs. With
// keyed, the tables have the Store's keys and index, which shows what the
// indexes alone cost.
func openBareCopy(b *testing.B, keyed bool) func(context.Context, []ticketsync.Ticket) error {
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		b.Skipf("%s is not set", dsnEnv)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	db := openDB(b, sqlstore.Postgres)
	prefix := uniquePrefix(b, db, sqlstore.Postgres)
	for _, stmt := range []string{
		`CREATE TABLE ` + prefix + `tickets (connector_id text, id text, platform text, url text,
			subject text, description text, status text, raw_status text, priority text, raw_priority text,
			channel text, requester_id text, requester_name text, requester_email text, assignee_id text,
			assignee_name text, assignee_email text, tags jsonb, fields jsonb, created_at timestamptz,
			updated_at timestamptz, deleted boolean)`,
		`CREATE TABLE ` + prefix + `comments (connector_id text, ticket_id text, comment_id text,
			author_id text, author_name text, author_email text, body text, public boolean, created_at timestamptz)`,
		`ALTER TABLE ` + prefix + `tickets ADD PRIMARY KEY (connector_id, id)`,
		`CREATE INDEX ON ` + prefix + `tickets (connector_id, updated_at, id)`,
		`ALTER TABLE ` + prefix + `comments ADD PRIMARY KEY (connector_id, ticket_id, comment_id)`,
	} {
		if !keyed && !strings.HasPrefix(stmt, "CREATE TABLE") {
			continue
		}
		if _, err := conn.Exec(ctx, stmt); err != nil {
			b.Fatal(err)
		}
	}
	return func(ctx context.Context, page []ticketsync.Ticket) error {
		tickets, comments, err := bareRows(page, false)
		if err != nil {
			return err
		}
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{prefix + "tickets"}, bareTicketCols, pgx.CopyFromRows(tickets)); err != nil {
				return err
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{prefix + "comments"}, bareCommentCols, pgx.CopyFromRows(comments))
			return err
		})
	}
}

// openBareSQLite is the SQLite baseline: the Store's DSN, two unindexed
// tables, and per call one transaction of prepared inserts.
func openBareSQLite(b *testing.B) func(context.Context, []ticketsync.Ticket) error {
	db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(b.TempDir(), "bare.db")))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	for _, stmt := range []string{
		`CREATE TABLE tickets (connector_id TEXT, id TEXT, platform TEXT, url TEXT, subject TEXT,
			description TEXT, status TEXT, raw_status TEXT, priority TEXT, raw_priority TEXT, channel TEXT,
			requester_id TEXT, requester_name TEXT, requester_email TEXT, assignee_id TEXT, assignee_name TEXT,
			assignee_email TEXT, tags TEXT, fields TEXT, created_at TEXT, updated_at TEXT, deleted INTEGER)`,
		`CREATE TABLE comments (connector_id TEXT, ticket_id TEXT, comment_id TEXT, author_id TEXT,
			author_name TEXT, author_email TEXT, body TEXT, public INTEGER, created_at TEXT)`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			b.Fatal(err)
		}
	}
	insT := `INSERT INTO tickets VALUES (?` + strings.Repeat(",?", len(bareTicketCols)-1) + `)`
	insC := `INSERT INTO comments VALUES (?` + strings.Repeat(",?", len(bareCommentCols)-1) + `)`
	return func(ctx context.Context, page []ticketsync.Ticket) error {
		tickets, comments, err := bareRows(page, true)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		st, err := tx.PrepareContext(ctx, insT)
		if err != nil {
			return err
		}
		for _, r := range tickets {
			if _, err := st.ExecContext(ctx, r...); err != nil {
				return err
			}
		}
		sc, err := tx.PrepareContext(ctx, insC)
		if err != nil {
			return err
		}
		for _, r := range comments {
			if _, err := sc.ExecContext(ctx, r...); err != nil {
				return err
			}
		}
		return tx.Commit()
	}
}
