package jiratest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

// Fault is a failure the fake injects into the requests it matches, before
// authentication and rate limiting, as a proxy or an overloaded site does.
// A Body with Status 200 serves a complete answer of broken JSON; Truncate
// cuts an answer short of its Content-Length.
type Fault = fakeapi.Fault

// Request is one request the fake received, with the status it got.
type Request = fakeapi.Request

// errorBody is Jira's ErrorCollection, for faults.
func errorBody(status int) []byte {
	msg := http.StatusText(status)
	if status == http.StatusTooManyRequests {
		msg = "Rate limit exceeded."
	}
	b, _ := json.Marshal(map[string]any{"errorMessages": []string{msg}, "errors": map[string]string{}})
	return b
}

// RateLimited returns a fault answering n requests with Jira's 429: the
// Retry-After, the reset as an ISO minute, the limit, nothing remaining and
// the reason, as Jira's burst limits send them.
func RateLimited(n int, retryAfter time.Duration) Fault {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "100")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("RateLimit-Reason", "jira-burst-based")
	return Fault{Status: http.StatusTooManyRequests, Count: n, RetryAfter: retryAfter, Header: h}
}

// EarlyRetries counts requests that arrived before the wait one of the
// fake's own 429s (Options.RateLimit) asked for was over, on the fake's
// clock.
func (s *Server) EarlyRetries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.early
}

// rateLimitLocked applies the burst limit, Options.RateLimit requests per
// Options.RateWindow on the fake's clock, and counts a request arriving
// before an earlier 429's wait was over. An answer with less than a fifth
// of the budget left carries X-RateLimit-NearLimit: true with the limit and
// what remains; a refusal is Jira's 429 with Retry-After (whole seconds),
// X-RateLimit-Reset (an ISO minute), the limit, nothing remaining and
// RateLimit-Reason.
func (s *Server) rateLimitLocked() (response, http.Header, bool) {
	now := s.Now()
	if now.Before(s.holdTil) {
		s.early++
	}
	h := http.Header{}
	ok, remaining, reset := s.rate.Take(now)
	if s.opts.RateLimit <= 0 {
		return response{}, h, true
	}
	limit := strconv.Itoa(s.opts.RateLimit)
	if ok {
		if remaining*5 < s.opts.RateLimit {
			h.Set("X-RateLimit-NearLimit", "true")
			h.Set("X-RateLimit-Limit", limit)
			h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		}
		return response{}, h, true
	}
	wait := time.Duration(fakeapi.RetryAfterSeconds(reset.Sub(now))) * time.Second
	if until := now.Add(wait); until.After(s.holdTil) {
		s.holdTil = until
	}
	resp := errorResponse(http.StatusTooManyRequests, "Rate limit exceeded.")
	resp.header.Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
	resp.header.Set("X-RateLimit-Reset", now.Add(wait).UTC().Format("2006-01-02T15:04Z"))
	resp.header.Set("X-RateLimit-Limit", limit)
	resp.header.Set("X-RateLimit-Remaining", "0")
	resp.header.Set("RateLimit-Reason", "jira-burst-based")
	return resp, h, false
}
