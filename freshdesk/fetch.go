package freshdesk

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
	"strings"
	"sync"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
)

// maxPage is the last page of one ticket list query that Freshdesk serves;
// page 301 is refused with 400.
const maxPage = 300

// The listings a sync pass reads, in order.
const (
	listTickets = iota // the default listing: live tickets
	listDeleted        // filter=deleted: tickets in the trash
	listSpam           // filter=spam
	listCount
)

var listFilters = [listCount]string{"", "deleted", "spam"}

// query is where one listing is: the updated_since of its current query,
// the next page, the latest updated_at delivered, and the tickets
// delivered at or after the overlap start, so that a restarted query does
// not deliver them again.
type query struct {
	Since int64      `json:"s"`
	Page  int        `json:"p,omitempty"`
	Last  int64      `json:"l,omitempty"`
	Seen  [][2]int64 `json:"d,omitempty"` // {id, updated_at}
}

// position is what the opaque cursor holds.
type position struct {
	V       int              `json:"v"`
	Phase   int              `json:"ph"`
	Queries [listCount]query `json:"q"`
}

const cursorVersion = 1

// maxSeen bounds query.Seen; past it, a restart may deliver a few tickets
// twice, which the Store absorbs.
const maxSeen = 2000

func (p position) encode() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c *Connector) decodeCursor(cursor string) (position, error) {
	if cursor == "" {
		var start int64
		if !c.cfg.StartTime.IsZero() {
			start = c.cfg.StartTime.Unix()
		}
		p := position{V: cursorVersion}
		for i := range p.Queries {
			p.Queries[i] = query{Since: start, Page: 1}
		}
		return p, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	var p position
	if err == nil {
		err = json.Unmarshal(raw, &p)
	}
	if err != nil || p.V != cursorVersion || p.Phase < 0 || p.Phase >= listCount {
		return position{}, &Error{Op: opFetch(cursor), Err: ticketsync.ErrInvalidCursor,
			Detail: "not a cursor of this connector", Hint: hintCursor}
	}
	for i := range p.Queries {
		if p.Queries[i].Page < 1 || p.Queries[i].Page > maxPage {
			return position{}, &Error{Op: opFetch(cursor), Err: ticketsync.ErrInvalidCursor,
				Detail: "the cursor's page is out of range", Hint: hintCursor}
		}
	}
	return p, nil
}

func opFetch(cursor string) string {
	if cursor == "" {
		return "fetch tickets from the start"
	}
	return fmt.Sprintf("fetch tickets after cursor %q", clip(cursor, 12))
}

// overlap is how far before the latest updated_at delivered a restarted
// query starts: Freshdesk does not document whether updated_since is
// inclusive, and updated_at has whole seconds.
const overlap = time.Second

// Fetch returns one page of changed tickets: one ticket list request
// (GET /api/v2/tickets with updated_since, order_by=updated_at,
// order_type=asc, per_page and include=requester,description) and, for each
// ticket on it, its conversations (GET /api/v2/tickets/{id}/conversations,
// 100 a page), a few at a time. A sync pass reads the default listing, then
// the trash (filter=deleted) and spam (filter=spam), whose tickets are
// delivered as tombstones without conversations. More is false once the
// three are caught up.
//
// Each listing is one query that the connector follows page by page
// (Link: rel="next") and restarts from the latest updated_at it delivered,
// less a second, before Freshdesk's 300-page cap; tickets delivered in that
// last second are remembered in the cursor and not delivered again unless
// they changed.
func (c *Connector) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	pos, err := c.decodeCursor(cursor)
	if err != nil {
		return ticketsync.Page{}, err
	}
	op := opFetch(cursor)
	tf, err := c.ticketFields(ctx, false)
	if err != nil {
		return ticketsync.Page{}, c.classify(op, err)
	}
	phase := pos.Phase
	q := &pos.Queries[phase]
	page, next, err := c.listPage(ctx, phase, q)
	if isPageCap(err) {
		// Freshdesk lowered its cap, or the cursor came from a longer
		// query: restart from what was delivered.
		c.restart(phase, q)
		return ticketsync.Page{Cursor: pos.encode(), More: true}, nil
	}
	if err != nil {
		return ticketsync.Page{}, c.classify(op, err)
	}
	if needsRefresh(page, tf) {
		if tf, err = c.ticketFields(ctx, true); err != nil {
			return ticketsync.Page{}, c.classify(op, err)
		}
	}
	seen := make(map[[2]int64]bool, len(q.Seen))
	for _, s := range q.Seen {
		seen[s] = true
	}
	var tickets []ticketsync.Ticket
	for i := range page {
		w := &page[i]
		at := w.UpdatedAt.Unix()
		q.note(w.ID, at)
		if seen[[2]int64{w.ID, at}] {
			continue
		}
		tickets = append(tickets, c.ticket(w, tf))
	}
	if phase == listTickets {
		if err := c.fillConversations(ctx, tickets); err != nil {
			return ticketsync.Page{}, c.classify(op, err)
		}
	}
	switch {
	case next && q.Page < maxPage:
		q.Page++
	case next:
		c.restart(phase, q)
	default:
		// This listing is caught up: the next pass starts where it ended.
		c.restart(phase, q)
		pos.Phase = (phase + 1) % listCount
	}
	return ticketsync.Page{Tickets: tickets, Cursor: pos.encode(), More: phase != listSpam || next}, nil
}

// note records a ticket delivered (or skipped as delivered before) at
// updated_at at, keeping only those within the overlap of the latest.
func (q *query) note(id, at int64) {
	if at > q.Last {
		q.Last = at
		cut := q.Last - int64(overlap/time.Second)
		q.Seen = slices.DeleteFunc(q.Seen, func(s [2]int64) bool { return s[1] < cut })
	}
	if at >= q.Last-int64(overlap/time.Second) && len(q.Seen) < maxSeen &&
		!slices.Contains(q.Seen, [2]int64{id, at}) {
		q.Seen = append(q.Seen, [2]int64{id, at})
	}
}

// restart begins a new query of a listing from the latest updated_at
// delivered, less the overlap. When a whole query of 300 pages fit in the
// overlap (more than 30,000 tickets updated within two seconds), the next
// query starts past it, and says so in the log: Freshdesk offers no way to
// read them all.
func (c *Connector) restart(phase int, q *query) {
	since := q.Since
	if q.Last != 0 {
		since = max(q.Since, q.Last-int64(overlap/time.Second))
	}
	if since == q.Since && q.Page >= maxPage {
		since = q.Since + 1
		q.Seen = nil
		if c.cfg.Logger != nil {
			c.cfg.Logger.LogAttrs(context.Background(), slog.LevelWarn, "freshdesk: more than 300 pages of tickets updated within one second; skipping ahead",
				slog.String("listing", listName(phase)), slog.Time("updated_since", time.Unix(q.Since, 0).UTC()))
		}
	}
	q.Since, q.Page = since, 1
}

func listName(phase int) string {
	if f := listFilters[phase]; f != "" {
		return f
	}
	return "tickets"
}

// listPage reads one page of a listing; next reports a rel="next" link.
func (c *Connector) listPage(ctx context.Context, phase int, q *query) ([]wireTicket, bool, error) {
	v := url.Values{
		"updated_since": {time.Unix(q.Since, 0).UTC().Format(time.RFC3339)},
		"order_by":      {"updated_at"},
		"order_type":    {"asc"},
		"per_page":      {strconv.Itoa(c.cfg.PageSize)},
		"page":          {strconv.Itoa(q.Page)},
		"include":       {"requester,description"},
	}
	if f := listFilters[phase]; f != "" {
		v.Set("filter", f)
	}
	var page []wireTicket
	// One credit for the call and two for each of the two embeds.
	h, err := c.client.GetJSON(ctx, "tickets", v, &page, c.withCredits(5, httpx.WithLimiter(c.list))...)
	if err != nil {
		return nil, false, err
	}
	return page, httpx.NextLink(h) != "", nil
}

// isPageCap reports Freshdesk's 400 for a page past the cap.
func isPageCap(err error) bool {
	var api *ticketsync.APIError
	return errors.As(err, &api) && api.StatusCode == http.StatusBadRequest &&
		strings.Contains(api.Message, "beyond the 300th page")
}

// needsRefresh reports a custom status on page that tf does not know: the
// account added one since ticket_fields was read.
func needsRefresh(page []wireTicket, tf *ticketFields) bool {
	for i := range page {
		if _, ok := tf.statuses[page[i].Status]; !ok && page[i].Status >= 6 {
			return true
		}
	}
	return false
}

// ticketFields returns the cached status choices of GET /ticket_fields,
// loading them when absent or when reload is set.
func (c *Connector) ticketFields(ctx context.Context, reload bool) (*ticketFields, error) {
	c.mu.Lock()
	tf := c.fields
	c.mu.Unlock()
	if tf != nil && !reload {
		return tf, nil
	}
	var fields []wireField
	if _, err := c.client.GetJSON(ctx, "ticket_fields", nil, &fields); err != nil {
		return nil, err
	}
	tf = parseTicketFields(fields)
	c.mu.Lock()
	c.fields = tf
	c.mu.Unlock()
	return tf, nil
}

// fillConversations loads the conversations of tickets, at most
// Config.Concurrency at a time. A ticket whose conversations answer 404
// was deleted meanwhile: it keeps no comments, and the trash listing
// delivers its tombstone.
func (c *Connector) fillConversations(ctx context.Context, tickets []ticketsync.Ticket) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, c.cfg.Concurrency)
	)
	for i := range tickets {
		if tickets[i].Deleted {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(t *ticketsync.Ticket) {
			defer wg.Done()
			defer func() { <-sem }()
			comments, err := c.conversations(ctx, t.ID)
			switch {
			case err == nil:
				t.Comments = comments
			case errors.Is(err, ticketsync.ErrNotFound):
			default:
				mu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		}(&tickets[i])
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// conversationPageSize is the largest page of the conversations list.
const conversationPageSize = 100

// conversations returns every conversation of a ticket, oldest first.
func (c *Connector) conversations(ctx context.Context, ticketID string) ([]ticketsync.Comment, error) {
	ref := "tickets/" + ticketID + "/conversations"
	v := url.Values{"per_page": {strconv.Itoa(conversationPageSize)}}
	out := []ticketsync.Comment{}
	for {
		var page []wireConversation
		h, err := c.client.GetJSON(ctx, ref, v, &page)
		if err != nil {
			return nil, err
		}
		for i := range page {
			out = append(out, comment(&page[i]))
		}
		next := httpx.NextLink(h)
		if next == "" || len(page) == 0 {
			break
		}
		ref, v = next, nil
	}
	slices.SortStableFunc(out, func(a, b ticketsync.Comment) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}
