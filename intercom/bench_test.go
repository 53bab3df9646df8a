package intercom_test

import (
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/intercom"
	"github.com/ticketsync/ticketsync/intercom/intercomtest"
	"github.com/ticketsync/ticketsync/memstore"
)

// BenchmarkSync1000Conversations runs a first sync of 1,000 conversations
// of 6 parts each through a Syncer into a memstore, with a new connector
// (empty caches) each time, and reports the requests it took against the
// API's minimum: the searches (150 results a page) plus one read by id per
// conversation, since search results carry no parts.
func BenchmarkSync1000Conversations(b *testing.B) {
	const n = 1000
	fake := intercomtest.NewServer(b, &intercomtest.Options{RateLimit: -1})
	if _, _, err := fake.Seed(n, 0, 6); err != nil {
		b.Fatal(err)
	}
	fake.Advance(time.Hour) // an established workspace: its contacts are indexed
	minimum := float64((n+intercom.PageSize-1)/intercom.PageSize + n)
	var requests int
	b.ReportAllocs()
	for b.Loop() {
		c, err := intercom.New(intercom.Config{AccessToken: fake.Token(), BaseURL: fake.URL, HTTPClient: fake.Client(), RequestsPerMinute: -1})
		if err != nil {
			b.Fatal(err)
		}
		fake.ResetRequests()
		store := memstore.New()
		run := syncAllB(b, c, store)
		if run.Tickets != n {
			b.Fatalf("stored %d tickets, want %d", run.Tickets, n)
		}
		requests = len(fake.Requests())
	}
	b.ReportMetric(float64(requests), "requests/1000conv")
	b.ReportMetric(minimum, "minimum/1000conv")
	b.ReportMetric(float64(requests)/minimum, "x-minimum")
}
