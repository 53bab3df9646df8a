package httpx

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestConfiguredLimiterSpacesRequests(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, reply(200, userJSON))
	c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.Limiter = rate.NewLimiter(rate.Every(time.Second), 1) })
	for i := 0; i < 3; i++ {
		if _, err := c.GetJSON(context.Background(), "users/me.json", nil, &user{}); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{time.Second, time.Second}
	if s := clock.Sleeps(); !equalDurations(s, want) {
		t.Errorf("waits %v, want %v", s, want)
	}
}

func TestExtraLimiterPerCall(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, reply(200, userJSON))
	// 10 a minute for the export besides a plan limit of 400 a minute.
	export := rate.NewLimiter(rate.Every(6*time.Second), 1)
	c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.Limiter = rate.NewLimiter(rate.Every(150*time.Millisecond), 1) })
	get := func(opts ...RequestOption) {
		t.Helper()
		if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}, opts...); err != nil {
			t.Fatal(err)
		}
	}
	get(WithLimiter(export))
	get(WithLimiter(export)) // the plan limiter's 150ms, then the rest of the export's 6s
	get()                    // the plan limiter has refilled by now
	get()                    // the plan limiter's 150ms only: the export's budget is not consulted
	want := []time.Duration{150 * time.Millisecond, 6*time.Second - 150*time.Millisecond, 150 * time.Millisecond}
	if s := clock.Sleeps(); !equalDurations(s, want) {
		t.Errorf("waits %v, want %v", s, want)
	}
}

func TestLimiterWaitsBeforeEachRetry(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, reply(503, `{}`, "Retry-After", "1"), reply(200, userJSON))
	c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.Limiter = rate.NewLimiter(rate.Every(5*time.Second), 1) })
	if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err != nil {
		t.Fatal(err)
	}
	// Retry-After 1s, then the limiter's remaining 4s: a retry spends quota too.
	want := []time.Duration{time.Second, 4 * time.Second}
	if s := clock.Sleeps(); !equalDurations(s, want) {
		t.Errorf("waits %v, want %v", s, want)
	}
}

func TestLimiterWaitEndsWithContext(t *testing.T) {
	clock := newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	clock.onSleep = func(time.Duration) { cancel() }
	srv := newServer(t, reply(200, userJSON))
	lim := rate.NewLimiter(rate.Every(time.Minute), 1)
	c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.Limiter = lim })
	if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetJSON(ctx, "x.json", nil, &user{})
	if !errors.Is(err, context.Canceled) || srv.Hits() != 1 {
		t.Fatalf("error %v after %d requests; want an error and 1 request", err, srv.Hits())
	}
	// The canceled wait gave its reservation back.
	if d := lim.ReserveN(clock.Now().Add(time.Minute), 1).DelayFrom(clock.Now().Add(time.Minute)); d != 0 {
		t.Errorf("a canceled wait kept its reservation: next delay %s", d)
	}
}

// TestAdaptiveThrottle checks the pacer against each platform's headers:
// spread the remaining calls until the reset, and return to the configured
// rate after it.
func TestAdaptiveThrottle(t *testing.T) {
	clock := newFakeClock()
	now := clock.Now()
	cases := []struct {
		name    string
		header  []string
		spacing time.Duration // between requests while slowed; 0 when held
		held    time.Duration // the first wait when nothing remains
		resetIn time.Duration // when the slowdown ends
	}{
		{"zendesk", []string{"X-Rate-Limit", "700", "X-Rate-Limit-Remaining", "10"}, 6 * time.Second, 0, time.Minute},
		{"zendesk ratelimit-*", []string{"ratelimit-limit", "100", "ratelimit-remaining", "5", "ratelimit-reset", "20"}, 4 * time.Second, 0, 20 * time.Second},
		{"freshdesk", []string{"X-RateLimit-Total", "200", "X-RateLimit-Remaining", "30"}, 2 * time.Second, 0, time.Minute},
		{"intercom", []string{"X-RateLimit-Limit", "1000", "X-RateLimit-Remaining", "5", "X-RateLimit-Reset", strconv.FormatInt(now.Add(10*time.Second).Unix(), 10)}, 2 * time.Second, 0, 10 * time.Second},
		{"hubspot", []string{"X-HubSpot-RateLimit-Max", "100", "X-HubSpot-RateLimit-Remaining", "4", "X-HubSpot-RateLimit-Interval-Milliseconds", "10000"}, 2500 * time.Millisecond, 0, 10 * time.Second},
		{"none left", []string{"X-RateLimit-Limit", "1000", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(now.Add(30*time.Second).Unix(), 10)}, 0, 30 * time.Second, 30 * time.Second},
		{"tightest of two", []string{"X-Rate-Limit", "700", "X-Rate-Limit-Remaining", "600", "ratelimit-limit", "100", "ratelimit-remaining", "2", "ratelimit-reset", "10"}, 5 * time.Second, 0, 10 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			srv := newServer(t, reply(200, userJSON, tc.header...))
			c := newClient(t, srv.URL, clock, nil)
			get := func() {
				t.Helper()
				if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err != nil {
					t.Fatal(err)
				}
			}
			get() // learns the budget
			get()
			get()
			get()
			var want []time.Duration
			if tc.held > 0 {
				want = []time.Duration{tc.held}
			} else {
				want = []time.Duration{tc.spacing, tc.spacing}
			}
			if s := clock.Sleeps(); !equalDurations(s, want) {
				t.Errorf("waits %v, want %v", s, want)
			}
			// Past the reset the configured rate (here unlimited) is back,
			// until the next response reports a low budget again.
			clock.Advance(tc.resetIn)
			n := len(clock.Sleeps())
			srv.SetHandlers(reply(200, userJSON))
			get()
			get()
			if s := clock.Sleeps()[n:]; len(s) != 0 {
				t.Errorf("waits %v after the reset, want none", s)
			}
		})
	}
}

// TestStatedResetBeatsAssumedWindow: Zendesk sends X-Rate-Limit-Remaining
// without a reset beside ratelimit-remaining with one. With none left, the
// client waits for the stated reset, not for the minute it would assume.
func TestStatedResetBeatsAssumedWindow(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t,
		reply(200, userJSON, "X-Rate-Limit", "700", "X-Rate-Limit-Remaining", "0",
			"ratelimit-limit", "700", "ratelimit-remaining", "0", "ratelimit-reset", "2"),
		reply(200, userJSON))
	c := newClient(t, srv.URL, clock, nil)
	for range 2 {
		if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err != nil {
			t.Fatal(err)
		}
	}
	if s := clock.Sleeps(); !equalDurations(s, []time.Duration{2 * time.Second}) {
		t.Errorf("waits %v, want [2s]", s)
	}
}

func TestThrottleRecoversOnHealthyBudget(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t,
		reply(200, userJSON, "X-Rate-Limit", "100", "X-Rate-Limit-Remaining", "3"),
		reply(200, userJSON, "X-Rate-Limit", "100", "X-Rate-Limit-Remaining", "90"))
	c := newClient(t, srv.URL, clock, nil)
	for i := 0; i < 4; i++ {
		if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err != nil {
			t.Fatal(err)
		}
	}
	// Only the second request is paced (20s): its answer shows 90 left.
	want := []time.Duration{20 * time.Second}
	if s := clock.Sleeps(); !equalDurations(s, want) {
		t.Errorf("waits %v, want %v", s, want)
	}
}

func TestHealthyBudgetDoesNotSlow(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, reply(200, userJSON, "X-Rate-Limit", "700", "X-Rate-Limit-Remaining", "200"))
	c := newClient(t, srv.URL, clock, nil)
	for i := 0; i < 5; i++ {
		if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err != nil {
			t.Fatal(err)
		}
	}
	if s := clock.Sleeps(); len(s) != 0 {
		t.Errorf("waits %v, want none", s)
	}
}

func Test429HoldsOtherRequests(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, reply(429, `{}`, "Retry-After", "7"), reply(200, userJSON))
	c := newClient(t, srv.URL, clock, nil)
	// While the first request waits out its 429, a second one starts: it
	// must wait for the same 7s rather than run into another 429.
	// Both requests run on this goroutine: the hook runs the second one
	// inside the first one's wait.
	started := false
	var otherErr error
	clock.onSleep = func(time.Duration) {
		if !started {
			started = true
			_, otherErr = c.GetJSON(context.Background(), "y.json", nil, &user{})
		}
	}
	if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err != nil {
		t.Fatal(err)
	}
	if otherErr != nil {
		t.Fatal(otherErr)
	}
	want := []time.Duration{7 * time.Second, 7 * time.Second} // the second request's, then the first's
	if s := clock.Sleeps(); !equalDurations(s, want) {
		t.Errorf("waits %v, want %v", s, want)
	}
}

func TestLongRetryAfterDoesNotHold(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, reply(429, `{}`, "Retry-After", "3600"), reply(200, userJSON))
	c := newClient(t, srv.URL, clock, nil)
	if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err == nil {
		t.Fatal("no error")
	}
	// Not retried, so not held: the engine decides when to come back.
	if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err != nil {
		t.Fatal(err)
	}
	if s := clock.Sleeps(); len(s) != 0 {
		t.Errorf("waits %v, want none", s)
	}
}

// TestExhausted429StillHolds checks that a 429 whose retries ran out still
// holds the Client's next request for the wait the platform asked for.
func TestExhausted429StillHolds(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, reply(429, `{}`, "Retry-After", "5"), reply(200, userJSON))
	c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.MaxRetries = -1 })
	if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err == nil {
		t.Fatal("no error")
	}
	if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err != nil {
		t.Fatal(err)
	}
	if s := clock.Sleeps(); !equalDurations(s, []time.Duration{5 * time.Second}) {
		t.Errorf("waits %v, want [5s]", s)
	}
}

func TestPacerHold(t *testing.T) {
	var p pacer
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	p.hold(now.Add(7 * time.Second))
	if d := p.reserve(now); d != 7*time.Second {
		t.Errorf("first wait %s, want 7s", d)
	}
	if d := p.reserve(now.Add(time.Second)); d != 6*time.Second {
		t.Errorf("second wait %s, want 6s", d)
	}
	if d := p.reserve(now.Add(8 * time.Second)); d != 0 {
		t.Errorf("wait after the hold %s, want 0", d)
	}
}

func TestConcurrentRequestsShareThePacer(t *testing.T) {
	clock := newFakeClock()
	clock.frozen = true
	srv := newServer(t, reply(200, userJSON, "X-Rate-Limit", "100", "X-Rate-Limit-Remaining", "6"))
	c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.Limiter = rate.NewLimiter(rate.Inf, 1) })
	if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.GetJSON(context.Background(), "x.json", nil, &user{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if srv.Hits() != 9 {
		t.Errorf("server got %d requests, want 9", srv.Hits())
	}
	// 6 of 100 a minute left: one request every 10s. With the time frozen,
	// the 8 requests take the slots 0s, 10s, ... 70s, each its own.
	got := map[time.Duration]bool{}
	for _, d := range clock.Sleeps() {
		got[d] = true
	}
	for i := 1; i < 8; i++ {
		if d := time.Duration(i) * 10 * time.Second; !got[d] {
			t.Errorf("no request waited %s; waits %v", d, clock.Sleeps())
		}
	}
	if len(clock.Sleeps()) != 7 {
		t.Errorf("waits %v, want 7", clock.Sleeps())
	}
}
