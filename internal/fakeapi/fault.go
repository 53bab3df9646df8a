package fakeapi

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a failure the fake injects into the requests it matches, before
// authentication and rate limiting.
type Fault struct {
	// Method matches the request method exactly; "" matches any.
	Method string
	// Path matches the request path exactly; a path ending in "/" matches
	// every path under it; "" matches all.
	Path string
	// Count is how many matching requests fail; zero means one, negative
	// means every one until ClearFaults.
	Count int
	// Status is answered instead of the real response: 500, 502, 503, 429,
	// 404... Zero serves the real response (late with Delay, cut short with
	// Truncate); with neither, zero means 500, or 404 with HTMLBody.
	Status int
	// RetryAfter, when positive, is sent as Retry-After, in whole seconds
	// rounded up.
	RetryAfter time.Duration
	// Delay holds the answer back on the real clock, or until the client
	// gives up (a timeout test).
	Delay time.Duration
	// Truncate sends half of the body (the real one when Status is zero)
	// while promising all of it in Content-Length, so the client reads an
	// unexpected EOF.
	Truncate bool
	// HTMLBody answers with an HTML page instead of the platform's JSON, as
	// a proxy, a maintenance page or a wrong subdomain does.
	HTMLBody bool
	// Body, when set, is the answer's body (JSON), replacing the
	// platform's error body (Options.ErrorBody).
	Body string
	// Header is added to the answer.
	Header http.Header
}

func (f *Fault) matches(r *http.Request) bool { return f.matchesPath(r.Method, r.URL.Path) }

func (f *Fault) matchesPath(method, path string) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	switch {
	case f.Path == "":
		return true
	case strings.HasSuffix(f.Path, "/"):
		return strings.HasPrefix(path, f.Path)
	}
	return path == f.Path
}

// faults is a queue of Faults.
type faults struct {
	mu   sync.Mutex
	list []*Fault
}

func (q *faults) inject(f Fault) {
	if f.Count == 0 {
		f.Count = 1
	}
	if f.Status == 0 && (f.HTMLBody || (!f.Truncate && f.Delay <= 0)) {
		f.Status = http.StatusInternalServerError
		if f.HTMLBody {
			f.Status = http.StatusNotFound
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.list = append(q.list, &f)
}

func (q *faults) clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.list = nil
}

// take returns the first fault matching r, consuming one of its count.
func (q *faults) take(r *http.Request) (Fault, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, f := range q.list {
		if !f.matches(r) {
			continue
		}
		taken := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				q.list = append(q.list[:i], q.list[i+1:]...)
			}
		}
		return taken, true
	}
	return Fault{}, false
}

// HTMLPage is the body of a Fault with HTMLBody.
const HTMLPage = `<!DOCTYPE html>
<html>
<head><title>Page not found</title></head>
<body><h1>Oops! This page does not exist</h1><p>The page you were looking for doesn't exist.</p></body>
</html>
`

// wait holds the answer back for the fault's Delay; false when the client
// gave up first.
func (f Fault) wait(r *http.Request) bool {
	if f.Delay <= 0 {
		return true
	}
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// write answers with the fault's own status and body.
func (f Fault) write(w http.ResponseWriter, errorBody func(int) []byte) {
	h := w.Header()
	for k, vs := range f.Header {
		h[k] = append(h[k], vs...)
	}
	var body []byte
	switch {
	case f.HTMLBody:
		h.Set("Content-Type", "text/html; charset=utf-8")
		body = []byte(HTMLPage)
	case f.Body != "":
		h.Set("Content-Type", "application/json; charset=utf-8")
		body = []byte(f.Body)
	case errorBody != nil:
		h.Set("Content-Type", "application/json; charset=utf-8")
		body = errorBody(f.Status)
	default:
		h.Set("Content-Type", "application/json; charset=utf-8")
		body = []byte(`{"error":"` + http.StatusText(f.Status) + `"}`)
	}
	if f.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(RetryAfterSeconds(f.RetryAfter)))
	}
	writeBody(w, f.Status, body, f.Truncate)
}

// writeBody writes status and body, only half of it when truncate is set
// while Content-Length promises all of it.
func writeBody(w http.ResponseWriter, status int, body []byte, truncate bool) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if truncate {
		body = body[:len(body)/2]
	}
	_, _ = w.Write(body)
}
