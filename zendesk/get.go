package zendesk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/fanout"
)

// maxShowMany is the most ids GET /tickets/show_many takes.
const maxShowMany = 100

// commentPageSize is the largest page of the comments API.
const commentPageSize = 100

// getConcurrency bounds the comment requests GetTickets runs at once; the
// plan limiter paces them in any case.
const getConcurrency = 4

// GetTickets loads tickets by id with every field and all their comments:
// GET /api/v2/tickets/show_many.json with the users sideloaded, up to 100
// ids a request, then GET /api/v2/tickets/{id}/comments.json for each
// ticket (100 comments a page, with their authors). All count against the
// plan limit, not the export budget. Deleted tickets, tickets that do not
// exist and ids that are not Zendesk ticket ids are left out.
func (c *Connector) GetTickets(ctx context.Context, ids []string) ([]ticketsync.Ticket, error) {
	var nums []string
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
		if err != nil || n <= 0 {
			continue
		}
		s := strconv.FormatInt(n, 10)
		if !seen[s] {
			seen[s] = true
			nums = append(nums, s)
		}
	}
	var out []ticketsync.Ticket
	for start := 0; start < len(nums); start += maxShowMany {
		batch := nums[start:min(start+maxShowMany, len(nums))]
		var resp wireShowMany
		q := url.Values{"ids": {strings.Join(batch, ",")}, "include": {"users"}}
		if _, err := c.client.GetJSON(ctx, "tickets/show_many.json", q, &resp); err != nil {
			return nil, wrap(fmt.Sprintf("get %d tickets by id", len(batch)), err, hintFor(err))
		}
		p := c.newPeople(resp.Users)
		for i := range resp.Tickets {
			t := c.ticket(&resp.Tickets[i], p)
			if !t.Deleted {
				out = append(out, t)
			}
		}
	}
	if err := c.fillComments(ctx, out); err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, t := range out {
		if t.ID != "" {
			kept = append(kept, t)
		}
	}
	return kept, nil
}

// fillComments loads the comments of tickets, a few at a time. A ticket
// whose comments answer 404 was deleted meanwhile: its ID is cleared so that
// the caller drops it.
func (c *Connector) fillComments(ctx context.Context, tickets []ticketsync.Ticket) error {
	return fanout.Each(ctx, len(tickets), getConcurrency, func(ctx context.Context, i int) error {
		t := &tickets[i]
		comments, err := c.listComments(ctx, t.ID)
		switch {
		case err == nil:
			t.Comments = comments
		case isNotFound(err):
			t.ID = ""
		default:
			return err
		}
		return nil
	})
}

// listComments returns all comments of one ticket, oldest first, following
// the comments API's cursor pages.
func (c *Connector) listComments(ctx context.Context, id string) ([]ticketsync.Comment, error) {
	path := "tickets/" + id + "/comments.json"
	q := url.Values{"page[size]": {strconv.Itoa(commentPageSize)}, "include": {"users"}}
	var out []ticketsync.Comment
	for {
		var page wireComments
		if _, err := c.client.GetJSON(ctx, path, q, &page); err != nil {
			return nil, wrap("list comments of ticket "+id, err, "")
		}
		p := c.newPeople(page.Users)
		for _, w := range page.Comments {
			out = append(out, comment(w.ID, w.AuthorID, w.Body, w.Public, w.CreatedAt, p))
		}
		if !page.Meta.HasMore || page.Meta.AfterCursor == "" || len(page.Comments) == 0 {
			return out, nil
		}
		q.Set("page[after]", page.Meta.AfterCursor)
	}
}

func isNotFound(err error) bool {
	var api *ticketsync.APIError
	return errors.As(err, &api) && api.StatusCode == http.StatusNotFound
}

// maxUsersShowMany is the most ids GET /users/show_many takes.
const maxUsersShowMany = 100

// resolveAuthors names the comment authors the connector knows only by id
// (the events export sideloads no users; second agents and CCs are in no
// ticket sideload): GET /api/v2/users/show_many.json for up to 100 of them
// a request, against the plan limit, remembered in the connector's cache.
// A user Zendesk does not return stays id-only.
func (c *Connector) resolveAuthors(ctx context.Context, tickets []ticketsync.Ticket) error {
	var unknown []int64
	seen := map[int64]bool{}
	for i := range tickets {
		for _, cm := range tickets[i].Comments {
			if cm.Author.ID == "" || cm.Author.Name != "" || cm.Author.Email != "" {
				continue
			}
			id, err := strconv.ParseInt(cm.Author.ID, 10, 64)
			if err != nil || id <= 0 || seen[id] || c.cached(id) {
				continue
			}
			seen[id] = true
			unknown = append(unknown, id)
		}
	}
	for start := 0; start < len(unknown); start += maxUsersShowMany {
		batch := unknown[start:min(start+maxUsersShowMany, len(unknown))]
		ids := make([]string, len(batch))
		for i, id := range batch {
			ids[i] = strconv.FormatInt(id, 10)
		}
		var resp wireUsers
		if _, err := c.client.GetJSON(ctx, "users/show_many.json", url.Values{"ids": {strings.Join(ids, ",")}}, &resp); err != nil {
			return wrap(fmt.Sprintf("get %d comment authors by id", len(batch)), err, hintFor(err))
		}
		c.newPeople(resp.Users)
	}
	if len(unknown) == 0 {
		return nil
	}
	p := people{c: c}
	for i := range tickets {
		for j := range tickets[i].Comments {
			a := &tickets[i].Comments[j].Author
			if a.Name != "" || a.Email != "" {
				continue
			}
			if id, err := strconv.ParseInt(a.ID, 10, 64); err == nil {
				*a = p.person(id)
			}
		}
	}
	return nil
}

// cached reports whether the connector knows user id.
func (c *Connector) cached(id int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.users[id]
	return ok
}
