package ticketsync_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// serve hands one signed delivery of body for connector id to h, without a
// network, and returns the status code.
func serve(h http.Handler, id string, body []byte) int {
	req := httptest.NewRequest(http.MethodPost, "/api/webhooks/tickets?connectorId="+id, bytes.NewReader(body))
	req.Header.Set("X-Test-Signature", hex.EncodeToString(sign(body)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func TestWebhookFloodKeepsThePollHistory(t *testing.T) {
	const polls, deliveries = 150, 10_000
	// A store that keeps 100 runs per connector and trigger.
	store := memstore.NewWithOptions(memstore.Options{HistoryLimit: 100})
	s, clock := newClockedSyncer(store, ticketsync.Options{Interval: time.Minute})
	p := pollingReceiver{countingPoller: newCountingPoller()}
	require.NoError(t, s.Add("acme", p, ticketsync.ModeBoth))
	h := s.WebhookHandler()
	runInBackground(t, s)

	sent := 0
	for i := range polls {
		waitFor(t, p.fetched, "poll "+strconv.Itoa(i))
		waitUntil(t, "the poll run to be recorded", func() bool {
			st, _ := s.Status("acme")
			return !st.Running && !st.NextRun.IsZero()
		})
		// The rest of the minute: deliveries, a few seconds apart.
		for n := (i + 1) * deliveries / polls; sent < n; sent++ {
			body := payload(testEvent{Kind: "updated", ID: strconv.Itoa(sent % 500), Full: true, Subject: "s", UpdatedAt: t0.Add(time.Duration(sent) * time.Second)})
			require.Equal(t, http.StatusOK, serve(h, "acme", body))
		}
		clock.Advance(time.Minute)
	}
	waitFor(t, p.fetched, "the last poll")
	// Fetch has been called; the run is recorded as finished a moment later.
	waitUntil(t, "the last poll run to be recorded", func() bool {
		st, _ := s.Status("acme")
		return !st.Running && !st.NextRun.IsZero()
	})

	ctx := context.Background()
	pollRuns, err := s.History(ctx, "acme", ticketsync.TriggerPoll, 100)
	require.NoError(t, err)
	require.Len(t, pollRuns, 100, "the last 100 poll runs stay visible")
	for i, r := range pollRuns {
		assert.Equal(t, ticketsync.RunSucceeded, r.Status)
		if i > 0 {
			assert.True(t, r.StartedAt.Before(pollRuns[i-1].StartedAt), "newest first")
		}
	}
	all, err := store.SyncRuns(ctx, "acme", 0)
	require.NoError(t, err)
	assert.Len(t, all, 200, "100 runs of each trigger")

	hooks, err := s.History(ctx, "acme", ticketsync.TriggerWebhook, 0)
	require.NoError(t, err)
	require.Len(t, hooks, 100, "one webhook run per minute, the newest 100 kept")
	total := 0
	for _, r := range hooks {
		assert.Equal(t, ticketsync.RunSucceeded, r.Status)
		assert.Equal(t, r.Deliveries, r.Tickets, "one ticket per delivery")
		total += r.Deliveries
	}
	assert.Equal(t, deliveries-(polls-100)*deliveries/polls, total, "the deliveries of the last 100 minutes")
}

func TestWebhookRunAggregatesAMinute(t *testing.T) {
	store := memstore.New()
	s, clock := newClockedSyncer(store, ticketsync.Options{})
	require.NoError(t, s.Add("acme", testReceiver{}, ticketsync.ModeWebhook))
	h := s.WebhookHandler()

	// 50 concurrent deliveries of 2 tickets each, and 12 unparseable ones.
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			body := payload(
				testEvent{Kind: "updated", ID: fmt.Sprint("a", i), Full: true, UpdatedAt: t0},
				testEvent{Kind: "updated", ID: fmt.Sprint("b", i), Full: true, UpdatedAt: t0})
			assert.Equal(t, http.StatusOK, serve(h, "acme", body))
		})
	}
	for i := range 12 {
		wg.Go(func() {
			assert.Equal(t, http.StatusBadRequest, serve(h, "acme", []byte(fmt.Sprint("{broken ", i))))
		})
	}
	wg.Wait()
	runs, err := store.SyncRuns(context.Background(), "acme", 0)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	r := runs[0]
	assert.Equal(t, ticketsync.TriggerWebhook, r.Trigger)
	assert.Equal(t, 62, r.Deliveries)
	assert.Equal(t, 100, r.Tickets)
	assert.Equal(t, ticketsync.RunFailed, r.Status, "a delivery of the minute failed")
	assert.Len(t, r.Errors, 10, "the latest errors only")
	assert.Equal(t, t0, r.StartedAt)

	// The next minute is a run of its own, and the first one stays whole.
	clock.Advance(time.Minute)
	require.Equal(t, http.StatusOK, serve(h, "acme", payload(testEvent{Kind: "updated", ID: "c", Full: true, UpdatedAt: t0})))
	runs, err = store.SyncRuns(context.Background(), "acme", 0)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, 1, runs[0].Deliveries)
	assert.Equal(t, ticketsync.RunSucceeded, runs[0].Status)
	assert.Equal(t, 62, runs[1].Deliveries)
	st, _ := s.Status("acme")
	assert.Equal(t, t0.Add(time.Minute), st.LastWebhook)
}

// plainStore hides every optional interface of the Store it wraps.
type plainStore struct{ ticketsync.Store }

func TestHistoryFiltersWithoutHistoryFilter(t *testing.T) {
	ctx := context.Background()
	store := plainStore{memstore.New()}
	for i, trigger := range []string{"poll", "webhook", "poll", "manual", "poll"} {
		require.NoError(t, store.SaveSyncRun(ctx, ticketsync.SyncRun{ID: fmt.Sprint("r", i), ConnectorID: "acme", Trigger: trigger, StartedAt: t0.Add(time.Duration(i) * time.Minute)}))
	}
	s := ticketsync.NewSyncer(store, nil)
	runs, err := s.History(ctx, "acme", ticketsync.TriggerPoll, 2)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, "r4", runs[0].ID)
	assert.Equal(t, "r2", runs[1].ID)
	runs, err = s.History(ctx, "acme", "", 0)
	require.NoError(t, err)
	assert.Len(t, runs, 5)
}

// TestStatusStartsFromTheHistory: a Syncer added a connector whose runs the
// Store already holds (a restart) reports its last poll runs at once:
// scheduled and manual ones, not webhook runs or backfill slices, nor a
// run still in progress; with or without a HistoryFilter.
func TestStatusStartsFromTheHistory(t *testing.T) {
	for _, filter := range []bool{true, false} {
		t.Run(fmt.Sprint("HistoryFilter ", filter), func(t *testing.T) {
			ctx := context.Background()
			mem := memstore.New()
			var store ticketsync.Store = mem
			if !filter {
				store = plainStore{mem}
			}
			save := func(id, trigger string, status ticketsync.RunStatus, ended time.Time, tickets int, errs ...string) {
				t.Helper()
				r := ticketsync.SyncRun{ID: id, ConnectorID: "acme", Trigger: trigger, Status: status,
					StartedAt: ended.Add(-time.Second), FinishedAt: ended, Tickets: tickets, Errors: errs, Attempt: 1}
				if status == ticketsync.RunRunning {
					r.FinishedAt = time.Time{}
				}
				require.NoError(t, store.SaveSyncRun(ctx, r))
			}
			save("old", ticketsync.TriggerPoll, ticketsync.RunSucceeded, t0.Add(-time.Hour), 9)
			save("poll", ticketsync.TriggerPoll, ticketsync.RunSucceeded, t0.Add(-5*time.Minute), 3)
			save("manual", ticketsync.TriggerManual, ticketsync.RunFailed, t0.Add(-4*time.Minute), 1, "fetch page 2: rate limited")
			save("hook", ticketsync.TriggerWebhook, ticketsync.RunSucceeded, t0.Add(-3*time.Minute), 5)
			save("slice", ticketsync.TriggerBackfill, ticketsync.RunSucceeded, t0.Add(-2*time.Minute), 500)
			save("import", ticketsync.TriggerImport, ticketsync.RunSucceeded, t0.Add(-90*time.Second), 70)
			save("live", ticketsync.TriggerPoll, ticketsync.RunRunning, t0.Add(-time.Minute), 0)

			s := ticketsync.NewSyncer(store, &ticketsync.Options{Now: func() time.Time { return t0 }})
			require.NoError(t, s.Add("acme", newScripted(), ticketsync.ModePoll))
			ticketsync.WaitSeeded(s)
			st, ok := s.Status("acme")
			require.True(t, ok)
			assert.Equal(t, t0.Add(-4*time.Minute), st.LastRun, "the manual run")
			assert.Equal(t, ticketsync.RunFailed, st.LastStatus)
			assert.Equal(t, 1, st.LastTickets)
			assert.Equal(t, "fetch page 2: rate limited", st.LastError)
			assert.Equal(t, t0.Add(-5*time.Minute), st.LastSuccess, "the poll run before it")
			assert.True(t, st.LastWebhook.IsZero(), "this Syncer stored no delivery")
			assert.Equal(t, 1, st.Attempt)
			assert.Nil(t, st.Backfill)

			// A connector with no poll run in its history starts empty.
			save2 := ticketsync.SyncRun{ID: "b1", ConnectorID: "beta", Trigger: ticketsync.TriggerBackfill,
				Status: ticketsync.RunSucceeded, StartedAt: t0.Add(-time.Minute), FinishedAt: t0, Tickets: 8, Attempt: 1}
			require.NoError(t, store.SaveSyncRun(ctx, save2))
			require.NoError(t, s.Add("beta", newScripted(), ticketsync.ModePoll))
			ticketsync.WaitSeeded(s)
			st, _ = s.Status("beta")
			assert.True(t, st.LastRun.IsZero())
			assert.True(t, st.LastSuccess.IsZero())
		})
	}
}

// brokenHistory is a Store whose history cannot be read.
type brokenHistory struct {
	ticketsync.Store
	deadline atomic.Bool // a read had a deadline
}

func (b *brokenHistory) SyncRuns(ctx context.Context, id string, limit int) ([]ticketsync.SyncRun, error) {
	_, ok := ctx.Deadline()
	b.deadline.Store(ok)
	return nil, errStoreDown
}

// TestAddDespiteAnUnreadableHistory: Add succeeds, bounded in time, when
// the history cannot be read, says so in the log, and the status starts
// empty.
func TestAddDespiteAnUnreadableHistory(t *testing.T) {
	store := &brokenHistory{Store: memstore.New()}
	var logs bytes.Buffer
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, s.Add("acme", newScripted(), ticketsync.ModePoll))
	ticketsync.WaitSeeded(s)
	assert.True(t, store.deadline.Load(), "the history read has a deadline")
	st, ok := s.Status("acme")
	require.True(t, ok)
	assert.True(t, st.LastRun.IsZero())
	assert.Contains(t, logs.String(), "read sync history for the status")
	assert.Contains(t, logs.String(), "database is down")
}

// slowHistory is a Store whose history reads wait for release (or their
// deadline).
type slowHistory struct {
	ticketsync.Store
	reading atomic.Bool
	started chan struct{}
	once    sync.Once
	release chan struct{}
}

func (h *slowHistory) SyncRuns(ctx context.Context, id string, limit int) ([]ticketsync.SyncRun, error) {
	h.reading.Store(true)
	defer h.reading.Store(false)
	h.once.Do(func() { close(h.started) })
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.Store.SyncRuns(ctx, id, limit)
}

// TestAddDoesNotWaitForTheHistory: Add returns while the history read that
// fills the status is still waiting on the Store, so that a host adding
// thousands of connectors does not wait for thousands of reads; the status
// is filled once the read is done.
func TestAddDoesNotWaitForTheHistory(t *testing.T) {
	h := &slowHistory{Store: memstore.New(), started: make(chan struct{}), release: make(chan struct{})}
	ended := t0.Add(-time.Minute)
	require.NoError(t, h.SaveSyncRun(context.Background(), ticketsync.SyncRun{ID: "r1", ConnectorID: "acme",
		Trigger: ticketsync.TriggerPoll, Status: ticketsync.RunSucceeded, StartedAt: ended.Add(-time.Second), FinishedAt: ended, Attempt: 1}))
	s := ticketsync.NewSyncer(h, &ticketsync.Options{Now: func() time.Time { return t0 }})
	require.NoError(t, s.Add("acme", newScripted(), ticketsync.ModePoll))
	<-h.started
	assert.True(t, h.reading.Load(), "Add returned only after the history read")
	close(h.release)
	ticketsync.WaitSeeded(s)
	st, _ := s.Status("acme")
	assert.Equal(t, ended, st.LastSuccess)
}

// TestAddsReadTheHistoryAFewAtATime: many connectors added at once have
// their history read by a few goroutines, not one each, and every status
// is filled in the end.
func TestAddsReadTheHistoryAFewAtATime(t *testing.T) {
	h := &slowHistory{Store: memstore.New(), started: make(chan struct{}), release: make(chan struct{})}
	ended := t0.Add(-time.Minute)
	s := ticketsync.NewSyncer(h, &ticketsync.Options{Now: func() time.Time { return t0 }})
	for i := range 50 {
		id := fmt.Sprintf("c%d", i)
		require.NoError(t, h.SaveSyncRun(context.Background(), ticketsync.SyncRun{ID: id, ConnectorID: id,
			Trigger: ticketsync.TriggerPoll, Status: ticketsync.RunSucceeded, StartedAt: ended.Add(-time.Second), FinishedAt: ended, Attempt: 1}))
		require.NoError(t, s.Add(id, newScripted(), ticketsync.ModePoll))
	}
	<-h.started
	assert.LessOrEqual(t, ticketsync.Seeders(s), 4, "goroutines reading the history")
	close(h.release)
	ticketsync.WaitSeeded(s)
	for _, st := range s.Connectors() {
		assert.Equal(t, ended, st.LastSuccess, st.ID)
	}
}
