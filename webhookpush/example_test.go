package webhookpush_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync/webhookpush"
)

// A sender signs the documented payload with SignHMAC; the connector
// verifies and parses it, with no Mapping.
func Example() {
	secret := "example-secret" // in production: from a secret manager
	conn, err := webhookpush.New(webhookpush.Config{
		Platform:    "helpdesk",
		HMACSecrets: []string{secret},
		Now:         func() time.Time { return time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}

	body := []byte(`{"ticket": {"id": "12345", "subject": "Login not working", "description": "Users unable to login since update", "status": "open", "priority": "high", "requester_email": "cfo@customer.com", "created_at": "2026-07-01T09:00:00Z"}}`)
	req := httptest.NewRequest("POST", "/api/webhooks/tickets?connectorId=helpdesk-1", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", webhookpush.SignHMAC(secret, body))

	if err := conn.VerifyWebhook(req, body); err != nil {
		fmt.Println(err)
		return
	}
	events, err := conn.ParseWebhook(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range events {
		t := ev.Ticket
		fmt.Println(ev.Kind, t.Platform, t.ID, t.Subject)
		fmt.Println(t.Status, t.Priority, t.Requester.Email, t.CreatedAt.Format(time.RFC3339))
	}

	// A delivery signed with another secret is refused.
	req.Header.Set("X-Hub-Signature-256", webhookpush.SignHMAC("someone-else", body))
	fmt.Println(conn.VerifyWebhook(req, body))
	// Output:
	// updated helpdesk 12345 Login not working
	// open high cfo@customer.com 2026-07-01T09:00:00Z
	// webhookpush: invalid webhook signature: signature mismatch in X-Hub-Signature-256 header
}

// A sender whose JSON has its own shape is read through a Mapping.
func ExampleMapping() {
	conn, err := webhookpush.New(webhookpush.Config{
		AllowUnsigned: true, // for the example only
		ItemsPath:     "data.records",
		Mapping: webhookpush.Mapping{
			"ID":          "ref",
			"Subject":     "fields.summary",
			"Status":      "fields.state.label",
			"Tags":        "fields.labels",
			"Kind":        "$.op",
			"Fields.Plan": "account.plan",
		},
	})
	if err != nil {
		panic(err)
	}
	events, err := conn.ParseWebhook([]byte(`{"op": "create", "data": {"records": [
		{"ref": 981, "fields": {"summary": "Export fails", "state": {"label": "Waiting for customer"}, "labels": "export, csv"}, "account": {"plan": "Gold"}}]}}`))
	if err != nil {
		panic(err)
	}
	t := events[0].Ticket
	fmt.Println(events[0].Kind, t.ID, t.Subject, t.Status, t.RawStatus, t.Tags, t.Fields["Plan"])
	// Output:
	// created 981 Export fails pending Waiting for customer [export csv] Gold
}

// SetStandardWebhookHeaders signs a delivery for the Standard Webhooks
// scheme.
func ExampleSetStandardWebhookHeaders() {
	body := []byte(`{"test": 2432232314}`)
	req := httptest.NewRequest("POST", "/api/webhooks/tickets?connectorId=c1", strings.NewReader(string(body)))
	// The specification's published example secret, id and timestamp.
	err := webhookpush.SetStandardWebhookHeaders(req.Header, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), body)
	if err != nil {
		panic(err)
	}
	fmt.Println(req.Header.Get("webhook-timestamp"))
	fmt.Println(req.Header.Get("webhook-signature"))
	// Output:
	// 1614265330
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}
