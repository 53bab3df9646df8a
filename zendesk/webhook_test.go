package zendesk_test

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

const hookSecret = "webhook-secret-for-tests"

// delivery builds a delivery of body signed by the fake with secret and
// returns the request and its body.
func delivery(t *testing.T, f *zendesktest.Server, secret string, body []byte) (*http.Request, []byte) {
	t.Helper()
	req, err := f.SignedWebhook("http://example.test/hooks?connectorId=zd", secret, body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(req.Body)
	return req, b
}

func TestSignMatchesZendesk(t *testing.T) {
	body := []byte(`{"ticket_id":"1"}`)
	if got, want := zendesk.Sign("s", "2021-07-25T10:00:00Z", body), zendesktest.Sign("s", "2021-07-25T10:00:00Z", body); got != want {
		t.Errorf("Sign = %q, the fake signs %q", got, want)
	}
}

func TestVerifyWebhook(t *testing.T) {
	f := newFake(t, nil)
	body := []byte(`{"ticket_id":"42"}`)
	c := newConn(t, f, nil)
	expectInvalid := func(t *testing.T, c *zendesk.Connector, req *http.Request, body []byte, why string) {
		t.Helper()
		err := c.VerifyWebhook(req, body)
		if !errors.Is(err, ticketsync.ErrInvalidSignature) {
			t.Fatalf("%s: VerifyWebhook = %v, want ErrInvalidSignature", why, err)
		}
		msg, sig := err.Error(), req.Header.Get(zendesk.SignatureHeader)
		if !strings.HasPrefix(msg, "zendesk: verify webhook: ") || strings.Contains(msg, hookSecret) ||
			sig != "" && strings.Contains(msg, sig) {
			t.Errorf("%s: error %q must start with the package and hold no secret or signature", why, msg)
		}
	}

	req, b := delivery(t, f, hookSecret, body)
	if err := c.VerifyWebhook(req, b); err != nil {
		t.Fatalf("a delivery signed with the configured secret: %v", err)
	}
	expectInvalid(t, c, req, []byte(`{"ticket_id":"43"}`), "tampered body")

	req, b = delivery(t, f, "another-secret", body)
	expectInvalid(t, c, req, b, "wrong secret")

	rotated := newConn(t, f, func(cfg *zendesk.Config) { cfg.WebhookSecret, cfg.WebhookSecrets = "new-secret", []string{hookSecret} })
	req, b = delivery(t, f, hookSecret, body)
	if err := rotated.VerifyWebhook(req, b); err != nil {
		t.Errorf("the old secret during a rotation: %v", err)
	}

	req, b = delivery(t, f, hookSecret, body)
	req.Header.Del(zendesk.SignatureHeader)
	expectInvalid(t, c, req, b, "unsigned")

	req, b = delivery(t, f, hookSecret, body)
	req.Header.Set(zendesk.SignatureHeader, "not base64!")
	expectInvalid(t, c, req, b, "malformed signature")

	// A replay: signed six minutes ago; the tolerance is five.
	req, b = delivery(t, f, hookSecret, body)
	f.Advance(6 * time.Minute)
	expectInvalid(t, c, req, b, "old timestamp")
	loose := newConn(t, f, func(cfg *zendesk.Config) { cfg.WebhookTolerance = 10 * time.Minute })
	if err := loose.VerifyWebhook(req, b); err != nil {
		t.Errorf("within a 10-minute tolerance: %v", err)
	}

	// Test deliveries from the webhook builder.
	req, b = delivery(t, f, zendesk.TestSigningSecret, body)
	expectInvalid(t, c, req, b, "the static test secret, not configured")
	testing := newConn(t, f, func(cfg *zendesk.Config) { cfg.WebhookSecrets = []string{zendesk.TestSigningSecret} })
	if err := testing.VerifyWebhook(req, b); err != nil {
		t.Errorf("the static test secret, configured: %v", err)
	}

	none := newConn(t, f, func(cfg *zendesk.Config) { cfg.WebhookSecret = "" })
	req, b = delivery(t, f, hookSecret, body)
	expectInvalid(t, none, req, b, "no secret configured")
}

func TestParseWebhookEvents(t *testing.T) {
	f := newFake(t, nil)
	tk := f.Seed(1)[0]
	id := strconv.FormatInt(tk.ID, 10)
	c := newConn(t, f, nil)
	cases := map[string]ticketsync.EventKind{
		"ticket.created":             ticketsync.EventCreated,
		"ticket.status_changed":      ticketsync.EventUpdated,
		"ticket.priority_changed":    ticketsync.EventUpdated,
		"ticket.comment_added":       ticketsync.EventCommented,
		"ticket.soft_deleted":        ticketsync.EventDeleted,
		"ticket.permanently_deleted": ticketsync.EventDeleted,
		"ticket.undeleted":           ticketsync.EventUpdated,
	}
	for typ, kind := range cases {
		body, err := f.EventPayload(typ, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		events, err := c.ParseWebhook(body)
		if err != nil || len(events) != 1 {
			t.Fatalf("%s: %v, %v", typ, events, err)
		}
		ev := events[0]
		if ev.Kind != kind || ev.TicketID != id || ev.Ticket != nil || !ev.At.Equal(t0) {
			t.Errorf("%s: event %+v; want %s about %s at %s, id only", typ, ev, kind, id, t0)
		}
	}
	for _, body := range []string{
		`{"type":"zen:event-type:user.created","detail":{"id":"5"}}`,
		`{"type":"zen:event-type:ticket.created","detail":{}}`,
		``,
	} {
		if events, err := c.ParseWebhook([]byte(body)); err != nil || len(events) != 0 {
			t.Errorf("ParseWebhook(%s) = %v, %v; want no events", body, events, err)
		}
	}
}

func TestParseWebhookTriggers(t *testing.T) {
	f := newFake(t, nil)
	tk := f.Seed(1)[0]
	id := strconv.FormatInt(tk.ID, 10)
	c := newConn(t, f, nil)
	for _, tmpl := range []string{"", zendesk.RecommendedTriggerTemplate, `{"ticket":{"id":{{ticket.id}}},"event":"deleted"}`} {
		body, err := f.TriggerPayload(tk.ID, tmpl)
		if err != nil {
			t.Fatal(err)
		}
		events, err := c.ParseWebhook(body)
		if err != nil || len(events) != 1 || events[0].TicketID != id {
			t.Fatalf("template %q: %v, %v", tmpl, events, err)
		}
		if strings.Contains(tmpl, "deleted") != (events[0].Kind == ticketsync.EventDeleted) {
			t.Errorf("template %q: kind %s", tmpl, events[0].Kind)
		}
	}
	if events, err := c.ParseWebhook([]byte("ticket_id=" + id + "&event=commented")); err != nil || len(events) != 1 || events[0].Kind != ticketsync.EventCommented {
		t.Errorf("form-encoded trigger: %v, %v", events, err)
	}
	// The builder's test, with its placeholders not filled in.
	if events, err := c.ParseWebhook([]byte(zendesk.RecommendedTriggerTemplate)); err != nil || len(events) != 0 {
		t.Errorf("unfilled template: %v, %v; want no events", events, err)
	}
	for _, body := range []string{`{"ticket_id":"<script>alert(1)</script>"}`, `{"ticket_id":-4}`, `[1,2]`, `{"ticket_id":`} {
		_, err := c.ParseWebhook([]byte(body))
		if err == nil || strings.Contains(err.Error(), "script") || !strings.HasPrefix(err.Error(), "zendesk: parse webhook: ") {
			t.Errorf("ParseWebhook(%s): %v; want a short error that does not echo the payload", body, err)
		}
	}
}
