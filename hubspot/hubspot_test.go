package hubspot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/hubspot"
	"github.com/ticketsync/ticketsync/hubspot/hubspottest"
)

func TestNewValidatesConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   hubspot.Config
		field string
	}{
		{"no credentials", hubspot.Config{}, "Config.PrivateAppToken"},
		{"white space", hubspot.Config{PrivateAppToken: "pat-na1-abc def"}, "Config.PrivateAppToken"},
		{"bad webhook URL", hubspot.Config{PrivateAppToken: "pat", WebhookURL: "/hooks"}, "Config.WebhookURL"},
		{"bad status", hubspot.Config{PrivateAppToken: "pat", StageStatus: map[string]ticketsync.Status{"1": "limbo"}}, "Config.StageStatus"},
		{"bad base URL", hubspot.Config{PrivateAppToken: "pat", BaseURL: "ftp://x"}, "Config.BaseURL"},
		{"negative limit", hubspot.Config{PrivateAppToken: "pat", RequestsPerMinute: -1}, "Config.RequestsPerMinute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := hubspot.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("New = %v, want an error naming %s", err, tc.field)
			}
		})
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	cfg := hubspot.Config{PrivateAppToken: "pat-na1-SECRET-TOKEN", ClientSecret: "CLIENT-SECRET-1", ClientSecrets: []string{"CLIENT-SECRET-0"},
		WebhookURL: "https://hooks.example.com/in?key=QUERY-SECRET"}
	c, err := hubspot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), cfg.String()} {
		for _, secret := range []string{"SECRET-TOKEN", "CLIENT-SECRET", "QUERY-SECRET"} {
			if strings.Contains(s, secret) {
				t.Errorf("printed config holds a secret")
			}
		}
		if !strings.Contains(s, "PrivateAppToken: [redacted]") {
			t.Errorf("printed config does not say the token is set: %s", s)
		}
	}
}

func TestTestCredentials(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	if err := c.Test(t.Context()); err != nil {
		t.Fatalf("Test with a good token: %v", err)
	}
	if c.PortalID() != hubspottest.DefaultPortalID {
		t.Errorf("PortalID = %d after Test", c.PortalID())
	}
	if n := len(fake.Requests()); n != 3 {
		t.Errorf("Test made %d requests, want 3", n)
	}

	bad := newConnector(t, fake, func(cfg *hubspot.Config) { cfg.PrivateAppToken = "pat-na1-revoked-token" })
	err := bad.Test(t.Context())
	if !errors.Is(err, ticketsync.ErrUnauthorized) {
		t.Errorf("bad token: %v, want ErrUnauthorized", err)
	}
	if err != nil && strings.Contains(err.Error(), "revoked-token") {
		t.Error("error holds the token")
	}
	var apiErr *ticketsync.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Errorf("bad token: %v, want an APIError with status 401", err)
	}

	fake.AddToken("pat-na1-no-tickets", hubspottest.ScopeContactsRead, hubspottest.ScopeOwnersRead)
	noScope := newConnector(t, fake, func(cfg *hubspot.Config) { cfg.PrivateAppToken = "pat-na1-no-tickets" })
	err = noScope.Test(t.Context())
	if scopes := hubspot.MissingScopes(err); !errors.Is(err, ticketsync.ErrForbidden) || len(scopes) == 0 || scopes[0] != "tickets" || !strings.Contains(err.Error(), `"tickets" scope`) {
		t.Errorf("missing scope: %v, want ErrForbidden naming the tickets scope", err)
	}
	_, err = noScope.Fetch(t.Context(), "")
	if !errors.Is(err, ticketsync.ErrForbidden) || !strings.Contains(err.Error(), `"tickets"`) {
		t.Errorf("Fetch without the scope: %v", err)
	}
}

func TestOptionalScopesDegrade(t *testing.T) {
	var logs bytes.Buffer
	fake := hubspottest.NewServer(t, fastLimits())
	fake.AddToken("pat-na1-tickets-only", hubspottest.ScopeTickets)
	c := newConnector(t, fake, func(cfg *hubspot.Config) {
		cfg.PrivateAppToken = "pat-na1-tickets-only"
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	o := fake.AddOwner(hubspottest.Owner{Email: "a@example.com"})
	id := fake.CreateTicket(map[string]string{"hubspot_owner_id": o})
	fake.AssociateContact(id, fake.AddContact(hubspottest.Contact{Email: "r@example.com"}))
	fake.AddNote(id, hubspottest.Note{Body: "x"})
	r := drain(t, c, "")
	got := r.tickets[id]
	if got.Assignee != (ticketsync.Person{ID: o}) || got.Requester.Email != "" || got.Requester.ID == "" || len(got.Comments) != 0 {
		t.Errorf("degraded ticket = %+v", got)
	}
	if !strings.Contains(logs.String(), "crm.objects.owners.read") || strings.Contains(logs.String(), "pat-na1") {
		t.Errorf("logs should name the missing scopes and no token: %s", logs.String())
	}
}

func TestSurvivesFaults(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	for range 450 {
		id := fake.CreateTicket(map[string]string{"subject": "x"})
		fake.AddNote(id, hubspottest.Note{Body: "n"})
		fake.Advance(time.Second)
	}
	fake.InjectFault(hubspottest.Fault{Path: "/crm/v3/objects/tickets/search", Status: 503, Count: 2})
	fake.InjectFault(hubspottest.Fault{Path: "/crm/v4/associations/", Status: 429, RetryAfter: 10 * time.Second, Count: 2})
	fake.InjectFault(hubspottest.Fault{Path: "/crm/v3/objects/notes/batch/read", Truncate: true})
	fake.InjectFault(hubspottest.Fault{Path: "/crm/v3/owners", Status: 502})
	fake.InjectFault(hubspottest.Fault{Path: "/crm/v3/pipelines/", Status: 500})
	r := drain(t, c, "")
	if len(r.tickets) != 450 {
		t.Fatalf("synced %d tickets through faults, want 450", len(r.tickets))
	}
	for id, tk := range r.tickets {
		if len(tk.Comments) != 1 {
			t.Fatalf("ticket %s: %d comments", id, len(tk.Comments))
		}
	}
	if statusCount(fake, 429) != 2 || statusCount(fake, 503) != 2 {
		t.Errorf("faults not all hit: %d 429s, %d 503s", statusCount(fake, 429), statusCount(fake, 503))
	}
}

func TestRateLimitErrorNamesPolicy(t *testing.T) {
	fake, c := newPair(t, nil, func(cfg *hubspot.Config) { cfg.MaxRetries = -1 })
	fake.CreateTicket(nil)
	fake.InjectFault(hubspottest.Fault{Path: "/crm/v3/objects/tickets/search", Status: 429, Body: hubspottest.RateLimitBody("SECONDLY")})
	_, err := c.Fetch(t.Context(), "")
	if !errors.Is(err, ticketsync.ErrRateLimited) || !strings.Contains(err.Error(), "policy SECONDLY") {
		t.Errorf("Fetch after a 429: %v, want ErrRateLimited naming the policy", err)
	}
	fake.InjectFault(hubspottest.Fault{Path: "/crm/v3/objects/tickets/search", Status: 429, Body: hubspottest.RateLimitBody("DAILY")})
	_, err = c.Fetch(t.Context(), "")
	if !errors.Is(err, ticketsync.ErrRateLimited) || !strings.Contains(err.Error(), "daily rate limit") {
		t.Errorf("daily limit: %v", err)
	}
}

func deliver(t *testing.T, c *hubspot.Connector, req *http.Request, body []byte) error {
	t.Helper()
	// What the Syncer's handler sees: a server-side request.
	var got error
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = c.VerifyWebhook(r, b)
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	target := strings.Replace(req.URL.String(), req.URL.Scheme+"://"+req.URL.Host, srv.URL, 1)
	out, err := http.NewRequest(req.Method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out.Header = req.Header.Clone()
	resp, err := srv.Client().Do(out)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return got
}

func TestVerifyWebhook(t *testing.T) {
	fake, _ := newPair(t, nil, nil)
	id := fake.CreateTicket(nil)
	events := []hubspottest.WebhookEvent{fake.TicketEvent("propertyChange", id)}
	const public = "https://hooks.example.com/api/webhooks/tickets?connectorId=hubspot%3Aacme%2Fsupport&x=(1)%2A"
	c := newConnector(t, fake, func(cfg *hubspot.Config) { cfg.WebhookURL = "https://hooks.example.com/api/webhooks/tickets" })

	req, body := fake.WebhookRequest(public, events)
	if err := deliver(t, c, req, body); err != nil {
		t.Errorf("signed delivery to a percent-encoded URI: %v", err)
	}

	tampered := bytes.Replace(body, []byte(id), []byte("1"+id), 1)
	if err := deliver(t, c, req, tampered); !errors.Is(err, ticketsync.ErrInvalidSignature) {
		t.Errorf("tampered body: %v, want ErrInvalidSignature", err)
	}

	wrongURL, body2 := fake.WebhookRequest("https://hooks.example.com/api/webhooks/tickets?connectorId=other", events)
	wrongURL.URL, _ = wrongURL.URL.Parse(public)
	if err := deliver(t, c, wrongURL, body2); !errors.Is(err, ticketsync.ErrInvalidSignature) {
		t.Errorf("signature for another URI: %v, want ErrInvalidSignature", err)
	}

	old := fake.SignedRequest(public, body, fake.Now().Add(-6*time.Minute))
	if err := deliver(t, c, old, body); !errors.Is(err, ticketsync.ErrInvalidSignature) || !strings.Contains(err.Error(), "timestamp") {
		t.Errorf("six-minute-old delivery: %v", err)
	}

	unsigned := req.Clone(context.Background())
	unsigned.Header.Del("X-HubSpot-Signature-v3")
	if err := deliver(t, c, unsigned, body); !errors.Is(err, ticketsync.ErrInvalidSignature) {
		t.Errorf("v1-only delivery without AllowLegacySignatures: %v", err)
	}
	legacy := newConnector(t, fake, func(cfg *hubspot.Config) { cfg.AllowLegacySignatures = true })
	if err := deliver(t, legacy, unsigned, body); err != nil {
		t.Errorf("v1 delivery with AllowLegacySignatures: %v", err)
	}

	rotated := newConnector(t, fake, func(cfg *hubspot.Config) {
		cfg.ClientSecret, cfg.ClientSecrets = "new-secret", []string{fake.ClientSecret()}
		cfg.WebhookURL = "https://hooks.example.com/api/webhooks/tickets"
	})
	if err := deliver(t, rotated, req, body); err != nil {
		t.Errorf("delivery signed with the previous secret: %v", err)
	}
	for _, err := range []error{deliver(t, c, req, tampered), deliver(t, c, old, body)} {
		if err != nil && (strings.Contains(err.Error(), fake.ClientSecret()) || strings.Contains(err.Error(), req.Header.Get("X-HubSpot-Signature-v3"))) {
			t.Error("error holds the secret or the signature")
		}
	}
}

func TestVerifyWebhookWithoutWebhookURL(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := c.VerifyWebhook(r, b); err != nil {
			http.Error(w, err.Error(), 401)
		}
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := fake.WebhookRequest(srv.URL+"/hooks?connectorId=a%3Ab%40c", []hubspottest.WebhookEvent{fake.TicketEvent("creation", "5001")})
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("delivery to the request's own URL: %d", resp.StatusCode)
	}
}

func TestSignMatchesFake(t *testing.T) {
	body := []byte(`[{"eventId":1}]`)
	at := time.UnixMilli(1700000000000)
	for _, uri := range []string{"https://x.example/h", "https://x.example/h?id=a%3Ab%2Fc%40d%21%24%27%28%29%2a%2C%3B%3D"} {
		if got, want := hubspot.Sign("s", "POST", uri, body, at), hubspottest.SignV3("s", "POST", uri, body, at.UnixMilli()); got != want {
			t.Errorf("Sign(%s) = %s, fake signs %s", uri, got, want)
		}
	}
	if hubspot.Sign("s", "POST", "https://x.example/h?a=%3D", body, at) == hubspot.Sign("s", "POST", "https://x.example/h?a==", body, at) {
		t.Error("%3D is not among the escapes HubSpot decodes")
	}
}

func TestParseWebhook(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	if err := c.Test(t.Context()); err != nil { // learns the portal id
		t.Fatal(err)
	}
	created := fake.TicketEvent("creation", "101")
	changed := fake.TicketEvent("propertyChange", "102")
	deleted := fake.TicketEvent("deletion", "103")
	generic := fake.ObjectEvent("propertyChange", "0-5", "104")
	contact := fake.ObjectEvent("propertyChange", "0-1", "105")
	other := fake.TicketEvent("creation", "106")
	other.PortalID = 999
	events := []hubspottest.WebhookEvent{created, changed, changed, deleted, generic, contact, other}
	_, body := fake.WebhookRequest("https://x.example/h", events)
	got, err := c.ParseWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind ticketsync.EventKind
		id   string
	}{{ticketsync.EventCreated, "101"}, {ticketsync.EventUpdated, "102"}, {ticketsync.EventDeleted, "103"}, {ticketsync.EventUpdated, "104"}}
	if len(got) != len(want) {
		t.Fatalf("events = %+v", got)
	}
	for i, w := range want {
		if got[i].Kind != w.kind || got[i].TicketID != w.id || got[i].Ticket != nil || !got[i].At.Equal(fake.Now()) {
			t.Errorf("event %d = %+v, want %s %s", i, got[i], w.kind, w.id)
		}
	}
	merge := `[{"eventId":9,"portalId":12345678,"occurredAt":1700000000000,"subscriptionType":"ticket.merge","objectId":7,"primaryObjectId":7,"mergedObjectIds":[7,8]},
		{"eventId":10,"portalId":12345678,"subscriptionType":"ticket.associationChange","associationType":"TICKET_TO_EMAIL","fromObjectId":7,"toObjectId":55}]`
	got, err = c.ParseWebhook([]byte(merge))
	if err != nil || len(got) != 3 || got[0].Kind != ticketsync.EventUpdated || got[0].TicketID != "7" || got[1].Kind != ticketsync.EventUpdated || got[1].TicketID != "8" ||
		got[2].Kind != ticketsync.EventCommented || got[2].TicketID != "7" {
		t.Errorf("merge and association: %+v %v", got, err)
	}
	if got, err := c.ParseWebhook([]byte(`[]`)); err != nil || len(got) != 0 {
		t.Errorf("empty delivery: %v %v", got, err)
	}
	if _, err := c.ParseWebhook([]byte(`{"secret":"do not echo"}`)); err == nil || strings.Contains(err.Error(), "echo") {
		t.Errorf("bad body: %v", err)
	}
}

// A webhook delivery through the Syncer's handler ends with the ticket
// stored, loaded through GetTickets.
func TestWebhookThroughSyncer(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	store := newMemStore()
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Now: fake.Now})
	if err := s.Add("hs", c, ticketsync.ModeWebhook); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.WebhookHandler())
	defer srv.Close()
	id := fake.CreateTicket(map[string]string{"subject": "from a webhook"})
	fake.AddNote(id, hubspottest.Note{Body: "hi"})
	req, _ := fake.WebhookRequest(srv.URL+"/api/webhooks/tickets?connectorId=hs", fake.TakeEvents())
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("delivery answered %d", resp.StatusCode)
	}
	got, err := store.Ticket(t.Context(), "hs", id)
	if err != nil || got.Subject != "from a webhook" || len(got.Comments) != 1 {
		t.Errorf("stored %+v, %v", got, err)
	}
}
