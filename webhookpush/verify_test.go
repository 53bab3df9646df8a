package webhookpush

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
)

// Test secrets. They are fixtures, but the tests treat them as secrets all
// the same: no message below prints them.
const (
	hmacOld  = "old-hmac-secret-4f1c"
	hmacNew  = "new-hmac-secret-9a7e"
	swOld    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // the spec's published test secret
	swNew    = "whsec_c2Vjb25kLXN0YW5kYXJkLXdlYmhvb2tzLWtleQ=="
	tokenOld = "tok-old-3b5d8e"
	tokenNew = "tok-new-7c2a91"
)

var secrets = []string{hmacOld, hmacNew, swOld, swNew, tokenOld, tokenNew, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}

var testNow = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return testNow }

const documented = `{"ticket": {"id": "12345", "subject": "Login not working", "description": "Users unable to login since update", "status": "open", "priority": "high", "requester_email": "cfo@customer.com", "created_at": "2026-07-01T09:00:00Z"}}`

// noBody fails the test when VerifyWebhook reads the request's body.
type noBody struct{ t *testing.T }

func (b noBody) Read([]byte) (int, error) {
	b.t.Error("VerifyWebhook read r.Body")
	return 0, io.EOF
}
func (noBody) Close() error { return nil }

func request(t *testing.T, h http.Header) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/webhooks/tickets?connectorId=c1", nil)
	r.Body = noBody{t}
	for k, vs := range h {
		r.Header[k] = vs
	}
	return r
}

func mustNew(t *testing.T, cfg Config) *Connector {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = clock
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// checkVerify runs VerifyWebhook and checks the outcome; a rejection must
// match ErrInvalidSignature, hold wantReason, and hold no secret.
func checkVerify(t *testing.T, c *Connector, h http.Header, body []byte, wantReason string) {
	t.Helper()
	err := c.VerifyWebhook(request(t, h), body)
	if wantReason == "" {
		if err != nil {
			t.Fatalf("VerifyWebhook rejected a valid delivery: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("VerifyWebhook accepted a delivery that should fail with %q", wantReason)
	}
	if !errors.Is(err, ticketsync.ErrInvalidSignature) {
		t.Errorf("error %q does not match ErrInvalidSignature", err)
	}
	if !strings.Contains(err.Error(), wantReason) {
		t.Errorf("error %q does not say %q", err, wantReason)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error text holds a secret (%d bytes)", len(s))
		}
	}
	for _, vs := range h {
		for _, v := range vs {
			if len(v) > 12 && strings.Contains(err.Error(), v) {
				t.Errorf("error text echoes a header value")
			}
		}
	}
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func rawHMAC(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

func TestVerifyHMAC(t *testing.T) {
	body := []byte(documented)
	c := mustNew(t, Config{HMACSecrets: []string{hmacOld, hmacNew}})
	mac := rawHMAC(hmacNew, body)
	tests := []struct {
		name   string
		h      http.Header
		body   string
		reason string
	}{
		{"SignHMAC", hdr("X-Hub-Signature-256", SignHMAC(hmacNew, body)), documented, ""},
		{"rotated: old secret still accepted", hdr("X-Hub-Signature-256", SignHMAC(hmacOld, body)), documented, ""},
		{"hex without prefix", hdr("X-Hub-Signature-256", hex.EncodeToString(mac)), documented, ""},
		{"upper-case hex and prefix", hdr("X-Hub-Signature-256", "SHA256="+strings.ToUpper(hex.EncodeToString(mac))), documented, ""},
		{"base64", hdr("X-Hub-Signature-256", base64.StdEncoding.EncodeToString(mac)), documented, ""},
		{"base64 with prefix", hdr("X-Hub-Signature-256", "sha256="+base64.StdEncoding.EncodeToString(mac)), documented, ""},
		{"base64url unpadded", hdr("X-Hub-Signature-256", base64.RawURLEncoding.EncodeToString(mac)), documented, ""},
		{"header name in lower case", hdr("x-hub-signature-256", SignHMAC(hmacNew, body)), documented, ""},
		{"wrong secret", hdr("X-Hub-Signature-256", SignHMAC("not-the-secret", body)), documented, "signature mismatch"},
		{"tampered body", hdr("X-Hub-Signature-256", SignHMAC(hmacNew, body)), strings.Replace(documented, "high", "low", 1), "signature mismatch"},
		{"missing header", hdr(), documented, "missing X-Hub-Signature-256 header"},
		{"other header only", hdr("X-Signature", SignHMAC(hmacNew, body)), documented, "missing X-Hub-Signature-256 header"},
		{"malformed", hdr("X-Hub-Signature-256", "sha256=zzzz"), documented, "malformed X-Hub-Signature-256"},
		{"truncated", hdr("X-Hub-Signature-256", SignHMAC(hmacNew, body)[:40]), documented, "malformed X-Hub-Signature-256"},
		{"sha1 prefix", hdr("X-Hub-Signature-256", "sha1="+hex.EncodeToString(mac)), documented, "malformed X-Hub-Signature-256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVerify(t, c, tt.h, []byte(tt.body), tt.reason)
		})
	}
}

func TestVerifyHMACCustomHeader(t *testing.T) {
	body := []byte(documented)
	c := mustNew(t, Config{HMACSecrets: []string{hmacNew}, SignatureHeader: "x-signature"})
	checkVerify(t, c, hdr("X-Signature", SignHMAC(hmacNew, body)), body, "")
	checkVerify(t, c, hdr("X-Hub-Signature-256", SignHMAC(hmacNew, body)), body, "missing X-Signature header")
}

// The Standard Webhooks specification's published example: this secret, id,
// timestamp and body give this signature in every reference library.
const (
	vectorID   = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS   = 1614265330
	vectorBody = `{"test": 2432232314}`
	vectorSig  = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignStandardWebhookMatchesSpecVector(t *testing.T) {
	got, err := SignStandardWebhook(swOld, vectorID, time.Unix(vectorTS, 0), []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorSig {
		t.Errorf("SignStandardWebhook gives a signature other than the specification's example")
	}
	c := mustNew(t, Config{StandardWebhooksSecrets: []string{swOld}, Now: func() time.Time { return time.Unix(vectorTS+10, 0) }})
	h := hdr("webhook-id", vectorID, "webhook-timestamp", strconv.Itoa(vectorTS), "webhook-signature", vectorSig)
	checkVerify(t, c, h, []byte(vectorBody), "")
}

func TestVerifyStandardWebhooks(t *testing.T) {
	body := []byte(documented)
	c := mustNew(t, Config{StandardWebhooksSecrets: []string{swOld, strings.TrimPrefix(swNew, "whsec_")}})
	ts := strconv.FormatInt(testNow.Unix(), 10)
	sign := func(secret, id string, at time.Time, b []byte) string {
		s, err := SignStandardWebhook(secret, id, at, b)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := sign(swNew, "msg_1", testNow, body)
	headers := func(id, ts, sig string) http.Header {
		return hdr("webhook-id", id, "webhook-timestamp", ts, "webhook-signature", sig)
	}
	stale := testNow.Add(-6 * time.Minute)
	future := testNow.Add(6 * time.Minute)
	tests := []struct {
		name   string
		h      http.Header
		body   []byte
		reason string
	}{
		{"valid", headers("msg_1", ts, good), body, ""},
		{"rotated: old secret", headers("msg_1", ts, sign(swOld, "msg_1", testNow, body)), body, ""},
		{"several signatures, one valid", headers("msg_1", ts, "v1,AAAA v1a,bm9wZQ== "+good), body, ""},
		{"sender signs with old and new", headers("msg_1", ts, sign("whsec_d3Jvbmcta2V5", "msg_1", testNow, body)+" "+good), body, ""},
		{"svix header names", hdr("svix-id", "msg_1", "svix-timestamp", ts, "svix-signature", good), body, ""},
		{"4 minutes old", headers("msg_1", strconv.FormatInt(testNow.Add(-4*time.Minute).Unix(), 10), sign(swNew, "msg_1", testNow.Add(-4*time.Minute), body)), body, ""},
		{"wrong secret", headers("msg_1", ts, sign("whsec_d3Jvbmcta2V5", "msg_1", testNow, body)), body, "signature mismatch"},
		{"tampered body", headers("msg_1", ts, good), []byte(strings.Replace(documented, "open", "solved", 1)), "signature mismatch"},
		{"id swapped", headers("msg_2", ts, good), body, "signature mismatch"},
		{"timestamp swapped", headers("msg_1", strconv.FormatInt(testNow.Unix()-1, 10), good), body, "signature mismatch"},
		{"stale timestamp", headers("msg_1", strconv.FormatInt(stale.Unix(), 10), sign(swNew, "msg_1", stale, body)), body, "timestamp outside tolerance"},
		{"future timestamp", headers("msg_1", strconv.FormatInt(future.Unix(), 10), sign(swNew, "msg_1", future, body)), body, "timestamp outside tolerance"},
		{"malformed timestamp", headers("msg_1", "2026-07-01T12:00:00Z", good), body, "malformed webhook-timestamp"},
		{"dot in id", headers("msg.1", ts, good), body, "malformed webhook-id"},
		{"no v1 signature", headers("msg_1", ts, "v1a,"+strings.TrimPrefix(good, "v1,")), body, "signature mismatch"},
		{"signature not base64", headers("msg_1", ts, "v1,***"), body, "signature mismatch"},
		{"missing all headers", hdr(), body, "missing webhook-signature header"},
		{"missing id", hdr("webhook-timestamp", ts, "webhook-signature", good), body, "missing webhook-id header"},
		{"missing timestamp", hdr("webhook-id", "msg_1", "webhook-signature", good), body, "missing webhook-timestamp header"},
		{"missing signature", hdr("webhook-id", "msg_1", "webhook-timestamp", ts), body, "missing webhook-signature header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVerify(t, c, tt.h, tt.body, tt.reason)
		})
	}
}

// A delivery sent again with the same webhook-id is accepted while fresh,
// parses to the same events (stored idempotently), and is refused once it
// is older than the tolerance.
func TestStandardWebhooksReplay(t *testing.T) {
	body := []byte(documented)
	now := testNow
	c := mustNew(t, Config{StandardWebhooksSecrets: []string{swNew}, Now: func() time.Time { return now }})
	h := http.Header{}
	if err := SetStandardWebhookHeaders(h, swNew, "msg_replay", testNow, body); err != nil {
		t.Fatal(err)
	}
	first, err := c.ParseWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	for _, after := range []time.Duration{0, time.Second, 4*time.Minute + 59*time.Second} {
		now = testNow.Add(after)
		checkVerify(t, c, h, body, "")
		again, err := c.ParseWebhook(body)
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != 1 || again[0].TicketID != first[0].TicketID || again[0].Ticket.Subject != first[0].Ticket.Subject {
			t.Fatalf("replay parsed to different events")
		}
	}
	now = testNow.Add(5*time.Minute + time.Second)
	checkVerify(t, c, h, body, "timestamp outside tolerance")
}

func TestVerifyTolerance(t *testing.T) {
	body := []byte(documented)
	c := mustNew(t, Config{StandardWebhooksSecrets: []string{swNew}, Tolerance: 30 * time.Second})
	at := testNow.Add(-time.Minute)
	h := http.Header{}
	if err := SetStandardWebhookHeaders(h, swNew, "msg_1", at, body); err != nil {
		t.Fatal(err)
	}
	checkVerify(t, c, h, body, "timestamp outside tolerance")
}

func TestVerifyBearer(t *testing.T) {
	body := []byte(documented)
	c := mustNew(t, Config{BearerTokens: []string{tokenOld, tokenNew}})
	tests := []struct {
		name   string
		h      http.Header
		reason string
	}{
		{"valid", hdr("Authorization", BearerAuthorization(tokenNew)), ""},
		{"rotated: old token", hdr("Authorization", BearerAuthorization(tokenOld)), ""},
		{"scheme in lower case", hdr("Authorization", "bearer "+tokenNew), ""},
		{"wrong token", hdr("Authorization", BearerAuthorization("tok-guess")), "token mismatch"},
		{"prefix of the token", hdr("Authorization", BearerAuthorization(tokenNew[:5])), "token mismatch"},
		{"token plus more", hdr("Authorization", BearerAuthorization(tokenNew+"x")), "token mismatch"},
		{"basic auth", hdr("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("u:"+tokenNew))), "malformed Authorization header"},
		{"bare token", hdr("Authorization", tokenNew), "malformed Authorization header"},
		{"missing", hdr(), "missing Authorization header"},
		{"token in another header", hdr("X-Webhook-Secret", tokenNew), "missing Authorization header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVerify(t, c, tt.h, body, tt.reason)
		})
	}
}

func TestVerifySharedSecretHeader(t *testing.T) {
	body := []byte(documented)
	c := mustNew(t, Config{BearerTokens: []string{tokenOld, tokenNew}, TokenHeader: "X-Webhook-Secret"})
	checkVerify(t, c, hdr("X-Webhook-Secret", tokenNew), body, "")
	checkVerify(t, c, hdr("X-Webhook-Secret", tokenOld), body, "")
	checkVerify(t, c, hdr("X-Webhook-Secret", "nope"), body, "token mismatch in X-Webhook-Secret header")
	checkVerify(t, c, hdr("Authorization", BearerAuthorization(tokenNew)), body, "missing X-Webhook-Secret header")
}

func TestVerifySeveralSchemes(t *testing.T) {
	body := []byte(documented)
	c := mustNew(t, Config{HMACSecrets: []string{hmacNew}, StandardWebhooksSecrets: []string{swNew}, BearerTokens: []string{tokenNew}})
	sw := http.Header{}
	if err := SetStandardWebhookHeaders(sw, swNew, "msg_1", testNow, body); err != nil {
		t.Fatal(err)
	}
	checkVerify(t, c, hdr("X-Hub-Signature-256", SignHMAC(hmacNew, body)), body, "")
	checkVerify(t, c, sw, body, "")
	checkVerify(t, c, hdr("Authorization", BearerAuthorization(tokenNew)), body, "")
	checkVerify(t, c, hdr(), body, "missing X-Hub-Signature-256 or webhook-signature or Authorization header")
	// A wrong credential of one scheme is reported, not hidden by the others' absence.
	checkVerify(t, c, hdr("Authorization", BearerAuthorization("guess")), body, "token mismatch")
	// One valid credential is enough, even next to a wrong one.
	checkVerify(t, c, hdr("X-Hub-Signature-256", SignHMAC("guess", body), "Authorization", BearerAuthorization(tokenNew)), body, "")
}

func TestVerifyAllowUnsigned(t *testing.T) {
	body := []byte(documented)
	open := mustNew(t, Config{AllowUnsigned: true})
	checkVerify(t, open, hdr(), body, "")
	checkVerify(t, open, hdr("X-Hub-Signature-256", "sha256=whatever"), body, "")

	migrating := mustNew(t, Config{AllowUnsigned: true, HMACSecrets: []string{hmacNew}})
	checkVerify(t, migrating, hdr(), body, "")
	checkVerify(t, migrating, hdr("X-Hub-Signature-256", SignHMAC(hmacNew, body)), body, "")
	checkVerify(t, migrating, hdr("X-Hub-Signature-256", SignHMAC("guess", body)), body, "signature mismatch")
}

func TestSignStandardWebhookErrors(t *testing.T) {
	for _, tt := range []struct{ secret, id string }{
		{"whsec_***", "msg_1"},
		{"", "msg_1"},
		{swNew, ""},
		{swNew, "a.b"},
	} {
		_, err := SignStandardWebhook(tt.secret, tt.id, testNow, []byte("{}"))
		if err == nil {
			t.Errorf("SignStandardWebhook(secret of %d bytes, %q) = nil error", len(tt.secret), tt.id)
		}
		if err != nil && tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
			t.Errorf("error holds the secret")
		}
	}
	if err := SetStandardWebhookHeaders(http.Header{}, "whsec_***", "msg_1", testNow, nil); err == nil {
		t.Error("SetStandardWebhookHeaders accepted a malformed secret")
	}
}

func TestSignHMACFormat(t *testing.T) {
	got := SignHMAC("key", []byte("The quick brown fox jumps over the lazy dog"))
	// HMAC-SHA256 test value published for this key and message.
	const want = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got != want {
		t.Errorf("SignHMAC = %s, want %s", got, want)
	}
	if BearerAuthorization("abc") != "Bearer abc" {
		t.Errorf("BearerAuthorization = %q", BearerAuthorization("abc"))
	}
}

// With TimestampHeader set, an HMAC delivery signs its timestamp too and
// is refused outside Tolerance, so a captured delivery (a delete, say)
// cannot be replayed later; without the header, or with the timestamp
// changed, it is refused.
func TestVerifyHMACWithSignedTimestamp(t *testing.T) {
	body := []byte(documented)
	c := mustNew(t, Config{HMACSecrets: []string{hmacOld, hmacNew}, TimestampHeader: "X-Webhook-Timestamp"})
	ts := strconv.FormatInt(testNow.Unix(), 10)
	old := strconv.FormatInt(testNow.Add(-6*time.Minute).Unix(), 10)
	tests := []struct {
		name   string
		h      http.Header
		reason string
	}{
		{"signed now", hdr("X-Hub-Signature-256", SignHMACTimestamped(hmacNew, ts, body), "X-Webhook-Timestamp", ts), ""},
		{"old secret during rotation", hdr("X-Hub-Signature-256", SignHMACTimestamped(hmacOld, ts, body), "X-Webhook-Timestamp", ts), ""},
		{"replayed after the tolerance", hdr("X-Hub-Signature-256", SignHMACTimestamped(hmacNew, old, body), "X-Webhook-Timestamp", old), "X-Webhook-Timestamp outside tolerance"},
		{"timestamp moved forward", hdr("X-Hub-Signature-256", SignHMACTimestamped(hmacNew, old, body), "X-Webhook-Timestamp", ts), "signature mismatch"},
		{"no timestamp", hdr("X-Hub-Signature-256", SignHMAC(hmacNew, body)), "missing X-Webhook-Timestamp header"},
		{"body-only signature with a timestamp", hdr("X-Hub-Signature-256", SignHMAC(hmacNew, body), "X-Webhook-Timestamp", ts), "signature mismatch"},
		{"malformed timestamp", hdr("X-Hub-Signature-256", SignHMACTimestamped(hmacNew, "soon", body), "X-Webhook-Timestamp", "soon"), "malformed X-Webhook-Timestamp header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkVerify(t, c, tt.h, body, tt.reason) })
	}
	if _, err := New(Config{TimestampHeader: "X-Webhook-Timestamp", BearerTokens: []string{tokenNew}}); err == nil {
		t.Error("New accepted TimestampHeader without HMACSecrets")
	}
}
