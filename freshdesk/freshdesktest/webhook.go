package freshdesktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// WebhookAuth is how an automation rule's "Trigger webhook" action
// authenticates its requests: custom headers and, with "Requires
// authentication", HTTP Basic credentials. Freshdesk cannot sign them.
type WebhookAuth struct {
	Header   http.Header // custom headers, such as X-Ticketsync-Token
	Username string      // Basic auth, when set
	Password string
}

// StatusLabel returns the agent label of a status code, "" when the account
// has no such status.
func (s *Server) StatusLabel(code int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLabelLocked(code)
}

func (s *Server) statusLabelLocked(code int) string {
	for _, st := range s.statuses {
		if st.Code == code {
			return st.Label
		}
	}
	return ""
}

var priorityLabels = map[int]string{1: "Low", 2: "Medium", 3: "High", 4: "Urgent"}

// RenderTemplate fills an automation's webhook body the way Freshdesk does:
// each {{placeholder}} is replaced by its value for the ticket, statuses and
// priorities by their labels, and {{triggered_event}} by event (such as
// "{ticket_action:created}" or "{status:{from:2,to:6}}"). Values are
// escaped for a JSON string. Unknown placeholders are left as they are.
func (s *Server) RenderTemplate(template string, ticketID int64, event string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[ticketID]
	if !ok {
		return nil, fmt.Errorf("freshdesktest: ticket %d: %w", ticketID, ErrNotFound)
	}
	t := &rec.Ticket
	var requester Contact
	if c, ok := s.contacts[t.RequesterID]; ok {
		requester = *c
	}
	latest := ""
	for i := len(rec.conversations) - 1; i >= 0; i-- {
		if !rec.conversations[i].Private {
			latest = rec.conversations[i].BodyText
			break
		}
	}
	values := map[string]string{
		"ticket.id":                    strconv.FormatInt(t.ID, 10),
		"ticket.subject":               t.Subject,
		"ticket.description":           t.Description,
		"ticket.status":                s.statusLabelLocked(t.Status),
		"ticket.priority":              priorityLabels[t.Priority],
		"ticket.ticket_type":           t.Type,
		"ticket.url":                   "https://" + s.Domain + ".freshdesk.com/helpdesk/tickets/" + strconv.FormatInt(t.ID, 10),
		"ticket.tags":                  strings.Join(t.Tags, ","),
		"ticket.requester.name":        requester.Name,
		"ticket.requester.email":       requester.Email,
		"ticket.latest_public_comment": latest,
		"triggered_event":              event,
	}
	var b strings.Builder
	rest := template
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			b.WriteString(rest)
			break
		}
		name := strings.TrimSpace(rest[i+2 : i+j])
		b.WriteString(rest[:i])
		if v, ok := values[name]; ok {
			enc, _ := json.Marshal(v)
			b.Write(enc[1 : len(enc)-1])
		} else {
			b.WriteString(rest[i : i+j+2])
		}
		rest = rest[i+j+2:]
	}
	return []byte(b.String()), nil
}

// AdvancedTemplate is a common "Advanced" webhook body, as integrations
// such as Zulip's ask admins to paste it.
const AdvancedTemplate = `{"freshdesk_webhook": {
  "triggered_event": "{{triggered_event}}",
  "ticket_id": "{{ticket.id}}",
  "ticket_url": "{{ticket.url}}",
  "ticket_type": "{{ticket.ticket_type}}",
  "ticket_subject": "{{ticket.subject}}",
  "ticket_description": "{{ticket.description}}",
  "ticket_status": "{{ticket.status}}",
  "ticket_priority": "{{ticket.priority}}",
  "requester_name": "{{ticket.requester.name}}",
  "requester_email": "{{ticket.requester.email}}"
}}`

// Delivery builds the POST of body to target that a "Trigger webhook"
// action sends with the encoding JSON: Content-Type application/json, the
// custom headers and Basic credentials of auth.
func (s *Server) Delivery(target string, body []byte, auth WebhookAuth) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Freshdesk")
	for k, vs := range auth.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if auth.Username != "" {
		req.SetBasicAuth(auth.Username, auth.Password)
	}
	return req, nil
}
