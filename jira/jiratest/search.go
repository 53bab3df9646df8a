package jiratest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// searchReq is a search request from a query string or a JSON body.
type searchReq struct {
	JQL           string   `json:"jql"`
	NextPageToken string   `json:"nextPageToken"`
	MaxResults    *int     `json:"maxResults"`
	Fields        []string `json:"fields"`
	Expand        string   `json:"expand"`
}

func searchRequest(r *http.Request, body []byte) (searchReq, error) {
	var req searchReq
	if r.Method == http.MethodPost {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return req, err
		}
		return req, nil
	}
	q := r.URL.Query()
	req.JQL, req.NextPageToken, req.Expand = q.Get("jql"), q.Get("nextPageToken"), q.Get("expand")
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return req, err
		}
		req.MaxResults = &n
	}
	for _, f := range q["fields"] {
		req.Fields = append(req.Fields, strings.Split(f, ",")...)
	}
	return req, nil
}

// pageToken is the fake's nextPageToken: where the previous page ended, in
// the query's order, so a page is never shifted by changes between
// requests. It is bound to its query and expires.
type pageToken struct {
	Query   string `json:"q"`
	ID      int64  `json:"i"`
	Key     string `json:"k"`
	Updated int64  `json:"u"`
	Created int64  `json:"c"`
	Expires int64  `json:"e"`
}

func (s *Server) encodeToken(t pageToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) (pageToken, bool) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.ID == 0 {
		return t, false
	}
	return t, true
}

// searchLocked serves the enhanced search.
func (s *Server) searchLocked(req searchReq, who principal, ver string) response {
	if strings.TrimSpace(req.JQL) == "" {
		return errorResponse(http.StatusBadRequest, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
	}
	q, err := parseJQL(req.JQL, s.zone, s.Now(), s.opts.AmbiguousEarlier)
	var je *jqlError
	if errors.As(err, &je) {
		return errorResponse(http.StatusBadRequest, je.msg)
	}
	if q.where == nil {
		return errorResponse(http.StatusBadRequest, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
	}
	for _, v := range projectsNamed(q.where) {
		p := s.projectLocked(v.text)
		if (p == nil || !s.canBrowseLocked(who, p.Key)) && !who.anon {
			return errorResponse(http.StatusBadRequest, "The value '"+v.text+"' does not exist for the field 'project'.")
		}
	}
	fields := fieldSet(req.Fields)
	limit := 50
	if req.MaxResults != nil {
		limit = *req.MaxResults
	}
	cap := DefaultSearchMaxResults
	if fields.idsOnly() {
		cap = IDSearchMaxResults
	}
	limit = min(max(limit, 1), cap)

	var after *Issue
	if req.NextPageToken != "" {
		t, ok := decodeToken(req.NextPageToken)
		if !ok || t.Query != req.JQL || s.Now().UnixMilli() > t.Expires {
			return errorResponse(http.StatusBadRequest, "The provided next page token is invalid or expired.")
		}
		after = &Issue{ID: t.ID, Key: t.Key, Updated: time.Unix(0, t.Updated), Created: time.Unix(0, t.Created)}
	}

	ctx := &evalContext{s: s}
	type hit struct {
		snap *Issue
		cur  *Issue
	}
	var hits []hit
	for _, is := range s.issues {
		snap := is.indexed(s.Now())
		if snap == nil || !s.canBrowseLocked(who, snap.Project) {
			continue
		}
		if !q.where.match(ctx, snap) {
			continue
		}
		if after != nil && q.compareIssues(snap, after) <= 0 {
			continue
		}
		hits = append(hits, hit{snap: snap, cur: is.cur})
	}
	slices.SortFunc(hits, func(a, b hit) int { return q.compareIssues(a.snap, b.snap) })

	out := map[string]any{}
	issues := []any{}
	for i, h := range hits {
		if i == limit {
			last := hits[i-1].snap
			out["nextPageToken"] = s.encodeToken(pageToken{Query: req.JQL, ID: last.ID, Key: last.Key,
				Updated: last.Updated.UnixNano(), Created: last.Created.UnixNano(), Expires: s.Now().Add(PageTokenLifetime).UnixMilli()})
			break
		}
		// The index finds the issue; its fields are read from the
		// database, so they may be newer than what matched.
		issues = append(issues, s.issueJSONLocked(h.cur, fields, ver))
	}
	out["issues"] = issues
	out["isLast"] = out["nextPageToken"] == nil
	return jsonResponse(http.StatusOK, out)
}
