package sqlstore

import "strings"

// queries holds the Store's statements, with the table prefix and the
// dialect's placeholders in place.
type queries struct {
	// upsertPage, on PostgreSQL, writes tickets and their comments in
	// one statement; upsertPageCursor also sets a cursor.
	upsertPage       string
	upsertPageCursor string
	// stageBegin, on PostgreSQL through pgx, begins a transaction and
	// creates the connection's staging tables when missing; mergeStage
	// merges what was copied into them, mergeStageCursor also sets a
	// cursor ($1..$3). See copy.go.
	stageBegin       string
	mergeStage       string
	mergeStageCursor string
	// mergeNew and mergeNewCursor do what mergeStage and mergeStageCursor
	// do, inserting the comments of new tickets with a plain INSERT:
	// faster, but failing with a unique violation should such a comment
	// be stored already; the Store then takes mergeStage.
	mergeNew       string
	mergeNewCursor string
	// anyStored tells whether any of the tickets whose keys are in
	// $1 and $2 (arrays of connector ids and ids) is stored.
	anyStored string
	// On SQLite, prepared in a transaction: upsertTicket (one ticket's
	// columns), then for each of its comments replaceComment when the
	// ticket was inserted or replaced, addComment otherwise (a comment's
	// columns).
	upsertTicket   string
	replaceComment string
	addComment     string

	ticket         string
	comments       string
	listTickets    string
	listComments   string
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

const ticketUpdate = `platform = excluded.platform, url = excluded.url, subject = excluded.subject,
	description = excluded.description, status = excluded.status, raw_status = excluded.raw_status,
	priority = excluded.priority, raw_priority = excluded.raw_priority, channel = excluded.channel,
	requester_id = excluded.requester_id, requester_name = excluded.requester_name,
	requester_email = excluded.requester_email, assignee_id = excluded.assignee_id,
	assignee_name = excluded.assignee_name, assignee_email = excluded.assignee_email,
	tags = excluded.tags, fields = excluded.fields, created_at = excluded.created_at,
	updated_at = excluded.updated_at, deleted = excluded.deleted`

// ticketNewer is the newest-wins rule: an incoming copy replaces the stored
// one when it is newer, or as new unless that would turn a tombstone back
// into a live ticket.
const ticketNewer = `excluded.updated_at > s.updated_at
	OR (excluded.updated_at = s.updated_at AND (excluded.deleted OR NOT s.deleted))`

const commentCols = `connector_id, ticket_id, comment_id, content_key, author_id, author_name, author_email,
	body, public, created_at`

const commentConflict = `ON CONFLICT (connector_id, ticket_id, comment_id, content_key)`

const commentUpdate = `author_id = excluded.author_id, author_name = excluded.author_name,
	author_email = excluded.author_email, body = excluded.body, public = excluded.public,
	created_at = excluded.created_at`

// commentChanged skips rewriting a comment that arrives unchanged, as most
// do when a platform delivers a ticket's whole conversation again. The
// columns are NOT NULL, so <> is exact.
const commentChanged = `(s.author_id, s.author_name, s.author_email, s.body, s.public, s.created_at)
	<> (excluded.author_id, excluded.author_name, excluded.author_email, excluded.body, excluded.public, excluded.created_at)`

// The columns a ticket is read with, in the order scanTicket expects.
const ticketSelect = `connector_id, id, platform, url, subject, description, status, raw_status,
	priority, raw_priority, channel, requester_id, requester_name, requester_email,
	assignee_id, assignee_name, assignee_email, tags, fields, created_at, updated_at, deleted`

const commentSelect = `ticket_id, comment_id, author_id, author_name, author_email, body, public, created_at`

// Comments are read oldest first, then by ID; comments without an ID and
// with the same time come in order of arrival on SQLite, in an arbitrary
// but stable order on PostgreSQL.
const pgCommentOrder = `created_at, comment_id, content_key`
const sqliteCommentOrder = `created_at, comment_id, rowid`

func buildQueries(d Dialect, prefix string) queries {
	var q queries
	switch d {
	case Postgres:
		// $1..$22: the tickets' columns, $23..$32 the comments', as
		// arrays (unnest reads them in parallel, row by row).
		pgTickets := `INSERT INTO {p}tickets AS s (` + ticketCols + `)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
				$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
				$14::text[], $15::text[], $16::text[], $17::text[], $18::jsonb[], $19::jsonb[],
				$20::timestamptz[], $21::timestamptz[], $22::boolean[])
			ON CONFLICT (connector_id, id) DO UPDATE SET ` + ticketUpdate + `
			WHERE ` + ticketNewer
		pgCommentSrc := `SELECT * FROM unnest($23::text[], $24::text[], $25::text[], $26::text[],
				$27::text[], $28::text[], $29::text[], $30::text[], $31::boolean[], $32::timestamptz[])
				AS x(c, t, i, k, ai, an, ae, b, p, ca)`
		// The tickets the statement inserted or replaced (RETURNING leaves
		// out those whose stored copy is newer) take their incoming
		// comments as edits; the others only add comments the store lacks.
		// The two comment inserts touch disjoint rows.
		pgPage := `WITH up AS (` + pgTickets + ` RETURNING connector_id, id),
			cm AS (` + pgCommentSrc + `),
			cr AS (INSERT INTO {p}comments AS s (` + commentCols + `)
				SELECT c, t, i, k, ai, an, ae, b, p, ca FROM cm WHERE (c, t) IN (SELECT connector_id, id FROM up)
				` + commentConflict + ` DO UPDATE SET ` + commentUpdate + ` WHERE ` + commentChanged + `)`
		pgAdd := `INSERT INTO {p}comments AS s (` + commentCols + `)
				SELECT c, t, i, k, ai, an, ae, b, p, ca FROM cm WHERE (c, t) NOT IN (SELECT connector_id, id FROM up)
				` + commentConflict + ` DO NOTHING`
		// A data-modifying CTE runs to completion whether or not it is
		// referenced, and the whole statement is one atomic unit.
		q.upsertPage = pgPage + ` ` + pgAdd
		q.upsertPageCursor = pgPage + `, ad AS (` + pgAdd + `)
			INSERT INTO {p}cursors (connector_id, cursor, updated_at) VALUES ($33, $34, $35)
			ON CONFLICT (connector_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`
		// The staging tables: the Store's columns, without keys, in the
		// connection's temporary schema, emptied at every commit.
		q.stageBegin = `BEGIN;
			CREATE TEMP TABLE IF NOT EXISTS {p}stage_tickets (c text COLLATE "C", i text COLLATE "C",
				pf text, url text, sub text, des text, st text, rst text, pr text, rpr text, ch text,
				ri text, rn text, re text, ai text, an text, ae text, g jsonb, f jsonb,
				ca timestamptz, ua timestamptz, d boolean) ON COMMIT DELETE ROWS;
			CREATE TEMP TABLE IF NOT EXISTS {p}stage_comments (c text COLLATE "C", t text COLLATE "C",
				i text COLLATE "C", k text COLLATE "C", ai text, an text, ae text, b text, p boolean,
				ca timestamptz) ON COMMIT DELETE ROWS`
		stTickets := `INSERT INTO {p}tickets AS s (` + ticketCols + `)
			SELECT * FROM pg_temp.{p}stage_tickets
			ON CONFLICT (connector_id, id) DO UPDATE SET ` + ticketUpdate + `
			WHERE ` + ticketNewer
		stMerge := `WITH up AS (` + stTickets + ` RETURNING connector_id, id),
			cr AS (INSERT INTO {p}comments AS s (` + commentCols + `)
				SELECT * FROM pg_temp.{p}stage_comments WHERE (c, t) IN (SELECT connector_id, id FROM up)
				` + commentConflict + ` DO UPDATE SET ` + commentUpdate + ` WHERE ` + commentChanged + `)`
		stAdd := `INSERT INTO {p}comments AS s (` + commentCols + `)
				SELECT * FROM pg_temp.{p}stage_comments WHERE (c, t) NOT IN (SELECT connector_id, id FROM up)
				` + commentConflict + ` DO NOTHING`
		setCursor := `INSERT INTO {p}cursors (connector_id, cursor, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (connector_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`
		q.mergeStage = stMerge + ` ` + stAdd
		q.mergeStageCursor = stMerge + `, ad AS (` + stAdd + `) ` + setCursor
		// The tickets the statement inserts (xmax is 0 in a row version no
		// transaction has locked or updated yet) cannot have comments
		// stored, so theirs go in with a plain INSERT, without the cost of
		// ON CONFLICT's speculative insertion. Should a comment of them be
		// stored nonetheless (rows the host deleted in part), the unique
		// violation sends the Store to mergeStage; a ticket wrongly
		// classed as not inserted only takes the general path.
		newMerge := `WITH up AS (` + stTickets + ` RETURNING connector_id, id, xmax = 0 AS ins),
			cn AS (INSERT INTO {p}comments (` + commentCols + `)
				SELECT * FROM pg_temp.{p}stage_comments WHERE (c, t) IN (SELECT connector_id, id FROM up WHERE ins)),
			cr AS (INSERT INTO {p}comments AS s (` + commentCols + `)
				SELECT * FROM pg_temp.{p}stage_comments WHERE (c, t) IN (SELECT connector_id, id FROM up WHERE NOT ins)
				` + commentConflict + ` DO UPDATE SET ` + commentUpdate + ` WHERE ` + commentChanged + `)`
		newAdd := stAdd
		q.anyStored = `SELECT EXISTS (SELECT FROM unnest($1::text[], $2::text[]) AS k(c, i)
			JOIN {p}tickets AS s ON s.connector_id = k.c AND s.id = k.i)`
		q.mergeNew = newMerge + ` ` + newAdd
		q.mergeNewCursor = newMerge + `, ad AS (` + newAdd + `) ` + setCursor
		q.listComments = `SELECT ` + commentSelect + ` FROM {p}comments
			WHERE connector_id = $1 AND ticket_id IN (SELECT json_array_elements_text($2::json))
			ORDER BY ticket_id, ` + pgCommentOrder
		q.comments = `SELECT ` + commentSelect + ` FROM {p}comments
			WHERE connector_id = $1 AND ticket_id = $2 ORDER BY ` + pgCommentOrder
		q.listTickets = `SELECT ` + ticketSelect + ` FROM {p}tickets
			WHERE connector_id = $1 AND (updated_at, id) > ($2::timestamptz, $3::text)
			ORDER BY updated_at, id LIMIT $4`
		q.pruneRuns = `DELETE FROM {p}sync_runs WHERE connector_id = $1 AND run_trigger = $3 AND id IN (
			SELECT id FROM {p}sync_runs WHERE connector_id = $1 AND run_trigger = $3
			ORDER BY started_at DESC, id DESC OFFSET $2)`
		// The database's clock decides expiry, so that replicas with
		// skewed clocks agree; $3 is the TTL in microseconds.
		q.acquireLease = `INSERT INTO {p}leases AS l (connector_id, holder, acquired_at, expires_at)
			VALUES ($1, $2, clock_timestamp(), clock_timestamp() + $3 * interval '1 microsecond')
			ON CONFLICT (connector_id) DO UPDATE SET holder = excluded.holder,
				acquired_at = CASE WHEN l.holder = excluded.holder THEN l.acquired_at ELSE excluded.acquired_at END,
				expires_at = excluded.expires_at
			WHERE l.holder = excluded.holder OR l.expires_at <= clock_timestamp()`
	case SQLite:
		q.upsertTicket = `INSERT INTO {p}tickets AS s (` + ticketCols + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
				$19, $20, $21, $22)
			ON CONFLICT (connector_id, id) DO UPDATE SET ` + ticketUpdate + `
			WHERE ` + ticketNewer
		q.replaceComment = `INSERT INTO {p}comments AS s (` + commentCols + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			` + commentConflict + ` DO UPDATE SET ` + commentUpdate + ` WHERE ` + commentChanged
		q.addComment = `INSERT INTO {p}comments (` + commentCols + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			` + commentConflict + ` DO NOTHING`
		q.listComments = `SELECT ` + commentSelect + ` FROM {p}comments
			WHERE connector_id = $1 AND ticket_id IN (SELECT value FROM json_each($2))
			ORDER BY ticket_id, ` + sqliteCommentOrder
		q.comments = `SELECT ` + commentSelect + ` FROM {p}comments
			WHERE connector_id = $1 AND ticket_id = $2 ORDER BY ` + sqliteCommentOrder
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
	q.ticket = `SELECT ` + ticketSelect + ` FROM {p}tickets WHERE connector_id = $1 AND id = $2`
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
		&q.upsertTicket, &q.replaceComment, &q.addComment, &q.upsertPage, &q.upsertPageCursor,
		&q.stageBegin, &q.mergeStage, &q.mergeStageCursor, &q.mergeNew, &q.mergeNewCursor, &q.anyStored,
		&q.ticket, &q.comments, &q.listTickets, &q.listComments, &q.countStatus, &q.countStatusAll,
		&q.cursor, &q.setCursor, &q.saveRun, &q.pruneRuns, &q.runs, &q.runsOf, &q.acquireLease, &q.releaseLease,
	} {
		fix(s)
	}
	return q
}
