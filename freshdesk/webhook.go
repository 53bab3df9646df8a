package freshdesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/webhooksig"
	"github.com/ticketsync/ticketsync/internal/wire"
)

// RecommendedWebhookTemplate is the JSON body to give an automation's
// "Trigger webhook" action (Content: Advanced, Encoding: JSON). Only
// ticket_id is needed: the connector loads the ticket through the API.
// triggered_event tells a creation from an update; the status lets a log
// line say what happened.
const RecommendedWebhookTemplate = `{
  "ticket_id": "{{ticket.id}}",
  "triggered_event": "{{triggered_event}}",
  "ticket_status": "{{ticket.status}}",
  "ticket_url": "{{ticket.url}}"
}`

// VerifyWebhook checks that a delivery carries a configured token in
// Config.WebhookHeader, or the configured HTTP Basic credentials (the
// action's "Requires authentication"), comparing in constant time.
// Freshdesk cannot sign its webhooks, so this is the whole check. It
// returns an error matching ticketsync.ErrInvalidSignature otherwise, also
// when neither a token nor credentials are configured. It does not read
// r.Body.
func (c *Connector) VerifyWebhook(r *http.Request, body []byte) error {
	hasBasic := c.cfg.WebhookUsername != ""
	if len(c.cfg.tokens) == 0 && !hasBasic {
		return invalid(webhooksig.Invalid("no webhook token or credentials are configured (Config.WebhookToken)"))
	}
	var tokenErr, basicErr error
	if len(c.cfg.tokens) > 0 {
		if tokenErr = webhooksig.CheckToken(strings.TrimSpace(r.Header.Get(c.cfg.WebhookHeader)), c.cfg.tokens...); tokenErr == nil {
			return nil
		}
	}
	if hasBasic {
		if basicErr = webhooksig.CheckBasic(r, webhooksig.Credentials{Username: c.cfg.WebhookUsername, Password: c.cfg.WebhookPassword}); basicErr == nil {
			return nil
		}
	}
	if tokenErr != nil {
		return invalid(tokenErr)
	}
	return invalid(basicErr)
}

func invalid(err error) error { return fmt.Errorf("freshdesk: verify webhook: %w", err) }

// ParseWebhook parses a delivery of an automation's "Trigger webhook"
// action into one id-only event, which the Syncer completes through
// GetTickets. It reads RecommendedWebhookTemplate and the common Advanced
// shape {"freshdesk_webhook": {"ticket_id": "11", "triggered_event":
// "{status:{from:4,to:6}}", ...}}, JSON or form-encoded; values may be
// strings or numbers. triggered_event, which is not JSON, makes the event
// EventCreated for "{ticket_action:created}", EventDeleted for a deletion
// or spam, EventCommented for a reply or note, and EventUpdated otherwise.
// A delivery without a ticket id, such as one whose placeholders were not
// filled in, gives no events.
func (c *Connector) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil
	}
	var id, event string
	switch body[0] {
	case '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, errors.New("freshdesk: parse webhook: the body is not a JSON object")
		}
		if inner, ok := m["freshdesk_webhook"]; ok {
			var w map[string]json.RawMessage
			if err := json.Unmarshal(inner, &w); err != nil {
				return nil, errors.New("freshdesk: parse webhook: freshdesk_webhook is not an object")
			}
			m = w
		}
		for _, k := range []string{"ticket_id", "ticketId", "id"} {
			var v wire.ID
			if raw, ok := m[k]; ok && json.Unmarshal(raw, &v) == nil && v != "" {
				id = v.String()
				break
			}
		}
		_ = json.Unmarshal(m["triggered_event"], &event)
	case '<':
		return nil, errors.New("freshdesk: parse webhook: XML bodies are not supported: set the action's encoding to JSON")
	case '[', '"':
		return nil, errors.New("freshdesk: parse webhook: the body is not a JSON object")
	default:
		v, err := url.ParseQuery(string(body))
		if err != nil || !bytes.Contains(body, []byte("=")) {
			return nil, errors.New("freshdesk: parse webhook: the body is neither JSON nor form-encoded")
		}
		id, event = v.Get("ticket_id"), v.Get("triggered_event")
		if id == "" {
			id = v.Get("freshdesk_webhook[ticket_id]")
			event = v.Get("freshdesk_webhook[triggered_event]")
		}
	}
	id = strings.TrimSpace(id)
	if id == "" || strings.Contains(id, "{{") {
		return nil, nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return nil, errors.New("freshdesk: parse webhook: the ticket id is not a positive whole number")
	}
	return []ticketsync.Event{{Kind: eventKind(event), TicketID: strconv.FormatInt(n, 10)}}, nil
}

// eventKind reads Freshdesk's triggered_event, such as
// "{ticket_action:created}", "{status:{from:4,to:6}}" or
// "{note_type:private}": not JSON, but a key and a value. The action's
// word goes through ticketsync.ParseEventKind; a note or reply is a
// comment; anything else, such as a status change, an update.
func eventKind(ev string) ticketsync.EventKind {
	ev = strings.ToLower(strings.Trim(strings.ReplaceAll(ev, " ", ""), "{}"))
	key, value, _ := strings.Cut(ev, ":")
	value = strings.Trim(value, "{}")
	switch key {
	case "ticket_action":
		if k, ok := ticketsync.ParseEventKind(value); ok {
			return k
		}
		if value == "spam" || value == "marked_as_spam" {
			return ticketsync.EventDeleted
		}
	case "note_type", "reply_type", "reply_sent", "note_added", "customer_feedback":
		return ticketsync.EventCommented
	case "deleted", "spam":
		if value == "true" {
			return ticketsync.EventDeleted
		}
	}
	return ticketsync.EventUpdated
}
