package jiratest

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// timeLayout is how Jira writes datetimes: milliseconds and an offset
// without a colon.
const timeLayout = "2006-01-02T15:04:05.000-0700"

// timeJSON writes a datetime in UTC ("+0000"), whatever the user's profile
// zone, as clients observe on Jira Cloud (Airbyte's Jira source, PR 48395;
// atlassian-python-api issue 1430): the zone JQL reads literals in is not
// visible in the answers.
func (s *Server) timeJSON(t time.Time) string { return t.UTC().Format(timeLayout) }

// fields is the set of fields a request asked for.
type fields map[string]bool

// fieldSet reads a fields list: names, comma-separated names, *all,
// *navigable, and -name exclusions. Empty means id only, the enhanced
// search's default.
func fieldSet(list []string) fields {
	f := fields{}
	for _, item := range list {
		for _, name := range strings.Split(item, ",") {
			name = strings.TrimSpace(name)
			switch {
			case name == "":
			case strings.HasPrefix(name, "-"):
				f["-"+strings.TrimPrefix(name, "-")] = true
			default:
				f[name] = true
			}
		}
	}
	return f
}

func (f fields) has(name string) bool {
	if f["-"+name] {
		return false
	}
	return f[name] || f["*all"] || (f["*navigable"] && name != "comment") || (f["*all"] && name == "comment")
}

// idsOnly reports whether nothing but id or key was asked for.
func (f fields) idsOnly() bool {
	for k := range f {
		if k != "id" && k != "key" {
			return false
		}
	}
	return true
}

// issueJSONLocked renders an issue as REST v3 (or v2) does, with the fields
// asked for.
func (s *Server) issueJSONLocked(is *Issue, f fields, ver string) map[string]any {
	id := strconv.FormatInt(is.ID, 10)
	out := map[string]any{
		"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
		"id":     id,
		"self":   s.URL + "/rest/api/" + ver + "/issue/" + id,
		"key":    is.Key,
	}
	if f.idsOnly() {
		return out
	}
	fj := map[string]any{}
	set := func(name string, v any) {
		if f.has(name) {
			fj[name] = v
		}
	}
	set("summary", is.Summary)
	set("description", s.bodyJSON(is.Description, ver))
	set("status", s.statusJSON(is.Status))
	if is.Priority != "" {
		set("priority", s.priorityJSON(is.Priority))
	} else {
		set("priority", nil)
	}
	set("reporter", s.userRefLocked(is.Reporter, ver))
	set("assignee", s.userRefLocked(is.Assignee, ver))
	set("labels", append([]string{}, is.Labels...))
	set("created", s.timeJSON(is.Created))
	set("updated", s.timeJSON(is.Updated))
	set("issuetype", map[string]any{"self": s.URL + "/rest/api/" + ver + "/issuetype/10003", "id": "10003",
		"description": "", "name": is.IssueType, "subtask": false, "hierarchyLevel": 0})
	if p := s.projectLocked(is.Project); p != nil {
		typ := "software"
		if p.ServiceDesk {
			typ = "service_desk"
		}
		set("project", map[string]any{"self": s.URL + "/rest/api/" + ver + "/project/" + p.ID, "id": p.ID,
			"key": p.Key, "name": p.Name, "projectTypeKey": typ, "simplified": false})
	}
	if f.has("comment") {
		n := min(len(is.Comments), s.opts.SearchComments)
		list := []any{}
		for i := range n {
			list = append(list, s.commentJSONLocked(is, &is.Comments[i], ver))
		}
		fj["comment"] = map[string]any{"comments": list, "self": s.URL + "/rest/api/" + ver + "/issue/" + id + "/comment",
			"maxResults": n, "total": len(is.Comments), "startAt": 0}
	}
	if f.has(DefaultRequestTypeField) {
		if is.RequestType == "" {
			fj[DefaultRequestTypeField] = nil
		} else {
			cat := map[string]string{"new": "NEW", "indeterminate": "INDETERMINATE", "done": "DONE"}[category(is.Status)]
			fj[DefaultRequestTypeField] = map[string]any{
				"_links": map[string]string{"jiraRest": s.URL + "/rest/api/2/issue/" + id},
				"requestType": map[string]any{"id": "10", "name": is.RequestType, "description": "",
					"serviceDeskId": "1", "issueTypeId": "10003", "groupIds": []string{}},
				"currentStatus": map[string]any{"status": is.Status, "statusCategory": cat,
					"statusDate": map[string]any{"iso8601": s.timeJSON(is.Updated), "epochMillis": is.Updated.UnixMilli()}},
			}
		}
	}
	if f.has(DefaultParticipantsField) {
		if len(is.Participants) == 0 {
			fj[DefaultParticipantsField] = nil
		} else {
			var ps []any
			for _, a := range is.Participants {
				ps = append(ps, s.userRefLocked(a, ver))
			}
			fj[DefaultParticipantsField] = ps
		}
	}
	out["fields"] = fj
	return out
}

// bodyJSON is a description or comment body: ADF in v3, wiki markup text in
// v2 (and in webhooks).
func (s *Server) bodyJSON(doc json.RawMessage, ver string) any {
	if len(doc) == 0 {
		return nil
	}
	if ver == "2" {
		return wikiText(doc)
	}
	return doc
}

// wikiText flattens ADF to the text of its text nodes, paragraphs on lines
// of their own: enough of wiki markup for webhook payloads.
func wikiText(doc json.RawMessage) string {
	var n struct {
		Type    string            `json:"type"`
		Text    string            `json:"text"`
		Content []json.RawMessage `json:"content"`
	}
	if json.Unmarshal(doc, &n) != nil {
		return ""
	}
	var parts []string
	if n.Text != "" {
		parts = append(parts, n.Text)
	}
	for _, c := range n.Content {
		if t := wikiText(c); t != "" {
			parts = append(parts, t)
		}
	}
	sep := ""
	if n.Type == "doc" {
		sep = "\n\n"
	}
	return strings.Join(parts, sep)
}

func category(status string) string {
	if c, ok := Statuses[status]; ok {
		return c
	}
	return "indeterminate"
}

func (s *Server) statusJSON(name string) map[string]any {
	cat := category(name)
	catID, catName, color := map[string]int{"new": 2, "indeterminate": 4, "done": 3}[cat],
		map[string]string{"new": "To Do", "indeterminate": "In Progress", "done": "Done"}[cat],
		map[string]string{"new": "blue-gray", "indeterminate": "yellow", "done": "green"}[cat]
	id := strconv.Itoa(statusIDs[name])
	return map[string]any{
		"self": s.URL + "/rest/api/3/status/" + id, "description": "", "iconUrl": s.URL + "/images/icons/statuses/generic.png",
		"name": name, "id": id,
		"statusCategory": map[string]any{"self": s.URL + "/rest/api/3/statuscategory/" + strconv.Itoa(catID),
			"id": catID, "key": cat, "colorName": color, "name": catName},
	}
}

func (s *Server) priorityJSON(name string) map[string]any {
	id := "3"
	for i, p := range Priorities {
		if p == name {
			id = strconv.Itoa(i + 1)
		}
	}
	return map[string]any{"self": s.URL + "/rest/api/3/priority/" + id, "iconUrl": s.URL + "/images/icons/priorities/" + strings.ToLower(name) + ".svg",
		"name": name, "id": id}
}

// userRefLocked renders a user reference, or null for "".
func (s *Server) userRefLocked(accountID, ver string) any {
	if accountID == "" {
		return nil
	}
	u, ok := s.users[accountID]
	if !ok {
		u = &User{AccountID: accountID, DisplayName: "Former user"}
	}
	return s.userJSONLocked(u, ver, false)
}

func (s *Server) userJSONLocked(u *User, ver string, full bool) map[string]any {
	typ := "atlassian"
	if u.Customer {
		typ = "customer"
	}
	out := map[string]any{
		"self":        s.URL + "/rest/api/" + ver + "/user?accountId=" + u.AccountID,
		"accountId":   u.AccountID,
		"avatarUrls":  map[string]string{"48x48": "https://avatar.example/" + u.AccountID + ".png"},
		"displayName": u.DisplayName,
		"active":      true,
		"timeZone":    cmpOr(u.TimeZone, "UTC"),
		"accountType": typ,
	}
	if !u.HideEmail {
		out["emailAddress"] = u.Email
	}
	if full {
		out["locale"] = "en_US"
		out["groups"] = map[string]any{"size": 2, "items": []any{}}
		out["applicationRoles"] = map[string]any{"size": 2, "items": []any{}}
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Server) commentJSONLocked(is *Issue, c *Comment, ver string) map[string]any {
	id := strconv.FormatInt(c.ID, 10)
	out := map[string]any{
		"self":         s.URL + "/rest/api/" + ver + "/issue/" + strconv.FormatInt(is.ID, 10) + "/comment/" + id,
		"id":           id,
		"author":       s.userRefLocked(c.Author, ver),
		"body":         s.bodyJSON(c.Body, ver),
		"updateAuthor": s.userRefLocked(c.Author, ver),
		"created":      s.timeJSON(c.Created),
		"updated":      s.timeJSON(c.Updated),
		"jsdPublic":    c.Public,
	}
	if !c.Public {
		out["properties"] = []any{map[string]any{"key": "sd.public.comment", "value": map[string]bool{"internal": true}}}
	}
	return out
}

// fieldsJSON is GET /rest/api/3/field: the system fields the connector
// reads and JSM's custom fields.
func (s *Server) fieldsJSON() []any {
	sys := func(id, name, typ string) map[string]any {
		return map[string]any{"id": id, "key": id, "name": name, "custom": false, "orderable": true, "navigable": true,
			"searchable": true, "clauseNames": []string{id}, "schema": map[string]string{"type": typ, "system": id}}
	}
	custom := func(id, name, typ, plugin string) map[string]any {
		n, _ := strconv.Atoi(strings.TrimPrefix(id, "customfield_"))
		return map[string]any{"id": id, "key": id, "name": name, "untranslatedName": name, "custom": true, "orderable": true,
			"navigable": true, "searchable": true, "clauseNames": []string{"cf[" + strconv.Itoa(n) + "]", name},
			"schema": map[string]any{"type": typ, "custom": plugin, "customId": n}}
	}
	return []any{
		sys("summary", "Summary", "string"), sys("description", "Description", "string"),
		sys("status", "Status", "status"), sys("priority", "Priority", "priority"),
		sys("reporter", "Reporter", "user"), sys("assignee", "Assignee", "user"),
		sys("labels", "Labels", "array"), sys("created", "Created", "datetime"), sys("updated", "Updated", "datetime"),
		sys("issuetype", "Issue Type", "issuetype"), sys("project", "Project", "project"),
		sys("comment", "Comment", "comments-page"),
		custom("customfield_10011", "Epic Name", "string", "com.pyxis.greenhopper.jira:gh-epic-label"),
		custom(DefaultRequestTypeField, "Request Type", "sd-customerrequesttype", "com.atlassian.servicedesk:vp-origin"),
		custom(DefaultParticipantsField, "Request participants", "array", "com.atlassian.servicedesk:sd-request-participants"),
	}
}
