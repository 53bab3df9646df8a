package ticketsync_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// A ticket whose id no Store can keep distinct ("n1\x00" would become "n1"
// on PostgreSQL) is skipped and recorded; the rest of its page is stored
// and the cursor moves on, so one such ticket cannot stop a connector.
func TestPollSkipsTicketsWithInvalidIDs(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	pages := makePages(2, 3)
	pages[0][1].ID = "n1\x00"
	pages[1][0].ID = "n2\xff"
	conn := newScripted(pages...)
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))

	run, err := s.SyncNow(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, ticketsync.RunSucceeded, run.Status)
	assert.Equal(t, []string{"1", "3", "5", "6"}, ids(store.Tickets("acme")))
	assert.Equal(t, 4, run.Tickets)
	require.Len(t, run.Errors, 2)
	assert.Contains(t, run.Errors[0], "NUL")
	assert.Contains(t, run.Errors[1], "UTF-8")
	cursor, err := store.Cursor(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, "2", cursor)
}

func TestWebhookSkipsTicketsWithInvalidIDs(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("hook", testReceiver{}, ticketsync.ModeWebhook))
	srv := httptest.NewServer(s.WebhookHandler())
	defer srv.Close()

	code, reply := deliver(t, srv.URL, "hook", payload(
		testEvent{Kind: "updated", ID: "n1", Full: true, UpdatedAt: t0},
		testEvent{Kind: "updated", ID: "n1\x00", Full: true, UpdatedAt: t0},
		testEvent{Kind: "deleted", ID: "n1\x00", UpdatedAt: t0},
	))
	require.Equal(t, http.StatusOK, code, "reply %v", reply)
	assert.Equal(t, []string{"n1"}, ids(store.Tickets("hook")))
	runs, err := store.SyncRuns(ctx, "hook", 1)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	require.Len(t, runs[0].Errors, 2)
	assert.Contains(t, strings.Join(runs[0].Errors, " "), "NUL")
}

func TestCheckID(t *testing.T) {
	for _, id := range []string{"1", "ABC-12", "ünïcode", strings.Repeat("x", ticketsync.MaxIDLen)} {
		assert.NoError(t, ticketsync.CheckID(id), "id %q", id)
	}
	for _, id := range []string{"", "n1\x00", "\x00", "n\xff1", strings.Repeat("x", ticketsync.MaxIDLen+1)} {
		err := ticketsync.CheckID(id)
		assert.True(t, errors.Is(err, ticketsync.ErrInvalidID), "id %q: %v", id, err)
	}
}

// panickyStore panics in UpsertTickets (and SaveSyncRun when runs is set)
// for the next n calls.
type panickyStore struct {
	*memstore.Store
	mu      sync.Mutex
	upserts int
	runs    int
}

func (p *panickyStore) UpsertTickets(ctx context.Context, tickets []ticketsync.Ticket) error {
	p.mu.Lock()
	boom := p.upserts > 0
	if boom {
		p.upserts--
	}
	p.mu.Unlock()
	if boom {
		panic("store: connection pool corrupted")
	}
	return p.Store.UpsertTickets(ctx, tickets)
}

func (p *panickyStore) SaveSyncRun(ctx context.Context, run ticketsync.SyncRun) error {
	p.mu.Lock()
	boom := p.runs > 0
	if boom {
		p.runs--
	}
	p.mu.Unlock()
	if boom {
		panic("store: history table gone")
	}
	return p.Store.SaveSyncRun(ctx, run)
}

// A Store that panics fails the run like any other error: SyncNow returns
// it, the history says failed (never "running"), and the next call runs.
func TestSyncNowSurvivesAStorePanic(t *testing.T) {
	ctx := context.Background()
	store := &panickyStore{Store: memstore.New(), upserts: 1}
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("acme", newScripted(makePages(2, 2)...), ticketsync.ModePoll))

	var (
		run ticketsync.SyncRun
		err error
	)
	panicked := func() (p any) {
		defer func() { p = recover() }()
		run, err = s.SyncNow(ctx, "acme")
		return nil
	}()
	require.Nil(t, panicked, "SyncNow let the Store's panic through")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "panicked")
	assert.Equal(t, ticketsync.RunFailed, run.Status)
	runs, rerr := store.SyncRuns(ctx, "acme", 10)
	require.NoError(t, rerr)
	require.Len(t, runs, 1)
	assert.Equal(t, ticketsync.RunFailed, runs[0].Status)

	run, err = s.SyncNow(ctx, "acme")
	require.NoError(t, err, "the connector stayed busy after the panic")
	assert.Equal(t, 4, run.Tickets)

	// A panic while recording the run is survived too.
	store.mu.Lock()
	store.runs = 1
	store.mu.Unlock()
	_, err = s.SyncNow(ctx, "acme")
	require.Error(t, err)
	_, err = s.SyncNow(ctx, "acme")
	require.NoError(t, err)
}

// Under Run, a Store panic is a failed run that is retried, not a crash of
// the host process.
func TestRunSurvivesAStorePanic(t *testing.T) {
	store := &panickyStore{Store: memstore.New(), upserts: 1}
	s, clock := newClockedSyncer(store, ticketsync.Options{RetryBase: time.Second, Jitter: -1})
	require.NoError(t, s.Add("acme", newScripted(makePages(1, 3)...), ticketsync.ModePoll))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		waitFor(t, done, "Run to return")
	}()
	require.Eventually(t, func() bool {
		runs, _ := store.SyncRuns(context.Background(), "acme", 1)
		return len(runs) == 1 && runs[0].Status == ticketsync.RunRetrying
	}, 10*time.Second, time.Millisecond, "the panicking run is recorded as retrying")
	clock.Advance(2 * time.Second)
	require.Eventually(t, func() bool { return len(store.Tickets("acme")) == 3 }, 10*time.Second, time.Millisecond)
}

// A webhook delivery whose Store panics is answered 503, so the platform
// delivers again; the handler does not drop the connection.
func TestWebhookSurvivesAStorePanic(t *testing.T) {
	store := &panickyStore{Store: memstore.New(), upserts: 1}
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("hook", testReceiver{}, ticketsync.ModeWebhook))
	srv := httptest.NewServer(s.WebhookHandler())
	defer srv.Close()
	body := payload(testEvent{Kind: "updated", ID: "1", Full: true, UpdatedAt: t0})
	code, _ := deliver(t, srv.URL, "hook", body)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	code, _ = deliver(t, srv.URL, "hook", body)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, []string{"1"}, ids(store.Tickets("hook")))
}

// A poll run stalled by its platform (here a Fetch that never returns)
// ends at Options.RunTimeout: it fails visibly, releases its lease so that
// another replica can take over, and under Run it is retried.
func TestPollRunDeadline(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	conn := newScripted(makePages(1, 1)...)
	conn.block = make(chan struct{}) // never closed: Fetch waits for its context
	s := ticketsync.NewSyncer(store, &ticketsync.Options{RunTimeout: 50 * time.Millisecond, Holder: "me"})
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))

	run, err := s.SyncNow(ctx, "acme")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, ticketsync.RunFailed, run.Status)
	require.Len(t, run.Errors, 1)
	assert.Contains(t, run.Errors[0], "RunTimeout")
	ok, err := store.AcquireLease(ctx, "acme", "other replica", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "the lease was not released")
	require.NoError(t, store.ReleaseLease(ctx, "acme", "other replica"))

	store2 := memstore.New()
	s2, _ := newClockedSyncer(store2, ticketsync.Options{RunTimeout: 50 * time.Millisecond})
	require.NoError(t, s2.Add("acme", conn, ticketsync.ModePoll))
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s2.Run(rctx) }()
	defer func() {
		cancel()
		waitFor(t, done, "Run to return")
	}()
	require.Eventually(t, func() bool {
		runs, _ := store2.SyncRuns(ctx, "acme", 1)
		return len(runs) == 1 && runs[0].Status == ticketsync.RunRetrying
	}, 10*time.Second, time.Millisecond, "a run past its deadline is retried")
}

// A delete that happened before the stored copy's time (a late or replayed
// delivery, or a HubSpot delete delivered after the restore that followed
// it) loses to the newer copy: its own time decides, not the stored one's
// plus a millisecond.
func TestLateDeleteLosesToANewerCopy(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("hook", testReceiver{}, ticketsync.ModeWebhook))
	srv := httptest.NewServer(s.WebhookHandler())
	defer srv.Close()

	deleted, restored := t0, t0.Add(time.Minute)
	code, _ := deliver(t, srv.URL, "hook", payload(testEvent{Kind: "updated", ID: "1", Subject: "restored", Full: true, UpdatedAt: restored}))
	require.Equal(t, http.StatusOK, code)
	code, _ = deliver(t, srv.URL, "hook", payload(testEvent{Kind: "deleted", ID: "1", UpdatedAt: deleted}))
	require.Equal(t, http.StatusOK, code)
	got, err := store.Ticket(ctx, "hook", "1")
	require.NoError(t, err)
	assert.False(t, got.Deleted, "a delete older than the stored copy won")
	assert.Equal(t, restored, got.UpdatedAt)

	// A newer delete still wins, at its own time.
	code, _ = deliver(t, srv.URL, "hook", payload(testEvent{Kind: "deleted", ID: "1", UpdatedAt: restored.Add(time.Second)}))
	require.Equal(t, http.StatusOK, code)
	got, err = store.Ticket(ctx, "hook", "1")
	require.NoError(t, err)
	assert.True(t, got.Deleted)
	assert.Equal(t, restored.Add(time.Second), got.UpdatedAt)
	assert.Equal(t, "restored", got.Subject, "the tombstone keeps the stored fields")
}

// A delivery whose body trickles in (or stalls) is cut off at the
// per-delivery read deadline instead of holding its connection and its
// buffer for ever: the handler answers 408 and the connection is released.
func TestStalledDeliveryIsCutOff(t *testing.T) {
	s := ticketsync.NewSyncer(memstore.New(), &ticketsync.Options{WebhookReadTimeout: 200 * time.Millisecond})
	require.NoError(t, s.Add("hook", testReceiver{}, ticketsync.ModeWebhook))
	srv := httptest.NewServer(s.WebhookHandler())
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /?connectorId=hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"events\":[")
	require.NoError(t, err)
	// Send nothing more. The guard only stops a hang; the deadline under
	// test is 200ms.
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "the server kept the stalled delivery open")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
}

// leaseErrStore takes the lease and then reports an error, as a statement
// that committed while its context ended does.
type leaseErrStore struct{ *memstore.Store }

func (l leaseErrStore) AcquireLease(ctx context.Context, id, holder string, ttl time.Duration) (bool, error) {
	_, _ = l.Store.AcquireLease(ctx, id, holder, ttl)
	return false, context.Canceled
}

// A lease that may have been taken by a failed AcquireLease is given up, so
// that another replica need not wait for it to expire.
func TestFailedAcquireLeaseIsReleased(t *testing.T) {
	ctx := context.Background()
	store := leaseErrStore{memstore.New()}
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Holder: "me", LeaseTTL: time.Hour})
	require.NoError(t, s.Add("acme", newScripted(makePages(1, 1)...), ticketsync.ModePoll))
	_, err := s.SyncNow(ctx, "acme")
	require.Error(t, err)
	ok, err := store.Store.AcquireLease(ctx, "acme", "other replica", time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "the lease taken by the failed call was kept")
}
