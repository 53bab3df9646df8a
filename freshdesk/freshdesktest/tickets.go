package freshdesktest

import (
	"fmt"
	"hash/fnv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

const timeLayout = "2006-01-02T15:04:05Z"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// plainText is the fake's own rendering of HTML as text: tags dropped,
// entities decoded, spaces collapsed.
func plainText(h string) string {
	h = strings.NewReplacer("<br>", "\n", "<br/>", "\n", "<br />", "\n", "</p>", "\n", "</div>", "\n").Replace(h)
	lines := strings.Split(html.UnescapeString(tagRE.ReplaceAllString(h, "")), "\n")
	var out []string
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func htmlEscape(s string) string { return html.EscapeString(s) }

func (s *Server) agentJSON(a *Agent) map[string]any {
	created := s.now().Add(-400 * 24 * time.Hour)
	return map[string]any{
		"id": a.ID, "available": true, "occasional": false, "signature": nil,
		"ticket_scope": a.TicketScope, "group_ids": []int64{}, "role_ids": []int64{43000012345},
		"skill_ids": []int64{}, "type": "support_agent", "available_since": nil,
		"created_at": ts(created), "updated_at": ts(created),
		"contact": map[string]any{
			"active": true, "email": a.Email, "name": a.Name, "language": "en", "time_zone": "Eastern Time (US & Canada)",
			"job_title": nil, "mobile": nil, "phone": nil, "last_login_at": ts(created),
			"created_at": ts(created), "updated_at": ts(created),
		},
	}
}

// ticketJSON renders a ticket as the list and show endpoints do.
// description says whether description and description_text are included.
func (s *Server) ticketJSON(t *Ticket, description bool, embeds []string) map[string]any {
	tags := t.Tags
	if tags == nil {
		tags = []string{}
	}
	custom := map[string]any{}
	for _, f := range s.fields {
		custom[f.Name] = nil
	}
	for k, v := range t.CustomFields {
		custom[k] = v
	}
	m := map[string]any{
		"id": t.ID, "subject": t.Subject, "status": t.Status, "priority": t.Priority, "source": t.Source,
		"type": nullString(t.Type), "requester_id": t.RequesterID, "responder_id": nullID(t.ResponderID),
		"group_id": nullID(t.GroupID), "company_id": nullID(t.CompanyID), "product_id": nil,
		"email_config_id": nil, "cc_emails": []string{}, "fwd_emails": []string{}, "reply_cc_emails": []string{},
		"ticket_cc_emails": []string{}, "to_emails": nil, "support_email": nil, "fr_escalated": false,
		"spam": t.Spam, "is_escalated": false, "nr_escalated": false, "tags": tags,
		"due_by": ts(t.CreatedAt.Add(72 * time.Hour)), "fr_due_by": ts(t.CreatedAt.Add(24 * time.Hour)), "nr_due_by": nil,
		"custom_fields": custom, "associated_tickets_count": nil, "association_type": nil,
		"created_at": ts(t.CreatedAt), "updated_at": ts(t.UpdatedAt),
	}
	if t.Deleted {
		m["deleted"] = true
	}
	if description {
		m["description"] = t.Description
		m["description_text"] = t.DescriptionText
	}
	for _, e := range embeds {
		switch e {
		case "requester":
			if c, ok := s.contacts[t.RequesterID]; ok {
				m["requester"] = map[string]any{"id": c.ID, "name": c.Name, "email": c.Email, "mobile": nil, "phone": nullString(c.Phone)}
			}
		case "stats":
			m["stats"] = map[string]any{"agent_responded_at": nil, "requester_responded_at": nil, "first_responded_at": nil,
				"status_updated_at": ts(t.UpdatedAt), "reopened_at": nil, "resolved_at": nil, "closed_at": nil, "pending_since": nil}
		case "company":
			m["company"] = nil
		}
	}
	return m
}

// visibleLocked reports whether the API key's agent may see t under its
// ticket scope: every ticket (1), its groups' and its own (2, the fake's
// agent belongs to no group), or its own (3).
func (s *Server) visibleLocked(agent int64, t *Ticket) bool {
	switch s.agents[agent].TicketScope {
	case 2, 3:
		return t.ResponderID == agent
	}
	return true
}

var (
	listIncludes = []string{"requester", "stats", "description", "company"}
	showIncludes = []string{"conversations", "requester", "company", "stats"}
	orderBys     = []string{"created_at", "due_by", "updated_at", "status"}
	filters      = []string{"new_and_my_open", "watching", "spam", "deleted"}
)

// pageParams reads page and per_page with the shared reader, answering
// Freshdesk's validation body for values it refuses.
func pageParams(q url.Values, maxPer int) (page, per int, bad *response) {
	page, per, err := fakeapi.PageParams(q, "page", "per_page", 30, maxPer)
	if err != nil {
		field, msg := "page", "It should be a Positive Number"
		if strings.HasPrefix(err.Error(), "per_page") {
			field, msg = "per_page", "It should be a Positive Number less than or equal to "+strconv.Itoa(maxPer)
		}
		r := validationError(fieldError{field, msg, "invalid_value"})
		return 0, 0, &r
	}
	return page, per, nil
}

// listTicketsLocked serves GET /api/v2/tickets.
func (s *Server) listTicketsLocked(r *http.Request, agent int64, now time.Time) response {
	q := r.URL.Query()
	page, per, bad := pageParams(q, 100)
	if bad != nil {
		return *bad
	}
	var errs []fieldError
	orderBy := q.Get("order_by")
	if orderBy == "" {
		orderBy = "created_at"
	} else if !slices.Contains(orderBys, orderBy) {
		errs = append(errs, fieldError{"order_by", "It should be one of these values: 'created_at,due_by,updated_at,status'", "invalid_value"})
	}
	orderType := q.Get("order_type")
	if orderType == "" {
		orderType = "desc"
	} else if orderType != "asc" && orderType != "desc" {
		errs = append(errs, fieldError{"order_type", "It should be one of these values: 'asc,desc'", "invalid_value"})
	}
	embeds := includes(q)
	for _, e := range embeds {
		if !slices.Contains(listIncludes, e) {
			errs = append(errs, fieldError{"include", "It should be one of these values: 'requester,stats,company,description'", "invalid_value"})
			break
		}
	}
	filter := q.Get("filter")
	if filter != "" && !slices.Contains(filters, filter) {
		errs = append(errs, fieldError{"filter", "It should be one of these values: 'new_and_my_open,watching,spam,deleted'", "invalid_value"})
	}
	var since time.Time
	hasSince := q.Has("updated_since")
	if hasSince {
		t, err := time.Parse(time.RFC3339, q.Get("updated_since"))
		if err != nil {
			errs = append(errs, fieldError{"updated_since", "It should be in the 'valid date' format", "invalid_date"})
		}
		since = t
	}
	if len(errs) > 0 {
		return validationError(errs...)
	}
	if page > s.maxPage {
		return validationError(fieldError{"page", fmt.Sprintf("You cannot access tickets beyond the %s page. Please provide a smaller page number.", ordinal(s.maxPage)), "invalid_value"})
	}

	key := func(t *Ticket) int64 {
		switch orderBy {
		case "updated_at":
			return t.UpdatedAt.Unix()
		case "due_by":
			return t.CreatedAt.Add(72 * time.Hour).Unix()
		case "status":
			return int64(t.Status)
		}
		return t.CreatedAt.Unix()
	}
	type entry struct {
		t   *Ticket
		key int64
		tie uint64
	}
	var match []entry
	for _, rec := range s.tickets {
		t := &rec.Ticket
		switch filter {
		case "deleted":
			if !t.Deleted {
				continue
			}
		case "spam":
			if !t.Spam || t.Deleted {
				continue
			}
		default:
			if t.Deleted || t.Spam {
				continue
			}
		}
		if !s.visibleLocked(agent, t) {
			continue
		}
		if hasSince {
			if t.UpdatedAt.Before(since) || s.opts.StrictSince && t.UpdatedAt.Equal(since) {
				continue
			}
		} else if t.CreatedAt.Before(now.Add(-30 * 24 * time.Hour)) {
			// Without updated_since, only tickets created in the last
			// 30 days.
			continue
		}
		if v := q.Get("requester_id"); v != "" && v != strconv.FormatInt(t.RequesterID, 10) {
			continue
		}
		if v := q.Get("company_id"); v != "" && v != strconv.FormatInt(t.CompanyID, 10) {
			continue
		}
		match = append(match, entry{t: t, key: key(t), tie: rec.tie})
	}
	slices.SortFunc(match, func(a, b entry) int {
		if a.key != b.key {
			if orderType == "asc" == (a.key < b.key) {
				return -1
			}
			return 1
		}
		// Freshdesk documents no order among equal keys: the fake's is
		// neither by id nor by creation.
		switch {
		case a.tie < b.tie:
			return -1
		case a.tie > b.tie:
			return 1
		}
		return 0
	})
	start, end, more := fakeapi.Window(len(match), page, per)
	out := make([]map[string]any, 0, end-start)
	description := slices.Contains(embeds, "description")
	var rest []string
	for _, e := range embeds {
		if e != "description" {
			rest = append(rest, e)
		}
	}
	for _, e := range match[start:end] {
		out = append(out, s.ticketJSON(e.t, description, rest))
	}
	resp := jsonResponse(http.StatusOK, out)
	if more {
		fakeapi.SetLinkNext(resp.header, r, "page", strconv.Itoa(page+1))
	}
	return resp
}

func mix(id int64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(id >> (8 * i))
	}
	h.Write(b[:])
	return h.Sum64()
}

// showTicketLocked serves GET /api/v2/tickets/{id}. A ticket in the trash
// is shown with "deleted": true; a purged one is 404.
func (s *Server) showTicketLocked(agent, id int64, q url.Values) response {
	embeds := includes(q)
	for _, e := range embeds {
		if !slices.Contains(showIncludes, e) {
			return validationError(fieldError{"include", "It should be one of these values: 'conversations,requester,company,stats'", "invalid_value"})
		}
	}
	rec, ok := s.tickets[id]
	if !ok {
		return notFound()
	}
	if !s.visibleLocked(agent, &rec.Ticket) {
		return codeError(http.StatusForbidden, "access_denied", "You are not authorized to perform this action.")
	}
	m := s.ticketJSON(&rec.Ticket, true, embeds)
	if slices.Contains(embeds, "conversations") {
		// Only the first ten, as Freshdesk embeds them.
		n := min(len(rec.conversations), 10)
		cs := make([]map[string]any, 0, n)
		for i := range rec.conversations[:n] {
			cs = append(cs, conversationJSON(&rec.conversations[i]))
		}
		m["conversations"] = cs
	}
	return jsonResponse(http.StatusOK, m)
}
