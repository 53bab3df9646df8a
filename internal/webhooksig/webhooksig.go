package webhooksig

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
)

// DefaultTolerance is how far a signed timestamp may be from the clock, in
// either direction, when a Config leaves its WebhookTolerance zero.
const DefaultTolerance = 5 * time.Minute

// Algorithm is how a signature is computed from a secret and a message.
type Algorithm int

const (
	// HMACSHA256 is HMAC-SHA256 keyed with the secret (Zendesk, HubSpot v3,
	// Jira, Standard Webhooks).
	HMACSHA256 Algorithm = iota
	// HMACSHA1 is HMAC-SHA1 keyed with the secret (Intercom).
	HMACSHA1
	// PlainSHA256 is SHA-256 of the secret followed by the message, not an
	// HMAC (HubSpot's legacy v1 and v2 signatures).
	PlainSHA256
)

// String returns "hmac-sha256", "hmac-sha1" or "sha256".
func (a Algorithm) String() string {
	switch a {
	case HMACSHA256:
		return "hmac-sha256"
	case HMACSHA1:
		return "hmac-sha1"
	case PlainSHA256:
		return "sha256"
	}
	return "algorithm(" + strconv.Itoa(int(a)) + ")"
}

func (a Algorithm) size() int {
	if a == HMACSHA1 {
		return sha1.Size
	}
	return sha256.Size
}

// sum computes the signature bytes.
func (a Algorithm) sum(secret string, message []byte) []byte {
	var h hash.Hash
	switch a {
	case HMACSHA1:
		h = hmac.New(sha1.New, []byte(secret))
	case PlainSHA256:
		h = sha256.New()
		h.Write([]byte(secret))
	default:
		h = hmac.New(sha256.New, []byte(secret))
	}
	h.Write(message)
	return h.Sum(nil)
}

// Encoding is how signature bytes are written in a header.
type Encoding int

const (
	// Hex is lowercase hexadecimal; either case is accepted.
	Hex Encoding = iota
	// Base64 is standard base64 with padding; unpadded and URL-safe
	// base64 are accepted too.
	Base64
	// HexOrBase64 accepts either (Webhook Push senders differ); Sign
	// writes hex.
	HexOrBase64
)

// encode writes signature bytes.
func (e Encoding) encode(b []byte) string {
	if e == Base64 {
		return base64.StdEncoding.EncodeToString(b)
	}
	return hex.EncodeToString(b)
}

// decode reads a signature of n bytes; ok is false when s is not one.
func (e Encoding) decode(s string, n int) ([]byte, bool) {
	if e == Hex || e == HexOrBase64 {
		if len(s) == 2*n {
			if b, err := hex.DecodeString(s); err == nil {
				return b, true
			}
		}
		if e == Hex {
			return nil, false
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == n {
			return b, true
		}
	}
	return nil, false
}

// Message concatenates the parts a platform signs, in order, with nothing
// between them: Message(timestamp, body) for Zendesk,
// Message(method, uri, body, timestamp) for HubSpot v3. Parts are strings
// or byte slices.
func Message[T ~string | ~[]byte](parts ...T) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// Invalid returns an error matching ticketsync.ErrInvalidSignature whose
// text is reason. reason must not hold a secret, signature or token.
func Invalid(reason string) error {
	return &Error{Reason: reason}
}

// Error is a delivery that is not authentic. It matches
// ticketsync.ErrInvalidSignature through errors.Is.
type Error struct {
	// Reason says what was wrong, for a person: "the signature does not
	// match the body with any configured secret". It never holds a secret,
	// signature or token.
	Reason string
}

// Error returns "invalid webhook signature: " and the reason.
func (e *Error) Error() string {
	return ticketsync.ErrInvalidSignature.Error() + ": " + e.Reason
}

// Is makes errors.Is(err, ticketsync.ErrInvalidSignature) true.
func (e *Error) Is(target error) bool { return target == ticketsync.ErrInvalidSignature }

// Verifier checks signatures of one shape against the configured secrets.
// The zero value of Algorithm and Encoding is hex HMAC-SHA256.
type Verifier struct {
	// Algorithm computes the signature.
	Algorithm Algorithm
	// Encoding is how the signature is written.
	Encoding Encoding
	// Prefix is written before the signature by Sign ("sha256=", "sha1=",
	// "v1,"); Verify accepts a signature with or without it (any case).
	Prefix string
	// Secrets are every secret currently valid: during a rotation, the new
	// one and the old ones. Verify fails when there are none.
	Secrets []string
}

// Verify reports, as an error matching ticketsync.ErrInvalidSignature,
// whether none of signatures is the signature of message under any of the
// Secrets. It compares in constant time and checks every secret, so the
// time taken says neither which secret matched nor how much of a signature
// was right. Empty signatures are skipped; several are given when a header
// carries a list (Standard Webhooks) or a platform sends several headers.
func (v Verifier) Verify(message []byte, signatures ...string) error {
	if len(v.Secrets) == 0 {
		return Invalid("no webhook secret is configured")
	}
	var got [][]byte
	present := false
	for _, s := range signatures {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		present = true
		if v.Prefix != "" && len(s) >= len(v.Prefix) && strings.EqualFold(s[:len(v.Prefix)], v.Prefix) {
			s = s[len(v.Prefix):]
		}
		if b, ok := v.Encoding.decode(s, v.Algorithm.size()); ok {
			got = append(got, b)
		}
	}
	if !present {
		return Invalid("the delivery is not signed")
	}
	if len(got) == 0 {
		return Invalid(fmt.Sprintf("the signature is not a %s %s", v.encodingName(), v.Algorithm))
	}
	ok := 0
	for _, secret := range v.Secrets {
		want := v.Algorithm.sum(secret, message)
		for _, g := range got {
			ok |= subtle.ConstantTimeCompare(g, want)
		}
	}
	if ok != 1 {
		return Invalid("the signature does not match with any configured secret")
	}
	return nil
}

func (v Verifier) encodingName() string {
	switch v.Encoding {
	case Hex:
		return "hex"
	case Base64:
		return "base64"
	}
	return "hex or base64"
}

// Sign returns the signature of message under secret, as the platform
// writes it: the Prefix, then the encoded signature. Fakes, tests and
// senders use it.
func (v Verifier) Sign(secret string, message []byte) string {
	return v.Prefix + v.Encoding.encode(v.Algorithm.sum(secret, message))
}

// CheckTimestamp refuses a signed time more than tolerance away from now, in
// either direction: older is a possible replay, newer a forged or wrongly
// clocked delivery. A tolerance of zero or less means DefaultTolerance.
func CheckTimestamp(at, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	d := now.Sub(at)
	switch {
	case d > tolerance:
		return Invalid(fmt.Sprintf("the signed timestamp is %s old, more than the tolerance of %s", d.Round(time.Second), tolerance))
	case d < -tolerance:
		return Invalid(fmt.Sprintf("the signed timestamp is %s in the future, more than the tolerance of %s", (-d).Round(time.Second), tolerance))
	}
	return nil
}

// ParseUnix reads a timestamp header in unix seconds (Standard Webhooks,
// Jira's and Intercom's payload times) or, when it has 13 or more digits,
// unix milliseconds (HubSpot's X-HubSpot-Request-Timestamp). An RFC 3339
// time (Zendesk's X-Zendesk-Webhook-Signature-Timestamp) is read too.
func ParseUnix(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, Invalid("the signed timestamp is missing")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		if len(s) >= 13 {
			return time.UnixMilli(n), nil
		}
		return time.Unix(n, 0), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, Invalid("the signed timestamp is neither unix seconds, unix milliseconds nor RFC 3339")
}

// CheckToken compares a shared token a platform that cannot sign sends in a
// header (a Freshdesk automation's custom header) with every configured
// token, in constant time.
func CheckToken(got string, tokens ...string) error {
	if len(tokens) == 0 {
		return Invalid("no webhook token is configured")
	}
	if got == "" {
		return Invalid("the delivery carries no token")
	}
	if !anyEqual(got, tokens) {
		return Invalid("the token does not match any configured token")
	}
	return nil
}

// CheckBearer is CheckToken for an "Authorization: Bearer <token>" header.
func CheckBearer(r *http.Request, tokens ...string) error {
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "Bearer") {
		if len(tokens) == 0 {
			return Invalid("no webhook token is configured")
		}
		return Invalid("the delivery carries no bearer token")
	}
	return CheckToken(strings.TrimSpace(tok), tokens...)
}

// Credentials are a user name and password a platform sends with HTTP Basic.
type Credentials struct {
	Username, Password string
}

// CheckBasic checks the request's HTTP Basic credentials against every
// accepted pair in constant time (Freshdesk webhooks to a URL with
// credentials).
func CheckBasic(r *http.Request, accepted ...Credentials) error {
	if len(accepted) == 0 {
		return Invalid("no webhook credentials are configured")
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return Invalid("the delivery carries no HTTP Basic credentials")
	}
	match := 0
	for _, c := range accepted {
		u := subtle.ConstantTimeCompare([]byte(user), []byte(c.Username))
		p := subtle.ConstantTimeCompare([]byte(pass), []byte(c.Password))
		match |= u & p
	}
	if match != 1 {
		return Invalid("the HTTP Basic credentials do not match")
	}
	return nil
}

// anyEqual compares got with every want in constant time for equal
// lengths.
func anyEqual(got string, wants []string) bool {
	ok := 0
	for _, w := range wants {
		ok |= subtle.ConstantTimeCompare([]byte(got), []byte(w))
	}
	return ok == 1
}
