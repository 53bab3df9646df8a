// Package incremental is the engine of "give me what changed since T"
// APIs: an opaque, versioned cursor codec and a Window that decides which
// query to send next, which results to deliver, and when a pass is over,
// so that nothing changed at a boundary instant is lost or looped on.
//
// # How a platform package uses it
//
// The connector's cursor is a struct of its own that holds a Window (and
// whatever else the platform needs, such as a recycle-bin phase), encoded
// with a Codec that names the connector and the account:
//
//	type cursor struct {
//		W incremental.Window `json:"w"`
//	}
//
//	func (c *Connector) Fetch(ctx context.Context, s string) (ticketsync.Page, error) {
//		var cur cursor
//		if err := c.codec.Decode(s, &cur); err != nil {
//			return ticketsync.Page{}, fmt.Errorf("freshdesk: fetch: %w", err) // matches ErrInvalidCursor
//		}
//		q := cur.W.Query(c.policy)
//		cur.W.ReadAt(c.policy, time.Now()) // with Granularity coarser than a millisecond
//		items, next, err := c.list(ctx, q.From, q.Page) // updated_since=q.From, page=q.Page
//		...
//		for _, it := range items {
//			if cur.W.Observe(it.ID, it.UpdatedAt) {
//				tickets = append(tickets, mapTicket(it))
//			}
//		}
//		more, err := cur.W.Next(c.policy, next)
//		...
//		return ticketsync.Page{Tickets: tickets, Cursor: c.codec.Encode(cur), More: more}, nil
//	}
//
// The Policy says how the platform's query behaves:
//
//	Freshdesk  Policy{Granularity: time.Second, Ordered: true, RestartEvery: 1, MaxPages: 300, Skew: 2 * time.Second}
//	           (updated_since is >=, order_by=updated_at asc, page ≤ 300 of 100;
//	           page numbers shift when tickets change, so every page starts a
//	           fresh query, paging on only through a second of more than a page)
//	Jira       Policy{Granularity: time.Minute, Ordered: true, Overlap: time.Minute}
//	           (JQL updated >= "yyyy/MM/dd HH:mm" in the user's zone; search is
//	           eventually consistent, so Overlap is a few minutes)
//	Intercom   Policy{Granularity: time.Second, Overlap: 5 * time.Second}
//	           (updated_at > unix seconds: send q.After(); result order is not
//	           documented, so Ordered is false)
//	HubSpot    Policy{Granularity: time.Millisecond, Ordered: true, MaxPages: 1,
//	           TieBreak: true, Overlap: lag, Settle: time.Hour}
//	           (hs_lastmodifieddate GTE, ascending, 10,000 results per query;
//	           restarting after every page never nears the cap, and a page that
//	           all shares one instant is read by id with q.Tie)
//
// # What the Window guarantees
//
//   - A query is restarted before the platform's cap (MaxPages pages or
//     MaxResults results) from the newest change time seen, which needs
//     results in ascending order (Ordered).
//   - Results at the boundary instant are read again and skipped by id: the
//     Window remembers the ids it delivered with their change times (the
//     newest MaxSeen of those that a later query can return again). A newer
//     version of a delivered record is delivered again.
//   - A record can change again within the instant it was read at and
//     keep its change time (whole seconds): after Window.ReadAt, a record
//     whose instant had not ended when it was read is delivered again
//     when a later query returns it at that instant, until a read made
//     after the instant (and Policy.Skew) ended.
//   - When a whole query's results share one instant, a platform that can
//     filter by id (TieBreak) is asked for that instant's records by id
//     (Query.Tie); for one that cannot, Next returns an error rather than
//     loop.
//   - A pass ends when a query has no next page. The next pass starts at the
//     newest change time seen minus Overlap, so that a change that became
//     visible to search late (index lag) is still read. With Settle, a
//     re-read from the last settled point runs once changes are Settle old,
//     for lag longer than Overlap.
//
// The cursor is base64 (URL-safe) JSON holding the Codec's connector name,
// version and a hash of the account fingerprint, and a checksum: a cursor
// of another connector or account, of another version, or damaged, is an
// error matching ticketsync.ErrInvalidCursor, never a silent restart.
package incremental
