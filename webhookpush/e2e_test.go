package webhookpush_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/webhookpush"
)

// Fixtures, kept out of every message below.
const (
	e2eHMAC  = "e2e-hmac-secret-51d0"
	e2eWhsec = "whsec_ZTJlLXN0YW5kYXJkLXdlYmhvb2tzLXNlY3JldA=="
)

type reply struct {
	OK        bool   `json:"ok"`
	Status    string `json:"status"`
	Connector string `json:"connector"`
	Tickets   int    `json:"tickets"`
	Error     string `json:"error"`
}

func post(t *testing.T, url string, body []byte, h http.Header) (int, reply) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r reply
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("answer %d is not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, r
}

// TestEndToEnd posts the documented format over real HTTP to the Syncer's
// webhook handler and finds the ticket in memstore.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, nil)
	conn, err := webhookpush.New(webhookpush.Config{
		Platform:                "helpdesk",
		HMACSecrets:             []string{e2eHMAC},
		StandardWebhooksSecrets: []string{e2eWhsec},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := syncer.Add("push-1", conn, ticketsync.ModeWebhook); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(syncer.WebhookHandler())
	defer srv.Close()
	url := srv.URL + "/api/webhooks/tickets?connectorId=push-1"

	body := []byte(`{"ticket": {"id": "12345", "subject": "Login not working", "description": "Users unable to login since update", "status": "open", "priority": "high", "requester_email": "cfo@customer.com", "created_at": "2026-07-01T09:00:00Z", "updated_at": "2026-07-01T09:00:00Z"}}`)
	code, r := post(t, url, body, http.Header{"X-Hub-Signature-256": {webhookpush.SignHMAC(e2eHMAC, body)}})
	if code != http.StatusOK || !r.OK || r.Status != "received" || r.Connector != "push-1" || r.Tickets != 1 {
		t.Fatalf("signed push: %d %+v, want 200 with one ticket", code, r)
	}
	got, err := store.Ticket(ctx, "push-1", "12345")
	if err != nil {
		t.Fatalf("ticket not stored: %v", err)
	}
	if got.ConnectorID != "push-1" || got.Platform != "helpdesk" || got.Subject != "Login not working" ||
		got.Status != ticketsync.StatusOpen || got.Priority != ticketsync.PriorityHigh || got.Requester.Email != "cfo@customer.com" {
		t.Errorf("stored ticket %+v", got)
	}

	// Unsigned, wrongly signed, and tampered deliveries store nothing.
	other := []byte(`{"ticket": {"id": "666", "subject": "forged"}}`)
	for name, h := range map[string]http.Header{
		"unsigned":     nil,
		"wrong secret": {"X-Hub-Signature-256": {webhookpush.SignHMAC("guess", other)}},
		"tampered":     {"X-Hub-Signature-256": {webhookpush.SignHMAC(e2eHMAC, body)}},
	} {
		if code, r := post(t, url, other, h); code != http.StatusUnauthorized || r.OK {
			t.Errorf("%s: %d %+v, want 401", name, code, r)
		}
	}
	if _, err := store.Ticket(ctx, "push-1", "666"); !errors.Is(err, ticketsync.ErrNotFound) {
		t.Errorf("forged ticket stored (err %v)", err)
	}

	// A signed payload without an id is a 400 that says what is missing.
	bad := []byte(`{"ticket": {"subject": "no id"}}`)
	code, r = post(t, url, bad, http.Header{"X-Hub-Signature-256": {webhookpush.SignHMAC(e2eHMAC, bad)}})
	if code != http.StatusBadRequest || r.OK || !strings.Contains(r.Error, "no id field") {
		t.Errorf("payload without id: %d %+v, want 400 naming the id", code, r)
	}

	// A Standard Webhooks delivery, then the same delivery again: both are
	// accepted and the ticket is stored once.
	update := []byte(`{"event": "ticket.updated", "ticket": {"id": "12345", "subject": "Login fixed", "status": "solved", "updated_at": "2026-07-01T10:00:00Z"}}`)
	h := http.Header{}
	if err := webhookpush.SetStandardWebhookHeaders(h, e2eWhsec, "msg_e2e_1", time.Now(), update); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if code, r := post(t, url, update, h); code != http.StatusOK || r.Tickets != 1 {
			t.Fatalf("Standard Webhooks push %d: %d %+v", i+1, code, r)
		}
	}
	if n := store.Len("push-1"); n != 1 {
		t.Errorf("store holds %d tickets after a replay, want 1", n)
	}
	got, err = store.Ticket(ctx, "push-1", "12345")
	if err != nil || got.Subject != "Login fixed" || got.Status != ticketsync.StatusSolved {
		t.Errorf("updated ticket %+v, err %v", got, err)
	}

	// A delete event leaves a tombstone.
	del := []byte(`{"event": "ticket.deleted", "ticket": {"id": "12345"}}`)
	if code, r := post(t, url, del, http.Header{"X-Hub-Signature-256": {webhookpush.SignHMAC(e2eHMAC, del)}}); code != http.StatusOK {
		t.Fatalf("delete: %d %+v", code, r)
	}
	got, err = store.Ticket(ctx, "push-1", "12345")
	if err != nil || !got.Deleted || got.Subject != "Login fixed" {
		t.Errorf("tombstone %+v, err %v; want Deleted with the fields kept", got, err)
	}
}
