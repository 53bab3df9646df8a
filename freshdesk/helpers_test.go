package freshdesk_test

import (
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/freshdesk/freshdesktest"
)

// t0 is the fake's frozen clock in the tests.
var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// newFake starts a fake account at t0 without rate limits, unless opts say
// otherwise.
func newFake(tb testing.TB, opts *freshdesktest.Options) *freshdesktest.Server {
	tb.Helper()
	var o freshdesktest.Options
	if opts != nil {
		o = *opts
	}
	if o.RateLimit == 0 {
		o.RateLimit = -1
	}
	if o.ListRateLimit == 0 {
		o.ListRateLimit = -1
	}
	f := freshdesktest.NewServer(tb, &o)
	f.SetNow(t0)
	return f
}

// statusCount counts the fake's answers with status code.
func statusCount(f *freshdesktest.Server, code int) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Status == code {
			n++
		}
	}
	return n
}
