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
			credits += freshdesktest.Credits(r)
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
// minute), with the connector configured for the same plan and waiting on
// the fake's clock: no request may be answered 429.
func TestSyncStaysUnderEnforcedLimits(t *testing.T) {
	f := freshdesktest.NewServer(t, &freshdesktest.Options{Plan: freshdesktest.PlanGrowth})
	f.GenerateTickets(1000, nil)
	c := connector(t, f, &freshdesk.Config{Domain: f.Domain})
	store := memstore.New()
	start := f.Now()
	syncAll(t, c, store, "")
	elapsed := f.Now().Sub(start)
	expectEqual(t, f, store)
	if n := statusCount(f, http.StatusTooManyRequests); n > 0 {
		t.Errorf("%d requests were answered 429 under the enforced limits", n)
	}
	credits := 0
	for _, r := range f.Requests() {
		credits += freshdesktest.Credits(r)
	}
	perMinute := float64(credits) / elapsed.Minutes()
	t.Logf("%d requests, %d credits in %s on the fake's clock: %.0f credits a minute of 200",
		len(f.Requests()), credits, elapsed.Round(time.Second), perMinute)
	if perMinute > 200 || perMinute < 150 {
		t.Errorf("the sync spent %.0f credits a minute; want under the plan's 200 and not far under it", perMinute)
	}
}
