package hubspot

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"

	"github.com/ticketsync/ticketsync"
)

// readObjects batch-reads objects of one type by id, 100 at a time. Ids
// that do not exist (or are not in the archived state asked for) are left
// out.
func (c *Connector) readObjects(ctx context.Context, typ string, ids []string, props []string, archived bool) (map[string]hsObject, error) {
	out := map[string]hsObject{}
	for chunk := range slices.Chunk(ids, batchLimit) {
		in := struct {
			Inputs                []map[string]string `json:"inputs"`
			Properties            []string            `json:"properties"`
			PropertiesWithHistory []string            `json:"propertiesWithHistory"`
		}{Properties: props, PropertiesWithHistory: []string{}}
		for _, id := range chunk {
			in.Inputs = append(in.Inputs, map[string]string{"id": id})
		}
		var q url.Values
		if archived {
			q = url.Values{"archived": {"true"}}
		}
		var resp batchResponse
		if err := c.call(ctx, "POST", "/crm/v3/objects/"+typ+"/batch/read", q, in, &resp); err != nil {
			return nil, fmt.Errorf("read %d %s: %w", len(chunk), typ, err)
		}
		for _, o := range resp.Results {
			out[o.ID] = o
		}
	}
	return out, nil
}

// GetTickets returns the tickets with the given ids, as complete as Fetch
// returns them, 100 ids per batch read. A ticket in the recycle bin comes
// back as a tombstone. An id merged into another ticket, which HubSpot
// answers with the merged record under its new id, comes back as the
// merged record plus a tombstone of the old id naming it in
// Fields[FieldMergedInto]. One that no longer exists, or an id that is not
// a HubSpot id, is left out.
func (c *Connector) GetTickets(ctx context.Context, ids []string) ([]ticketsync.Ticket, error) {
	var valid []string
	for _, id := range uniq(ids) {
		if _, err := strconv.ParseInt(id, 10, 64); err == nil {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return nil, nil
	}
	found, err := c.readObjects(ctx, "tickets", valid, c.properties(), false)
	if err != nil {
		return nil, fmt.Errorf("hubspot: get tickets: %w", err)
	}
	// A merged id is answered under the id of the record it became, which
	// lists it in hs_merged_object_ids.
	answered := map[string]bool{}
	for _, o := range found {
		answered[o.ID] = true
		for _, old := range mergedIDs(o) {
			answered[old] = true
		}
	}
	var missing []string
	for _, id := range valid {
		if !answered[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		gone, err := c.readObjects(ctx, "tickets", missing, c.properties(), true)
		if err != nil {
			return nil, fmt.Errorf("hubspot: get deleted tickets: %w", err)
		}
		maps.Copy(found, gone)
	}
	objs := slices.Collect(maps.Values(found))
	slices.SortFunc(objs, func(a, b hsObject) int { return -numericDesc(a.ID, b.ID) })
	tickets, err := c.build(ctx, objs)
	if err != nil {
		return nil, fmt.Errorf("hubspot: get tickets: %w", err)
	}
	return tickets, nil
}
