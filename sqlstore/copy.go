package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// On PostgreSQL through pgx (github.com/jackc/pgx/v5/stdlib), a batch is
// copied straight into the tickets table when none of its tickets is
// stored, and otherwise staged with COPY into a temporary table of the
// connection and merged into the Store's table with one statement: the
// same ON CONFLICT rules as upsertPage, without the cost of sending every
// value as an element of an array literal that the server parses again.
// Other drivers take the parameter path (writePostgres).
//
// COPY is binary: each value goes as the server stores it, and a ticket's
// comments go as an array of the Store's composite type {p}comment
// (commentArray), which pgx encodes once the type is registered with the
// connection (loadCommentType), so that the server parses no JSON.
//
// The staging table lives in the connection's temporary schema, so it is
// private to it, and is emptied at commit (ON COMMIT DELETE ROWS), so a
// failed call leaves nothing behind. A connection pooler in transaction
// mode (PgBouncer) keeps them working as long as it pins a connection for
// the whole transaction, which it does.

// pgxConn is the method of pgx's database/sql connection that gives its
// *pgx.Conn.
type pgxConn interface{ Conn() *pgx.Conn }

// errNoCopy reports a driver connection that is not pgx's.
var errNoCopy = errors.New("sqlstore: connection is not pgx's")

// Copy path states, in Store.copyPath.
const (
	copyUnknown int32 = iota
	copyOn
	copyOff
)

// stageTicketCols are the staging table's columns, in COPY order.
var stageTicketCols = []string{"c", "i", "pf", "url", "sub", "des", "st", "rst", "pr", "rpr", "ch",
	"ri", "rn", "re", "ai", "an", "ae", "g", "f", "ca", "ua", "d", "cm"}

// writeCopy writes b as writePostgres does, through COPY. It returns
// errNoCopy, having written nothing, when the connection is not pgx's.
func (s *Store) writeCopy(ctx context.Context, b batch, connectorID, cursor string, withCursor bool) error {
	if s.noCopy || s.copyPath.Load() == copyOff {
		return errNoCopy
	}
	tickets, err := newTicketSource(b.tickets)
	if err != nil {
		return err
	}
	return retry(ctx, func() error {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Raw(func(dc any) error {
			pc, ok := dc.(pgxConn)
			if !ok {
				s.copyPath.Store(copyOff)
				return errNoCopy
			}
			s.copyPath.Store(copyOn)
			if err := s.loadCommentType(ctx, pc.Conn()); err != nil {
				return err
			}
			err := s.copyBatch(ctx, pc.Conn(), tickets, connectorID, cursor, withCursor, mergeDirect)
			if uniqueViolation(err) {
				err = s.copyBatch(ctx, pc.Conn(), tickets, connectorID, cursor, withCursor, mergeStaged)
			}
			return err
		})
	})
}

// loadCommentType registers the Store's composite type {p}comment and its
// array type with c's type map, which COPY needs to send a ticket's
// comments in binary (commentArray): one query the first time c is used.
func (s *Store) loadCommentType(ctx context.Context, c *pgx.Conn) error {
	name := "_" + s.prefix + "comment"
	if _, ok := c.TypeMap().TypeForName(name); ok {
		return nil
	}
	types, err := c.LoadTypes(ctx, []string{s.prefix + "comment", name})
	if err != nil {
		return fmt.Errorf("load type %scomment: %w", s.prefix, err)
	}
	c.TypeMap().RegisterTypes(types)
	return nil
}

// How copyBatch merges a batch.
const (
	// mergeDirect copies a batch whose tickets are all new straight into
	// the Store's table, and takes mergeStaged otherwise.
	mergeDirect = iota
	// mergeStaged stages the batch and merges it with mergeStage.
	mergeStaged
)

// ticketCopyCols are the Store's columns, in COPY order (the staging
// table's order).
var ticketCopyCols = append(splitCols(ticketCols), "comments")

func splitCols(cols string) []string {
	out := strings.Split(cols, ",")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

// copyBatch writes one batch in one transaction of c, as mode says.
//
// mergeDirect first asks which of the batch's tickets are stored. When none
// is, the batch is copied into the Store's table as it is: no staging, no
// ON CONFLICT, only the cost of the rows and their indexes, which is what
// a first sync or an import pays. A ticket that another transaction stores
// meanwhile makes the COPY fail with a unique violation, and the caller
// then takes mergeStaged.
func (s *Store) copyBatch(ctx context.Context, c *pgx.Conn, tickets *ticketSource, connectorID, cursor string, withCursor bool, mode int) (err error) {
	tickets.reset()
	// Without arguments, pgx sends this as one simple query: one round trip.
	if _, err := c.Exec(ctx, s.q.stageBegin); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// Give the connection back idle; when even that fails, the
			// driver discards it (its open transaction marks it bad).
			c.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	now := time.Now().UTC().Truncate(time.Microsecond)
	if mode == mergeDirect && len(tickets.rows) > 0 {
		cs, is := make([]string, len(tickets.rows)), make([]string, len(tickets.rows))
		for i := range tickets.rows {
			cs[i], is[i] = tickets.rows[i].C, tickets.rows[i].I
		}
		var stored bool
		if err := c.QueryRow(ctx, s.q.anyStored, cs, is).Scan(&stored); err != nil {
			return err
		}
		if !stored {
			if _, err := c.CopyFrom(ctx, pgx.Identifier{s.prefix + "tickets"}, ticketCopyCols, tickets); err != nil {
				return err
			}
			if withCursor {
				if _, err := c.Exec(ctx, s.q.setCursor, connectorID, cursor, now); err != nil {
					return err
				}
			}
			_, err = c.Exec(ctx, "COMMIT")
			return err
		}
	}
	if len(tickets.rows) > 0 {
		if _, err := c.CopyFrom(ctx, pgx.Identifier{"pg_temp", s.prefix + "stage_tickets"}, stageTicketCols, tickets); err != nil {
			return err
		}
	}
	switch {
	case withCursor:
		_, err = c.Exec(ctx, s.q.mergeStageCursor, connectorID, cursor, now)
	case len(tickets.rows) > 0:
		_, err = c.Exec(ctx, s.q.mergeStage)
	}
	if err != nil {
		return err
	}
	_, err = c.Exec(ctx, "COMMIT")
	return err
}

// uniqueViolation reports PostgreSQL's unique_violation (23505).
func uniqueViolation(err error) bool {
	var e interface{ SQLState() string }
	return errors.As(err, &e) && e.SQLState() == "23505"
}

// ticketSource feeds a batch's tickets to CopyFrom.
type ticketSource struct {
	rows       []ticketRow
	tags, flds [][]byte // JSON, nil for NULL
	n          int
	vals       []any
}

func newTicketSource(rows []ticketRow) (*ticketSource, error) {
	src := &ticketSource{rows: rows, tags: make([][]byte, len(rows)), flds: make([][]byte, len(rows)), n: -1,
		vals: make([]any, len(stageTicketCols))}
	for i := range rows {
		var err error
		if rows[i].G != nil {
			if src.tags[i], err = json.Marshal(rows[i].G); err != nil {
				return nil, err
			}
		}
		if rows[i].F != nil {
			if src.flds[i], err = json.Marshal(rows[i].F); err != nil {
				return nil, err
			}
		}
	}
	return src, nil
}

func (s *ticketSource) reset() { s.n = -1 }

func (s *ticketSource) Next() bool { s.n++; return s.n < len(s.rows) }

func (s *ticketSource) Values() ([]any, error) {
	t := &s.rows[s.n]
	v := s.vals
	v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10] = t.C, t.I, t.Pf, t.URL, t.Sub, t.Des, t.St, t.Rst, t.Pr, t.Rpr, t.Ch
	v[11], v[12], v[13], v[14], v[15], v[16] = t.Ri, t.Rn, t.Re, t.Ai, t.An, t.Ae
	v[17], v[18] = jsonOrNil(s.tags[s.n]), jsonOrNil(s.flds[s.n])
	if t.created.IsZero() {
		v[19] = nil
	} else {
		v[19] = t.created
	}
	v[20], v[21], v[22] = t.updated, t.D, commentArray(t.comments)
	return v, nil
}

func (s *ticketSource) Err() error { return nil }

func jsonOrNil(j []byte) any {
	if j == nil {
		return nil
	}
	return json.RawMessage(j)
}
