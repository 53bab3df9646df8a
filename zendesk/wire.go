package zendesk

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync/internal/wire"
)

// The JSON the REST API answers, as far as the connector reads it. Fields
// that may be null decode to their zero values; ids are 64-bit.

type wireUser struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type wireField struct {
	ID    int64           `json:"id"`
	Value json.RawMessage `json:"value"`
}

type wireVia struct {
	Channel wire.ID `json:"channel"` // a word, but read leniently
}

type wireTicket struct {
	ID           int64       `json:"id"`
	Subject      string      `json:"subject"`
	Description  string      `json:"description"`
	Status       string      `json:"status"`
	Priority     string      `json:"priority"`
	Via          wireVia     `json:"via"`
	RequesterID  int64       `json:"requester_id"`
	AssigneeID   int64       `json:"assignee_id"`
	Tags         []string    `json:"tags"`
	CustomFields []wireField `json:"custom_fields"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
}

// wireExport is a page of GET /incremental/tickets/cursor.
type wireExport struct {
	Tickets     []wireTicket `json:"tickets"`
	Users       []wireUser   `json:"users"`
	AfterCursor string       `json:"after_cursor"`
	EndOfStream bool         `json:"end_of_stream"`
}

// wireEvents is a page of GET /incremental/ticket_events.
type wireEvents struct {
	TicketEvents []wireAudit `json:"ticket_events"`
	EndTime      int64       `json:"end_time"`
	EndOfStream  bool        `json:"end_of_stream"`
}

// wireAudit is one ticket update in the ticket events export.
type wireAudit struct {
	TicketID    int64       `json:"ticket_id"`
	Timestamp   int64       `json:"timestamp"`
	CreatedAt   time.Time   `json:"created_at"`
	ChildEvents []wireChild `json:"child_events"`
}

// wireChild is one child event of an audit: a comment (with
// include=comment_events), a change of a comment, or another event, such
// as a field change or a notification, which is not read.
type wireChild struct {
	ID        int64     `json:"id"`
	Type      string    `json:"type"`
	EventType string    `json:"event_type"`
	AuthorID  int64     `json:"author_id"`
	Body      string    `json:"body"`
	Public    bool      `json:"public"`
	CommentID int64     `json:"comment_id"`
	CreatedAt time.Time `json:"created_at"`
}

// wireComment is one comment of GET /tickets/{id}/comments.
type wireComment struct {
	ID        int64     `json:"id"`
	AuthorID  int64     `json:"author_id"`
	Body      string    `json:"body"`
	Public    bool      `json:"public"`
	CreatedAt time.Time `json:"created_at"`
}

// wireUsers is the answer of GET /users/show_many.
type wireUsers struct {
	Users []wireUser `json:"users"`
}

// wireComments is a page of GET /tickets/{id}/comments, cursor paginated.
type wireComments struct {
	Comments []wireComment `json:"comments"`
	Users    []wireUser    `json:"users"`
	Meta     struct {
		HasMore     bool   `json:"has_more"`
		AfterCursor string `json:"after_cursor"`
	} `json:"meta"`
}

// wireShowMany is the answer of GET /tickets/show_many.
type wireShowMany struct {
	Tickets []wireTicket `json:"tickets"`
	Users   []wireUser   `json:"users"`
}

// wireError is Zendesk's error body: {"error":"RecordNotFound",
// "description":"Not found"}, {"error":"Couldn't authenticate you"}, or
// {"error":{"title":"...","message":"..."}}.
type wireError struct {
	Error       json.RawMessage `json:"error"`
	Description string          `json:"description"`
}

// decodeError reads Zendesk's error body for the HTTP stack
// (httpx.Config.DecodeError): an "error" word with a "description" is the
// code and the message; an "error" sentence alone is the message. The
// connector adds hints where it calls the API.
func decodeError(_ int, _ http.Header, body []byte) (code, message, hint string) {
	var w wireError
	if json.Unmarshal(body, &w) != nil || len(w.Error) == 0 {
		return "", "", ""
	}
	var s string
	if json.Unmarshal(w.Error, &s) != nil {
		var obj struct{ Title, Message string }
		if json.Unmarshal(w.Error, &obj) == nil {
			return obj.Title, obj.Message, ""
		}
		return "", "", ""
	}
	if w.Description != "" && !strings.ContainsRune(s, ' ') {
		return s, w.Description, ""
	}
	return "", s, ""
}
