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
// it at once.
type countedZendesk struct {
	*zendesk.Connector
	p *platform
	r int
}

func (c *countedZendesk) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	if c.p.inflight.Add(1) > 1 {
		c.p.overlaps.Add(1)
	}
	defer c.p.inflight.Add(-1)
	c.p.fetches[c.r].Add(1)
	return c.Connector.Fetch(ctx, cursor)
}

// BenchmarkReplicas runs three Syncer replicas, each with its own
// connection pool as three processes would have, over one PostgreSQL
// database: 300 Zendesk connectors on zendesktest fakes (50 tickets with
// 1 to 4 comments each per account, a first sync) polled in ModeBoth while
// webhooks arrive at the live replicas. When a third of the tickets is
// stored, replica 2 dies holding leases. It reports tickets stored per
// second end to end, the hand-over time of the dead replica's connectors
// (from its death to the first Fetch of each by another replica; the
// lease TTL is 2 s), webhooks answered per second, and the most
// connections the database saw. It fails if a ticket is lost, if two
// replicas poll one account at once, or if a webhook is refused.
func BenchmarkReplicas(b *testing.B) {
	const (
		connectors   = 300
		perConnector = 50
		ttl          = 2 * time.Second
		interval     = 500 * time.Millisecond
		secret       = zendesktest.TestSigningSecret
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
				if err := syncer.Add(platforms[i].id, &countedZendesk{Connector: c, p: platforms[i], r: r}, ticketsync.ModeBoth); err != nil {
					b.Fatal(err)
				}
			}
			rep := &replica{db: db, store: ks, syncer: syncer, hook: httptest.NewServer(syncer.WebhookHandler()), done: make(chan error, 1)}
			b.Cleanup(rep.hook.Close)
			replicas[r] = rep
		}
		var maxConns atomic.Int64
		sample := func() {
			var n int64
			if err := first.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()`).Scan(&n); err == nil && n > maxConns.Load() {
				maxConns.Store(n)
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
					rep := replicas[rnd.IntN(int(live.Load()))]
					req, err := fakes[i].SignedWebhook(rep.hook.URL+"/?connectorId="+platforms[i].id, secret, body)
					if err != nil {
						hooksBad.Add(1)
						continue
					}
					resp, err := http.DefaultClient.Do(req)
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
		// Replica 2 dies: no more webhooks to it, its database calls fail,
		// so it can neither renew nor release the leases it holds.
		live.Store(2)
		rows, err := first.QueryContext(ctx, `SELECT connector_id FROM `+prefix+`leases WHERE holder = 'replica-2' AND expires_at > now()`)
		if err != nil {
			b.Fatal(err)
		}
		held := map[string]bool{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				b.Fatal(err)
			}
			held[id] = true
		}
		rows.Close()
		dead := replicas[2]
		dead.store.dead.Store(true)
		dead.cancel()
		<-dead.done
		died := time.Now()
		before := map[string]int32{}
		for _, p := range platforms {
			before[p.id] = p.fetches[0].Load() + p.fetches[1].Load()
		}
		var handover time.Duration
		taken := map[string]bool{}
		for stored() < total || len(taken) < len(held) {
			sample()
			for _, p := range platforms {
				if held[p.id] && !taken[p.id] && p.fetches[0].Load()+p.fetches[1].Load() > before[p.id] {
					taken[p.id] = true
					handover = time.Since(died)
				}
			}
			if time.Since(start) > 5*time.Minute {
				b.Fatalf("after 5 minutes %d of %d tickets stored, %d of %d connectors taken over", stored(), total, len(taken), len(held))
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
		overlaps := 0
		for _, p := range platforms {
			overlaps += int(p.overlaps.Load())
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
		b.ReportMetric(float64(total)/elapsed.Seconds(), "tickets/s")
		b.ReportMetric(float64(comments)/float64(total), "comments/ticket")
		b.ReportMetric(handover.Seconds(), "handover-s")
		b.ReportMetric(float64(len(held)), "leases-taken-over")
		b.ReportMetric(float64(hooksOK.Load())/elapsed.Seconds(), "webhooks/s")
		b.ReportMetric(float64(maxConns.Load()), "max-db-conns")
	}
}
