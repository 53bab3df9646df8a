package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/incremental"
)

// Cursor limits.
const (
	cursorVersion = 1
	// maxSeen bounds the delivered versions a cursor remembers; beyond it the
	// oldest are forgotten and may be delivered a second time (harmless: the
	// Store keeps the newest copy).
	maxSeen = 5000
)

// cursor is the connector's position, encoded into Page.Cursor by the
// shared changed-since window (internal/incremental).
//
// A pass runs one query, `updated >= From` (written in the user's profile
// time zone, to the minute), oldest first, and pages through it with Jira's
// nextPageToken, so any number of issues updated in the same minute is read
// without looping. The next pass starts SearchLag before the newest update
// seen, so that changes the eventually consistent index showed late are
// read; the window remembers the versions it delivered and skips them on
// the re-read. Query is the JQL of the pass's current query (a page token
// is valid only with it); Zone is the time zone the latest query's date
// literal was written in and Since the checkpoint it was written for
// (unix ms), so that the next query can tell the zone changed under it.
//
// Origin, set by StartCursor only, is the instant (unix ns, UTC) the cursor
// was started at for a live lane: its passes start SearchLag before it
// rather than at Config.StartTime (see startOf). It is an instant, not a
// date literal: the zone to write it in is known only when the first Fetch
// reads /myself.
type cursor struct {
	W      incremental.Window `json:"w"`
	Query  string             `json:"q,omitempty"`
	Zone   string             `json:"z,omitempty"`
	Since  int64              `json:"s,omitempty"`
	Origin int64              `json:"o,omitempty"`
}

// policy is how Jira's search behaves for the shared window over cur:
// minute granularity, ascending order, no page cap, and a trailing window
// of SearchLag re-read by every pass for the index's lag.
func (c *Connector) policy(cur *cursor) incremental.Policy {
	return incremental.Policy{
		Start:       c.startOf(cur),
		Granularity: time.Minute,
		Ordered:     true,
		PageSize:    c.cfg.PageSize,
		Overlap:     c.cfg.SearchLag,
		MaxSeen:     maxSeen,
	}
}

// startOf is where cur's passes start reading: Config.StartTime, or, for a
// cursor of StartCursor, SearchLag before its Origin (never before
// Config.StartTime). The window's minute granularity then floors it, so a
// change made in the minute of the start, before or after it, is read.
func (c *Connector) startOf(cur *cursor) time.Time {
	if cur.Origin == 0 {
		return c.cfg.StartTime
	}
	from := time.Unix(0, cur.Origin).UTC().Add(-c.cfg.SearchLag)
	if from.Before(c.cfg.StartTime) {
		return c.cfg.StartTime
	}
	return from
}

func (c *Connector) codec() incremental.Codec {
	return incremental.Codec{Connector: Platform, Version: cursorVersion, Fingerprint: c.cfg.apiRoot}
}

// Fetch returns one page of issues updated at or after cursor, with their
// comments. See the package documentation for the requests a page costs.
func (c *Connector) Fetch(ctx context.Context, cursorText string) (ticketsync.Page, error) {
	var cur cursor
	if err := c.codec().Decode(cursorText, &cur); err != nil {
		return ticketsync.Page{}, fmt.Errorf("jira: fetch: %w", err)
	}
	p := c.policy(&cur)
	q := cur.W.Query(p)
	if q.Page != "" && cur.Query == "" {
		return ticketsync.Page{}, fmt.Errorf("jira: fetch: %w: a page token without its query", ticketsync.ErrInvalidCursor)
	}
	op := "search issues updated since " + utcMinute(q.From)
	cf, err := c.customFieldIDs(ctx)
	if err != nil {
		return ticketsync.Page{}, wrap(op, err)
	}
	if q.Page == "" {
		if err = c.startQuery(ctx, &cur, q.From); err != nil {
			return ticketsync.Page{}, wrap(op, err)
		}
	}

	req := wireSearchRequest{JQL: cur.Query, NextPageToken: q.Page, MaxResults: c.cfg.PageSize, Fields: cf.issueFields()}
	var resp wireSearchResponse
	_, err = c.post(ctx, "/rest/api/3/search/jql", req, &resp)
	if err != nil && q.Page != "" && isBadRequest(err) {
		// The page token expired (after 7 days) or was refused: the
		// query starts over from the same point; what it re-reads is
		// skipped.
		cur.W.Restart()
		if err = c.startQuery(ctx, &cur, q.From); err != nil {
			return ticketsync.Page{}, wrap(op, err)
		}
		req.JQL, req.NextPageToken = cur.Query, ""
		resp = wireSearchResponse{}
		_, err = c.post(ctx, "/rest/api/3/search/jql", req, &resp)
	}
	if err != nil {
		return ticketsync.Page{}, wrap(op, err)
	}

	var fresh []*wireIssue
	for i := range resp.Issues {
		is := &resp.Issues[i]
		if is.Fields == nil || !is.Fields.Updated.set {
			return ticketsync.Page{}, wrap(op, fmt.Errorf("issue %s came without its updated field", is.ID))
		}
		if cur.W.Observe(is.ID, is.Fields.Updated.Time) {
			fresh = append(fresh, is)
		}
	}
	tickets, err := c.complete(ctx, fresh, cf)
	if err != nil {
		return ticketsync.Page{}, wrap(op, err)
	}

	next := resp.NextPageToken
	if resp.IsLast != nil && *resp.IsLast {
		next = ""
	}
	more, err := cur.W.Next(p, next)
	if err != nil {
		return ticketsync.Page{}, wrap(op, err)
	}
	if !more {
		cur.Query = ""
	}
	return ticketsync.Page{Tickets: tickets, Cursor: c.codec().Encode(cur), More: more}, nil
}

// startQuery begins a query at from: it reads the user's time zone and the
// projects, and writes the JQL into cur.
//
// Jira reads the date literal in the user's profile zone at the time of
// the search. When that zone is not the one the previous query's literal
// was written in, the profile changed since that query began, maybe before
// Jira read its literal, which could then have named a later instant than
// meant: this query starts from the previous one's checkpoint instead, and
// what it reads again is skipped as delivered.
func (c *Connector) startQuery(ctx context.Context, cur *cursor, from time.Time) error {
	me, err := c.myself(ctx)
	if err != nil {
		return err
	}
	projects, err := c.projects(ctx)
	if err != nil {
		return err
	}
	if cur.Zone != "" && me.TimeZone != cur.Zone && cur.Since < from.UnixMilli() {
		from = time.UnixMilli(cur.Since)
	}
	cur.Zone, cur.Since = me.TimeZone, from.UnixMilli()
	since := ""
	if from.UnixMilli() > 0 {
		since = c.sinceLiteral(from, me.TimeZone)
	}
	cur.Query = buildJQL(projects, since, c.cfg.JQL)
	return nil
}

// sinceLiteral writes from for the JQL clause updated >= …: a date literal
// in the user's zone, to the minute, or, when this machine does not know
// the zone (no time zone database), epoch milliseconds, which JQL reads as
// an instant in any zone.
func (c *Connector) sinceLiteral(from time.Time, zone string) string {
	if zone != "" {
		if loc, err := time.LoadLocation(zone); err == nil {
			return quoteJQL(jqlDate(from, loc))
		}
	}
	return strconv.FormatInt(from.UnixMilli(), 10)
}

func isBadRequest(err error) bool {
	var api *ticketsync.APIError
	return errors.As(err, &api) && api.StatusCode == http.StatusBadRequest
}

// complete maps issues to tickets and loads the comments Jira left out of
// an issue's comment field.
func (c *Connector) complete(ctx context.Context, issues []*wireIssue, cf customFields) ([]ticketsync.Ticket, error) {
	out := make([]ticketsync.Ticket, 0, len(issues))
	for _, is := range issues {
		t := c.toTicket(is, cf)
		if cp := is.Fields.Comment; cp != nil && cp.Total > len(cp.Comments) {
			all, err := c.comments(ctx, is.ID)
			switch {
			case errors.Is(err, ticketsync.ErrNotFound):
				// Deleted since: keep what the search returned.
			case err != nil:
				return nil, err
			default:
				t.Comments = mapComments(all)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// commentPageSize is the most comments GET /rest/api/3/issue/{id}/comment
// returns a page.
const commentPageSize = 100

// comments reads all comments of an issue, oldest first, 100 a page.
func (c *Connector) comments(ctx context.Context, issueID string) ([]wireComment, error) {
	var all []wireComment
	start := 0
	for range 10000 {
		var page wireCommentPage
		q := map[string][]string{"startAt": {strconv.Itoa(start)}, "maxResults": {strconv.Itoa(commentPageSize)}, "orderBy": {"created"}}
		if _, err := c.get(ctx, "/rest/api/3/issue/"+issueID+"/comment", q, &page); err != nil {
			return nil, fmt.Errorf("read comments of issue %s: %w", issueID, err)
		}
		all = append(all, page.Comments...)
		start += len(page.Comments)
		if len(page.Comments) == 0 || start >= page.Total {
			break
		}
	}
	return all, nil
}
