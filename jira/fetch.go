package jira

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ticketsync/ticketsync"
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

// cursor is the connector's position, encoded into Page.Cursor.
//
// A poll runs one query, `updated >= From` (written in the user's profile
// time zone, to the minute), oldest first, and pages through it with Jira's
// nextPageToken (Token), so any number of issues updated in the same minute
// is read without looping. When the query ends, the next one starts from
// the newest update seen (Max), but never later than SearchLag before the
// time the query began (AsOf, Jira's clock): changes the eventually
// consistent index showed late are re-read. Seen holds the versions
// delivered within that window (issue id → updated, unix ms), so that the
// re-read delivers only what is new.
type cursor struct {
	V        int              `json:"v"`
	From     int64            `json:"f"`
	Query    string           `json:"q,omitempty"`
	Token    string           `json:"t,omitempty"`
	Zone     string           `json:"z,omitempty"`
	AsOf     int64            `json:"a,omitempty"`
	Max      int64            `json:"m,omitempty"`
	Restarts int              `json:"r,omitempty"`
	Seen     map[string]int64 `json:"s,omitempty"`
}

// errBadCursor is a cursor Fetch did not write.
var errBadCursor = fmt.Errorf("jira: %w: not one this connector returned", ticketsync.ErrInvalidCursor)

func (c *Connector) startMillis() int64 {
	if c.cfg.StartTime.IsZero() {
		return 0
	}
	return c.cfg.StartTime.UnixMilli()
}

func (c *Connector) decodeCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{V: cursorVersion, From: c.startMillis()}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, errBadCursor
	}
	var cur cursor
	if err := json.Unmarshal(raw, &cur); err != nil || cur.V != cursorVersion || cur.From < 0 || (cur.Token != "" && cur.Query == "") {
		return cursor{}, errBadCursor
	}
	return cur, nil
}

func encodeCursor(cur cursor) string {
	b, err := json.Marshal(cur)
	if err != nil {
		panic(err) // strings and numbers only
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Fetch returns one page of issues updated at or after cursor, with their
// comments. See the package documentation for the requests a page costs.
func (c *Connector) Fetch(ctx context.Context, cursorText string) (ticketsync.Page, error) {
	cur, err := c.decodeCursor(cursorText)
	if err != nil {
		return ticketsync.Page{}, err
	}
	op := "search issues updated since " + utcMinute(time.UnixMilli(cur.From))
	cf, err := c.customFieldIDs(ctx)
	if err != nil {
		return ticketsync.Page{}, wrap(op, err)
	}
	var loc *time.Location
	if cur.Token == "" {
		if loc, err = c.startQuery(ctx, &cur); err != nil {
			return ticketsync.Page{}, wrap(op, err)
		}
	} else if cur.Zone != "" {
		loc, _ = time.LoadLocation(cur.Zone)
	}

	req := wireSearchRequest{JQL: cur.Query, NextPageToken: cur.Token, MaxResults: c.cfg.PageSize, Fields: cf.issueFields()}
	var resp wireSearchResponse
	h, err := c.post(ctx, "/rest/api/3/search/jql", req, &resp)
	if err != nil && cur.Token != "" && isBadRequest(err) {
		// The page token expired (after 7 days) or was refused: the
		// query starts over from the same point; what it re-reads is
		// skipped by Seen.
		cur.Token = ""
		if loc, err = c.startQuery(ctx, &cur); err != nil {
			return ticketsync.Page{}, wrap(op, err)
		}
		req.JQL, req.NextPageToken = cur.Query, ""
		resp = wireSearchResponse{}
		h, err = c.post(ctx, "/rest/api/3/search/jql", req, &resp)
	}
	if err != nil {
		return ticketsync.Page{}, wrap(op, err)
	}
	if req.NextPageToken == "" {
		cur.AsOf = serverTime(h).UnixMilli()
	}

	zoneMoved := false
	var fresh []*wireIssue
	if cur.Seen == nil {
		cur.Seen = map[string]int64{}
	}
	for i := range resp.Issues {
		is := &resp.Issues[i]
		if is.Fields == nil || !is.Fields.Updated.set {
			return ticketsync.Page{}, wrap(op, fmt.Errorf("issue %s came without its updated field", is.ID))
		}
		upd := is.Fields.Updated.UnixMilli()
		if loc != nil && cur.Zone != "" && !sameOffset(is.Fields.Updated.Time, loc) {
			zoneMoved = true
		}
		cur.Max = max(cur.Max, upd)
		if prev, ok := cur.Seen[is.ID]; ok && prev >= upd {
			continue // this version, or a newer one, was delivered
		}
		cur.Seen[is.ID] = upd
		fresh = append(fresh, is)
	}
	tickets, err := c.complete(ctx, fresh, cf)
	if err != nil {
		return ticketsync.Page{}, wrap(op, err)
	}

	more := resp.NextPageToken != "" && (resp.IsLast == nil || !*resp.IsLast)
	switch {
	case zoneMoved:
		// Jira writes times in the user's zone, and these are not in the
		// zone the date literal was written in: the profile's zone changed,
		// and the literal may have been read hours late. The query starts
		// over from the same point.
		cur.Token, cur.Query, more = "", "", true
		cur.Restarts++
	case more:
		cur.Token = resp.NextPageToken
	default:
		// The query is done: the next starts at the newest change seen,
		// but re-reads what the index may not have shown yet.
		next := min(cur.Max, cur.AsOf-c.cfg.SearchLag.Milliseconds())
		cur.From = max(cur.From, next)
		cur.Token, cur.Query, cur.Zone, cur.Restarts = "", "", "", 0
		pruneSeen(cur.Seen, cur.From-time.Minute.Milliseconds())
	}
	return ticketsync.Page{Tickets: tickets, Cursor: encodeCursor(cur), More: more}, nil
}

// startQuery begins a query at cur.From: it reads the user's time zone and
// the projects, and writes the JQL into cur.
func (c *Connector) startQuery(ctx context.Context, cur *cursor) (*time.Location, error) {
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
	if cur.From > 0 {
		since = jqlDate(time.UnixMilli(cur.From), loc)
	}
	cur.Query = buildJQL(projects, since, c.cfg.JQL)
	cur.Token = ""
	return loc, nil
}

// sameOffset reports whether t, as Jira wrote it, carries the offset loc
// has at that instant.
func sameOffset(t time.Time, loc *time.Location) bool {
	_, got := t.Zone()
	_, want := t.In(loc).Zone()
	return got == want
}

// serverTime is Jira's clock from a response's Date header, else this
// machine's.
func serverTime(h http.Header) time.Time {
	if t, err := http.ParseTime(h.Get("Date")); err == nil {
		return t
	}
	return time.Now()
}

func isBadRequest(err error) bool {
	var api *ticketsync.APIError
	return errors.As(err, &api) && api.StatusCode == http.StatusBadRequest
}

// pruneSeen forgets versions updated before cutoff, and the oldest beyond
// maxSeen.
func pruneSeen(seen map[string]int64, cutoff int64) {
	for id, upd := range seen {
		if upd < cutoff {
			delete(seen, id)
		}
	}
	if len(seen) <= maxSeen {
		return
	}
	ids := slices.Collect(maps.Keys(seen))
	slices.SortFunc(ids, func(a, b string) int {
		if seen[a] != seen[b] {
			if seen[a] > seen[b] {
				return -1
			}
			return 1
		}
		return cmpNumeric(a, b)
	})
	for _, id := range ids[maxSeen:] {
		delete(seen, id)
	}
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
