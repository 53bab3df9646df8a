package freshdesk

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/fanout"
)

// GetTickets loads tickets by id with every field and all their
// conversations: GET /api/v2/tickets/{id}?include=requester (two credits)
// and the conversations list, at most Config.Concurrency tickets at a
// time. Freshdesk has no endpoint for several ids. A ticket that does not
// exist (404, also once its trash is emptied) and ids that are not
// Freshdesk ticket ids are left out; a ticket in the trash or marked as
// spam is returned as a tombstone, without conversations.
func (c *Connector) GetTickets(ctx context.Context, ids []string) ([]ticketsync.Ticket, error) {
	var nums []string
	seen := map[string]bool{}
	for _, raw := range ids {
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil || n <= 0 {
			continue
		}
		s := strconv.FormatInt(n, 10)
		if !seen[s] {
			seen[s] = true
			nums = append(nums, s)
		}
	}
	tf, err := c.ticketFields(ctx, false)
	if err != nil {
		return nil, c.classify("get tickets by id", err)
	}
	out := make([]*ticketsync.Ticket, len(nums))
	err = fanout.Each(ctx, len(nums), c.cfg.Concurrency, func(ctx context.Context, i int) error {
		t, err := c.getTicket(ctx, nums[i], tf)
		if err != nil {
			return c.classify("get ticket "+nums[i], err)
		}
		out[i] = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	var tickets []ticketsync.Ticket
	for _, t := range out {
		if t != nil {
			tickets = append(tickets, *t)
		}
	}
	if err := c.nameAssignees(ctx, tickets); err != nil {
		return nil, c.classify("get tickets by id", err)
	}
	return tickets, nil
}

// getTicket loads one ticket and its conversations; nil when it does not
// exist.
func (c *Connector) getTicket(ctx context.Context, tid string, tf *ticketFields) (*ticketsync.Ticket, error) {
	var w wireTicket
	_, err := c.client.GetJSON(ctx, "tickets/"+tid, url.Values{"include": {"requester"}}, &w, c.withCredits(2)...)
	if errors.Is(err, ticketsync.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if _, ok := tf.statuses[w.Status]; !ok && w.Status >= 6 {
		if tf, err = c.ticketFields(ctx, true); err != nil {
			return nil, err
		}
	}
	t := c.ticket(&w, tf)
	if t.Deleted {
		return &t, nil
	}
	comments, err := c.conversations(ctx, tid)
	if errors.Is(err, ticketsync.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t.Comments = comments
	return &t, nil
}
