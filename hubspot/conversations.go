package hubspot

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
)

// The conversations inbox: help-desk threads (chat, messaging, inbox
// email, agents' internal comments) carry the ticket they belong to in
// threadAssociations.associatedTicketId.
const (
	threadsPath   = "/conversations/v3/conversations/threads"
	threadsLimit  = 100 // threads per page: each costs a messages request
	messagesLimit = 500 // messages per request, HubSpot's maximum
	// ScopeConversations is the scope that reads the conversations inbox.
	ScopeConversations = "conversations.read"
)

// comment maps a thread message: a MESSAGE is public, an agents' COMMENT
// internal; other types (status changes, welcome messages) are not
// comments.
func (m messageJSON) comment() (ticketsync.Comment, bool) {
	if m.Archived || (m.Type != "MESSAGE" && m.Type != "COMMENT") {
		return ticketsync.Comment{}, false
	}
	body := strings.TrimSpace(m.Text)
	if body == "" {
		body = htmlToText(m.RichText)
	}
	cm := ticketsync.Comment{ID: "message-" + string(m.ID), Body: body, Public: m.Type == "MESSAGE"}
	cm.CreatedAt, _ = parseTime(m.CreatedAt)
	if len(m.Senders) > 0 {
		s := m.Senders[0]
		cm.Author = ticketsync.Person{ID: s.ActorID, Name: s.Name}
		if d := s.DeliveryIdentifier; d != nil && d.Type == "HS_EMAIL_ADDRESS" {
			cm.Author.Email = d.Value
		}
	}
	return cm, true
}

// fetchThreads returns one page of the tickets whose conversations threads
// have new messages since ThrSince: one request lists up to 100 threads
// changed since then (sorted by their latest message), one request per
// thread reads its messages (HubSpot has no batch read of messages), and
// the tickets are read and built as search's are, with the messages as
// comments. Without the conversations.read scope the phase is skipped.
func (c *Connector) fetchThreads(ctx context.Context, cur cursor) (ticketsync.Page, error) {
	since := max(cur.ThrSince-c.cfg.SearchLag.Milliseconds(), searchFloor)
	if cur.ThrFrom > since {
		since = cur.ThrFrom // a later page of this run
	}
	q := url.Values{
		"limit": {strconv.Itoa(threadsLimit)}, "sort": {"latestMessageTimestamp"}, "association": {"TICKET"},
		"latestMessageTimestampAfter": {time.UnixMilli(since).UTC().Format(time.RFC3339Nano)},
	}
	if cur.ThrAfter != "" {
		q.Set("after", cur.ThrAfter)
	}
	var resp struct {
		Results []threadJSON `json:"results"`
		Paging  *nextPaging  `json:"paging"`
	}
	err := c.call(ctx, "GET", threadsPath, q, nil, &resp)
	if forbidden(err) {
		c.warnOnce("conversations inbox threads (scope "+ScopeConversations+")", err)
		resp.Results, resp.Paging, err = nil, nil, nil
	}
	if err != nil {
		return ticketsync.Page{}, fmt.Errorf("hubspot: list conversations threads since %s: %w", millisText(since), err)
	}
	if cur.ThrSeen == nil {
		cur.ThrSeen = seenSet{}
	}
	comments := map[string][]ticketsync.Comment{}
	var ticketIDs []string
	pageMax := since
	for _, th := range resp.Results {
		latest := int64(0)
		if t, ok := parseTime(th.LatestMessageTimestamp); ok {
			latest = t.UnixMilli()
		}
		cur.ThrMax = max(cur.ThrMax, latest)
		pageMax = max(pageMax, latest)
		tid := string(th.ThreadAssociations.AssociatedTicketID)
		if tid == "" || tid == "0" || th.Archived {
			continue
		}
		if prev, ok := cur.ThrSeen[string(th.ID)]; ok && prev >= latest {
			continue // delivered up to this message already
		}
		msgs, err := c.threadMessages(ctx, string(th.ID))
		if forbidden(err) {
			c.warnOnce("conversations inbox threads (scope "+ScopeConversations+")", err)
			continue
		}
		if err != nil {
			return ticketsync.Page{}, fmt.Errorf("hubspot: %w", err)
		}
		cur.ThrSeen[string(th.ID)] = latest
		comments[tid] = append(comments[tid], msgs...)
		if !slices.Contains(ticketIDs, tid) {
			ticketIDs = append(ticketIDs, tid)
		}
	}
	var tickets []ticketsync.Ticket
	if len(ticketIDs) > 0 {
		found, err := c.readObjects(ctx, "tickets", ticketIDs, c.properties(), false)
		if err != nil {
			return ticketsync.Page{}, fmt.Errorf("hubspot: tickets of conversations threads: %w", err)
		}
		objs := make([]hsObject, 0, len(found))
		for _, o := range found {
			objs = append(objs, o)
		}
		slices.SortFunc(objs, func(a, b hsObject) int { return -numericDesc(a.ID, b.ID) })
		if tickets, err = c.build(ctx, objs); err != nil {
			return ticketsync.Page{}, fmt.Errorf("hubspot: tickets of conversations threads: %w", err)
		}
		byID := map[string]int{}
		for i, o := range objs {
			byID[o.ID] = i
			for _, old := range mergedIDs(o) {
				byID[old] = i // a thread of a ticket merged since
			}
		}
		for tid, cms := range comments {
			i, ok := byID[tid]
			if !ok {
				continue // the ticket is gone
			}
			for j := range tickets {
				if tickets[j].ID == objs[i].ID {
					tickets[j].Comments = mergeComments(tickets[j].Comments, cms)
				}
			}
		}
	}
	more := resp.Paging != nil && resp.Paging.Next != nil && resp.Paging.Next.After != "" && len(resp.Results) > 0
	switch {
	case more && pageMax-1 > since:
		// The list is sorted by latest message, which moves when a thread
		// gets a message while it is paged: instead of an offset, the next
		// query starts again just before the newest message of this page
		// (the threads at that instant are read again and skipped).
		cur.ThrFrom, cur.ThrAfter = pageMax-1, ""
	case more:
		cur.ThrAfter = resp.Paging.Next.After // a page of one instant
	default:
		cur.ThrSince = max(cur.ThrSince, cur.ThrMax)
		for id, at := range cur.ThrSeen {
			if at < cur.ThrSince-c.cfg.SearchLag.Milliseconds() {
				delete(cur.ThrSeen, id)
			}
		}
		pruneMap(cur.ThrSeen)
		cur.ThrAfter, cur.ThrMax, cur.ThrFrom = "", 0, 0
		c.endThreads(&cur)
		more = cur.Phase != phaseSearch
	}
	return ticketsync.Page{Tickets: tickets, Cursor: c.encodeCursor(cur), More: more}, nil
}

// threadMessages reads a thread's messages as comments, the newest
// MaxCommentsPerTicket of them.
func (c *Connector) threadMessages(ctx context.Context, thread string) ([]ticketsync.Comment, error) {
	var out []ticketsync.Comment
	q := url.Values{"limit": {strconv.Itoa(messagesLimit)}}
	for page := 0; page < maxAssocPages; page++ {
		var resp struct {
			Results []messageJSON `json:"results"`
			Paging  *nextPaging   `json:"paging"`
		}
		if err := c.call(ctx, "GET", threadsPath+"/"+thread+"/messages", q, nil, &resp); err != nil {
			return nil, fmt.Errorf("read messages of conversations thread %s: %w", thread, err)
		}
		for _, m := range resp.Results {
			if cm, ok := m.comment(); ok {
				out = append(out, cm)
			}
		}
		if resp.Paging == nil || resp.Paging.Next == nil || resp.Paging.Next.After == "" || len(resp.Results) == 0 {
			break
		}
		q.Set("after", resp.Paging.Next.After)
	}
	if n := max(c.cfg.MaxCommentsPerTicket, 0); len(out) > n {
		out = out[len(out)-n:]
	}
	return out, nil
}

// mergeComments adds cms to a ticket's comments, oldest first.
func mergeComments(have, cms []ticketsync.Comment) []ticketsync.Comment {
	out := append(slices.Clone(have), cms...)
	slices.SortStableFunc(out, func(a, b ticketsync.Comment) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}
