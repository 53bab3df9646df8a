package zendesk

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
)

// people resolves user ids to Persons from a page's sideload and the
// connector's cache.
type people struct {
	c    *Connector
	page map[int64]wireUser
}

// newPeople indexes users and remembers them in the connector's cache.
func (c *Connector) newPeople(users []wireUser) people {
	p := people{c: c, page: make(map[int64]wireUser, len(users))}
	for _, u := range users {
		p.page[u.ID] = u
	}
	if len(users) > 0 {
		c.mu.Lock()
		if len(c.users)+len(users) > maxCachedUsers {
			clear(c.users)
		}
		for _, u := range users {
			c.users[u.ID] = u
		}
		c.mu.Unlock()
	}
	return p
}

// person returns the Person with id: the zero Person for id 0, else at least
// the id.
func (p people) person(id int64) ticketsync.Person {
	if id == 0 {
		return ticketsync.Person{}
	}
	u, ok := p.page[id]
	if !ok && p.c != nil {
		p.c.mu.Lock()
		u, ok = p.c.users[id]
		p.c.mu.Unlock()
	}
	person := ticketsync.Person{ID: strconv.FormatInt(id, 10)}
	if ok {
		person.Name, person.Email = u.Name, u.Email
	}
	return person
}

// ticket normalizes one ticket of the REST API. Comments are left nil.
func (c *Connector) ticket(w *wireTicket, p people) ticketsync.Ticket {
	id := strconv.FormatInt(w.ID, 10)
	t := ticketsync.Ticket{
		Platform:    Platform,
		ID:          id,
		URL:         c.cfg.agentURL + id,
		Subject:     w.Subject,
		Description: w.Description,
		RawStatus:   w.Status,
		RawPriority: w.Priority,
		Channel:     mapChannel(string(w.Via.Channel)),
		Requester:   p.person(w.RequesterID),
		Assignee:    p.person(w.AssigneeID),
		Tags:        w.Tags,
		CreatedAt:   w.CreatedAt.UTC(),
		UpdatedAt:   w.UpdatedAt.UTC(),
	}
	t.Status, t.Deleted = mapStatus(w.Status)
	t.Priority = mapPriority(w.Priority)
	if raw := strings.ToLower(string(w.Via.Channel)); raw != "" {
		t.Fields = map[string]string{FieldChannel: raw}
	}
	if len(w.CustomFields) > 0 {
		if t.Fields == nil {
			t.Fields = make(map[string]string, len(w.CustomFields))
		}
		for _, f := range w.CustomFields {
			if v, ok := fieldText(f.Value); ok {
				t.Fields[strconv.FormatInt(f.ID, 10)] = v
			}
		}
	}
	return t
}

// FieldChannel is the key of Ticket.Fields that keeps Zendesk's own
// via.channel word ("native_messaging", "any_channel", ...), which Channel
// holds normalized.
const FieldChannel = "via.channel"

// channels maps Zendesk's via.channel words (Via object reference) onto the
// channel words of ticketsync.Ticket.Channel.
var channels = map[string]string{
	"web": "web", "web_form": "web", "web_widget": "web", "help_center": "web", "forum": "web",
	"email": "email", "mail": "email",
	"api": "api", "web_service": "api", "rule": "api", "sample_ticket": "api", "import": "api",
	"chat": "chat", "chat_transcript": "chat", "native_messaging": "chat", "messaging": "chat",
	"sunshine_conversations_api": "chat", "any_channel": "chat",
	"voice": "phone", "phone": "phone", "phone_call_inbound": "phone", "phone_call_outbound": "phone", "voicemail": "phone",
	"sms": "sms", "text": "sms", "whatsapp": "sms",
	"mobile": "mobile", "mobile_sdk": "mobile",
	"facebook": "social", "facebook_post": "social", "facebook_message": "social", "twitter": "social",
	"twitter_dm": "social", "twitter_favorite": "social", "instagram_dm": "social", "line": "social", "wechat": "social",
}

// mapChannel normalizes via.channel: a known word to the contract's
// channel words, any other (lower-cased) as it is; Fields[FieldChannel]
// keeps the original.
func mapChannel(raw string) string {
	raw = strings.ToLower(strings.TrimSpace(raw))
	if c, ok := channels[raw]; ok {
		return c
	}
	return raw
}

// mapStatus maps Zendesk's status to a Status. "deleted", which only the
// incremental export shows, is a tombstone: Deleted, and StatusClosed since
// nothing more happens to the ticket. A status this package does not know
// (a new built-in one, or an account's custom status name) goes through
// ticketsync.ParseStatus and else becomes StatusOpen; RawStatus keeps it.
func mapStatus(raw string) (ticketsync.Status, bool) {
	switch raw {
	case "new":
		return ticketsync.StatusNew, false
	case "open":
		return ticketsync.StatusOpen, false
	case "pending":
		return ticketsync.StatusPending, false
	case "hold":
		return ticketsync.StatusOnHold, false
	case "solved":
		return ticketsync.StatusSolved, false
	case "closed":
		return ticketsync.StatusClosed, false
	case "deleted":
		return ticketsync.StatusClosed, true
	}
	if s, ok := ticketsync.ParseStatus(raw); ok {
		return s, false
	}
	return ticketsync.StatusOpen, false
}

// mapPriority maps Zendesk's priority; an unknown word is PriorityNone, kept
// in RawPriority.
func mapPriority(raw string) ticketsync.Priority {
	switch raw {
	case "":
		return ticketsync.PriorityNone
	case "low":
		return ticketsync.PriorityLow
	case "normal":
		return ticketsync.PriorityNormal
	case "high":
		return ticketsync.PriorityHigh
	case "urgent":
		return ticketsync.PriorityUrgent
	}
	p, _ := ticketsync.ParsePriority(raw)
	return p
}

// fieldText renders a custom field's value as text: a string as it is, a
// number or a bool as written, a list of strings (multi-select) joined with
// commas. ok is false for null, which means the field is unset.
func fieldText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	switch raw[0] {
	case '"':
		if bytes.IndexByte(raw, '\\') < 0 {
			return string(raw[1 : len(raw)-1]), true
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s, true
		}
	case '[':
		var list []string
		if json.Unmarshal(raw, &list) == nil {
			return strings.Join(list, ","), true
		}
	}
	return string(raw), true
}

// comment normalizes a comment from the comments API or the ticket events
// export. Its Body is the API's body field, which both hold; the comments
// API's plain_body differs from it for real comments and the events export
// lacks it, so it is never used: a comment reads the same whichever way it
// arrived.
func comment(id, authorID int64, body string, public bool, at time.Time, p people) ticketsync.Comment {
	return ticketsync.Comment{
		ID:        strconv.FormatInt(id, 10),
		Author:    p.person(authorID),
		Body:      body,
		Public:    public,
		CreatedAt: at.UTC(),
	}
}

// commentTypes are the audit event types that add a comment, from the
// Ticket Audit events reference: Comment, VoiceComment (a call's recording
// or transcript) and FacebookComment (a Facebook post or message).
var commentTypes = []string{"Comment", "VoiceComment", "FacebookComment"}

// isComment reports a child event that adds a comment: one of
// commentTypes, or any other "...Comment" type that carries a body, since
// Zendesk adds event types at will.
func (e *wireChild) isComment() bool {
	for _, t := range []string{e.EventType, e.Type} {
		if slices.Contains(commentTypes, t) {
			return true
		}
	}
	return e.Body != "" && (strings.HasSuffix(e.Type, "Comment") || strings.HasSuffix(e.EventType, "Comment"))
}

// changesComment reports a child event that changes an existing comment:
// CommentPrivacyChange (made an internal note) or CommentRedactionEvent
// (text removed), and the attachment and chat redactions.
func (e *wireChild) changesComment() bool {
	for _, t := range []string{e.EventType, e.Type} {
		switch t {
		case "CommentPrivacyChange", "CommentRedactionEvent", "AttachmentRedactionEvent", "ChatCommentRedactionEvent":
			return true
		}
	}
	return false
}
