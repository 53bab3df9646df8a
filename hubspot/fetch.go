package hubspot

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
	"github.com/ticketsync/ticketsync/internal/incremental"
)

// Page sizes and batch limits of HubSpot's API.
const (
	searchLimit    = 200  // results per search request
	listLimit      = 100  // results per list request
	batchLimit     = 100  // ids per batch read
	assocLimit     = 1000 // ids per v4 association batch read
	maxAssocPages  = 10   // association pages followed per ticket and page
	maxSeen        = 5000 // ids the cursor remembers for the re-reads
	cursorVersion  = 3
	phaseSearch    = ""
	phaseArchived  = "archived"
	phaseThreads   = "threads"
	phaseEngage    = "engagements"
	modifiedProp   = "hs_lastmodifieddate"
	objectIDProp   = "hs_object_id"
	ownerProp      = "hubspot_owner_id"
	stageProp      = "hs_pipeline_stage"
	mergedProp     = "hs_merged_object_ids"
	ticketTypeID   = "0-5"
	defaultUIHost  = "app.hubspot.com"
	accountDetails = "/account-info/v3/details"
)

// ticketProperties are the properties every ticket read asks for.
var ticketProperties = []string{"subject", "content", "hs_pipeline", stageProp, "hs_ticket_priority",
	"hs_ticket_category", ownerProp, "source_type", "createdate", modifiedProp, "closed_date", mergedProp}

var (
	contactProperties = []string{"email", "firstname", "lastname"}
	emailProperties   = []string{"hs_timestamp", "hs_email_direction", "hs_email_subject", "hs_email_text", "hs_email_html",
		"hs_email_from_email", "hs_email_from_firstname", "hs_email_from_lastname", ownerProp}
	noteProperties = []string{"hs_timestamp", "hs_note_body", ownerProp}
)

func (c *Connector) properties() []string {
	out := slices.Clone(ticketProperties)
	for _, p := range c.cfg.Properties {
		if p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// cursor is the connector's position, encoded into Page.Cursor.
//
// The search phase asks for tickets modified at or after From (after it
// when Strict), oldest first, 200 at a time, and starts a new query from
// the newest modification time of every page instead of paging with
// "after": a query never comes near HubSpot's 10,000-result cap, and a
// ticket that changes while a sync runs cannot shift the pages under it.
// When a whole page shares one modification time, Tie pages through those
// tickets by id.
//
// Each run searches two windows in one query: the live window, from
// SearchLag before the newest change seen (Max), and the settled window,
// [Settled, the run's start minus SettleWindow), which a change has had
// SettleWindow to reach the index. What lies between the two, a hole
// [HoleFrom, HoleTo), was read by earlier runs and is left out, so a quiet
// account costs one search a run. Once a run ends, Settled moves to the
// end of its settled window: each change is read live, and read once more
// when it has settled, so a change that reached the index late, after a
// newer one, still arrives. Seen holds the ids delivered with their
// modification times since Settled, so that re-reads deliver only what
// was missed. Once search is caught up, the archived phase lists the
// recycle bin for tickets deleted since ArchSince; then Rewind makes the
// next run start over.
type cursor struct {
	V         int     `json:"v"`
	From      int64   `json:"f"`
	Strict    bool    `json:"s,omitempty"`
	Tie       *tie    `json:"t,omitempty"`
	Max       int64   `json:"m,omitempty"`
	Seen      seenSet `json:"n,omitempty"`
	Settled   int64   `json:"st,omitempty"`
	SettleTo  int64   `json:"su,omitempty"`
	HoleFrom  int64   `json:"hf,omitempty"`
	HoleTo    int64   `json:"ht,omitempty"`
	Phase     string  `json:"p,omitempty"`
	ThrSince  int64   `json:"ts,omitempty"`
	ThrAfter  string  `json:"ta,omitempty"`
	ThrFrom   int64   `json:"tf,omitempty"`
	ThrMax    int64   `json:"tm,omitempty"`
	ThrSeen   seenSet `json:"tn,omitempty"`
	EngSince  int64   `json:"es,omitempty"`
	EngFrom   int64   `json:"ef,omitempty"`
	EngType   int     `json:"et,omitempty"`
	EngMax    int64   `json:"em,omitempty"`
	EngSeen   seenSet `json:"en,omitempty"`
	ArchAfter string  `json:"aa,omitempty"`
	ArchSince int64   `json:"as,omitempty"`
	ArchMax   int64   `json:"am,omitempty"`
	ArchLast  int64   `json:"al,omitempty"`
	ArchSeen  seenSet `json:"an,omitempty"`
	// ArchGone holds the ids delivered as deleted, with their archive
	// times; ArchHere those of them the current scan found in the bin. One
	// that a scan no longer finds was restored (or purged).
	ArchGone seenSet `json:"ag,omitempty"`
	ArchHere seenSet `json:"ah,omitempty"`
	Rewind   bool    `json:"r,omitempty"`
}

// tie pages through the tickets modified at one instant, by id.
type tie struct {
	At    int64 `json:"at"`
	After int64 `json:"id"`
}

// searchFloor is the earliest time a search asks about: HubSpot is
// reported to answer 500 to date filters at the epoch, and no HubSpot
// record was modified before the company's first year.
var searchFloor = time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

func (c *Connector) startMillis() int64 {
	if c.cfg.StartTime.IsZero() {
		return searchFloor
	}
	return max(c.cfg.StartTime.UnixMilli(), searchFloor)
}

// codec writes the cursor: opaque, checksummed, and refused when it comes
// from another connector, another base URL or portal, or another layout.
func (c *Connector) codec() incremental.Codec {
	fp := c.cfg.baseURL()
	if c.cfg.PortalID != 0 {
		fp += "#" + strconv.FormatInt(c.cfg.PortalID, 10)
	}
	return incremental.Codec{Connector: Platform, Version: cursorVersion, Fingerprint: fp}
}

func (c *Connector) decodeCursor(s string) (cursor, error) {
	if s == "" {
		return c.cursorFrom(c.startMillis()), nil
	}
	var cur cursor
	if err := c.codec().Decode(s, &cur); err != nil {
		legacy, ok := c.decodeLegacyCursor(s)
		if !ok {
			return cursor{}, fmt.Errorf("hubspot: %w", err)
		}
		cur = legacy
	}
	if cur.From < searchFloor {
		cur.From = searchFloor
	}
	return cur, nil
}

// cursorFrom is the cursor of a first sync from start (unix milliseconds).
func (c *Connector) cursorFrom(start int64) cursor {
	// A first sync reads everything up to now; only what changed in the
	// last SettleWindow still needs its settled re-read.
	settled := max(start, c.now().UnixMilli()-c.cfg.SettleWindow.Milliseconds())
	// Engagements logged before now came with their tickets' first
	// read; only later ones need the engagements phase.
	eng := max(start, c.now().UnixMilli())
	return cursor{V: cursorVersion, From: start, ArchSince: start, ThrSince: start, Settled: settled, EngSince: eng, EngFrom: eng}
}

// decodeLegacyCursor reads a cursor of the versions before the shared
// codec (base64 JSON with "v" 1 or 2), so that a saved position survives
// the upgrade.
func (c *Connector) decodeLegacyCursor(s string) (cursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false
	}
	var cur cursor
	if err := json.Unmarshal(raw, &cur); err != nil || cur.V < 1 || cur.V > 2 {
		return cursor{}, false
	}
	if cur.V == 1 {
		// Written before the settled window: its runs re-read the live
		// window only, so what they delivered counts as settled.
		cur.Settled = max(cur.From, c.startMillis())
		cur.ThrSince = cur.Settled
	}
	if cur.EngSince == 0 {
		cur.EngSince = c.now().UnixMilli() - c.cfg.SearchLag.Milliseconds()
		cur.EngFrom = cur.EngSince
	}
	cur.V = cursorVersion
	return cur, true
}

func (c *Connector) encodeCursor(cur cursor) string { return c.codec().Encode(cur) }

// Fetch returns one page of tickets modified at or after cursor. See the
// package doc for the requests a page costs.
func (c *Connector) Fetch(ctx context.Context, cursorText string) (ticketsync.Page, error) {
	cur, err := c.decodeCursor(cursorText)
	if err != nil {
		return ticketsync.Page{}, err
	}
	if cur.Rewind {
		c.rewind(&cur)
	}
	switch cur.Phase {
	case phaseArchived:
		return c.fetchArchived(ctx, cur)
	case phaseThreads:
		return c.fetchThreads(ctx, cur)
	case phaseEngage:
		return c.fetchEngagements(ctx, cur)
	}
	return c.fetchSearch(ctx, cur)
}

// rewind starts a run: the live window from SearchLag before the newest
// change seen, and the settled window up to SettleWindow before now, with
// the hole between them left out.
func (c *Connector) rewind(cur *cursor) {
	cur.Rewind = false
	live := max(c.startMillis(), cur.Max-c.cfg.SearchLag.Milliseconds())
	cur.From, cur.Strict, cur.Tie, cur.Phase = live, false, nil, phaseSearch
	cur.HoleFrom, cur.HoleTo, cur.SettleTo = 0, 0, 0
	if c.cfg.SettleWindow <= 0 {
		return
	}
	to := c.now().UnixMilli() - c.cfg.SettleWindow.Milliseconds()
	if to <= cur.Settled {
		return
	}
	cur.SettleTo = to
	cur.From = min(cur.Settled, live)
	if to < live {
		cur.HoleFrom, cur.HoleTo = to, live
	}
}

func millisText(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
}

func (c *Connector) fetchSearch(ctx context.Context, cur cursor) (ticketsync.Page, error) {
	if cur.HoleTo != 0 && cur.From >= cur.HoleFrom {
		// The settled window is read; go on with the live one.
		if cur.From < cur.HoleTo {
			cur.From, cur.Strict, cur.Tie = cur.HoleTo, false, nil
		}
		cur.HoleFrom, cur.HoleTo = 0, 0
	}
	req := searchRequest{Properties: c.properties(), Limit: searchLimit}
	var what string
	if cur.Tie != nil {
		req.FilterGroups = []filterGroup{{Filters: []filter{
			{PropertyName: modifiedProp, Operator: "EQ", Value: strconv.FormatInt(cur.Tie.At, 10)},
			{PropertyName: objectIDProp, Operator: "GT", Value: strconv.FormatInt(cur.Tie.After, 10)},
		}}}
		req.Sorts = []searchSort{{PropertyName: objectIDProp, Direction: "ASCENDING"}}
		what = fmt.Sprintf("modified at %s after id %d", millisText(cur.Tie.At), cur.Tie.After)
	} else {
		op := "GTE"
		if cur.Strict {
			op = "GT"
		}
		from := filter{PropertyName: modifiedProp, Operator: op, Value: strconv.FormatInt(cur.From, 10)}
		req.FilterGroups = []filterGroup{{Filters: []filter{from}}}
		what = "modified since " + millisText(cur.From)
		if cur.HoleTo != 0 {
			req.FilterGroups = []filterGroup{
				{Filters: []filter{from, {PropertyName: modifiedProp, Operator: "LT", Value: strconv.FormatInt(cur.HoleFrom, 10)}}},
				{Filters: []filter{{PropertyName: modifiedProp, Operator: "GTE", Value: strconv.FormatInt(cur.HoleTo, 10)}}},
			}
			what += " (but not from " + millisText(cur.HoleFrom) + " to " + millisText(cur.HoleTo) + ")"
		}
		req.Sorts = []searchSort{{PropertyName: modifiedProp, Direction: "ASCENDING"}}
	}
	var resp searchResponse
	if err := c.call(ctx, "POST", "/crm/v3/objects/tickets/search", nil, req, &resp, httpx.WithLimiter(c.search)); err != nil {
		return ticketsync.Page{}, fmt.Errorf("hubspot: search tickets %s: %w", what, err)
	}
	if cur.Seen == nil {
		cur.Seen = seenSet{}
	}
	var fresh []hsObject
	var lastMod int64 = -1
	allAtFrom := true
	for _, o := range resp.Results {
		mod := o.modified()
		lastMod = mod
		if mod != cur.From {
			allAtFrom = false
		}
		cur.Max = max(cur.Max, mod)
		if prev, ok := cur.Seen[o.ID]; ok && prev >= mod {
			continue // this version (or a newer one) was delivered
		}
		cur.Seen[o.ID] = mod
		fresh = append(fresh, o)
	}
	more := resp.Paging != nil && resp.Paging.Next != nil && len(resp.Results) > 0
	switch {
	case cur.Tie != nil:
		if n := len(resp.Results); n > 0 {
			id, err := strconv.ParseInt(resp.Results[n-1].ID, 10, 64)
			if err != nil {
				return ticketsync.Page{}, fmt.Errorf("hubspot: search tickets %s: ticket id %q is not a number", what, resp.Results[n-1].ID)
			}
			cur.Tie.After = id
		}
		if !more {
			cur.From, cur.Strict, cur.Tie = cur.Tie.At, true, nil
		}
		more = true
	case len(resp.Results) == 0:
	case more && allAtFrom && !cur.Strict:
		// A whole page modified at one instant: page through it by id.
		cur.Tie = &tie{At: cur.From}
	default:
		cur.From, cur.Strict = lastMod, false
	}

	tickets, err := c.build(ctx, fresh)
	if err != nil {
		return ticketsync.Page{}, fmt.Errorf("hubspot: tickets %s: %w", what, err)
	}
	if !more {
		if cur.SettleTo > cur.Settled {
			cur.Settled = cur.SettleTo
		}
		cur.SettleTo, cur.HoleFrom, cur.HoleTo = 0, 0, 0
		if c.cfg.SkipConversations {
			c.endThreads(&cur)
		} else {
			cur.Phase, cur.ThrAfter, cur.ThrMax, cur.ThrFrom = phaseThreads, "", cur.ThrSince, 0
		}
		more = cur.Phase != phaseSearch
	}
	c.pruneSeen(&cur)
	return ticketsync.Page{Tickets: tickets, Cursor: c.encodeCursor(cur), More: more}, nil
}

// pruneSeen keeps the ids delivered within the windows still to be read
// again, at most maxSeen of them, the newest.
func (c *Connector) pruneSeen(cur *cursor) {
	cutoff := min(cur.Max-c.cfg.SearchLag.Milliseconds(), cur.From)
	if c.cfg.SettleWindow > 0 {
		cutoff = min(cutoff, cur.Settled)
	}
	for id, mod := range cur.Seen {
		if mod < cutoff {
			delete(cur.Seen, id)
		}
	}
	pruneMap(cur.Seen)
}

// pruneMap keeps the maxSeen entries with the greatest times. A change
// forgotten this way is delivered again by a re-read: it costs requests,
// never a ticket.
func pruneMap(m map[string]int64) {
	if len(m) <= maxSeen {
		return
	}
	ids := slices.Collect(maps.Keys(m))
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b))
	})
	for _, id := range ids[maxSeen:] {
		delete(m, id)
	}
}

// endThreads moves on from the threads phase to the engagements phase.
func (c *Connector) endThreads(cur *cursor) {
	cur.Phase, cur.EngType, cur.EngFrom = phaseEngage, 0, cur.EngSince
	if c.cfg.MaxCommentsPerTicket < 0 {
		c.endEngagements(cur)
	}
}

// endEngagements moves on from the engagements phase: to the recycle bin
// when a scan is due, else to the end of the run.
func (c *Connector) endEngagements(cur *cursor) {
	if c.archivedDue(*cur) {
		cur.Phase, cur.ArchAfter, cur.ArchMax = phaseArchived, "", cur.ArchSince
		return
	}
	cur.Phase, cur.Rewind = phaseSearch, true
}
