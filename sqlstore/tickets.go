package sqlstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ticketsync/ticketsync"
)

// Batches larger than these are written in several statements of one
// transaction, to bound the size of one statement's parameters.
const (
	chunkTickets = 2000 // with their comments, on PostgreSQL's parameter path
)

// ticketRow is a ticket as the upsert statements take it.
type ticketRow struct {
	C   string
	I   string
	Pf  string
	URL string
	Sub string
	Des string
	St  string
	Rst string
	Pr  string
	Rpr string
	Ch  string
	Ri  string
	Rn  string
	Re  string
	Ai  string
	An  string
	Ae  string
	G   []string
	F   map[string]string
	Ca  *string
	Ua  string
	D   bool

	updated  time.Time    // UpdatedAt as stored, for deduplication
	created  time.Time    // CreatedAt as stored
	comments []commentRow // the comments the call brings for the ticket
	cm       []byte       // comments as JSON (appendComments), once batch.encodeComments has run
}

// commentRow is a comment as stored: one element of a ticket's comments
// column, a JSON array of objects with these keys. K, the content key,
// identifies a comment without an ID (contentKey) and is empty otherwise.
type commentRow struct {
	I  string `json:"id"`
	K  string `json:"content_key"`
	Ai string `json:"author_id"`
	An string `json:"author_name"`
	Ae string `json:"author_email"`
	B  string `json:"body"`
	P  bool   `json:"public"`
	Ca string `json:"created_at"`
}

// batch is one UpsertTickets call made ready for the database: one row per
// ticket key, each with its comments, one per comment key, in key order so
// that concurrent writers lock rows in the same order.
type batch struct {
	tickets []ticketRow
}

// UpsertTickets stores tickets as the ticketsync.Store contract says. The
// whole call is atomic: one transaction (on PostgreSQL with a driver other
// than pgx, a call of up to 2,000 tickets is one statement). Newest-wins is
// decided by the database inside the statements (ON CONFLICT ... DO UPDATE
// ... WHERE excluded.updated_at > updated_at ..., or a plain insert that a
// stored copy makes fail), so concurrent writers, also on other replicas,
// never let an older copy replace a newer one. See the package
// documentation for the paths a call takes.
//
// A ticket's comments are stored in its row, as a JSON array (see the
// package documentation), and united with the stored ones on the locked
// row, so that concurrent writers of one ticket lose none.
//
// The details the contract leaves open are settled as memstore settles
// them, so that both stores keep the same data:
//
//   - A copy with the same UpdatedAt as the stored one replaces it, unless
//     that would turn a tombstone (Deleted) back into a live ticket.
//   - The comments of a copy that replaces the stored ticket replace the
//     stored comments with the same ID (edits); the comments of an older
//     copy only add the comments the store lacks.
//   - A comment without an ID is identified by its author's ID, CreatedAt
//     and Body: delivered twice, it is stored once.
//   - A call that holds a ticket several times counts as those copies
//     applied in order.
//
// Comments are read back oldest first, then by ID. Times are stored in UTC
// with microsecond precision. Text is stored as UTF-8 (invalid bytes become
// U+FFFD) on every dialect; on PostgreSQL, which cannot store it, the NUL
// character is dropped. Ids are never changed: a ticket whose ConnectorID
// or ID ticketsync.CheckID refuses (empty, NUL, invalid UTF-8, too long)
// fails the call with an error matching ticketsync.ErrInvalidID before
// anything is written, since changing it could merge two tickets.
func (s *Store) UpsertTickets(ctx context.Context, tickets []ticketsync.Ticket) error {
	if len(tickets) == 0 {
		return nil
	}
	b, err := s.prepare(tickets)
	if err != nil {
		return err
	}
	if err := s.writeBatch(ctx, b, "", "", false); err != nil {
		return fmt.Errorf("sqlstore: upsert %d tickets: %w", len(tickets), err)
	}
	return nil
}

// StorePage stores one poll page and the cursor after it atomically (in
// one transaction, as UpsertTickets writes a call): either
// both the tickets and the cursor are stored, or neither. The tickets are
// stored as by UpsertTickets, the cursor as by SetCursor(ctx, connectorID,
// cursor). A sync loop that uses it instead of UpsertTickets followed by
// SetCursor never fetches a stored page again after a crash.
func (s *Store) StorePage(ctx context.Context, connectorID string, tickets []ticketsync.Ticket, cursor string) error {
	if err := ticketsync.CheckID(connectorID); err != nil {
		return fmt.Errorf("sqlstore: store page: connector %w", err)
	}
	b, err := s.prepare(tickets)
	if err != nil {
		return err
	}
	cursor = s.cleanText(cursor)
	if err := s.writeBatch(ctx, b, connectorID, cursor, true); err != nil {
		return fmt.Errorf("sqlstore: store page of %d tickets for connector %q: %w", len(tickets), connectorID, err)
	}
	return nil
}

// pendingTicket is the copy of one ticket key that a call keeps, and the
// comments the call brings for it.
type pendingTicket struct {
	row      ticketRow
	comments []commentRow
	at       map[[2]string]int // comment key (ID, content key) -> index in comments, once there are many
}

// find returns the index of the comment with key k, or -1.
func (p *pendingTicket) find(k [2]string) int {
	if p.at != nil {
		if i, ok := p.at[k]; ok {
			return i
		}
		return -1
	}
	for i := range p.comments {
		if p.comments[i].I == k[0] && p.comments[i].K == k[1] {
			return i
		}
	}
	return -1
}

// add appends c, whose key is k.
func (p *pendingTicket) add(c commentRow, k [2]string) {
	p.comments = append(p.comments, c)
	switch {
	case p.at != nil:
		p.at[k] = len(p.comments) - 1
	case len(p.comments) > 16:
		// Linear search stays cheap for the few comments of most tickets.
		p.at = make(map[[2]string]int, 2*len(p.comments))
		for i := range p.comments {
			p.at[[2]string{p.comments[i].I, p.comments[i].K}] = i
		}
	}
}

// prepare validates tickets and turns them into a batch, sharing nothing
// with the caller's slices and maps.
func (s *Store) prepare(tickets []ticketsync.Ticket) (batch, error) {
	clean := s.cleanText
	var pending []*pendingTicket
	byKey := make(map[[2]string]*pendingTicket, len(tickets))
	for n := range tickets {
		t := &tickets[n]
		if t.ConnectorID == "" || t.ID == "" {
			return batch{}, fmt.Errorf("sqlstore: upsert tickets: ticket %d of %d has an empty ConnectorID or ID (%q, %q): %w", n+1, len(tickets), t.ConnectorID, t.ID, ticketsync.ErrInvalidID)
		}
		if err := cmp.Or(ticketsync.CheckID(t.ConnectorID), ticketsync.CheckID(t.ID)); err != nil {
			return batch{}, fmt.Errorf("sqlstore: upsert tickets: ticket %d of %d: %w", n+1, len(tickets), err)
		}
		r := ticketRow{
			C: clean(t.ConnectorID), I: clean(t.ID), Pf: clean(t.Platform), URL: clean(t.URL),
			Sub: clean(t.Subject), Des: clean(t.Description),
			St: clean(string(t.Status)), Rst: clean(t.RawStatus),
			Pr: clean(string(t.Priority)), Rpr: clean(t.RawPriority), Ch: clean(t.Channel),
			Ri: clean(t.Requester.ID), Rn: clean(t.Requester.Name), Re: clean(t.Requester.Email),
			Ai: clean(t.Assignee.ID), An: clean(t.Assignee.Name), Ae: clean(t.Assignee.Email),
			Ua: dbTime(t.UpdatedAt), D: t.Deleted,
			updated: t.UpdatedAt.Truncate(time.Microsecond),
			created: t.CreatedAt.Truncate(time.Microsecond),
		}
		if t.Tags != nil {
			r.G = make([]string, len(t.Tags))
			for i, tag := range t.Tags {
				r.G[i] = clean(tag)
			}
		}
		if t.Fields != nil {
			r.F = make(map[string]string, len(t.Fields))
			for k, v := range t.Fields {
				r.F[clean(k)] = clean(v)
			}
		}
		if !t.CreatedAt.IsZero() {
			ca := dbTime(t.CreatedAt)
			r.Ca = &ca
		}
		key := [2]string{r.C, r.I}
		p, seen := byKey[key]
		replaces := true
		if !seen {
			p = &pendingTicket{row: r, comments: make([]commentRow, 0, len(t.Comments))}
			byKey[key] = p
			pending = append(pending, p)
		} else if replaces = newer(&r, &p.row); replaces {
			p.row = r
		}
		for _, c := range t.Comments {
			cr := commentRow{
				I:  clean(c.ID),
				Ai: clean(c.Author.ID), An: clean(c.Author.Name), Ae: clean(c.Author.Email),
				B: clean(c.Body), P: c.Public, Ca: dbTime(c.CreatedAt),
			}
			if cr.I == "" {
				cr.K = contentKey(&cr)
			}
			ck := [2]string{cr.I, cr.K}
			if i := p.find(ck); i >= 0 {
				if replaces {
					p.comments[i] = cr
				}
				continue
			}
			p.add(cr, ck)
		}
	}
	slices.SortFunc(pending, func(x, y *pendingTicket) int {
		return cmp.Or(strings.Compare(x.row.C, y.row.C), strings.Compare(x.row.I, y.row.I))
	})
	b := batch{tickets: make([]ticketRow, 0, len(pending))}
	for _, p := range pending {
		// A ticket's comments count as coming with the copy the call
		// keeps; they stay in order of arrival.
		p.row.comments = p.comments
		b.tickets = append(b.tickets, p.row)
	}
	return b, nil
}

// encodeComments sets each ticket's cm, its comments as JSON, which SQLite
// stores and PostgreSQL's parameter path sends; COPY sends them typed
// (commentArray) and needs no JSON.
func (b batch) encodeComments() {
	size := 0
	for i := range b.tickets {
		size += commentsSize(b.tickets[i].comments)
	}
	buf := make([]byte, 0, size)
	for i := range b.tickets {
		t := &b.tickets[i]
		start := len(buf)
		buf = appendComments(buf, t.comments)
		t.cm = buf[start:len(buf):len(buf)]
	}
}

// newer reports whether copy in replaces copy kept of the same ticket: the
// same rule as the statements' ON CONFLICT ... WHERE.
func newer(in, kept *ticketRow) bool {
	switch in.updated.Compare(kept.updated) {
	case 1:
		return true
	case 0:
		return in.D || !kept.D
	}
	return false
}

// contentKey identifies a comment without an ID by its author's ID, time
// and body.
func contentKey(c *commentRow) string {
	h := sha256.New()
	h.Write([]byte(c.Ai))
	h.Write([]byte{0})
	h.Write([]byte(c.Ca))
	h.Write([]byte{0})
	h.Write([]byte(c.B))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// cleanText makes v storable: invalid UTF-8 bytes become U+FFFD on every
// dialect and, on PostgreSQL, whose text cannot hold it, the NUL character
// is dropped.
func (s *Store) cleanText(v string) string {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	if s.dialect == Postgres {
		v = dropNUL(v)
	}
	return v
}

// dropNUL removes the NUL characters that PostgreSQL's text cannot hold.
func dropNUL(v string) string {
	if strings.IndexByte(v, 0) < 0 {
		return v
	}
	return strings.ReplaceAll(v, "\x00", "")
}

// copyMinTickets is the smallest batch that takes the COPY path on pgx.
// A smaller one, such as a webhook delivery's ticket or a short poll page,
// is one statement on the parameter path, where COPY costs several round
// trips (the staging table, the stored-tickets probe, the COPY, the merge,
// COMMIT). BenchmarkUpsertSmall compares the two: the parameter path was
// faster at 50 stored tickets, COPY at 1,000 (BenchmarkUpsert).
const copyMinTickets = 50

// writeBatch writes b and, when withCursor, the connector's cursor,
// atomically.
func (s *Store) writeBatch(ctx context.Context, b batch, connectorID, cursor string, withCursor bool) error {
	defer s.writing()()
	if s.dialect == Postgres {
		err := errNoCopy
		if len(b.tickets) >= cmp.Or(s.copyMin, copyMinTickets) {
			err = s.writeCopy(ctx, b, connectorID, cursor, withCursor)
		}
		if errors.Is(err, errNoCopy) {
			b.encodeComments()
			err = s.writePostgres(ctx, b, connectorID, cursor, withCursor)
		}
		return err
	}
	b.encodeComments()
	return s.writeSQLite(ctx, b, connectorID, cursor, withCursor)
}

// writePostgres sends each chunk of tickets, with their comments, as one
// statement whose parameters are arrays, one per column (unnest). A batch of
// one chunk is a single statement and needs no transaction. The arrays go
// as PostgreSQL array literals, which every driver passes as text.
func (s *Store) writePostgres(ctx context.Context, b batch, connectorID, cursor string, withCursor bool) error {
	var stmts [][]any
	for i := 0; i < len(b.tickets) || (i == 0 && withCursor); i += chunkTickets {
		args, err := pgArgs(b.tickets[i:min(i+chunkTickets, len(b.tickets))])
		if err != nil {
			return err
		}
		stmts = append(stmts, args)
	}
	exec := func(ctx context.Context, ex execer) error {
		for i, args := range stmts {
			q := s.q.upsertPage
			if withCursor && i == len(stmts)-1 {
				q = s.q.upsertPageCursor
				args = append(args, connectorID, cursor, dbTime(time.Now()))
			}
			if _, err := ex.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	}
	return retry(ctx, func() error {
		if len(stmts) == 1 {
			return exec(ctx, s.db)
		}
		return s.inTx(ctx, func(tx *sql.Tx) error { return exec(ctx, tx) })
	})
}

// execer is *sql.DB or *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// pgArgs returns the parameters of upsertPage for tickets and their
// comments: one array literal per column.
func pgArgs(tickets []ticketRow) ([]any, error) {
	cols := make([]pgArray, 23)
	for i := range cols {
		cols[i].grow(len(tickets), 24)
	}
	for i := range tickets {
		t := &tickets[i]
		for j, v := range [...]string{t.C, t.I, t.Pf, t.URL, t.Sub, t.Des, t.St, t.Rst, t.Pr, t.Rpr,
			t.Ch, t.Ri, t.Rn, t.Re, t.Ai, t.An, t.Ae} {
			cols[j].add(v)
		}
		if t.G == nil {
			cols[17].addNull()
		} else {
			j, err := json.Marshal(t.G)
			if err != nil {
				return nil, err
			}
			cols[17].add(string(j))
		}
		if t.F == nil {
			cols[18].addNull()
		} else {
			j, err := json.Marshal(t.F)
			if err != nil {
				return nil, err
			}
			cols[18].add(string(j))
		}
		if t.Ca == nil {
			cols[19].addNull()
		} else {
			cols[19].add(*t.Ca)
		}
		cols[20].add(t.Ua)
		cols[21].addBool(t.D)
		cols[22].add(string(t.cm))
	}
	args := make([]any, len(cols))
	for i := range cols {
		args[i] = cols[i].String()
	}
	return args, nil
}

// pgArray builds a PostgreSQL array literal: {"a","b",NULL}.
type pgArray struct{ b []byte }

func (a *pgArray) grow(n, size int) { a.b = make([]byte, 0, 2+n*(size+3)) }

func (a *pgArray) sep() {
	if len(a.b) == 0 {
		a.b = append(a.b, '{')
	} else {
		a.b = append(a.b, ',')
	}
}

func (a *pgArray) add(v string) {
	a.sep()
	a.b = append(a.b, '"')
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '"' || c == '\\' {
			a.b = append(a.b, '\\')
		}
		a.b = append(a.b, v[i])
	}
	a.b = append(a.b, '"')
}

func (a *pgArray) addNull() {
	a.sep()
	a.b = append(a.b, "NULL"...)
}

func (a *pgArray) addBool(v bool) {
	a.sep()
	if v {
		a.b = append(a.b, 't')
	} else {
		a.b = append(a.b, 'f')
	}
}

func (a *pgArray) String() string {
	if len(a.b) == 0 {
		return "{}"
	}
	return string(a.b) + "}"
}

// writeSQLite writes b in one immediate transaction: it takes the write
// lock at once, so it never fails halfway for want of it, and no other
// writer runs until it commits, so that it may read a stored ticket and
// write it back merged.
func (s *Store) writeSQLite(ctx context.Context, b batch, connectorID, cursor string, withCursor bool) error {
	return s.retryBusy(ctx, func() error {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			// A BEGIN that the context's end interrupted may have begun
			// all the same; the connection would then go back to the pool
			// holding the write lock, and every writer would wait out
			// the busy timeout. End it (an error when none began).
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			return err
		}
		if err := s.sqliteRows(ctx, conn, b, connectorID, cursor, withCursor); err != nil {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			return err
		}
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
			return err
		}
		return nil
	})
}

// storedRow is what sqliteRows reads of a stored ticket.
type storedRow struct {
	updated  string
	deleted  bool
	comments []byte
}

// sqliteRows writes b's rows inside writeSQLite's transaction: it reads the
// stored copies of the batch's tickets with one statement, then inserts
// each new ticket with its comments, and writes a stored one back with the
// comments merged (mergeComments) and, when the copy is newer, its fields,
// with prepared statements.
func (s *Store) sqliteRows(ctx context.Context, conn *sql.Conn, b batch, connectorID, cursor string, withCursor bool) error {
	stored, err := s.sqliteStored(ctx, conn, b)
	if err != nil {
		return err
	}
	var insert, update, updateComments *sql.Stmt
	for _, st := range []struct {
		p *(*sql.Stmt)
		q string
	}{{&insert, s.q.insertTicket}, {&update, s.q.updateTicket}, {&updateComments, s.q.updateComments}} {
		if *st.p, err = conn.PrepareContext(ctx, st.q); err != nil {
			return err
		}
		defer (*st.p).Close()
	}
	args := make([]any, 23)
	for i := range b.tickets {
		t := &b.tickets[i]
		old, ok := stored[[2]string{t.C, t.I}]
		// The newest-wins rule of ticketNewer; both times are dbTime's
		// fixed-width text, which compares as the times do.
		replace := !ok || t.Ua > old.updated || (t.Ua == old.updated && (t.D || !old.deleted))
		var merged any = t.cm
		if ok {
			changed := false
			// A ticket delivered again with the same comments, as most
			// are, needs no merge.
			if !bytes.Equal(old.comments, t.cm) {
				cs, err := decodeComments(old.comments)
				if err != nil {
					return fmt.Errorf("ticket %q of connector %q: %w", t.I, t.C, err)
				}
				if cs, changed = mergeComments(cs, t.comments, replace); changed {
					merged = appendComments(nil, cs)
				}
			}
			if !changed {
				merged = old.comments
			}
			if !replace {
				if changed {
					if _, err := updateComments.ExecContext(ctx, t.C, t.I, merged); err != nil {
						return err
					}
				}
				continue
			}
		}
		args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9], args[10] = t.C, t.I, t.Pf, t.URL, t.Sub, t.Des, t.St, t.Rst, t.Pr, t.Rpr, t.Ch
		args[11], args[12], args[13], args[14], args[15], args[16] = t.Ri, t.Rn, t.Re, t.Ai, t.An, t.Ae
		args[17], args[18], args[19] = nil, nil, nil
		if t.G != nil {
			j, err := json.Marshal(t.G)
			if err != nil {
				return err
			}
			args[17] = string(j)
		}
		if t.F != nil {
			j, err := json.Marshal(t.F)
			if err != nil {
				return err
			}
			args[18] = string(j)
		}
		if t.Ca != nil {
			args[19] = *t.Ca
		}
		args[20], args[21], args[22] = t.Ua, t.D, merged
		st := insert
		if ok {
			st = update
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	if withCursor {
		if _, err := conn.ExecContext(ctx, s.q.setCursor, connectorID, cursor, dbTime(time.Now())); err != nil {
			return err
		}
	}
	return nil
}

// sqliteStored reads the stored copies of b's tickets, by key.
func (s *Store) sqliteStored(ctx context.Context, conn *sql.Conn, b batch) (map[[2]string]storedRow, error) {
	keys := make([][2]string, len(b.tickets))
	for i := range b.tickets {
		keys[i] = [2]string{b.tickets[i].C, b.tickets[i].I}
	}
	j, err := encodeJSON(keys)
	if err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, s.q.storedTickets, j)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	stored := make(map[[2]string]storedRow)
	for rows.Next() {
		var k [2]string
		var r storedRow
		if err := rows.Scan(&k[0], &k[1], &r.updated, &r.deleted, &r.comments); err != nil {
			return nil, err
		}
		stored[k] = r
	}
	return stored, rows.Err()
}

func encodeJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// inTx runs f in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// retry runs f again, a few times, when the database reports a deadlock or
// a serialization failure, which concurrent writers of the same tickets may
// meet on PostgreSQL; f must be safe to repeat.
func retry(ctx context.Context, f func() error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = f()
		if err == nil || !transient(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
		}
	}
	return err
}

// transient reports a PostgreSQL deadlock (40P01) or serialization failure
// (40001), through the SQLState method that pgx's and lib/pq's errors have.
func transient(err error) bool {
	var e interface{ SQLState() string }
	if errors.As(err, &e) {
		switch e.SQLState() {
		case "40P01", "40001":
			return true
		}
	}
	return false
}

// Ticket returns one stored ticket with all its comments, oldest first (by
// CreatedAt, then by ID, then by order of arrival), or an error matching
// ticketsync.ErrNotFound. The ticket and its comments are one row, read
// at once.
func (s *Store) Ticket(ctx context.Context, connectorID, id string) (ticketsync.Ticket, error) {
	if ticketsync.CheckID(connectorID) != nil || ticketsync.CheckID(id) != nil {
		// UpsertTickets refuses such ids, so none is stored.
		return ticketsync.Ticket{}, fmt.Errorf("sqlstore: ticket %q of connector %q: %w", id, connectorID, ticketsync.ErrNotFound)
	}
	defer s.reading()()
	var t ticketsync.Ticket
	err := s.retryBusy(ctx, func() (err error) {
		t, err = scanTicket(s.db.QueryRowContext(ctx, s.q.ticket, connectorID, id))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return ticketsync.Ticket{}, fmt.Errorf("sqlstore: ticket %q of connector %q: %w", id, connectorID, ticketsync.ErrNotFound)
	}
	if err != nil {
		return ticketsync.Ticket{}, fmt.Errorf("sqlstore: ticket %q of connector %q: %w", id, connectorID, err)
	}
	return t, nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanTicket(r scanner) (ticketsync.Ticket, error) {
	var t ticketsync.Ticket
	var status, priority string
	err := r.Scan(&t.ConnectorID, &t.ID, &t.Platform, &t.URL, &t.Subject, &t.Description,
		&status, &t.RawStatus, &priority, &t.RawPriority, &t.Channel,
		&t.Requester.ID, &t.Requester.Name, &t.Requester.Email,
		&t.Assignee.ID, &t.Assignee.Name, &t.Assignee.Email,
		jsonValue{&t.Tags}, jsonValue{&t.Fields}, timeValue{&t.CreatedAt}, timeValue{&t.UpdatedAt}, &t.Deleted,
		commentsValue{&t.Comments})
	t.Status, t.Priority = ticketsync.Status(status), ticketsync.Priority(priority)
	return t, err
}

// timeValue scans a time column: time.Time from PostgreSQL, text from
// SQLite, NULL as the zero time. Times come back in UTC.
type timeValue struct{ t *time.Time }

func (v timeValue) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		*v.t = time.Time{}
	case time.Time:
		*v.t = x.UTC()
	case string:
		return v.parse(x)
	case []byte:
		return v.parse(string(x))
	default:
		return fmt.Errorf("cannot scan %T into a time", src)
	}
	return nil
}

func (v timeValue) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("bad stored time %q: %w", s, err)
	}
	*v.t = t.UTC()
	return nil
}

// jsonValue scans a JSON column into dst, leaving it nil for NULL.
type jsonValue struct{ dst any }

func (v jsonValue) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		return nil
	case string:
		return json.Unmarshal([]byte(x), v.dst)
	case []byte:
		return json.Unmarshal(x, v.dst)
	}
	return fmt.Errorf("cannot scan %T as JSON", src)
}
