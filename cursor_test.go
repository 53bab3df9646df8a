package ticketsync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// versionedPoller writes cursors "v1:N" and refuses any other, as platform
// connectors refuse cursors they did not write.
type versionedPoller struct {
	fetched chan string
}

func (p *versionedPoller) Platform() string           { return "versioned" }
func (p *versionedPoller) Test(context.Context) error { return nil }
func (p *versionedPoller) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	defer func() { p.fetched <- cursor }()
	switch cursor {
	case "":
		return ticketsync.Page{Tickets: []ticketsync.Ticket{{ID: "1", UpdatedAt: t0}}, Cursor: "v1:1"}, nil
	case "v1:1":
		return ticketsync.Page{Cursor: "v1:1"}, nil
	}
	return ticketsync.Page{}, fmt.Errorf("versioned: fetch after cursor %q: %w: not one this connector wrote", cursor, ticketsync.ErrInvalidCursor)
}

func TestDamagedCursorFailsTheRunUntilReset(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	require.NoError(t, store.SetCursor(ctx, "acme", "damaged"))
	s, clock := newClockedSyncer(store, ticketsync.Options{Interval: time.Hour, RetryBase: 30 * time.Second})
	p := &versionedPoller{fetched: make(chan string, 10)}
	require.NoError(t, s.Add("acme", p, ticketsync.ModePoll))
	runInBackground(t, s)

	assert.Equal(t, "damaged", waitFor(t, p.fetched, "the first run"))
	run := latestRun(t, store, "acme")
	assert.Equal(t, ticketsync.RunFailed, run.Status, "a damaged cursor is not retried with backoff")
	assert.True(t, run.NextRetryAt.IsZero())
	require.Len(t, run.Errors, 1)
	assert.Contains(t, run.Errors[0], "invalid cursor")
	assert.Contains(t, run.Errors[0], "Syncer.ResetCursor", "the error says what to do")
	clock.Advance(10 * time.Minute)
	select {
	case <-p.fetched:
		t.Fatal("a run with a damaged cursor was retried early")
	case <-time.After(50 * time.Millisecond):
	}

	require.NoError(t, s.ResetCursor(ctx, "acme"))
	assert.Equal(t, "", waitFor(t, p.fetched, "the run after the reset, at once"))
	run = latestRun(t, store, "acme")
	for run.Errors != nil {
		run = latestRun(t, store, "acme")
	}
	assert.Equal(t, ticketsync.RunSucceeded, run.Status)
	assert.Equal(t, 1, run.Tickets)
	cur, err := store.Cursor(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, "v1:1", cur)

	clock.Advance(time.Hour)
	assert.Equal(t, "v1:1", waitFor(t, p.fetched, "the next run"), "the run resumes from the new cursor")
}

func TestSyncNowReportsErrInvalidCursor(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	require.NoError(t, store.SetCursor(ctx, "acme", "damaged"))
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("acme", &versionedPoller{fetched: make(chan string, 10)}, ticketsync.ModePoll))
	run, err := s.SyncNow(ctx, "acme")
	require.ErrorIs(t, err, ticketsync.ErrInvalidCursor)
	assert.Equal(t, ticketsync.RunFailed, run.Status)
}

func TestResetCursorRefusesWhileRunning(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	require.ErrorIs(t, s.ResetCursor(ctx, "nobody"), ticketsync.ErrUnknownConnector)

	c := newScripted(makePages(2, 1)...)
	c.block = make(chan struct{})
	c.started = make(chan string, 1)
	require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))
	done := make(chan error, 1)
	go func() { _, err := s.SyncNow(ctx, "acme"); done <- err }()
	waitFor(t, c.started, "the run to start")
	require.ErrorIs(t, s.ResetCursor(ctx, "acme"), ticketsync.ErrSyncInProgress)
	close(c.block)
	require.NoError(t, waitFor(t, done, "the run to end"))
	require.NoError(t, s.ResetCursor(ctx, "acme"))
	cur, err := store.Cursor(ctx, "acme")
	require.NoError(t, err)
	assert.Empty(t, cur)
}
