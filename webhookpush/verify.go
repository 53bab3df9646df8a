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
// credential of one of the configured schemes: an HMAC signature, a
// Standard Webhooks signature with a fresh timestamp, or a bearer token. It
// accepts the delivery when any configured scheme accepts it. It returns an
// error matching ticketsync.ErrInvalidSignature otherwise, whose text says
// why ("missing X-Hub-Signature-256 header", "signature mismatch",
// "timestamp outside tolerance") and never holds a secret or a signature.
// It does not read r.Body.
//
// A Standard Webhooks delivery sent again with the same webhook-id (a retry
// or a replay) is accepted again while its timestamp is within Tolerance:
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

// verifyHMAC reports whether the signature header is present, and the
// error when it does not verify.
func (c *Connector) verifyHMAC(r *http.Request, body []byte) (present bool, err error) {
	v := strings.TrimSpace(r.Header.Get(c.sigHeader))
	if v == "" {
		return false, invalid("missing " + c.sigHeader + " header")
	}
	if len(v) > 7 && strings.EqualFold(v[:7], "sha256=") {
		v = v[7:]
	}
	sig := decodeSignature(v)
	if len(sig) != sha256.Size {
		return true, invalid("malformed " + c.sigHeader + " header: want sha256= and a hex or base64 HMAC-SHA256")
	}
	for _, key := range c.hmacKeys {
		m := hmac.New(sha256.New, key)
		m.Write(body)
		if hmac.Equal(m.Sum(nil), sig) {
			return true, nil
		}
	}
	return true, invalid("signature mismatch in " + c.sigHeader + " header")
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
	now := c.now()
	if d := now.Sub(time.Unix(sec, 0)); d > c.tolerance || d < -c.tolerance {
		return true, invalid("webhook-timestamp outside tolerance")
	}
	var want [][]byte
	for _, key := range c.swKeys {
		want = append(want, standardMAC(key, id, ts, body))
	}
	for _, entry := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue // v1a and later versions are not ours to check
		}
		got, derr := base64.StdEncoding.DecodeString(sig)
		if derr != nil {
			continue
		}
		for _, w := range want {
			if hmac.Equal(got, w) {
				return true, nil
			}
		}
	}
	return true, invalid("signature mismatch in webhook-signature header")
}

// standardMAC is HMAC-SHA256 of "id.timestamp.body".
func standardMAC(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
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
