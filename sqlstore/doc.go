// Package sqlstore is a ticketsync.Store over a SQL database, PostgreSQL or
// SQLite, through database/sql: the host opens the *sql.DB with the driver
// it already uses (github.com/jackc/pgx/v5/stdlib, github.com/lib/pq,
// modernc.org/sqlite, ...) and hands it to New. It also implements
// ticketsync.Leaser, so that several replicas of a host service can share
// one database and each connector is polled by one replica at a time.
//
// # Tables
//
// New creates these tables (names start with Options.TablePrefix,
// "ticketsync_" by default) and records the schema version in
// <prefix>schema_migrations, so that later releases migrate existing
// databases in place:
//
//   - tickets: one row per (connector_id, id), with the ticket's fields;
//     tags (a JSON array) and fields (a JSON object) are JSONB on PostgreSQL
//     and JSON text on SQLite, so a host can query them (tags ? 'vip',
//     fields->>'plan' on PostgreSQL; json_each(tags) on SQLite).
//   - comments: a view with one row per comment (connector_id, ticket_id,
//     comment_id, content_key, author_id, author_name, author_email, body,
//     public, created_at), for the host's queries. The comments live in
//     the tickets table's column comments, an array in order of arrival,
//     so that a ticket and its comments are one row, written and read at
//     once. Each comment has the fields id, content_key, author_id,
//     author_name, author_email, body, public and created_at (fixed-width
//     RFC 3339 text); content_key identifies a comment without an ID and
//     is empty otherwise. On PostgreSQL the column is an array of the
//     composite type <prefix>comment with those fields in that order
//     (unnest(comments) reads it; to_jsonb(comments) gives JSON), so that
//     COPY sends comments in binary and the server parses no JSON; on
//     SQLite it is a JSON array of objects with those keys. Schema
//     version 4 moved the comments there from a table of their own, as
//     JSONB on PostgreSQL; version 5 made that column typed.
//   - cursors: one row per connector.
//   - sync_runs: the sync history, the newest Options.HistoryLimit runs per
//     connector and trigger.
//   - leases: which replica polls which connector, until when.
//
// Times are stored in UTC with microsecond precision: timestamptz on
// PostgreSQL, fixed-width RFC 3339 text on SQLite (which sorts and compares
// correctly and which SQLite's date functions read).
//
// # What is atomic
//
//   - UpsertTickets: the whole call. Newest-wins and the comment union
//     are decided inside the statement (INSERT ... ON CONFLICT ... DO
//     UPDATE ... WHERE, on the locked row as it stands when the statement
//     reaches it), never by reading first, so concurrent writers on any
//     number of replicas are safe and lose no comment. On PostgreSQL
//     through pgx (github.com/jackc/pgx/v5/stdlib) a call of 50 tickets or
//     more is one transaction: its rows are sent with COPY, straight into
//     the tickets table when none of its tickets is stored (a unique
//     violation, should another writer store one meanwhile, sends the call
//     down the general path), otherwise into a temporary staging table
//     merged by one statement. A smaller call, and with other drivers a
//     call of up to 2,000 tickets, is a single statement (one round trip).
//     On SQLite, one immediate transaction of prepared statements, which
//     holds the write lock from its start, so that a stored ticket is
//     read, merged and written back without another writer in between.
//   - StorePage: a page's tickets and the cursor after it, together.
//   - SetCursor, SaveSyncRun, AcquireLease, ReleaseLease, LeaseLeft: one
//     statement each. SaveSyncRun trims the history in a second statement.
//   - Ticket and ListTickets read a ticket and its comments as one row.
//
// The Syncer stores a page with UpsertTickets and then saves the cursor with
// SetCursor: a crash between the two re-fetches that page on the next run,
// which the newest-wins rule makes harmless.
//
// # Many replicas
//
// Give every replica the same database and the same TablePrefix; each
// replica's Syncer then polls a connector only while it holds the
// connector's lease, renewing it while a run lasts. A replica that dies
// leaves leases that expire after ticketsync.Options.LeaseTTL, and the
// others take its connectors over when they do: refused a lease, a Syncer
// asks LeaseLeft when it lapses and tries again then. Webhook deliveries
// take no lease.
//
// # SQLite
//
// Open the database with a busy timeout, so that writers wait for each other
// instead of failing, and preferably in WAL mode. With modernc.org/sqlite:
//
//	db, err := sql.Open("sqlite", "file:tickets.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
package sqlstore
