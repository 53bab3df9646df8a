package zendesk

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
)

// stepEvents reads one page of the ticket events export.
func (c *Connector) stepEvents(ctx context.Context, pos *position) ([]ticketsync.Ticket, bool, error) {
	size := pageSize(pos.ESize, eventPageSize)
	page, recent, err := c.exportEvents(ctx, pos.Events, size)
	switch {
	case recent:
		pos.EDone = true
		return nil, false, nil
	case err != nil && isServerTrouble(err) && shrink(&pos.ESize, &pos.EOK, eventPageSize):
		return nil, false, errShrunk{err}
	case err != nil:
		return nil, false, err
	}
	tickets, err := c.eventTickets(ctx, page)
	if err != nil {
		return nil, false, err
	}
	full := len(page.TicketEvents) >= size
	switch {
	case page.EndOfStream || !full && page.EndTime <= pos.Events:
		pos.Events = max(pos.Events, page.EndTime)
		pos.EDone = true
	case page.EndTime > pos.Events:
		// The next page starts at the last second of this one, which
		// is therefore read twice; comments merge by id.
		pos.Events = page.EndTime
	case size < eventPageSize && pos.Grown != pos.Events:
		// A full page within one second: ask for that second again,
		// in one page as large as allowed.
		pos.ESize, pos.EOK, pos.Grown = 0, 0, pos.Events
		return tickets, true, nil
	default:
		// More events in one second than one page holds: the export
		// answers the same page for that start_time again and again.
		// Step over the second and reload the comments of the tickets
		// changed in it through the comments API.
		c.addRepair(pos, pos.Events)
		pos.Events++
	}
	grow(&pos.ESize, &pos.EOK, eventPageSize)
	return tickets, true, nil
}

// addRepair schedules the comment repair of second sec.
func (c *Connector) addRepair(pos *position, sec int64) {
	if pos.Repair == nil {
		pos.Repair = &repair{From: sec, To: sec}
		return
	}
	pos.Repair.From, pos.Repair.To, pos.Repair.Cursor = min(pos.Repair.From, sec), max(pos.Repair.To, sec), ""
}

// stepRepair reads one page of the repair walk and reloads the comments of
// its tickets that existed during the overflowing seconds and changed
// since.
func (c *Connector) stepRepair(ctx context.Context, pos *position) ([]ticketsync.Ticket, bool, error) {
	r := pos.Repair
	page, recent, err := c.exportTickets(ctx, r.Cursor, r.From, c.cfg.PageSize, false)
	switch {
	case recent:
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	var out []ticketsync.Ticket
	for i := range page.Tickets {
		w := &page.Tickets[i]
		if w.Status == "deleted" || w.CreatedAt.Unix() > r.To || w.UpdatedAt.Unix() < r.From {
			continue
		}
		id := strconv.FormatInt(w.ID, 10)
		comments, err := c.listComments(ctx, id)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		out = append(out, ticketsync.Ticket{Platform: Platform, ID: id, URL: c.cfg.agentURL + id, Comments: comments})
	}
	if page.AfterCursor != "" {
		r.Cursor = page.AfterCursor
	}
	if page.EndOfStream {
		pos.Repair = nil
	}
	return out, true, nil
}

// exportEvents reads one page of the ticket events export with the
// comments.
func (c *Connector) exportEvents(ctx context.Context, start int64, size int) (page wireEvents, recent bool, err error) {
	q := url.Values{"start_time": {strconv.FormatInt(start, 10)}, "include": {"comment_events"},
		"per_page": {strconv.Itoa(size)}, "support_type_scope": {supportTypeScope}}
	_, err = c.client.GetJSON(ctx, eventExportPath, q, &page, httpx.WithLimiter(c.export))
	if isTooRecent(err) {
		return page, true, nil
	}
	return page, false, err
}

// eventTickets turns an events page into comments-only entries: the
// comments each audit added, and, for a ticket whose comments were made
// private or redacted, all its comments as the comments API holds them
// now, so that no redacted text stays in the Store.
func (c *Connector) eventTickets(ctx context.Context, events wireEvents) ([]ticketsync.Ticket, error) {
	var tickets []ticketsync.Ticket
	index := map[string]int{}
	entry := func(ticketID int64) *ticketsync.Ticket {
		id := strconv.FormatInt(ticketID, 10)
		i, ok := index[id]
		if !ok {
			i = len(tickets)
			index[id] = i
			tickets = append(tickets, ticketsync.Ticket{Platform: Platform, ID: id, URL: c.cfg.agentURL + id})
		}
		return &tickets[i]
	}
	reload := map[string]bool{}
	p := people{c: c}
	for ai := range events.TicketEvents {
		a := &events.TicketEvents[ai]
		if a.TicketID == 0 {
			continue
		}
		for ci := range a.ChildEvents {
			e := &a.ChildEvents[ci]
			switch {
			case e.isComment() && e.ID != 0:
				at := e.CreatedAt
				if at.IsZero() {
					at = a.CreatedAt
				}
				if at.IsZero() && a.Timestamp > 0 {
					at = time.Unix(a.Timestamp, 0)
				}
				t := entry(a.TicketID)
				cm := comment(e.ID, e.AuthorID, e.Body, e.Public, at, p)
				// A page may repeat the last second of the one before.
				if !slices.ContainsFunc(t.Comments, func(x ticketsync.Comment) bool { return x.ID == cm.ID }) {
					t.Comments = append(t.Comments, cm)
				}
			case e.changesComment():
				reload[entry(a.TicketID).ID] = true
			}
		}
	}
	for id := range reload {
		comments, err := c.listComments(ctx, id)
		if isNotFound(err) {
			continue // deleted since
		}
		if err != nil {
			return nil, err
		}
		tickets[index[id]].Comments = comments
	}
	kept := tickets[:0]
	for _, t := range tickets {
		if len(t.Comments) == 0 {
			continue
		}
		if len(t.Comments) > 1 {
			slices.SortStableFunc(t.Comments, func(a, b ticketsync.Comment) int { return a.CreatedAt.Compare(b.CreatedAt) })
		}
		kept = append(kept, t)
	}
	if err := c.resolveAuthors(ctx, kept); err != nil {
		return nil, err
	}
	return kept, nil
}
