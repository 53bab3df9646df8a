package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
)

// connectForm is the Zendesk form as a person fills it in.
func (e *env) connectForm(id, token string) url.Values {
	return url.Values{
		"id":              {id},
		"f.Subdomain":     {"acme"},
		"f.Email":         {e.fake.Email},
		"f.APIToken":      {token},
		"f.WebhookSecret": {"whsec-typed-in-the-form"},
		"mode":            {"3"},
	}
}

func TestConnectFormIsBuiltFromThePackageForm(t *testing.T) {
	e := newEnv(t, nil)
	r := e.get("/connect")
	if !strings.Contains(r.body, `href="/admin/support/connect/zendesk"`) {
		t.Fatalf("platform list: %s", r.body)
	}
	r = e.get("/connect/zendesk")
	for _, want := range []string{
		`<label for="f.Subdomain">Subdomain</label>`,
		`name="f.APIToken" type="password"`,
		"turn on token access, then Add API token", // the package's hint
		`name="mode" value="3" checked`,            // Both, recommended
		"Poll every 15 min", "Real-time webhook", "(recommended)",
		"Test &amp; Connect",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("connect form lacks %q", want)
		}
	}
}

func TestConnectWithBadTokenShowsTheErrorInPlace(t *testing.T) {
	e := newEnv(t, nil)
	const badToken = "wrong-token-0123456789"
	r := e.post("/connect/zendesk", e.connectForm("acme-zendesk", badToken))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad token: %d", r.status)
	}
	if !strings.Contains(r.body, `role="alert"`) || !strings.Contains(r.body, "Test failed: zendesk:") || !strings.Contains(strings.ToLower(r.body), "unauthorized") {
		t.Fatalf("no actionable error in place:\n%s", r.body)
	}
	// The form is there again, filled in except for its secrets.
	if !strings.Contains(r.body, `value="acme-zendesk"`) || !strings.Contains(r.body, `value="acme"`) {
		t.Error("the non-secret values are not filled in again")
	}
	for _, secret := range []string{badToken, "whsec-typed-in-the-form"} {
		if strings.Contains(r.body, secret) {
			t.Errorf("the page shows the secret %q", secret)
		}
	}
	if _, ok := e.syncer.Status("acme-zendesk"); ok || len(e.conns.List()) != 0 {
		t.Fatal("a connector that failed its test was added or saved")
	}
}

func TestConnectWithGoodTokenShowsTheWebhookURL(t *testing.T) {
	e := newEnv(t, nil)
	r := e.post("/connect/zendesk", e.connectForm("acme-zendesk", e.fake.Token))
	if r.status != http.StatusOK {
		t.Fatalf("good token: %d\n%s", r.status, r.body)
	}
	for _, want := range []string{
		"Connected acme-zendesk",
		`<code id="webhook-url">https://support.example.com/api/webhooks/tickets?connectorId=acme-zendesk</code>`,
		"Admin Center → Apps and integrations → Webhooks → Create webhook", // the package's steps
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("success page lacks %q", want)
		}
	}
	if strings.Contains(r.body, e.fake.Token) || strings.Contains(r.body, "whsec-typed-in-the-form") {
		t.Fatal("the success page shows a secret")
	}
	st, ok := e.syncer.Status("acme-zendesk")
	if !ok || st.Mode != ticketsync.ModeBoth || st.Platform != "zendesk" {
		t.Fatalf("status after connect: %+v %v", st, ok)
	}
	saved := e.conns.List()
	if len(saved) != 1 || saved[0].ID != "acme-zendesk" || saved[0].Values["APIToken"] != e.fake.Token || saved[0].Mode != ticketsync.ModeBoth {
		t.Fatalf("saved: %v", saved)
	}
	// The connector built from the form works: a sync stores the account.
	if _, err := e.syncer.SyncNow(context.Background(), "acme-zendesk"); err != nil {
		t.Fatal(err)
	}
	if n := e.store.Len("acme-zendesk"); n != 5 {
		t.Fatalf("%d tickets stored, want 5", n)
	}
	// A poll-only connection shows no webhook.
	f := e.connectForm("acme-poll", e.fake.Token)
	f.Set("mode", "1")
	if r := e.post("/connect/zendesk", f); r.status != 200 || strings.Contains(r.body, "connectorId=") {
		t.Fatalf("poll-only: %d %s", r.status, r.body)
	}
}

func TestConnectWebhookURLDefaultsToTheRequestHost(t *testing.T) {
	e := newEnv(t, func(o *console.Options) { o.WebhookURL = "" })
	r := e.post("/connect/zendesk", e.connectForm("acme-zendesk", e.fake.Token))
	want := e.srv.URL + "/api/webhooks/tickets?connectorId=acme-zendesk"
	if !strings.Contains(r.body, want) {
		t.Fatalf("webhook URL %q not shown:\n%s", want, r.body)
	}
}

func TestConnectValidation(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("taken", ticketsync.ModePoll)
	cases := []struct {
		name   string
		edit   func(url.Values)
		status int
		want   string
	}{
		{"empty id", func(f url.Values) { f.Set("id", "") }, 422, "Connector id: use 1 to 64"},
		{"id with a slash", func(f url.Values) { f.Set("id", "a/b") }, 422, "Connector id: use 1 to 64"},
		{"taken id", func(f url.Values) { f.Set("id", "taken") }, 409, "is taken"},
		{"no mode", func(f url.Values) { f.Del("mode") }, 422, "Choose how tickets should arrive"},
		{"unknown mode", func(f url.Values) { f.Set("mode", "9") }, 422, "Choose how tickets should arrive"},
		{"no token", func(f url.Values) { f.Del("f.APIToken") }, 422, "API token is required: Admin Center"},
		{"bad subdomain", func(f url.Values) { f.Set("f.Subdomain", "acme.zendesk.com/x") }, 422, "is not a subdomain"},
	}
	for _, c := range cases {
		f := e.connectForm("new-one", e.fake.Token)
		c.edit(f)
		r := e.post("/connect/zendesk", f)
		if r.status != c.status || !strings.Contains(r.body, c.want) {
			t.Errorf("%s: %d, want %d with %q:\n%s", c.name, r.status, c.status, c.want, r.body)
		}
		if strings.Contains(r.body, e.fake.Token) {
			t.Errorf("%s: the page shows the token", c.name)
		}
	}
	if _, ok := e.syncer.Status("new-one"); ok {
		t.Fatal("an invalid form added a connector")
	}
}

func TestConnectSaveFailureAddsNothing(t *testing.T) {
	e := newEnv(t, func(o *console.Options) { o.Connections = failingConnections{} })
	r := e.post("/connect/zendesk", e.connectForm("acme", e.fake.Token))
	if r.status != http.StatusInternalServerError || !strings.Contains(r.body, "could not be saved") {
		t.Fatalf("failing Save: %d %s", r.status, r.body)
	}
	if _, ok := e.syncer.Status("acme"); ok {
		t.Fatal("added although not saved")
	}
}

func TestConnectScrubsSecretsFromErrors(t *testing.T) {
	// A platform whose error carries what it was given: the console still
	// never shows it.
	const token = "leaky-secret-value"
	leaky := console.Platform{
		Form: ticketsync.Form{Platform: "leaky", Title: "Leaky", Fields: []ticketsync.FormField{{Name: "Token", Label: "Token", Secret: true}}},
		New: func(v map[string]string) (ticketsync.Connector, error) {
			return nil, &leakError{v["Token"]}
		},
	}
	e := newEnv(t, func(o *console.Options) { o.Platforms = append(o.Platforms, leaky) })
	r := e.post("/connect/leaky", url.Values{"id": {"x"}, "f.Token": {token}, "mode": {"1"}})
	if r.status != 422 || !strings.Contains(r.body, "bad token [redacted]") || strings.Contains(r.body, token) {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

type leakError struct{ token string }

func (e *leakError) Error() string { return "bad token " + e.token }

func TestPlatformOfRefusesUnknownFields(t *testing.T) {
	type cfg struct{ Token string }
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a field Config lacks")
		}
	}()
	console.PlatformOf(ticketsync.Form{Platform: "x", Fields: []ticketsync.FormField{{Name: "Tokn"}}},
		func(cfg) (ticketsync.Connector, error) { return nil, nil }, nil)
}

func TestConnectionStringHidesValues(t *testing.T) {
	c := console.Connection{ID: "a", Platform: "zendesk", Mode: ticketsync.ModePoll, Values: map[string]string{"APIToken": "s3cret"}}
	for _, s := range []string{c.String(), c.GoString()} {
		if strings.Contains(s, "s3cret") {
			t.Fatalf("%s", s)
		}
	}
}
