package sqlstore

import "strings"

// queries holds the Store's statements, with the table prefix and the
// dialect's placeholders in place.
type queries struct {
	upsertTickets  string // $1: JSON array of ticketRow
	upsertComments string // $1: JSON array of commentRow
	// upsertPage is, on PostgreSQL, tickets, comments and optionally the
	// cursor in one statement: $1 tickets, $2 comments, $3 connector, $4
	// cursor, $5 time.
	upsertPage       string
	upsertPageCursor string

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

const commentCols = `connector_id, ticket_id, comment_id, author_id, author_name, author_email, body, public, created_at`

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

func buildQueries(d Dialect, prefix string) queries {
	var q queries
	switch d {
	case Postgres:
		pgTickets := `INSERT INTO {p}tickets AS s (` + ticketCols + `)
			SELECT c, i, pf, url, sub, des, st, rst, pr, rpr, ch, ri, rn, re, ai, an, ae, g, f, ca, ua, d
			FROM json_to_recordset($1::json) AS x(c text, i text, pf text, url text, sub text, des text,
				st text, rst text, pr text, rpr text, ch text, ri text, rn text, re text, ai text, an text,
				ae text, g jsonb, f jsonb, ca timestamptz, ua timestamptz, d boolean)
			ON CONFLICT (connector_id, id) DO UPDATE SET ` + ticketUpdate + `
			WHERE excluded.updated_at >= s.updated_at`
		pgComments := `INSERT INTO {p}comments AS s (` + commentCols + `)
			SELECT c, t, i, ai, an, ae, b, p, ca
			FROM json_to_recordset($2::json) AS x(c text, t text, i text, ai text, an text, ae text,
				b text, p boolean, ca timestamptz)
			ON CONFLICT (connector_id, ticket_id, comment_id) DO UPDATE SET ` + commentUpdate + `
			WHERE ` + commentChanged
		// A data-modifying CTE runs to completion whether or not it is
		// referenced, and the whole statement is one atomic unit.
		q.upsertPage = `WITH t AS (` + pgTickets + `) ` + pgComments
		q.upsertPageCursor = `WITH t AS (` + pgTickets + `), cm AS (` + pgComments + `)
			INSERT INTO {p}cursors (connector_id, cursor, updated_at) VALUES ($3, $4, $5)
			ON CONFLICT (connector_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`
		q.upsertTickets = pgTickets
		q.upsertComments = strings.Replace(pgComments, "$2::json", "$1::json", 1)
		q.listComments = `SELECT ` + commentSelect + ` FROM {p}comments
			WHERE connector_id = $1 AND ticket_id IN (SELECT json_array_elements_text($2::json))
			ORDER BY ticket_id, created_at, seq`
		q.comments = `SELECT ` + commentSelect + ` FROM {p}comments
			WHERE connector_id = $1 AND ticket_id = $2 ORDER BY created_at, seq`
		q.listTickets = `SELECT ` + ticketSelect + ` FROM {p}tickets
			WHERE connector_id = $1 AND (updated_at, id) > ($2::timestamptz, $3::text)
			ORDER BY updated_at, id LIMIT $4`
		q.pruneRuns = `DELETE FROM {p}sync_runs WHERE connector_id = $1 AND id IN (
			SELECT id FROM {p}sync_runs WHERE connector_id = $1
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
		q.upsertTickets = `INSERT INTO {p}tickets AS s (` + ticketCols + `)
			SELECT value->>'c', value->>'i', value->>'pf', value->>'url', value->>'sub', value->>'des',
				value->>'st', value->>'rst', value->>'pr', value->>'rpr', value->>'ch', value->>'ri',
				value->>'rn', value->>'re', value->>'ai', value->>'an', value->>'ae', value->>'g',
				value->>'f', value->>'ca', value->>'ua', value->>'d'
			FROM json_each($1) WHERE true
			ON CONFLICT (connector_id, id) DO UPDATE SET ` + ticketUpdate + `
			WHERE excluded.updated_at >= s.updated_at`
		q.upsertComments = `INSERT INTO {p}comments AS s (` + commentCols + `)
			SELECT value->>'c', value->>'t', value->>'i', value->>'ai', value->>'an', value->>'ae',
				value->>'b', value->>'p', value->>'ca'
			FROM json_each($1) WHERE true
			ON CONFLICT (connector_id, ticket_id, comment_id) DO UPDATE SET ` + commentUpdate + `
			WHERE ` + commentChanged
		q.listComments = `SELECT ` + commentSelect + ` FROM {p}comments
			WHERE connector_id = $1 AND ticket_id IN (SELECT value FROM json_each($2))
			ORDER BY ticket_id, created_at, rowid`
		q.comments = `SELECT ` + commentSelect + ` FROM {p}comments
			WHERE connector_id = $1 AND ticket_id = $2 ORDER BY created_at, rowid`
		q.listTickets = `SELECT ` + ticketSelect + ` FROM {p}tickets
			WHERE connector_id = $1 AND (updated_at, id) > ($2, $3)
			ORDER BY updated_at, id LIMIT $4`
		q.pruneRuns = `DELETE FROM {p}sync_runs WHERE connector_id = $1 AND id IN (
			SELECT id FROM {p}sync_runs WHERE connector_id = $1
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
			tickets, errors, attempt, next_retry_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET connector_id = excluded.connector_id, run_trigger = excluded.run_trigger,
			status = excluded.status, started_at = excluded.started_at, finished_at = excluded.finished_at,
			tickets = excluded.tickets, errors = excluded.errors, attempt = excluded.attempt,
			next_retry_at = excluded.next_retry_at`
	q.runs = `SELECT id, connector_id, run_trigger, status, started_at, finished_at, tickets, errors,
			attempt, next_retry_at
		FROM {p}sync_runs WHERE connector_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2`
	q.releaseLease = `DELETE FROM {p}leases WHERE connector_id = $1 AND holder = $2`

	fix := func(s *string) {
		*s = rebind(d, strings.ReplaceAll(*s, "{p}", prefix))
	}
	for _, s := range []*string{
		&q.upsertTickets, &q.upsertComments, &q.upsertPage, &q.upsertPageCursor,
		&q.ticket, &q.comments, &q.listTickets, &q.listComments, &q.countStatus, &q.countStatusAll,
		&q.cursor, &q.setCursor, &q.saveRun, &q.pruneRuns, &q.runs, &q.acquireLease, &q.releaseLease,
	} {
		fix(s)
	}
	return q
}
