package freshdesk_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/freshdesk"
	"github.com/ticketsync/ticketsync/freshdesk/freshdesktest"
	"github.com/ticketsync/ticketsync/memstore"
)

// BenchmarkSync1000Tickets counts the requests and credits of a first sync
// of 1,000 tickets with 1 to 3 conversations each, against the API's
// minimum: one list page per 100 tickets and, as Freshdesk has no bulk
// conversations endpoint, one conversations request per ticket.
func BenchmarkSync1000Tickets(b *testing.B) {
	const n = 1000
	f := newFake(b, nil)
	f.AddStatus("Waiting on Customer", "")
	f.GenerateTickets(n, nil)
	var requests, list, conv, credits int
	for b.Loop() {
		f.ResetRequests()
		store := memstore.New()
		syncAll(b, connector(b, f, nil), store, "")
		if got := store.Len("fd"); got != n {
			b.Fatalf("stored %d tickets, want %d", got, n)
		}
		requests, list, conv, credits = 0, 0, 0, 0
		for _, r := range f.Requests() {
			requests++
			credits += r.Credits
			switch {
			case r.Path == "/api/v2/tickets":
				list++
			case len(r.Path) > len("/conversations") && r.Path[len(r.Path)-len("/conversations"):] == "/conversations":
				conv++
			}
		}
	}
	per := func(x int) float64 { return float64(x) * 1000 / n }
	b.ReportMetric(per(requests), "requests/1000tickets")
	b.ReportMetric(per(list), "list-requests/1000tickets")
	b.ReportMetric(per(conv), "conversation-requests/1000tickets")
	b.ReportMetric(per(credits), "credits/1000tickets")
	b.ReportMetric(1000/100+1000, "min-requests/1000tickets")
}

// TestSyncStaysUnderEnforcedLimits syncs 1,000 tickets against the fake
// enforcing the Growth plan's limits (200 credits and 20 list requests a
// window), scaled to a one-second window, with the connector configured
// for the same limits: no request may be answered 429.
func TestSyncStaysUnderEnforcedLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("several seconds")
	}
	f := freshdesktest.NewServer(t, &freshdesktest.Options{Plan: freshdesktest.PlanGrowth, RateWindow: time.Second})
	f.GenerateTickets(1000, nil)
	perWindow := 60 // a minute's budget spent in a one-second window
	c := connector(t, f, &freshdesk.Config{Subdomain: f.Domain,
		RequestsPerMinute: 200 * perWindow, ListRequestsPerMinute: 20 * perWindow})
	store := memstore.New()
	start := time.Now()
	syncAll(t, c, store, "")
	elapsed := time.Since(start)
	expectEqual(t, f, store)
	if n := f.StatusCount(http.StatusTooManyRequests); n > 0 {
		t.Errorf("%d requests were answered 429 under the enforced limits", n)
	}
	credits := 0
	for _, r := range f.Requests() {
		credits += r.Credits
	}
	t.Logf("%d requests, %d credits in %s: %.0f credits per one-second window of 200",
		len(f.Requests()), credits, elapsed.Round(time.Millisecond), float64(credits)/elapsed.Seconds())
}
