package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
)

func TestWebhookSecretIsSetAfterConnecting(t *testing.T) {
	e := newEnv(t, nil)
	f := e.connectForm("acme-zendesk", e.fake.Token)
	f.Del("f.WebhookSecret")
	r := e.post("/connect/zendesk", f)
	if r.status != 200 || !strings.Contains(r.body, `action="/admin/support/connectors/acme-zendesk/webhook-secret"`) ||
		!strings.Contains(r.body, "(not set)") {
		t.Fatalf("success page without the secret form: %d\n%s", r.status, r.body)
	}
	hooks := httptest.NewServer(e.syncer.WebhookHandler())
	defer hooks.Close()
	deliver := func() int {
		t.Helper()
		body, err := e.fake.EventPayload("ticket.comment_added", 1)
		if err != nil {
			t.Fatal(err)
		}
		req, err := e.fake.SignedWebhook(hooks.URL+"/?connectorId=acme-zendesk", "the-signing-secret", body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hooks.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := deliver(); got != http.StatusUnauthorized {
		t.Fatalf("delivery before the secret is set: %d, want 401", got)
	}

	// An empty form changes nothing and says so in place.
	r = e.post("/connectors/acme-zendesk/webhook-secret", url.Values{})
	if r.status != 422 || !strings.Contains(r.body, "Enter the value to set.") {
		t.Fatalf("empty secret form: %d %s", r.status, r.body)
	}
	r = e.post("/connectors/acme-zendesk/webhook-secret", url.Values{"f.WebhookSecret": {"the-signing-secret"}})
	page := e.follow(r)
	if !strings.Contains(page.body, "Saved: webhook deliveries") || !strings.Contains(page.body, "(set; enter a new value to replace it)") {
		t.Fatalf("after setting the secret:\n%s", page.body)
	}
	if strings.Contains(page.body, "the-signing-secret") {
		t.Fatal("the history page shows the secret")
	}
	saved := e.conns.List()
	if len(saved) != 1 || saved[0].Values["WebhookSecret"] != "the-signing-secret" || saved[0].Values["APIToken"] != e.fake.Token {
		t.Fatalf("saved connection: %v", saved)
	}
	if st, ok := e.syncer.Status("acme-zendesk"); !ok || st.Mode != ticketsync.ModeBoth {
		t.Fatalf("status: %+v %v", st, ok)
	}
	if got := deliver(); got != http.StatusOK {
		t.Fatalf("delivery after the secret is set: %d, want 200", got)
	}
}

func TestWebhookSecretRefusals(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("host-made", ticketsync.ModeBoth) // not connected in the console
	if r := e.get("/connectors/host-made"); strings.Contains(r.body, "webhook-secret") {
		t.Error("a secret form for a connection the console did not make")
	}
	if r := e.post("/connectors/host-made/webhook-secret", url.Values{"f.WebhookSecret": {"x"}}); r.status != http.StatusConflict {
		t.Errorf("host-made: %d", r.status)
	}
	if r := e.post("/connectors/nobody/webhook-secret", url.Values{"f.WebhookSecret": {"x"}}); r.status != http.StatusNotFound {
		t.Errorf("unknown: %d", r.status)
	}
}
