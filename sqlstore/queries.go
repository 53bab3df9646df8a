package sqlstore

import (
	"fmt"
	"strings"
)

// queries holds the Store's statements, with the table prefix and the
// dialect's placeholders in place.
type queries struct {
	// upsertPage, on PostgreSQL, writes tickets, each with its comments
	// as a JSON array, in one statement; upsertPageCursor also sets a
	// cursor.
	upsertPage       string
	upsertPageCursor string
	// stageBegin, on PostgreSQL through pgx, begins a transaction and
	// creates the connection's staging table when missing; mergeStage
	// merges what was copied into it, mergeStageCursor also sets a
	// cursor ($1..$3). See copy.go.
	stageBegin       string
	mergeStage       string
	mergeStageCursor string
	// anyStored tells whether any of the tickets whose keys are in
	// $1 and $2 (arrays of connector ids and ids) is stored.
	anyStored string
	// On SQLite, in a transaction that holds the write lock: storedTickets
	// reads the stored copies of a batch's tickets ($1: a JSON array of
	// [connector id, id] pairs); then, prepared, insertTicket inserts a
	// new ticket (its columns and its comments), updateTicket rewrites a
	// stored one (the same), updateComments only its comments ($1, $2:
	// its key; $3: the comments).
	storedTickets  string
	insertTicket   string
	updateTicket   string
	updateComments string

	ticket         string
	listTickets    string
	countStatus    string
	countStatusAll string

	cursor    string
	setCursor string

	saveRun   string
	pruneRuns string
	runs      string
	runsOf    string

	acquireLease string
	releaseLease string
}

const ticketCols = `connector_id, id, platform, url, subject, description, status, raw_status,
	priority, raw_priority, channel, requester_id, requester_name, requester_email,
	assignee_id, assignee_name, assignee_email, tags, fields, created_at, updated_at, deleted`

// ticketNewer is the newest-wins rule: an incoming copy replaces the stored
// one when it is newer, or as new unless that would turn a tombstone back
// into a live ticket.
const ticketNewer = `excluded.updated_at > s.updated_at
	OR (excluded.updated_at = s.updated_at AND (excluded.deleted OR NOT s.deleted))`

// ticketMerge sets the columns of a stored ticket (s) from an incoming
// copy (excluded) that ON CONFLICT met: every field when the copy is newer
// (ticketNewer), only the comments otherwise. The comments are the stored
// ones united with the incoming ones (commentUnion).
func ticketMerge() string {
	var b strings.Builder
	for _, c := range splitCols(ticketCols)[2:] {
		b.WriteString(c + ` = CASE WHEN ` + ticketNewer + ` THEN excluded.` + c + ` ELSE s.` + c + ` END, `)
	}
	b.WriteString(`comments = CASE WHEN s.comments @> excluded.comments THEN s.comments ELSE ` + commentUnion + ` END`)
	return b.String()
}

// ticketConflict is the upsert of a ticket and its comments on PostgreSQL:
// a stored ticket is updated when the incoming copy is newer, or older but
// bringing a comment whose key is not stored (an older copy edits none, so
// one that only brings stored comments, in any version, changes nothing
// and leaves the row, its indexes and the WAL alone); under READ
// COMMITTED, s is then the newest committed version of the row, locked, so
// that concurrent writers of one ticket lose no comment. The containment
// test first settles the common case, a copy delivered again unchanged.
var ticketConflict = `ON CONFLICT (connector_id, id) DO UPDATE SET ` + ticketMerge() + `
	WHERE (` + ticketNewer + `) OR (NOT s.comments @> excluded.comments
		AND EXISTS (SELECT FROM unnest(excluded.comments) AS n WHERE NOT EXISTS (
			SELECT FROM unnest(s.comments) AS o WHERE o.id = n.id AND o.content_key = n.content_key)))`

// commentUnion unites the stored comments (s.comments) with those of an
// incoming copy (excluded.comments), both arrays of the composite type
// {p}comment (commentRow's fields), keyed by id and content_key: a stored
// comment is never dropped; one the copy brings again is replaced (an
// edit) when the copy is newer (ticketNewer), kept otherwise; the others
// are appended, in the copy's order. s.comments @> excluded.comments
// (every incoming comment stored as it is) leaves the row alone.
var commentUnion = `COALESCE((SELECT array_agg(m.e ORDER BY m.g, m.o) FROM (
		SELECT CASE WHEN n.id IS NOT NULL AND (` + ticketNewer + `) THEN ` + commentRowOf("n") + `
			ELSE ` + commentRowOf("o") + ` END AS e, 0 AS g, o.o
		FROM unnest(s.comments) WITH ORDINALITY AS o(` + commentCols + `, o)
		LEFT JOIN unnest(excluded.comments) AS n ON n.id = o.id AND n.content_key = o.content_key
		UNION ALL
		SELECT ` + commentRowOf("n") + `, 1, n.o
		FROM unnest(excluded.comments) WITH ORDINALITY AS n(` + commentCols + `, o)
		WHERE NOT EXISTS (SELECT FROM unnest(s.comments) AS o
			WHERE o.id = n.id AND o.content_key = n.content_key)) AS m), '{}')`

// commentCols are the fields of the composite type {p}comment, in order:
// commentRow's, under their JSON names.
const commentCols = `id, content_key, author_id, author_name, author_email, body, public, created_at`

// commentRowOf builds a {p}comment of the fields of the row alias a.
func commentRowOf(a string) string {
	f := splitCols(commentCols)
	for i := range f {
		f[i] = a + "." + f[i]
	}
	return `ROW(` + strings.Join(f, ", ") + `)::{p}comment`
}

// The columns a ticket is read with, in the order scanTicket expects.
const ticketSelect = `connector_id, id, platform, url, subject, description, status, raw_status,
	priority, raw_priority, channel, requester_id, requester_name, requester_email,
	assignee_id, assignee_name, assignee_email, tags, fields, created_at, updated_at, deleted, comments`

// ticketSelectPG is ticketSelect on PostgreSQL, where the comments are
// read as JSON (array_to_json names each field as the type does), the
// form SQLite stores them in.
var ticketSelectPG = strings.TrimSuffix(ticketSelect, "comments") + "array_to_json(comments)"

func buildQueries(d Dialect, prefix string) queries {
	var q queries
	switch d {
	case Postgres:
		// $1..$23: the tickets' columns, the last their comments, as
		// arrays (unnest reads them in parallel, row by row).
		// The comments come as JSON arrays of commentRow objects, which
		// every driver can send, and become {p}comment arrays here.
		pgTickets := `INSERT INTO {p}tickets AS s (` + ticketCols + `, comments)
			SELECT ` + ticketCols + `, ARRAY(SELECT jsonb_populate_record(NULL::{p}comment, x.e)
				FROM jsonb_array_elements(u.cm) WITH ORDINALITY AS x(e, o) ORDER BY x.o)
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
				$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
				$14::text[], $15::text[], $16::text[], $17::text[], $18::jsonb[], $19::jsonb[],
				$20::timestamptz[], $21::timestamptz[], $22::boolean[], $23::jsonb[]) AS u(` + ticketCols + `, cm)
			` + ticketConflict
		setCursor := `INSERT INTO {p}cursors (connector_id, cursor, updated_at) VALUES ($%d, $%d, $%d)
			ON CONFLICT (connector_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`
		q.upsertPage = pgTickets
		// A data-modifying CTE runs to completion whether or not it is
		// referenced, and the whole statement is one atomic unit.
		q.upsertPageCursor = `WITH up AS (` + pgTickets + `) ` + fmt.Sprintf(setCursor, 24, 25, 26)
		// The staging table: the Store's columns, without keys, in the
		// connection's temporary schema, emptied at every commit.
		q.stageBegin = `BEGIN;
			CREATE TEMP TABLE IF NOT EXISTS {p}stage_tickets (c text COLLATE "C", i text COLLATE "C",
				pf text, url text, sub text, des text, st text, rst text, pr text, rpr text, ch text,
				ri text, rn text, re text, ai text, an text, ae text, g jsonb, f jsonb,
				ca timestamptz, ua timestamptz, d boolean, cm {p}comment[]) ON COMMIT DELETE ROWS`
		stTickets := `INSERT INTO {p}tickets AS s (` + ticketCols + `, comments)
			SELECT * FROM pg_temp.{p}stage_tickets ` + ticketConflict
		q.mergeStage = stTickets
		q.mergeStageCursor = `WITH up AS (` + stTickets + `) ` + fmt.Sprintf(setCursor, 1, 2, 3)
		q.anyStored = `SELECT EXISTS (SELECT FROM unnest($1::text[], $2::text[]) AS k(c, i)
			JOIN {p}tickets AS s ON s.connector_id = k.c AND s.id = k.i)`
		q.ticket = `SELECT ` + ticketSelectPG + ` FROM {p}tickets WHERE connector_id = $1 AND id = $2`
		q.listTickets = `SELECT ` + ticketSelectPG + ` FROM {p}tickets
			WHERE connector_id = $1 AND (updated_at, id) > ($2::timestamptz, $3::text)
			ORDER BY updated_at, id LIMIT $4`
		// Deletes what sorts after the last run kept: one index scan for
		// the boundary, one for the rest. (id IN (... OFFSET $2) was
		// planned as a nested loop that read the kept runs again for
		// every run of the trigger, quadratic in the history limit, and
		// slower still with the dead index entries of a busy history.)
		q.pruneRuns = `DELETE FROM {p}sync_runs WHERE connector_id = $1 AND run_trigger = $3
			AND (started_at, id) < (SELECT started_at, id FROM {p}sync_runs
				WHERE connector_id = $1 AND run_trigger = $3
				ORDER BY started_at DESC, id DESC OFFSET $2 - 1 LIMIT 1)`
		// The database's clock decides expiry, so that replicas with
		// skewed clocks agree; $3 is the TTL in microseconds.
		q.acquireLease = `INSERT INTO {p}leases AS l (connector_id, holder, acquired_at, expires_at)
			VALUES ($1, $2, clock_timestamp(), clock_timestamp() + $3 * interval '1 microsecond')
			ON CONFLICT (connector_id) DO UPDATE SET holder = excluded.holder,
				acquired_at = CASE WHEN l.holder = excluded.holder THEN l.acquired_at ELSE excluded.acquired_at END,
				expires_at = excluded.expires_at
			WHERE l.holder = excluded.holder OR l.expires_at <= clock_timestamp()`
	case SQLite:
		q.storedTickets = `SELECT t.connector_id, t.id, t.updated_at, t.deleted, t.comments
			FROM json_each($1) AS k JOIN {p}tickets AS t ON t.connector_id = k.value->>0 AND t.id = k.value->>1`
		q.insertTicket = `INSERT INTO {p}tickets (` + ticketCols + `, comments)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
				$19, $20, $21, $22, $23)`
		var set strings.Builder
		for i, c := range splitCols(ticketCols)[2:] {
			fmt.Fprintf(&set, "%s = $%d, ", c, i+3)
		}
		q.updateTicket = `UPDATE {p}tickets SET ` + set.String() + `comments = $23 WHERE connector_id = $1 AND id = $2`
		q.updateComments = `UPDATE {p}tickets SET comments = $3 WHERE connector_id = $1 AND id = $2`
		q.ticket = `SELECT ` + ticketSelect + ` FROM {p}tickets WHERE connector_id = $1 AND id = $2`
		q.listTickets = `SELECT ` + ticketSelect + ` FROM {p}tickets
			WHERE connector_id = $1 AND (updated_at, id) > ($2, $3)
			ORDER BY updated_at, id LIMIT $4`
		q.pruneRuns = `DELETE FROM {p}sync_runs WHERE connector_id = $1 AND run_trigger = $3 AND id IN (
			SELECT id FROM {p}sync_runs WHERE connector_id = $1 AND run_trigger = $3
			ORDER BY started_at DESC, id DESC LIMIT -1 OFFSET $2)`
		// $3 is the expiry, $4 now, both from the Store's clock: an
		// SQLite database lives on one machine.
		q.acquireLease = `INSERT INTO {p}leases AS l (connector_id, holder, acquired_at, expires_at)
			VALUES ($1, $2, $4, $3)
			ON CONFLICT (connector_id) DO UPDATE SET holder = excluded.holder,
				acquired_at = CASE WHEN l.holder = excluded.holder THEN l.acquired_at ELSE excluded.acquired_at END,
				expires_at = excluded.expires_at
			WHERE l.holder = excluded.holder OR l.expires_at <= $4`
	}
	q.countStatus = `SELECT status, count(*) FROM {p}tickets WHERE connector_id = $1 AND NOT deleted GROUP BY status`
	q.countStatusAll = `SELECT status, count(*) FROM {p}tickets WHERE NOT deleted GROUP BY status`
	q.cursor = `SELECT cursor FROM {p}cursors WHERE connector_id = $1`
	q.setCursor = `INSERT INTO {p}cursors (connector_id, cursor, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (connector_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`
	q.saveRun = `INSERT INTO {p}sync_runs (id, connector_id, run_trigger, status, started_at, finished_at,
			tickets, errors, attempt, next_retry_at, deliveries, progress)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (id) DO UPDATE SET connector_id = excluded.connector_id, run_trigger = excluded.run_trigger,
			status = excluded.status, started_at = excluded.started_at, finished_at = excluded.finished_at,
			tickets = excluded.tickets, errors = excluded.errors, attempt = excluded.attempt,
			next_retry_at = excluded.next_retry_at, deliveries = excluded.deliveries, progress = excluded.progress`
	q.runs = `SELECT id, connector_id, run_trigger, status, started_at, finished_at, tickets, errors,
			attempt, next_retry_at, deliveries, progress
		FROM {p}sync_runs WHERE connector_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2`
	q.runsOf = `SELECT id, connector_id, run_trigger, status, started_at, finished_at, tickets, errors,
			attempt, next_retry_at, deliveries, progress
		FROM {p}sync_runs WHERE connector_id = $1 AND run_trigger = $3 ORDER BY started_at DESC, id DESC LIMIT $2`
	q.releaseLease = `DELETE FROM {p}leases WHERE connector_id = $1 AND holder = $2`

	fix := func(s *string) {
		*s = rebind(d, strings.ReplaceAll(*s, "{p}", prefix))
	}
	for _, s := range []*string{
		&q.insertTicket, &q.storedTickets, &q.updateTicket, &q.updateComments, &q.upsertPage, &q.upsertPageCursor,
		&q.stageBegin, &q.mergeStage, &q.mergeStageCursor, &q.anyStored,
		&q.ticket, &q.listTickets, &q.countStatus, &q.countStatusAll,
		&q.cursor, &q.setCursor, &q.saveRun, &q.pruneRuns, &q.runs, &q.runsOf, &q.acquireLease, &q.releaseLease,
	} {
		fix(s)
	}
	return q
}
