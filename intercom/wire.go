package intercom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ticketsync/ticketsync/internal/wire"
)

// assigned returns an assignee id, or "" for Intercom's "unassigned"
// values (null on conversations, "0" on tickets).
func assigned(id wire.ID) string {
	if id == "0" {
		return ""
	}
	return string(id)
}

// unixTime reads a unix-seconds time that may be null.
type unixTime int64

// UnmarshalJSON reads a number, a string of digits or null.
func (u *unixTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*u = 0
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return fmt.Errorf("time %s is not unix seconds", b)
		}
		n = json.Number(s)
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil {
			return fmt.Errorf("time %s is not unix seconds", b)
		}
		i = int64(f)
	}
	*u = unixTime(i)
	return nil
}

// wireMe is the answer of GET /me: the admin the token acts as, and the
// workspace.
type wireMe struct {
	Type  string  `json:"type"`
	ID    wire.ID `json:"id"`
	Email string  `json:"email"`
	App   *struct {
		IDCode string `json:"id_code"`
		Name   string `json:"name"`
		Region string `json:"region"`
	} `json:"app"`
}

// wireError is Intercom's error.list.
type wireError struct {
	Type   string `json:"type"`
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

type wireAuthor struct {
	Type  string  `json:"type"` // admin, user, lead, bot, team, contact
	ID    wire.ID `json:"id"`
	Name  *string `json:"name"`
	Email string  `json:"email"`
}

// wirePart is a conversation_part or a ticket_part.
type wirePart struct {
	ID        wire.ID    `json:"id"`
	PartType  string     `json:"part_type"`
	Body      *string    `json:"body"`
	CreatedAt unixTime   `json:"created_at"`
	UpdatedAt unixTime   `json:"updated_at"`
	Author    wireAuthor `json:"author"`
	Redacted  bool       `json:"redacted"`
}

type wireContactRef struct {
	ID         string  `json:"id"`
	ExternalID *string `json:"external_id"`
}

type wireContactList struct {
	Contacts []wireContactRef `json:"contacts"`
}

type wireConversation struct {
	Type            string   `json:"type"`
	ID              wire.ID  `json:"id"`
	Title           *string  `json:"title"`
	CreatedAt       unixTime `json:"created_at"`
	UpdatedAt       unixTime `json:"updated_at"`
	State           string   `json:"state"`
	Open            bool     `json:"open"`
	Priority        string   `json:"priority"`
	AdminAssigneeID wire.ID  `json:"admin_assignee_id"`
	TeamAssigneeID  wire.ID  `json:"team_assignee_id"`
	Tags            struct {
		Tags []struct {
			ID   wire.ID `json:"id"`
			Name string  `json:"name"`
		} `json:"tags"`
	} `json:"tags"`
	Source struct {
		Type        string     `json:"type"`
		ID          wire.ID    `json:"id"`
		DeliveredAs string     `json:"delivered_as"`
		Subject     string     `json:"subject"`
		Body        string     `json:"body"`
		Author      wireAuthor `json:"author"`
	} `json:"source"`
	Contacts          wireContactList            `json:"contacts"`
	CustomAttributes  map[string]json.RawMessage `json:"custom_attributes"`
	ConversationParts *struct {
		Parts      []wirePart `json:"conversation_parts"`
		TotalCount int        `json:"total_count"`
	} `json:"conversation_parts"`
}

// wireTicketState reads ticket_state in both of its shapes: a plain
// category string (2.11 and before) or an object (2.12 and later).
type wireTicketState struct {
	ID            wire.ID `json:"id"`
	Category      string  `json:"category"`
	InternalLabel string  `json:"internal_label"`
}

// UnmarshalJSON reads a category string or a ticket_state object.
func (s *wireTicketState) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*s = wireTicketState{}
		return json.Unmarshal(b, &s.Category)
	}
	type plain wireTicketState
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = wireTicketState(p)
	return nil
}

type wireTicket struct {
	Type             string                     `json:"type"`
	ID               wire.ID                    `json:"id"`
	TicketID         wire.ID                    `json:"ticket_id"`
	Category         string                     `json:"category"`
	TicketAttributes map[string]json.RawMessage `json:"ticket_attributes"`
	TicketState      wireTicketState            `json:"ticket_state"`
	// TicketStateInternalLabel is 2.11's label, beside a string state.
	TicketStateInternalLabel string `json:"ticket_state_internal_label"`
	TicketType               *struct {
		ID   wire.ID `json:"id"`
		Name string  `json:"name"`
	} `json:"ticket_type"`
	Contacts        wireContactList `json:"contacts"`
	AdminAssigneeID wire.ID         `json:"admin_assignee_id"`
	TeamAssigneeID  wire.ID         `json:"team_assignee_id"`
	CreatedAt       unixTime        `json:"created_at"`
	UpdatedAt       unixTime        `json:"updated_at"`
	Open            bool            `json:"open"`
	TicketParts     *struct {
		Parts      []wirePart `json:"ticket_parts"`
		TotalCount int        `json:"total_count"`
	} `json:"ticket_parts"`
}

// wirePages is the pages object of a search answer.
type wirePages struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	TotalPages int `json:"total_pages"`
	Next       *struct {
		StartingAfter string `json:"starting_after"`
	} `json:"next"`
}

type wireConversationList struct {
	Pages         wirePages          `json:"pages"`
	TotalCount    int                `json:"total_count"`
	Conversations []wireConversation `json:"conversations"`
}

type wireTicketList struct {
	Pages      wirePages    `json:"pages"`
	TotalCount int          `json:"total_count"`
	Tickets    []wireTicket `json:"tickets"`
}

type wireContact struct {
	ID    string  `json:"id"`
	Role  string  `json:"role"`
	Name  *string `json:"name"`
	Email string  `json:"email"`
}

type wireContactSearch struct {
	Pages wirePages     `json:"pages"`
	Data  []wireContact `json:"data"`
}

type wireAdmin struct {
	ID    wire.ID `json:"id"`
	Name  string  `json:"name"`
	Email string  `json:"email"`
}

type wireAdminList struct {
	Admins []wireAdmin `json:"admins"`
}

// searchQuery is the body of a search request.
type searchQuery struct {
	Query      any              `json:"query"`
	Pagination searchPagination `json:"pagination"`
}

type searchPagination struct {
	PerPage       int    `json:"per_page"`
	StartingAfter string `json:"starting_after,omitempty"`
}

type searchFilter struct {
	Field    string `json:"field"`
	Operator string `json:"operator"`
	Value    any    `json:"value"`
}

type searchGroup struct {
	Operator string `json:"operator"`
	Value    []any  `json:"value"`
}

// wireNotification is the notification_event envelope of a webhook.
type wireNotification struct {
	Type      string   `json:"type"`
	AppID     string   `json:"app_id"`
	ID        string   `json:"id"`
	Topic     string   `json:"topic"`
	CreatedAt unixTime `json:"created_at"`
	Data      struct {
		Item json.RawMessage `json:"item"`
	} `json:"data"`
}

// wireItem is the part of data.item the connector reads: which record.
type wireItem struct {
	Type   string  `json:"type"`
	Object string  `json:"object"`
	ID     wire.ID `json:"id"`
}

// decodeError reads Intercom's error.list: the first error's code and
// message, and a hint for the codes a person can act on.
func decodeError(status int, _ http.Header, body []byte) (code, message, hint string) {
	var e wireError
	if json.Unmarshal(body, &e) != nil || e.Type != "error.list" || len(e.Errors) == 0 {
		return "", "", ""
	}
	code, message = e.Errors[0].Code, e.Errors[0].Message
	switch code {
	case "unauthorized", "token_not_found", "token_revoked", "token_expired", "token_blocked":
		hint = hintToken
	case "token_unauthorized":
		hint = "the access token lacks a permission the request needs (Developer Hub → your app → Authentication)"
	case "intercom_version_invalid":
		hint = "set Config.APIVersion to a version Intercom knows, or leave it empty"
	}
	return code, message, hint
}
