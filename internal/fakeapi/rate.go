package fakeapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// ResetStyle is how a rate-limit reset header states the window's end.
type ResetStyle int

const (
	// ResetSeconds is the seconds until the window ends (Zendesk's
	// ratelimit-reset, HubSpot's interval headers).
	ResetSeconds ResetStyle = iota
	// ResetUnix is the window's end in unix seconds (Intercom's
	// X-RateLimit-Reset).
	ResetUnix
	// ResetISO is the window's end as "2006-01-02T15:04Z" (Jira's
	// X-RateLimit-Reset).
	ResetISO
)

// RateHeaders names the headers a platform sends about its rate limit; an
// empty name is not sent.
type RateHeaders struct {
	Limit     string // "X-RateLimit-Limit", "X-Rate-Limit", "X-RateLimit-Total"
	Remaining string // "X-RateLimit-Remaining"
	Reset     string // "X-RateLimit-Reset"
	// ResetStyle is how Reset is written.
	ResetStyle ResetStyle
	// RetryAfter sends Retry-After, in whole seconds rounded up, on a
	// refusal (Zendesk, Freshdesk, Jira; Intercom documents none).
	RetryAfter bool
	// OnRefusalOnly sends the headers only with a 429.
	OnRefusalOnly bool
}

// RateWindow allows Limit requests per fixed window of Length, aligned on
// the clock (a minute window resets at each whole minute). It is safe for
// concurrent use.
type RateWindow struct {
	Limit   int
	Length  time.Duration
	Headers RateHeaders

	mu    sync.Mutex
	start time.Time
	used  int
}

// NewRateWindow returns a window of limit requests per length; a limit
// below zero is unlimited.
func NewRateWindow(limit int, length time.Duration, h RateHeaders) *RateWindow {
	return &RateWindow{Limit: limit, Length: length, Headers: h}
}

// Take counts one request at now. It reports whether the request is
// allowed, the requests left in the window, and when the window ends.
func (w *RateWindow) Take(now time.Time) (ok bool, remaining int, reset time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.Limit < 0 || w.Length <= 0 {
		return true, math.MaxInt, now
	}
	if now.Before(w.start) || !now.Before(w.start.Add(w.Length)) {
		w.start, w.used = now.Truncate(w.Length), 0
	}
	reset = w.start.Add(w.Length)
	if w.used >= w.Limit {
		return false, 0, reset
	}
	w.used++
	return true, w.Limit - w.used, reset
}

// Allow takes one request at now and writes the window's headers into h.
// When it reports false the caller answers 429 in the platform's words,
// with h as it is (Retry-After set when Headers.RetryAfter).
func (w *RateWindow) Allow(h http.Header, now time.Time) bool {
	ok, remaining, reset := w.Take(now)
	if w.Limit < 0 {
		return true
	}
	hd := w.Headers
	if ok && hd.OnRefusalOnly {
		return true
	}
	if hd.Limit != "" {
		h.Set(hd.Limit, strconv.Itoa(w.Limit))
	}
	if hd.Remaining != "" {
		h.Set(hd.Remaining, strconv.Itoa(remaining))
	}
	if hd.Reset != "" {
		switch hd.ResetStyle {
		case ResetUnix:
			h.Set(hd.Reset, strconv.FormatInt(reset.Unix(), 10))
		case ResetISO:
			h.Set(hd.Reset, reset.UTC().Format("2006-01-02T15:04Z"))
		default:
			h.Set(hd.Reset, strconv.Itoa(RetryAfterSeconds(reset.Sub(now))))
		}
	}
	if !ok && hd.RetryAfter {
		h.Set("Retry-After", strconv.Itoa(RetryAfterSeconds(reset.Sub(now))))
	}
	return ok
}

// Guard takes one request at now, writes the window's headers, and when
// the window is spent answers 429 with body (the platform's JSON, or a
// generic one when nil) and reports false: the handler returns at once.
func (w *RateWindow) Guard(rw http.ResponseWriter, now time.Time, body []byte) bool {
	if w.Allow(rw.Header(), now) {
		return true
	}
	if body == nil {
		body = []byte(`{"error":"Too Many Requests"}`)
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	writeBody(rw, http.StatusTooManyRequests, body, false)
	return false
}

// RetryAfterSeconds is d in whole seconds, rounded up, at least 1: what a
// Retry-After header says.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// TakeN counts n units at now, for a platform that charges some requests
// more than one (Freshdesk's credits for embeds): all n are taken or none.
// It reports whether they were allowed, the units left in the window, and
// when the window ends.
func (w *RateWindow) TakeN(now time.Time, n int) (ok bool, remaining int, reset time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.Limit < 0 || w.Length <= 0 {
		return true, math.MaxInt, now
	}
	if now.Before(w.start) || !now.Before(w.start.Add(w.Length)) {
		w.start, w.used = now.Truncate(w.Length), 0
	}
	reset = w.start.Add(w.Length)
	if w.used+n > w.Limit {
		return false, w.Limit - w.used, reset
	}
	w.used += n
	return true, w.Limit - w.used, reset
}
