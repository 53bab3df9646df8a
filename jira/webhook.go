package jira

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/webhooksig"
)

// Headers of a webhook delivery.
const (
	// SignatureHeader carries "sha256=" and the lowercase hex HMAC-SHA256 of
	// the raw body, keyed with the webhook's secret.
	SignatureHeader = "X-Hub-Signature"
	// IdentifierHeader is the delivery's id, the same on every retry.
	IdentifierHeader = "X-Atlassian-Webhook-Identifier"
)

// signer is Jira's signature: X-Hub-Signature: sha256=<hex>.
var signer = webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Hex, Prefix: "sha256="}

// Sign returns the X-Hub-Signature value Jira sends for body with secret:
// "sha256=" and the hex HMAC-SHA256 of the raw body. Tests, fakes and
// senders use it.
func Sign(secret string, body []byte) string {
	return signer.Sign(secret, body)
}

// VerifyWebhook checks the delivery's X-Hub-Signature against every
// configured secret, in constant time. It returns an error matching
// ticketsync.ErrInvalidSignature when the signature is missing, malformed
// or wrong, and also when no secret is configured: a webhook without a
// secret cannot be told from a forgery. Jira signs no timestamp, so a
// replayed delivery passes; it is harmless, as every event is completed
// from the API and a delete's tombstone carries the event's own time. It
// does not read r.Body.
func (c *Connector) VerifyWebhook(r *http.Request, body []byte) error {
	if len(c.cfg.secrets) == 0 {
		return fmt.Errorf("jira: verify webhook: %w", webhooksig.Invalid("no webhook secret is configured (Config.WebhookSecret)"))
	}
	sig := strings.TrimSpace(r.Header.Get(SignatureHeader))
	if sig == "" {
		return fmt.Errorf("jira: verify webhook: %w", webhooksig.Invalid("the delivery is not signed (no "+SignatureHeader+" header): set the same secret in the Jira webhook"))
	}
	v := signer
	v.Secrets = c.cfg.secrets
	if err := v.Verify(body, sig); err != nil {
		return fmt.Errorf("jira: verify webhook: %w", err)
	}
	return nil
}

// ParseWebhook turns one delivery of an admin webhook into at most one
// event. jira:issue_created becomes EventCreated, jira:issue_updated
// EventUpdated, comment_created, comment_updated and comment_deleted
// EventCommented, all carrying only the issue id: the delivery holds the
// REST v2 representation (wiki markup, no JSM comment visibility), so the
// Syncer loads the issue through GetTickets. jira:issue_deleted becomes
// EventDeleted, which the Syncer stores as a tombstone. At is the
// delivery's timestamp. Other events (worklogs, attachments, projects...)
// parse to nothing.
func (c *Connector) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	var w wireWebhook
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return nil, errors.New("jira: webhook body is not a Jira webhook event (invalid JSON)")
	}
	if w.WebhookEvent == "" {
		return nil, errors.New("jira: webhook body has no webhookEvent")
	}
	if !strings.HasPrefix(w.WebhookEvent, "jira:issue_") && !strings.HasPrefix(w.WebhookEvent, "comment_") {
		return nil, nil // worklogs, attachments, links, projects, sprints...
	}
	kind, ok := ticketsync.ParseEventKind(w.WebhookEvent)
	if !ok {
		kind = ticketsync.EventUpdated
	}
	if w.Issue == nil {
		return nil, fmt.Errorf("jira: %s event without its issue", w.WebhookEvent)
	}
	id := w.Issue.ID.String()
	if n, err := strconv.ParseUint(id, 10, 63); err != nil || n == 0 {
		return nil, fmt.Errorf("jira: %s event with an issue id that is not a number", w.WebhookEvent)
	}
	e := ticketsync.Event{Kind: kind, TicketID: id}
	if w.Timestamp > 0 {
		e.At = time.UnixMilli(w.Timestamp).UTC()
	}
	return []ticketsync.Event{e}, nil
}
