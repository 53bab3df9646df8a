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
	// maxRestarts is how many times one query is restarted because Jira's
	// answers show a time zone other than the one its date literal was
	// written in, before the connector writes zone-proof literals instead.
	maxRestarts = 2
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
// is valid only with it); Zone the time zone its literal was written in.
type cursor struct {
	W        incremental.Window `json:"w"`
	Query    string             `json:"q,omitempty"`
	Zone     string             `json:"z,omitempty"`
	Restarts int                `json:"r,omitempty"`
}

// policy is how Jira's search behaves for the shared window: minute
// granularity, ascending order, no page cap, and a trailing window of
// SearchLag re-read by every pass for the index's lag.
func (c *Connector) policy() incremental.Policy {
	return incremental.Policy{
		Start:       c.cfg.StartTime,
		Granularity: time.Minute,
		Ordered:     true,
		PageSize:    c.cfg.PageSize,
		Overlap:     c.cfg.SearchLag,
		MaxSeen:     maxSeen,
	}
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
	p := c.policy()
	q := cur.W.Query(p)
	if q.Page != "" && cur.Query == "" {
		return ticketsync.Page{}, fmt.Errorf("jira: fetch: %w: a page token without its query", ticketsync.ErrInvalidCursor)
	}
	op := "search issues updated since " + utcMinute(q.From)
	cf, err := c.customFieldIDs(ctx)
	if err != nil {
		return ticketsync.Page{}, wrap(op, err)
	}
	var loc *time.Location
	if q.Page == "" {
		if loc, err = c.startQuery(ctx, &cur, q.From); err != nil {
			return ticketsync.Page{}, wrap(op, err)
		}
	} else if cur.Zone != "" {
		loc, _ = time.LoadLocation(cur.Zone)
	}

	req := wireSearchRequest{JQL: cur.Query, NextPageToken: q.Page, MaxResults: c.cfg.PageSize, Fields: cf.issueFields()}
	var resp wireSearchResponse
	_, err = c.post(ctx, "/rest/api/3/search/jql", req, &resp)
	if err != nil && q.Page != "" && isBadRequest(err) {
		// The page token expired (after 7 days) or was refused: the
		// query starts over from the same point; what it re-reads is
		// skipped.
		cur.W.Restart()
		if loc, err = c.startQuery(ctx, &cur, q.From); err != nil {
			return ticketsync.Page{}, wrap(op, err)
		}
		req.JQL, req.NextPageToken = cur.Query, ""
		resp = wireSearchResponse{}
		_, err = c.post(ctx, "/rest/api/3/search/jql", req, &resp)
	}
	if err != nil {
		return ticketsync.Page{}, wrap(op, err)
	}

	zoneMoved := false
	var fresh []*wireIssue
	for i := range resp.Issues {
		is := &resp.Issues[i]
		if is.Fields == nil || !is.Fields.Updated.set {
			return ticketsync.Page{}, wrap(op, fmt.Errorf("issue %s came without its updated field", is.ID))
		}
		if loc != nil && !sameOffset(is.Fields.Updated.Time, loc) {
			zoneMoved = true
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
	var more bool
	if zoneMoved {
		// Jira writes times in the user's zone, and these are not in the
		// zone the date literal was written in: the profile's zone
		// changed, and the literal may have been read hours late. The
		// query starts over from the same point.
		cur.W.Restart()
		cur.Query, more = "", true
		cur.Restarts++
	} else {
		if more, err = cur.W.Next(p, next); err != nil {
			return ticketsync.Page{}, wrap(op, err)
		}
		if !more {
			cur.Query, cur.Zone, cur.Restarts = "", "", 0
		}
	}
	return ticketsync.Page{Tickets: tickets, Cursor: c.codec().Encode(cur), More: more}, nil
}

// startQuery begins a query at cur.From: it reads the user's time zone and
// the projects, and writes the JQL into cur.
func (c *Connector) startQuery(ctx context.Context, cur *cursor, from time.Time) (*time.Location, error) {
	me, err := c.myself(ctx)
	if err != nil {
		return nil, err
	}
	projects, err := c.projects(ctx)
	if err != nil {
		return nil, err
	}
	var loc *time.Location
	cur.Zone = ""
	if cur.Restarts < maxRestarts && me.TimeZone != "" {
		if l, err := time.LoadLocation(me.TimeZone); err == nil {
			loc, cur.Zone = l, me.TimeZone
		}
	}
	since := ""
	if from.UnixMilli() > 0 {
		since = jqlDate(from, loc)
	}
	cur.Query = buildJQL(projects, since, c.cfg.JQL)
	return loc, nil
}

// sameOffset reports whether t, as Jira wrote it, carries the offset loc
// has at that instant.
func sameOffset(t time.Time, loc *time.Location) bool {
	_, got := t.Zone()
	_, want := t.In(loc).Zone()
	return got == want
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
