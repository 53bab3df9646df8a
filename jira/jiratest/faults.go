package jiratest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is a failure the fake injects into the requests it matches, before
// authentication and rate limiting.
type Fault struct {
	// Method and Path select requests: the method exactly, the path (without
	// the OAuth prefix) as a prefix; empty matches any.
	Method string
	Path   string
	// Times is how many matching requests the fault hits; one when zero,
	// every one when negative.
	Times int
	// Status answers the request with this status instead of serving it:
	// 500, 502, 503, 504, or 429 with Jira's rate-limit headers.
	Status int
	// RetryAfter is the Retry-After of a 429 or 503 (whole seconds).
	RetryAfter time.Duration
	// Delay holds the answer this long, or until the request is canceled.
	Delay time.Duration
	// Truncate serves the request but sends half its body while announcing
	// all of it in Content-Length, then drops the connection.
	Truncate bool
	// CutJSON serves the request with its JSON cut in half and a
	// Content-Length that matches: a complete response holding broken
	// JSON, as a misbehaving proxy sends.
	CutJSON bool
	// HTMLBody answers with an HTML page, as an unknown site does; Status
	// defaults to 404.
	HTMLBody bool
}

// InjectFault queues a fault. Faults hit matching requests in the order
// they were injected; each request takes at most one.
func (s *Server) InjectFault(f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	if f.HTMLBody && f.Status == 0 {
		f.Status = http.StatusNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) takeFaultLocked(method, path string) *Fault {
	for i, f := range s.faults {
		if (f.Method != "" && f.Method != method) || !strings.HasPrefix(path, f.Path) {
			continue
		}
		taken := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return &taken
	}
	return nil
}

const siteNotFoundPage = `<!DOCTYPE html>
<html lang="en"><head><title>Atlassian Cloud | Site not found</title></head>
<body><h1>Your Atlassian Cloud site is currently unavailable.</h1></body></html>
`

func (f *Fault) response() response {
	switch {
	case f.HTMLBody:
		h := http.Header{}
		h.Set("Content-Type", "text/html;charset=UTF-8")
		return response{status: f.Status, header: h, body: []byte(siteNotFoundPage)}
	case f.Status == http.StatusTooManyRequests:
		return errorResponse(f.Status, "Rate limit exceeded.")
	default:
		resp := errorResponse(f.Status, "Internal server error")
		if f.RetryAfter > 0 {
			resp.header.Set("Retry-After", strconv.Itoa(int(f.RetryAfter.Round(time.Second)/time.Second)))
		}
		return resp
	}
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string // without the OAuth prefix
	Query  string
	Status int
	At     time.Time // on the fake's clock
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// RequestCount counts the requests with the method whose path starts with
// path.
func (s *Server) RequestCount(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, path) {
			n++
		}
	}
	return n
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.early = 0
}

// EarlyRetries counts requests that arrived before the wait a 429 asked for
// was over, on the fake's clock.
func (s *Server) EarlyRetries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.early
}

// rateLimitLocked applies the burst limit: Options.RateLimit requests per
// Options.RateWindow on the fake's clock. It also counts a request arriving
// before an earlier 429's wait was over.
func (s *Server) rateLimitLocked() (response, bool) {
	if s.now.Before(s.holdTil) {
		s.early++
	}
	if s.opts.RateLimit <= 0 {
		return response{}, true
	}
	cut := s.now.Add(-s.opts.RateWindow)
	i := 0
	for i < len(s.window) && !s.window[i].After(cut) {
		i++
	}
	s.window = s.window[i:]
	if len(s.window) >= s.opts.RateLimit {
		resp := errorResponse(http.StatusTooManyRequests, "Rate limit exceeded.")
		wait := s.window[0].Add(s.opts.RateWindow).Sub(s.now)
		s.rateLimitedLocked(&resp, wait)
		return resp, false
	}
	s.window = append(s.window, s.now)
	return response{}, true
}

// rateLimitedLocked adds Jira's 429 headers: Retry-After in whole seconds
// (rounded up), X-RateLimit-Reset as an ISO minute, the limit, nothing
// remaining and the reason.
func (s *Server) rateLimitedLocked(resp *response, wait time.Duration) {
	if wait <= 0 {
		wait = time.Second
	}
	secs := int((wait + time.Second - 1) / time.Second)
	until := s.now.Add(time.Duration(secs) * time.Second)
	if until.After(s.holdTil) {
		s.holdTil = until
	}
	resp.header.Set("Retry-After", strconv.Itoa(secs))
	resp.header.Set("X-RateLimit-Reset", until.UTC().Format("2006-01-02T15:04Z"))
	resp.header.Set("X-RateLimit-Limit", strconv.Itoa(max(s.opts.RateLimit, 1)))
	resp.header.Set("X-RateLimit-Remaining", "0")
	resp.header.Set("RateLimit-Reason", "jira-burst-based")
}
