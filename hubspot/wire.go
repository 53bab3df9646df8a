package hubspot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/wire"
)

// hsObject is HubSpot's SimplePublicObject.
type hsObject struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"createdAt"`
	UpdatedAt  string             `json:"updatedAt"`
	Archived   bool               `json:"archived"`
	ArchivedAt string             `json:"archivedAt"`
}

// modified returns the object's modification time in milliseconds.
func (o hsObject) modified() int64 {
	if t, ok := parseTime(prop(o.Properties, modifiedProp)); ok {
		return t.UnixMilli()
	}
	if t, ok := parseTime(o.UpdatedAt); ok {
		return t.UnixMilli()
	}
	return 0
}

type nextPaging struct {
	Next *struct {
		After string `json:"after"`
	} `json:"next"`
}

type searchResponse struct {
	Total   int         `json:"total"`
	Results []hsObject  `json:"results"`
	Paging  *nextPaging `json:"paging"`
}

type filter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        string `json:"value"`
}

type searchRequest struct {
	FilterGroups []filterGroup `json:"filterGroups"`
	Sorts        []searchSort  `json:"sorts"`
	Properties   []string      `json:"properties"`
	Limit        int           `json:"limit"`
}

type filterGroup struct {
	Filters []filter `json:"filters"`
}

type searchSort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

type listResponse struct {
	Results []hsObject  `json:"results"`
	Paging  *nextPaging `json:"paging"`
}

type batchResponse struct {
	Results []hsObject `json:"results"`
}

type assocResponse struct {
	Results []struct {
		From struct {
			ID wire.ID `json:"id"`
		} `json:"from"`
		To []struct {
			ToObjectID wire.ID `json:"toObjectId"`
		} `json:"to"`
		Paging *nextPaging `json:"paging"`
	} `json:"results"`
}

type ownerJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

func (o ownerJSON) person() ticketsync.Person {
	return ticketsync.Person{ID: o.ID, Email: o.Email, Name: strings.TrimSpace(o.FirstName + " " + o.LastName)}
}

// hsError is HubSpot's error JSON, as far as the connector reads it.
type hsError struct {
	Message    string `json:"message"`
	Category   string `json:"category"`
	ErrorType  string `json:"errorType"`
	PolicyName string `json:"policyName"`
	Context    struct {
		MissingScopes []string `json:"missingScopes"`
	} `json:"context"`
	Errors []struct {
		Context struct {
			RequiredScopes         []string `json:"requiredScopes"`
			RequiredGranularScopes []string `json:"requiredGranularScopes"`
		} `json:"context"`
	} `json:"errors"`
}

// scopes returns the scopes a MISSING_SCOPES answer names, of which the
// call needs one.
func (e hsError) scopes() []string {
	var out []string
	add := func(ss []string) {
		for _, s := range ss {
			if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	add(e.Context.MissingScopes)
	for _, d := range e.Errors {
		add(d.Context.RequiredGranularScopes)
		add(d.Context.RequiredScopes)
	}
	return out
}

// decodeError reads HubSpot's error body for the HTTP client: its category
// (or, for a 429, its errorType) is the APIError's Code; a missing scope, a
// rate-limit policy and a rejected token get a hint for a person.
func decodeError(status int, _ http.Header, body []byte) (code, message, hint string) {
	var e hsError
	if json.Unmarshal(body, &e) != nil {
		return "", "", ""
	}
	code, message = e.Category, e.Message
	switch {
	case status == http.StatusForbidden && e.Category == "MISSING_SCOPES":
		if s := e.scopes(); len(s) > 0 {
			hint = scopeHint(s)
		}
	case status == http.StatusTooManyRequests && e.PolicyName != "":
		code = e.PolicyName
		message = fmt.Sprintf("%s rate limit reached (policy %s)", policyWords(e.PolicyName), e.PolicyName)
		if e.PolicyName == "DAILY" {
			hint = "the daily limit resets at midnight in the account's time zone"
		}
	case status == http.StatusUnauthorized:
		hint = "check the private app's access token (or reconnect the OAuth app)"
	}
	return code, message, hint
}

// scopeHint says what to do about missing scopes, naming each quoted; the
// names are read back from it by missingScopes.
func scopeHint(scopes []string) string {
	q := make([]string, len(scopes))
	for i, s := range scopes {
		q[i] = strconv.Quote(s)
	}
	return "the token lacks the " + strings.Join(q, " or ") + " scope; add it to the private app (or the OAuth app's scopes) and reinstall"
}

// missingScopes returns the scopes scopeHint named in hint.
func missingScopes(hint string) []string {
	var out []string
	for rest := hint; ; {
		i := strings.IndexByte(rest, '"')
		if i < 0 {
			return out
		}
		q, err := strconv.QuotedPrefix(rest[i:])
		if err != nil {
			return out
		}
		if s, err := strconv.Unquote(q); err == nil {
			out = append(out, s)
		}
		rest = rest[i+len(q):]
	}
}

func policyWords(p string) string {
	switch p {
	case "DAILY":
		return "daily"
	case "TEN_SECONDLY_ROLLING":
		return "10-second"
	case "SECONDLY":
		return "per-second"
	}
	return strings.ToLower(p)
}

type threadJSON struct {
	ID                     wire.ID `json:"id"`
	LatestMessageTimestamp string  `json:"latestMessageTimestamp"`
	Archived               bool    `json:"archived"`
	ThreadAssociations     struct {
		AssociatedTicketID wire.ID `json:"associatedTicketId"`
	} `json:"threadAssociations"`
}

type messageJSON struct {
	Type      string  `json:"type"`
	ID        wire.ID `json:"id"`
	CreatedAt string  `json:"createdAt"`
	Text      string  `json:"text"`
	RichText  string  `json:"richText"`
	Archived  bool    `json:"archived"`
	Senders   []struct {
		ActorID            string `json:"actorId"`
		Name               string `json:"name"`
		DeliveryIdentifier *struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"deliveryIdentifier"`
	} `json:"senders"`
}

type pipelinesResponse struct {
	Results []struct {
		ID     string          `json:"id"`
		Label  string          `json:"label"`
		Stages []pipelineStage `json:"stages"`
	} `json:"results"`
}

type pipelineStage struct {
	ID           string            `json:"id"`
	Label        string            `json:"label"`
	DisplayOrder int               `json:"displayOrder"`
	Archived     bool              `json:"archived"`
	Metadata     map[string]string `json:"metadata"`
}
