package intercom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/fanout"
)

// ref names one record: its kind and Intercom's id.
type ref struct{ kind, id string }

func (r ref) ticketID() string { return TicketID(r.kind, r.id) }

// maxCachedContacts bounds the contact cache; it starts over when full.
const maxCachedContacts = 50000

// GetTickets reads the conversations and tickets with the given ids (as
// TicketID writes them) by id, Config.Concurrency at a time, with their
// parts, and resolves their contacts in bulk. Ids that are not the
// connector's, and records Intercom no longer has (404), are left out.
// It costs one request per record, plus one contact search per 150
// contacts not seen before and GET /admins once.
func (c *Connector) GetTickets(ctx context.Context, ids []string) ([]ticketsync.Ticket, error) {
	refs := make([]ref, 0, len(ids))
	seen := make(map[ref]bool, len(ids))
	for _, id := range ids {
		kind, n, ok := ParseTicketID(id)
		if !ok {
			c.debug("intercom: GetTickets: ignoring an id this connector did not write", "id", clip(id, 40))
			continue
		}
		r := ref{kind, n}
		if !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	tickets, err := c.load(ctx, refs)
	if err != nil {
		return nil, opError(fmt.Sprintf("get %d tickets by id", len(refs)), err)
	}
	return tickets, nil
}

// loaded is one record read by id.
type loaded struct {
	conv   *wireConversation
	ticket *wireTicket
}

// load reads refs by id with bounded concurrency and maps them, in the
// order of refs; records that answer 404 are left out.
func (c *Connector) load(ctx context.Context, refs []ref) ([]ticketsync.Ticket, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	appID, err := c.workspace(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]loaded, len(refs))
	err = fanout.Each(ctx, len(refs), c.cfg.Concurrency, func(ctx context.Context, i int) error {
		r := refs[i]
		var err error
		switch r.kind {
		case KindConversation:
			var w wireConversation
			if _, err = c.client.GetJSON(ctx, "conversations/"+r.id, nil, &w); err == nil {
				out[i].conv = &w
			}
		default:
			var w wireTicket
			if _, err = c.client.GetJSON(ctx, "tickets/"+r.id, nil, &w); err == nil {
				out[i].ticket = &w
			}
		}
		if err != nil && !errors.Is(err, ticketsync.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	var contactIDs, adminIDs []string
	for _, l := range out {
		switch {
		case l.conv != nil:
			for _, ct := range l.conv.Contacts.Contacts {
				contactIDs = append(contactIDs, ct.ID)
			}
			adminIDs = append(adminIDs, assigned(l.conv.AdminAssigneeID))
		case l.ticket != nil:
			for _, ct := range l.ticket.Contacts.Contacts {
				contactIDs = append(contactIDs, ct.ID)
			}
			adminIDs = append(adminIDs, assigned(l.ticket.AdminAssigneeID))
		}
	}
	p, err := c.people(ctx, contactIDs, adminIDs)
	if err != nil {
		return nil, err
	}
	tickets := make([]ticketsync.Ticket, 0, len(out))
	for _, l := range out {
		switch {
		case l.conv != nil:
			tickets = append(tickets, c.conversationTicket(l.conv, appID, p))
		case l.ticket != nil:
			tickets = append(tickets, c.ticketTicket(l.ticket, appID, p))
		}
	}
	return tickets, nil
}

// people resolves contacts (the requesters) in bulk through the contact
// search, and admins (the assignees) through GET /admins. A token without
// the permission to read them leaves the people as bare ids, with a
// warning in the log, rather than failing the sync.
func (c *Connector) people(ctx context.Context, contactIDs, adminIDs []string) (people, error) {
	p := people{admins: map[string]ticketsync.Person{}, contacts: map[string]ticketsync.Person{}}
	admins, err := c.adminDirectory(ctx, adminIDs)
	switch {
	case errors.Is(err, ticketsync.ErrForbidden):
		c.warn("intercom: cannot read admins; assignees keep only their ids: give the app the \"Read admins\" permission", err)
	case err != nil:
		return p, err
	}
	p.admins = admins
	contacts, err := c.contactDirectory(ctx, contactIDs)
	switch {
	case errors.Is(err, ticketsync.ErrForbidden):
		c.warn("intercom: cannot read contacts; requesters keep only their ids: give the app the \"Read and list users and companies\" permission", err)
	case err != nil:
		return p, err
	}
	p.contacts = contacts
	return p, nil
}

// adminDirectory returns every teammate, loading GET /admins when one of
// ids is not known yet.
func (c *Connector) adminDirectory(ctx context.Context, ids []string) (map[string]ticketsync.Person, error) {
	c.mu.Lock()
	c.expireLocked()
	dir := c.admins
	missing := dir == nil
	for _, id := range ids {
		if _, ok := dir[id]; id != "" && !ok {
			missing = true
		}
	}
	c.mu.Unlock()
	if !missing {
		return dir, nil
	}
	var list wireAdminList
	if _, err := c.client.GetJSON(ctx, "admins", nil, &list); err != nil {
		return dir, err
	}
	fresh := make(map[string]ticketsync.Person, len(list.Admins))
	for _, a := range list.Admins {
		fresh[string(a.ID)] = ticketsync.Person{ID: string(a.ID), Name: a.Name, Email: a.Email}
	}
	// An id GET /admins does not list (a removed teammate) keeps only its
	// id, and is not looked up again until the cache expires.
	for _, id := range ids {
		if _, ok := fresh[id]; id != "" && !ok {
			fresh[id] = ticketsync.Person{ID: id}
		}
	}
	c.mu.Lock()
	c.admins = fresh
	c.mu.Unlock()
	return fresh, nil
}

// contactDirectory returns the contacts of ids, from the cache or from the
// contact search, 150 a request; contacts the search does not find yet
// (Intercom indexes new contacts with a delay of up to a few minutes) are
// read one by one.
func (c *Connector) contactDirectory(ctx context.Context, ids []string) (map[string]ticketsync.Person, error) {
	out := map[string]ticketsync.Person{}
	var todo []string
	c.mu.Lock()
	c.expireLocked()
	for _, id := range ids {
		if p, ok := c.contacts[id]; ok {
			out[id] = p
		} else if id != "" && !slices.Contains(todo, id) {
			todo = append(todo, id)
		}
	}
	c.mu.Unlock()
	for start := 0; start < len(todo); start += PageSize {
		chunk := todo[start:min(start+PageSize, len(todo))]
		values := make([]any, len(chunk))
		for i, id := range chunk {
			values[i] = id
		}
		q := searchQuery{Query: searchFilter{Field: "id", Operator: "IN", Value: values}, Pagination: searchPagination{PerPage: PageSize}}
		for {
			var res wireContactSearch
			_, err := c.client.PostJSON(ctx, "contacts/search", q, &res)
			var api *ticketsync.APIError
			if errors.As(err, &api) && api.StatusCode == http.StatusBadRequest {
				// Intercom does not document how long an IN list may be:
				// read the contacts this search refused one by one.
				c.warn("intercom: the contact search refused a list of ids; reading contacts one by one", err)
				break
			}
			if err != nil {
				return out, err
			}
			for _, ct := range res.Data {
				out[ct.ID] = contactPerson(ct)
			}
			if res.Pages.Next == nil || res.Pages.Next.StartingAfter == "" || len(res.Data) == 0 {
				break
			}
			q.Pagination.StartingAfter = res.Pages.Next.StartingAfter
		}
	}
	for _, id := range todo {
		if _, ok := out[id]; ok {
			continue
		}
		var ct wireContact
		_, err := c.client.GetJSON(ctx, "contacts/"+id, nil, &ct)
		switch {
		case errors.Is(err, ticketsync.ErrNotFound):
			continue // a deleted or merged contact keeps its bare id
		case err != nil:
			return out, err
		}
		out[id] = contactPerson(ct)
	}
	c.mu.Lock()
	if len(c.contacts) > maxCachedContacts {
		c.contacts = nil
	}
	if c.contacts == nil {
		c.contacts = map[string]ticketsync.Person{}
	}
	for _, id := range todo {
		if p, ok := out[id]; ok {
			c.contacts[id] = p
		}
	}
	c.mu.Unlock()
	return out, nil
}

func contactPerson(ct wireContact) ticketsync.Person {
	p := ticketsync.Person{ID: ct.ID, Email: ct.Email}
	if ct.Name != nil {
		p.Name = *ct.Name
	}
	return p
}
