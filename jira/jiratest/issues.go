package jiratest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

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
		if is == nil || !s.canBrowseLocked(who, is.Project) || slices.Contains(found, is) {
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
	if is == nil || !s.canBrowseLocked(who, is.Project) {
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
func (s *Server) serviceDesksLocked(q url.Values, who principal) response {
	start, _ := strconv.Atoi(q.Get("start"))
	limit := 50
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = min(v, 100)
	}
	var desks []*Project
	for _, p := range s.projects {
		if p.ServiceDesk && s.canBrowseLocked(who, p.Key) {
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
