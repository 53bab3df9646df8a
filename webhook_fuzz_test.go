package ticketsync_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// FuzzWebhookHandler sends arbitrary bodies, correctly signed, through the
// handler to a store that fails on demand. The handler must not panic, must
// answer only the documented codes, and may answer 2xx only when every
// ticket of the delivery is in the store.
func FuzzWebhookHandler(f *testing.F) {
	f.Add([]byte(`{"events":[{"kind":"updated","id":"1","full":true,"subject":"a","updated_at":"2026-01-02T03:04:05Z"}]}`), false)
	f.Add([]byte(`{"events":[{"kind":"deleted","id":"1"},{"kind":"updated","id":"2"}]}`), false)
	f.Add([]byte(`{"events":[]}`), true)
	f.Add([]byte(`{"events":[{"kind":"updated","id":"1","full":true}]}`), true)
	f.Add([]byte(`not json`), false)
	f.Fuzz(func(t *testing.T, body []byte, storeDown bool) {
		mem := memstore.New()
		store := &failingStore{Store: mem}
		if storeDown {
			store.failUpsert = errStoreDown
		}
		s := ticketsync.NewSyncer(store, &ticketsync.Options{MaxBodyBytes: 4096})
		g := &getterReceiver{tickets: map[string]ticketsync.Ticket{"2": {ID: "2", Subject: "loaded"}}}
		if err := s.Add("acme", g, ticketsync.ModeWebhook); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/api/webhooks/tickets?connectorId=acme", bytes.NewReader(body))
		req.Header.Set("X-Test-Signature", hex.EncodeToString(sign(body)))
		w := httptest.NewRecorder()
		s.WebhookHandler().ServeHTTP(w, req)

		switch w.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable:
			return
		default:
			t.Fatalf("unexpected status %d: %s", w.Code, w.Body)
		}
		events, err := g.ParseWebhook(body)
		if err != nil {
			t.Fatalf("answered 200 to a payload the receiver rejects: %v", err)
		}
		for _, ev := range events {
			if ev.TicketID == "" || (ev.Ticket == nil && ev.Kind != ticketsync.EventDeleted && ev.TicketID != "2") {
				continue // nothing to store: no id, or an id the platform does not have
			}
			if _, err := mem.Ticket(context.Background(), "acme", ev.TicketID); err != nil {
				t.Fatalf("answered 200 but ticket %q is not stored: %v", ev.TicketID, err)
			}
		}
	})
}
