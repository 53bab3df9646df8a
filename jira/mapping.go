package jira

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"

	"github.com/ticketsync/ticketsync"
)

// Keys of Ticket.Fields.
const (
	FieldKey          = "key"          // "SUP-12"; changes when the issue moves project
	FieldProject      = "project"      // the project key, "SUP"
	FieldIssueType    = "issuetype"    // "Service Request", "Incident", ...
	FieldRequestType  = "requestType"  // JSM's request type, "Get IT help"
	FieldParticipants = "participants" // JSM request participants' account ids, comma-separated
)

// customFields are the ids, on one site, of JSM's custom fields.
type customFields struct {
	requestType  string // com.atlassian.servicedesk:vp-origin
	participants string // com.atlassian.servicedesk:sd-request-participants
}

// Custom field types of JSM's fields, as GET /rest/api/3/field reports them
// in schema.custom.
const (
	requestTypeSchema  = "com.atlassian.servicedesk:vp-origin"
	participantsSchema = "com.atlassian.servicedesk:sd-request-participants"
)

// mapStatus maps a status: its name when ticketsync.ParseStatus knows it
// ("Waiting for customer" → pending, "Waiting for support" → open,
// "Resolved" → solved, "Closed" and "Canceled" → closed), else its
// category (new → new, indeterminate → open, done → solved). A status in
// the done category is never reported as unfinished.
func mapStatus(s *wireStatus) (ticketsync.Status, string) {
	if s == nil {
		return ticketsync.StatusOpen, ""
	}
	var byCategory ticketsync.Status
	switch s.StatusCategory.Key {
	case "new":
		byCategory = ticketsync.StatusNew
	case "done":
		byCategory = ticketsync.StatusSolved
	default: // indeterminate, undefined
		byCategory = ticketsync.StatusOpen
	}
	byName, ok := ticketsync.ParseStatus(s.Name)
	switch {
	case !ok:
		return byCategory, s.Name
	case byCategory == ticketsync.StatusSolved && byName != ticketsync.StatusSolved && byName != ticketsync.StatusClosed:
		return ticketsync.StatusSolved, s.Name
	}
	return byName, s.Name
}

// mapPriority maps Jira's default priorities Highest, High, Medium, Low and
// Lowest to urgent, high, normal, low and low; other names through
// ticketsync.ParsePriority, else PriorityNone.
func mapPriority(p *wireNamed) (ticketsync.Priority, string) {
	if p == nil {
		return ticketsync.PriorityNone, ""
	}
	pr, _ := ticketsync.ParsePriority(p.Name)
	return pr, p.Name
}

func person(u *wireUser) ticketsync.Person {
	if u == nil {
		return ticketsync.Person{}
	}
	return ticketsync.Person{ID: u.AccountID, Name: u.DisplayName, Email: u.EmailAddress}
}

// toTicket maps an issue with its fields; comments are those of the
// issue's comment field, completed by the caller when Jira left some out.
func (c *Connector) toTicket(is *wireIssue, cf customFields) ticketsync.Ticket {
	f := is.Fields
	if f == nil {
		f = &wireFields{}
	}
	t := ticketsync.Ticket{
		ID:          is.ID,
		URL:         c.cfg.siteRoot + "/browse/" + is.Key,
		Subject:     f.Summary,
		Description: f.Description.String(),
		Requester:   person(f.Reporter),
		Assignee:    person(f.Assignee),
		CreatedAt:   f.Created.UTC(),
		UpdatedAt:   f.Updated.UTC(),
		Fields:      map[string]string{FieldKey: is.Key},
	}
	t.Status, t.RawStatus = mapStatus(f.Status)
	t.Priority, t.RawPriority = mapPriority(f.Priority)
	if len(f.Labels) > 0 {
		t.Tags = slices.Clone(f.Labels)
	}
	if f.Project != nil && f.Project.Key != "" {
		t.Fields[FieldProject] = f.Project.Key
	}
	if f.IssueType != nil && f.IssueType.Name != "" {
		t.Fields[FieldIssueType] = f.IssueType.Name
	}
	if raw, ok := f.Extra[cf.requestType]; ok && cf.requestType != "" {
		var rt wireRequestType
		if json.Unmarshal(raw, &rt) == nil && rt.RequestType.Name != "" {
			t.Fields[FieldRequestType] = rt.RequestType.Name
		}
	}
	if raw, ok := f.Extra[cf.participants]; ok && cf.participants != "" {
		var users []wireUser
		if json.Unmarshal(raw, &users) == nil && len(users) > 0 {
			ids := make([]string, 0, len(users))
			for _, u := range users {
				ids = append(ids, u.AccountID)
			}
			t.Fields[FieldParticipants] = strings.Join(ids, ",")
		}
	}
	if f.Comment != nil {
		t.Comments = mapComments(f.Comment.Comments)
	}
	return t
}

// mapComments maps comments, oldest first. A comment without jsdPublic
// (a site without JSM) is public, as Jira's own default is.
func mapComments(in []wireComment) []ticketsync.Comment {
	if len(in) == 0 {
		return nil
	}
	out := make([]ticketsync.Comment, 0, len(in))
	for i := range in {
		wc := &in[i]
		out = append(out, ticketsync.Comment{
			ID:        wc.ID,
			Author:    person(&wc.Author),
			Body:      wc.Body.String(),
			Public:    wc.JSDPublic == nil || *wc.JSDPublic,
			CreatedAt: wc.Created.UTC(),
		})
	}
	slices.SortStableFunc(out, func(a, b ticketsync.Comment) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmpNumeric(a.ID, b.ID))
	})
	return out
}

// cmpNumeric orders decimal ids as numbers.
func cmpNumeric(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}
