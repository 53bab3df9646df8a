package ticketsync_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// pagesConnector serves prebuilt pages, so that a benchmark measures the
// engine and the store rather than the making of tickets.
type pagesConnector struct{ pages [][]ticketsync.Ticket }

func (c *pagesConnector) Platform() string           { return "bench" }
func (c *pagesConnector) Test(context.Context) error { return nil }
func (c *pagesConnector) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	i := 0
	if cursor != "" {
		i, _ = strconv.Atoi(cursor)
	}
	if i >= len(c.pages) {
		return ticketsync.Page{Cursor: cursor}, nil
	}
	return ticketsync.Page{Tickets: c.pages[i], Cursor: strconv.Itoa(i + 1), More: i+1 < len(c.pages)}, nil
}

func benchPages(n, size int) [][]ticketsync.Ticket {
	pages := makePages(n, size)
	for _, p := range pages {
		for i := range p {
			p[i].Tags = []string{"billing", "vip"}
			p[i].Requester = ticketsync.Person{ID: "42", Name: "Ada", Email: "ada@example.com"}
			p[i].Description = "The printer is on fire."
		}
	}
	return pages
}

// BenchmarkSyncPage measures one poll run storing 100 pages of 1,000
// tickets into memstore (sub-benchmark "syncer"), against the same pages
// written straight into memstore with UpsertTickets ("store-only"), the
// baseline. The difference per ticket is the engine's own overhead.
func BenchmarkSyncPage(b *testing.B) {
	const pages, size = 100, 1000
	conn := &pagesConnector{pages: benchPages(pages, size)}
	ctx := context.Background()
	syncer := func(b *testing.B, opts *ticketsync.Options) {
		b.ReportAllocs()
		cpu := cpuClock()
		for b.Loop() {
			b.StopTimer()
			store := memstore.New()
			s := ticketsync.NewSyncer(store, opts)
			if err := s.Add("bench", conn, ticketsync.ModePoll); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			run, err := s.SyncNow(ctx, "bench")
			if err != nil || run.Tickets != pages*size {
				b.Fatalf("run: %v, %d tickets", err, run.Tickets)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pages*size), "ns/ticket")
		reportCPU(b, cpu, pages*size, "ticket")
	}
	b.Run("syncer", func(b *testing.B) { syncer(b, nil) })
	// With every hook set, doing nothing: the cost of the hooks themselves.
	b.Run("syncer-hooks", func(b *testing.B) { syncer(b, &ticketsync.Options{Hooks: noopHooks()}) })
	b.Run("store-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			store := memstore.New()
			b.StartTimer()
			for _, p := range conn.pages {
				for i := range p {
					p[i].ConnectorID, p[i].Platform = "bench", "bench"
				}
				if err := store.UpsertTickets(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pages*size), "ns/ticket")
	})
}

// noopHooks returns Hooks that do nothing, to measure what calling them
// costs.
func noopHooks() *ticketsync.Hooks {
	return &ticketsync.Hooks{
		RunStart: func(ctx context.Context, _ ticketsync.RunInfo) context.Context { return ctx },
		RunEnd:   func(context.Context, ticketsync.RunInfo, ticketsync.SyncRun, error) {},
		Webhook:  func(context.Context, ticketsync.WebhookDelivery) {},
		Request:  func(context.Context, ticketsync.PlatformRequest) {},
		Wait:     func(context.Context, ticketsync.PlatformWait) {},
	}
}

// BenchmarkAddIdleConnector measures what one registered, idle connector
// costs: B/op is the memory per connector.
func BenchmarkAddIdleConnector(b *testing.B) {
	s := ticketsync.NewSyncer(memstore.New(), nil)
	conn := &pagesConnector{}
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = "connector-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Add(ids[i], conn, ticketsync.ModePoll); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTenThousandConnectorsFireSpreadOut registers 10,000 connectors, lets
// their first runs happen at once, and checks that their second runs are
// spread over the jitter window rather than firing together.
func TestTenThousandConnectorsFireSpreadOut(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 runs")
	}
	const n = 10000
	store := memstore.New()
	s, clock := newClockedSyncer(store, ticketsync.Options{Interval: 15 * time.Minute, Jitter: 0.1, MaxConcurrent: 8})
	conn := &pagesConnector{pages: [][]ticketsync.Ticket{nil}}
	for i := range n {
		if err := s.Add("c"+strconv.Itoa(i), conn, ticketsync.ModePoll); err != nil {
			t.Fatal(err)
		}
	}
	runInBackground(t, s)
	waitIdle := func() {
		deadline := time.Now().Add(60 * time.Second)
		for !ticketsync.Idle(s) {
			if time.Now().After(deadline) {
				t.Fatal("scheduler never became idle")
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	waitIdle()
	// Second round: step the clock a second at a time through the window.
	const step = 10 * time.Second
	buckets := map[int]int{}
	for elapsed := step; elapsed <= 17*time.Minute; elapsed += step {
		clock.Advance(step)
		waitIdle()
	}
	for i := range n {
		runs, err := store.SyncRuns(context.Background(), "c"+strconv.Itoa(i), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 {
			t.Fatalf("connector %d ran %d times in 17 minutes, want 2", i, len(runs))
		}
		gap := runs[0].StartedAt.Sub(runs[1].StartedAt)
		if gap < 13*time.Minute+30*time.Second || gap > 16*time.Minute+30*time.Second+step {
			t.Fatalf("connector %d ran again after %s, outside 15 minutes ±10%%", i, gap)
		}
		buckets[int(gap/step)]++
	}
	// 3 minutes of window in 10-second steps: about 18 buckets of ~555.
	most := 0
	for _, c := range buckets {
		most = max(most, c)
	}
	if len(buckets) < 15 || most > n/8 {
		t.Fatalf("second runs bunched: %d buckets, largest holds %d of %d", len(buckets), most, n)
	}
	t.Logf("second runs spread over %d ten-second buckets, the largest holding %d of %d", len(buckets), most, n)
}
