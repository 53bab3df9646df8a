package freshdesk

import (
	"fmt"
	"time"

	"github.com/ticketsync/ticketsync"
)

var _ ticketsync.CursorDescriber = (*Connector)(nil)

// DescribeCursor says where cursor stands, for ticketsync.Syncer.Explain
// and the progress of a backfill lane, without a request. Each of the three
// listings (live tickets, trash, spam) is read oldest change first, so it
// has read every change up to the newest update time it delivered, or up
// to its last request once a pass through it ended; the checkpoint is the
// oldest of the three, since a change after it may be a ticket deleted or
// marked as spam that the trash or spam listing has not read yet. It is
// zero until each listing has been read once. A cursor made by
// StartCursor(since) has read everything its lane is to read before since,
// so its checkpoint is never before since.
func (c *Connector) DescribeCursor(text string) (ticketsync.CursorInfo, error) {
	info := ticketsync.CursorInfo{Start: c.cfg.StartTime}
	var cur cursor
	if err := c.codec.Decode(text, &cur); err != nil {
		return info, fmt.Errorf("freshdesk: describe cursor: %w", err)
	}
	var oldest int64
	for l := range listCount {
		at := max(cur.Since, cur.Done[l])
		if t, ok := cur.W[l].Checkpoint(); ok {
			at = max(at, t.UnixMilli())
		}
		if at == 0 {
			return info, nil
		}
		if l == 0 || at < oldest {
			oldest = at
		}
	}
	info.Checkpoint = time.UnixMilli(oldest).UTC()
	return info, nil
}

var _ ticketsync.LaneStarter = (*Connector)(nil)

// StartCursor returns a cursor whose Fetch reads the tickets changed at or
// after since (not before Config.StartTime), with their conversations, and
// the tickets moved to the trash or spam since then, as a first sync from
// Config.StartTime reads them from there: for the live lane of ticketsync's
// two-lane sync. Its queries start at the start of since's second, as
// updated_at has whole seconds: a change made within it, after since, shows
// a time before since. It makes no request.
func (c *Connector) StartCursor(since time.Time) (string, error) {
	cur := cursor{Phase: firstList}
	if since.UnixMilli() > 0 { // else from Config.StartTime
		cur.Since = since.UnixMilli()
	}
	return c.codec.Encode(cur), nil
}
