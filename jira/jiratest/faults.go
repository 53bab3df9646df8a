package jiratest

import (
	"encoding/json"
	"net/http"
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
