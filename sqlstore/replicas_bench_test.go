package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/sqlstore"
	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// countedZendesk is replica r's Zendesk connector for one account, counting
// its Fetch calls on the account's platform, to catch two replicas polling
// it at once, and noting the first Fetch by a surviving replica after
// replica 2 died.
type countedZendesk struct {
	*zendesk.Connector
	p *platform
	r int
	// killed is when replica 2 died (UnixNano), 0 before; taken is when a
	// surviving replica first fetched the account after that.
	killed *atomic.Int64
	taken  *atomic.Int64
}

func (c *countedZendesk) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	if c.p.inflight.Add(1) > 1 {
		c.p.overlaps.Add(1)
	}
	defer c.p.inflight.Add(-1)
	c.p.fetches[c.r].Add(1)
	if c.r != 2 && c.killed.Load() != 0 && c.taken.Load() == 0 {
		c.taken.CompareAndSwap(0, time.Now().UnixNano())
	}
	return c.Connector.Fetch(ctx, cursor)
}

// BenchmarkReplicas runs three Syncer replicas, each with its own
// connection pool as three processes would have, over one PostgreSQL
// database: Zendesk connectors on zendesktest fakes (tickets with 1 to 4
// comments each, a first sync) polled in ModeBoth while two senders post
// signed webhooks to the live replicas. When a third of the tickets is
// stored, replica 2 dies holding leases (lease TTL 2 s). Two loads:
//
//   - accounts=300: 300 accounts of 50 tickets, polled every 500ms, a
//     shorter interval than the TTL: more work than the replicas keep up
//     with, so their queues run late;
//   - accounts=12: 12 accounts of 500 tickets, polled every 30s, far
//     longer than the TTL as the defaults are (15 minutes against 2): a
//     replica refused a lease tries again when it lapses (it used to wait
//     an interval).
//
// It reports tickets stored per second end to end; for the connectors
// whose leases the dead replica left, the hand-over time, from its death
// to the first Fetch of the last of them by a surviving replica
// (handover-s), and the same counted from each lease's expiry
// (after-expiry-s); how far behind their schedules the survivors were at
// the death (lag-s: the most overdue connector waiting in either queue);
// Fetch calls per account (each replica polls every account every
// interval); webhooks answered per second; and the most connections the
// database saw (pg_stat_activity) and one replica's pool held. It fails if
// a ticket is lost, if two replicas poll one account at once, or if a
// webhook is refused.
func BenchmarkReplicas(b *testing.B) {
	for _, l := range []struct {
		accounts, tickets int
		interval          time.Duration
	}{
		{300, 50, 500 * time.Millisecond},
		{12, 500, 30 * time.Second},
	} {
		b.Run(fmt.Sprintf("accounts=%d/interval=%s", l.accounts, l.interval), func(b *testing.B) {
			benchmarkReplicas(b, l.accounts, l.tickets, l.interval)
		})
	}
}

func benchmarkReplicas(b *testing.B, connectors, perConnector int, interval time.Duration) {
	const (
		ttl    = 2 * time.Second
		secret = zendesktest.TestSigningSecret
	)
	total := connectors * perConnector
	for range b.N {
		b.StopTimer()
		first := openDB(b, sqlstore.Postgres)
		prefix := uniquePrefix(b, first, sqlstore.Postgres)
		ctx := context.Background()
		fakes := make([]*zendesktest.Server, connectors)
		platforms := make([]*platform, connectors)
		seeded := make([][]int64, connectors)
		for i := range fakes {
			f := zendesktest.NewServer(b, &zendesktest.Options{RateLimit: -1, ExportRateLimit: -1})
			f.SetNow(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
			for _, t := range f.Seed(perConnector) {
				seeded[i] = append(seeded[i], t.ID)
			}
			fakes[i] = f
			platforms[i] = &platform{id: fmt.Sprintf("zd-%03d", i)}
		}
		var killed atomic.Int64
		taken := make([]atomic.Int64, connectors)
		type replica struct {
			db     *sql.DB
			store  *killableStore
			syncer *ticketsync.Syncer
			hook   *httptest.Server
			cancel context.CancelFunc
			done   chan error
		}
		replicas := make([]*replica, 3)
		for r := range replicas {
			db := first
			if r > 0 {
				db = openDB(b, sqlstore.Postgres)
			}
			s, err := sqlstore.New(ctx, db, &sqlstore.Options{TablePrefix: prefix})
			if err != nil {
				b.Fatal(err)
			}
			ks := &killableStore{Store: s}
			syncer := ticketsync.NewSyncer(ks, &ticketsync.Options{Interval: interval, LeaseTTL: ttl, Holder: fmt.Sprintf("replica-%d", r)})
			for i, f := range fakes {
				c, err := zendesk.New(zendesk.Config{BaseURL: f.URL, Subdomain: f.Subdomain, Email: f.Email, APIToken: f.Token,
					RequestsPerMinute: -1, ExportRequestsPerMinute: -1, WebhookSecret: secret, Now: f.Now})
				if err != nil {
					b.Fatal(err)
				}
				cz := &countedZendesk{Connector: c, p: platforms[i], r: r, killed: &killed, taken: &taken[i]}
				if err := syncer.Add(platforms[i].id, cz, ticketsync.ModeBoth); err != nil {
					b.Fatal(err)
				}
			}
			rep := &replica{db: db, store: ks, syncer: syncer, hook: httptest.NewServer(syncer.WebhookHandler()), done: make(chan error, 1)}
			b.Cleanup(rep.hook.Close)
			replicas[r] = rep
		}
		var maxConns, maxPool int
		sample := func() {
			var n int
			if err := first.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()`).Scan(&n); err == nil {
				maxConns = max(maxConns, n)
			}
			for _, rep := range replicas {
				maxPool = max(maxPool, rep.db.Stats().OpenConnections)
			}
		}
		stored := func() int {
			var n int
			if err := first.QueryRowContext(ctx, `SELECT count(*) FROM `+prefix+`tickets`).Scan(&n); err != nil {
				b.Fatal(err)
			}
			return n
		}

		b.StartTimer()
		start := time.Now()
		for _, rep := range replicas {
			rctx, cancel := context.WithCancel(ctx)
			rep.cancel = cancel
			go func() { rep.done <- rep.syncer.Run(rctx) }()
		}
		// Webhooks: status changes of seeded tickets, each to a live
		// replica, from two senders.
		var live atomic.Int32
		live.Store(3)
		// Senders hold sending while they choose a replica and post, so
		// that none posts to replica 2 as it dies.
		var sending sync.RWMutex
		var hooksOK, hooksBad atomic.Int64
		stop := make(chan struct{})
		var senders sync.WaitGroup
		for w := range 2 {
			senders.Add(1)
			go func() {
				defer senders.Done()
				rnd := rand.New(rand.NewPCG(uint64(w), 7))
				for {
					select {
					case <-stop:
						return
					default:
					}
					i := rnd.IntN(connectors)
					body, err := fakes[i].EventPayload("ticket.status_changed", seeded[i][rnd.IntN(perConnector)])
					if err != nil {
						hooksBad.Add(1)
						continue
					}
					sending.RLock()
					rep := replicas[rnd.IntN(int(live.Load()))]
					req, err := fakes[i].SignedWebhook(rep.hook.URL+"/?connectorId="+platforms[i].id, secret, body)
					if err != nil {
						sending.RUnlock()
						hooksBad.Add(1)
						continue
					}
					resp, err := http.DefaultClient.Do(req)
					sending.RUnlock()
					if err != nil {
						hooksBad.Add(1)
						continue
					}
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						hooksOK.Add(1)
					} else {
						hooksBad.Add(1)
					}
				}
			}()
		}
		for stored() < total/3 {
			sample()
			time.Sleep(50 * time.Millisecond)
		}
		// How far behind the survivors are: the most overdue connector
		// waiting in their queues.
		var lag time.Duration
		now := time.Now()
		for _, rep := range replicas[:2] {
			for _, c := range rep.syncer.Connectors() {
				if !c.Running && !c.NextRun.IsZero() {
					lag = max(lag, now.Sub(c.NextRun))
				}
			}
		}
		// Replica 2 dies: no more webhooks to it, its database calls fail,
		// so it can neither renew nor release the leases it holds, and its
		// runs end.
		sending.Lock()
		live.Store(2)
		sending.Unlock()
		died := time.Now()
		killed.Store(died.UnixNano())
		dead := replicas[2]
		dead.store.dead.Store(true)
		dead.cancel()
		<-dead.done
		// The leases it left, and when each expires: by the database's
		// clock, read as the time left from now.
		rows, err := first.QueryContext(ctx, `SELECT connector_id, extract(epoch FROM expires_at - clock_timestamp())::float8
			FROM `+prefix+`leases WHERE holder = 'replica-2' AND expires_at > clock_timestamp()`)
		if err != nil {
			b.Fatal(err)
		}
		queried := time.Now()
		held := map[int]time.Time{} // account index: its lease's expiry
		for rows.Next() {
			var id string
			var left float64
			if err := rows.Scan(&id, &left); err != nil {
				b.Fatal(err)
			}
			var i int
			if _, err := fmt.Sscanf(id, "zd-%d", &i); err != nil {
				b.Fatal(err)
			}
			held[i] = queried.Add(time.Duration(left * float64(time.Second)))
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		allTaken := func() bool {
			for i := range held {
				if taken[i].Load() == 0 {
					return false
				}
			}
			return true
		}
		for stored() < total || !allTaken() {
			sample()
			if time.Since(start) > 5*time.Minute {
				b.Fatalf("after 5 minutes %d of %d tickets stored, not all of %d connectors taken over", stored(), total, len(held))
			}
			time.Sleep(20 * time.Millisecond)
		}
		elapsed := time.Since(start)
		close(stop)
		senders.Wait()
		b.StopTimer()
		for _, rep := range replicas[:2] {
			rep.cancel()
			if err := <-rep.done; err != nil {
				b.Fatal(err)
			}
		}
		overlaps, fetches := 0, 0
		for _, p := range platforms {
			overlaps += int(p.overlaps.Load())
			for r := range p.fetches {
				fetches += int(p.fetches[r].Load())
			}
		}
		if overlaps > 0 {
			b.Fatalf("%d Fetch calls overlapped another replica's on the same account", overlaps)
		}
		if n := stored(); n != total {
			b.Fatalf("%d tickets stored, want %d", n, total)
		}
		if n := hooksBad.Load(); n > 0 {
			b.Fatalf("%d webhooks not answered 200 (%d were)", n, hooksOK.Load())
		}
		var comments int
		if err := first.QueryRowContext(ctx, `SELECT count(*) FROM `+prefix+`comments`).Scan(&comments); err != nil {
			b.Fatal(err)
		}
		var handover, afterExpiry time.Duration
		for i, expiry := range held {
			at := time.Unix(0, taken[i].Load())
			handover = max(handover, at.Sub(died))
			afterExpiry = max(afterExpiry, at.Sub(expiry))
		}
		b.ReportMetric(float64(total)/elapsed.Seconds(), "tickets/s")
		b.ReportMetric(float64(comments)/float64(total), "comments/ticket")
		b.ReportMetric(float64(len(held)), "leases-taken-over")
		b.ReportMetric(handover.Seconds(), "handover-s")
		b.ReportMetric(afterExpiry.Seconds(), "after-expiry-s")
		b.ReportMetric(lag.Seconds(), "lag-s")
		b.ReportMetric(float64(fetches)/float64(connectors), "fetches/account")
		b.ReportMetric(float64(hooksOK.Load())/elapsed.Seconds(), "webhooks/s")
		b.ReportMetric(float64(maxConns), "max-db-conns")
		b.ReportMetric(float64(maxPool), "max-pool-conns")
	}
}
