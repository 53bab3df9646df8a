package fakeapi

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Request is one request the fake received, as the request log keeps it.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	// Header is the request's header, with Authorization and Cookie values
	// replaced by their scheme alone ("Basic", "Bearer").
	Header http.Header
	// Body is the request body, up to 1 MiB.
	Body []byte
	// At is the fake clock's reading when the request arrived.
	At time.Time
	// Status is the status the fake answered (0 when the client went away
	// first).
	Status int
	// Fault says a fault answered it.
	Fault bool
}

// Auth returns the scheme of the request's Authorization header: "Basic",
// "Bearer" or "".
func (r Request) Auth() string { return r.Header.Get("Authorization") }

type requestLog struct {
	mu   sync.Mutex
	reqs []Request
}

func (l *requestLog) add(r Request) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r)
	return len(l.reqs) - 1
}

func (l *requestLog) setStatus(i, status int, fault bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i < len(l.reqs) {
		l.reqs[i].Status = status
		l.reqs[i].Fault = fault
	}
}

func (l *requestLog) all() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, len(l.reqs))
	copy(out, l.reqs)
	return out
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = nil
}

// redactHeader keeps only the scheme of credentials.
func redactHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range []string{"Authorization", "Proxy-Authorization", "Cookie"} {
		if v := out.Get(k); v != "" {
			scheme, _, _ := strings.Cut(v, " ")
			if k == "Cookie" {
				scheme = "[redacted]"
			}
			out.Set(k, scheme)
		}
	}
	return out
}
