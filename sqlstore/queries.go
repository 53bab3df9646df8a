package sqlstore

import "strings"

// queries holds the Store's statements, with the table prefix and the
// dialect's placeholders in place.
type queries struct {
	// upsertPage, on PostgreSQL, writes tickets and their comments in
	// one statement; upsertPageCursor also sets a cursor.
	upsertPage       string
	upsertPageCursor string
	// On SQLite, in a transaction: upsertTickets ($1: JSON array of
	// ticketRow), then replaceComments and addComments (each $1: JSON
	// array of commentRow).
	upsertTickets   string
	replaceComments string
	addComments     string

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
		// "WHERE true" tells SQLite's parser that ON CONFLICT starts the
		// upsert clause, not a join constraint.
		q.upsertTickets = `INSERT INTO {p}tickets AS s (` + ticketCols + `)
			SELECT value->>'c', value->>'i', value->>'pf', value->>'url', value->>'sub', value->>'des',
				value->>'st', value->>'rst', value->>'pr', value->>'rpr', value->>'ch', value->>'ri',
				value->>'rn', value->>'re', value->>'ai', value->>'an', value->>'ae', value->>'g',
				value->>'f', value->>'ca', value->>'ua', value->>'d'
			FROM json_each($1) WHERE true
			ON CONFLICT (connector_id, id) DO UPDATE SET ` + ticketUpdate + `
			WHERE ` + ticketNewer
		cols := `j.value->>'c', j.value->>'t', j.value->>'i', j.value->>'k', j.value->>'ai', j.value->>'an',
				j.value->>'ae', j.value->>'b', j.value->>'p', j.value->>'ca'`
		q.replaceComments = `INSERT INTO {p}comments AS s (` + commentCols + `)
			SELECT ` + cols + ` FROM json_each($1) AS j
			JOIN {p}tickets AS tk ON tk.connector_id = j.value->>'c' AND tk.id = j.value->>'t'
			WHERE tk.updated_at = j.value->>'u' AND tk.deleted = j.value->>'d'
			` + commentConflict + ` DO UPDATE SET ` + commentUpdate + ` WHERE ` + commentChanged
		q.addComments = `INSERT INTO {p}comments AS s (` + commentCols + `)
			SELECT ` + cols + ` FROM json_each($1) AS j WHERE true
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
			tickets, errors, attempt, next_retry_at, deliveries)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (id) DO UPDATE SET connector_id = excluded.connector_id, run_trigger = excluded.run_trigger,
			status = excluded.status, started_at = excluded.started_at, finished_at = excluded.finished_at,
			tickets = excluded.tickets, errors = excluded.errors, attempt = excluded.attempt,
			next_retry_at = excluded.next_retry_at, deliveries = excluded.deliveries`
	q.runs = `SELECT id, connector_id, run_trigger, status, started_at, finished_at, tickets, errors,
			attempt, next_retry_at, deliveries
		FROM {p}sync_runs WHERE connector_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2`
	q.runsOf = `SELECT id, connector_id, run_trigger, status, started_at, finished_at, tickets, errors,
			attempt, next_retry_at, deliveries
		FROM {p}sync_runs WHERE connector_id = $1 AND run_trigger = $3 ORDER BY started_at DESC, id DESC LIMIT $2`
	q.releaseLease = `DELETE FROM {p}leases WHERE connector_id = $1 AND holder = $2`

	fix := func(s *string) {
		*s = rebind(d, strings.ReplaceAll(*s, "{p}", prefix))
	}
	for _, s := range []*string{
		&q.upsertTickets, &q.replaceComments, &q.addComments, &q.upsertPage, &q.upsertPageCursor,
		&q.ticket, &q.comments, &q.listTickets, &q.listComments, &q.countStatus, &q.countStatusAll,
		&q.cursor, &q.setCursor, &q.saveRun, &q.pruneRuns, &q.runs, &q.runsOf, &q.acquireLease, &q.releaseLease,
	} {
		fix(s)
	}
	return q
}
