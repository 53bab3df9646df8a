package zendesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/webhooksig"
	"github.com/ticketsync/ticketsync/internal/wire"
)

// Headers of a webhook delivery.
const (
	SignatureHeader          = "X-Zendesk-Webhook-Signature"
	SignatureTimestampHeader = "X-Zendesk-Webhook-Signature-Timestamp"
)

// RecommendedTriggerTemplate is the JSON body to give a trigger's "Notify
// by webhook" action. Only ticket_id is needed: the connector loads the
// ticket through the API. "event" is optional ("created", "updated",
// "commented" or "deleted"; "updated" when absent); updated_at lets the
// Syncer order deliveries.
const RecommendedTriggerTemplate = `{
  "ticket_id": "{{ticket.id}}",
  "event": "updated",
  "updated_at": "{{ticket.updated_at_with_timestamp}}"
}`

// signature is the shape of Zendesk's webhook signature: base64 of an
// HMAC-SHA256 over the signature timestamp followed by the raw body.
var signature = webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Base64}

// Sign returns the signature Zendesk sends in X-Zendesk-Webhook-Signature:
// the base64 of the HMAC-SHA256, keyed with the webhook's signing secret, of
// the X-Zendesk-Webhook-Signature-Timestamp value followed directly by the
// raw body. Tests and senders use it to sign deliveries.
func Sign(secret, timestamp string, body []byte) string {
	return signature.Sign(secret, webhooksig.Message([]byte(timestamp), body))
}

// VerifyWebhook checks the delivery's X-Zendesk-Webhook-Signature against
// every configured secret, in constant time, and that its signed
// X-Zendesk-Webhook-Signature-Timestamp is within Config.WebhookTolerance
// of the clock. It returns an error matching ticketsync.ErrInvalidSignature
// when the signature is missing, malformed, wrong or too old, and also
// when no secret is configured. It does not read r.Body.
func (c *Connector) VerifyWebhook(r *http.Request, body []byte) error {
	if len(c.cfg.secrets) == 0 {
		return invalid(webhooksig.Invalid("no webhook signing secret is configured (Config.WebhookSecret)"))
	}
	sig := strings.TrimSpace(r.Header.Get(SignatureHeader))
	ts := strings.TrimSpace(r.Header.Get(SignatureTimestampHeader))
	if sig == "" || ts == "" {
		return invalid(webhooksig.Invalid("the delivery is not signed (no " + SignatureHeader + " or " + SignatureTimestampHeader + " header)"))
	}
	at, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return invalid(webhooksig.Invalid("the signature timestamp is not an ISO 8601 time"))
	}
	if err := webhooksig.CheckTimestamp(at, c.now(), c.cfg.WebhookTolerance); err != nil {
		return invalid(err)
	}
	v := signature
	v.Secrets = c.cfg.secrets
	if err := v.Verify(webhooksig.Message([]byte(ts), body), sig); err != nil {
		return invalid(err)
	}
	return nil
}

// invalid names the package and the step in a webhooksig error, which
// matches ticketsync.ErrInvalidSignature.
func invalid(err error) error {
	return fmt.Errorf("zendesk: verify webhook: %w", err)
}

// eventTypePrefix starts the type of an event-subscription delivery.
const eventTypePrefix = "zen:event-type:"

// ParseWebhook parses a delivery of either kind of Zendesk webhook into
// id-only events, which the Syncer completes through GetTickets:
//
//   - Event subscriptions (a "type" of "zen:event-type:ticket.…"): the
//     detail object lacks the requester's and assignee's names, the custom
//     fields and the comments, so the ticket is loaded rather than taken
//     from it. ticket.created is EventCreated; ticket.soft_deleted and
//     ticket.permanently_deleted are EventDeleted; ticket.comment_added is
//     EventCommented; every other ticket event is EventUpdated. Events about
//     users, organizations and other objects give no events.
//   - Trigger and automation webhooks, whose body the admin writes (see
//     RecommendedTriggerTemplate): JSON or form-encoded, read leniently; the
//     ticket id is taken from "ticket_id", "ticketId", "id" or
//     "ticket": {"id"}, as text or a number.
//
// A delivery that names no ticket, such as a test from the webhook builder
// whose placeholders are not filled in, gives no events and no error.
func (c *Connector) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil
	}
	switch body[0] {
	case '{':
	case '[', '"':
		return nil, errors.New("zendesk: parse webhook: the body is not a JSON object")
	case '<':
		return nil, errors.New("zendesk: parse webhook: XML bodies are not supported: set the webhook's request format to JSON")
	default:
		return parseForm(body)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, errors.New("zendesk: parse webhook: the body is not a JSON object")
	}
	if typ := jsonString(m["type"]); strings.HasPrefix(typ, eventTypePrefix) {
		return parseEvent(typ, m)
	}
	return parseTrigger(m)
}

// parseEvent reads an event-subscription delivery.
func parseEvent(typ string, m map[string]json.RawMessage) ([]ticketsync.Event, error) {
	name, isTicket := strings.CutPrefix(strings.TrimPrefix(typ, eventTypePrefix), "ticket.")
	if !isTicket {
		return nil, nil
	}
	var detail struct {
		ID wire.ID `json:"id"`
	}
	if raw := m["detail"]; len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &detail); err != nil {
			return nil, errors.New("zendesk: parse webhook: detail is not a ticket object")
		}
	}
	id := string(detail.ID)
	if id == "" {
		id, _ = strings.CutPrefix(jsonString(m["subject"]), "zen:ticket:")
	}
	if id == "" {
		return nil, nil
	}
	id, err := ticketID(id)
	if err != nil {
		return nil, err
	}
	kind := eventKind(name)
	at, _ := time.Parse(time.RFC3339Nano, jsonString(m["time"]))
	return []ticketsync.Event{{Kind: kind, TicketID: id, At: at.UTC()}}, nil
}

// parseTrigger reads a trigger webhook's JSON body.
func parseTrigger(m map[string]json.RawMessage) ([]ticketsync.Event, error) {
	var raw string
	for _, k := range []string{"ticket_id", "ticketId", "ticketID", "id"} {
		if v, ok := m[k]; ok {
			raw = jsonScalar(v)
			break
		}
	}
	if raw == "" {
		if obj, ok := m["ticket"]; ok {
			var t map[string]json.RawMessage
			if json.Unmarshal(obj, &t) == nil {
				raw = jsonScalar(t["id"])
			}
		}
	}
	kind := ""
	for _, k := range []string{"event", "kind", "action"} {
		if v := jsonString(m[k]); v != "" {
			kind = v
			break
		}
	}
	return triggerEvent(raw, kind, jsonString(m["updated_at"]))
}

// parseForm reads a trigger webhook sent form-encoded.
func parseForm(body []byte) ([]ticketsync.Event, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil || !bytes.Contains(body, []byte("=")) {
		return nil, errors.New("zendesk: parse webhook: the body is neither JSON nor form-encoded")
	}
	raw := v.Get("ticket_id")
	if raw == "" {
		raw = v.Get("id")
	}
	kind := v.Get("event")
	return triggerEvent(raw, kind, v.Get("updated_at"))
}

func triggerEvent(raw, kind, updated string) ([]ticketsync.Event, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || strings.Contains(raw, "{{") {
		return nil, nil // a test delivery, or a template without the id
	}
	id, err := ticketID(raw)
	if err != nil {
		return nil, err
	}
	ev := ticketsync.Event{Kind: eventKind(kind), TicketID: id, At: parseLooseTime(updated)}
	return []ticketsync.Event{ev}, nil
}

// eventKind reads the word of an event subscription ("comment_added",
// "soft_deleted", ...) or of a trigger template's "event" field through
// ticketsync.ParseEventKind. Zendesk's own words come first: "undeleted"
// restores a ticket, and a comment made private or redacted changes the
// ticket's comments, which the Syncer reloads with the ticket. Unknown
// words are EventUpdated.
func eventKind(word string) ticketsync.EventKind {
	w := strings.ToLower(strings.TrimSpace(word))
	w = strings.TrimPrefix(strings.TrimPrefix(w, eventTypePrefix), "ticket.")
	switch w {
	case "", "undeleted", "restored", "comment_made_private", "comment_redacted":
		return ticketsync.EventUpdated
	}
	if k, ok := ticketsync.ParseEventKind(w); ok {
		return k
	}
	return ticketsync.EventUpdated
}

// ticketID checks that raw is a Zendesk ticket id and returns it in its
// canonical form. The error does not repeat raw, which the sender wrote.
func ticketID(raw string) (string, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil || n <= 0 {
		return "", errors.New("zendesk: parse webhook: the ticket id is not a positive whole number")
	}
	return strconv.FormatInt(n, 10), nil
}

// parseLooseTime reads the times a trigger placeholder may render; the zero
// time when it cannot. {{ticket.updated_at_with_timestamp}} renders to the
// minute ("2013-12-12T05:35Z", Zendesk's placeholder reference): such a
// time is taken as the last second of its minute, so that a delete
// delivered with it is not older than the change it follows (the Syncer
// keeps the newer of two copies, and a tombstone takes the event's time).
func parseLooseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05 MST"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	for _, layout := range []string{"2006-01-02T15:04Z07:00", "2006-01-02T15:04", "January 2, 2006 15:04", "Jan 2, 2006 15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Add(time.Minute - time.Second)
		}
	}
	return time.Time{}
}

// jsonString returns raw as a string when it is a JSON string, else "".
func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// jsonScalar returns a JSON string or number as text, else "".
func jsonScalar(raw json.RawMessage) string {
	if s := jsonString(raw); s != "" {
		return s
	}
	var n json.Number
	if len(raw) > 0 && json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
