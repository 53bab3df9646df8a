package zendesk

import (
	"time"

	"github.com/ticketsync/ticketsync"
)

var _ ticketsync.CursorDescriber = (*Connector)(nil)

// DescribeCursor says where cursor stands, for ticketsync.Syncer.Explain,
// without a request. The ticket export's own position is Zendesk's opaque
// after_cursor, so a checkpoint is known only between passes: a pass that
// caught up read every change up to a minute (the export's hold-back)
// before it ended. Mid-pass, during a backfill, Checkpoint is zero.
func (c *Connector) DescribeCursor(cursor string) (ticketsync.CursorInfo, error) {
	info := ticketsync.CursorInfo{Start: c.cfg.StartTime}
	if cursor == "" {
		return info, nil
	}
	pos, err := c.decodeCursor(cursor)
	if err != nil {
		return info, err
	}
	if pos.Turn == 0 && pos.TAt > 0 {
		info.Checkpoint = time.Unix(pos.TAt, 0).Add(-time.Minute).UTC()
	}
	return info, nil
}

var _ ticketsync.LaneStarter = (*Connector)(nil)

// StartCursor returns a cursor whose first Fetch reads the tickets changed
// at or after since, with their comments (those from before since through
// the comments API, as for a first sync from Config.StartTime), for the
// live lane of ticketsync's two-lane sync. It makes no request.
func (c *Connector) StartCursor(since time.Time) (string, error) {
	at := since.Unix()
	if !c.cfg.StartTime.IsZero() && c.cfg.StartTime.Unix() > at {
		at = c.cfg.StartTime.Unix()
	}
	return c.encode(position{V: cursorVersion, Start: at, Events: at, Origin: at}), nil
}
