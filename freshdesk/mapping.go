package freshdesk

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/htmltext"
)

// builtinStatuses are the built-in statuses' codes, labels and meanings.
var builtinStatuses = map[int]struct {
	label  string
	status ticketsync.Status
}{
	2: {"Open", ticketsync.StatusOpen},
	3: {"Pending", ticketsync.StatusPending},
	4: {"Resolved", ticketsync.StatusSolved},
	5: {"Closed", ticketsync.StatusClosed},
}

// mapStatus maps a status code: 2 to 5 are open, pending, solved and
// closed; a custom status (6 and up) is mapped by its label through
// ticketsync.ParseStatus, else StatusOpen. The raw status is the label
// (from ticket_fields), or the code as text when no label is known.
func mapStatus(code int, tf *ticketFields) (ticketsync.Status, string) {
	label := ""
	if tf != nil {
		label = tf.statuses[code]
	}
	if b, ok := builtinStatuses[code]; ok {
		if label == "" {
			label = b.label
		}
		return b.status, label
	}
	if label == "" {
		return ticketsync.StatusOpen, strconv.Itoa(code)
	}
	if s, ok := ticketsync.ParseStatus(label); ok {
		return s, label
	}
	return ticketsync.StatusOpen, label
}

var priorities = map[int]struct {
	label    string
	priority ticketsync.Priority
}{
	1: {"Low", ticketsync.PriorityLow},
	2: {"Medium", ticketsync.PriorityNormal},
	3: {"High", ticketsync.PriorityHigh},
	4: {"Urgent", ticketsync.PriorityUrgent},
}

func mapPriority(code int) (ticketsync.Priority, string) {
	if p, ok := priorities[code]; ok {
		return p.priority, p.label
	}
	if code == 0 {
		return ticketsync.PriorityNone, ""
	}
	return ticketsync.PriorityNone, strconv.Itoa(code)
}

// channels are the channel words of the ticket source codes.
var channels = map[int]string{
	1:  "email",
	2:  "portal",
	3:  "phone",
	4:  "forum",
	5:  "twitter",
	6:  "facebook",
	7:  "chat",
	8:  "mobihelp",
	9:  "feedback_widget",
	10: "outbound_email",
	11: "ecommerce",
}

func channel(source int) string {
	if source == 0 {
		return ""
	}
	if w, ok := channels[source]; ok {
		return w
	}
	return "source_" + strconv.Itoa(source)
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// ticket normalizes one ticket. Comments are left nil. A deleted or spam
// ticket is a tombstone (Deleted) with Fields "deleted" or "spam" set to
// "true", so that a host can tell the two apart.
func (c *Connector) ticket(w *wireTicket, tf *ticketFields) ticketsync.Ticket {
	t := ticketsync.Ticket{
		Platform:  Platform,
		ID:        id(w.ID),
		URL:       c.cfg.agentURL + id(w.ID),
		Subject:   w.Subject,
		Channel:   channel(w.Source),
		Tags:      w.Tags,
		CreatedAt: w.CreatedAt.UTC(),
		UpdatedAt: w.UpdatedAt.UTC(),
		Deleted:   w.Deleted || w.Spam,
	}
	t.Description = w.DescriptionText
	if t.Description == "" && w.Description != "" {
		t.Description = htmltext.Text(w.Description)
	}
	t.Status, t.RawStatus = mapStatus(w.Status, tf)
	t.Priority, t.RawPriority = mapPriority(w.Priority)
	if w.RequesterID != 0 {
		t.Requester = ticketsync.Person{ID: id(w.RequesterID)}
		if r := w.Requester; r != nil && r.ID == w.RequesterID {
			t.Requester.Name, t.Requester.Email = r.Name, r.Email
		}
	}
	if w.ResponderID != 0 {
		t.Assignee = ticketsync.Person{ID: id(w.ResponderID)}
	}
	fields := map[string]string{}
	if w.Type != "" {
		fields["type"] = w.Type
	}
	for name, v := range map[string]int64{"group_id": w.GroupID, "company_id": w.CompanyID, "product_id": w.ProductID} {
		if v != 0 {
			fields[name] = id(v)
		}
	}
	for name, raw := range w.CustomFields {
		if v, ok := fieldText(raw); ok {
			fields[name] = v
		}
	}
	if w.Deleted {
		fields["deleted"] = "true"
	}
	if w.Spam {
		fields["spam"] = "true"
	}
	if len(fields) > 0 {
		t.Fields = fields
	}
	return t
}

// fieldText renders a custom field's value as text; ok is false for null.
func fieldText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s, true
		}
	}
	if raw[0] == '[' {
		var list []string
		if json.Unmarshal(raw, &list) == nil {
			return strings.Join(list, ","), true
		}
	}
	return string(raw), true
}

// comment normalizes a conversation: a private note is not Public; the
// body is body_text, or the HTML body as text.
func comment(w *wireConversation) ticketsync.Comment {
	body := w.BodyText
	if body == "" && w.Body != "" {
		body = htmltext.Text(w.Body)
	}
	cm := ticketsync.Comment{
		ID:        id(w.ID),
		Body:      body,
		Public:    !w.Private,
		CreatedAt: w.CreatedAt.UTC(),
	}
	if w.UserID != 0 {
		cm.Author = ticketsync.Person{ID: id(w.UserID)}
	}
	return cm
}
