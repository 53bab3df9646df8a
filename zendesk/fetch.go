package zendesk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
)

// Paths of the incremental exports, under /api/v2.
const (
	ticketExportPath = "incremental/tickets/cursor.json"
	eventExportPath  = "incremental/ticket_events.json"
)

// Phases of a sync pass.
const (
	phaseTickets  = "t" // paging the ticket export
	phaseComments = "c" // paging the ticket events export for comments
)

// position is what the opaque cursor holds: where both exports resume.
type position struct {
	V     int    `json:"v"`
	Phase string `json:"p"`
	// Tickets is the ticket export's after_cursor; empty before the first
	// page, when Start is used instead.
	Tickets string `json:"tc,omitempty"`
	Start   int64  `json:"st,omitempty"`
	// Events is the start_time of the next ticket events request.
	Events int64 `json:"ev"`
	// Origin is Config.StartTime when the first sync began (unix seconds;
	// 0 for everything). Comments older than it are not in the events
	// export's range, so a ticket created before it has its comments loaded
	// through the comments API.
	Origin int64 `json:"o,omitempty"`
}

const cursorVersion = 1

func (p position) encode() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor written by encode; "" is the configured start.
func (c *Connector) decodeCursor(cursor string) (position, error) {
	if cursor == "" {
		var start int64
		if !c.cfg.StartTime.IsZero() {
			start = c.cfg.StartTime.Unix()
		}
		return position{V: cursorVersion, Phase: phaseTickets, Start: start, Events: start, Origin: start}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	var p position
	if err == nil {
		err = json.Unmarshal(raw, &p)
	}
	if err != nil || p.V != cursorVersion || (p.Phase != phaseTickets && p.Phase != phaseComments) {
		return position{}, &Error{Op: opFetch(cursor), Err: fmt.Errorf("not a cursor of this connector: %w", ticketsync.ErrInvalidCursor),
			Hint: "clear the connector's saved cursor to sync again from Config.StartTime"}
	}
	return p, nil
}

// opFetch names a Fetch in errors, with the start of its cursor.
func opFetch(cursor string) string {
	if cursor == "" {
		return "fetch tickets from the start"
	}
	return fmt.Sprintf("fetch tickets after cursor %q", clip(cursor, 12))
}

// Fetch returns one page of changed tickets; see the package documentation
// for how the two incremental exports are combined and what a sync costs.
//
// In the tickets phase a call reads one page of the ticket export (one
// export request): up to Config.PageSize tickets with every field, their
// requesters and assignees from the users sideload, and no comments; a
// deleted ticket is a tombstone (Deleted, RawStatus "deleted"). When that
// page ends the stream, the same call goes on with the first page of the
// ticket events export and attaches the comments to the tickets of the
// page. In the comments phase a call reads one page of the ticket events
// export (one export request) and returns each ticket that got comments as
// an entry holding only its ID, URL and new comments, with a zero UpdatedAt
// so that the Store merges the comments and keeps every other stored field.
// More is false once both exports are caught up.
func (c *Connector) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	pos, err := c.decodeCursor(cursor)
	if err != nil {
		return ticketsync.Page{}, err
	}
	op := opFetch(cursor)
	var tickets []ticketsync.Ticket
	if pos.Phase == phaseTickets {
		page, recent, err := c.exportTickets(ctx, pos)
		switch {
		case recent:
			// The start is within the export's one-minute hold-back:
			// nothing to sync yet.
			return ticketsync.Page{Cursor: pos.encode()}, nil
		case err != nil:
			return ticketsync.Page{}, wrap(op, err, hintFor(err))
		}
		p := c.newPeople(page.Users)
		tickets = make([]ticketsync.Ticket, len(page.Tickets))
		for i := range page.Tickets {
			tickets[i] = c.ticket(&page.Tickets[i], p)
		}
		if err := c.loadOldComments(ctx, tickets, pos.Origin); err != nil {
			return ticketsync.Page{}, wrap(op, err, hintFor(err))
		}
		if page.AfterCursor != "" {
			pos.Tickets, pos.Start = page.AfterCursor, 0
		}
		if !page.EndOfStream {
			return ticketsync.Page{Tickets: tickets, Cursor: pos.encode(), More: true}, nil
		}
		pos.Phase = phaseComments
	}

	events, recent, err := c.exportEvents(ctx, pos.Events)
	switch {
	case recent:
		pos.Phase = phaseTickets
		return ticketsync.Page{Tickets: tickets, Cursor: pos.encode()}, nil
	case err != nil:
		return ticketsync.Page{}, wrap(op, err, hintFor(err))
	}
	tickets = c.attachComments(tickets, events)
	switch {
	case events.EndTime > pos.Events:
		pos.Events = events.EndTime
	case !events.EndOfStream:
		// A full page within one second: step over it rather than read
		// it forever.
		pos.Events++
	}
	more := !events.EndOfStream
	if !more {
		pos.Phase = phaseTickets
	}
	return ticketsync.Page{Tickets: tickets, Cursor: pos.encode(), More: more}, nil
}

// exportTickets reads one page of the ticket export. recent reports a start
// time within the hold-back, which Zendesk answers with 422.
func (c *Connector) exportTickets(ctx context.Context, pos position) (page wireExport, recent bool, err error) {
	q := url.Values{"include": {"users"}, "per_page": {strconv.Itoa(c.cfg.PageSize)}}
	if pos.Tickets != "" {
		q.Set("cursor", pos.Tickets)
	} else {
		q.Set("start_time", strconv.FormatInt(pos.Start, 10))
	}
	_, err = c.client.GetJSON(ctx, ticketExportPath, q, &page, httpx.WithLimiter(c.export))
	if pos.Tickets == "" && isTooRecent(err) {
		return page, true, nil
	}
	return page, false, err
}

// exportEvents reads one page of the ticket events export with the
// comments.
func (c *Connector) exportEvents(ctx context.Context, start int64) (page wireEvents, recent bool, err error) {
	q := url.Values{"start_time": {strconv.FormatInt(start, 10)}, "include": {"comment_events"}}
	_, err = c.client.GetJSON(ctx, eventExportPath, q, &page, httpx.WithLimiter(c.export))
	if isTooRecent(err) {
		return page, true, nil
	}
	return page, false, err
}

// isTooRecent reports Zendesk's 422 for a start_time within the last minute.
func isTooRecent(err error) bool {
	var api *ticketsync.APIError
	return errors.As(err, &api) && api.StatusCode == http.StatusUnprocessableEntity
}

// attachComments adds the comments of an events page to the tickets of the
// same call, and returns comments-only entries for the other tickets.
func (c *Connector) attachComments(tickets []ticketsync.Ticket, events wireEvents) []ticketsync.Ticket {
	index := make(map[string]int, len(tickets))
	for i := range tickets {
		index[tickets[i].ID] = i
	}
	p := people{c: c}
	for ai := range events.TicketEvents {
		a := &events.TicketEvents[ai]
		for ci := range a.ChildEvents {
			e := &a.ChildEvents[ci]
			if !e.isComment() || e.ID == 0 || a.TicketID == 0 {
				continue
			}
			at := e.CreatedAt
			if at.IsZero() {
				at = a.CreatedAt
			}
			if at.IsZero() && a.Timestamp > 0 {
				at = time.Unix(a.Timestamp, 0)
			}
			id := strconv.FormatInt(a.TicketID, 10)
			i, ok := index[id]
			if !ok {
				i = len(tickets)
				index[id] = i
				tickets = append(tickets, ticketsync.Ticket{Platform: Platform, ID: id, URL: c.cfg.agentURL + id})
			}
			cm := comment(e.ID, e.AuthorID, e.Body, e.PlainBody, e.Public, at, p)
			// A time-based page repeats the last second of the one before.
			if !slices.ContainsFunc(tickets[i].Comments, func(x ticketsync.Comment) bool { return x.ID == cm.ID }) {
				tickets[i].Comments = append(tickets[i].Comments, cm)
			}
		}
	}
	for i := range tickets {
		if len(tickets[i].Comments) > 1 {
			slices.SortStableFunc(tickets[i].Comments, func(a, b ticketsync.Comment) int {
				return a.CreatedAt.Compare(b.CreatedAt)
			})
		}
	}
	return tickets
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
