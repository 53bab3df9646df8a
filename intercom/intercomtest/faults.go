package intercomtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

// Fault is a failure the fake answers instead of the real response, before
// authentication and rate limiting; faults that set no Body answer with
// Intercom's error.list. Request is one request the fake received.
type (
	Fault   = fakeapi.Fault
	Request = fakeapi.Request
)

// RateLimited injects a 429 for the next n requests, as Intercom answers
// when a window's budget is spent: an error.list, X-RateLimit-Remaining 0
// and X-RateLimit-Reset at reset from now on the fake's clock, and no
// Retry-After.
func (s *Server) RateLimited(n int, reset time.Duration) {
	h := http.Header{}
	h.Set("X-RateLimit-Limit", strconv.Itoa(max(1, s.rate.Limit)))
	h.Set("X-RateLimit-Remaining", "0")
	at := s.Now().Add(reset)
	u := at.Unix()
	if at.Nanosecond() > 0 {
		u++
	}
	h.Set("X-RateLimit-Reset", strconv.FormatInt(u, 10))
	s.InjectFault(Fault{Status: http.StatusTooManyRequests, Count: n, Header: h})
}

// errorBody is Intercom's error.list for a fault's status.
func errorBody(status int) []byte {
	code, msg := "server_error", "Something went wrong on our end"
	switch {
	case status == http.StatusTooManyRequests:
		code, msg = "rate_limit_exceeded", "Rate Limit Exceeded"
	case status == http.StatusUnauthorized:
		code, msg = "unauthorized", "Access Token Invalid"
	case status == http.StatusNotFound:
		code, msg = "not_found", "Resource Not Found"
	case status < 500:
		code, msg = "bad_request", http.StatusText(status)
	}
	b, _ := json.Marshal(errorList(status, code, msg))
	return b
}
