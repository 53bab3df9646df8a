package hubspot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ticketsync/ticketsync"
)

// associations returns the ids of objects of type to associated with each
// ticket, through the v4 batch read, following each ticket's pages up to
// maxAssocPages. Tickets without any are absent from the result.
func (c *Connector) associations(ctx context.Context, tickets []string, to string) (map[string][]string, error) {
	out := map[string][]string{}
	type input struct {
		ID    string `json:"id"`
		After string `json:"after,omitempty"`
	}
	pending := make([]input, 0, len(tickets))
	for _, id := range tickets {
		pending = append(pending, input{ID: id})
	}
	for page := 0; len(pending) > 0 && page < maxAssocPages; page++ {
		var next []input
		for chunk := range slices.Chunk(pending, assocLimit) {
			var resp assocResponse
			if err := c.call(ctx, "POST", "/crm/v4/associations/tickets/"+to+"/batch/read", nil,
				map[string]any{"inputs": chunk}, &resp); err != nil {
				return nil, fmt.Errorf("read %s of %d tickets: %w", to, len(chunk), err)
			}
			for _, r := range resp.Results {
				from := string(r.From.ID)
				for _, t := range r.To {
					out[from] = append(out[from], string(t.ToObjectID))
				}
				if r.Paging != nil && r.Paging.Next != nil && r.Paging.Next.After != "" {
					next = append(next, input{ID: from, After: r.Paging.Next.After})
				}
			}
		}
		pending = next
	}
	return out, nil
}

// numericDesc orders ids as numbers, greatest (newest) first.
func numericDesc(a, b string) int {
	x, _ := strconv.ParseInt(a, 10, 64)
	y, _ := strconv.ParseInt(b, 10, 64)
	return cmp.Compare(y, x)
}

// build turns ticket objects into Tickets: stages, owners, requesters and
// comments are looked up for the whole batch at once.
func (c *Connector) build(ctx context.Context, objs []hsObject) ([]ticketsync.Ticket, error) {
	if len(objs) == 0 {
		return nil, nil
	}
	if err := c.loadAccount(ctx); err != nil {
		return nil, err
	}
	stages, err := c.loadStages(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("load pipelines: %w", err)
	}
	for _, o := range objs {
		if id := prop(o.Properties, stageProp); id != "" {
			if _, ok := stages[id]; !ok {
				// A stage added since the pipelines were loaded.
				if stages, err = c.loadStages(ctx, true); err != nil {
					return nil, fmt.Errorf("load pipelines: %w", err)
				}
				break
			}
		}
	}

	var live []string
	for _, o := range objs {
		if !o.Archived {
			live = append(live, o.ID)
		}
	}
	contactsOf := map[string][]string{}
	emailsOf := map[string][]string{}
	notesOf := map[string][]string{}
	if len(live) > 0 {
		if contactsOf, err = c.associations(ctx, live, "contacts"); err != nil {
			return nil, err
		}
		if c.cfg.MaxCommentsPerTicket > 0 {
			if emailsOf, err = c.associations(ctx, live, "emails"); err != nil {
				return nil, err
			}
			if notesOf, err = c.associations(ctx, live, "notes"); err != nil {
				return nil, err
			}
		}
	}

	// The requester is the associated contact with the lowest id: the
	// first one associated, on HubSpot's increasing ids.
	requesterOf := map[string]string{}
	var contactIDs []string
	for t, ids := range contactsOf {
		first := slices.MinFunc(ids, func(a, b string) int { return -numericDesc(a, b) })
		requesterOf[t] = first
		if !slices.Contains(contactIDs, first) {
			contactIDs = append(contactIDs, first)
		}
	}
	slices.Sort(contactIDs)
	contacts := map[string]hsObject{}
	if len(contactIDs) > 0 {
		contacts, err = c.readObjects(ctx, "contacts", contactIDs, contactProperties, false)
		if forbidden(err) {
			c.warnOnce("requesters' names (scope crm.objects.contacts.read)", err)
			contacts, err = map[string]hsObject{}, nil
		}
		if err != nil {
			return nil, err
		}
	}

	// The newest MaxCommentsPerTicket emails and notes of each ticket.
	type eng struct{ id, typ string }
	picked := map[string][]eng{}
	var emailIDs, noteIDs []string
	for _, t := range live {
		var all []eng
		for _, id := range emailsOf[t] {
			all = append(all, eng{id, "emails"})
		}
		for _, id := range notesOf[t] {
			all = append(all, eng{id, "notes"})
		}
		slices.SortFunc(all, func(a, b eng) int { return numericDesc(a.id, b.id) })
		if n := max(c.cfg.MaxCommentsPerTicket, 0); len(all) > n {
			all = all[:n]
		}
		picked[t] = all
		for _, e := range all {
			if e.typ == "emails" {
				emailIDs = append(emailIDs, e.id)
			} else {
				noteIDs = append(noteIDs, e.id)
			}
		}
	}
	engagements := map[string]hsObject{}
	for _, r := range []struct {
		typ, scope string
		ids        []string
		props      []string
	}{{"emails", "sales-email-read", uniq(emailIDs), emailProperties}, {"notes", "crm.objects.contacts.read", uniq(noteIDs), noteProperties}} {
		if len(r.ids) == 0 {
			continue
		}
		got, err := c.readObjects(ctx, r.typ, r.ids, r.props, false)
		if forbidden(err) {
			c.warnOnce(r.typ+" (scope "+r.scope+")", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		for id, o := range got {
			engagements[r.typ+"/"+id] = o
		}
	}

	var ownerIDs []string
	for _, o := range objs {
		ownerIDs = append(ownerIDs, prop(o.Properties, ownerProp))
	}
	for _, e := range engagements {
		ownerIDs = append(ownerIDs, prop(e.Properties, ownerProp))
	}
	owners, err := c.resolveOwners(ctx, uniq(ownerIDs))
	if err != nil {
		return nil, err
	}

	out := make([]ticketsync.Ticket, 0, len(objs))
	for _, o := range objs {
		t := c.toTicket(o, stages, owners)
		if cid, ok := requesterOf[o.ID]; ok {
			t.Requester = personOfContact(cid, contacts[cid])
		}
		for _, e := range picked[o.ID] {
			eo, ok := engagements[e.typ+"/"+e.id]
			if !ok {
				continue
			}
			if e.typ == "emails" {
				t.Comments = append(t.Comments, emailComment(eo, owners))
			} else {
				t.Comments = append(t.Comments, noteComment(eo, owners))
			}
		}
		slices.SortStableFunc(t.Comments, func(a, b ticketsync.Comment) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
		})
		out = append(out, t)
		if !o.Archived {
			for _, old := range mergedIDs(o) {
				out = append(out, mergedTombstone(t, old))
			}
		}
	}
	return out, nil
}

func uniq(ids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// resolveOwners returns the owners with the given ids: from the cache, else
// from one listing of all owners (500 a page), else one by one, archived
// owners included. An owner that cannot be found is just its id.
func (c *Connector) resolveOwners(ctx context.Context, ids []string) (map[string]ticketsync.Person, error) {
	out := map[string]ticketsync.Person{}
	if len(ids) == 0 {
		return out, nil
	}
	c.mu.Lock()
	fresh := c.owners != nil && c.now().Sub(c.ownersAt) < c.cfg.CacheTTL
	cache := c.owners
	c.mu.Unlock()
	missing := func() []string {
		var m []string
		for _, id := range ids {
			if _, ok := cache[id]; !ok {
				m = append(m, id)
			}
		}
		return m
	}
	if !fresh {
		list, err := c.listOwners(ctx)
		if forbidden(err) {
			c.warnOnce("owners (scope crm.objects.owners.read)", err)
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		cache = list
		c.mu.Lock()
		c.owners, c.ownersAt = cache, c.now()
		c.mu.Unlock()
	}
	for _, id := range missing() {
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			continue
		}
		var o ownerJSON
		err := c.call(ctx, "GET", "/crm/v3/owners/"+id, url.Values{"archived": {"true"}}, nil, &o)
		p := ticketsync.Person{ID: id}
		switch {
		case err == nil:
			p = o.person()
		case errors.Is(err, ticketsync.ErrNotFound):
		case forbidden(err):
			c.warnOnce("owners (scope crm.objects.owners.read)", err)
			return out, nil
		default:
			return nil, fmt.Errorf("read owner %s: %w", id, err)
		}
		c.mu.Lock()
		c.owners[id] = p
		c.mu.Unlock()
	}
	c.mu.Lock()
	for _, id := range ids {
		if p, ok := c.owners[id]; ok {
			out[id] = p
		}
	}
	c.mu.Unlock()
	return out, nil
}

func (c *Connector) listOwners(ctx context.Context) (map[string]ticketsync.Person, error) {
	out := map[string]ticketsync.Person{}
	q := url.Values{"limit": {"500"}}
	for {
		var resp struct {
			Results []ownerJSON `json:"results"`
			Paging  *nextPaging `json:"paging"`
		}
		if err := c.call(ctx, "GET", "/crm/v3/owners", q, nil, &resp); err != nil {
			return nil, fmt.Errorf("list owners: %w", err)
		}
		for _, o := range resp.Results {
			out[o.ID] = o.person()
		}
		if resp.Paging == nil || resp.Paging.Next == nil || resp.Paging.Next.After == "" || len(resp.Results) == 0 {
			return out, nil
		}
		q.Set("after", resp.Paging.Next.After)
	}
}
