package fakeapi

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Start is the clock's first reading; DefaultStart when zero. Ignored
	// when Clock is set.
	Start time.Time
	// Clock, when set, is the fake's clock, shared with the caller.
	Clock *Clock
	// ErrorBody returns the platform's JSON error body for a status, used
	// by faults that set neither Body nor HTMLBody.
	ErrorBody func(status int) []byte
	// Unstarted leaves the listener stopped until Start, for a fake whose
	// handler needs the URL before serving (rare).
	Unstarted bool
}

// Server is a platform fake's shared half: an httptest server that logs
// every request, answers injected faults, and keeps a clock. Platform
// fakes embed it.
type Server struct {
	// URL is the server's base URL, "http://127.0.0.1:port", set once
	// started.
	URL string
	*Clock

	ts        *httptest.Server
	handler   http.Handler
	errorBody func(int) []byte
	faults    faults
	log       requestLog
	startOnce sync.Once
}

// NewServer starts a fake serving h, closed when the test ends.
func NewServer(tb testing.TB, h http.Handler, opts *Options) *Server {
	tb.Helper()
	s := New(h, opts)
	tb.Cleanup(s.Close)
	return s
}

// New starts a fake serving h (unless Options.Unstarted); the caller
// closes it.
func New(h http.Handler, opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	clock := o.Clock
	if clock == nil {
		clock = NewClock(o.Start)
	}
	s := &Server{Clock: clock, handler: h, errorBody: o.ErrorBody}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if !o.Unstarted {
		s.Start()
	}
	return s
}

// Start starts a Server made with Options.Unstarted; it does nothing on a
// started one.
func (s *Server) Start() {
	s.startOnce.Do(func() {
		s.ts.Start()
		s.URL = s.ts.URL
	})
}

// Close shuts the server down.
func (s *Server) Close() { s.ts.Close() }

// Client returns an *http.Client for the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// InjectFault queues a fault. Faults are matched in the order they were
// injected; each request consumes at most one.
func (s *Server) InjectFault(f Fault) { s.faults.inject(f) }

// Fail makes the next n requests, whatever their path, answer status.
func (s *Server) Fail(n, status int) { s.faults.inject(Fault{Count: n, Status: status}) }

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() { s.faults.clear() }

// Requests returns every request received since the start or the last
// ResetRequests, oldest first.
func (s *Server) Requests() []Request { return s.log.all() }

// Throttled counts the requests its rate limits answered 429, not those a
// fault answered 429: whether a client kept within the platform's limits.
func (s *Server) Throttled() int {
	n := 0
	for _, r := range s.log.all() {
		if r.Status == http.StatusTooManyRequests && !r.Fault {
			n++
		}
	}
	return n
}

// RequestCount counts the requests with that method ("" for any) and path
// (exactly, or every path under it when it ends in "/").
func (s *Server) RequestCount(method, path string) int {
	f := Fault{Method: method, Path: path}
	n := 0
	for _, r := range s.log.all() {
		if f.matchesPath(r.Method, r.Path) {
			n++
		}
	}
	return n
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() { s.log.reset() }

// statusWriter records the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// bufferWriter holds an answer to cut it short.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferWriter) Header() http.Header { return w.header }
func (w *bufferWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *bufferWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

const maxLoggedBody = 1 << 20

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxLoggedBody+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	logged := body
	if len(logged) > maxLoggedBody {
		logged = logged[:maxLoggedBody]
	}
	i := s.log.add(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: redactHeader(r.Header),
		Body: logged, At: s.Now()})
	sw := &statusWriter{ResponseWriter: w}
	f, faulted := s.faults.take(r)
	defer func() { s.log.setStatus(i, sw.status, faulted) }()
	if faulted {
		if !f.wait(r) {
			return
		}
		if f.Status != 0 {
			f.write(sw, s.errorBody)
			return
		}
		if f.Truncate {
			bw := &bufferWriter{header: sw.Header()}
			s.handler.ServeHTTP(bw, r)
			if bw.status == 0 {
				bw.status = http.StatusOK
			}
			writeBody(sw, bw.status, bw.body.Bytes(), true)
			return
		}
	}
	s.handler.ServeHTTP(sw, r)
}
