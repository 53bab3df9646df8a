package jira

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/ticketsync/ticketsync/internal/wire"
)

// The JSON the connector reads, as the Jira Cloud REST API v3 and the JSM
// REST API write it. Only the fields the connector maps are decoded.

// timeLayout is Jira's datetime: milliseconds and an offset without a colon,
// "2021-01-17T12:34:00.000+1100", written in the requesting user's zone.
const timeLayout = "2006-01-02T15:04:05.000-0700"

// jiraTime is a Jira datetime; it keeps the offset Jira wrote it with.
type jiraTime struct {
	time.Time
	set bool
}

func (t *jiraTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = jiraTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		*t = jiraTime{}
		return nil
	}
	for _, layout := range []string{timeLayout, "2006-01-02T15:04:05.000Z07:00", time.RFC3339Nano} {
		if v, err := time.Parse(layout, s); err == nil {
			*t = jiraTime{Time: v, set: true}
			return nil
		}
	}
	return &time.ParseError{Layout: timeLayout, Value: s, Message: ": not a Jira datetime"}
}

// wireUser is a user as the platform API writes it. emailAddress is absent
// when the user's privacy settings hide it.
type wireUser struct {
	AccountID    string `json:"accountId"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress"`
	TimeZone     string `json:"timeZone"`
	AccountType  string `json:"accountType"`
	Active       *bool  `json:"active"`
}

// wireMyself is GET /rest/api/3/myself.
type wireMyself struct {
	wireUser
	Self string `json:"self"`
}

type wireStatus struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	StatusCategory struct {
		Key  string `json:"key"`
		Name string `json:"name"`
	} `json:"statusCategory"`
}

type wireNamed struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

// wireRequestType is the value of JSM's "Request Type" field
// (com.atlassian.servicedesk:vp-origin).
type wireRequestType struct {
	RequestType struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"requestType"`
	CurrentStatus struct {
		Status string `json:"status"`
	} `json:"currentStatus"`
}

type wireComment struct {
	ID        string   `json:"id"`
	Author    wireUser `json:"author"`
	Body      richText `json:"body"`
	Created   jiraTime `json:"created"`
	Updated   jiraTime `json:"updated"`
	JSDPublic *bool    `json:"jsdPublic"`
}

// wireCommentPage is the issue's comment field in search and bulk fetch
// results, and the answer of GET /rest/api/3/issue/{id}/comment.
type wireCommentPage struct {
	Comments   []wireComment `json:"comments"`
	StartAt    int           `json:"startAt"`
	MaxResults int           `json:"maxResults"`
	Total      int           `json:"total"`
}

// wireFields are the issue fields the connector asks for. Custom fields
// (the request type and participants, whose ids differ per site) are read
// from Extra.
type wireFields struct {
	Summary     string           `json:"summary"`
	Description richText         `json:"description"`
	Status      *wireStatus      `json:"status"`
	Priority    *wireNamed       `json:"priority"`
	Reporter    *wireUser        `json:"reporter"`
	Assignee    *wireUser        `json:"assignee"`
	Labels      []string         `json:"labels"`
	Created     jiraTime         `json:"created"`
	Updated     jiraTime         `json:"updated"`
	IssueType   *wireNamed       `json:"issuetype"`
	Project     *wireNamed       `json:"project"`
	Comment     *wireCommentPage `json:"comment"`

	// Extra holds every field by id, undecoded, for custom fields.
	Extra map[string]json.RawMessage `json:"-"`
}

func (f *wireFields) UnmarshalJSON(b []byte) error {
	type plain wireFields
	if err := json.Unmarshal(b, (*plain)(f)); err != nil {
		return err
	}
	f.Extra = nil
	if bytes.Contains(b, []byte(`"customfield_`)) {
		var all map[string]json.RawMessage
		if err := json.Unmarshal(b, &all); err != nil {
			return err
		}
		for k, v := range all {
			if len(k) > len("customfield_") && k[:len("customfield_")] == "customfield_" {
				if f.Extra == nil {
					f.Extra = map[string]json.RawMessage{}
				}
				f.Extra[k] = v
			}
		}
	}
	return nil
}

// wireIssue is an issue in search and bulk fetch results.
type wireIssue struct {
	ID     string      `json:"id"`
	Key    string      `json:"key"`
	Self   string      `json:"self"`
	Fields *wireFields `json:"fields"`
}

// wireSearchRequest is the body of POST /rest/api/3/search/jql.
type wireSearchRequest struct {
	JQL           string   `json:"jql"`
	NextPageToken string   `json:"nextPageToken,omitempty"`
	MaxResults    int      `json:"maxResults"`
	Fields        []string `json:"fields"`
}

// wireSearchResponse is the answer of the enhanced search. nextPageToken is
// absent on the last page.
type wireSearchResponse struct {
	Issues        []wireIssue `json:"issues"`
	NextPageToken string      `json:"nextPageToken"`
	IsLast        *bool       `json:"isLast"`
}

// wireBulkFetchRequest is the body of POST /rest/api/3/issue/bulkfetch.
type wireBulkFetchRequest struct {
	IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
	Fields         []string `json:"fields"`
}

// wireBulkFetchResponse is its answer: issues that do not exist or cannot be
// seen are simply absent; issueErrors lists those Jira failed to load.
type wireBulkFetchResponse struct {
	Issues      []wireIssue `json:"issues"`
	IssueErrors []struct {
		ID           string `json:"id"`
		ErrorMessage string `json:"errorMessage"`
	} `json:"issueErrors"`
}

// wireField is one entry of GET /rest/api/3/field.
type wireField struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Custom bool   `json:"custom"`
	Schema struct {
		Type   string `json:"type"`
		Custom string `json:"custom"`
	} `json:"schema"`
}

// wireServiceDeskPage is GET /rest/servicedeskapi/servicedesk.
type wireServiceDeskPage struct {
	Size       int  `json:"size"`
	Start      int  `json:"start"`
	Limit      int  `json:"limit"`
	IsLastPage bool `json:"isLastPage"`
	Values     []struct {
		ID          string `json:"id"`
		ProjectID   string `json:"projectId"`
		ProjectKey  string `json:"projectKey"`
		ProjectName string `json:"projectName"`
	} `json:"values"`
}

// wireWebhook is an admin webhook's delivery. Its issue JSON is the REST v2
// representation (wiki markup bodies), so only ids are read from it.
type wireWebhook struct {
	Timestamp    int64  `json:"timestamp"`
	WebhookEvent string `json:"webhookEvent"`
	Issue        *struct {
		ID  wire.ID `json:"id"`
		Key string  `json:"key"`
	} `json:"issue"`
	Comment *struct {
		ID wire.ID `json:"id"`
	} `json:"comment"`
}

// decodeError reads Jira's error bodies for the HTTP stack: the message
// comes from errorMessages and errors as the stack reads them; this adds
// the rate limit's reason as the code, and hints a person can act on.
func decodeError(status int, h http.Header, body []byte) (code, message, hint string) {
	switch {
	case status == http.StatusTooManyRequests:
		code = h.Get("RateLimit-Reason")
	case status == http.StatusUnauthorized || loginFailed(h):
		hint = hintCredentials
	case status == http.StatusForbidden:
		hint = hintAccess
	case status == http.StatusGone:
		hint = "Jira removed this API: update ticketsync"
	case status == http.StatusBadRequest && bytes.Contains(body, []byte("for the field 'project'")):
		hint = "check Config.Projects, and that the user can browse each project"
	case status == http.StatusBadRequest && (bytes.Contains(body, []byte("JQL")) || bytes.Contains(body, []byte("Field '")) ||
		bytes.Contains(body, []byte("operator"))):
		// The connector's own query uses only project and updated.
		hint = "check Config.JQL"
	}
	return code, "", hint
}
