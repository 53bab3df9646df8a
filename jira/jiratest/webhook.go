package jiratest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ticketsync/ticketsync/internal/webhooksig"
)

// Webhook events an admin webhook can send about issues and comments.
const (
	IssueCreated   = "jira:issue_created"
	IssueUpdated   = "jira:issue_updated"
	IssueDeleted   = "jira:issue_deleted"
	CommentCreated = "comment_created"
	CommentUpdated = "comment_updated"
	CommentDeleted = "comment_deleted"
)

// Delivery is one webhook delivery as Jira sends it.
type Delivery struct {
	// ID is the X-Atlassian-Webhook-Identifier, the same on every retry.
	ID    string
	Event string
	Body  []byte
	// Retry counts the attempts before this one (X-Atlassian-Webhook-Retry,
	// absent on the first).
	Retry int
}

// signer is Jira's X-Hub-Signature: sha256= and the hex HMAC-SHA256 of the
// body.
var signer = webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Hex, Prefix: "sha256="}

// Webhook builds a delivery of event about an issue, as an admin webhook
// sends it: the REST v2 representation of the issue (wiki markup bodies,
// /rest/api/2 self links), the acting user, the timestamp in unix
// milliseconds, and for comment events the comment (commentID, or the
// issue's newest). A deleted issue is described as it was last. It returns
// false when the issue never existed.
func (s *Server) Webhook(event string, issueID, commentID int64) (Delivery, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var is *Issue
	if live, ok := s.issues[issueID]; ok {
		is = live.cur
	} else if gone, ok := s.deleted[issueID]; ok {
		is = gone
	} else {
		return Delivery{}, false
	}
	all := fieldSet([]string{"*navigable"})
	issueJSON := s.issueJSONLocked(is, all, "2")
	payload := map[string]any{
		"timestamp":    s.Now().UnixMilli(),
		"webhookEvent": event,
		"user":         s.userJSONLocked(&s.me, "2", false),
		"issue":        issueJSON,
	}
	switch event {
	case IssueCreated:
		payload["issue_event_type_name"] = "issue_created"
	case IssueUpdated:
		payload["issue_event_type_name"] = "issue_generic"
		payload["changelog"] = map[string]any{"id": strconv.FormatInt(s.Now().UnixMilli()%100000, 10), "items": []any{
			map[string]any{"field": "summary", "fieldtype": "jira", "fieldId": "summary", "from": nil, "fromString": "", "to": nil, "toString": is.Summary},
		}}
	case IssueDeleted:
		payload["issue_event_type_name"] = "issue_deleted"
	case CommentCreated, CommentUpdated, CommentDeleted:
		// Comment events carry a slim issue.
		fields := issueJSON["fields"].(map[string]any)
		payload["issue"] = map[string]any{"id": issueJSON["id"], "self": issueJSON["self"], "key": is.Key,
			"fields": map[string]any{"summary": fields["summary"], "status": fields["status"], "issuetype": fields["issuetype"], "project": fields["project"]}}
		for i := range is.Comments {
			c := &is.Comments[i]
			if (commentID == 0 && i == len(is.Comments)-1) || c.ID == commentID {
				payload["comment"] = s.commentJSONLocked(is, c, "2")
			}
		}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	return Delivery{ID: hex.EncodeToString(id[:]), Event: event, Body: body}, true
}

// Request returns the delivery as an HTTP request to target, signed with
// secret ("" sends it unsigned, as a webhook without a secret does).
func (d Delivery) Request(target, secret string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(d.Body))
	if err != nil {
		return nil, fmt.Errorf("jiratest: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("User-Agent", "Atlassian Webhook HTTP Client")
	req.Header.Set("X-Atlassian-Webhook-Identifier", d.ID)
	req.Header.Set("X-Atlassian-Webhook-Flow", "Primary")
	if d.Retry > 0 {
		req.Header.Set("X-Atlassian-Webhook-Retry", strconv.Itoa(d.Retry))
	}
	if secret != "" {
		req.Header.Set("X-Hub-Signature", Sign(secret, d.Body))
	}
	return req, nil
}

// Retried returns the delivery as Jira sends it again after a failure: the
// same identifier and body, one more retry.
func (d Delivery) Retried() Delivery {
	d.Retry++
	return d
}

// Sign returns the X-Hub-Signature of body with secret.
func Sign(secret string, body []byte) string { return signer.Sign(secret, body) }
