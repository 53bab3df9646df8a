package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SchemaVersion is the version of the schema this release creates and
// expects. Each release that changes the schema adds a migration, which
// Migrate applies to existing databases in order, without losing data.
const SchemaVersion = 5

// migration is one step of the schema, per dialect. {p} stands for the
// table prefix.
type migration struct {
	version  int
	postgres []string
	sqlite   []string
}

// migrations are applied in order; a released one is never edited, only
// followed by new ones.
//
// On PostgreSQL the key columns use the "C" collation: byte order, which is
// fast to compare whatever the database's locale, and the order in which a
// batch is sorted before it locks rows.
var migrations = []migration{
	{
		version: 1,
		postgres: []string{
			`CREATE TABLE {p}tickets (
				connector_id    text        COLLATE "C" NOT NULL,
				id              text        COLLATE "C" NOT NULL,
				platform        text        NOT NULL DEFAULT '',
				url             text        NOT NULL DEFAULT '',
				subject         text        NOT NULL DEFAULT '',
				description     text        NOT NULL DEFAULT '',
				status          text        NOT NULL DEFAULT '',
				raw_status      text        NOT NULL DEFAULT '',
				priority        text        NOT NULL DEFAULT '',
				raw_priority    text        NOT NULL DEFAULT '',
				channel         text        NOT NULL DEFAULT '',
				requester_id    text        NOT NULL DEFAULT '',
				requester_name  text        NOT NULL DEFAULT '',
				requester_email text        NOT NULL DEFAULT '',
				assignee_id     text        NOT NULL DEFAULT '',
				assignee_name   text        NOT NULL DEFAULT '',
				assignee_email  text        NOT NULL DEFAULT '',
				tags            jsonb,
				fields          jsonb,
				created_at      timestamptz,
				updated_at      timestamptz NOT NULL,
				deleted         boolean     NOT NULL DEFAULT false,
				PRIMARY KEY (connector_id, id)
			)`,
			`CREATE INDEX {p}tickets_updated ON {p}tickets (connector_id, updated_at, id)`,
			`CREATE TABLE {p}comments (
				connector_id text        COLLATE "C" NOT NULL,
				ticket_id    text        COLLATE "C" NOT NULL,
				comment_id   text        COLLATE "C" NOT NULL,
				content_key  text        COLLATE "C" NOT NULL DEFAULT '',
				author_id    text        NOT NULL DEFAULT '',
				author_name  text        NOT NULL DEFAULT '',
				author_email text        NOT NULL DEFAULT '',
				body         text        NOT NULL DEFAULT '',
				public       boolean     NOT NULL DEFAULT false,
				created_at   timestamptz NOT NULL,
				PRIMARY KEY (connector_id, ticket_id, comment_id, content_key)
			)`,
			`CREATE TABLE {p}cursors (
				connector_id text        COLLATE "C" PRIMARY KEY,
				cursor       text        NOT NULL,
				updated_at   timestamptz NOT NULL
			)`,
			`CREATE TABLE {p}sync_runs (
				id            text        COLLATE "C" PRIMARY KEY,
				connector_id  text        COLLATE "C" NOT NULL,
				run_trigger   text        NOT NULL DEFAULT '',
				status        text        NOT NULL DEFAULT '',
				started_at    timestamptz NOT NULL,
				finished_at   timestamptz,
				tickets       integer     NOT NULL DEFAULT 0,
				errors        jsonb,
				attempt       integer     NOT NULL DEFAULT 0,
				next_retry_at timestamptz
			)`,
			`CREATE INDEX {p}sync_runs_connector ON {p}sync_runs (connector_id, started_at DESC, id DESC)`,
			`CREATE TABLE {p}leases (
				connector_id text        COLLATE "C" PRIMARY KEY,
				holder       text        NOT NULL,
				acquired_at  timestamptz NOT NULL,
				expires_at   timestamptz NOT NULL
			)`,
		},
		sqlite: []string{
			`CREATE TABLE {p}tickets (
				connector_id    TEXT    NOT NULL,
				id              TEXT    NOT NULL,
				platform        TEXT    NOT NULL DEFAULT '',
				url             TEXT    NOT NULL DEFAULT '',
				subject         TEXT    NOT NULL DEFAULT '',
				description     TEXT    NOT NULL DEFAULT '',
				status          TEXT    NOT NULL DEFAULT '',
				raw_status      TEXT    NOT NULL DEFAULT '',
				priority        TEXT    NOT NULL DEFAULT '',
				raw_priority    TEXT    NOT NULL DEFAULT '',
				channel         TEXT    NOT NULL DEFAULT '',
				requester_id    TEXT    NOT NULL DEFAULT '',
				requester_name  TEXT    NOT NULL DEFAULT '',
				requester_email TEXT    NOT NULL DEFAULT '',
				assignee_id     TEXT    NOT NULL DEFAULT '',
				assignee_name   TEXT    NOT NULL DEFAULT '',
				assignee_email  TEXT    NOT NULL DEFAULT '',
				tags            TEXT,
				fields          TEXT,
				created_at      TEXT,
				updated_at      TEXT    NOT NULL,
				deleted         INTEGER NOT NULL DEFAULT 0,
				PRIMARY KEY (connector_id, id)
			)`,
			`CREATE INDEX {p}tickets_updated ON {p}tickets (connector_id, updated_at, id)`,
			`CREATE TABLE {p}comments (
				connector_id TEXT    NOT NULL,
				ticket_id    TEXT    NOT NULL,
				comment_id   TEXT    NOT NULL,
				content_key  TEXT    NOT NULL DEFAULT '',
				author_id    TEXT    NOT NULL DEFAULT '',
				author_name  TEXT    NOT NULL DEFAULT '',
				author_email TEXT    NOT NULL DEFAULT '',
				body         TEXT    NOT NULL DEFAULT '',
				public       INTEGER NOT NULL DEFAULT 0,
				created_at   TEXT    NOT NULL,
				PRIMARY KEY (connector_id, ticket_id, comment_id, content_key)
			)`,
			`CREATE TABLE {p}cursors (
				connector_id TEXT PRIMARY KEY,
				cursor       TEXT NOT NULL,
				updated_at   TEXT NOT NULL
			)`,
			`CREATE TABLE {p}sync_runs (
				id            TEXT    PRIMARY KEY,
				connector_id  TEXT    NOT NULL,
				run_trigger   TEXT    NOT NULL DEFAULT '',
				status        TEXT    NOT NULL DEFAULT '',
				started_at    TEXT    NOT NULL,
				finished_at   TEXT,
				tickets       INTEGER NOT NULL DEFAULT 0,
				errors        TEXT,
				attempt       INTEGER NOT NULL DEFAULT 0,
				next_retry_at TEXT
			)`,
			`CREATE INDEX {p}sync_runs_connector ON {p}sync_runs (connector_id, started_at DESC, id DESC)`,
			`CREATE TABLE {p}leases (
				connector_id TEXT PRIMARY KEY,
				holder       TEXT NOT NULL,
				acquired_at  TEXT NOT NULL,
				expires_at   TEXT NOT NULL
			)`,
		},
	},
	{
		// Webhook runs aggregate deliveries, and each trigger's history is
		// bounded apart (ticketsync.Store.SyncRuns), which the index serves.
		version: 2,
		postgres: []string{
			`ALTER TABLE {p}sync_runs ADD COLUMN deliveries integer NOT NULL DEFAULT 0`,
			`CREATE INDEX {p}sync_runs_trigger ON {p}sync_runs (connector_id, run_trigger, started_at DESC, id DESC)`,
		},
		sqlite: []string{
			`ALTER TABLE {p}sync_runs ADD COLUMN deliveries INTEGER NOT NULL DEFAULT 0`,
			`CREATE INDEX {p}sync_runs_trigger ON {p}sync_runs (connector_id, run_trigger, started_at DESC, id DESC)`,
		},
	},
	{
		// A backfill run's progress (ticketsync.SyncRun.Progress); the
		// runs recorded before it are unknown, -1.
		version: 3,
		postgres: []string{
			`ALTER TABLE {p}sync_runs ADD COLUMN progress double precision NOT NULL DEFAULT -1`,
		},
		sqlite: []string{
			`ALTER TABLE {p}sync_runs ADD COLUMN progress REAL NOT NULL DEFAULT -1`,
		},
	},
	{
		// A ticket's comments move into its row, as a JSON array (see
		// appendComments), and the comments table becomes a view over it, so
		// that hosts' queries of it keep working. A batch then writes one
		// row and two index entries per ticket, not another row and index
		// entry per comment, and the comment union is done on the ticket's
		// locked row. Comments whose ticket row the host had deleted have
		// no row to move into and go with it.
		version: 4,
		postgres: []string{
			`ALTER TABLE {p}tickets ADD COLUMN comments jsonb NOT NULL DEFAULT '[]'`,
			`UPDATE {p}tickets AS t SET comments = c.doc FROM (
				SELECT connector_id, ticket_id, jsonb_agg(jsonb_build_object(
					'id', comment_id, 'content_key', content_key, 'author_id', author_id,
					'author_name', author_name, 'author_email', author_email, 'body', body,
					'public', public,
					'created_at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
					ORDER BY created_at, comment_id, content_key) AS doc
				FROM {p}comments GROUP BY connector_id, ticket_id) AS c
			WHERE t.connector_id = c.connector_id AND t.id = c.ticket_id`,
			`DROP TABLE {p}comments`,
			`CREATE VIEW {p}comments AS
			SELECT t.connector_id, t.id AS ticket_id, e->>'id' AS comment_id, e->>'content_key' AS content_key,
				e->>'author_id' AS author_id, e->>'author_name' AS author_name, e->>'author_email' AS author_email,
				e->>'body' AS body, (e->>'public')::boolean AS public, (e->>'created_at')::timestamptz AS created_at
			FROM {p}tickets AS t CROSS JOIN LATERAL jsonb_array_elements(t.comments) AS e`,
		},
		sqlite: []string{
			`ALTER TABLE {p}tickets ADD COLUMN comments TEXT NOT NULL DEFAULT '[]'`,
			`UPDATE {p}tickets SET comments = (
				SELECT json_group_array(json_object(
					'id', comment_id, 'content_key', content_key, 'author_id', author_id,
					'author_name', author_name, 'author_email', author_email, 'body', body,
					'public', json(CASE WHEN public THEN 'true' ELSE 'false' END), 'created_at', created_at))
				FROM (SELECT * FROM {p}comments AS c
					WHERE c.connector_id = {p}tickets.connector_id AND c.ticket_id = {p}tickets.id
					ORDER BY created_at, comment_id, rowid))
			WHERE EXISTS (SELECT 1 FROM {p}comments AS c
				WHERE c.connector_id = {p}tickets.connector_id AND c.ticket_id = {p}tickets.id)`,
			`DROP TABLE {p}comments`,
			`CREATE VIEW {p}comments AS
			SELECT t.connector_id, t.id AS ticket_id, e.value->>'id' AS comment_id, e.value->>'content_key' AS content_key,
				e.value->>'author_id' AS author_id, e.value->>'author_name' AS author_name,
				e.value->>'author_email' AS author_email, e.value->>'body' AS body,
				e.value->>'public' AS public, e.value->>'created_at' AS created_at
			FROM {p}tickets AS t, json_each(t.comments) AS e`,
		},
	},
	{
		// On PostgreSQL, the comments column becomes an array of a
		// composite type, {p}comment, with commentRow's fields in order
		// (created_at stays RFC 3339 text, compared as the JSON kept it),
		// in place of JSONB. COPY then sends each comment's fields in
		// binary, as the server stores them, where JSONB made the server
		// parse every ticket's comments as JSON text; and the comment
		// union reads typed fields, not JSON paths. The view keeps its
		// columns. SQLite keeps JSON text.
		version: 5,
		postgres: []string{
			`CREATE TYPE {p}comment AS (id text COLLATE "C", content_key text COLLATE "C", author_id text,
				author_name text, author_email text, body text, public boolean, created_at text)`,
			`DROP VIEW {p}comments`,
			// ALTER COLUMN ... USING takes no subquery; a function of the
			// session's temporary schema does the conversion, in place and
			// in order, with one rewrite of the table.
			`CREATE FUNCTION pg_temp.{p}comments_v5(c jsonb) RETURNS {p}comment[] LANGUAGE sql IMMUTABLE AS $$
				SELECT COALESCE(array_agg(jsonb_populate_record(NULL::{p}comment, e) ORDER BY o), '{}')
				FROM jsonb_array_elements(c) WITH ORDINALITY AS x(e, o) $$`,
			`ALTER TABLE {p}tickets ALTER COLUMN comments DROP DEFAULT`,
			`ALTER TABLE {p}tickets ALTER COLUMN comments TYPE {p}comment[] USING pg_temp.{p}comments_v5(comments)`,
			`ALTER TABLE {p}tickets ALTER COLUMN comments SET DEFAULT '{}'`,
			`DROP FUNCTION pg_temp.{p}comments_v5(jsonb)`,
			`CREATE VIEW {p}comments AS
			SELECT t.connector_id, t.id AS ticket_id, c.id AS comment_id, c.content_key, c.author_id,
				c.author_name, c.author_email, c.body, c.public, c.created_at::timestamptz AS created_at
			FROM {p}tickets AS t CROSS JOIN LATERAL unnest(t.comments) AS c`,
		},
	},
}

// Migrate creates the Store's tables when they are missing and applies the
// migrations the database lacks, up to SchemaVersion, all in one
// transaction. Concurrent calls, also from other processes, wait for each
// other (PostgreSQL: an advisory lock; SQLite: the write lock), so replicas
// may all start at once. Applied versions are recorded in the table
// <prefix>schema_migrations. It fails, changing nothing, when the database
// is at a newer version than this release knows.
//
// New calls it unless Options.Migrate is MigrateOff.
func (s *Store) Migrate(ctx context.Context) error {
	defer s.writing()()
	err := s.retryBusy(ctx, func() error { return s.migrate(ctx) })
	if err != nil {
		return fmt.Errorf("sqlstore: migrate tables %q*: %w", s.prefix, err)
	}
	return nil
}

func (s *Store) migrate(ctx context.Context) error { return s.migrateTo(ctx, SchemaVersion) }

// migrateTo applies the migrations up to version target.
func (s *Store) migrateTo(ctx context.Context, target int) error {
	create := s.expand(`CREATE TABLE IF NOT EXISTS {p}schema_migrations (version integer PRIMARY KEY, applied_at ` +
		s.timeType() + ` NOT NULL)`)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	switch s.dialect {
	case Postgres:
		// Serialize migrators of this prefix, also across processes; the
		// lock ends with the transaction.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "ticketsync/sqlstore/"+s.prefix); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, create); err != nil {
			return err
		}
	case SQLite:
		if _, err := tx.ExecContext(ctx, create); err != nil {
			return err
		}
		// A write, even of no row, takes SQLite's write lock, so that two
		// migrators cannot both read the old version.
		if _, err := tx.ExecContext(ctx, s.expand(`DELETE FROM {p}schema_migrations WHERE version < 0`)); err != nil {
			return err
		}
	}
	var current int
	if err := tx.QueryRowContext(ctx, s.expand(`SELECT COALESCE(MAX(version), 0) FROM {p}schema_migrations`)).Scan(&current); err != nil {
		return err
	}
	if current > SchemaVersion {
		return fmt.Errorf("database is at schema version %d, newer than this release's %d", current, SchemaVersion)
	}
	for _, m := range migrations {
		if m.version <= current || m.version > target {
			continue
		}
		stmts := m.postgres
		if s.dialect == SQLite {
			stmts = m.sqlite
		}
		for _, stmt := range stmts {
			if _, err := tx.ExecContext(ctx, s.expand(stmt)); err != nil {
				return fmt.Errorf("version %d: %w", m.version, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.rebind(s.expand(`INSERT INTO {p}schema_migrations (version, applied_at) VALUES ($1, $2)`)),
			m.version, dbTime(time.Now())); err != nil {
			return fmt.Errorf("version %d: %w", m.version, err)
		}
	}
	return tx.Commit()
}

// schemaVersion returns the version recorded in the database, 0 when the
// tables do not exist.
func (s *Store) schemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, s.expand(`SELECT COALESCE(MAX(version), 0) FROM {p}schema_migrations`)).Scan(&v)
	if err != nil {
		var exists bool
		var qerr error
		switch s.dialect {
		case Postgres:
			qerr = s.db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, s.prefix+"schema_migrations").Scan(&exists)
		case SQLite:
			qerr = s.db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?`, s.prefix+"schema_migrations").Scan(&exists)
		}
		if qerr == nil && !exists {
			return 0, nil
		}
		return 0, fmt.Errorf("sqlstore: read schema version of tables %q*: %w", s.prefix, err)
	}
	return v, nil
}

func (s *Store) timeType() string {
	if s.dialect == Postgres {
		return "timestamptz"
	}
	return "TEXT"
}

// expand puts the table prefix into stmt.
func (s *Store) expand(stmt string) string { return strings.ReplaceAll(stmt, "{p}", s.prefix) }

// rebind turns PostgreSQL's $1 placeholders into SQLite's ?1.
func (s *Store) rebind(stmt string) string { return rebind(s.dialect, stmt) }

func rebind(d Dialect, stmt string) string {
	if d != SQLite {
		return stmt
	}
	var b strings.Builder
	b.Grow(len(stmt))
	for i := 0; i < len(stmt); i++ {
		c := stmt[i]
		if c == '$' && i+1 < len(stmt) && stmt[i+1] >= '0' && stmt[i+1] <= '9' {
			c = '?'
		}
		b.WriteByte(c)
	}
	return b.String()
}
