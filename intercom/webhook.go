package intercom

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/webhooksig"
)

// SignatureHeader carries a notification's signature: "sha1=" and the hex
// HMAC-SHA1 of the raw body, keyed with the app's client secret.
const SignatureHeader = "X-Hub-Signature"

// signer is Intercom's signature shape.
var signer = webhooksig.Verifier{Algorithm: webhooksig.HMACSHA1, Encoding: webhooksig.Hex, Prefix: "sha1="}

// Sign returns the X-Hub-Signature value Intercom sends for body, signed
// with clientSecret. Tests and senders use it to sign notifications.
func Sign(clientSecret string, body []byte) string { return signer.Sign(clientSecret, body) }

// VerifyWebhook checks the notification's X-Hub-Signature against the
// client secret and every secret of Config.ClientSecrets, in constant time.
// Intercom signs no timestamp, so there is no replay window to check; a
// replayed notification only makes the Syncer read the record again. It
// returns an error matching ticketsync.ErrInvalidSignature when the
// signature is missing, malformed or wrong, and when no secret is
// configured. It does not read r.Body.
func (c *Connector) VerifyWebhook(r *http.Request, body []byte) error {
	v := signer
	v.Secrets = c.cfg.secrets
	if err := v.Verify(body, r.Header.Get(SignatureHeader)); err != nil {
		return fmt.Errorf("intercom: verify webhook: %w", err)
	}
	return nil
}

// ParseWebhook reads one notification_event. A ping, a topic about
// something other than a conversation or a ticket, and a notification of
// another workspace (when the workspace's id is known) parse to no events.
//
// Every event carries only the record's id, in the form of TicketID, and
// the notification's time, so that the Syncer reads the record through
// GetTickets: the item of a notification is trimmed to its latest parts,
// is written in the app's webhook version rather than Config.APIVersion,
// and from version 2.15 on holds plain text instead of HTML. *.deleted
// topics become EventDeleted, which the Syncer stores as a tombstone.
func (c *Connector) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	var n wireNotification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, errors.New("intercom: the body is not a JSON notification_event")
	}
	if n.Type != "notification_event" {
		return nil, errors.New(`intercom: the body is not a notification_event (its "type" differs)`)
	}
	if n.Topic == "ping" {
		return nil, nil
	}
	c.mu.Lock()
	app := c.appID
	c.mu.Unlock()
	if app != "" && n.AppID != "" && n.AppID != app {
		return nil, nil
	}
	kind, event, ok := topicKind(n.Topic)
	if !ok {
		return nil, nil
	}
	var item wireItem
	if len(n.Data.Item) == 0 || json.Unmarshal(n.Data.Item, &item) != nil || item.ID == "" {
		return nil, fmt.Errorf("intercom: notification %s has no data.item.id", clip(n.Topic, 60))
	}
	if _, _, ok := ParseTicketID(TicketID(kind, string(item.ID))); !ok {
		return nil, fmt.Errorf("intercom: notification %s has an id that is not a number", clip(n.Topic, 60))
	}
	return []ticketsync.Event{{
		Kind:     event,
		TicketID: TicketID(kind, string(item.ID)),
		At:       unixUTC(n.CreatedAt),
	}}, nil
}

// topicKind tells which record a topic is about and what happened to it.
func topicKind(topic string) (kind string, event ticketsync.EventKind, ok bool) {
	head, _, _ := strings.Cut(topic, ".")
	switch head {
	case "conversation", "conversation_part":
		kind = KindConversation
	case "ticket":
		kind = KindTicket
	default:
		return "", "", false
	}
	switch topic {
	case "conversation.admin.opened", "conversation.admin.unsnoozed":
		// A reopening, not a new conversation.
		return kind, ticketsync.EventUpdated, true
	case "conversation_part.tag.created", "conversation_part.redacted":
		// Something happened to a part, not to the conversation's existence.
		return kind, ticketsync.EventUpdated, true
	case "conversation.admin.single.created":
		return kind, ticketsync.EventCreated, true
	}
	event, ok = ticketsync.ParseEventKind(topic)
	if !ok {
		event = ticketsync.EventUpdated
	}
	return kind, event, true
}
