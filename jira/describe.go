package jira

import (
	"fmt"

	"github.com/ticketsync/ticketsync"
)

var _ ticketsync.CursorDescriber = (*Connector)(nil)

// DescribeCursor says where cursor stands, for ticketsync.Syncer.Explain,
// without a request: the search is read oldest change first, so its
// checkpoint is the newest update time it has delivered.
func (c *Connector) DescribeCursor(text string) (ticketsync.CursorInfo, error) {
	info := ticketsync.CursorInfo{Start: c.cfg.StartTime}
	var cur cursor
	if err := c.codec().Decode(text, &cur); err != nil {
		return info, fmt.Errorf("jira: describe cursor: %w", err)
	}
	if at, ok := cur.W.Checkpoint(); ok {
		info.Checkpoint = at
	}
	return info, nil
}
