package intercom

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/ticketsync/ticketsync"
)

// cursorVersion is written in every cursor; a cursor of another version is
// refused.
const cursorVersion = 1

// maxSeen bounds the ids a cursor remembers at its boundary; past it the
// boundary's records are read again, which costs requests but loses
// nothing.
const maxSeen = 5000

// cursor is where a sync is: one search pass per kind of record, the
// conversations' first.
type cursor struct {
	V     int     `json:"v"`
	Phase string  `json:"k"` // KindConversation or KindTicket: the search in progress
	Conv  *stream `json:"c"`
	Tick  *stream `json:"t"`
}

// stream is the position of one search: the checkpoint its passes search
// from, and the pass in progress.
type stream struct {
	// Since is the checkpoint: a pass searches updated_at >= Since (sent as
	// "> Since-1", the operator being strict at second granularity).
	Since int64 `json:"s"`
	// Seen holds the records at or after Since that an earlier pass
	// delivered and read after their last change: id to updated_at. A
	// search hit with the same updated_at is not read again.
	Seen map[string]int64 `json:"d,omitempty"`

	// The pass in progress: the next page's starting_after, the server's
	// time when the pass began (unix seconds), the newest updated_at
	// delivered, and the records delivered at or after the running
	// boundary.
	After   string           `json:"a,omitempty"`
	Began   int64            `json:"b,omitempty"`
	Max     int64            `json:"m,omitempty"`
	Pending map[string]int64 `json:"p,omitempty"`
}

func (c *Connector) encodeCursor(cur cursor) (string, error) {
	b, err := json.Marshal(cur)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// errCursor says that a cursor was not written by this connector.
var errCursor = fmt.Errorf("%w: it was not written by the intercom connector, or it was damaged; reset it to sync from Config.StartTime", ticketsync.ErrInvalidCursor)

func decodeCursor(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, errCursor
	}
	var cur cursor
	if err := json.Unmarshal(b, &cur); err != nil || cur.V != cursorVersion || cur.Conv == nil || cur.Tick == nil ||
		(cur.Phase != KindConversation && cur.Phase != KindTicket) || cur.Conv.Since < 0 || cur.Tick.Since < 0 {
		return cursor{}, errCursor
	}
	return cur, nil
}

// Fetch returns the conversations or tickets of one search page that
// changed at or after cursor, each read by id with its parts. See the
// package documentation for how the cursor moves.
func (c *Connector) Fetch(ctx context.Context, cursorText string) (ticketsync.Page, error) {
	var cur cursor
	if cursorText == "" {
		start := int64(0)
		if !c.cfg.StartTime.IsZero() {
			start = c.cfg.StartTime.Unix()
		}
		cur = cursor{V: cursorVersion, Phase: KindConversation, Conv: &stream{Since: start}, Tick: &stream{Since: start}}
	} else {
		var err error
		if cur, err = decodeCursor(cursorText); err != nil {
			return ticketsync.Page{}, opError(fmt.Sprintf("fetch after cursor %q", clip(cursorText, 12)), err)
		}
	}
	st := cur.Conv
	path := "conversations/search"
	if cur.Phase == KindTicket {
		st, path = cur.Tick, "tickets/search"
	}
	op := "search " + cur.Phase + "s updated since " + time.Unix(st.Since, 0).UTC().Format(time.RFC3339)

	hits, next, began, err := c.search(ctx, cur.Phase, path, st)
	if err != nil {
		return ticketsync.Page{}, opError(op, err)
	}
	if st.After == "" {
		st.Began = began
	}
	var refs []ref
	searched := map[string]int64{}
	for _, h := range hits {
		if u, ok := st.Seen[h.id]; ok && u == h.updated {
			continue // delivered by an earlier pass after its last change
		}
		refs = append(refs, ref{cur.Phase, h.id})
		searched[h.id] = h.updated
	}
	tickets, err := c.load(ctx, refs)
	if err != nil {
		return ticketsync.Page{}, opError(op, err)
	}
	for _, t := range tickets {
		_, id, _ := ParseTicketID(t.ID)
		u := max(searched[id], t.UpdatedAt.Unix())
		st.Max = max(st.Max, u)
		if st.Pending == nil {
			st.Pending = map[string]int64{}
		}
		st.Pending[id] = u
	}
	st.prune(c.lag())

	if next != "" {
		st.After = next
		out, err := c.encodeCursor(cur)
		return ticketsync.Page{Tickets: tickets, Cursor: out, More: true}, err
	}
	st.finish(c.lag())
	more := cur.Phase == KindConversation
	if more {
		cur.Phase = KindTicket
	} else {
		cur.Phase = KindConversation
	}
	out, err := c.encodeCursor(cur)
	return ticketsync.Page{Tickets: tickets, Cursor: out, More: more}, err
}

// lag is how far before its boundary a pass searches again, for changes
// that reach Intercom's search index late.
func (c *Connector) lag() int64 { return int64(searchLag / time.Second) }

// searchLag is the overlap each pass searches again. Intercom does not
// document how late its search sees a change; a few seconds of overlap
// costs only the records changed in them, which Seen mostly skips.
const searchLag = 5 * time.Second

// boundary is the checkpoint the pass would leave if it ended now: the
// newest change delivered, but never later than the second before the pass
// began (a record changed again in a second the pass saw may have been
// read before that change), less the lag.
func (st *stream) boundary(lag int64) int64 {
	b := st.Max
	if st.Began > 0 {
		b = min(b, st.Began-1)
	}
	return max(st.Since, b-lag)
}

// prune drops the delivered records too old to matter at any boundary the
// pass can still reach.
func (st *stream) prune(lag int64) {
	b := st.boundary(lag)
	for id, u := range st.Pending {
		if u < b {
			delete(st.Pending, id)
		}
	}
	if len(st.Pending) > maxSeen {
		st.Pending = nil
	}
}

// finish ends a pass: the checkpoint moves to the boundary, and Seen keeps
// the delivered records at or after it that were read after their last
// change (changed before the second the pass began).
func (st *stream) finish(lag int64) {
	if st.Max == 0 {
		st.After, st.Began, st.Pending = "", 0, nil
		return
	}
	b := st.boundary(lag)
	seen := map[string]int64{}
	for id, u := range st.Seen {
		if u >= b && (st.Began == 0 || u < st.Began) {
			seen[id] = u
		}
	}
	for id, u := range st.Pending {
		if u >= b && (st.Began == 0 || u < st.Began) {
			seen[id] = u
		}
	}
	if len(seen) == 0 || len(seen) > maxSeen {
		seen = nil
	}
	*st = stream{Since: b, Seen: seen}
}

// hit is one search result: a record and its updated_at.
type hit struct {
	id      string
	updated int64
}

// search reads one page of a pass. It returns the hits, the next page's
// starting_after ("" on the last page) and the server's clock from the
// Date header (the connector's clock when there is none).
func (c *Connector) search(ctx context.Context, kind, path string, st *stream) ([]hit, string, int64, error) {
	q := searchQuery{
		Query: searchGroup{Operator: "AND", Value: []any{
			searchFilter{Field: "updated_at", Operator: ">", Value: max(st.Since-1, 0)},
		}},
		Pagination: searchPagination{PerPage: PageSize, StartingAfter: st.After},
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
	began := c.cfg.Now().Unix()
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		began = d.Unix()
	}
	if len(hits) == 0 {
		next = ""
	}
	return hits, next, began, nil
}
