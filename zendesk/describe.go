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
	if pos.Origin > 0 {
		info.Start = time.Unix(pos.Origin, 0).UTC()
	}
	if pos.Turn == 0 && pos.TAt > 0 {
		info.Checkpoint = time.Unix(pos.TAt, 0).Add(-time.Minute).UTC()
	}
	return info, nil
}
