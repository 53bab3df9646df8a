package httpx

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// lowShare is the share of the rate-limit budget under which the pacer
	// slows down: below a fifth remaining.
	lowShare = 5
	// defaultWindow is the time to the reset assumed when a platform sends
	// a remaining count without a reset (Zendesk, Freshdesk: per minute).
	defaultWindow = time.Minute
)

// pacer spaces requests when the platform reports a low budget, on top of
// the configured limiters. Its zero value lets every request through.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration // spacing while slowed; zero when not slowed
	until    time.Time     // when the slowdown ends: the platform's reset
	next     time.Time     // earliest start of the next request
}

// reserve takes the next slot at or after now and returns how long to wait
// for it.
func (p *pacer) reserve(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.interval > 0 && !now.Before(p.until) {
		p.interval, p.until = 0, time.Time{}
	}
	slot := now
	if p.next.After(now) {
		slot = p.next
	}
	if p.interval > 0 {
		p.next = slot.Add(p.interval)
	}
	return slot.Sub(now)
}

// hold makes every request wait until t (a 429's wait).
func (p *pacer) hold(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.After(p.next) {
		p.next = t
	}
}

// slow spreads remaining calls evenly until reset, or holds every request
// until reset when none remain.
func (p *pacer) slow(now time.Time, remaining int64, reset time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if remaining <= 0 {
		p.interval, p.until = 0, time.Time{}
		if reset.After(p.next) {
			p.next = reset
		}
		return reset.Sub(now)
	}
	p.interval = reset.Sub(now) / time.Duration(remaining)
	p.until = reset
	return p.interval
}

// resume returns to the configured rate; a hold stays.
func (p *pacer) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.interval, p.until = 0, time.Time{}
}

// budget is what one family of rate-limit headers says.
type budget struct {
	remaining, limit int64
	reset            time.Time
	assumed          bool // reset is defaultWindow away: the platform did not say
}

// low reports whether less than a fifth of the budget remains; with no
// limit given, whether nothing remains.
func (b budget) low() bool {
	if b.limit > 0 {
		return b.remaining*lowShare < b.limit
	}
	return b.remaining <= 0
}

// tighter reports whether b leaves fewer calls per second than o.
func (b budget) tighter(o budget, now time.Time) bool {
	// remaining/(reset-now) < o.remaining/(o.reset-now), cross-multiplied.
	return float64(b.remaining)*float64(o.reset.Sub(now)) < float64(o.remaining)*float64(b.reset.Sub(now))
}

// budgets reads the rate-limit headers the platforms send.
func budgets(h http.Header, now time.Time) []budget {
	var out []budget
	// A zero reset means the platform did not say: defaultWindow. A reset
	// already past means the counts are stale: ignored.
	add := func(remaining, limit string, reset time.Time) {
		r, err := strconv.ParseInt(strings.TrimSpace(remaining), 10, 64)
		if remaining == "" || err != nil {
			return
		}
		l, _ := strconv.ParseInt(strings.TrimSpace(limit), 10, 64)
		assumed := false
		switch {
		case reset.IsZero():
			reset, assumed = now.Add(defaultWindow), true
		case !reset.After(now):
			return
		}
		out = append(out, budget{remaining: max(r, 0), limit: l, reset: reset, assumed: assumed})
	}
	// Zendesk, account-wide per minute.
	add(h.Get("X-Rate-Limit-Remaining"), h.Get("X-Rate-Limit"), time.Time{})
	// IETF draft, Zendesk list endpoints: reset in seconds.
	var reset time.Time
	if n, ok := parseCount(h.Get("RateLimit-Reset")); ok {
		reset = now.Add(max(times(n, time.Second), time.Nanosecond))
	}
	add(h.Get("RateLimit-Remaining"), h.Get("RateLimit-Limit"), reset)
	// Freshdesk (Total, per minute), Intercom (reset in unix seconds), Jira
	// (reset as an ISO time).
	limit := h.Get("X-RateLimit-Limit")
	if limit == "" {
		limit = h.Get("X-RateLimit-Total")
	}
	reset, _ = parseReset(h.Get("X-RateLimit-Reset"), now)
	add(h.Get("X-RateLimit-Remaining"), limit, reset)
	// HubSpot: a rolling window of Interval-Milliseconds.
	reset = time.Time{}
	if n, ok := parseCount(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds")); ok && n > 0 {
		reset = now.Add(times(n, time.Millisecond))
	}
	add(h.Get("X-HubSpot-RateLimit-Remaining"), h.Get("X-HubSpot-RateLimit-Max"), reset)
	// A platform that sends the same budget twice, once with its reset
	// (Zendesk's ratelimit-* beside X-Rate-Limit), is believed about the
	// reset: a guessed window would hold requests for up to a minute.
	if slices.ContainsFunc(out, func(b budget) bool { return !b.assumed }) {
		out = slices.DeleteFunc(out, func(b budget) bool { return b.assumed })
	}
	return out
}

// observe adjusts the pacer to the budget resp reports: slowed to the
// tightest low budget, or back to the configured rate when every budget it
// reports is healthy.
func (c *Client) observe(ctx context.Context, resp *http.Response) {
	now := c.now()
	bs := budgets(resp.Header, now)
	if len(bs) == 0 {
		return
	}
	// A server-stated wait is capped like a 429's: a reset in unix
	// milliseconds, a skewed clock or a hostile header must not stall the
	// connector for years.
	for i := range bs {
		if bs[i].reset.Sub(now) > c.maxRetryWait {
			bs[i].reset = now.Add(c.maxRetryWait)
		}
	}
	var tight *budget
	for i := range bs {
		if bs[i].low() && (tight == nil || bs[i].tighter(*tight, now)) {
			tight = &bs[i]
		}
	}
	if tight == nil {
		c.pacer.resume()
		return
	}
	d := c.pacer.slow(now, tight.remaining, tight.reset)
	c.log.LogAttrs(ctx, slog.LevelDebug, "httpx: slowing down",
		slog.String("platform", c.platform),
		slog.Int64("remaining", tight.remaining),
		slog.Int64("limit", tight.limit),
		slog.Duration("reset_in", tight.reset.Sub(now)),
		slog.Duration("spacing", d))
}
