package webhookpush

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/webhooksig"
)

// The Standard Webhooks headers. Svix, which started the scheme, sends the
// same values under "svix-" names; those are read when these are absent.
const (
	HeaderWebhookID        = "Webhook-Id"
	HeaderWebhookTimestamp = "Webhook-Timestamp"
	HeaderWebhookSignature = "Webhook-Signature"
)

// invalid returns an error matching ticketsync.ErrInvalidSignature with a
// reason that holds no secret and no signature.
func invalid(reason string) error {
	return fmt.Errorf("webhookpush: %w: %s", ticketsync.ErrInvalidSignature, reason)
}

// VerifyWebhook checks that r, whose raw body is body, carries a valid
// credential of one of the configured schemes: an HMAC signature (with a
// fresh signed timestamp when Config.TimestampHeader is set), a Standard
// Webhooks signature with a fresh timestamp, or a bearer token. It
// accepts the delivery when any configured scheme accepts it. It returns an
// error matching ticketsync.ErrInvalidSignature otherwise, whose text says
// why ("missing X-Hub-Signature-256 header", "signature mismatch",
// "timestamp outside tolerance") and never holds a secret or a signature.
// It does not read r.Body.
//
// Signatures are compared in constant time with every configured secret
// (internal/webhooksig). A Standard Webhooks or timestamped HMAC delivery
// sent again (a retry or a replay) is accepted again while its timestamp is
// within Tolerance:
// the tickets it carries are stored idempotently, so it changes nothing.
// Past Tolerance it is refused.
func (c *Connector) VerifyWebhook(r *http.Request, body []byte) error {
	var firstErr error
	present := false
	try := func(ok bool, err error) bool {
		if ok && err == nil {
			return true
		}
		if ok {
			present = true
			if firstErr == nil {
				firstErr = err
			}
		}
		return false
	}
	if len(c.hmacKeys) > 0 && try(c.verifyHMAC(r, body)) {
		return nil
	}
	if len(c.swKeys) > 0 && try(c.verifyStandard(r, body)) {
		return nil
	}
	if len(c.tokenHashes) > 0 && try(c.verifyToken(r)) {
		return nil
	}
	if present {
		return firstErr
	}
	if c.cfg.AllowUnsigned {
		return nil
	}
	return invalid("missing " + strings.Join(c.expectedHeaders(), " or ") + " header")
}

// expectedHeaders names the headers of the configured schemes.
func (c *Connector) expectedHeaders() []string {
	var hs []string
	if len(c.hmacKeys) > 0 {
		hs = append(hs, c.sigHeader)
	}
	if len(c.swKeys) > 0 {
		hs = append(hs, strings.ToLower(HeaderWebhookSignature))
	}
	if len(c.tokenHashes) > 0 {
		if c.tokenHeader != "" {
			hs = append(hs, c.tokenHeader)
		} else {
			hs = append(hs, "Authorization")
		}
	}
	return hs
}

// hmacVerifier checks the HMAC scheme's signatures.
func (c *Connector) hmacVerifier() webhooksig.Verifier {
	return webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.HexOrBase64, Prefix: "sha256=", Secrets: c.hmacKeys}
}

// verifyHMAC reports whether the signature header is present, and the
// error when it does not verify. With a TimestampHeader, the signature
// covers the timestamp, a dot and the body, and the timestamp must be
// within the tolerance.
func (c *Connector) verifyHMAC(r *http.Request, body []byte) (present bool, err error) {
	v := strings.TrimSpace(r.Header.Get(c.sigHeader))
	if v == "" {
		return false, invalid("missing " + c.sigHeader + " header")
	}
	message := body
	if c.tsHeader != "" {
		ts := strings.TrimSpace(r.Header.Get(c.tsHeader))
		if ts == "" {
			return true, invalid("missing " + c.tsHeader + " header: deliveries must sign the time they were sent")
		}
		sec, perr := strconv.ParseInt(ts, 10, 64)
		if perr != nil || sec <= 0 {
			return true, invalid("malformed " + c.tsHeader + " header: want unix seconds")
		}
		if webhooksig.CheckTimestamp(time.Unix(sec, 0), c.now(), c.tolerance) != nil {
			return true, invalid(c.tsHeader + " outside tolerance")
		}
		message = timestamped(ts, body)
	}
	trimmed := v
	if len(trimmed) > 7 && strings.EqualFold(trimmed[:7], "sha256=") {
		trimmed = trimmed[7:]
	}
	if len(decodeSignature(trimmed)) != sha256.Size {
		return true, invalid("malformed " + c.sigHeader + " header: want sha256= and a hex or base64 HMAC-SHA256")
	}
	if c.hmacVerifier().Verify(message, v) != nil {
		return true, invalid("signature mismatch in " + c.sigHeader + " header")
	}
	return true, nil
}

// timestamped is what a timestamped HMAC signs: the timestamp as sent, a
// dot, and the body.
func timestamped(ts string, body []byte) []byte {
	return webhooksig.Message([]byte(ts), []byte{'.'}, body)
}

// decodeSignature decodes a hex or base64 signature; nil when it is
// neither.
func decodeSignature(v string) []byte {
	if len(v) == 2*sha256.Size {
		if b, err := hex.DecodeString(v); err == nil {
			return b
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			return b
		}
	}
	return nil
}

// header returns the Standard Webhooks header name, or its svix- twin.
func header(r *http.Request, name string) string {
	if v := r.Header.Get(name); v != "" {
		return v
	}
	return r.Header.Get("Svix-" + strings.TrimPrefix(name, "Webhook-"))
}

func (c *Connector) verifyStandard(r *http.Request, body []byte) (present bool, err error) {
	id := header(r, HeaderWebhookID)
	ts := header(r, HeaderWebhookTimestamp)
	sigs := header(r, HeaderWebhookSignature)
	if id == "" && ts == "" && sigs == "" {
		return false, invalid("missing webhook-signature header")
	}
	switch {
	case id == "":
		return true, invalid("missing webhook-id header")
	case ts == "":
		return true, invalid("missing webhook-timestamp header")
	case sigs == "":
		return true, invalid("missing webhook-signature header")
	}
	if strings.ContainsRune(id, '.') {
		return true, invalid("malformed webhook-id header: it may not contain a dot")
	}
	sec, perr := strconv.ParseInt(ts, 10, 64)
	if perr != nil || sec <= 0 {
		return true, invalid("malformed webhook-timestamp header: want unix seconds")
	}
	if webhooksig.CheckTimestamp(time.Unix(sec, 0), c.now(), c.tolerance) != nil {
		return true, invalid("webhook-timestamp outside tolerance")
	}
	var v1 []string
	for _, entry := range strings.Fields(sigs) {
		if strings.HasPrefix(entry, "v1,") {
			v1 = append(v1, entry) // v1a and later versions are not ours to check
		}
	}
	if len(v1) == 0 {
		return true, invalid("signature mismatch in webhook-signature header")
	}
	sv := webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Base64, Prefix: "v1,", Secrets: c.swKeys}
	if sv.Verify(standardMessage(id, ts, body), v1...) != nil {
		return true, invalid("signature mismatch in webhook-signature header")
	}
	return true, nil
}

// standardMessage is what a Standard Webhooks signature signs:
// "id.timestamp.body".
func standardMessage(id, ts string, body []byte) []byte {
	return webhooksig.Message([]byte(id), []byte{'.'}, []byte(ts), []byte{'.'}, body)
}

// standardMAC is HMAC-SHA256 of "id.timestamp.body".
func standardMAC(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(standardMessage(id, ts, body))
	return m.Sum(nil)
}

func (c *Connector) verifyToken(r *http.Request) (present bool, err error) {
	var tok string
	name := c.tokenHeader
	if name != "" {
		tok = strings.TrimSpace(r.Header.Get(name))
	} else {
		name = "Authorization"
		v := strings.TrimSpace(r.Header.Get(name))
		if v == "" {
			return false, invalid("missing Authorization header")
		}
		scheme, rest, ok := strings.Cut(v, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return true, invalid("malformed Authorization header: want Bearer and a token")
		}
		tok = strings.TrimSpace(rest)
	}
	if tok == "" {
		return false, invalid("missing " + name + " header")
	}
	// Hashing first makes the comparison constant-time in the token's
	// length too.
	got := sha256.Sum256([]byte(tok))
	match := 0
	for i := range c.tokenHashes {
		match |= subtle.ConstantTimeCompare(got[:], c.tokenHashes[i][:])
	}
	if match == 1 {
		return true, nil
	}
	return true, invalid("token mismatch in " + name + " header")
}

// SignHMAC returns the value of the X-Hub-Signature-256 header of the
// documented push format: "sha256=" and the hex HMAC-SHA256 of body under
// secret.
func SignHMAC(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// SignHMACTimestamped returns the value of the X-Hub-Signature-256 header
// of a delivery protected against replay (Config.TimestampHeader):
// "sha256=" and the hex HMAC-SHA256, under secret, of timestamp (the
// header's value as sent, unix seconds), a dot, and body. Send timestamp in
// the TimestampHeader:
//
//	ts := strconv.FormatInt(time.Now().Unix(), 10)
//	req.Header.Set("X-Webhook-Timestamp", ts)
//	req.Header.Set("X-Hub-Signature-256", webhookpush.SignHMACTimestamped(secret, ts, body))
func SignHMACTimestamped(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(timestamped(timestamp, body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// SignStandardWebhook returns the value of a webhook-signature header:
// "v1," and the base64 HMAC-SHA256 of "id.timestamp.body" under secret
// ("whsec_" and base64). To sign with several secrets during a rotation,
// join the values with a space.
func SignStandardWebhook(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := standardKey(secret)
	if err != nil {
		return "", fmt.Errorf("webhookpush: sign: %v", err)
	}
	if id == "" || strings.ContainsRune(id, '.') {
		return "", errors.New("webhookpush: sign: webhook id must be non-empty and without dots")
	}
	ts := strconv.FormatInt(timestamp.Unix(), 10)
	return "v1," + base64.StdEncoding.EncodeToString(standardMAC(key, id, ts, body)), nil
}

// SetStandardWebhookHeaders sets the webhook-id, webhook-timestamp and
// webhook-signature headers of a delivery of body signed with secret.
func SetStandardWebhookHeaders(h http.Header, secret, id string, timestamp time.Time, body []byte) error {
	sig, err := SignStandardWebhook(secret, id, timestamp, body)
	if err != nil {
		return err
	}
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(timestamp.Unix(), 10))
	h.Set(HeaderWebhookSignature, sig)
	return nil
}

// BearerAuthorization returns the value of the Authorization header that
// carries token: "Bearer " and the token. A TokenHeader takes the token
// itself.
func BearerAuthorization(token string) string { return "Bearer " + token }
