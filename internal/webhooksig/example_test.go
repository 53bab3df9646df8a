package webhooksig_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/webhooksig"
)

// A platform that signs timestamp+body in base64 HMAC-SHA256 (Zendesk's
// shape), with a rotated secret and a signed timestamp.
func Example() {
	v := webhooksig.Verifier{
		Algorithm: webhooksig.HMACSHA256,
		Encoding:  webhooksig.Base64,
		Secrets:   []string{"new-secret", "old-secret"},
	}
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	body := []byte(`{"ticket_id":"42"}`)
	ts := "2026-12-02T07:59:30Z"

	// What the platform (or a fake) sends.
	r := httptest.NewRequest("POST", "/webhooks/zendesk", strings.NewReader(string(body)))
	r.Header.Set("X-Zendesk-Webhook-Signature", v.Sign("old-secret", webhooksig.Message(ts, string(body))))
	r.Header.Set("X-Zendesk-Webhook-Signature-Timestamp", ts)

	// What VerifyWebhook does.
	verify := func() error {
		ts := r.Header.Get("X-Zendesk-Webhook-Signature-Timestamp")
		at, err := webhooksig.ParseUnix(ts)
		if err != nil {
			return err
		}
		if err := webhooksig.CheckTimestamp(at, now, 5*time.Minute); err != nil {
			return err
		}
		return v.Verify(webhooksig.Message(ts, string(body)), r.Header.Get("X-Zendesk-Webhook-Signature"))
	}
	fmt.Println(verify())

	body = []byte(`{"ticket_id":"43"}`)
	err := verify()
	fmt.Println(errors.Is(err, ticketsync.ErrInvalidSignature), err)
	// Output:
	// <nil>
	// true invalid webhook signature: the signature does not match with any configured secret
}

// Jira and Intercom send X-Hub-Signature with an algorithm prefix.
func ExampleVerifier_Sign() {
	jira := webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Hex, Prefix: "sha256="}
	intercom := webhooksig.Verifier{Algorithm: webhooksig.HMACSHA1, Encoding: webhooksig.Hex, Prefix: "sha1="}
	fmt.Println(jira.Sign("secret", []byte("{}")))
	fmt.Println(intercom.Sign("secret", []byte("{}")))
	// Output:
	// sha256=77325902caca812dc259733aacd046b73817372c777b8d95b402647474516e13
	// sha1=5d61605c3feea9799210ddcb71307d4ba264225f
}

// Freshdesk cannot sign: its automation sends HTTP Basic credentials set in
// the webhook URL.
func ExampleCheckBasic() {
	r := httptest.NewRequest("POST", "/webhooks/freshdesk", nil)
	r.SetBasicAuth("freshdesk", "a-long-random-password")
	fmt.Println(webhooksig.CheckBasic(r, webhooksig.Credentials{Username: "freshdesk", Password: "a-long-random-password"}))
	r.SetBasicAuth("freshdesk", "guess")
	fmt.Println(webhooksig.CheckBasic(r, webhooksig.Credentials{Username: "freshdesk", Password: "a-long-random-password"}))
	// Output:
	// <nil>
	// invalid webhook signature: the HTTP Basic credentials do not match
}
