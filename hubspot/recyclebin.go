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

func (c *Connector) archivedDue(cur cursor) bool {
	if d := c.cfg.ArchivedScanInterval; d > 0 {
		return c.now().UnixMilli()-cur.ArchLast >= d.Milliseconds()
	}
	return false
}

// fetchArchived returns one page of the recycle bin: tombstones of the
// tickets archived since the last scan (minus the overlap).
func (c *Connector) fetchArchived(ctx context.Context, cur cursor) (ticketsync.Page, error) {
	q := url.Values{"archived": {"true"}, "limit": {strconv.Itoa(listLimit)}, "properties": {strings.Join(c.properties(), ",")}}
	if cur.ArchAfter != "" {
		q.Set("after", cur.ArchAfter)
	}
	var resp listResponse
	if err := c.call(ctx, "GET", "/crm/v3/objects/tickets", q, nil, &resp); err != nil {
		return ticketsync.Page{}, fmt.Errorf("hubspot: list deleted tickets: %w", err)
	}
	if cur.ArchSeen == nil {
		cur.ArchSeen = seenSet{}
	}
	if cur.ArchGone == nil {
		cur.ArchGone, cur.ArchHere = seenSet{}, seenSet{}
	}
	var gone []hsObject
	for _, o := range resp.Results {
		at := archivedMillis(o)
		cur.ArchMax = max(cur.ArchMax, at)
		if _, ok := cur.ArchGone[o.ID]; ok {
			if cur.ArchHere == nil {
				cur.ArchHere = seenSet{}
			}
			cur.ArchHere[o.ID] = at
		}
		if at < cur.ArchSince {
			continue
		}
		if prev, ok := cur.ArchSeen[o.ID]; ok && prev >= at {
			continue // delivered by an earlier scan of the overlap
		}
		cur.ArchSeen[o.ID] = at
		gone = append(gone, o)
	}
	more := resp.Paging != nil && resp.Paging.Next != nil && resp.Paging.Next.After != "" && len(resp.Results) > 0
	var restored map[string]int64
	if !more {
		// Tombstones of earlier scans that left the bin were restored
		// (whether or not the restore moved hs_lastmodifieddate, which
		// HubSpot does not document) or purged: read them live.
		restored = map[string]int64{}
		var left []string
		for id, at := range cur.ArchGone {
			if _, ok := cur.ArchHere[id]; ok {
				continue
			}
			if mod, ok := cur.Seen[id]; ok && mod > at {
				delete(cur.ArchGone, id) // search delivered it after its restore
				continue
			}
			left = append(left, id)
		}
		if len(left) > 0 {
			slices.Sort(left)
			back, err := c.readObjects(ctx, "tickets", left, c.properties(), false)
			if err != nil {
				return ticketsync.Page{}, fmt.Errorf("hubspot: read tickets gone from the recycle bin: %w", err)
			}
			for _, o := range back {
				gone = append(gone, o)
			}
			for _, id := range left {
				restored[id] = cur.ArchGone[id]
				delete(cur.ArchGone, id)
			}
		}
		cur.ArchHere = nil
	}
	tickets, err := c.build(ctx, gone)
	if err != nil {
		return ticketsync.Page{}, fmt.Errorf("hubspot: deleted tickets: %w", err)
	}
	for i, t := range tickets {
		if t.Deleted && t.Fields[FieldMergedInto] == "" {
			cur.ArchGone[t.ID] = t.UpdatedAt.UnixMilli()
		}
		// A restore that left hs_lastmodifieddate where it was must still
		// be newer than the tombstone it undoes.
		if at, ok := restored[t.ID]; ok && !t.Deleted && t.UpdatedAt.UnixMilli() <= at {
			tickets[i].UpdatedAt = time.UnixMilli(at + 1).UTC()
		}
	}
	pruneMap(cur.ArchGone)
	if more {
		cur.ArchAfter = resp.Paging.Next.After
	} else {
		cur.ArchSince = max(cur.ArchSince, cur.ArchMax-c.cfg.SearchLag.Milliseconds())
		for id, at := range cur.ArchSeen {
			if at < cur.ArchSince {
				delete(cur.ArchSeen, id)
			}
		}
		pruneMap(cur.ArchSeen)
		cur.ArchAfter, cur.ArchMax, cur.Phase = "", 0, phaseSearch
		cur.ArchLast = c.now().UnixMilli()
		cur.Rewind = true
	}
	return ticketsync.Page{Tickets: tickets, Cursor: c.encodeCursor(cur), More: more}, nil
}
