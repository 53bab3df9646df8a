package zendesktest

import (
	"html"
	"sort"
	"strconv"
	"strings"
	"time"
)

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func via(channel string) map[string]any {
	return map[string]any{"channel": channel, "source": map[string]any{"from": map[string]any{}, "to": map[string]any{}, "rel": nil}}
}

// ticketJSON renders a ticket the way the Tickets API does; export adds
// generated_timestamp, which only the incremental export carries.
func (s *Server) ticketJSON(t *ticketRecord, export bool) map[string]any {
	fields := make([]map[string]any, 0, len(t.CustomFields))
	for _, f := range t.CustomFields {
		fields = append(fields, map[string]any{"id": f.ID, "value": f.Value})
	}
	var externalID any
	if t.ExternalID != "" {
		externalID = t.ExternalID
	}
	m := map[string]any{
		"id":                    t.ID,
		"url":                   s.apiURL("/api/v2/tickets/"+strconv.FormatInt(t.ID, 10)+".json", nil),
		"external_id":           externalID,
		"via":                   via(t.Channel),
		"created_at":            rfc3339(t.CreatedAt),
		"updated_at":            rfc3339(t.UpdatedAt),
		"type":                  nullable(t.Type),
		"subject":               t.Subject,
		"raw_subject":           t.Subject,
		"description":           t.Description,
		"priority":              nullable(t.Priority),
		"status":                t.Status,
		"recipient":             nil,
		"requester_id":          t.RequesterID,
		"submitter_id":          t.SubmitterID,
		"assignee_id":           nullableID(t.AssigneeID),
		"organization_id":       nullableID(t.OrgID),
		"group_id":              nullableID(t.GroupID),
		"brand_id":              nullableID(t.BrandID),
		"collaborator_ids":      []int64{},
		"follower_ids":          []int64{},
		"email_cc_ids":          []int64{},
		"problem_id":            nil,
		"has_incidents":         false,
		"is_public":             true,
		"due_at":                nil,
		"tags":                  tagsOrEmpty(t.Tags),
		"custom_fields":         fields,
		"fields":                fields,
		"satisfaction_rating":   nil,
		"sharing_agreement_ids": []int64{},
		"allow_channelback":     false,
		"allow_attachments":     true,
	}
	if export {
		m["generated_timestamp"] = t.GeneratedAt.Unix()
	}
	return m
}

// htmlBody renders a plain-text body the way Zendesk wraps comments.
func htmlBody(c Comment) string {
	if c.HTMLBody != "" {
		return c.HTMLBody
	}
	var b strings.Builder
	b.WriteString(`<div class="zd-comment" dir="auto">`)
	for i, para := range strings.Split(c.Body, "\n") {
		if i > 0 {
			b.WriteString("<br>")
		}
		b.WriteString(html.EscapeString(para))
	}
	b.WriteString("</div>")
	return b.String()
}

// plainBody renders a comment's plain_body: its words with every run of
// white space, line breaks included, made one space. Zendesk's plain_body
// is derived from the HTML and differs from body for real comments; this
// is the fake's own rule for how.
func plainBody(c Comment) string {
	if c.PlainBody != "" {
		return c.PlainBody
	}
	return strings.Join(strings.Fields(c.Body), " ")
}

func commentJSON(c Comment) map[string]any {
	typ := c.Type
	if typ == "" {
		typ = "Comment"
	}
	return map[string]any{
		"id":          c.ID,
		"type":        typ,
		"author_id":   c.AuthorID,
		"body":        c.Body,
		"html_body":   htmlBody(c),
		"plain_body":  plainBody(c),
		"public":      c.Public,
		"attachments": []any{},
		"audit_id":    c.AuditID,
		"via":         via(c.Channel),
		"metadata":    map[string]any{"system": map[string]any{}, "custom": map[string]any{}},
		"created_at":  rfc3339(c.CreatedAt),
	}
}

// sideloadUsers renders the users the given ids name, once each, by id.
func (s *Server) sideloadUsers(ids map[int64]bool) []map[string]any {
	list := make([]int64, 0, len(ids))
	for id := range ids {
		if id != 0 {
			list = append(list, id)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i] < list[j] })
	out := make([]map[string]any, 0, len(list))
	for _, id := range list {
		if u, ok := s.users[id]; ok {
			out = append(out, s.userJSON(u))
		}
	}
	return out
}

func includes(q map[string][]string, name string) bool {
	for _, v := range q["include"] {
		for _, part := range strings.Split(v, ",") {
			if strings.TrimSpace(part) == name {
				return true
			}
		}
	}
	return false
}
