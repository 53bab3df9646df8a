package sqlstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/sqlstore"
)

// TestMigrationKeepsTheHistory upgrades a version 1 database that holds runs
// and checks that they survive, with the fields version 2 adds.
func TestMigrationKeepsTheHistory(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		db := openDB(t, d)
		prefix := uniquePrefix(t, db, d)
		if err := sqlstore.MigrateTo(ctx, db, d, prefix, 1); err != nil {
			t.Fatal(err)
		}
		// A run as version 1 saved it.
		if _, err := db.ExecContext(ctx, rebind(d, `INSERT INTO `+prefix+`sync_runs
			(id, connector_id, run_trigger, status, started_at, finished_at, tickets, attempt)
			VALUES ($1, 'acme', 'webhook', 'succeeded', '2026-01-02T03:04:05.000000Z', '2026-01-02T03:04:05.000000Z', 3, 1)`), "old-run"); err != nil {
			t.Fatal(err)
		}

		s, err := sqlstore.New(ctx, db, &sqlstore.Options{TablePrefix: prefix})
		if err != nil {
			t.Fatalf("New over a version 1 database: %v", err)
		}
		runs, err := s.SyncRuns(ctx, "acme", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 || runs[0].ID != "old-run" || runs[0].Tickets != 3 || runs[0].Deliveries != 0 {
			t.Fatalf("after the migration, runs = %+v, want the old run with 0 deliveries", runs)
		}
		at := time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)
		poll := ticketsync.SyncRun{ID: "poll-1", ConnectorID: "acme", Trigger: ticketsync.TriggerPoll, Status: ticketsync.RunSucceeded, StartedAt: at, Attempt: 1}
		hook := ticketsync.SyncRun{ID: "hook-1", ConnectorID: "acme", Trigger: ticketsync.TriggerWebhook, Status: ticketsync.RunSucceeded, StartedAt: at.Add(time.Minute), Deliveries: 40, Tickets: 38, Attempt: 1}
		for _, r := range []ticketsync.SyncRun{poll, hook} {
			if err := s.SaveSyncRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		hooks, err := s.SyncRunsByTrigger(ctx, "acme", ticketsync.TriggerWebhook, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(hooks) != 2 || hooks[0].ID != "hook-1" || hooks[0].Deliveries != 40 || hooks[1].ID != "old-run" {
			t.Errorf("webhook runs = %+v, want hook-1 with 40 deliveries, then old-run", hooks)
		}
		polls, err := s.SyncRunsByTrigger(ctx, "acme", ticketsync.TriggerPoll, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(polls) != 1 || polls[0].ID != "poll-1" {
			t.Errorf("poll runs = %+v, want poll-1", polls)
		}
	})
}

// TestMigrationAddsBackfillProgress upgrades a version 2 database: a run
// saved before it reads with Progress -1 (unknown), and a backfill run's
// progress is kept from then on.
func TestMigrationAddsBackfillProgress(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		db := openDB(t, d)
		prefix := uniquePrefix(t, db, d)
		if err := sqlstore.MigrateTo(ctx, db, d, prefix, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, rebind(d, `INSERT INTO `+prefix+`sync_runs
			(id, connector_id, run_trigger, status, started_at, finished_at, tickets, attempt)
			VALUES ($1, 'acme', 'backfill', 'succeeded', '2026-01-02T03:04:05.000000Z', '2026-01-02T03:04:05.000000Z', 3, 1)`), "old-run"); err != nil {
			t.Fatal(err)
		}
		s, err := sqlstore.New(ctx, db, &sqlstore.Options{TablePrefix: prefix})
		if err != nil {
			t.Fatalf("New over a version 2 database: %v", err)
		}
		at := time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)
		if err := s.SaveSyncRun(ctx, ticketsync.SyncRun{ID: "bf-1", ConnectorID: "acme", Trigger: ticketsync.TriggerBackfill,
			Status: ticketsync.RunSucceeded, StartedAt: at, Attempt: 1, Progress: 0.375}); err != nil {
			t.Fatal(err)
		}
		runs, err := s.SyncRunsByTrigger(ctx, "acme", ticketsync.TriggerBackfill, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 || runs[0].ID != "bf-1" || runs[0].Progress != 0.375 || runs[1].ID != "old-run" || runs[1].Progress != -1 {
			t.Errorf("backfill runs = %+v, want bf-1 at 0.375, then old-run at -1", runs)
		}
	})
}

// BenchmarkSaveSyncRunFullHistory saves webhook runs of a connector whose
// history of that trigger is full (DefaultHistoryLimit runs kept, 1,000),
// so that every save also prunes the oldest: the steady state of a busy
// connector. It reports the time of one save, pruning included.
func BenchmarkSaveSyncRunFullHistory(b *testing.B) {
	for _, d := range dialects {
		b.Run(string(d), func(b *testing.B) {
			s := newStore(b, d, nil)
			ctx := context.Background()
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			n := 0
			save := func() {
				at := start.Add(time.Duration(n) * time.Second)
				run := ticketsync.SyncRun{ID: "webhook-" + strconv.Itoa(n), ConnectorID: "busy", Trigger: ticketsync.TriggerWebhook,
					Status: ticketsync.RunSucceeded, StartedAt: at, FinishedAt: at, Tickets: 1, Deliveries: 1, Attempt: 1}
				n++
				if err := s.SaveSyncRun(ctx, run); err != nil {
					b.Fatal(err)
				}
			}
			for range sqlstore.DefaultHistoryLimit + 10 {
				save()
			}
			for b.Loop() {
				save()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/save")
		})
	}
}
