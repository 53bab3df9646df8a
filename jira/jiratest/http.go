package jiratest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

// principal is who a request is served as.
type principal struct {
	anon   bool // served as the anonymous user
	failed bool // credentials were sent and failed: X-Seraph-LoginReason
}

// authenticate reads Basic (email:token) or, under /ex/jira/{cloudId},
// Bearer credentials. Wrong credentials are not refused here: Jira serves
// the request as the anonymous user and says so in X-Seraph-LoginReason.
func (s *Server) authenticate(r *http.Request, oauth bool) principal {
	h := r.Header.Get("Authorization")
	if h == "" {
		return principal{anon: true}
	}
	scheme, _, _ := strings.Cut(h, " ")
	ok := false
	switch {
	case oauth && strings.EqualFold(scheme, "Bearer"):
		ok = s.opts.OAuthToken != "" && fakeapi.CheckBearer(r, s.opts.OAuthToken)
	case !oauth && strings.EqualFold(scheme, "Basic"):
		ok = !s.revoked && fakeapi.CheckBasic(r, s.opts.Email, s.opts.Token)
	}
	if !ok {
		return principal{anon: true, failed: true}
	}
	return principal{}
}

// response is an answer being built.
type response struct {
	status int
	header http.Header
	body   []byte
}

func jsonResponse(status int, v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json;charset=UTF-8")
	return response{status: status, header: h, body: b}
}

// errorResponse is Jira's ErrorCollection.
func errorResponse(status int, messages ...string) response {
	return jsonResponse(status, map[string]any{"errorMessages": messages, "errors": map[string]string{}})
}

// serve is the fake's HTTP entry point, after the shared base has logged
// the request and applied faults: the OAuth prefix, authentication, the
// burst limit, then the endpoint.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	path := r.URL.Path
	oauth := false
	if rest, ok := strings.CutPrefix(path, "/ex/jira/"); ok {
		id, sub, _ := strings.Cut(rest, "/")
		if id != s.opts.CloudID {
			s.write(w, errorResponse(http.StatusNotFound, "Site not found"))
			return
		}
		path, oauth = "/"+sub, true
	}
	s.mu.Lock()
	who := s.authenticate(r, oauth)
	resp, rh, ok := s.rateLimitLocked()
	if ok {
		resp = s.routeLocked(r, path, body, who)
		for k, vs := range rh {
			resp.header[k] = vs
		}
	}
	if who.failed {
		resp.header.Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
	}
	s.mu.Unlock()
	s.write(w, resp)
}

// write sends resp, dated by the fake's clock.
func (s *Server) write(w http.ResponseWriter, resp response) {
	for k, vs := range resp.header {
		w.Header()[k] = vs
	}
	w.Header().Set("Date", s.Now().UTC().Format(http.TimeFormat))
	w.Header().Set("Server", "AtlassianEdge")
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// routeLocked serves one authenticated (or anonymous) request.
func (s *Server) routeLocked(r *http.Request, path string, body []byte, who principal) response {
	switch {
	case path == "/rest/api/3/myself" || path == "/rest/api/2/myself":
		if r.Method != http.MethodGet {
			return errorResponse(http.StatusMethodNotAllowed, "Method not allowed")
		}
		if who.anon {
			return errorResponse(http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
		}
		return jsonResponse(http.StatusOK, s.userJSONLocked(&s.me, "3", true))
	case path == "/rest/api/3/field" || path == "/rest/api/2/field":
		return jsonResponse(http.StatusOK, s.fieldsJSON())
	case path == "/rest/servicedeskapi/servicedesk":
		if who.anon {
			return errorResponse(http.StatusUnauthorized, "Unauthorized; scope does not match")
		}
		return s.serviceDesksLocked(r.URL.Query())
	case path == "/rest/api/3/search/jql" || path == "/rest/api/2/search/jql":
		req, err := searchRequest(r, body)
		if err != nil {
			return errorResponse(http.StatusBadRequest, "Invalid request payload. Refer to the REST API documentation and try again.")
		}
		return s.searchLocked(req, who, apiVersion(path))
	case path == "/rest/api/3/search" || path == "/rest/api/2/search" || path == "/rest/api/3/search/id" || path == "/rest/api/2/search/id":
		return errorResponse(http.StatusGone, "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
	case path == "/rest/api/3/issue/bulkfetch" || path == "/rest/api/2/issue/bulkfetch":
		if r.Method != http.MethodPost {
			return errorResponse(http.StatusMethodNotAllowed, "Method not allowed")
		}
		return s.bulkFetchLocked(body, who, apiVersion(path))
	case strings.HasPrefix(path, "/rest/api/3/issue/") || strings.HasPrefix(path, "/rest/api/2/issue/"):
		rest := path[len("/rest/api/3/issue/"):]
		if ref, ok := strings.CutSuffix(rest, "/comment"); ok && r.Method == http.MethodGet {
			return s.commentsLocked(ref, r.URL.Query(), who, apiVersion(path))
		}
	}
	return errorResponse(http.StatusNotFound, "The requested resource could not be found.")
}

func apiVersion(path string) string {
	if strings.HasPrefix(path, "/rest/api/2/") {
		return "2"
	}
	return "3"
}

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
		if (p == nil || !s.canBrowseLocked(who.anon, p.Key)) && !who.anon {
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
		if snap == nil || !s.canBrowseLocked(who.anon, snap.Project) {
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

// bulkFetchLocked serves POST /rest/api/3/issue/bulkfetch.
func (s *Server) bulkFetchLocked(body []byte, who principal, ver string) response {
	var req struct {
		IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
		Fields         []string `json:"fields"`
		Expand         []string `json:"expand"`
		FieldsByKeys   bool     `json:"fieldsByKeys"`
		Properties     []string `json:"properties"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return errorResponse(http.StatusBadRequest, "Invalid request payload. Refer to the REST API documentation and try again.")
	}
	if len(req.IssueIDsOrKeys) == 0 {
		return errorResponse(http.StatusBadRequest, "issueIdsOrKeys must not be empty.")
	}
	if len(req.IssueIDsOrKeys) > BulkFetchMax {
		return errorResponse(http.StatusBadRequest, "You can request up to 100 issues at a time.")
	}
	fields := fieldSet(req.Fields)
	if len(req.Fields) == 0 {
		fields = fieldSet([]string{"*navigable"})
	}
	var found []*Issue
	for _, ref := range req.IssueIDsOrKeys {
		is := s.lookupLocked(ref)
		if is == nil || !s.canBrowseLocked(who.anon, is.Project) || slices.Contains(found, is) {
			continue
		}
		found = append(found, is)
	}
	slices.SortFunc(found, func(a, b *Issue) int { return int(a.ID - b.ID) })
	issues := []any{}
	for _, is := range found {
		issues = append(issues, s.issueJSONLocked(is, fields, ver))
	}
	return jsonResponse(http.StatusOK, map[string]any{"expand": "", "issues": issues, "issueErrors": []any{}})
}

// lookupLocked finds a live issue by id or key (case-insensitively).
func (s *Server) lookupLocked(ref string) *Issue {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		if is, ok := s.issues[id]; ok {
			return is.cur
		}
		return nil
	}
	for _, is := range s.issues {
		if strings.EqualFold(is.cur.Key, ref) {
			return is.cur
		}
	}
	return nil
}

// commentsLocked serves GET /rest/api/3/issue/{idOrKey}/comment.
func (s *Server) commentsLocked(ref string, q url.Values, who principal, ver string) response {
	is := s.lookupLocked(ref)
	if is == nil || !s.canBrowseLocked(who.anon, is.Project) {
		return errorResponse(http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
	}
	start, _ := strconv.Atoi(q.Get("startAt"))
	limit := CommentPageMax
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errorResponse(http.StatusBadRequest, "maxResults must be a number.")
		}
		limit = n
	}
	limit = min(max(limit, 1), CommentPageMax)
	comments := slices.Clone(is.Comments)
	switch q.Get("orderBy") {
	case "", "created", "+created":
	case "-created":
		slices.Reverse(comments)
	default:
		return errorResponse(http.StatusBadRequest, "orderBy must be one of created, +created, -created.")
	}
	start = max(start, 0)
	page := []any{}
	for i := start; i < len(comments) && i < start+limit; i++ {
		page = append(page, s.commentJSONLocked(is, &comments[i], ver))
	}
	return jsonResponse(http.StatusOK, map[string]any{"startAt": start, "maxResults": limit, "total": len(comments), "comments": page})
}

// serviceDesksLocked serves GET /rest/servicedeskapi/servicedesk.
func (s *Server) serviceDesksLocked(q url.Values) response {
	start, _ := strconv.Atoi(q.Get("start"))
	limit := 50
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = min(v, 100)
	}
	var desks []*Project
	for _, p := range s.projects {
		if p.ServiceDesk && s.canBrowseLocked(false, p.Key) {
			desks = append(desks, p)
		}
	}
	values := []any{}
	for i := max(start, 0); i < len(desks) && i < start+limit; i++ {
		p := desks[i]
		values = append(values, map[string]any{
			"id": p.ServiceDeskID, "projectId": p.ID, "projectKey": p.Key, "projectName": p.Name,
			"_links": map[string]string{"self": s.URL + "/rest/servicedeskapi/servicedesk/" + p.ServiceDeskID},
		})
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"size": len(values), "start": start, "limit": limit, "isLastPage": start+len(values) >= len(desks),
		"values": values, "_links": map[string]string{"base": s.URL, "context": ""},
	})
}
