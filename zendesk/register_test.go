package zendesk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// host is a host application: a Syncer whose webhook handler is served at
// /api/webhooks/tickets on a loopback server.
type host struct {
	store   *memstore.Store
	syncer  *ticketsync.Syncer
	handler string // the handler's public URL
}

func newHost(t *testing.T) *host {
	t.Helper()
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	mux := http.NewServeMux()
	mux.Handle("/api/webhooks/tickets", s.WebhookHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &host{store: store, syncer: s, handler: srv.URL + "/api/webhooks/tickets"}
}

func TestRegisterWebhookDeliversTicketChanges(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, nil)
	h := newHost(t)
	// No secret configured: the registration brings it.
	c := newConn(t, f, func(cfg *zendesk.Config) { cfg.WebhookSecret = "" })
	const id = "support/eu 1"
	if err := h.syncer.Add(id, c, ticketsync.ModeWebhook); err != nil {
		t.Fatal(err)
	}
	tk, err := f.CreateTicket(zendesktest.Ticket{Subject: "Printer on fire", Status: "open"})
	if err != nil {
		t.Fatal(err)
	}

	reg, err := h.syncer.RegisterWebhook(ctx, id, h.handler)
	if err != nil {
		t.Fatalf("RegisterWebhook: %v", err)
	}
	if want := h.handler + "?connectorId=support%2Feu+1"; reg.Endpoint != want {
		t.Errorf("endpoint = %q, want %q", reg.Endpoint, want)
	}
	if reg.Platform != "zendesk" || reg.ID == "" || reg.Secret == "" || !slices.Contains(reg.Events, "zen:event-type:ticket.status_changed") {
		t.Errorf("registration %v lacks its platform, id, secret or the status event", reg)
	}
	for _, text := range []string{fmt.Sprint(reg), fmt.Sprintf("%+v", reg), fmt.Sprintf("%#v", reg)} {
		if strings.Contains(text, reg.Secret) {
			t.Errorf("printing the registration shows the secret: %s", text)
		}
	}
	hooks := f.Webhooks()
	if len(hooks) != 1 || hooks[0].ID != reg.ID || hooks[0].RequestFormat != "json" || hooks[0].HTTPMethod != "POST" {
		t.Fatalf("the account's webhooks are %+v, want the one registered, POST and json", hooks)
	}
	if secret, _ := f.WebhookSecret(reg.ID); secret != reg.Secret {
		t.Error("the registration's secret is not the webhook's signing secret")
	}

	again, err := h.syncer.RegisterWebhook(ctx, id, h.handler)
	if err != nil {
		t.Fatalf("RegisterWebhook again: %v", err)
	}
	if again.ID != reg.ID || len(f.Webhooks()) != 1 {
		t.Errorf("registering twice made webhooks %+v; want the first one, %s, reused", f.Webhooks(), reg.ID)
	}

	// A change in Zendesk reaches the store with no other step.
	if _, err := f.UpdateTicket(tk.ID, func(t *zendesktest.Ticket) { t.Status = "solved" }); err != nil {
		t.Fatal(err)
	}
	f.WaitWebhooks()
	ds := f.Deliveries()
	if len(ds) != 1 || ds[0].Status != http.StatusOK || ds[0].EventType != "zen:event-type:ticket.status_changed" {
		t.Fatalf("deliveries %+v, want one status change answered 200", ds)
	}
	got, err := h.store.Ticket(ctx, id, strconv.FormatInt(tk.ID, 10))
	if err != nil {
		t.Fatalf("the ticket is not stored after the delivery: %v", err)
	}
	if got.Status != ticketsync.StatusSolved || got.Subject != "Printer on fire" {
		t.Errorf("stored ticket %q is %s, want solved", got.Subject, got.Status)
	}

	// Removal deletes the webhook; later changes are delivered nowhere.
	if err := h.syncer.RemoveWithWebhook(ctx, id); err != nil {
		t.Fatalf("RemoveWithWebhook: %v", err)
	}
	if hooks := f.Webhooks(); len(hooks) != 0 {
		t.Errorf("webhooks left after removal: %+v", hooks)
	}
	if _, err := f.AddComment(tk.ID, zendesktest.Comment{Body: "still burning", Public: true}); err != nil {
		t.Fatal(err)
	}
	f.WaitWebhooks()
	if n := len(f.Deliveries()); n != 1 {
		t.Errorf("%d deliveries after removal, want still 1", n)
	}
}

func TestRegisterWebhookNeedsAdmin(t *testing.T) {
	f := newFake(t, nil)
	f.SetRole("agent")
	h := newHost(t)
	c := newConn(t, f, nil)
	if err := h.syncer.Add("zd", c, ticketsync.ModeBoth); err != nil {
		t.Fatal(err)
	}
	_, err := h.syncer.RegisterWebhook(context.Background(), "zd", h.handler)
	if !errors.Is(err, ticketsync.ErrForbidden) {
		t.Fatalf("RegisterWebhook as an agent = %v, want ErrForbidden", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "is agent") || !strings.Contains(msg, "admin role") || strings.Contains(msg, f.Token) {
		t.Errorf("error %q should name the user's role and the admin role, without the token", msg)
	}
	if n := len(f.Webhooks()); n != 0 {
		t.Errorf("%d webhooks created by an agent", n)
	}
}

func TestRegisterWebhookBadURL(t *testing.T) {
	f := newFake(t, nil)
	h := newHost(t)
	c := newConn(t, f, nil)
	if err := h.syncer.Add("zd", c, ticketsync.ModeWebhook); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, url string }{
		{"plain http off loopback", "http://sync.example.com/api/webhooks/tickets"},
		{"no handler path", "https://sync.example.com"},
		{"refused by Zendesk", "https://10.1.2.3/api/webhooks/tickets"},
	} {
		_, err := h.syncer.RegisterWebhook(context.Background(), "zd", tc.url)
		if !errors.Is(err, ticketsync.ErrInvalidWebhookURL) {
			t.Errorf("%s: RegisterWebhook(%q) = %v, want ErrInvalidWebhookURL", tc.name, tc.url, err)
		}
	}
	if n := len(f.Webhooks()); n != 0 {
		t.Errorf("%d webhooks created for bad URLs", n)
	}
}

func TestRotatedSecretsBothVerify(t *testing.T) {
	// A connector configured with a secret keeps accepting it after a
	// registration adds another, so that deliveries in flight still verify.
	f := newFake(t, nil)
	c := newConn(t, f, nil)
	reg, err := c.RegisterWebhook(context.Background(), "https://sync.example.com/hooks?connectorId=zd")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"ticket_id":"1"}`)
	for _, secret := range []string{hookSecret, reg.Secret} {
		req, b := delivery(t, f, secret, body)
		if err := c.VerifyWebhook(req, b); err != nil {
			t.Errorf("a delivery signed with one of the two secrets: %v", err)
		}
	}
	if err := c.UnregisterWebhook(context.Background(), reg); err != nil {
		t.Fatal(err)
	}
	req, b := delivery(t, f, reg.Secret, body)
	if err := c.VerifyWebhook(req, b); !errors.Is(err, ticketsync.ErrInvalidSignature) {
		t.Errorf("after UnregisterWebhook the webhook's secret still verifies: %v", err)
	}
	req, b = delivery(t, f, hookSecret, body)
	if err := c.VerifyWebhook(req, b); err != nil {
		t.Errorf("after UnregisterWebhook the configured secret no longer verifies: %v", err)
	}
	if err := c.UnregisterWebhook(context.Background(), reg); err != nil {
		t.Errorf("unregistering a webhook that is gone: %v", err)
	}
}

func TestRegisterWhileVerifying(t *testing.T) {
	// Deliveries verified while webhooks are registered and removed keep
	// verifying with the configured secret; run with -race.
	f := newFake(t, nil)
	c := newConn(t, f, nil)
	body := []byte(`{"ticket_id":"1"}`)
	done := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for {
			select {
			case <-done:
				return
			default:
			}
			req, b := delivery(t, f, hookSecret, body)
			if err := c.VerifyWebhook(req, b); err != nil {
				errs <- err
				return
			}
		}
	}()
	ctx := context.Background()
	for i := range 20 {
		reg, err := c.RegisterWebhook(ctx, "https://sync.example.com/hooks?connectorId=zd&n="+strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.UnregisterWebhook(ctx, reg); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	if err := <-errs; err != nil {
		t.Errorf("a delivery signed with the configured secret failed during registrations: %v", err)
	}
}
