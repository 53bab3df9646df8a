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

// settle waits until the Syncers on clock have stopped moving: n timers wait
// on it, all in its future, and the count of Fetch calls has not changed for
// a short real time.
func settle(t *testing.T, clock *fakeClock, n int, c *countingPoller) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	stable, last := 0, int64(-1)
	for stable < 10 {
		if time.Now().After(deadline) {
			t.Fatal("the Syncers did not settle")
		}
		time.Sleep(time.Millisecond)
		for len(c.fetched) > 0 {
			<-c.fetched
		}
		clock.mu.Lock()
		live := 0
		for _, tm := range clock.timers {
			if !tm.stopped && tm.at.After(clock.now) {
				live++
			}
		}
		clock.mu.Unlock()
		calls := c.calls.Load()
		if live == n && calls == last {
			stable++
		} else {
			stable = 0
		}
		last = calls
	}
}

// pollRuns returns the connector's recorded poll runs.
func pollRuns(t *testing.T, store ticketsync.Store, id string) []ticketsync.SyncRun {
	t.Helper()
	runs, err := store.(ticketsync.HistoryFilter).SyncRunsByTrigger(context.Background(), id, ticketsync.TriggerPoll, 0)
	require.NoError(t, err)
	return runs
}

// TestReplicasPollEachConnectorOncePerInterval: Syncers sharing one Store
// poll a connector about once per interval between them, not once each
// (issue 18), and record no run for the polls they leave to another.
func TestReplicasPollEachConnectorOncePerInterval(t *testing.T) {
	const interval = 15 * time.Minute
	for _, replicas := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("%d replicas", replicas), func(t *testing.T) {
			clock := newFakeClock()
			store := memstore.NewWithOptions(memstore.Options{Now: clock.Now})
			c := newCountingPoller()
			for i := range replicas {
				s := ticketsync.NewSyncer(store, &ticketsync.Options{
					Now: clock.Now, Jitter: -1, Interval: interval, Holder: fmt.Sprintf("replica-%d", i),
				})
				ticketsync.SetWakeAt(s, clock.WakeAt)
				require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))
				runInBackground(t, s)
			}
			settle(t, clock, replicas, c)
			for range 10 * interval / time.Minute {
				clock.Advance(time.Minute)
				settle(t, clock, replicas, c)
			}
			// Polled at 0, 15, ..., 150 minutes: 11 polls in 10 intervals.
			assert.EqualValues(t, 11, c.calls.Load(), "Fetch calls over 10 intervals")
			runs := pollRuns(t, store, "acme")
			assert.Len(t, runs, 11, "one recorded run per poll")
			for _, r := range runs {
				assert.Equal(t, ticketsync.RunSucceeded, r.Status)
			}
		})
	}
}

// TestRecentPollElsewhereSkipsOnlyAScheduledPoll: a poll run that another
// replica finished a minute ago makes a scheduled poll give way, but not
// when that run failed or is retrying, and never a SyncNow.
func TestRecentPollElsewhereSkipsOnlyAScheduledPoll(t *testing.T) {
	const interval = 15 * time.Minute
	for _, tc := range []struct {
		name    string
		status  ticketsync.RunStatus
		age     time.Duration
		syncNow bool
		// deadSlice: the replica that polled died in the backfill slice
		// that followed, holding the lease.
		deadSlice bool
		polled    bool
	}{
		{name: "succeeded a minute ago", status: ticketsync.RunSucceeded, age: time.Minute, polled: false},
		{name: "succeeded an interval ago", status: ticketsync.RunSucceeded, age: interval, polled: true},
		{name: "failed a minute ago", status: ticketsync.RunFailed, age: time.Minute, polled: true},
		{name: "retrying a minute ago", status: ticketsync.RunRetrying, age: time.Minute, polled: true},
		{name: "SyncNow after a success a minute ago", status: ticketsync.RunSucceeded, age: time.Minute, syncNow: true, polled: true},
		{name: "a backfill slice left unfinished", status: ticketsync.RunSucceeded, age: time.Minute, deadSlice: true, polled: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			store := memstore.NewWithOptions(memstore.Options{Now: clock.Now})
			ended := clock.Now().Add(-tc.age)
			require.NoError(t, store.SaveSyncRun(context.Background(), ticketsync.SyncRun{
				ID: "elsewhere", ConnectorID: "acme", Trigger: ticketsync.TriggerPoll, Status: tc.status,
				StartedAt: ended.Add(-time.Second), FinishedAt: ended, Attempt: 1,
			}))
			if tc.deadSlice {
				require.NoError(t, store.SaveSyncRun(context.Background(), ticketsync.SyncRun{
					ID: "slice", ConnectorID: "acme", Trigger: ticketsync.TriggerBackfill, Status: ticketsync.RunRunning,
					StartedAt: ended, Attempt: 1,
				}))
			}
			s := ticketsync.NewSyncer(store, &ticketsync.Options{Now: clock.Now, Jitter: -1, Interval: interval, Holder: "here"})
			ticketsync.SetWakeAt(s, clock.WakeAt)
			c := newCountingPoller()
			require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))
			if tc.syncNow {
				_, err := s.SyncNow(context.Background(), "acme")
				require.NoError(t, err)
			} else {
				runInBackground(t, s)
				settle(t, clock, 1, c)
			}
			if !tc.polled {
				assert.Zero(t, c.calls.Load(), "Fetch calls")
				assert.Len(t, pollRuns(t, store, "acme"), 1, "no run recorded for the skipped poll")
				// The next poll is due an interval after the other's.
				clock.Advance(interval - tc.age - time.Second)
				settle(t, clock, 1, c)
				assert.Zero(t, c.calls.Load(), "Fetch calls before the next interval")
				clock.Advance(time.Second)
				settle(t, clock, 1, c)
			}
			assert.EqualValues(t, 1, c.calls.Load(), "Fetch calls")
		})
	}
}

// TestResetOrReplacedConnectorPollsDespiteARecentPoll: a reset cursor or a
// replaced connector is polled at once, even right after another replica's
// poll, which read from the old cursor or with the old connector.
func TestResetOrReplacedConnectorPollsDespiteARecentPoll(t *testing.T) {
	const interval = 15 * time.Minute
	for _, name := range []string{"ResetCursor", "Replace"} {
		t.Run(name, func(t *testing.T) {
			clock := newFakeClock()
			store := memstore.NewWithOptions(memstore.Options{Now: clock.Now})
			ended := clock.Now().Add(-time.Minute)
			require.NoError(t, store.SaveSyncRun(context.Background(), ticketsync.SyncRun{
				ID: "elsewhere", ConnectorID: "acme", Trigger: ticketsync.TriggerPoll, Status: ticketsync.RunSucceeded,
				StartedAt: ended.Add(-time.Second), FinishedAt: ended, Attempt: 1,
			}))
			s := ticketsync.NewSyncer(store, &ticketsync.Options{Now: clock.Now, Jitter: -1, Interval: interval, Holder: "here"})
			ticketsync.SetWakeAt(s, clock.WakeAt)
			c := newCountingPoller()
			require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))
			runInBackground(t, s)
			settle(t, clock, 1, c)
			require.Zero(t, c.calls.Load(), "the scheduled poll gave way")
			if name == "ResetCursor" {
				require.NoError(t, s.ResetCursor(context.Background(), "acme"))
			} else {
				require.NoError(t, s.Replace("acme", c, ticketsync.ModePoll))
			}
			settle(t, clock, 1, c)
			assert.EqualValues(t, 1, c.calls.Load(), "Fetch calls")
		})
	}
}

// TestGivingWayShowsTheOtherReplicasRun: a scheduled poll that gives way to
// another replica's recent success reports that run in its status: its end
// as the last run and success, its tickets, no error, and the next run the
// reschedule picked.
func TestGivingWayShowsTheOtherReplicasRun(t *testing.T) {
	const interval = 15 * time.Minute
	clock := newFakeClock()
	store := memstore.NewWithOptions(memstore.Options{Now: clock.Now})
	ctx := context.Background()
	failed := clock.Now().Add(-time.Hour)
	require.NoError(t, store.SaveSyncRun(ctx, ticketsync.SyncRun{
		ID: "failed", ConnectorID: "acme", Trigger: ticketsync.TriggerPoll, Status: ticketsync.RunFailed,
		StartedAt: failed.Add(-time.Second), FinishedAt: failed, Attempt: 1, Errors: []string{"fetch page 1: unauthorized"},
	}))
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Now: clock.Now, Jitter: -1, Interval: interval, Holder: "here"})
	ticketsync.SetWakeAt(s, clock.WakeAt)
	c := newCountingPoller()
	require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))
	ticketsync.WaitSeeded(s)
	st, _ := s.Status("acme")
	require.Equal(t, ticketsync.RunFailed, st.LastStatus, "the failed run, from the history")

	// Another replica polls after this one added the connector.
	ended := clock.Now().Add(-time.Minute)
	require.NoError(t, store.SaveSyncRun(ctx, ticketsync.SyncRun{
		ID: "elsewhere", ConnectorID: "acme", Trigger: ticketsync.TriggerPoll, Status: ticketsync.RunSucceeded,
		StartedAt: ended.Add(-time.Second), FinishedAt: ended, Attempt: 1, Tickets: 42,
	}))
	runInBackground(t, s)
	settle(t, clock, 1, c)
	require.Zero(t, c.calls.Load(), "the scheduled poll gave way")

	st, _ = s.Status("acme")
	assert.Equal(t, ended, st.LastRun)
	assert.Equal(t, ended, st.LastSuccess)
	assert.Equal(t, ticketsync.RunSucceeded, st.LastStatus)
	assert.Equal(t, 42, st.LastTickets)
	assert.Empty(t, st.LastError)
	assert.Equal(t, 1, st.Attempt)
	assert.False(t, st.Running)
	assert.Equal(t, ended.Add(interval), st.NextRun, "an interval after the other replica's run")
}

// TestReplicasAgreeOnTheLastRun: whichever replica polls, every replica's
// status shows the connector's latest poll, after each interval.
func TestReplicasAgreeOnTheLastRun(t *testing.T) {
	const interval = 15 * time.Minute
	clock := newFakeClock()
	store := memstore.NewWithOptions(memstore.Options{Now: clock.Now})
	c := newCountingPoller()
	var syncers []*ticketsync.Syncer
	for i := range 2 {
		s := ticketsync.NewSyncer(store, &ticketsync.Options{
			Now: clock.Now, Jitter: -1, Interval: interval, Holder: fmt.Sprintf("replica-%d", i),
		})
		ticketsync.SetWakeAt(s, clock.WakeAt)
		require.NoError(t, s.Add("acme", c, ticketsync.ModePoll))
		runInBackground(t, s)
		syncers = append(syncers, s)
	}
	settle(t, clock, 2, c)
	// Five minutes past the last poll: a replica refused the lease while
	// the other polled tries again once the lease has lapsed (LeaseTTL),
	// and gives way then.
	for range 3*interval/time.Minute + 5 {
		clock.Advance(time.Minute)
		settle(t, clock, 2, c)
	}
	runs := pollRuns(t, store, "acme")
	require.Len(t, runs, 4, "polled at 0, 15, 30 and 45 minutes")
	for i, s := range syncers {
		st, _ := s.Status("acme")
		assert.Equal(t, runs[0].FinishedAt, st.LastRun, "replica %d", i)
		assert.Equal(t, runs[0].FinishedAt, st.LastSuccess, "replica %d", i)
		assert.Equal(t, 1, st.LastTickets, "replica %d", i)
		assert.Equal(t, runs[0].FinishedAt.Add(interval), st.NextRun, "replica %d", i)
	}
}
