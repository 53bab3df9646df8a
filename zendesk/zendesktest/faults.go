package zendesktest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is a failure the fake injects into the requests it matches, before
// authentication and rate limiting.
type Fault struct {
	// Path matches a request path with or without its .json suffix; a path
	// ending in "/" matches every path under it; "" matches all.
	Path string
	// Count is how many matching requests fail; zero means one, negative
	// means every one until ClearFaults.
	Count int
	// Status, when set, is answered instead of the real response: 500, 502,
	// 503, 429, 404...
	Status int
	// RetryAfter, when set, is sent as Retry-After, in seconds.
	RetryAfter int
	// Delay holds the response back (or until the client gives up).
	Delay time.Duration
	// Truncate sends only half of the body while promising all of it in
	// Content-Length, so the client reads an unexpected EOF.
	Truncate bool
	// HTMLBody answers with an HTML page instead of JSON, as a proxy, a
	// maintenance page or a wrong subdomain does. Status defaults to 404.
	HTMLBody bool
	// Body, when set, replaces the JSON error body.
	Body string
}

// InjectFault queues a fault. Faults are matched in the order they were
// injected; each request consumes at most one.
func (s *Server) InjectFault(f Fault) {
	if f.Count == 0 {
		f.Count = 1
	}
	if f.HTMLBody && f.Status == 0 {
		f.Status = http.StatusNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// Fail makes the next n requests, whatever their path, answer status.
func (s *Server) Fail(n int, status int) {
	s.InjectFault(Fault{Count: n, Status: status})
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (f *Fault) matches(path string) bool {
	switch {
	case f.Path == "":
		return true
	case strings.HasSuffix(f.Path, "/"):
		return strings.HasPrefix(path, f.Path)
	}
	return strings.TrimSuffix(path, ".json") == strings.TrimSuffix(f.Path, ".json")
}

func (s *Server) takeFaultLocked(r *http.Request) *Fault {
	for i, f := range s.faults {
		if !f.matches(r.URL.Path) {
			continue
		}
		taken := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		return &taken
	}
	return nil
}

const htmlErrorPage = `<!DOCTYPE html>
<html>
<head><title>Help Center Closed | Zendesk</title></head>
<body><h1>Oops! This help center no longer exists</h1>
<p>The page you were looking for doesn't exist.</p></body>
</html>
`

func (f *Fault) response() response {
	var resp response
	switch {
	case f.HTMLBody:
		h := http.Header{}
		h.Set("Content-Type", "text/html; charset=utf-8")
		resp = response{status: f.Status, header: h, body: []byte(htmlErrorPage)}
	case f.Body != "":
		h := http.Header{}
		h.Set("Content-Type", "application/json; charset=utf-8")
		resp = response{status: f.Status, header: h, body: []byte(f.Body)}
	default:
		code, desc := "InternalServerError", "Something went wrong"
		switch {
		case f.Status == http.StatusTooManyRequests:
			code, desc = "APIRateLimitExceeded", "Number of allowed API requests per minute exceeded"
		case f.Status == http.StatusServiceUnavailable:
			code, desc = "ServiceUnavailable", "Service temporarily unavailable"
		case f.Status == http.StatusNotFound:
			code, desc = "RecordNotFound", "Not found"
		case f.Status == http.StatusUnauthorized:
			resp = jsonResponse(f.Status, map[string]string{"error": "Couldn't authenticate you"})
			resp.header.Set("WWW-Authenticate", `Basic realm="Web Password"`)
		case f.Status < 500:
			code, desc = http.StatusText(f.Status), ""
		}
		if resp.header == nil {
			resp = errorResponse(f.Status, code, desc)
		}
	}
	if f.RetryAfter > 0 {
		resp.header.Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	return resp
}
