package ticketsync_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

func TestWebhookEndpoint(t *testing.T) {
	for _, tc := range []struct{ handler, id, want string }{
		{"https://sync.example.com/api/webhooks/tickets", "zd", "https://sync.example.com/api/webhooks/tickets?connectorId=zd"},
		{"https://sync.example.com/hooks", "eu/support #1", "https://sync.example.com/hooks?connectorId=eu%2Fsupport+%231"},
		{"https://sync.example.com/hooks?tenant=a", "zd", "https://sync.example.com/hooks?connectorId=zd&tenant=a"},
		{"http://127.0.0.1:8080/hooks", "zd", "http://127.0.0.1:8080/hooks?connectorId=zd"},
		{"http://[::1]:8080/hooks", "zd", "http://[::1]:8080/hooks?connectorId=zd"},
		{"http://localhost/hooks", "zd", "http://localhost/hooks?connectorId=zd"},
	} {
		got, err := ticketsync.WebhookEndpoint(tc.handler, tc.id)
		if err != nil || got != tc.want {
			t.Errorf("WebhookEndpoint(%q, %q) = %q, %v; want %q", tc.handler, tc.id, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ handler, why string }{
		{"http://sync.example.com/hooks", "https"},
		{"http://10.0.0.1/hooks", "https"},
		{"https://sync.example.com", "no path"},
		{"https://sync.example.com/", "no path"},
		{"ftp://sync.example.com/hooks", "scheme"},
		{"/api/webhooks/tickets", "absolute"},
		{"https://user:pw@sync.example.com/hooks", "credentials"},
		{"https://sync.example.com/hooks#top", "fragment"},
		{"https://sync.example.com/hooks?connectorId=other", "names a connector"},
	} {
		_, err := ticketsync.WebhookEndpoint(tc.handler, "zd")
		if !errors.Is(err, ticketsync.ErrInvalidWebhookURL) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("WebhookEndpoint(%q) = %v; want ErrInvalidWebhookURL saying %q", tc.handler, err, tc.why)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("error %q shows the URL's password", err)
		}
	}
}

func TestWebhookRegistrationHidesSecret(t *testing.T) {
	reg := ticketsync.WebhookRegistration{Platform: "p", ID: "w1", Endpoint: "https://x/h?connectorId=a",
		Events: []string{"ticket.created"}, Secret: "s3cr3t-value"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("registered", "reg", reg)
	for _, text := range []string{fmt.Sprint(reg), fmt.Sprintf("%+v", reg), fmt.Sprintf("%#v", reg),
		fmt.Sprintf("%q", reg), fmt.Sprintf("%x", reg), logged.String()} {
		if strings.Contains(text, "s3cr3t") {
			t.Errorf("printed registration shows the secret: %s", text)
		}
		if !strings.Contains(text, "w1") {
			t.Errorf("printed registration lacks the webhook id: %s", text)
		}
	}
}

// registrar is a webhook connector whose platform records registrations.
type registrar struct {
	mu        sync.Mutex
	hooks     map[string]string // id -> endpoint
	failClose error
	n         int
}

func (r *registrar) Platform() string                                { return "fakeplatform" }
func (r *registrar) Test(context.Context) error                      { return nil }
func (r *registrar) VerifyWebhook(*http.Request, []byte) error       { return nil }
func (r *registrar) ParseWebhook([]byte) ([]ticketsync.Event, error) { return nil, nil }
func (r *registrar) Fetch(context.Context, string) (ticketsync.Page, error) {
	return ticketsync.Page{}, nil
}

func (r *registrar) RegisterWebhook(_ context.Context, endpoint string) (ticketsync.WebhookRegistration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, e := range r.hooks {
		if e == endpoint {
			return ticketsync.WebhookRegistration{Platform: "fakeplatform", ID: id, Endpoint: e, Secret: "s"}, nil
		}
	}
	r.n++
	id := fmt.Sprintf("hook-%d", r.n)
	r.hooks[id] = endpoint
	return ticketsync.WebhookRegistration{Platform: "fakeplatform", ID: id, Endpoint: endpoint, Secret: "s"}, nil
}

func (r *registrar) UnregisterWebhook(_ context.Context, reg ticketsync.WebhookRegistration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failClose != nil {
		return r.failClose
	}
	delete(r.hooks, reg.ID)
	return nil
}

func (r *registrar) endpoints() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.hooks {
		out = append(out, e)
	}
	return out
}

func TestSyncerRegisterWebhook(t *testing.T) {
	ctx := context.Background()
	s := ticketsync.NewSyncer(memstore.New(), nil)
	r := &registrar{hooks: map[string]string{}}
	if err := s.Add("a/b", r, ticketsync.ModeBoth); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("poll", &registrar{hooks: map[string]string{}}, ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("plain", newScripted(), ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}

	if _, err := s.RegisterWebhook(ctx, "nope", "https://h.example/hooks"); !errors.Is(err, ticketsync.ErrUnknownConnector) {
		t.Errorf("unknown connector: %v, want ErrUnknownConnector", err)
	}
	if _, err := s.RegisterWebhook(ctx, "plain", "https://h.example/hooks"); err == nil || !strings.Contains(err.Error(), "admin pages") {
		t.Errorf("a connector without WebhookRegistrar: %v, want an error pointing to the admin pages", err)
	}
	if _, err := s.RegisterWebhook(ctx, "poll", "https://h.example/hooks"); err == nil || !strings.Contains(err.Error(), "ModeWebhook") {
		t.Errorf("a connector added for polling only: %v, want an error naming ModeWebhook", err)
	}
	if _, err := s.RegisterWebhook(ctx, "a/b", "http://h.example/hooks"); !errors.Is(err, ticketsync.ErrInvalidWebhookURL) {
		t.Errorf("http URL: %v, want ErrInvalidWebhookURL", err)
	}
	if eps := r.endpoints(); len(eps) != 0 {
		t.Fatalf("webhooks registered on errors: %v", eps)
	}

	reg, err := s.RegisterWebhook(ctx, "a/b", "https://h.example/hooks")
	if err != nil {
		t.Fatal(err)
	}
	if reg.Endpoint != "https://h.example/hooks?connectorId=a%2Fb" {
		t.Errorf("endpoint %q", reg.Endpoint)
	}
	if got, ok := s.Webhook("a/b"); !ok || got.ID != reg.ID {
		t.Errorf("Webhook(a/b) = %v, %v; want %s", got, ok, reg.ID)
	}
	// Moving to another address replaces the webhook rather than adding one.
	moved, err := s.RegisterWebhook(ctx, "a/b", "https://new.example/hooks")
	if err != nil {
		t.Fatal(err)
	}
	if eps := r.endpoints(); len(eps) != 1 || eps[0] != moved.Endpoint {
		t.Errorf("after moving, the platform has %v; want only %s", eps, moved.Endpoint)
	}

	r.failClose = errors.New("503 service unavailable")
	err = s.RemoveWithWebhook(ctx, "a/b")
	if err == nil || !strings.Contains(err.Error(), moved.ID) || !strings.Contains(err.Error(), "503") {
		t.Errorf("RemoveWithWebhook with a failing platform = %v; want an error naming the webhook and the cause", err)
	}
	if _, ok := s.Connector("a/b"); ok {
		t.Error("the connector is still added after RemoveWithWebhook")
	}
	if _, ok := s.Webhook("a/b"); ok {
		t.Error("the registration is still kept after RemoveWithWebhook")
	}
	if err := s.RemoveWithWebhook(ctx, "plain"); err != nil {
		t.Errorf("removing a connector without a webhook: %v", err)
	}
}
