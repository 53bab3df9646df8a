package zendesktest

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Page sizes of the incremental exports.
const (
	// MaxExportPage is the default and largest per_page of the ticket
	// export, and the page size of the ticket event export.
	MaxExportPage = 1000
)

// exportPos is a position in the ticket export: the next page holds the
// tickets whose (generated_timestamp, id) comes after (ts, id).
type exportPos struct {
	ts int64
	id int64
}

func (p exportPos) less(q exportPos) bool {
	return p.ts < q.ts || p.ts == q.ts && p.id < q.id
}

// The cursor is opaque to clients: base64 of a versioned text. Standard
// base64 may hold '+', '/' and '=', so a client must escape it in a query.
func encodeCursor(p exportPos) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("zt1|%d|%d", p.ts, p.id)))
}

func decodeCursor(c string) (exportPos, bool) {
	raw, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return exportPos{}, false
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != "zt1" {
		return exportPos{}, false
	}
	ts, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return exportPos{}, false
	}
	return exportPos{ts, id}, true
}

// horizon is the newest generated_timestamp an export at now may return:
// changes made within the last minute are held back.
func horizon(now time.Time) int64 { return now.Add(-HoldBack).Unix() }

// scope reads support_type_scope: which tickets an export holds. It
// reports whether AI-agent tickets are in and whether agent tickets are.
func scope(q url.Values) (ai, agent bool, errResp *response) {
	switch q.Get("support_type_scope") {
	case "", "agent":
		return false, true, nil
	case "all":
		return true, true, nil
	case "ai_agent":
		return true, false, nil
	}
	r := errorResponse(http.StatusBadRequest, "InvalidValue", "support_type_scope must be one of all, agent, ai_agent")
	return false, false, &r
}

// inScope reports whether a ticket belongs to the asked support type.
func inScope(t *ticketRecord, ai, agent bool) bool {
	if t.AIAgent {
		return ai
	}
	return agent
}

// startTime validates the start_time of an export's first request. A start
// within the hold-back is answered as the endpoint answers it: 422
// InvalidValue by the cursor-based ticket export, 400 StartTimeTooRecent by
// the time-based ticket event export.
func startTime(q url.Values, now time.Time, timeBased bool) (int64, *response) {
	raw := q.Get("start_time")
	if raw == "" {
		r := errorResponse(http.StatusBadRequest, "InvalidValue", "start_time is required")
		return 0, &r
	}
	st, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || st < 0 {
		r := errorResponse(http.StatusBadRequest, "InvalidValue", "start_time must be a Unix epoch time in seconds")
		return 0, &r
	}
	if st > horizon(now) {
		r := errorResponse(http.StatusUnprocessableEntity, "InvalidValue", "Too recent start_time. Use a start_time older than one minute")
		if timeBased {
			r = errorResponse(http.StatusBadRequest, "StartTimeTooRecent", "Too recent start_time. Use a start_time older than one minute")
		}
		return 0, &r
	}
	return st, nil
}

func perPage(q url.Values, key string, def, max int) int {
	n, err := strconv.Atoi(q.Get(key))
	if err != nil || n <= 0 {
		return def
	}
	return min(n, max)
}

func (s *Server) ticketExportLocked(q url.Values, now time.Time) response {
	var pos exportPos
	var before any
	if c := q.Get("cursor"); c != "" {
		p, ok := decodeCursor(c)
		if !ok {
			return errorResponse(http.StatusBadRequest, "InvalidPaginationParameter", "Invalid cursor")
		}
		pos, before = p, c
	} else {
		st, errResp := startTime(q, now, false)
		if errResp != nil {
			return *errResp
		}
		pos = exportPos{st, math.MinInt64}
	}
	ai, agent, errResp := scope(q)
	if errResp != nil {
		return *errResp
	}
	size := perPage(q, "per_page", MaxExportPage, MaxExportPage)
	h := horizon(now)
	excludeDeleted := q.Get("exclude_deleted") == "true"

	var matched []*ticketRecord
	for _, t := range s.tickets {
		gen := t.GeneratedAt.Unix()
		if gen > h || !pos.less(exportPos{gen, t.ID}) {
			continue
		}
		if excludeDeleted && t.Status == "deleted" || !inScope(t, ai, agent) {
			continue
		}
		matched = append(matched, t)
	}
	sort.Slice(matched, func(i, j int) bool {
		a, b := matched[i], matched[j]
		return exportPos{a.GeneratedAt.Unix(), a.ID}.less(exportPos{b.GeneratedAt.Unix(), b.ID})
	})
	end := len(matched) <= size
	page := matched[:min(size, len(matched))]

	next := exportPos{h, math.MaxInt64}
	if pos.ts > h {
		next = pos // a clock set backwards never moves a cursor back
	}
	if !end {
		last := page[len(page)-1]
		next = exportPos{last.GeneratedAt.Unix(), last.ID}
	}
	after := encodeCursor(next)
	nq := url.Values{"cursor": {after}}
	for _, k := range []string{"per_page", "include", "exclude_deleted", "support_type_scope"} {
		if v := q.Get(k); v != "" {
			nq.Set(k, v)
		}
	}
	tickets := make([]map[string]any, 0, len(page))
	users := map[int64]bool{}
	for _, t := range page {
		tickets = append(tickets, s.ticketJSON(t, true))
		users[t.RequesterID], users[t.SubmitterID], users[t.AssigneeID] = true, true, true
	}
	var beforeURL any
	if before != nil {
		beforeURL = s.apiURL("/api/v2/incremental/tickets/cursor.json", url.Values{"cursor": {before.(string)}})
	}
	body := map[string]any{
		"tickets":       tickets,
		"after_cursor":  after,
		"after_url":     s.apiURL("/api/v2/incremental/tickets/cursor.json", nq),
		"before_cursor": before,
		"before_url":    beforeURL,
		"end_of_stream": end,
	}
	if includes(q, "users") {
		body["users"] = s.sideloadUsers(users)
	}
	return jsonResponse(http.StatusOK, body)
}

func (s *Server) eventExportLocked(q url.Values, now time.Time) response {
	st, errResp := startTime(q, now, true)
	if errResp != nil {
		return *errResp
	}
	ai, agent, errResp := scope(q)
	if errResp != nil {
		return *errResp
	}
	size := perPage(q, "per_page", MaxExportPage, MaxExportPage)
	if s.opts.EventTimeoutAbove > 0 && size > s.opts.EventTimeoutAbove {
		// The page takes longer to build than the gateway waits.
		return gatewayTimeout()
	}
	h := horizon(now)
	var matched []*audit
	for i := range s.audits {
		a := &s.audits[i]
		if ts := a.At.Unix(); ts >= st && ts <= h {
			if t, ok := s.tickets[a.TicketID]; ok && !inScope(t, ai, agent) {
				continue
			}
			matched = append(matched, a)
		}
	}
	sort.Slice(matched, func(i, j int) bool {
		a, b := matched[i], matched[j]
		return a.At.Unix() < b.At.Unix() || a.At.Unix() == b.At.Unix() && a.ID < b.ID
	})
	// A page holds at most per_page events and may end inside a second;
	// next_page starts at that second, so a client sees its start again.
	// When the whole page is one second, next_page repeats the request's
	// start_time and answers the same page again: the export has no way
	// past more than per_page events in one second.
	n := min(size, len(matched))
	page := matched[:n]
	end := n == len(matched)
	endTime := st
	if n > 0 {
		endTime = page[n-1].At.Unix()
	}
	withComments := includes(q, "comment_events")
	events := make([]map[string]any, 0, n)
	for _, a := range page {
		events = append(events, s.auditJSON(a, withComments))
	}
	nq := url.Values{"start_time": {strconv.FormatInt(endTime, 10)}}
	for _, k := range []string{"per_page", "include", "support_type_scope"} {
		if v := q.Get(k); v != "" {
			nq.Set(k, v)
		}
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"ticket_events": events,
		"count":         n,
		"end_time":      endTime,
		"next_page":     s.apiURL("/api/v2/incremental/ticket_events.json", nq),
		"end_of_stream": end,
	})
}

// gatewayTimeout is what the load balancer answers when the API takes too
// long: 504 with an HTML page.
func gatewayTimeout() response {
	h := http.Header{}
	h.Set("Content-Type", "text/html")
	return response{status: http.StatusGatewayTimeout, header: h,
		body: []byte("<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n")}
}

func (s *Server) auditJSON(a *audit, withComments bool) map[string]any {
	children := make([]map[string]any, 0, len(a.Children))
	for _, c := range a.Children {
		switch c.Type {
		case "Comment":
			cm, ok := s.commentByID(a.TicketID, c.CommentID)
			if !ok {
				continue
			}
			if !withComments {
				// Without the comment_events sideload only the fact of
				// a comment and its visibility are given.
				children = append(children, map[string]any{
					"id": c.ID, "comment_present": true, "comment_public": cm.Public,
				})
				continue
			}
			m := commentJSON(cm)
			// The comment_events sideload names a comment's event type
			// after its audit event: Comment, VoiceComment,
			// FacebookComment.
			m["event_type"] = m["type"]
			m["via_reference_id"] = nil
			delete(m, "plain_body")
			delete(m, "metadata")
			children = append(children, m)
		case "CommentPrivacyChange", "CommentRedactionEvent":
			m := map[string]any{"id": c.ID, "type": c.Type, "event_type": c.Type, "comment_id": c.CommentID,
				"via": via(a.Channel), "via_reference_id": nil}
			for k, v := range c.Extra {
				m[k] = v
			}
			children = append(children, m)
		case "Create", "Change":
			m := map[string]any{
				"id": c.ID, "via": via(a.Channel), "via_reference_id": nil,
				"type": c.Type, "event_type": c.Type, "field_name": c.Field, "value": c.Value,
			}
			if c.Type == "Change" {
				m["previous_value"] = c.Previous
			}
			children = append(children, m)
		default:
			m := map[string]any{"id": c.ID, "type": c.Type, "event_type": c.Type, "via": via(a.Channel), "via_reference_id": nil}
			for k, v := range c.Extra {
				m[k] = v
			}
			children = append(children, m)
		}
	}
	return map[string]any{
		"id":                a.ID,
		"ticket_id":         a.TicketID,
		"timestamp":         a.At.Unix(),
		"created_at":        rfc3339(a.At),
		"updater_id":        a.UpdaterID,
		"via":               via(a.Channel),
		"system":            map[string]any{"client": "zendesktest", "ip_address": "127.0.0.1"},
		"event_type":        "Audit",
		"merged_ticket_ids": []int64{},
		"child_events":      children,
	}
}

func (s *Server) commentByID(ticketID, commentID int64) (Comment, bool) {
	rec, ok := s.tickets[ticketID]
	if !ok {
		return Comment{}, false
	}
	for _, c := range rec.comments {
		if c.ID == commentID {
			return c, true
		}
	}
	return Comment{}, false
}
