package zendesk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
	"github.com/ticketsync/ticketsync/internal/incremental"
)

// Paths of the incremental exports, under /api/v2.
const (
	ticketExportPath = "incremental/tickets/cursor.json"
	eventExportPath  = "incremental/ticket_events.json"
)

// supportTypeScope asks the exports for every ticket: Zendesk's default,
// "agent", leaves out the tickets and events handled by AI agents.
const supportTypeScope = "all"

// eventPageSize is the number of ticket updates asked for per page of the
// ticket events export: the API's default and largest. Config.PageSize,
// which counts tickets, does not apply: an update is much smaller.
const eventPageSize = 1000

// minPageSize is the smallest page a shrinking export asks for.
const minPageSize = 10

// growAfter is how many good pages a shrunk export reads before it asks for
// twice as many items again.
const growAfter = 3

// recheckAfter is how long after its last read a ticket export that has
// caught up is read again while the ticket events export is still behind,
// so that new ticket changes are not held up by a long comment backfill:
// the export's own hold-back, since a sooner read finds nothing new.
const recheckAfter = time.Minute

// position is what the opaque cursor holds: where each export resumes,
// independently of the other.
type position struct {
	V int `json:"v"`
	// Tickets is the ticket export's after_cursor; empty before its first
	// page, when Start is used instead.
	Tickets string `json:"tc,omitempty"`
	Start   int64  `json:"st,omitempty"`
	// TSize is the ticket export's shrunk page size; 0 means
	// Config.PageSize. TOK counts good pages since it shrank.
	TSize int `json:"ts,omitempty"`
	TOK   int `json:"to,omitempty"`
	// TDone: the ticket export reached end_of_stream in this pass, at
	// TAt (unix seconds of the connector's clock).
	TDone bool  `json:"td,omitempty"`
	TAt   int64 `json:"ta,omitempty"`
	// Events is the start_time of the next ticket events request.
	Events int64 `json:"ev"`
	ESize  int   `json:"es,omitempty"`
	EOK    int   `json:"eo,omitempty"`
	EDone  bool  `json:"ed,omitempty"`
	// Grown is the second for which the events page was last grown to
	// its largest size because a smaller page held only that second.
	Grown int64 `json:"eg,omitempty"`
	// Turn counts the calls of this pass, to take the exports in turn.
	Turn int `json:"n,omitempty"`
	// Origin is Config.StartTime when the first sync began (unix seconds;
	// 0 for everything). Comments older than it are not in the events
	// export's range, so a ticket created before it has its comments loaded
	// through the comments API.
	Origin int64 `json:"o,omitempty"`
	// Repair, when set, is a walk of the ticket export that reloads,
	// through the comments API, the comments of the tickets changed in
	// seconds the events export could not page through.
	Repair *repair `json:"r,omitempty"`
}

// repair is the state of a comment repair walk: tickets created by To and
// changed since From have their comments reloaded.
type repair struct {
	From   int64  `json:"f"`
	To     int64  `json:"t"`
	Cursor string `json:"c,omitempty"` // the walk's after_cursor; "" starts at From
}

// cursorVersion is the layout of position in the cursor.
const cursorVersion = 2

// codec writes position into the opaque cursor: versioned, checksummed,
// tied to the account, so that a damaged cursor or another connector's is
// an error matching ticketsync.ErrInvalidCursor, never a silent restart.
func (c *Connector) codec() incremental.Codec {
	return incremental.Codec{Connector: Platform, Version: cursorVersion, Fingerprint: c.cfg.apiBase}
}

func (c *Connector) encode(p position) string { return c.codec().Encode(p) }

// hintCursor is what to do about a cursor the connector cannot read.
const hintCursor = "clear the connector's saved cursor (Store.SetCursor with an empty cursor) to sync again from Config.StartTime"

// decodeCursor reads a cursor written by encode, or by the connector's
// first version (base64 JSON with "v":1), whose positions carry over; ""
// is the configured start.
func (c *Connector) decodeCursor(cursor string) (position, error) {
	var start int64
	if !c.cfg.StartTime.IsZero() {
		start = c.cfg.StartTime.Unix()
	}
	p := position{V: cursorVersion, Start: start, Events: start, Origin: start}
	if err := c.codec().Decode(cursor, &p); err != nil {
		if legacy, ok := decodeV1(cursor); ok {
			return legacy, nil
		}
		return position{}, &opError{op: opFetch(cursor), err: err, hint: hintCursor}
	}
	if p.V != cursorVersion || p.TSize < 0 || p.ESize < 0 {
		return position{}, &opError{op: opFetch(cursor), hint: hintCursor,
			err: fmt.Errorf("%w: its state is not this connector's", ticketsync.ErrInvalidCursor)}
	}
	return p, nil
}

// decodeV1 reads a cursor of the connector's first version: base64 of a
// JSON object with "v":1 and a phase "t" or "c", holding the same
// positions.
func decodeV1(cursor string) (position, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return position{}, false
	}
	var v1 struct {
		position
		Phase string `json:"p"`
	}
	if json.Unmarshal(raw, &v1) != nil || v1.V != 1 || v1.Phase != "t" && v1.Phase != "c" {
		return position{}, false
	}
	return position{V: cursorVersion, Tickets: v1.Tickets, Start: v1.Start, Events: v1.Events, Origin: v1.Origin}, true
}

// opFetch names a Fetch in errors, with the start of its cursor.
func opFetch(cursor string) string {
	if cursor == "" {
		return "fetch tickets from the start"
	}
	return fmt.Sprintf("fetch tickets after cursor %q", clip(cursor, 12))
}

// step is one request a Fetch may make.
type step byte

const (
	stepTickets step = 't'
	stepEvents  step = 'e'
	stepRepair  step = 'r'
)

// errShrunk reports a step that failed on a timeout or a server error and
// asked for a smaller page next time.
type errShrunk struct{ err error }

func (e errShrunk) Error() string { return e.err.Error() }
func (e errShrunk) Unwrap() error { return e.err }

// Fetch returns one page of changed tickets; see the package documentation
// for how the two incremental exports are combined and what a sync costs.
//
// A call reads one page of one export (one export request), taking the
// ticket export and the ticket events export in turn, so that each
// progresses on its own: a page of the ticket export gives up to
// Config.PageSize tickets with every field, their requesters and assignees
// from the users sideload, and no comments (a deleted ticket is a
// tombstone: Deleted, RawStatus "deleted"); a page of the ticket events
// export gives each ticket that got comments (or whose comments were made
// private or redacted) as an entry holding only its ID, URL and comments,
// with a zero UpdatedAt so that the Store merges the comments and keeps
// every other stored field. When an export answers a timeout or a server
// error after the HTTP stack's retries, the call asks it for pages half as
// large from then on and reads the other export instead; it returns an
// error only when neither export can be read. More is false once both
// exports are caught up.
func (c *Connector) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	pos, err := c.decodeCursor(cursor)
	if err != nil {
		return ticketsync.Page{}, err
	}
	op := opFetch(cursor)
	var (
		tickets []ticketsync.Ticket
		done    bool
		shrunk  bool
		errs    []error
	)
	for _, s := range c.order(pos) {
		var got []ticketsync.Ticket
		var progressed bool
		switch s {
		case stepTickets:
			got, progressed, err = c.stepTickets(ctx, &pos)
		case stepEvents:
			got, progressed, err = c.stepEvents(ctx, &pos)
		case stepRepair:
			got, progressed, err = c.stepRepair(ctx, &pos)
		}
		var sh errShrunk
		switch {
		case err == nil && !progressed:
			continue // nothing to read there yet: try the next
		case err == nil:
			tickets, done = got, true
		case ctx.Err() != nil:
			return ticketsync.Page{}, wrap(op, err, hintFor(err))
		case errors.As(err, &sh):
			shrunk = true
			errs = append(errs, sh.err)
			c.debug(ctx, "zendesk: export page failed; asking for smaller pages",
				slog.String("export", string(s)), slog.String("error", causeText(sh.err)))
			continue
		case isServerTrouble(err):
			// At the smallest page already: read the other export.
			errs = append(errs, err)
			continue
		default:
			return ticketsync.Page{}, wrap(op, err, hintFor(err))
		}
		if done {
			break
		}
	}
	if !done && len(errs) > 0 && !shrunk {
		return ticketsync.Page{}, wrap(op, errors.Join(errs...), hintFor(errs[0]))
	}
	if done && pos.TDone && !pos.EDone && len(tickets) > 0 && !isComments(tickets) {
		// The ticket export has caught up: read the comments of the same
		// moment now, so that a small change arrives whole. A failure
		// here holds nothing up: the events export is read again next.
		more, progressed, err := c.stepEvents(ctx, &pos)
		switch {
		case err == nil && progressed:
			tickets = attach(tickets, more)
		case err != nil && ctx.Err() == nil:
			c.debug(ctx, "zendesk: ticket events export failed; reading it again on the next call",
				slog.String("error", causeText(err)))
		}
	}
	pos.Turn++
	// More while something is left and this call moved (a page read, or
	// a page size shrunk to try again); a call that could read nothing
	// new (a start within the hold-back) ends the run.
	more := (!pos.TDone || !pos.EDone || pos.Repair != nil) && (done || shrunk)
	if !more {
		// Caught up: the next pass starts with both exports again.
		pos.TDone, pos.EDone, pos.Turn = false, false, 0
	}
	return ticketsync.Page{Tickets: tickets, Cursor: c.encode(pos), More: more}, nil
}

// isComments reports a page of comments-only entries.
func isComments(tickets []ticketsync.Ticket) bool {
	return tickets[0].UpdatedAt.IsZero() && tickets[0].Subject == "" && tickets[0].Status == ""
}

// attach merges comments-only entries into the tickets of the same call
// and appends those of other tickets.
func attach(tickets, entries []ticketsync.Ticket) []ticketsync.Ticket {
	index := make(map[string]int, len(tickets))
	for i := range tickets {
		index[tickets[i].ID] = i
	}
	for _, e := range entries {
		i, ok := index[e.ID]
		if !ok {
			tickets = append(tickets, e)
			continue
		}
		t := &tickets[i]
		for _, cm := range e.Comments {
			if j := slices.IndexFunc(t.Comments, func(x ticketsync.Comment) bool { return x.ID == cm.ID }); j >= 0 {
				t.Comments[j] = cm
			} else {
				t.Comments = append(t.Comments, cm)
			}
		}
		slices.SortStableFunc(t.Comments, func(a, b ticketsync.Comment) int { return a.CreatedAt.Compare(b.CreatedAt) })
	}
	return tickets
}

// order returns the steps a call tries, the preferred first.
func (c *Connector) order(pos position) []step {
	var first, rest []step
	switch {
	case pos.Repair != nil && pos.Turn%3 == 2:
		first = []step{stepRepair}
	case !pos.TDone && !pos.EDone:
		if pos.Turn%2 == 0 {
			first = []step{stepTickets, stepEvents}
		} else {
			first = []step{stepEvents, stepTickets}
		}
	case !pos.EDone:
		first = []step{stepEvents}
		if pos.TDone && c.now().Unix()-pos.TAt >= int64(recheckAfter/time.Second) {
			// A long comment backfill: look for new ticket changes now
			// and then.
			first = []step{stepTickets, stepEvents}
		}
	case !pos.TDone:
		first = []step{stepTickets}
	}
	for _, s := range []step{stepTickets, stepEvents, stepRepair} {
		if slices.Contains(first, s) {
			continue
		}
		switch {
		case s == stepTickets && !pos.TDone, s == stepEvents && !pos.EDone, s == stepRepair && pos.Repair != nil:
			rest = append(rest, s)
		}
	}
	return append(first, rest...)
}

// isServerTrouble reports the errors a smaller page may cure: a timeout,
// or a 5xx after the HTTP stack's retries.
func isServerTrouble(err error) bool {
	var api *ticketsync.APIError
	if errors.As(err, &api) {
		return api.StatusCode >= 500
	}
	var re *httpx.RequestError
	return errors.As(err, &re) && re.Timeout()
}

// shrink halves a page size after server trouble; ok is false when it is
// at the smallest already.
func shrink(size *int, ok *int, configured int) bool {
	cur := *size
	if cur == 0 {
		cur = configured
	}
	if cur <= minPageSize {
		return false
	}
	*size, *ok = max(cur/2, minPageSize), 0
	return true
}

// grow counts a good page and doubles a shrunk page size after growAfter
// of them.
func grow(size *int, ok *int, configured int) {
	if *size == 0 {
		return
	}
	if *ok++; *ok >= growAfter {
		*size, *ok = *size*2, 0
		if *size >= configured {
			*size = 0
		}
	}
}

func pageSize(size, configured int) int {
	if size == 0 {
		return configured
	}
	return size
}

// stepTickets reads one page of the ticket export. progressed is false
// when the start is within the export's one-minute hold-back.
func (c *Connector) stepTickets(ctx context.Context, pos *position) ([]ticketsync.Ticket, bool, error) {
	page, recent, err := c.exportTickets(ctx, pos.Tickets, pos.Start, pageSize(pos.TSize, c.cfg.PageSize), true)
	switch {
	case recent:
		pos.TDone, pos.TAt = true, c.now().Unix()
		return nil, false, nil
	case err != nil && isServerTrouble(err) && shrink(&pos.TSize, &pos.TOK, c.cfg.PageSize):
		return nil, false, errShrunk{err}
	case err != nil:
		return nil, false, err
	}
	p := c.newPeople(page.Users)
	tickets := make([]ticketsync.Ticket, len(page.Tickets))
	for i := range page.Tickets {
		tickets[i] = c.ticket(&page.Tickets[i], p)
	}
	if err := c.loadOldComments(ctx, tickets, pos.Origin); err != nil {
		return nil, false, err
	}
	if err := c.resolveAuthors(ctx, tickets); err != nil {
		return nil, false, err
	}
	if page.AfterCursor != "" {
		pos.Tickets, pos.Start = page.AfterCursor, 0
	}
	pos.TDone, pos.TAt = page.EndOfStream, c.now().Unix()
	grow(&pos.TSize, &pos.TOK, c.cfg.PageSize)
	return tickets, true, nil
}

// exportTickets reads one page of the ticket export, from cursor or, when
// it is empty, from start. recent reports a start time within the
// hold-back, which Zendesk answers with 422.
func (c *Connector) exportTickets(ctx context.Context, cursor string, start int64, size int, users bool) (page wireExport, recent bool, err error) {
	q := url.Values{"per_page": {strconv.Itoa(size)}, "support_type_scope": {supportTypeScope}}
	if users {
		q.Set("include", "users")
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	} else {
		q.Set("start_time", strconv.FormatInt(start, 10))
	}
	_, err = c.client.GetJSON(ctx, ticketExportPath, q, &page, httpx.WithLimiter(c.export))
	if cursor == "" && isTooRecent(err) {
		return page, true, nil
	}
	return page, false, err
}

// isTooRecent reports Zendesk's answers to a start_time within the last
// minute: 422 InvalidValue, or 400 StartTimeTooRecent.
func isTooRecent(err error) bool {
	var api *ticketsync.APIError
	if !errors.As(err, &api) {
		return false
	}
	return api.StatusCode == http.StatusUnprocessableEntity ||
		api.StatusCode == http.StatusBadRequest && api.Code == "StartTimeTooRecent"
}

// loadOldComments loads, through the comments API, all comments of the
// tickets created before origin: the events export, which starts there,
// does not hold them. It does nothing when origin is 0 (a sync of
// everything).
func (c *Connector) loadOldComments(ctx context.Context, tickets []ticketsync.Ticket, origin int64) error {
	if origin <= 0 {
		return nil
	}
	for i := range tickets {
		t := &tickets[i]
		if t.Deleted || t.CreatedAt.Unix() >= origin {
			continue
		}
		comments, err := c.listComments(ctx, t.ID)
		if errors.Is(err, ticketsync.ErrNotFound) {
			continue // deleted since the page was read
		}
		if err != nil {
			return err
		}
		t.Comments = comments
	}
	return nil
}
