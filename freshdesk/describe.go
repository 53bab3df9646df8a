package freshdesk

import (
	"fmt"

	"github.com/ticketsync/ticketsync"
)

var _ ticketsync.CursorDescriber = (*Connector)(nil)

// DescribeCursor says where cursor stands, for ticketsync.Syncer.Explain,
// without a request: the live listing is read oldest change first, so its
// checkpoint is the newest update time it has delivered.
func (c *Connector) DescribeCursor(text string) (ticketsync.CursorInfo, error) {
	info := ticketsync.CursorInfo{Start: c.cfg.StartTime}
	var cur cursor
	if err := c.codec.Decode(text, &cur); err != nil {
		return info, fmt.Errorf("freshdesk: describe cursor: %w", err)
	}
	if at, ok := cur.W[listTickets].Checkpoint(); ok {
		info.Checkpoint = at
	}
	return info, nil
}
