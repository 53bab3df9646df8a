package zendesk_test

import (
	"context"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// t0 is the fake's frozen clock in the tests.
var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// newFake starts a fake account at t0 without rate limits, unless opts say
// otherwise.
func newFake(t testing.TB, opts *zendesktest.Options) *zendesktest.Server {
	t.Helper()
	var o zendesktest.Options
	if opts != nil {
		o = *opts
	}
	if o.RateLimit == 0 {
		o.RateLimit = -1
	}
	if o.ExportRateLimit == 0 {
		o.ExportRateLimit = -1
	}
	f := zendesktest.NewServer(t, &o)
	f.SetNow(t0)
	return f
}

// newConn returns a connector for f with the fake's credentials and no
// client-side limits; edit adjusts the Config.
func newConn(t testing.TB, f *zendesktest.Server, edit func(*zendesk.Config)) *zendesk.Connector {
	t.Helper()
	cfg := zendesk.Config{
		BaseURL:                 f.URL,
		Subdomain:               f.Subdomain,
		Email:                   f.Email,
		APIToken:                f.Token,
		RequestsPerMinute:       -1,
		ExportRequestsPerMinute: -1,
		WebhookSecret:           "webhook-secret-for-tests",
		Now:                     f.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := zendesk.NewWithSleep(cfg, f.Sleep)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// syncAll runs one poll through a Syncer into store and returns the run.
func syncAll(t testing.TB, c ticketsync.Connector, store *memstore.Store) ticketsync.SyncRun {
	t.Helper()
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add("zd", c, ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}
	run, err := s.SyncNow(context.Background(), "zd")
	if err != nil {
		t.Fatalf("SyncNow: %v (run %+v)", err, run)
	}
	return run
}
