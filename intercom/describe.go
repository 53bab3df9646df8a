package intercom

import (
	"fmt"
	"time"

	"github.com/ticketsync/ticketsync"
)

var _ ticketsync.CursorDescriber = (*Connector)(nil)

// DescribeCursor says where cursor stands, for ticketsync.Syncer.Explain
// and the backfill lane's progress, without a request. The cursor holds two
// searches, conversations and tickets, and its Checkpoint is the lesser of
// their positions: a change after it may not have been read by one of
// them. A search's results come in no documented order, so a search has
// read up to where its last finished pass began, less the five seconds
// allowed for the search index's lag; a pass in progress moves that only
// when it ends. Checkpoint is zero until both searches have finished a
// pass, except on a cursor made by StartCursor, which stands at its start
// from the first.
func (c *Connector) DescribeCursor(cursor string) (ticketsync.CursorInfo, error) {
	info := ticketsync.CursorInfo{Start: c.cfg.StartTime}
	cur, err := c.decodeCursor(cursor)
	if err != nil {
		return info, fmt.Errorf("intercom: describe cursor: %w", err)
	}
	conv, tick := cur.Conv.position(), cur.Tick.position()
	if !conv.IsZero() && !tick.IsZero() {
		info.Checkpoint = conv
		if tick.Before(conv) {
			info.Checkpoint = tick
		}
	}
	return info, nil
}

// position is the time up to which the stream has read its search's
// changes, zero when it cannot tell.
func (st stream) position() time.Time {
	var at time.Time
	switch {
	case st.Read > 0:
		at = time.UnixMilli(st.Read).UTC()
	case st.Began == 0:
		// Between passes of a cursor written before Read was kept: the
		// last pass read the changes up to the newest it saw.
		if t, ok := st.W.Checkpoint(); ok {
			at = t
		}
	}
	if st.Since > 0 {
		if since := time.UnixMilli(st.Since).UTC(); at.Before(since) {
			at = since
		}
	}
	return at
}

var _ ticketsync.LaneStarter = (*Connector)(nil)

// StartCursor returns a cursor whose first Fetch reads the conversations
// and tickets changed at or after since, each read by id with all its
// parts as in any sync, for the live lane of ticketsync's two-lane sync.
// Its searches start five seconds (the search index's allowed lag) before
// the second of since, and its later passes never go back further. A since
// before Config.StartTime starts at StartTime. It makes no request.
func (c *Connector) StartCursor(since time.Time) (string, error) {
	at := since.UnixMilli()
	if !c.cfg.StartTime.IsZero() && c.cfg.StartTime.UnixMilli() > at {
		at = c.cfg.StartTime.UnixMilli()
	}
	if at <= 0 {
		// The epoch or before: all history, as the empty cursor reads it.
		return c.codec.Encode(cursor{Phase: KindConversation}), nil
	}
	return c.codec.Encode(cursor{Phase: KindConversation, Conv: stream{Since: at}, Tick: stream{Since: at}}), nil
}
