package webhooksig_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/webhooksig"
)

// TestPublishedVectors checks signatures published by the platforms'
// documentation.
func TestPublishedVectors(t *testing.T) {
	// GitHub's "Validating webhook deliveries" (the X-Hub-Signature-256
	// shape Jira and Webhook Push use): secret "It's a Secret to
	// Everybody", payload "Hello, World!".
	gh := webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Hex, Prefix: "sha256=",
		Secrets: []string{"It's a Secret to Everybody"}}
	const ghSig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if err := gh.Verify([]byte("Hello, World!"), ghSig); err != nil {
		t.Errorf("GitHub vector: %v", err)
	}
	if got := gh.Sign(gh.Secrets[0], []byte("Hello, World!")); got != ghSig {
		t.Errorf("GitHub vector: Sign = %s", got)
	}
	// Standard Webhooks specification's example: id.timestamp.body keyed
	// with the base64 part of a whsec_ secret.
	key, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	sw := webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Base64, Prefix: "v1,", Secrets: []string{string(key)}}
	msg := webhooksig.Message("msg_p5jXN8AQM9LWM0D4loKWxJek", ".", "1614265330", ".", `{"test": 2432232314}`)
	header := "v1a,ignored v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if err := sw.Verify(msg, strings.Fields(header)...); err != nil {
		t.Errorf("Standard Webhooks vector: %v", err)
	}
}

// TestPlatformShapes signs and verifies each platform's shape, and checks
// that a change to any signed part is refused.
func TestPlatformShapes(t *testing.T) {
	body := []byte(`{"ticket_id":"42"}`)
	cases := []struct {
		name    string
		v       webhooksig.Verifier
		msg     []byte
		altered []byte
		check   func(sig string) bool
	}{
		{"zendesk", webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Base64},
			webhooksig.Message("2026-12-02T07:00:00Z", string(body)), webhooksig.Message("2026-12-02T07:00:01Z", string(body)),
			func(s string) bool { _, err := base64.StdEncoding.DecodeString(s); return err == nil && len(s) == 44 }},
		{"hubspot v3", webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Base64},
			webhooksig.Message("POST", "https://example.com/hook?x=1", string(body), "1764658800000"),
			webhooksig.Message("GET", "https://example.com/hook?x=1", string(body), "1764658800000"), nil},
		{"hubspot v1", webhooksig.Verifier{Algorithm: webhooksig.PlainSHA256, Encoding: webhooksig.Hex}, body, []byte(`{"ticket_id":"43"}`),
			func(s string) bool { return len(s) == 64 }},
		{"hubspot v2", webhooksig.Verifier{Algorithm: webhooksig.PlainSHA256, Encoding: webhooksig.Hex},
			webhooksig.Message("POST", "https://example.com/hook", string(body)), webhooksig.Message("POST", "https://example.com/other", string(body)), nil},
		{"jira", webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Hex, Prefix: "sha256="}, body, []byte(body[1:]),
			func(s string) bool { return strings.HasPrefix(s, "sha256=") && len(s) == 7+64 }},
		{"intercom", webhooksig.Verifier{Algorithm: webhooksig.HMACSHA1, Encoding: webhooksig.Hex, Prefix: "sha1="}, body, []byte(`{}`),
			func(s string) bool { return strings.HasPrefix(s, "sha1=") && len(s) == 5+40 }},
		{"webhook push", webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.HexOrBase64, Prefix: "sha256="}, body, []byte(`{"ticket_id":"4"}`), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.v.Secrets = []string{"old-secret", "new-secret"}
			sig := c.v.Sign("new-secret", c.msg)
			if c.check != nil && !c.check(sig) {
				t.Errorf("Sign = %q, not the platform's shape", sig)
			}
			if err := c.v.Verify(c.msg, sig); err != nil {
				t.Errorf("Verify(own signature): %v", err)
			}
			if err := c.v.Verify(c.msg, c.v.Sign("old-secret", c.msg)); err != nil {
				t.Errorf("Verify(signature with the older secret): %v", err)
			}
			if err := c.v.Verify(c.altered, sig); !errors.Is(err, ticketsync.ErrInvalidSignature) {
				t.Errorf("Verify(altered message) = %v, want ErrInvalidSignature", err)
			}
			if err := c.v.Verify(c.msg, c.v.Sign("other-secret", c.msg)); !errors.Is(err, ticketsync.ErrInvalidSignature) {
				t.Errorf("Verify(unknown secret) = %v, want ErrInvalidSignature", err)
			}
			// Without the prefix, and in upper case, a hex signature is
			// still the same signature.
			bare := strings.TrimPrefix(sig, c.v.Prefix)
			if c.v.Encoding == webhooksig.Hex {
				bare = strings.ToUpper(bare)
			}
			if err := c.v.Verify(c.msg, bare); err != nil {
				t.Errorf("Verify(without prefix): %v", err)
			}
		})
	}
}

func TestHexOrBase64AcceptsBoth(t *testing.T) {
	v := webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.HexOrBase64, Secrets: []string{"s"}}
	hexSig := v.Sign("s", []byte("b"))
	b64 := webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Base64}.Sign("s", []byte("b"))
	for _, sig := range []string{hexSig, b64, strings.TrimRight(b64, "=")} {
		if err := v.Verify([]byte("b"), sig); err != nil {
			t.Errorf("Verify(%q): %v", sig, err)
		}
	}
}

func TestVerifyRefusals(t *testing.T) {
	v := webhooksig.Verifier{Encoding: webhooksig.Hex, Prefix: "sha256=", Secrets: []string{"top-secret-value"}}
	good := v.Sign("top-secret-value", []byte("body"))
	cases := map[string]struct {
		v    webhooksig.Verifier
		sigs []string
		want string
	}{
		"no secret":       {webhooksig.Verifier{}, []string{good}, "no webhook secret"},
		"no signature":    {v, nil, "not signed"},
		"blank signature": {v, []string{"  "}, "not signed"},
		"not hex":         {v, []string{"sha256=zzzz"}, "not a hex hmac-sha256"},
		"too short":       {v, []string{good[:len(good)-2]}, "not a hex"},
		"wrong algorithm": {v, []string{webhooksig.Verifier{Algorithm: webhooksig.HMACSHA1}.Sign("top-secret-value", []byte("body"))}, "not a hex"},
		"mismatch":        {v, []string{v.Sign("x", []byte("body"))}, "does not match"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := c.v.Verify([]byte("body"), c.sigs...)
			if !errors.Is(err, ticketsync.ErrInvalidSignature) {
				t.Fatalf("Verify = %v, want ErrInvalidSignature", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			for _, leak := range append([]string{"top-secret-value"}, c.sigs...) {
				if strings.TrimSpace(leak) != "" && strings.Contains(err.Error(), strings.TrimPrefix(leak, "sha256=")) {
					t.Errorf("error %q leaks %q", err, leak)
				}
			}
		})
	}
}

func TestCheckTimestamp(t *testing.T) {
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		at   time.Time
		tol  time.Duration
		want string // "" for accepted
	}{
		{now, time.Minute, ""},
		{now.Add(-time.Minute), time.Minute, ""},
		{now.Add(time.Minute), time.Minute, ""},
		{now.Add(-time.Minute - time.Second), time.Minute, "old"},
		{now.Add(time.Minute + time.Second), time.Minute, "future"},
		{now.Add(-4 * time.Minute), 0, ""},
		{now.Add(-6 * time.Minute), 0, "old"},
		{now.Add(6 * time.Minute), 0, "future"},
	}
	for _, c := range cases {
		err := webhooksig.CheckTimestamp(c.at, now, c.tol)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckTimestamp(%s, tol %s) = %v, want nil", c.at.Sub(now), c.tol, err)
		case c.want != "" && (!errors.Is(err, ticketsync.ErrInvalidSignature) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("CheckTimestamp(%s, tol %s) = %v, want an error saying %q", c.at.Sub(now), c.tol, err, c.want)
		}
	}
}

func TestParseUnix(t *testing.T) {
	want := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for _, s := range []string{"1796198400", "1796198400000", "2026-12-02T08:00:00Z", " 1796198400 "} {
		got, err := webhooksig.ParseUnix(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseUnix(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "yesterday", "-5", "0"} {
		if _, err := webhooksig.ParseUnix(s); !errors.Is(err, ticketsync.ErrInvalidSignature) {
			t.Errorf("ParseUnix(%q) = %v, want ErrInvalidSignature", s, err)
		}
	}
}

func TestCheckTokenAndBearer(t *testing.T) {
	if err := webhooksig.CheckToken("tok-2", "tok-1", "tok-2"); err != nil {
		t.Errorf("CheckToken(rotated token): %v", err)
	}
	for _, c := range []struct {
		got    string
		tokens []string
	}{{"tok-3", []string{"tok-1", "tok-2"}}, {"", []string{"tok-1"}}, {"tok-1", nil}, {"tok-", []string{"tok-1"}}} {
		if err := webhooksig.CheckToken(c.got, c.tokens...); !errors.Is(err, ticketsync.ErrInvalidSignature) {
			t.Errorf("CheckToken(%q, %q) = %v, want ErrInvalidSignature", c.got, c.tokens, err)
		} else if c.got != "" && strings.Contains(err.Error(), c.got) {
			t.Errorf("error %q leaks the token", err)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/hook", nil)
	r.Header.Set("Authorization", "Bearer tok-1")
	if err := webhooksig.CheckBearer(r, "tok-1"); err != nil {
		t.Errorf("CheckBearer: %v", err)
	}
	if err := webhooksig.CheckBearer(r, "tok-2"); !errors.Is(err, ticketsync.ErrInvalidSignature) {
		t.Errorf("CheckBearer(wrong token) = %v", err)
	}
	r.Header.Set("Authorization", "Basic dG9rLTE=")
	if err := webhooksig.CheckBearer(r, "tok-1"); !errors.Is(err, ticketsync.ErrInvalidSignature) {
		t.Errorf("CheckBearer(Basic header) = %v", err)
	}
}

func TestCheckBasic(t *testing.T) {
	accepted := []webhooksig.Credentials{{Username: "freshdesk", Password: "old"}, {Username: "freshdesk", Password: "new"}}
	for _, c := range []struct {
		user, pass string
		set, ok    bool
	}{
		{"freshdesk", "new", true, true},
		{"freshdesk", "old", true, true},
		{"freshdesk", "neww", true, false},
		{"other", "new", true, false},
		{"freshdesk", "", true, false},
		{"", "", false, false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/hook", nil)
		if c.set {
			r.SetBasicAuth(c.user, c.pass)
		}
		err := webhooksig.CheckBasic(r, accepted...)
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, ticketsync.ErrInvalidSignature)) {
			t.Errorf("CheckBasic(%q, %q) = %v, want ok=%v", c.user, c.pass, err, c.ok)
		}
		if err != nil && c.pass != "" && strings.Contains(err.Error(), c.pass) {
			t.Errorf("error %q leaks the password", err)
		}
	}
	if err := webhooksig.CheckBasic(httptest.NewRequest(http.MethodPost, "/", nil)); err == nil {
		t.Error("CheckBasic with no accepted credentials succeeded")
	}
}

func TestMessage(t *testing.T) {
	if got := string(webhooksig.Message("a", "", "bc")); got != "abc" {
		t.Errorf("Message = %q", got)
	}
	if got := string(webhooksig.Message([]byte("x"), []byte("y"))); got != "xy" {
		t.Errorf("Message = %q", got)
	}
}
