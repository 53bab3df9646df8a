package zendesktest

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Limits of the Tickets and Ticket Comments APIs.
const (
	// MaxShowMany is the most ids show_many takes in one request.
	MaxShowMany = 100
	// MaxCommentPage is the largest page[size] (cursor) and per_page
	// (offset) of the comments list.
	MaxCommentPage = 100
)

func (s *Server) showTicketLocked(id int64) response {
	t, ok := s.tickets[id]
	if !ok || t.Status == "deleted" {
		return notFound()
	}
	return jsonResponse(http.StatusOK, map[string]any{"ticket": s.ticketJSON(t, false)})
}

func (s *Server) showManyLocked(q url.Values) response {
	ids, errResp := showManyIDs(q, "ticket")
	if errResp != nil {
		return *errResp
	}
	tickets := []map[string]any{}
	users := map[int64]bool{}
	for _, id := range ids {
		t, ok := s.tickets[id]
		if !ok || t.Status == "deleted" {
			continue
		}
		tickets = append(tickets, s.ticketJSON(t, false))
		users[t.RequesterID], users[t.SubmitterID], users[t.AssigneeID] = true, true, true
	}
	body := map[string]any{"tickets": tickets, "next_page": nil, "previous_page": nil, "count": len(tickets)}
	if includes(q, "users") {
		body["users"] = s.sideloadUsers(users)
	}
	return jsonResponse(http.StatusOK, body)
}

// showManyIDs reads the ids of a show_many request: a comma-separated
// list of at most MaxShowMany ids of kind, duplicates dropped.
func showManyIDs(q url.Values, kind string) ([]int64, *response) {
	fail := func(msg string) ([]int64, *response) {
		r := errorResponse(http.StatusBadRequest, "InvalidValue", msg)
		return nil, &r
	}
	raw := q.Get("ids")
	if raw == "" {
		return fail("ids is required")
	}
	var ids []int64
	for _, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil || id <= 0 {
			return fail("ids must be a comma-separated list of " + kind + " ids")
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > MaxShowMany {
		return fail("Too many ids: show_many takes at most 100")
	}
	return ids, nil
}

func commentCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c" + strconv.FormatInt(id, 10)))
}

func parseCommentCursor(c string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) < 2 || raw[0] != 'c' {
		return 0, false
	}
	id, err := strconv.ParseInt(string(raw[1:]), 10, 64)
	return id, err == nil
}

func (s *Server) commentsLocked(ticketID int64, q url.Values) response {
	t, ok := s.tickets[ticketID]
	if !ok || t.Status == "deleted" {
		return notFound()
	}
	list := slices.Clone(t.comments) // oldest first, as stored
	path := "/api/v2/tickets/" + strconv.FormatInt(ticketID, 10) + "/comments.json"
	users := map[int64]bool{}
	render := func(page []Comment) []map[string]any {
		out := make([]map[string]any, 0, len(page))
		for _, c := range page {
			out = append(out, commentJSON(c))
			users[c.AuthorID] = true
		}
		return out
	}
	cursorMode := q.Has("page[size]") || q.Has("page[after]") || q.Has("page[before]")
	var body map[string]any
	if cursorMode {
		size := 100
		if raw := q.Get("page[size]"); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n <= 0 {
				return errorResponse(http.StatusBadRequest, "InvalidPaginationParameter", "page[size] must be a positive integer")
			}
			if n > MaxCommentPage {
				return errorResponse(http.StatusBadRequest, "InvalidPaginationParameter", "page[size] must be at most 100")
			}
			size = n
		}
		if q.Get("sort") == "-created_at" {
			slices.Reverse(list)
		}
		start, stop := 0, len(list)
		if c := q.Get("page[after]"); c != "" {
			id, ok := parseCommentCursor(c)
			i := slices.IndexFunc(list, func(c Comment) bool { return c.ID == id })
			if !ok || i < 0 {
				return errorResponse(http.StatusBadRequest, "InvalidPaginationParameter", "Invalid page[after] cursor")
			}
			start = i + 1
		} else if c := q.Get("page[before]"); c != "" {
			id, ok := parseCommentCursor(c)
			i := slices.IndexFunc(list, func(c Comment) bool { return c.ID == id })
			if !ok || i < 0 {
				return errorResponse(http.StatusBadRequest, "InvalidPaginationParameter", "Invalid page[before] cursor")
			}
			stop, start = i, max(0, i-size)
		}
		end := min(start+size, stop)
		page := list[start:end]
		meta := map[string]any{"has_more": end < stop || q.Has("page[before]") && start > 0, "after_cursor": nil, "before_cursor": nil}
		links := map[string]any{"next": nil, "prev": nil}
		base := url.Values{"page[size]": {strconv.Itoa(size)}}
		for _, k := range []string{"include", "sort"} {
			if v := q.Get(k); v != "" {
				base.Set(k, v)
			}
		}
		if len(page) > 0 {
			a, b := commentCursor(page[len(page)-1].ID), commentCursor(page[0].ID)
			meta["after_cursor"], meta["before_cursor"] = a, b
			nq, pq := cloneValues(base), cloneValues(base)
			nq.Set("page[after]", a)
			pq.Set("page[before]", b)
			links["next"], links["prev"] = s.apiURL(path, nq), s.apiURL(path, pq)
		}
		body = map[string]any{"comments": render(page), "meta": meta, "links": links}
	} else {
		per := perPage(q, "per_page", 100, MaxCommentPage)
		pageNo := 1
		if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
			pageNo = n
		}
		if q.Get("sort_order") == "desc" {
			slices.Reverse(list)
		}
		start := min((pageNo-1)*per, len(list))
		end := min(start+per, len(list))
		pageURL := func(n int) any {
			v := url.Values{"page": {strconv.Itoa(n)}, "per_page": {strconv.Itoa(per)}}
			for _, k := range []string{"include", "sort_order"} {
				if x := q.Get(k); x != "" {
					v.Set(k, x)
				}
			}
			return s.apiURL(path, v)
		}
		var next, prev any
		if end < len(list) {
			next = pageURL(pageNo + 1)
		}
		if pageNo > 1 {
			prev = pageURL(pageNo - 1)
		}
		body = map[string]any{"comments": render(list[start:end]), "next_page": next, "previous_page": prev, "count": len(list)}
	}
	if includes(q, "users") {
		body["users"] = s.sideloadUsers(users)
	}
	return jsonResponse(http.StatusOK, body)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// showManyUsersLocked serves users/show_many: up to 100 ids, unknown ids
// left out.
func (s *Server) showManyUsersLocked(q url.Values) response {
	ids, errResp := showManyIDs(q, "user")
	if errResp != nil {
		return *errResp
	}
	users := []map[string]any{}
	for _, id := range ids {
		if u, ok := s.users[id]; ok {
			users = append(users, s.userJSON(u))
		}
	}
	return jsonResponse(http.StatusOK, map[string]any{"users": users, "next_page": nil, "previous_page": nil, "count": len(users)})
}
