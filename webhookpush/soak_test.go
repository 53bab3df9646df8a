package webhookpush_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/webhookpush"
)

// flakyStore fails UpsertTickets, or panics, on some calls.
type flakyStore struct {
	*memstore.Store
	mu      sync.Mutex
	rng     *rand.Rand
	failed  int
	paniced int
}

func (f *flakyStore) UpsertTickets(ctx context.Context, ts []ticketsync.Ticket) error {
	f.mu.Lock()
	n := f.rng.IntN(8)
	switch n {
	case 0:
		f.failed++
	case 1:
		f.paniced++
	}
	f.mu.Unlock()
	switch n {
	case 0:
		return errors.New("soak: database unavailable")
	case 1:
		panic("soak: the Store panicked")
	}
	return f.Store.UpsertTickets(ctx, ts)
}

// pushed is the sender's copy of one ticket.
type pushed struct {
	subject string
	at      time.Time
	deleted bool
}

// TestSoakWebhookPush plays a sender that changes its tickets and pushes
// every change, signed with a timestamp, through a Store that fails and
// panics: deliveries arrive shuffled, some twice, some tampered with, and a
// delivery not answered 2xx is sent again later, as senders retry. At the
// end the Store must equal the sender's tickets exactly.
func TestSoakWebhookPush(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	c, err := webhookpush.New(webhookpush.Config{HMACSecrets: []string{e2eHMAC}, TimestampHeader: "X-Webhook-Timestamp",
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	store := &flakyStore{Store: memstore.New(), rng: rand.New(rand.NewPCG(seed, 2))}
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add("push", c, ticketsync.ModeWebhook); err != nil {
		t.Fatal(err)
	}
	h := s.WebhookHandler()

	type delivery struct {
		body     []byte
		tampered bool
	}
	model := map[string]*pushed{}
	var queue []delivery
	var sent, dup, tampered, retried, ok2xx, got401, got5xx int
	clock := now.Add(-time.Hour)
	for round := range 40 {
		for range 1 + rng.IntN(5) {
			id := strconv.Itoa(1 + rng.IntN(30))
			clock = clock.Add(time.Duration(1+rng.IntN(5000)) * time.Millisecond)
			p := model[id]
			if p == nil {
				p = &pushed{}
				model[id] = p
			}
			event := "ticket.updated"
			if rng.IntN(6) == 0 {
				event, p.deleted = "ticket.deleted", true
			} else {
				p.deleted = false
				p.subject = fmt.Sprintf("%s v%d", id, round)
			}
			p.at = clock
			body := fmt.Sprintf(`{"event":%q,"ticket":{"id":%q,"subject":%q,"updated_at":%q}}`, event, id, p.subject, clock.Format(time.RFC3339Nano))
			queue = append(queue, delivery{body: []byte(body)})
			if rng.IntN(4) == 0 {
				queue = append(queue, delivery{body: []byte(body)})
				dup++
			}
			if rng.IntN(8) == 0 {
				queue = append(queue, delivery{body: []byte(body), tampered: true})
				tampered++
			}
		}
		rng.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
		var again []delivery
		for _, d := range queue {
			sent++
			code := deliverPush(h, now, d.body, d.tampered)
			switch {
			case d.tampered:
				if code != http.StatusUnauthorized {
					t.Fatalf("a tampered delivery was answered %d", code)
				}
				got401++
			case code == http.StatusOK:
				ok2xx++
			case code >= 500:
				got5xx++
				retried++
				again = append(again, d)
			default:
				t.Fatalf("a delivery was answered %d", code)
			}
		}
		queue = again
	}
	for len(queue) > 0 { // the sender keeps retrying until 2xx
		var again []delivery
		for _, d := range queue {
			sent++
			if code := deliverPush(h, now, d.body, false); code != http.StatusOK {
				again = append(again, d)
			}
		}
		queue = again
	}
	for id, p := range model {
		got, err := store.Ticket(context.Background(), "push", id)
		if err != nil {
			t.Errorf("ticket %s: %v", id, err)
			continue
		}
		if got.Deleted != p.deleted || !got.UpdatedAt.Equal(p.at) || (!p.deleted && got.Subject != p.subject) {
			t.Errorf("ticket %s stored as %q deleted=%v at %s; sender has %q deleted=%v at %s",
				id, got.Subject, got.Deleted, got.UpdatedAt, p.subject, p.deleted, p.at)
		}
	}
	t.Logf("%d tickets, %d deliveries (%d duplicated, %d tampered, %d sent again after a 5xx): %d answered 200, %d 401, %d 5xx; the Store failed %d times and panicked %d times",
		len(model), sent, dup, tampered, retried, ok2xx, got401, got5xx, store.failed, store.paniced)
}

// deliverPush sends body, signed at now (or tampered with after signing),
// to h and returns the status.
func deliverPush(h http.Handler, now time.Time, body []byte, tampered bool) int {
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := webhookpush.SignHMACTimestamped(e2eHMAC, ts, body)
	if tampered {
		body = append(append([]byte(nil), body...), ' ')
		body[len(body)-2] = ' '
	}
	req, _ := http.NewRequest(http.MethodPost, "/api/webhooks/tickets?connectorId=push", bytesReader(body))
	req.Header.Set("X-Webhook-Timestamp", ts)
	req.Header.Set("X-Hub-Signature-256", sig)
	w := &codeRecorder{h: http.Header{}, code: http.StatusOK}
	h.ServeHTTP(w, req)
	return w.code
}

type codeRecorder struct {
	h    http.Header
	code int
}

func (r *codeRecorder) Header() http.Header         { return r.h }
func (r *codeRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *codeRecorder) WriteHeader(code int)        { r.code = code }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
