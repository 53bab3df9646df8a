package ticketsync_test

import (
	"context"
	"errors"
	"net/http"
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

func TestSyncNowStoresAllPagesAndRecordsTheRun(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	conn := newScripted(makePages(5, 10)...)
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))

	run, err := s.SyncNow(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, ticketsync.RunSucceeded, run.Status)
	assert.Equal(t, ticketsync.TriggerManual, run.Trigger)
	assert.Equal(t, 50, run.Tickets)
	assert.Equal(t, 1, run.Attempt)
	assert.False(t, run.FinishedAt.IsZero())

	got := store.Tickets("acme")
	assert.Equal(t, wantIDs(50), ids(got))
	for _, tk := range got {
		assert.Equal(t, "acme", tk.ConnectorID, "ConnectorID stamped")
		assert.Equal(t, "scripted", tk.Platform, "Platform stamped")
	}
	cursor, err := store.Cursor(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, "5", cursor)

	runs, err := store.SyncRuns(ctx, "acme", 10)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, run.ID, runs[0].ID)
	assert.Equal(t, ticketsync.RunSucceeded, runs[0].Status)

	// The next run starts from the saved cursor and finds nothing new.
	run, err = s.SyncNow(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, 0, run.Tickets)
	assert.Equal(t, []string{"", "1", "2", "3", "4", "5"}, conn.cursors())
}

func TestFetchFailingMidwayLosesNothingAndResumes(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	conn := newScripted(makePages(5, 10)...)
	conn.failAt[3] = errors.New("connection reset by peer")
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))

	run, err := s.SyncNow(ctx, "acme")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fetch page 3")
	assert.Equal(t, ticketsync.RunFailed, run.Status)
	assert.Equal(t, 20, run.Tickets, "pages 1-2 are stored")
	require.Len(t, run.Errors, 1)
	assert.Contains(t, run.Errors[0], "connection reset by peer")
	assert.Equal(t, wantIDs(20), ids(store.Tickets("acme")))
	cursor, _ := store.Cursor(ctx, "acme")
	assert.Equal(t, "2", cursor, "the cursor is page 2's")

	run, err = s.SyncNow(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, 30, run.Tickets, "the next run resumes at page 3")
	assert.Equal(t, []string{"", "1", "2", "2", "3", "4"}, conn.cursors())
	assert.Equal(t, wantIDs(50), ids(store.Tickets("acme")), "nothing lost, nothing stored twice")

	runs, _ := store.SyncRuns(ctx, "acme", 0)
	require.Len(t, runs, 2)
	assert.Equal(t, ticketsync.RunSucceeded, runs[0].Status, "newest first")
	assert.Equal(t, ticketsync.RunFailed, runs[1].Status)
}

func TestStoreFailureDoesNotMoveTheCursor(t *testing.T) {
	ctx := context.Background()
	store := &failingStore{Store: memstore.New(), failUpsert: errStoreDown}
	conn := newScripted(makePages(3, 5)...)
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))

	run, err := s.SyncNow(ctx, "acme")
	require.ErrorIs(t, err, errStoreDown)
	cursor, _ := store.Cursor(ctx, "acme")
	assert.Equal(t, "", cursor, "cursor moved although the page was not stored")
	runs, _ := store.SyncRuns(ctx, "acme", 1)
	require.Len(t, runs, 1)
	assert.Equal(t, run.ID, runs[0].ID)
	assert.Equal(t, ticketsync.RunFailed, runs[0].Status)
	require.Len(t, runs[0].Errors, 1)
	assert.Contains(t, runs[0].Errors[0], "database is down")

	store.mu.Lock()
	store.failUpsert = nil
	store.mu.Unlock()
	_, err = s.SyncNow(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, []string{"", "", "1", "2"}, conn.cursors(), "the retry starts where the failed run did")
	assert.Len(t, store.Store.(*memstore.Store).Tickets("acme"), 15)
}

func TestDuplicatePagesAndOutOfOrderTicketsKeepTheNewest(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	newer := ticketsync.Ticket{ID: "7", Subject: "newer", UpdatedAt: t0.Add(time.Hour)}
	older := ticketsync.Ticket{ID: "7", Subject: "older", UpdatedAt: t0}
	page := []ticketsync.Ticket{newer, {ID: "8", Subject: "x", UpdatedAt: t0}}
	conn := newScripted(page, page, []ticketsync.Ticket{older}, []ticketsync.Ticket{newer, older})
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))
	run, err := s.SyncNow(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, 2, run.Tickets, "the history counts distinct tickets, not copies")

	got, err := store.Ticket(ctx, "acme", "7")
	require.NoError(t, err)
	assert.Equal(t, "newer", got.Subject)
	assert.Equal(t, 2, store.Len("acme"))
}

func TestPanickingConnectorIsRecordedNotFatal(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	conn := newScripted(makePages(2, 3)...)
	conn.panicAt = 2
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))

	run, err := s.SyncNow(ctx, "acme")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "panicked")
	assert.Contains(t, err.Error(), "boom at page 2")
	assert.Equal(t, ticketsync.RunFailed, run.Status)
	assert.Equal(t, 3, store.Len("acme"), "page 1 stored before the panic")

	_, err = s.SyncNow(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, 6, store.Len("acme"))
}

// moreWithoutCursor claims more pages but never moves.
type moreWithoutCursor struct{ scripted }

func (c *moreWithoutCursor) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	return ticketsync.Page{Cursor: "same", More: true}, nil
}

func TestConnectorThatNeverAdvancesIsStopped(t *testing.T) {
	s := ticketsync.NewSyncer(memstore.New(), nil)
	require.NoError(t, s.Add("stuck", &moreWithoutCursor{}, ticketsync.ModePoll))
	_, err := s.SyncNow(context.Background(), "stuck")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "without a new cursor")
}

// webhookOnly is a WebhookReceiver that cannot poll.
type webhookOnly struct{}

func (webhookOnly) Platform() string                                 { return "push" }
func (webhookOnly) Test(context.Context) error                       { return nil }
func (webhookOnly) VerifyWebhook(r *http.Request, body []byte) error { return nil }
func (webhookOnly) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	return nil, nil
}

func TestAddRejectsBadInput(t *testing.T) {
	s := ticketsync.NewSyncer(memstore.New(), nil)
	poller := newScripted()
	tests := []struct {
		name, id string
		conn     ticketsync.Connector
		mode     ticketsync.Mode
		want     string
	}{
		{"empty id", "", poller, ticketsync.ModePoll, "empty id"},
		{"nil connector", "a", nil, ticketsync.ModePoll, "nil connector"},
		{"unknown mode", "a", poller, ticketsync.Mode(42), "unknown mode"},
		{"zero mode", "a", poller, ticketsync.Mode(0), "unknown mode"},
		{"poller cannot receive", "a", poller, ticketsync.ModeWebhook, "cannot receive webhooks"},
		{"poller cannot do both", "a", poller, ticketsync.ModeBoth, "cannot receive webhooks"},
		{"receiver cannot poll", "a", webhookOnly{}, ticketsync.ModePoll, "cannot poll"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Add(tt.id, tt.conn, tt.mode)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	for _, bad := range []string{"", "c1\x00", "c1\xff", strings.Repeat("c", ticketsync.MaxIDLen+1)} {
		err := s.Add(bad, newScripted(), ticketsync.ModePoll)
		require.ErrorIs(t, err, ticketsync.ErrInvalidID, "id %q", bad)
	}
	require.NoError(t, s.Add(strings.Repeat("c", ticketsync.MaxIDLen), newScripted(), ticketsync.ModePoll))
	require.NoError(t, s.Add("a", poller, ticketsync.ModePoll))
	err := s.Add("a", newScripted(), ticketsync.ModePoll)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already added")
	require.NoError(t, s.Add("b", webhookOnly{}, ticketsync.ModeWebhook))
}

func TestSyncNowErrors(t *testing.T) {
	ctx := context.Background()
	s := ticketsync.NewSyncer(memstore.New(), nil)
	_, err := s.SyncNow(ctx, "nope")
	require.ErrorIs(t, err, ticketsync.ErrUnknownConnector)

	require.NoError(t, s.Add("push", webhookOnly{}, ticketsync.ModeWebhook))
	_, err = s.SyncNow(ctx, "push")
	require.ErrorIs(t, err, ticketsync.ErrUnknownConnector, "a connector that cannot poll")

	conn := newScripted(makePages(1, 1)...)
	conn.started = make(chan string, 1)
	conn.block = make(chan struct{})
	require.NoError(t, s.Add("slow", conn, ticketsync.ModePoll))
	done := make(chan error, 1)
	go func() { _, err := s.SyncNow(ctx, "slow"); done <- err }()
	waitFor(t, conn.started, "the first run to start")
	_, err = s.SyncNow(ctx, "slow")
	require.ErrorIs(t, err, ticketsync.ErrSyncInProgress)
	close(conn.block)
	require.NoError(t, waitFor(t, done, "the first run to end"))
}

func TestOnTicketsSeesStoredTickets(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	var mu sync.Mutex
	var seen []string
	s := ticketsync.NewSyncer(store, &ticketsync.Options{
		OnTickets: func(ctx context.Context, connectorID string, tickets []ticketsync.Ticket) {
			mu.Lock()
			defer mu.Unlock()
			for _, tk := range tickets {
				if _, err := store.Ticket(ctx, connectorID, tk.ID); err != nil {
					t.Errorf("OnTickets called before ticket %s was stored", tk.ID)
				}
				seen = append(seen, tk.ID)
			}
			if connectorID == "acme" && len(seen) == 1 {
				panic("a panicking callback must not break the run")
			}
		},
	})
	require.NoError(t, s.Add("acme", newScripted(makePages(2, 1)...), ticketsync.ModePoll))
	run, err := s.SyncNow(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, 2, run.Tickets)
	assert.Equal(t, []string{"1", "2"}, seen)
}

func TestRemoveCancelsTheRunInProgress(t *testing.T) {
	ctx := context.Background()
	conn := newScripted(makePages(1, 1)...)
	conn.started = make(chan string, 1)
	conn.block = make(chan struct{})
	s := ticketsync.NewSyncer(memstore.New(), nil)
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))
	done := make(chan error, 1)
	go func() { _, err := s.SyncNow(ctx, "acme"); done <- err }()
	waitFor(t, conn.started, "the run to start")
	s.Remove("acme")
	err := waitFor(t, done, "the canceled run to end")
	require.ErrorIs(t, err, context.Canceled)
	_, ok := s.Connector("acme")
	assert.False(t, ok)
	s.Remove("acme") // removing twice is harmless
}

func TestRunErrorNamesThePage(t *testing.T) {
	// The run's error names the page, not the cursor, which may be long.
	conn := newScripted(makePages(2, 1)...)
	conn.failAt[2] = errors.New("bad gateway")
	s := ticketsync.NewSyncer(memstore.New(), nil)
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))
	_, err := s.SyncNow(context.Background(), "acme")
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "fetch page 2: "), err.Error())
}

func TestPolledTombstoneKeepsTheStoredFields(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	live := ticketsync.Ticket{ID: "1", Subject: "printer", Requester: ticketsync.Person{Email: "ada@example.com"},
		Tags: []string{"vip"}, Status: ticketsync.StatusOpen, UpdatedAt: t0,
		Comments: []ticketsync.Comment{{ID: "c1", Body: "hello", CreatedAt: t0}}}
	bare := ticketsync.Ticket{ID: "1", Deleted: true, UpdatedAt: t0.Add(time.Hour)}
	conn := newScripted([]ticketsync.Ticket{live}, []ticketsync.Ticket{bare})
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))
	_, err := s.SyncNow(ctx, "acme")
	require.NoError(t, err)

	got, err := store.Ticket(ctx, "acme", "1")
	require.NoError(t, err)
	assert.True(t, got.Deleted)
	assert.Equal(t, "printer", got.Subject)
	assert.Equal(t, "ada@example.com", got.Requester.Email)
	assert.Equal(t, []string{"vip"}, got.Tags)
	assert.Equal(t, ticketsync.StatusOpen, got.Status)
	assert.Len(t, got.Comments, 1)
	assert.Equal(t, t0.Add(time.Hour), got.UpdatedAt)
}

// pageStore records how pages reach it and implements PageStorer.
type pageStore struct {
	*memstore.Store
	mu            sync.Mutex
	pages, upsert int
}

func (p *pageStore) StorePage(ctx context.Context, connectorID string, tickets []ticketsync.Ticket, cursor string) error {
	p.mu.Lock()
	p.pages++
	p.mu.Unlock()
	if err := p.Store.UpsertTickets(ctx, tickets); err != nil {
		return err
	}
	return p.Store.SetCursor(ctx, connectorID, cursor)
}

func (p *pageStore) UpsertTickets(ctx context.Context, tickets []ticketsync.Ticket) error {
	p.mu.Lock()
	p.upsert++
	p.mu.Unlock()
	return p.Store.UpsertTickets(ctx, tickets)
}

func TestPageStorerSavesTicketsAndCursorTogether(t *testing.T) {
	store := &pageStore{Store: memstore.New()}
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("acme", newScripted(makePages(3, 2)...), ticketsync.ModePoll))
	run, err := s.SyncNow(context.Background(), "acme")
	require.NoError(t, err)
	assert.Equal(t, 6, run.Tickets)
	assert.Equal(t, 3, store.pages, "one StorePage per page")
	assert.Equal(t, 0, store.upsert, "no separate UpsertTickets")
	cursor, _ := store.Cursor(context.Background(), "acme")
	assert.Equal(t, "3", cursor)
}

// flakyLeaser grants the first lease, then fails every renewal; each call
// is reported on called.
type flakyLeaser struct {
	*memstore.Store
	calls  atomic.Int64
	called chan struct{}
}

func (f *flakyLeaser) AcquireLease(ctx context.Context, id, holder string, ttl time.Duration) (bool, error) {
	defer func() { f.called <- struct{}{} }()
	if f.calls.Add(1) == 1 {
		return f.Store.AcquireLease(ctx, id, holder, ttl)
	}
	return false, errStoreDown
}

// TestRunStopsWhenTheLeaseCannotBeRenewed, on a fake clock: renewals come
// every third of the TTL; one that fails is tried again, and the run stops
// when the lease would be within a third of its TTL of lapsing.
func TestRunStopsWhenTheLeaseCannotBeRenewed(t *testing.T) {
	const ttl = 150 * time.Millisecond
	store := &flakyLeaser{Store: memstore.New(), called: make(chan struct{}, 8)}
	conn := newScripted(makePages(1, 1)...)
	conn.started = make(chan string, 1)
	conn.block = make(chan struct{}) // never released: only the lease ends the run
	s, clock := newClockedSyncer(store, ticketsync.Options{LeaseTTL: ttl})
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))
	done := make(chan error, 1)
	go func() { _, err := s.SyncNow(context.Background(), "acme"); done <- err }()
	waitFor(t, store.called, "the lease to be taken")
	waitFor(t, conn.started, "the run to start")
	clock.Advance(ttl / 3)
	waitFor(t, store.called, "the first renewal")
	select {
	case err := <-done:
		t.Fatalf("the run stopped after one failed renewal, with two thirds of its lease left: %v", err)
	default:
	}
	// Once the renewer waits again, it has judged the failed renewal on
	// the clock as it stood.
	waitForTimer(t, clock)
	clock.Advance(ttl / 3)
	waitFor(t, store.called, "the second renewal")
	err := waitFor(t, done, "the run to stop once its lease could not be renewed")
	require.ErrorIs(t, err, context.Canceled)
	runs, _ := store.SyncRuns(context.Background(), "acme", 1)
	require.Len(t, runs, 1)
	assert.Contains(t, runs[0].Errors[0], "lease could not be renewed")
	assert.Equal(t, int64(3), store.calls.Load(), "the lease, then two renewals")
}
