package hubspot

import (
	"time"

	"github.com/ticketsync/ticketsync"
)

var _ ticketsync.CursorDescriber = (*Connector)(nil)

// DescribeCursor says where cursor stands, for ticketsync.Syncer.Explain,
// without a request: the search reads changes oldest first, so its
// checkpoint is the newest modification time it has delivered.
func (c *Connector) DescribeCursor(cursor string) (ticketsync.CursorInfo, error) {
	info := ticketsync.CursorInfo{Start: c.cfg.StartTime}
	if cursor == "" {
		return info, nil
	}
	cur, err := c.decodeCursor(cursor)
	if err != nil {
		return info, err
	}
	if cur.Max > 0 {
		info.Checkpoint = time.UnixMilli(cur.Max).UTC()
	}
	return info, nil
}

var _ ticketsync.LaneStarter = (*Connector)(nil)

// StartCursor returns a cursor whose first Fetch reads the tickets modified
// at or after since, as a first sync from Config.StartTime would, for the
// live lane of ticketsync's two-lane sync. It makes no request.
//
// The cursor's newest change seen starts at since: each run starts its
// search SearchLag before the newest change seen, and one that had seen
// none would start the next run from Config.StartTime, walking the history
// that the backfill lane walks.
func (c *Connector) StartCursor(since time.Time) (string, error) {
	cur := c.cursorFrom(max(since.UnixMilli(), c.startMillis()))
	cur.Max = cur.From
	return c.encodeCursor(cur), nil
}
