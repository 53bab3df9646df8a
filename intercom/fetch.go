package intercom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/incremental"
)

// cursor is where a sync is: one search pass per kind of record, the
// conversations' first, each a changed-since Window.
type cursor struct {
	Phase string `json:"k"` // KindConversation or KindTicket: the search in progress
	Conv  stream `json:"c"`
	Tick  stream `json:"t"`
}

// stream is one search's Window, the server's clock (unix seconds) when
// its pass in progress began, how far its last finished pass read, and
// where the stream starts when not at Config.StartTime.
type stream struct {
	W     incremental.Window `json:"w"`
	Began int64              `json:"b,omitempty"`
	// Read (unix milliseconds) is how far the last finished pass read:
	// searchLag before it began. The search's results come in no order,
	// so a pass in progress has read no further than that.
	Read int64 `json:"r,omitempty"`
	// Since (unix milliseconds) is where a cursor made by StartCursor
	// starts the stream; zero means Config.StartTime.
	Since int64 `json:"s,omitempty"`
}

// policy is how Intercom's searches behave: updated_at in unix seconds,
// with the strict ">" (sent as one second before the Window's From), in no
// documented order, and perhaps a little late. A stream with a Since
// starts searchLag before it, for a change just before since that reached
// the index late, and its passes never go back further.
func (c *Connector) policy(st *stream) incremental.Policy {
	start := c.cfg.StartTime
	if st.Since > 0 {
		if from := time.UnixMilli(st.Since).Add(-searchLag).UTC(); start.IsZero() || from.After(start) {
			start = from
		}
	}
	return incremental.Policy{Start: start, Granularity: time.Second, Overlap: searchLag, PageSize: PageSize}
}

// searchLag is the overlap each pass searches again. Intercom does not
// document how late its search sees a change; a few seconds of overlap
// costs only the records changed in them, which the Window mostly skips.
const searchLag = 5 * time.Second

// observed is the change time a hit is remembered with. A record's
// updated_at has second granularity, and a record read in the second it
// changed may change again within that second without its updated_at
// moving. So a hit is remembered at the end of its second only when that
// second was over before the pass began (the pass reads it later);
// otherwise at the end of the second before the pass began, so that the
// next pass, seeing the same updated_at, takes it for newer and reads it
// again. This also keeps the pass's checkpoint before the pass began: a
// record changed while the pass pages may move to a page already read,
// and the next pass must still find it.
func observed(updated, began int64) time.Time {
	if began > 0 && updated >= began {
		updated = began - 1
	}
	return time.Unix(updated, 0).Add(time.Second - time.Millisecond)
}

// Fetch returns the conversations or tickets of one search page that
// changed at or after cursor, each read by id with its parts. See the
// package documentation for how the cursor moves.
func (c *Connector) Fetch(ctx context.Context, cursorText string) (ticketsync.Page, error) {
	cur, err := c.decodeCursor(cursorText)
	if err != nil {
		return ticketsync.Page{}, opError(fmt.Sprintf("fetch after cursor %q", clip(cursorText, 12)), err)
	}
	st, path := &cur.Conv, "conversations/search"
	if cur.Phase == KindTicket {
		st, path = &cur.Tick, "tickets/search"
	}
	p := c.policy(st)
	q := st.W.Query(p)
	op := "search " + cur.Phase + "s updated since " + q.From.Format(time.RFC3339)

	hits, next, now, err := c.search(ctx, cur.Phase, path, q)
	var api *ticketsync.APIError
	if q.Page != "" && errors.As(err, &api) && api.StatusCode == http.StatusBadRequest {
		// Intercom does not say how long a starting_after stays valid: a
		// refused one starts the pass's pages again from the first, with
		// the same checkpoint; the Window skips what it delivered.
		c.warn("intercom: the search refused its starting_after; paging again from the first page", err)
		q.Page = ""
		hits, next, _, err = c.search(ctx, cur.Phase, path, q)
	}
	if err != nil {
		return ticketsync.Page{}, opError(op, err)
	}
	if st.Began == 0 {
		st.Began = now
	}
	var refs []ref
	for _, h := range hits {
		if st.W.Observe(h.id, observed(h.updated, st.Began)) {
			refs = append(refs, ref{cur.Phase, h.id})
		}
	}
	tickets, err := c.load(ctx, refs)
	if err != nil {
		return ticketsync.Page{}, opError(op, err)
	}
	more, err := st.W.Next(p, next)
	if err != nil {
		return ticketsync.Page{}, opError(op, err)
	}
	if !more {
		// This search's pass is over: the other one's, or the run's.
		// It read every change the search could see when it began, up
		// to the index's lag before that.
		st.Read = max(st.Read, time.Unix(st.Began, 0).Add(-searchLag).UnixMilli())
		st.Began = 0
		more = cur.Phase == KindConversation
		if more {
			cur.Phase = KindTicket
		} else {
			cur.Phase = KindConversation
		}
	}
	return ticketsync.Page{Tickets: tickets, Cursor: c.codec.Encode(cur), More: more}, nil
}

// decodeCursor reads a cursor Fetch or StartCursor wrote; "" is the
// configured start. Anything else is an error matching
// ticketsync.ErrInvalidCursor.
func (c *Connector) decodeCursor(text string) (cursor, error) {
	cur := cursor{Phase: KindConversation}
	if err := c.codec.Decode(text, &cur); err != nil {
		return cursor{}, err
	}
	if cur.Phase != KindConversation && cur.Phase != KindTicket {
		return cursor{}, fmt.Errorf("%w: it names no search", ticketsync.ErrInvalidCursor)
	}
	return cur, nil
}

// hit is one search result: a record and its updated_at.
type hit struct {
	id      string
	updated int64
}

// search reads one page of a pass. It returns the hits, the next page's
// starting_after ("" on the last page) and the server's clock from the
// Date header (the connector's clock when there is none).
func (c *Connector) search(ctx context.Context, kind, path string, wq incremental.Query) ([]hit, string, int64, error) {
	q := searchQuery{
		Query: searchGroup{Operator: "AND", Value: []any{
			searchFilter{Field: "updated_at", Operator: ">", Value: max(wq.After().Unix(), 0)},
		}},
		Pagination: searchPagination{PerPage: PageSize, StartingAfter: wq.Page},
	}
	var hits []hit
	var next string
	decode := func(raw json.RawMessage) error {
		if kind == KindConversation {
			var res wireConversationList
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			for _, w := range res.Conversations {
				hits = append(hits, hit{string(w.ID), int64(w.UpdatedAt)})
			}
			if res.Pages.Next != nil {
				next = res.Pages.Next.StartingAfter
			}
			return nil
		}
		var res wireTicketList
		if err := json.Unmarshal(raw, &res); err != nil {
			return err
		}
		for _, w := range res.Tickets {
			hits = append(hits, hit{string(w.ID), int64(w.UpdatedAt)})
		}
		if res.Pages.Next != nil {
			next = res.Pages.Next.StartingAfter
		}
		return nil
	}
	var raw json.RawMessage
	h, err := c.client.PostJSON(ctx, path, q, &raw)
	if err != nil {
		return nil, "", 0, err
	}
	if err := decode(raw); err != nil {
		return nil, "", 0, fmt.Errorf("read the search answer: %w", err)
	}
	began := c.cfg.now().Unix()
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		began = d.Unix()
	}
	if len(hits) == 0 {
		next = ""
	}
	return hits, next, began, nil
}
