package jira

import (
	"fmt"
	"time"

	"github.com/ticketsync/ticketsync"
)

var _ ticketsync.CursorDescriber = (*Connector)(nil)

// DescribeCursor says where cursor stands, for ticketsync.Syncer.Explain,
// without a request: the search is read oldest change first, so its
// checkpoint is the newest update time it has delivered. A cursor of
// StartCursor leaves the changes before its start to the backfill lane, so
// its checkpoint is never before that start, also before its first Fetch.
func (c *Connector) DescribeCursor(text string) (ticketsync.CursorInfo, error) {
	info := ticketsync.CursorInfo{Start: c.cfg.StartTime}
	var cur cursor
	if err := c.codec().Decode(text, &cur); err != nil {
		return info, fmt.Errorf("jira: describe cursor: %w", err)
	}
	if cur.Origin != 0 {
		info.Checkpoint = time.Unix(0, cur.Origin).UTC()
	}
	if at, ok := cur.W.Checkpoint(); ok && at.After(info.Checkpoint) {
		info.Checkpoint = at
	}
	return info, nil
}

var _ ticketsync.LaneStarter = (*Connector)(nil)

// Instants StartCursor can keep (unix nanoseconds).
var (
	minOrigin = time.Unix(0, 1)
	maxOrigin = time.Unix(0, 1<<63-1)
)

// StartCursor returns a cursor whose Fetch reads the issues updated at or
// after since (and not before Config.StartTime), with all their comments,
// for the live lane of ticketsync's two-lane sync. It makes no request.
//
// The cursor keeps since as an instant: Jira reads the JQL date literal in
// the user's profile time zone, which the first Fetch reads from
// /rest/api/3/myself, as every query does, and writes the literal in,
// floored to its minute (and moved back across a daylight-saving overlap),
// so a change made in the minute of since is not lost. Its first query
// starts SearchLag before since, as every later pass re-reads the last
// SearchLag: a change made just before since that the index shows late
// is read by this lane, since the backfill lane may have passed it
// already. A since before 1970 starts where the empty cursor does.
func (c *Connector) StartCursor(since time.Time) (string, error) {
	var cur cursor
	switch {
	case since.After(maxOrigin):
		return "", fmt.Errorf("jira: start cursor: %s is too far in the future", since.UTC().Format(time.RFC3339))
	case !since.Before(minOrigin):
		cur.Origin = since.UnixNano()
	}
	return c.codec().Encode(cur), nil
}
