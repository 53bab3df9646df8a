package freshdesk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/fanout"
	"github.com/ticketsync/ticketsync/internal/httpx"
	"github.com/ticketsync/ticketsync/internal/incremental"
)

// maxPage is the last page of one ticket list query that Freshdesk serves;
// page 301 is refused with 400.
const maxPage = 300

// The listings a sync pass reads (the numbers are stored in cursors).
const (
	listTickets = iota // the default listing: live tickets
	listDeleted        // filter=deleted: tickets in the trash
	listSpam           // filter=spam
	listCount
)

var listFilters = [listCount]string{"", "deleted", "spam"}

// nextList is the listing read after each one within a pass: the trash,
// then spam, then the default listing, which ends the pass. The short
// listings go first so that a cursor's checkpoint, the oldest of the three
// listings' (DescribeCursor), moves with the long one.
var nextList = [listCount]int{listTickets: listDeleted, listDeleted: listSpam, listSpam: listTickets}

// firstList is the listing a new cursor reads first.
const firstList = listDeleted

// cursor is what the opaque cursor holds: the listing being read and, for
// each listing, its changed-since window (the updated_since of the current
// query, its next page, and the tickets delivered at the boundary second)
// and when its last pass ended. A cursor made by StartCursor also holds the
// time it starts at.
type cursor struct {
	Phase int                           `json:"ph"`
	W     [listCount]incremental.Window `json:"w"`
	// Done is, per listing, the time in Unix milliseconds up to which its
	// last complete pass read every change: the time of its last request
	// less clockSkew, in whole seconds. Zero before a pass ends.
	Done [listCount]int64 `json:"d,omitzero"`
	// Since is the time in Unix milliseconds that StartCursor was given;
	// zero for a cursor that starts at Config.StartTime.
	Since int64 `json:"s,omitempty"`
}

// clockSkew is how far Freshdesk's clock is taken to lag ours when telling
// whether the second a ticket was read in had ended.
const clockSkew = 2 * time.Second

// cursorVersion is the layout of cursor.
const cursorVersion = 1

// policy is how Freshdesk's ticket list behaves for cur: updated_since in
// whole seconds and inclusive (as listPage asks), order_by=updated_at
// ascending, at most 300 pages per query. Page numbers shift when tickets
// change while a client pages (a ticket updated after page 1 moves to the
// end, and the one after it slides onto page 1, already read), so every
// page is the first page of a fresh query from the newest updated_at
// delivered, paging on only through a second that holds more than a page.
// The first pass starts at Config.StartTime, or for a cursor made by
// StartCursor at the start of since's second: updated_at has whole
// seconds, so a change made within that second, after since, shows a time
// before since.
func (c *Connector) policy(cur *cursor) incremental.Policy {
	start := c.cfg.StartTime
	if cur.Since != 0 {
		if s := time.UnixMilli(cur.Since).UTC().Truncate(time.Second); s.After(start) {
			start = s
		}
	}
	return incremental.Policy{Start: start, Granularity: time.Second, Ordered: true,
		RestartEvery: 1, MaxPages: maxPage, PageSize: c.cfg.PageSize, Skew: clockSkew}
}

// Fetch returns one page of changed tickets: one ticket list request
// (GET /api/v2/tickets with updated_since, order_by=updated_at,
// order_type=asc, per_page and include=requester,description) and, for each
// ticket on it, its conversations (GET /api/v2/tickets/{id}/conversations,
// 100 a page), a few at a time. A sync pass reads the trash
// (filter=deleted) and spam (filter=spam), whose tickets are delivered as
// tombstones without conversations, then the default listing. More is false
// once the three are caught up.
//
// Each page of a listing starts a fresh query from the latest updated_at
// delivered (page numbers shift as tickets change), following Link:
// rel="next" only through a second that holds more than a page, and never
// past Freshdesk's 300-page cap; the tickets of the boundary second are
// remembered in the cursor and not delivered again unless they changed.
func (c *Connector) Fetch(ctx context.Context, cursorText string) (ticketsync.Page, error) {
	const op = "fetch tickets"
	cur := cursor{Phase: firstList}
	if err := c.codec.Decode(cursorText, &cur); err != nil {
		return ticketsync.Page{}, fmt.Errorf("freshdesk: %s: %w; %s", op, err, hintCursor)
	}
	if cur.Phase < 0 || cur.Phase >= listCount {
		return ticketsync.Page{}, fmt.Errorf("freshdesk: %s: %w: the cursor names no listing; %s", op, ticketsync.ErrInvalidCursor, hintCursor)
	}
	tf, err := c.ticketFields(ctx, false)
	if err != nil {
		return ticketsync.Page{}, c.classify(op, err)
	}
	policy := c.policy(&cur)
	phase := cur.Phase
	w := &cur.W[phase]
	q := w.Query(policy)
	pageNo := 1
	if q.Page != "" {
		if pageNo, err = strconv.Atoi(q.Page); err != nil || pageNo < 1 || pageNo > maxPage {
			return ticketsync.Page{}, fmt.Errorf("freshdesk: %s: %w: the cursor's page is out of range; %s", op, ticketsync.ErrInvalidCursor, hintCursor)
		}
	}
	// updated_at has whole seconds: a ticket read during its second may
	// change again within it, so the Window delivers it again until a read
	// made after that second.
	readAt := c.now()
	w.ReadAt(policy, readAt)
	page, next, err := c.listPage(ctx, phase, q.From, pageNo)
	if isPageCap(err) {
		// Freshdesk refused a page below the cap the policy knows: restart
		// the query from the newest updated_at delivered.
		if rerr := w.Refused(policy); rerr != nil {
			return ticketsync.Page{}, fmt.Errorf("freshdesk: %s: %w (Freshdesk refused page %d)", op, rerr, pageNo)
		}
		return ticketsync.Page{Cursor: c.codec.Encode(cur), More: true}, nil
	}
	if err != nil {
		return ticketsync.Page{}, c.classify(op, err)
	}
	if needsRefresh(page, tf) {
		if tf, err = c.ticketFields(ctx, true); err != nil {
			return ticketsync.Page{}, c.classify(op, err)
		}
	}
	var tickets []ticketsync.Ticket
	for i := range page {
		if at := page[i].UpdatedAt; !at.IsZero() && at.Before(q.From) {
			continue // the second before the query's, asked for in case updated_since is strict (listPage)
		}
		if w.Observe(id(page[i].ID), page[i].UpdatedAt) {
			tickets = append(tickets, c.ticket(&page[i], tf))
		}
	}
	if err := c.nameAssignees(ctx, tickets); err != nil {
		return ticketsync.Page{}, c.classify(op, err)
	}
	if phase == listTickets {
		if err := c.fillConversations(ctx, tickets); err != nil {
			return ticketsync.Page{}, c.classify(op, err)
		}
	}
	nextPage := ""
	if next {
		nextPage = strconv.Itoa(pageNo + 1)
	}
	more, err := w.Next(policy, nextPage)
	if err != nil {
		// More than 300 pages of one listing changed within one second:
		// Freshdesk offers no way to read them all.
		return ticketsync.Page{}, fmt.Errorf("freshdesk: %s: the %s listing: %w; set Config.StartTime past this second", op, listName(phase), err)
	}
	if !more {
		// The listing is read through: every change made before this
		// request (less the clocks' skew) has been delivered.
		cur.Done[phase] = readAt.Add(-clockSkew).Truncate(time.Second).UnixMilli()
		cur.Phase = nextList[phase]
	}
	return ticketsync.Page{Tickets: tickets, Cursor: c.codec.Encode(cur), More: more || phase != listTickets}, nil
}

func listName(phase int) string {
	if f := listFilters[phase]; f != "" {
		return f
	}
	return "tickets"
}

// listPage reads one page of a listing of the tickets updated at or after
// since, a whole second; next reports a rel="next" link. Freshdesk does not
// say whether updated_since is inclusive: the query asks from the second
// before, and the caller leaves out the tickets of that second, so that
// the tickets of since's own second are read either way. A restart from the
// newest second delivered (every page) would otherwise lose, were it strict,
// the tickets of that second that the last page did not hold.
func (c *Connector) listPage(ctx context.Context, phase int, since time.Time, page int) ([]wireTicket, bool, error) {
	if since.Unix() > 0 {
		since = since.Add(-time.Second) // not before the epoch
	}
	v := url.Values{
		"updated_since": {since.UTC().Format(time.RFC3339)},
		"order_by":      {"updated_at"},
		"order_type":    {"asc"},
		"per_page":      {strconv.Itoa(c.cfg.PageSize)},
		"page":          {strconv.Itoa(page)},
		"include":       {"requester,description"},
	}
	if f := listFilters[phase]; f != "" {
		v.Set("filter", f)
	}
	var list []wireTicket
	// One credit for the call and two for each of the two embeds.
	h, err := c.client.GetJSON(ctx, "tickets", v, &list, c.withCredits(5, httpx.WithLimiter(c.list))...)
	if err != nil {
		return nil, false, err
	}
	return list, httpx.NextLink(h) != "", nil
}

// isPageCap reports Freshdesk's 400 for a page past its cap of one query.
func isPageCap(err error) bool {
	var api *ticketsync.APIError
	return errors.As(err, &api) && api.StatusCode == http.StatusBadRequest &&
		strings.Contains(api.Message, "cannot access tickets beyond")
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

// agentPageSize is the largest page of the agents list.
const agentPageSize = 100

// nameAssignees fills the names and emails of tickets' assignees from the
// cached agents list (GET /api/v2/agents, one credit per 100 agents),
// loading it when absent or when an assignee is not in it, at most once
// per call.
func (c *Connector) nameAssignees(ctx context.Context, tickets []ticketsync.Ticket) error {
	for reloaded := false; ; reloaded = true {
		c.mu.Lock()
		agents := c.agents
		c.mu.Unlock()
		missing := false
		for i := range tickets {
			a := &tickets[i].Assignee
			if a.ID == "" {
				continue
			}
			n, _ := strconv.ParseInt(a.ID, 10, 64)
			if p, ok := agents[n]; ok {
				*a = p
			} else {
				missing = true
			}
		}
		if !missing || reloaded {
			return nil
		}
		if err := c.loadAgents(ctx); err != nil {
			return err
		}
	}
}

// loadAgents reads every agent of the account into the cache.
func (c *Connector) loadAgents(ctx context.Context) error {
	agents := map[int64]ticketsync.Person{}
	ref, v := "agents", url.Values{"per_page": {strconv.Itoa(agentPageSize)}}
	for {
		var page []wireAgent
		h, err := c.client.GetJSON(ctx, ref, v, &page)
		if err != nil {
			return err
		}
		for _, a := range page {
			agents[a.ID] = ticketsync.Person{ID: id(a.ID), Name: a.Contact.Name, Email: a.Contact.Email}
		}
		next := httpx.NextLink(h)
		if next == "" || len(page) == 0 {
			break
		}
		ref, v = next, nil
	}
	c.mu.Lock()
	c.agents = agents
	c.mu.Unlock()
	return nil
}

// fillConversations loads the conversations of tickets, at most
// Config.Concurrency at a time. A ticket whose conversations answer 404
// was deleted meanwhile: it keeps no comments, and the trash listing
// delivers its tombstone.
func (c *Connector) fillConversations(ctx context.Context, tickets []ticketsync.Ticket) error {
	return fanout.Each(ctx, len(tickets), c.cfg.Concurrency, func(ctx context.Context, i int) error {
		t := &tickets[i]
		if t.Deleted {
			return nil
		}
		comments, err := c.conversations(ctx, t.ID)
		switch {
		case err == nil:
			t.Comments = comments
		case errors.Is(err, ticketsync.ErrNotFound):
		default:
			return err
		}
		return nil
	})
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
