package hubspot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/webhooksig"
	"github.com/ticketsync/ticketsync/internal/wire"
)

// Webhook headers.
const (
	HeaderSignatureV3      = "X-HubSpot-Signature-v3"
	HeaderTimestamp        = "X-HubSpot-Request-Timestamp"
	HeaderSignature        = "X-HubSpot-Signature"
	HeaderSignatureVersion = "X-HubSpot-Signature-Version"
)

// Sign returns HubSpot's v3 signature of a webhook request, as it goes in
// X-HubSpot-Signature-v3 with timestamp in X-HubSpot-Request-Timestamp (unix
// milliseconds): the base64 HMAC-SHA256, keyed with the app's client secret,
// of method + uri + body + timestamp. uri is the full URL HubSpot calls,
// scheme and query included; the escapes HubSpot decodes before signing
// (%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B, in either case) are
// decoded here, so uri may be given as sent.
func Sign(secret, method, uri string, body []byte, timestamp time.Time) string {
	return v3.Sign(secret, v3Message(method, uri, body, strconv.FormatInt(timestamp.UnixMilli(), 10)))
}

// v3 is the shape of HubSpot's current signature; v1 and v2 that of the
// legacy ones, a plain SHA-256 of the secret and the message.
var (
	v3     = webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Base64}
	legacy = webhooksig.Verifier{Algorithm: webhooksig.PlainSHA256, Encoding: webhooksig.Hex}
)

func v3Message(method, uri string, body []byte, ts string) []byte {
	return webhooksig.Message([]byte(method), []byte(decodeURI(uri)), body, []byte(ts))
}

// decodeURI decodes the percent-escapes that HubSpot's v3 signature
// expects decoded; every other escape stays as it is.
func decodeURI(uri string) string {
	if !strings.Contains(uri, "%") {
		return uri
	}
	var b strings.Builder
	b.Grow(len(uri))
	for i := 0; i < len(uri); i++ {
		if uri[i] == '%' && i+2 < len(uri) {
			switch strings.ToUpper(uri[i+1 : i+3]) {
			case "3A":
				b.WriteByte(':')
			case "2F":
				b.WriteByte('/')
			case "3F":
				b.WriteByte('?')
			case "40":
				b.WriteByte('@')
			case "21":
				b.WriteByte('!')
			case "24":
				b.WriteByte('$')
			case "27":
				b.WriteByte('\'')
			case "28":
				b.WriteByte('(')
			case "29":
				b.WriteByte(')')
			case "2A":
				b.WriteByte('*')
			case "2C":
				b.WriteByte(',')
			case "3B":
				b.WriteByte(';')
			default:
				b.WriteByte('%')
				continue
			}
			i += 2
			continue
		}
		b.WriteByte(uri[i])
	}
	return b.String()
}

// requestURI returns the URL HubSpot called: Config.WebhookURL (with the
// delivery's query when it has none), else the request's scheme, host and
// raw path and query.
func (c *Connector) requestURI(r *http.Request) string {
	raw := r.RequestURI
	if raw == "" || !strings.HasPrefix(raw, "/") {
		raw = r.URL.RequestURI()
	}
	if c.cfg.WebhookURL != "" {
		if strings.Contains(c.cfg.WebhookURL, "?") {
			return c.cfg.WebhookURL
		}
		if _, q, ok := strings.Cut(raw, "?"); ok {
			return c.cfg.WebhookURL + "?" + q
		}
		return c.cfg.WebhookURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	} else if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return scheme + "://" + host + raw
}

// VerifyWebhook checks a delivery's X-HubSpot-Signature-v3 against the
// client secrets, and that its X-HubSpot-Request-Timestamp is within
// Config.WebhookTolerance of now. With AllowLegacySignatures a delivery
// without a v3 signature may instead carry a v1 or v2 X-HubSpot-Signature.
// It returns an error matching ticketsync.ErrInvalidSignature otherwise; the
// error holds no secret or signature.
func (c *Connector) VerifyWebhook(r *http.Request, body []byte) error {
	secrets := c.cfg.secrets()
	if len(secrets) == 0 {
		return fmt.Errorf("hubspot: verify webhook: %w", webhooksig.Invalid("no ClientSecret is configured"))
	}
	if sig := r.Header.Get(HeaderSignatureV3); sig != "" {
		ts := strings.TrimSpace(r.Header.Get(HeaderTimestamp))
		at, err := webhooksig.ParseUnix(ts)
		if err != nil {
			return fmt.Errorf("hubspot: verify webhook: %s: %w", HeaderTimestamp, err)
		}
		if err := webhooksig.CheckTimestamp(at, c.webhookNow(), c.cfg.WebhookTolerance); err != nil {
			return fmt.Errorf("hubspot: verify webhook: %w", err)
		}
		v := v3
		v.Secrets = secrets
		if err := v.Verify(v3Message(r.Method, c.requestURI(r), body, ts), strings.TrimSpace(sig)); err != nil {
			return fmt.Errorf("hubspot: verify webhook v3 (check ClientSecret and WebhookURL): %w", err)
		}
		return nil
	}
	sig := strings.TrimSpace(r.Header.Get(HeaderSignature))
	if !c.cfg.AllowLegacySignatures || sig == "" {
		return fmt.Errorf("hubspot: verify webhook: %w", webhooksig.Invalid("the delivery has no "+HeaderSignatureV3))
	}
	v := legacy
	v.Secrets = secrets
	var msg []byte
	switch version := strings.ToLower(r.Header.Get(HeaderSignatureVersion)); version {
	case "v1", "":
		msg = body
	case "v2":
		msg = webhooksig.Message([]byte(r.Method), []byte(c.requestURI(r)), body)
	default:
		return fmt.Errorf("hubspot: verify webhook: %w", webhooksig.Invalid("unknown signature version"))
	}
	if err := v.Verify(msg, sig); err != nil {
		return fmt.Errorf("hubspot: verify legacy webhook: %w", err)
	}
	return nil
}

// webhookEvent is one event of a delivery, as far as the connector reads it.
type webhookEvent struct {
	EventID          json.Number `json:"eventId"`
	PortalID         json.Number `json:"portalId"`
	OccurredAt       json.Number `json:"occurredAt"`
	SubscriptionType string      `json:"subscriptionType"`
	ObjectID         wire.ID     `json:"objectId"`
	ObjectTypeID     string      `json:"objectTypeId"`
	AssociationType  string      `json:"associationType"`
	FromObjectID     wire.ID     `json:"fromObjectId"`
	ToObjectID       wire.ID     `json:"toObjectId"`
	PrimaryObjectID  wire.ID     `json:"primaryObjectId"`
	MergedObjectIDs  []wire.ID   `json:"mergedObjectIds"`
	NewObjectID      wire.ID     `json:"newObjectId"`
}

// ParseWebhook turns a delivery, a JSON array of events, into id-only
// events: the event words go through ticketsync.ParseEventKind (creation
// is EventCreated, property changes and restores EventUpdated, deletions
// EventDeleted), an association change is EventUpdated (EventCommented
// for an email or note associated), and a merge EventUpdated for the
// new record and for every old id, which GetTickets turns into the merged
// record and tombstones of the old ids. The legacy ticket.* subscriptions
// and the generic object.* ones with objectTypeId "0-5" are read; other
// objects' events, and events of another account when the portal id is
// known, are skipped. Events repeated in one delivery (same eventId) count
// once.
func (c *Connector) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil
	}
	var raw []webhookEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, errors.New("hubspot: webhook body is not a JSON array of events")
	}
	portal := c.PortalID()
	seen := map[string]bool{}
	var out []ticketsync.Event
	for _, e := range raw {
		if id := e.EventID.String(); id != "" {
			if seen[id] {
				continue
			}
			seen[id] = true
		}
		if portal != 0 && e.PortalID != "" && e.PortalID.String() != strconv.FormatInt(portal, 10) {
			continue
		}
		object, action, ok := strings.Cut(e.SubscriptionType, ".")
		if !ok || !(object == "ticket" || object == "object" && e.ObjectTypeID == ticketTypeID) {
			continue
		}
		var at time.Time
		if ms, err := e.OccurredAt.Int64(); err == nil && ms > 0 {
			at = time.UnixMilli(ms).UTC()
		}
		add := func(kind ticketsync.EventKind, id wire.ID) {
			if id != "" && id != "0" {
				out = append(out, ticketsync.Event{Kind: kind, TicketID: string(id), At: at})
			}
		}
		switch action {
		case "associationChange":
			kind := ticketsync.EventUpdated
			at := strings.ToUpper(e.AssociationType)
			if strings.Contains(at, "EMAIL") || strings.Contains(at, "NOTE") {
				kind = ticketsync.EventCommented
			}
			switch {
			case e.ObjectID != "" && e.ObjectID != "0":
				add(kind, e.ObjectID)
			case strings.HasPrefix(at, "TICKET_TO_") || at == "":
				add(kind, e.FromObjectID)
			default:
				add(kind, e.ToObjectID)
			}
		case "merge":
			// The merged record has a new id (newObjectId, or objectId);
			// HubSpot answers reads of the old ids with it, so loading
			// every id involved yields the record and a tombstone of each
			// old id naming it (see GetTickets).
			ids := append([]wire.ID{e.NewObjectID, e.ObjectID, e.PrimaryObjectID}, e.MergedObjectIDs...)
			for i, id := range ids {
				if !slices.Contains(ids[:i], id) {
					add(ticketsync.EventUpdated, id)
				}
			}
		default:
			// creation, propertyChange, restore, deletion, privacyDeletion
			kind, ok := ticketsync.ParseEventKind(action)
			if !ok {
				kind = ticketsync.EventUpdated // an event type added since: load the ticket
			}
			add(kind, e.ObjectID)
		}
	}
	return out, nil
}
