package freshdesk

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// The JSON the REST API answers, as far as the connector reads it. Ids that
// may be null decode to 0.

type wireContact struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// wireAgent is one agent of GET /agents.
type wireAgent struct {
	ID      int64 `json:"id"`
	Contact struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"contact"`
}

type wireTicket struct {
	ID              int64                      `json:"id"`
	Subject         string                     `json:"subject"`
	Description     string                     `json:"description"`
	DescriptionText string                     `json:"description_text"`
	Status          int                        `json:"status"`
	Priority        int                        `json:"priority"`
	Source          int                        `json:"source"`
	Type            string                     `json:"type"`
	RequesterID     int64                      `json:"requester_id"`
	ResponderID     int64                      `json:"responder_id"`
	GroupID         int64                      `json:"group_id"`
	CompanyID       int64                      `json:"company_id"`
	ProductID       int64                      `json:"product_id"`
	Tags            []string                   `json:"tags"`
	CustomFields    map[string]json.RawMessage `json:"custom_fields"`
	Spam            bool                       `json:"spam"`
	Deleted         bool                       `json:"deleted"`
	CreatedAt       time.Time                  `json:"created_at"`
	UpdatedAt       time.Time                  `json:"updated_at"`
	Requester       *wireContact               `json:"requester"`
}

type wireConversation struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	Body      string    `json:"body"`
	BodyText  string    `json:"body_text"`
	Incoming  bool      `json:"incoming"`
	Private   bool      `json:"private"`
	CreatedAt time.Time `json:"created_at"`
}

// wireField is one field of GET /ticket_fields; only the status field's
// choices are read: {"6": ["Waiting on Customer", "Awaiting your Reply"]}.
type wireField struct {
	Name    string          `json:"name"`
	Type    string          `json:"type"`
	Choices json.RawMessage `json:"choices"`
}

// ticketFields is what the connector keeps of ticket_fields.
type ticketFields struct {
	statuses map[int]string // code → agent label
}

// parseTicketFields reads the status choices.
func parseTicketFields(fields []wireField) *ticketFields {
	tf := &ticketFields{statuses: map[int]string{}}
	for _, f := range fields {
		if f.Name != "status" && f.Type != "default_status" {
			continue
		}
		var choices map[string][]string
		if json.Unmarshal(f.Choices, &choices) != nil {
			continue
		}
		for code, labels := range choices {
			n, err := strconv.Atoi(code)
			if err == nil && len(labels) > 0 {
				tf.statuses[n] = labels[0]
			}
		}
	}
	return tf
}

// Freshdesk's error codes the connector acts on.
const (
	codeInvalidCredentials = "invalid_credentials"
	codeRequireFeature     = "require_feature" // the plan lacks the API
	codeAccessDenied       = "access_denied"
)

// decodeError reads Freshdesk's error bodies for the HTTP stack:
// {"code": "invalid_credentials", "message": "..."} for authentication,
// permission and plan errors, and {"description": "Validation failed",
// "errors": [{"field", "message", "code"}]} for a refused request, whose
// message the stack composes itself. The hint says what to check.
func decodeError(status int, _ http.Header, body []byte) (code, message, hint string) {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Errors  []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) == nil {
		code, message = e.Code, e.Message
		if code == "" && len(e.Errors) > 0 {
			code, message = e.Errors[0].Code, ""
		}
	}
	switch {
	case code == codeInvalidCredentials || status == http.StatusUnauthorized:
		hint = hintKey
	case code == codeRequireFeature:
		hint = hintFreePlan
	case code == codeAccessDenied || status == http.StatusForbidden:
		hint = hintForbidden
	}
	return code, message, hint
}
