package ticketsync_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

const testSecret = "SECRET-TOKEN-123"

// testPayload is the format testReceiver understands.
type testPayload struct {
	Events []testEvent `json:"events"`
}

type testEvent struct {
	Kind      string    `json:"kind"`
	ID        string    `json:"id"`
	Subject   string    `json:"subject,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	Full      bool      `json:"full,omitempty"` // the payload holds the whole ticket
	Comment   string    `json:"comment,omitempty"`
}

// testReceiver signs with hex HMAC-SHA256 in X-Test-Signature.
type testReceiver struct{}

func (testReceiver) Platform() string           { return "test" }
func (testReceiver) Test(context.Context) error { return nil }

func (testReceiver) VerifyWebhook(r *http.Request, body []byte) error {
	got, err := hex.DecodeString(r.Header.Get("X-Test-Signature"))
	if err != nil || !hmac.Equal(got, sign(body)) {
		return fmt.Errorf("test: %w", ticketsync.ErrInvalidSignature)
	}
	return nil
}

func (testReceiver) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	var p testPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("not a test payload: %v", err)
	}
	events := make([]ticketsync.Event, 0, len(p.Events))
	for _, e := range p.Events {
		ev := ticketsync.Event{Kind: ticketsync.EventKind(e.Kind), TicketID: e.ID, At: e.UpdatedAt}
		if e.Full {
			t := ticketsync.Ticket{ID: e.ID, Subject: e.Subject, UpdatedAt: e.UpdatedAt}
			if e.Comment != "" {
				t.Comments = []ticketsync.Comment{{ID: e.Comment, Body: e.Comment, CreatedAt: e.UpdatedAt}}
			}
			ev.Ticket = &t
		}
		events = append(events, ev)
	}
	return events, nil
}

func sign(body []byte) []byte {
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write(body)
	return m.Sum(nil)
}

// getterReceiver also loads tickets by id, from a map, and records calls.
type getterReceiver struct {
	testReceiver
	mu      sync.Mutex
	tickets map[string]ticketsync.Ticket
	calls   [][]string
	err     error
}

func (g *getterReceiver) GetTickets(ctx context.Context, ids []string) ([]ticketsync.Ticket, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, append([]string(nil), ids...))
	if g.err != nil {
		return nil, g.err
	}
	var out []ticketsync.Ticket
	for _, id := range ids {
		if t, ok := g.tickets[id]; ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// pollingReceiver receives webhooks and polls, but cannot load by id.
type pollingReceiver struct {
	testReceiver
	*countingPoller
}

func (p pollingReceiver) Platform() string           { return "test" }
func (p pollingReceiver) Test(context.Context) error { return nil }

func payload(events ...testEvent) []byte {
	b, err := json.Marshal(testPayload{Events: events})
	if err != nil {
		panic(err)
	}
	return b
}

// deliver POSTs body, signed, to the handler at url for connector id.
func deliver(t testing.TB, url, id string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/api/webhooks/tickets?connectorId="+id, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-Signature", hex.EncodeToString(sign(body)))
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var reply map[string]any
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &reply), "every answer is JSON: %s", raw)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	return resp.StatusCode, reply
}

func newWebhookServer(t *testing.T, store ticketsync.Store, opts *ticketsync.Options) (*ticketsync.Syncer, *httptest.Server) {
	s := ticketsync.NewSyncer(store, opts)
	mux := http.NewServeMux()
	mux.Handle("/api/webhooks/tickets", s.WebhookHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return s, srv
}

func TestWebhookStatusCodes(t *testing.T) {
	store := memstore.New()
	s, srv := newWebhookServer(t, store, &ticketsync.Options{MaxBodyBytes: 1024})
	require.NoError(t, s.Add("acme", testReceiver{}, ticketsync.ModeWebhook))
	require.NoError(t, s.Add("secret-customer", newScripted(), ticketsync.ModePoll))
	good := payload(testEvent{Kind: "updated", ID: "1", Full: true, Subject: "hi", UpdatedAt: t0})

	t.Run("405 for GET, with Allow", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/api/webhooks/tickets?connectorId=acme")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
		assert.Equal(t, "POST", resp.Header.Get("Allow"))
	})
	t.Run("400 without connectorId", func(t *testing.T) {
		code, reply := deliver(t, srv.URL, "", good)
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Equal(t, false, reply["ok"])
		assert.Contains(t, reply["error"], "connectorId")
	})
	t.Run("404 for an unknown connector, naming none", func(t *testing.T) {
		code, reply := deliver(t, srv.URL, "nope", good)
		assert.Equal(t, http.StatusNotFound, code)
		assert.Equal(t, "unknown connector", reply["error"])
	})
	t.Run("404 for a connector without a webhook mode", func(t *testing.T) {
		code, reply := deliver(t, srv.URL, "secret-customer", good)
		assert.Equal(t, http.StatusNotFound, code)
		assert.Equal(t, "unknown connector", reply["error"])
	})
	t.Run("413 for a body over the limit", func(t *testing.T) {
		big := payload(testEvent{Kind: "updated", ID: "1", Full: true, Subject: strings.Repeat("x", 2000), UpdatedAt: t0})
		code, _ := deliver(t, srv.URL, "acme", big)
		assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	})
	t.Run("413 for a chunked body over the limit", func(t *testing.T) {
		big := payload(testEvent{Kind: "updated", ID: "1", Full: true, Subject: strings.Repeat("x", 2000), UpdatedAt: t0})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/webhooks/tickets?connectorId=acme", io.MultiReader(bytes.NewReader(big)))
		req.ContentLength = -1
		req.Header.Set("X-Test-Signature", hex.EncodeToString(sign(big)))
		code, _ := do(t, req)
		assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	})
	t.Run("401 for a bad signature, saying only that", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/webhooks/tickets?connectorId=acme", bytes.NewReader(good))
		req.Header.Set("X-Test-Signature", hex.EncodeToString(sign([]byte("tampered"))))
		code, reply := do(t, req)
		assert.Equal(t, http.StatusUnauthorized, code)
		assert.Equal(t, "invalid signature", reply["error"])
	})
	t.Run("400 for an unparseable payload, with a reason", func(t *testing.T) {
		code, reply := deliver(t, srv.URL, "acme", []byte("{not json"))
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Contains(t, reply["error"], "cannot parse payload: not a test payload")
	})
	t.Run("200 after storing", func(t *testing.T) {
		code, reply := deliver(t, srv.URL, "acme", good)
		assert.Equal(t, http.StatusOK, code)
		assert.Equal(t, map[string]any{"ok": true, "status": "received", "connector": "acme", "tickets": float64(1)}, reply)
		got, err := store.Ticket(context.Background(), "acme", "1")
		require.NoError(t, err)
		assert.Equal(t, "hi", got.Subject)
		assert.Equal(t, "acme", got.ConnectorID)
		assert.Equal(t, "test", got.Platform)
	})
	t.Run("200 for a ping with no events", func(t *testing.T) {
		code, reply := deliver(t, srv.URL, "acme", payload())
		assert.Equal(t, http.StatusOK, code)
		assert.Equal(t, float64(0), reply["tickets"])
	})
	t.Run("the history records deliveries", func(t *testing.T) {
		runs, err := store.SyncRuns(context.Background(), "acme", 0)
		require.NoError(t, err)
		require.NotEmpty(t, runs)
		// One run per minute: one run, or two if the deliveries spanned
		// the turn of a minute.
		assert.LessOrEqual(t, len(runs), 2)
		var stored, deliveries int
		var errs []string
		for _, r := range runs {
			assert.Equal(t, ticketsync.TriggerWebhook, r.Trigger)
			stored += r.Tickets
			deliveries += r.Deliveries
			errs = append(errs, r.Errors...)
		}
		assert.Equal(t, 1, stored)
		assert.Equal(t, 3, deliveries, "the unparseable one, the stored one and the ping; not those refused before parsing")
		require.Len(t, errs, 1, "the unparseable delivery")
		assert.Contains(t, errs[0], "parse delivery")
		assert.Equal(t, ticketsync.RunFailed, runs[len(runs)-1].Status, "the minute of the unparseable delivery")
	})
}

func TestWebhookLoadsIDOnlyEventsInOneCall(t *testing.T) {
	store := memstore.New()
	var notified atomic.Int64
	s, srv := newWebhookServer(t, store, &ticketsync.Options{
		OnTickets: func(ctx context.Context, id string, tickets []ticketsync.Ticket) { notified.Add(int64(len(tickets))) },
	})
	g := &getterReceiver{tickets: map[string]ticketsync.Ticket{
		"1": {ID: "1", Subject: "one", UpdatedAt: t0},
		"2": {ID: "2", Subject: "two", UpdatedAt: t0},
	}}
	require.NoError(t, s.Add("acme", g, ticketsync.ModeWebhook))

	code, reply := deliver(t, srv.URL, "acme", payload(
		testEvent{Kind: "updated", ID: "1"}, testEvent{Kind: "updated", ID: "2"},
		testEvent{Kind: "commented", ID: "1"}, testEvent{Kind: "updated", ID: "gone"},
		testEvent{Kind: "created", ID: "3", Full: true, Subject: "three", UpdatedAt: t0},
	))
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, float64(3), reply["tickets"])
	assert.Equal(t, [][]string{{"1", "2", "gone"}}, g.calls, "all ids of a delivery in one call, once each")
	assert.Equal(t, []string{"1", "2", "3"}, ids(store.Tickets("acme")))
	assert.EqualValues(t, 3, notified.Load())
}

func TestWebhookNeverAcknowledgesWhatWasNotStored(t *testing.T) {
	ctx := context.Background()
	t.Run("GetTickets fails", func(t *testing.T) {
		store := memstore.New()
		s, srv := newWebhookServer(t, store, nil)
		g := &getterReceiver{err: errors.New("zendesk: 503 Service Unavailable")}
		require.NoError(t, s.Add("acme", g, ticketsync.ModeWebhook))
		body := payload(testEvent{Kind: "updated", ID: "1"})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/webhooks/tickets?connectorId=acme", bytes.NewReader(body))
		req.Header.Set("X-Test-Signature", hex.EncodeToString(sign(body)))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		assert.Equal(t, "10", resp.Header.Get("Retry-After"))
		runs, _ := store.SyncRuns(ctx, "acme", 1)
		require.Len(t, runs, 1)
		assert.Equal(t, ticketsync.RunFailed, runs[0].Status)
		assert.Contains(t, runs[0].Errors[0], "load 1 tickets by id")
	})
	t.Run("the Store fails", func(t *testing.T) {
		store := &failingStore{Store: memstore.New(), failUpsert: errStoreDown}
		s, srv := newWebhookServer(t, store, nil)
		require.NoError(t, s.Add("acme", testReceiver{}, ticketsync.ModeWebhook))
		code, reply := deliver(t, srv.URL, "acme", payload(testEvent{Kind: "updated", ID: "1", Full: true, UpdatedAt: t0}))
		assert.Equal(t, http.StatusServiceUnavailable, code)
		assert.Equal(t, false, reply["ok"])
		_, err := store.Ticket(ctx, "acme", "1")
		assert.ErrorIs(t, err, ticketsync.ErrNotFound)
	})
	t.Run("a receiver that can neither load nor poll", func(t *testing.T) {
		s, srv := newWebhookServer(t, memstore.New(), nil)
		require.NoError(t, s.Add("acme", testReceiver{}, ticketsync.ModeWebhook))
		code, _ := deliver(t, srv.URL, "acme", payload(testEvent{Kind: "updated", ID: "1"}))
		assert.Equal(t, http.StatusInternalServerError, code)
	})
}

func TestWebhookIDOnlyEventWithoutGetterTriggersAPoll(t *testing.T) {
	store := memstore.New()
	s, srv := newWebhookServer(t, store, nil)
	clock := newFakeClock()
	ticketsync.SetWakeAt(s, clock.WakeAt)
	p := pollingReceiver{countingPoller: newCountingPoller()}
	require.NoError(t, s.Add("acme", p, ticketsync.ModeWebhook))
	runInBackground(t, s)
	assertQuiet(t, p.countingPoller) // a webhook-only connector is not polled on its own

	code, _ := deliver(t, srv.URL, "acme", payload(testEvent{Kind: "updated", ID: "1"}))
	require.Equal(t, http.StatusOK, code)
	waitFor(t, p.fetched, "the poll the id-only event asked for")
	run := latestRun(t, store, "acme")
	assert.Equal(t, ticketsync.TriggerPoll, run.Trigger)
	assert.Equal(t, 1, run.Tickets)
}

func TestWebhookDeleteStoresATombstone(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	s, srv := newWebhookServer(t, store, nil)
	conn := newScripted([]ticketsync.Ticket{{ID: "1", Subject: "printer", UpdatedAt: t0.Add(time.Hour),
		Comments: []ticketsync.Comment{{ID: "c1", Body: "hello", CreatedAt: t0}}}})
	require.NoError(t, s.Add("acme", bothConn{conn}, ticketsync.ModeBoth))
	_, err := s.SyncNow(ctx, "acme")
	require.NoError(t, err)

	// The delete event carries no time of its own: it is placed just past
	// the stored copy.
	code, _ := deliver(t, srv.URL, "acme", payload(testEvent{Kind: "deleted", ID: "1"}))
	require.Equal(t, http.StatusOK, code)
	got, err := store.Ticket(ctx, "acme", "1")
	require.NoError(t, err)
	assert.True(t, got.Deleted)
	assert.Equal(t, "printer", got.Subject, "the stored fields are kept")
	assert.Len(t, got.Comments, 1, "the stored comments are kept")
	assert.True(t, got.UpdatedAt.After(t0.Add(time.Hour)), "the tombstone is newer than the stored copy")

	// A poll delivering the old copy again does not resurrect it.
	require.NoError(t, store.SetCursor(ctx, "acme", ""))
	_, err = s.SyncNow(ctx, "acme")
	require.NoError(t, err)
	got, _ = store.Ticket(ctx, "acme", "1")
	assert.True(t, got.Deleted, "an older poll copy resurrected a deleted ticket")

	// Deleting a ticket never seen stores a bare tombstone.
	code, _ = deliver(t, srv.URL, "acme", payload(testEvent{Kind: "deleted", ID: "9", UpdatedAt: t0}))
	require.Equal(t, http.StatusOK, code)
	got, err = store.Ticket(ctx, "acme", "9")
	require.NoError(t, err)
	assert.True(t, got.Deleted)
}

// bothConn polls through scripted and receives through testReceiver.
type bothConn struct{ *scripted }

func (bothConn) VerifyWebhook(r *http.Request, body []byte) error {
	return testReceiver{}.VerifyWebhook(r, body)
}
func (bothConn) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	return testReceiver{}.ParseWebhook(body)
}

func TestConcurrentOutOfOrderDeliveriesKeepTheNewest(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	s, srv := newWebhookServer(t, store, nil)
	require.NoError(t, s.Add("acme", testReceiver{}, ticketsync.ModeWebhook))

	const tickets, versions = 5, 20
	var wg sync.WaitGroup
	for v := versions; v >= 1; v-- { // newest first: the worst order
		for id := 1; id <= tickets; id++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := payload(testEvent{Kind: "updated", ID: strconv.Itoa(id), Full: true,
					Subject: "v" + strconv.Itoa(v), Comment: "c" + strconv.Itoa(v),
					UpdatedAt: t0.Add(time.Duration(v) * time.Minute)})
				code, _ := deliver(t, srv.URL, "acme", body)
				assert.Equal(t, http.StatusOK, code)
			}()
		}
	}
	wg.Wait()
	for id := 1; id <= tickets; id++ {
		got, err := store.Ticket(ctx, "acme", strconv.Itoa(id))
		require.NoError(t, err)
		assert.Equal(t, "v"+strconv.Itoa(versions), got.Subject, "ticket %d", id)
		assert.Len(t, got.Comments, versions, "every delivery's comment is kept")
	}
}

func TestWebhookLogsNoSecretsOrPayloads(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := &failingStore{Store: memstore.New()}
	s, srv := newWebhookServer(t, store, &ticketsync.Options{Logger: logger})
	require.NoError(t, s.Add("acme", testReceiver{}, ticketsync.ModeWebhook))

	body := payload(testEvent{Kind: "updated", ID: "1", Full: true, Subject: "PAYLOAD-MARKER", UpdatedAt: t0})
	sig := hex.EncodeToString(sign(body))
	deliver(t, srv.URL, "acme", body)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/webhooks/tickets?connectorId=acme", bytes.NewReader(body))
	req.Header.Set("X-Test-Signature", "00"+sig[2:])
	do(t, req)
	deliver(t, srv.URL, "acme", []byte(`{"PAYLOAD-MARKER"`))
	store.failUpsert = errStoreDown
	deliver(t, srv.URL, "acme", body)

	mu.Lock()
	out := logs.String()
	mu.Unlock()
	require.Contains(t, out, "connector=acme", "the handler logs at debug level")
	for _, secret := range []string{testSecret, sig, sig[2:], "PAYLOAD-MARKER"} {
		assert.NotContains(t, out, secret)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// gatedBoth polls and receives webhooks; its first Fetch waits for release.
type gatedBoth struct {
	testReceiver
	started chan struct{}
	release chan struct{}
	calls   atomic.Int64
}

func (g *gatedBoth) Platform() string           { return "test" }
func (g *gatedBoth) Test(context.Context) error { return nil }
func (g *gatedBoth) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	if g.calls.Add(1) == 1 {
		g.started <- struct{}{}
		<-g.release
	} else {
		g.started <- struct{}{}
	}
	return ticketsync.Page{Cursor: "c"}, nil
}

func TestPollRequestedDuringARunRunsAgainAfterIt(t *testing.T) {
	store := memstore.New()
	s, srv := newWebhookServer(t, store, nil)
	clock := newFakeClock()
	ticketsync.SetWakeAt(s, clock.WakeAt)
	g := &gatedBoth{started: make(chan struct{}, 4), release: make(chan struct{})}
	require.NoError(t, s.Add("acme", g, ticketsync.ModeBoth))
	runInBackground(t, s)
	waitFor(t, g.started, "the first poll")

	// The change arrives while the first poll is reading: it may have read
	// past it already.
	code, _ := deliver(t, srv.URL, "acme", payload(testEvent{Kind: "updated", ID: "1"}))
	require.Equal(t, http.StatusOK, code)
	close(g.release)
	waitFor(t, g.started, "a second poll right after the first, without waiting for the interval")
	select {
	case <-g.started:
		t.Fatal("a third poll started without a reason")
	case <-time.After(50 * time.Millisecond):
	}
	assert.EqualValues(t, 2, g.calls.Load())
}
