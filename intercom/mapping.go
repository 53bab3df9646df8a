package intercom

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/htmltext"
)

// The two kinds of support record, which prefix Ticket.ID and are named in
// Ticket.Fields[FieldKind].
const (
	KindConversation = "conversation"
	KindTicket       = "ticket"
)

// Keys of Ticket.Fields that the connector sets beside the custom
// attributes. They are written like Intercom's own reserved attribute names
// (_default_title_), which custom attributes cannot take.
const (
	// FieldKind is KindConversation or KindTicket.
	FieldKind = "_kind_"
	// FieldPartsTruncated is "true" when Intercom returned only the most
	// recent MaxParts parts of the thread: older comments are then missing
	// from this copy (a Store that kept them from earlier syncs keeps them).
	FieldPartsTruncated = "_parts_truncated_"
	// FieldTicketNumber is a ticket's number as shown in the Inbox
	// (ticket_id), which differs from its API id.
	FieldTicketNumber = "_ticket_number_"
	// FieldTicketType and FieldCategory are a ticket's type name and
	// category (Customer, Back-office, Tracker).
	FieldTicketType = "_ticket_type_"
	FieldCategory   = "_category_"
	// FieldStateLabel is a ticket state's label as agents see it ("With
	// Dev Team"), whose category is Ticket.RawStatus.
	FieldStateLabel = "_state_label_"
)

// TicketID returns the Ticket.ID of an Intercom record: the kind, a colon
// and Intercom's id ("conversation:515", "ticket:633"). Conversations and
// tickets are numbered independently, so the kind keeps them apart.
func TicketID(kind, id string) string { return kind + ":" + id }

// ParseTicketID splits a Ticket.ID made by TicketID.
func ParseTicketID(s string) (kind, id string, ok bool) {
	kind, id, ok = strings.Cut(s, ":")
	if !ok || (kind != KindConversation && kind != KindTicket) || id == "" {
		return "", "", false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return "", "", false
		}
	}
	return kind, id, true
}

// people resolves the names and emails of admins and contacts.
type people struct {
	admins   map[string]ticketsync.Person
	contacts map[string]ticketsync.Person
}

func (p people) admin(id string) ticketsync.Person {
	if id == "" {
		return ticketsync.Person{}
	}
	if a, ok := p.admins[id]; ok {
		return a
	}
	return ticketsync.Person{ID: id}
}

func (p people) contact(id string) ticketsync.Person {
	if id == "" {
		return ticketsync.Person{}
	}
	if c, ok := p.contacts[id]; ok {
		return c
	}
	return ticketsync.Person{ID: id}
}

// inboxURL is the Inbox address of a record.
func (c *Connector) inboxURL(appID, id string) string {
	if appID == "" {
		return ""
	}
	return c.cfg.appHost + "/a/inbox/" + appID + "/inbox/conversation/" + id
}

func unixUTC(u unixTime) time.Time {
	if u == 0 {
		return time.Time{}
	}
	return time.Unix(int64(u), 0).UTC()
}

// text converts an HTML body to plain text.
func text(html string) string { return htmltext.Text(html) }

// conversationStatus maps a conversation's state. A closed conversation
// opens again when the customer replies, which is StatusSolved's meaning.
func conversationStatus(state string) ticketsync.Status {
	switch state {
	case "open":
		return ticketsync.StatusOpen
	case "closed":
		return ticketsync.StatusSolved
	case "snoozed":
		return ticketsync.StatusOnHold
	}
	if st, ok := ticketsync.ParseStatus(state); ok {
		return st
	}
	return ticketsync.StatusOpen
}

// ticketStatus maps a ticket state's category.
func ticketStatus(category string, open bool) ticketsync.Status {
	switch category {
	case "submitted":
		return ticketsync.StatusNew
	case "in_progress":
		return ticketsync.StatusOpen
	case "waiting_on_customer":
		return ticketsync.StatusPending
	case "resolved":
		return ticketsync.StatusSolved
	}
	if st, ok := ticketsync.ParseStatus(category); ok {
		return st
	}
	if !open {
		return ticketsync.StatusSolved
	}
	return ticketsync.StatusOpen
}

// channels maps source.type to Ticket.Channel.
var channels = map[string]string{
	"conversation": "chat", // the Messenger
	"email":        "email",
	"phone_call":   "phone",
	"phone_switch": "phone",
	"sms":          "sms",
	"push":         "push",
	"facebook":     "facebook",
	"instagram":    "instagram",
	"twitter":      "twitter",
	"whatsapp":     "whatsapp",
}

// attributeText writes a custom attribute's value as text: strings as they
// are, numbers and booleans as JSON writes them, lists and objects as JSON;
// ok is false for null.
func attributeText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", false
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) == nil {
		return compact.String(), true
	}
	return string(raw), true
}

// comments maps the parts that are messages (replies and notes) to
// comments, oldest first; assignments, state changes and other events are
// left out.
func comments(parts []wirePart, p people) []ticketsync.Comment {
	var out []ticketsync.Comment
	for _, part := range parts {
		var public bool
		switch part.PartType {
		case "comment":
			public = true
		case "note":
			public = false
		default:
			continue
		}
		body := ""
		if part.Body != nil {
			body = text(*part.Body)
		}
		out = append(out, ticketsync.Comment{
			ID:        string(part.ID),
			Author:    author(part.Author, p),
			Body:      body,
			Public:    public,
			CreatedAt: unixUTC(part.CreatedAt),
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

// author is the Person of a part's author: the payload's name and email,
// else the resolved admin or contact.
func author(a wireAuthor, p people) ticketsync.Person {
	id := string(a.ID)
	var known ticketsync.Person
	switch a.Type {
	case "admin", "bot", "team":
		known = p.admin(id)
	default:
		known = p.contact(id)
	}
	out := ticketsync.Person{ID: id, Name: known.Name, Email: known.Email}
	if a.Name != nil && *a.Name != "" {
		out.Name = *a.Name
	}
	if a.Email != "" {
		out.Email = a.Email
	}
	return out
}

// truncated reports whether a thread came back cut to the most recent
// parts: Intercom says how many parts there are in total_count.
func truncated(n, total int) bool {
	return total > n || (total == 0 && n >= MaxParts)
}

// conversationTicket maps a conversation read by id (with its parts).
func (c *Connector) conversationTicket(w *wireConversation, appID string, p people) ticketsync.Ticket {
	id := string(w.ID)
	t := ticketsync.Ticket{
		Platform:    Platform,
		ID:          TicketID(KindConversation, id),
		URL:         c.inboxURL(appID, id),
		Description: text(w.Source.Body),
		Status:      conversationStatus(w.State),
		RawStatus:   w.State,
		RawPriority: w.Priority,
		Channel:     channels[w.Source.Type],
		Assignee:    p.admin(assigned(w.AdminAssigneeID)),
		Fields:      map[string]string{FieldKind: KindConversation},
		CreatedAt:   unixUTC(w.CreatedAt),
		UpdatedAt:   unixUTC(w.UpdatedAt),
	}
	if w.Title != nil && *w.Title != "" {
		t.Subject = text(*w.Title)
	} else {
		t.Subject = text(w.Source.Subject)
	}
	switch w.Priority {
	case "priority":
		t.Priority = ticketsync.PriorityHigh
	case "not_priority":
		t.Priority = ticketsync.PriorityNormal
	}
	switch {
	case len(w.Contacts.Contacts) > 0:
		t.Requester = p.contact(w.Contacts.Contacts[0].ID)
	case w.Source.Author.Type == "user" || w.Source.Author.Type == "lead" || w.Source.Author.Type == "contact":
		t.Requester = author(w.Source.Author, p)
	}
	for _, tag := range w.Tags.Tags {
		t.Tags = append(t.Tags, tag.Name)
	}
	for k, v := range w.CustomAttributes {
		if s, ok := attributeText(v); ok {
			t.Fields[k] = s
		}
	}
	if w.ConversationParts != nil {
		parts := w.ConversationParts
		t.Comments = comments(parts.Parts, p)
		if truncated(len(parts.Parts), parts.TotalCount) {
			t.Fields[FieldPartsTruncated] = "true"
		}
	}
	return t
}

// ticketTicket maps a ticket read by id (with its parts).
func (c *Connector) ticketTicket(w *wireTicket, appID string, p people) ticketsync.Ticket {
	id := string(w.ID)
	t := ticketsync.Ticket{
		Platform:  Platform,
		ID:        TicketID(KindTicket, id),
		URL:       c.inboxURL(appID, id),
		Status:    ticketStatus(w.TicketState.Category, w.Open),
		RawStatus: w.TicketState.Category,
		Assignee:  p.admin(assigned(w.AdminAssigneeID)),
		Fields:    map[string]string{FieldKind: KindTicket},
		CreatedAt: unixUTC(w.CreatedAt),
		UpdatedAt: unixUTC(w.UpdatedAt),
	}
	if len(w.Contacts.Contacts) > 0 {
		t.Requester = p.contact(w.Contacts.Contacts[0].ID)
	}
	for k, v := range w.TicketAttributes {
		s, ok := attributeText(v)
		if !ok {
			continue
		}
		switch k {
		case "_default_title_":
			t.Subject = text(s)
		case "_default_description_":
			t.Description = text(s)
		default:
			t.Fields[k] = s
		}
	}
	if w.TicketID != "" {
		t.Fields[FieldTicketNumber] = string(w.TicketID)
	}
	if w.Category != "" {
		t.Fields[FieldCategory] = w.Category
	}
	if w.TicketType != nil && w.TicketType.Name != "" {
		t.Fields[FieldTicketType] = w.TicketType.Name
	}
	label := w.TicketState.InternalLabel
	if label == "" {
		label = w.TicketStateInternalLabel
	}
	if label != "" {
		t.Fields[FieldStateLabel] = label
	}
	if w.TicketParts != nil {
		parts := w.TicketParts
		t.Comments = comments(parts.Parts, p)
		if truncated(len(parts.Parts), parts.TotalCount) {
			t.Fields[FieldPartsTruncated] = "true"
		}
	}
	return t
}
