package webhookpush_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/webhookpush"
)

// hostileSyncer serves c under "push" on a Syncer over a memstore.
func hostileSyncer(t *testing.T, c *webhookpush.Connector) (*memstore.Store, string) {
	t.Helper()
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add("push", c, ticketsync.ModeWebhook); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.WebhookHandler())
	t.Cleanup(srv.Close)
	return store, srv.URL + "/api/webhooks/tickets?connectorId=push"
}

func signed(body []byte) http.Header {
	h := http.Header{}
	h.Set("X-Hub-Signature-256", webhookpush.SignHMAC(e2eHMAC, body))
	return h
}

// A push without updated_at does not replace a stored copy that has a real
// platform time: its own time is unknown, not the time it arrived. Among
// pushes without a time, the last to arrive wins, there being nothing else
// to go by.
func TestPushWithoutUpdatedAtNeverReplacesATimedCopy(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	c, err := webhookpush.New(webhookpush.Config{HMACSecrets: []string{e2eHMAC}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	store, url := hostileSyncer(t, c)
	ctx := context.Background()

	timed := []byte(`{"ticket":{"id":"7","subject":"newer, timed","updated_at":"2026-07-01T11:00:00Z"}}`)
	if code, r := post(t, url, timed, signed(timed)); code != http.StatusOK {
		t.Fatalf("timed push: %d %s", code, r.Error)
	}
	// An older copy, sent before the timed one but arriving after it, and
	// without a time of its own.
	late := []byte(`{"ticket":{"id":"7","subject":"older, untimed"}}`)
	if code, r := post(t, url, late, signed(late)); code != http.StatusOK {
		t.Fatalf("untimed push: %d %s", code, r.Error)
	}
	got, err := store.Ticket(ctx, "push", "7")
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "newer, timed" {
		t.Errorf("subject %q: an untimed push replaced a copy with a real platform time", got.Subject)
	}

	for _, subject := range []string{"first", "second"} {
		b := []byte(`{"ticket":{"id":"8","subject":"` + subject + `"}}`)
		if code, r := post(t, url, b, signed(b)); code != http.StatusOK {
			t.Fatalf("untimed push: %d %s", code, r.Error)
		}
	}
	if got, _ := store.Ticket(ctx, "push", "8"); got.Subject != "second" {
		t.Errorf("subject %q: among untimed pushes the last should win", got.Subject)
	}
}

// Deletes follow the engine's rule: one with a time of its own loses to a
// newer stored copy; one without a time is placed just past it.
func TestPushedDeletes(t *testing.T) {
	c, err := webhookpush.New(webhookpush.Config{HMACSecrets: []string{e2eHMAC}})
	if err != nil {
		t.Fatal(err)
	}
	store, url := hostileSyncer(t, c)
	ctx := context.Background()
	for _, b := range []string{
		`{"ticket":{"id":"1","subject":"restored","updated_at":"2026-07-01T11:00:00Z"}}`,
		`{"event":"ticket.deleted","ticket":{"id":"1","updated_at":"2026-07-01T10:00:00Z"}}`,
		`{"ticket":{"id":"2","subject":"live","updated_at":"2026-07-01T11:00:00Z"}}`,
		`{"event":"ticket.deleted","ticket":{"id":"2"}}`,
	} {
		if code, r := post(t, url, []byte(b), signed([]byte(b))); code != http.StatusOK {
			t.Fatalf("push %s: %d %s", b, code, r.Error)
		}
	}
	if got, _ := store.Ticket(ctx, "push", "1"); got.Deleted || got.Subject != "restored" {
		t.Errorf("ticket 1 %+v: an older delete won over the newer copy", got)
	}
	if got, _ := store.Ticket(ctx, "push", "2"); !got.Deleted || got.Subject != "live" {
		t.Errorf("ticket 2 %+v: a delete without a time did not delete, keeping the known fields", got)
	}
}
