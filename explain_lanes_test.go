package ticketsync_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// originPlatform is a lanePlatform whose cursors report, as their Start,
// where their own reading began (as Zendesk's do): a live lane's cursor
// says it started at the live lane's start, not at the configured start.
type originPlatform struct {
	*lanePlatform
	mu    sync.Mutex
	since time.Time // StartCursor's argument; zero until called
	// midPass: a backfill cursor cannot tell how far it has read (as
	// Zendesk's and Intercom's cannot within a pass).
	midPass bool
}

func (p *originPlatform) StartCursor(since time.Time) (string, error) {
	p.mu.Lock()
	p.since = since
	p.mu.Unlock()
	return p.lanePlatform.StartCursor(since)
}

func (p *originPlatform) DescribeCursor(cursor string) (ticketsync.CursorInfo, error) {
	info, err := p.lanePlatform.DescribeCursor(cursor)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err != nil:
	case !p.since.IsZero() && !info.Checkpoint.Before(p.since.Add(-time.Nanosecond)):
		info.Start = p.since
	case p.midPass:
		info.Checkpoint = time.Time{}
	}
	return info, err
}

// TestExplainWithTwoLanesUsesTheConfiguredStart: a history ticket the
// backfill lane has not reached yet is "store behind", not "before start",
// even when the live lane's cursor reports the live lane's start as its own.
func TestExplainWithTwoLanesUsesTheConfiguredStart(t *testing.T) {
	for _, midPass := range []bool{false, true} {
		t.Run(map[bool]string{false: "checkpoint", true: "mid-pass"}[midPass], func(t *testing.T) {
			explainTwoLanes(t, midPass)
		})
	}
}

func explainTwoLanes(t *testing.T, midPass bool) {
	now := time.Now().UTC()
	p := &originPlatform{lanePlatform: newLanePlatform(3000, now), midPass: midPass}
	store := memstore.New()
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Interval: time.Hour, Jitter: -1})
	require.NoError(t, s.Add("big", p, ticketsync.ModePoll))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	require.Eventually(t, func() bool {
		n := store.Len("big")
		st, _ := s.Status("big")
		return st.Backfill != nil && n > 100
	}, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	st, _ := s.Status("big")
	require.False(t, st.Backfill.Done, "the backfill ended before the check; make the history larger")

	pending := firstUnstored(t, store)
	x, err := s.Explain(context.Background(), "big", pending)
	require.NoError(t, err)
	require.Len(t, x.Cursors, 2)
	require.True(t, x.Cursors[0].Start.After(p.lanePlatform.start), "the live cursor must report its own start for this test to mean anything")
	assert.Equal(t, ticketsync.VerdictStoreBehind, x.Verdict, x.Summary)
	assert.Contains(t, x.Summary, "backfill lane has not reached")
	assert.NotContains(t, x.Summary, "never", "a lane that cannot tell its position has not read up to 'never'")
}
