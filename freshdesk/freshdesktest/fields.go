package freshdesktest

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

// ticketFieldsJSON serves GET /api/v2/ticket_fields: the default fields,
// the status field's choices (code to agent and customer labels, custom
// statuses from 6) and the account's custom fields.
func (s *Server) ticketFieldsJSON() []map[string]any {
	statuses := map[string][]string{}
	for _, st := range s.statuses {
		statuses[strconv.Itoa(st.Code)] = []string{st.Label, st.CustomerLabel}
	}
	out := []map[string]any{
		{"id": 43000000001, "name": "requester", "label": "Search a requester", "type": "default_requester", "position": 1},
		{"id": 43000000002, "name": "subject", "label": "Subject", "type": "default_subject", "position": 2},
		{"id": 43000000003, "name": "ticket_type", "label": "Type", "type": "default_ticket_type", "position": 3,
			"choices": []string{"Question", "Incident", "Problem", "Feature Request", "Refund"}},
		{"id": 43000000004, "name": "source", "label": "Source", "type": "default_source", "position": 4,
			"choices": map[string]int{"Email": 1, "Portal": 2, "Phone": 3, "Chat": 7, "Feedback Widget": 9, "Outbound Email": 10}},
		{"id": 43000000005, "name": "status", "label": "Status", "type": "default_status", "position": 5, "choices": statuses},
		{"id": 43000000006, "name": "priority", "label": "Priority", "type": "default_priority", "position": 6,
			"choices": map[string]int{"Low": 1, "Medium": 2, "High": 3, "Urgent": 4}},
		{"id": 43000000007, "name": "group", "label": "Group", "type": "default_group", "position": 7},
		{"id": 43000000008, "name": "agent", "label": "Agent", "type": "default_agent", "position": 8},
		{"id": 43000000009, "name": "description", "label": "Description", "type": "default_description", "position": 9},
	}
	for i, f := range s.fields {
		out = append(out, map[string]any{"id": 43000000100 + i, "name": f.Name, "label": f.Label, "type": f.Type,
			"position": 10 + i, "default": false, "required_for_closure": false})
	}
	return out
}

// agentsLocked serves GET /api/v2/agents: the account's agents by id,
// per_page up to 100, Link paging.
func (s *Server) agentsLocked(r *http.Request) response {
	page, per, bad := pageParams(r.URL.Query(), 100)
	if bad != nil {
		return *bad
	}
	ids := make([]int64, 0, len(s.agents))
	for id := range s.agents {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	lo, hi, more := fakeapi.Window(len(ids), page, per)
	out := make([]map[string]any, 0, hi-lo)
	for _, id := range ids[lo:hi] {
		out = append(out, s.agentJSON(s.agents[id]))
	}
	resp := jsonResponse(http.StatusOK, out)
	if more {
		fakeapi.SetLinkNext(resp.header, r, "page", strconv.Itoa(page+1))
	}
	return resp
}
