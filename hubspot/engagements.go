package hubspot

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
)

// engagementTypes are the engagements read as comments, searched in this
// order by the engagements phase.
var engagementTypes = []string{"emails", "notes"}

// fetchEngagements returns one page of the tickets that emails or notes
// were logged on (or changed) since EngSince. HubSpot does not document
// whether logging one moves the ticket's hs_lastmodifieddate, so the
// connector does not rely on it: it searches the engagements themselves
// (POST /crm/v3/objects/{emails,notes}/search, on the search limit), reads
// the tickets they are associated with (one v4 association read per page),
// and delivers those that the ticket search did not already deliver as of
// a later time. When logging does move the ticket's time, this costs the
// two searches a run and nothing else.
func (c *Connector) fetchEngagements(ctx context.Context, cur cursor) (ticketsync.Page, error) {
	typ := engagementTypes[cur.EngType]
	from := max(cur.EngFrom, searchFloor)
	req := searchRequest{
		FilterGroups: []filterGroup{{Filters: []filter{{PropertyName: modifiedProp, Operator: "GTE", Value: strconv.FormatInt(from, 10)}}}},
		Sorts:        []searchSort{{PropertyName: modifiedProp, Direction: "ASCENDING"}},
		Properties:   []string{modifiedProp},
		Limit:        searchLimit,
	}
	var resp searchResponse
	err := c.call(ctx, "POST", "/crm/v3/objects/"+typ+"/search", nil, req, &resp, httpx.WithLimiter(c.search))
	if forbidden(err) {
		c.warnOnce(typ+" logged on tickets (scope "+engagementScope(typ)+")", err)
		resp, err = searchResponse{}, nil
	}
	if err != nil {
		return ticketsync.Page{}, fmt.Errorf("hubspot: search %s modified since %s: %w", typ, millisText(from), err)
	}
	if cur.EngSeen == nil {
		cur.EngSeen = seenSet{}
	}
	at := map[string]int64{} // engagement id -> modification time, not yet delivered
	lastMod := from
	for _, o := range resp.Results {
		mod := o.modified()
		lastMod = max(lastMod, mod)
		cur.EngMax = max(cur.EngMax, mod)
		if prev, ok := cur.EngSeen[o.ID]; ok && prev >= mod {
			continue
		}
		at[o.ID] = mod
	}
	var tickets []ticketsync.Ticket
	if len(at) > 0 {
		ids := make([]string, 0, len(at))
		for id := range at {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		of, err := c.engagementTickets(ctx, typ, ids)
		if err != nil {
			return ticketsync.Page{}, fmt.Errorf("hubspot: tickets of %d %s: %w", len(ids), typ, err)
		}
		var want []string
		for eid, tids := range of {
			for _, tid := range tids {
				// The ticket search delivered this ticket as of a time at or
				// after the engagement: its comments came with it.
				if prev, ok := cur.Seen[tid]; ok && prev >= at[eid] {
					continue
				}
				if !slices.Contains(want, tid) {
					want = append(want, tid)
				}
			}
		}
		if len(want) > 0 {
			slices.Sort(want)
			found, err := c.readObjects(ctx, "tickets", want, c.properties(), false)
			if err != nil {
				return ticketsync.Page{}, fmt.Errorf("hubspot: tickets with new %s: %w", typ, err)
			}
			objs := make([]hsObject, 0, len(found))
			for _, o := range found {
				objs = append(objs, o)
			}
			slices.SortFunc(objs, func(a, b hsObject) int { return -numericDesc(a.ID, b.ID) })
			if tickets, err = c.build(ctx, objs); err != nil {
				return ticketsync.Page{}, fmt.Errorf("hubspot: tickets with new %s: %w", typ, err)
			}
		}
		for id, mod := range at {
			cur.EngSeen[id] = mod // engagement ids are unique across types
		}
	}
	full := resp.Paging != nil && resp.Paging.Next != nil && len(resp.Results) > 0
	switch {
	case full && lastMod > from:
		cur.EngFrom = lastMod // the next query starts at the last time seen
	case full:
		cur.EngFrom = lastMod + 1 // a whole page in one millisecond: rare, and delivered above
	default:
		cur.EngType++
		cur.EngFrom = cur.EngSince
	}
	if cur.EngType < len(engagementTypes) {
		return ticketsync.Page{Tickets: tickets, Cursor: c.encodeCursor(cur), More: true}, nil
	}
	cur.EngType = 0
	cur.EngSince = max(cur.EngSince, cur.EngMax-c.cfg.SearchLag.Milliseconds())
	cur.EngFrom = cur.EngSince
	for id, mod := range cur.EngSeen {
		if mod < cur.EngSince {
			delete(cur.EngSeen, id)
		}
	}
	pruneMap(cur.EngSeen)
	c.endEngagements(&cur)
	return ticketsync.Page{Tickets: tickets, Cursor: c.encodeCursor(cur), More: cur.Phase != phaseSearch}, nil
}

func engagementScope(typ string) string {
	if typ == "emails" {
		return "sales-email-read"
	}
	return "crm.objects.contacts.read"
}

// engagementTickets returns the tickets each engagement is associated
// with, one v4 batch read per 1,000 engagements.
func (c *Connector) engagementTickets(ctx context.Context, typ string, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	for chunk := range slices.Chunk(ids, assocLimit) {
		inputs := make([]map[string]string, len(chunk))
		for i, id := range chunk {
			inputs[i] = map[string]string{"id": id}
		}
		var resp assocResponse
		if err := c.call(ctx, "POST", "/crm/v4/associations/"+typ+"/tickets/batch/read", nil, map[string]any{"inputs": inputs}, &resp); err != nil {
			return nil, err
		}
		for _, r := range resp.Results {
			for _, t := range r.To {
				out[string(r.From.ID)] = append(out[string(r.From.ID)], string(t.ToObjectID))
			}
		}
	}
	return out, nil
}
