package hubspottest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync/internal/webhooksig"
)

// WebhookEvent is one event of a HubSpot webhook delivery, whose body is a
// JSON array of them.
type WebhookEvent struct {
	EventID          int64  `json:"eventId"`
	SubscriptionID   int64  `json:"subscriptionId"`
	PortalID         int64  `json:"portalId"`
	AppID            int64  `json:"appId"`
	OccurredAt       int64  `json:"occurredAt"` // unix milliseconds
	SubscriptionType string `json:"subscriptionType"`
	AttemptNumber    int    `json:"attemptNumber"`
	ObjectID         int64  `json:"objectId"`
	// ObjectTypeID is set on the generic object.* events: "0-5" for tickets.
	ObjectTypeID  string `json:"objectTypeId,omitempty"`
	PropertyName  string `json:"propertyName,omitempty"`
	PropertyValue string `json:"propertyValue,omitempty"`
	ChangeFlag    string `json:"changeFlag,omitempty"`
	ChangeSource  string `json:"changeSource,omitempty"`
	SourceID      string `json:"sourceId,omitempty"`
	// PrimaryObjectID, MergedObjectIDs and NewObjectID are set on merge
	// events: the record given priority, the others, and the id of the
	// record the merge created.
	PrimaryObjectID int64   `json:"primaryObjectId,omitempty"`
	MergedObjectIDs []int64 `json:"mergedObjectIds,omitempty"`
	NewObjectID     int64   `json:"newObjectId,omitempty"`
}

// subscriptionIDs gives each subscription type a stable id.
var subscriptionIDs = map[string]int64{
	"ticket.creation": 234501, "ticket.propertyChange": 234502, "ticket.deletion": 234503,
	"ticket.associationChange": 234504, "ticket.restore": 234505, "ticket.merge": 234506,
	"object.creation": 234511, "object.propertyChange": 234512, "object.deletion": 234513,
}

// event makes an event stamped with the fake's clock. s.mu must be held.
func (s *Server) event(subscriptionType string, objectID int64) WebhookEvent {
	s.eventSeq++
	e := WebhookEvent{
		EventID:          1000000 + s.eventSeq,
		SubscriptionID:   subscriptionIDs[subscriptionType],
		PortalID:         s.opts.PortalID,
		AppID:            DefaultAppID,
		OccurredAt:       s.Now().UnixMilli(),
		SubscriptionType: subscriptionType,
		ObjectID:         objectID,
		ChangeSource:     "CRM_UI",
	}
	switch {
	case strings.HasSuffix(subscriptionType, ".creation"):
		e.ChangeFlag = "CREATED"
	case strings.HasSuffix(subscriptionType, ".deletion"):
		e.ChangeFlag = "DELETED"
	}
	return e
}

// recordEvent remembers the event a change of a ticket makes, for
// TakeEvents. s.mu must be held.
func (s *Server) recordEvent(ticketID int64, subscriptionType, prop, val string) {
	e := s.event(subscriptionType, ticketID)
	e.PropertyName, e.PropertyValue = prop, val
	s.events = append(s.events, e)
}

// TakeEvents returns the ticket events recorded by the changes since the
// last call (creation, propertyChange, deletion, associationChange and
// restore), oldest first, and forgets them.
func (s *Server) TakeEvents() []WebhookEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.events
	s.events = nil
	return out
}

// TicketEvent makes a legacy ticket event: kind is "creation",
// "propertyChange", "deletion", "associationChange", "merge" or "restore".
func (s *Server) TicketEvent(kind, ticketID string) WebhookEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := strconv.ParseInt(ticketID, 10, 64)
	return s.event("ticket."+kind, id)
}

// ObjectEvent makes a generic object event ("object."+kind) for the given
// object type id ("0-5" for tickets).
func (s *Server) ObjectEvent(kind, objectTypeID, objectID string) WebhookEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := strconv.ParseInt(objectID, 10, 64)
	e := s.event("object."+kind, id)
	e.ObjectTypeID = objectTypeID
	return e
}

// WebhookRequest builds a delivery of events to targetURL as HubSpot sends
// it: a POST whose body is the JSON array of events, signed with the
// client secret in X-HubSpot-Signature-v3 at the fake's clock, and with the
// legacy v1 signature in X-HubSpot-Signature. It returns the request and
// its body. targetURL is used exactly as given, percent-encoding included.
func (s *Server) WebhookRequest(targetURL string, events []WebhookEvent) (*http.Request, []byte) {
	body, err := json.Marshal(events)
	if err != nil {
		panic(err)
	}
	return s.SignedRequest(targetURL, body, s.Now()), body
}

// SignedRequest builds a POST of body to targetURL signed with the fake's
// client secret as of at, for tests that need a body or time of their own.
func (s *Server) SignedRequest(targetURL string, body []byte, at time.Time) *http.Request {
	req, err := http.NewRequest(http.MethodPost, targetURL, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	ts := at.UnixMilli()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "HubSpot Connect 2.0 (http://dev.hubspot.com/) (namespace: webhooks-nonretryable)")
	req.Header.Set("X-HubSpot-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-HubSpot-Signature-v3", SignV3(s.opts.ClientSecret, http.MethodPost, targetURL, body, ts))
	req.Header.Set("X-HubSpot-Signature-Version", "v1")
	req.Header.Set("X-HubSpot-Signature", SignV1(s.opts.ClientSecret, body))
	req.Header.Set("X-HubSpot-Timeout-Millis", "10000")
	return req
}

// SignV3 computes HubSpot's v3 request signature: the base64 of the
// HMAC-SHA256, keyed with the app's client secret, of the method, the
// request URI, the raw body and the timestamp header (unix milliseconds),
// concatenated. The URI is the full URL HubSpot called, with the
// percent-encoded characters that HubSpot decodes before signing decoded
// (%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B).
func SignV3(secret, method, uri string, body []byte, timestampMillis int64) string {
	v := webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Base64}
	return v.Sign(secret, webhooksig.Message([]byte(method), []byte(decodeSignedURI(uri)), body, []byte(strconv.FormatInt(timestampMillis, 10))))
}

// legacy is the shape of the v1 and v2 signatures: hex SHA-256 of the
// client secret followed by the message.
var legacy = webhooksig.Verifier{Algorithm: webhooksig.PlainSHA256, Encoding: webhooksig.Hex}

// SignV2 computes the legacy v2 signature: the hex SHA-256 of the client
// secret, the method, the URI and the body.
func SignV2(secret, method, uri string, body []byte) string {
	return legacy.Sign(secret, webhooksig.Message([]byte(method), []byte(uri), body))
}

// SignV1 computes the legacy v1 signature: the hex SHA-256 of the client
// secret and the body.
func SignV1(secret string, body []byte) string { return legacy.Sign(secret, body) }

// signedURIDecodes are the escapes HubSpot decodes in the URI it signs.
var signedURIDecodes = map[string]byte{
	"3A": ':', "2F": '/', "3F": '?', "40": '@', "21": '!', "24": '$',
	"27": '\'', "28": '(', "29": ')', "2A": '*', "2C": ',', "3B": ';',
}

func decodeSignedURI(uri string) string {
	var b strings.Builder
	for i := 0; i < len(uri); i++ {
		if uri[i] == '%' && i+2 < len(uri) {
			if c, ok := signedURIDecodes[strings.ToUpper(uri[i+1:i+3])]; ok {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(uri[i])
	}
	return b.String()
}
