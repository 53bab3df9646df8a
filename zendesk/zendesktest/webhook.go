package zendesktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync/internal/webhooksig"
)

// Webhook delivery headers.
const (
	SignatureHeader          = "X-Zendesk-Webhook-Signature"
	SignatureTimestampHeader = "X-Zendesk-Webhook-Signature-Timestamp"
	WebhookIDHeader          = "X-Zendesk-Webhook-Id"
	InvocationIDHeader       = "X-Zendesk-Webhook-Invocation-Id"
	AccountIDHeader          = "X-Zendesk-Account-Id"
)

// TestSigningSecret is the fixed secret Zendesk signs test deliveries with,
// the ones sent from the webhook builder before a webhook exists.
const TestSigningSecret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="

// Sign computes a delivery's signature: the base64 of the HMAC-SHA256, keyed
// with the webhook's signing secret, of the timestamp header's text followed
// directly by the raw body.
func Sign(secret, timestamp string, body []byte) string {
	v := webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Base64}
	return v.Sign(secret, webhooksig.Message([]byte(timestamp), body))
}

// WebhookHeaders returns the headers of a delivery of body signed with
// secret at the fake's time: Content-Type, the signature and its timestamp,
// the webhook, invocation and account ids.
func (s *Server) WebhookHeaders(secret string, body []byte) http.Header {
	return s.webhookHeaders(secret, body, s.Now())
}

// SignedWebhookAt is SignedWebhook with the signature timestamp at, for
// deliveries that arrive late (a replay) or dated ahead.
func (s *Server) SignedWebhookAt(target, secret string, body []byte, at time.Time) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("zendesktest: webhook request: %w", err)
	}
	req.Header = s.webhookHeaders(secret, body, at)
	return req, nil
}

func (s *Server) webhookHeaders(secret string, body []byte, now time.Time) http.Header {
	s.mu.Lock()
	s.deliveries++
	n := s.deliveries
	s.mu.Unlock()
	ts := now.UTC().Format(time.RFC3339)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Zendesk Webhook")
	h.Set(SignatureHeader, Sign(secret, ts, body))
	h.Set(SignatureTimestampHeader, ts)
	h.Set(WebhookIDHeader, s.opts.WebhookID)
	h.Set(InvocationIDHeader, strconv.FormatInt(8800000000000+n, 10))
	h.Set(AccountIDHeader, strconv.FormatInt(s.opts.AccountID, 10))
	return h
}

// SignedWebhook builds a POST of body to target (say, the host's webhook
// handler URL) as Zendesk delivers it, signed with secret. Send it with any
// client, or hand it to a handler through httptest.NewRecorder.
func (s *Server) SignedWebhook(target, secret string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("zendesktest: webhook request: %w", err)
	}
	req.Header = s.WebhookHeaders(secret, body)
	return req, nil
}

const eventTypePrefix = "zen:event-type:"

// EventPayload builds the body of an event-subscription delivery of
// eventType ("ticket.created", "ticket.status_changed",
// "ticket.comment_added", "ticket.soft_deleted", ... with or without the
// "zen:event-type:" prefix) about a ticket in the fake, as it stands now.
//
// It follows that model's conventions, which differ from the REST API's: ids
// are strings, status, priority and type are upper case, unset fields are
// null (tags too), and time carries nanoseconds. The event object holds
// previous and current values for status and priority changes and the
// latest comment for ticket.comment_added.
func (s *Server) EventPayload(eventType string, ticketID int64) ([]byte, error) {
	kind := strings.TrimPrefix(eventType, eventTypePrefix)
	if !strings.HasPrefix(kind, "ticket.") {
		return nil, fmt.Errorf("zendesktest: event type %q: only ticket events are modelled", eventType)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[ticketID]
	if !ok {
		return nil, fmt.Errorf("zendesktest: ticket %d: %w", ticketID, ErrNotFound)
	}
	now := s.Now()
	s.deliveries++
	event := map[string]any{}
	switch kind {
	case "ticket.status_changed":
		event["previous"], event["current"] = upperOrNull(rec.prevStatus), upperOrNull(rec.Status)
	case "ticket.priority_changed":
		event["previous"], event["current"] = upperOrNull(rec.prevPriority), upperOrNull(rec.Priority)
	case "ticket.comment_added":
		if len(rec.comments) == 0 {
			return nil, fmt.Errorf("zendesktest: ticket %d has no comment", ticketID)
		}
		c := rec.comments[len(rec.comments)-1]
		author := s.users[c.AuthorID]
		event["comment"] = map[string]any{
			"id": idString(c.ID), "body": c.Body, "html_body": htmlBody(c), "is_public": c.Public,
			"author": map[string]any{"id": idString(c.AuthorID), "is_staff": author.Role != "end-user", "name": author.Name},
		}
	}
	var tags any
	if len(rec.Tags) > 0 {
		tags = rec.Tags
	}
	channel := rec.Channel
	if channel == "api" {
		channel = "web_service" // the event model's name for the API channel
	}
	var externalID any
	if rec.ExternalID != "" {
		externalID = rec.ExternalID
	}
	payload := map[string]any{
		"account_id": s.opts.AccountID,
		"detail": map[string]any{
			"actor_id":        idString(s.adminID),
			"assignee_id":     idOrNull(rec.AssigneeID),
			"brand_id":        idOrNull(rec.BrandID),
			"created_at":      rfc3339(rec.CreatedAt),
			"custom_status":   idString(customStatusID(rec.Status)),
			"description":     rec.Description,
			"external_id":     externalID,
			"form_id":         nil,
			"group_id":        idOrNull(rec.GroupID),
			"id":              idString(rec.ID),
			"is_public":       true,
			"organization_id": idOrNull(rec.OrgID),
			"priority":        upperOrNull(rec.Priority),
			"requester_id":    idString(rec.RequesterID),
			"status":          upperOrNull(rec.Status),
			"subject":         rec.Subject,
			"submitter_id":    idString(rec.SubmitterID),
			"tags":            tags,
			"type":            upperOrNull(rec.Type),
			"updated_at":      rfc3339(rec.UpdatedAt),
			"via":             map[string]any{"channel": channel},
		},
		"event":                 event,
		"id":                    fmt.Sprintf("cbe4028c-7239-495d-b020-%012x", s.deliveries),
		"subject":               "zen:ticket:" + idString(rec.ID),
		"time":                  now.UTC().Format("2006-01-02T15:04:05.000000000Z07:00"),
		"type":                  eventTypePrefix + kind,
		"zendesk_event_version": "2022-11-06",
	}
	return json.Marshal(payload)
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func idOrNull(id int64) any {
	if id == 0 {
		return nil
	}
	return idString(id)
}

func upperOrNull(s string) any {
	if s == "" {
		return nil
	}
	return strings.ToUpper(s)
}

// customStatusID gives each built-in status a stable custom status id, as an
// account with custom statuses has one per status category.
func customStatusID(status string) int64 {
	base := map[string]int64{"new": 1, "open": 2, "pending": 3, "hold": 4, "solved": 5, "closed": 6, "deleted": 7}
	return 8447320465700 + base[status]
}

// DefaultTriggerTemplate is a trigger action body that names the ticket and
// its main fields; Zendesk substitutes the placeholders when it delivers.
const DefaultTriggerTemplate = `{
  "ticket_id": "{{ticket.id}}",
  "subject": "{{ticket.title}}",
  "status": "{{ticket.status}}",
  "priority": "{{ticket.priority}}",
  "requester_email": "{{ticket.requester.email}}",
  "latest_comment": "{{ticket.latest_comment}}",
  "url": "{{ticket.url}}",
  "updated_at": "{{ticket.updated_at_with_timestamp}}"
}`

var statusLabels = map[string]string{"new": "New", "open": "Open", "pending": "Pending", "hold": "On-hold", "solved": "Solved", "closed": "Closed", "deleted": "Deleted"}

// TriggerPayload renders a trigger-connected webhook's body for a ticket in
// the fake: template ("" means DefaultTriggerTemplate) with its placeholders
// replaced the way a trigger fills them in. Every value is text (the id
// too), status and priority are the labels an agent sees ("Open",
// "On-hold", "High"), ticket.url has no scheme while ticket.link has one.
// Values are JSON-escaped so that a JSON template stays valid.
func (s *Server) TriggerPayload(ticketID int64, template string) ([]byte, error) {
	if template == "" {
		template = DefaultTriggerTemplate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[ticketID]
	if !ok {
		return nil, fmt.Errorf("zendesktest: ticket %d: %w", ticketID, ErrNotFound)
	}
	requester := s.users[rec.RequesterID]
	var assigneeEmail, assigneeName string
	if a, ok := s.users[rec.AssigneeID]; ok {
		assigneeEmail, assigneeName = a.Email, a.Name
	}
	var latest string
	for i := len(rec.comments) - 1; i >= 0; i-- {
		if rec.comments[i].Public {
			latest = rec.comments[i].Body
			break
		}
	}
	priority := ""
	if rec.Priority != "" {
		priority = strings.ToUpper(rec.Priority[:1]) + rec.Priority[1:]
	}
	host := s.Subdomain + ".zendesk.com/agent/tickets/" + idString(rec.ID)
	values := map[string]string{
		"ticket.id":                        idString(rec.ID),
		"ticket.title":                     rec.Subject,
		"ticket.description":               rec.Description,
		"ticket.status":                    statusLabels[rec.Status],
		"ticket.priority":                  priority,
		"ticket.ticket_type":               rec.Type,
		"ticket.tags":                      strings.Join(rec.Tags, " "),
		"ticket.via":                       rec.Channel,
		"ticket.requester.email":           requester.Email,
		"ticket.requester.name":            requester.Name,
		"ticket.assignee.email":            assigneeEmail,
		"ticket.assignee.name":             assigneeName,
		"ticket.latest_comment":            latest,
		"ticket.url":                       host,
		"ticket.link":                      "https://" + host,
		"ticket.external_id":               rec.ExternalID,
		"ticket.created_at_with_timestamp": placeholderTime(rec.CreatedAt),
		"ticket.updated_at_with_timestamp": placeholderTime(rec.UpdatedAt),
	}
	var out strings.Builder
	rest := template
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			out.WriteString(rest)
			break
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			out.WriteString(rest)
			break
		}
		out.WriteString(rest[:i])
		name := strings.TrimSpace(rest[i+2 : i+j])
		if v, ok := values[name]; ok {
			out.WriteString(jsonEscape(v))
		} // unknown placeholders render empty, as Zendesk's do
		rest = rest[i+j+2:]
	}
	return []byte(out.String()), nil
}

// placeholderTime renders a *_with_timestamp placeholder as Zendesk's
// placeholder reference documents it: ISO 8601 to the minute, without
// seconds ("2013-12-12T05:35Z").
func placeholderTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04Z") }

func jsonEscape(v string) string {
	b, _ := json.Marshal(v)
	return string(b[1 : len(b)-1])
}
