package freshdesktest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is a failure the fake injects into the requests it matches, before
// authentication and rate limiting.
type Fault struct {
	// Path matches a request path; one ending in "/" matches every path
	// under it; "" matches all.
	Path string
	// Count is how many matching requests fail; zero means one, negative
	// every one until ClearFaults.
	Count int
	// Status, when set, is answered instead of the real response.
	Status int
	// RetryAfter, when set, is sent as Retry-After, in seconds.
	RetryAfter int
	// Delay holds the answer back (or until the client gives up).
	Delay time.Duration
	// Truncate sends half of the real body while promising all of it.
	Truncate bool
	// HTMLBody answers with an HTML page, as a wrong subdomain does; Status
	// defaults to 200 (the page a browser would see).
	HTMLBody bool
	// Body, when set, replaces the JSON error body.
	Body string
}

// InjectFault queues a fault; each request consumes at most one, in order.
func (s *Server) InjectFault(f Fault) {
	if f.Count == 0 {
		f.Count = 1
	}
	if f.HTMLBody && f.Status == 0 {
		f.Status = http.StatusOK
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// Fail makes the next n requests answer status.
func (s *Server) Fail(n, status int) { s.InjectFault(Fault{Count: n, Status: status}) }

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
	return path == f.Path
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

// htmlPage is what a browser sees at a subdomain no account holds.
const htmlPage = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Freshdesk | Helpdesk not found</title></head>
<body><h1>This helpdesk does not exist</h1>
<p>Please check the URL, or sign up for a new Freshdesk account.</p></body>
</html>
`

func (f *Fault) response() response {
	var resp response
	switch {
	case f.HTMLBody:
		h := http.Header{}
		h.Set("Content-Type", "text/html; charset=utf-8")
		resp = response{status: f.Status, header: h, body: []byte(htmlPage)}
	case f.Body != "":
		h := http.Header{}
		h.Set("Content-Type", "application/json; charset=utf-8")
		resp = response{status: f.Status, header: h, body: []byte(f.Body)}
	case f.Status == http.StatusTooManyRequests:
		resp = codeError(f.Status, "rate_limit_exceeded", "You have exceeded the limit of requests per minute")
	case f.Status == http.StatusUnauthorized:
		resp = codeError(f.Status, "invalid_credentials", "You have to be logged in to perform this action.")
	case f.Status == http.StatusNotFound:
		resp = notFound()
	default:
		resp = codeError(f.Status, "internal_error", "We're sorry, but something went wrong.")
	}
	if f.RetryAfter > 0 {
		resp.header.Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	return resp
}
