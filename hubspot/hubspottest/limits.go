package hubspottest

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Counts is what the fake has been asked since it started or since
// ResetCounts.
type Counts struct {
	// Total counts every request, answered or refused.
	Total int
	// ByEndpoint counts requests by "METHOD pattern", such as
	// "POST /crm/v3/objects/tickets/search" or "GET /crm/v3/owners/{id}".
	ByEndpoint map[string]int
	// ByStatus counts answers by HTTP status.
	ByStatus map[int]int
	// RateLimited counts 429 answers, injected ones included.
	RateLimited int
}

func newCounts() Counts { return Counts{ByEndpoint: map[string]int{}, ByStatus: map[int]int{}} }

// Endpoint returns the count of one endpoint, named as in ByEndpoint.
func (c Counts) Endpoint(name string) int { return c.ByEndpoint[name] }

// Counts returns a copy of the request counts.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts
	c.ByEndpoint = make(map[string]int, len(s.counts.ByEndpoint))
	for k, v := range s.counts.ByEndpoint {
		c.ByEndpoint[k] = v
	}
	c.ByStatus = make(map[int]int, len(s.counts.ByStatus))
	for k, v := range s.counts.ByStatus {
		c.ByStatus[k] = v
	}
	return c
}

// ResetCounts sets every count to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = newCounts()
}

// Fault is a failure the fake injects into the requests it matches.
type Fault struct {
	// Method and Path select requests: the method exactly, the path as a
	// prefix; empty matches any.
	Method string
	Path   string
	// Status answers the request with this status instead of serving it:
	// 500, 502, 503, 504 with HubSpot's error JSON, 429 with a rate-limit
	// body naming Policy. Zero serves the request (after Delay, or
	// Truncated).
	Status int
	// Policy is the 429's policyName: "TEN_SECONDLY_ROLLING" when empty,
	// "SECONDLY" or "DAILY".
	Policy string
	// RetryAfter, when set on a 429, adds a Retry-After header in whole
	// seconds. HubSpot's own 429s do not carry one.
	RetryAfter time.Duration
	// Delay holds the answer this long, or until the request is canceled.
	Delay time.Duration
	// Truncate serves the request but cuts its body in half while
	// announcing the full Content-Length, as a dropped connection does.
	Truncate bool
	// Times is how many matching requests the fault hits; 1 when 0.
	Times int
}

// InjectFault queues a fault. Faults hit matching requests in the order they
// were injected, each until its Times are used up.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// takeFault returns the first fault matching r and uses it once.
func (s *Server) takeFault(r *http.Request) *Fault {
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == r.Method) && strings.HasPrefix(r.URL.Path, f.Path) {
			f.Times--
			if f.Times <= 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			c := *f
			return &c
		}
	}
	return nil
}

// allow applies the rate limits to an authenticated request. It returns the
// policy that refuses it, or "".
func (s *Server) allow(isSearch bool) string {
	now := s.opts.RateClock()
	day := now.In(s.loc).Format("2006-01-02") // midnight in the account's time zone
	if day != s.day {
		s.day, s.daily = day, 0
	}
	if s.opts.DailyLimit > 0 && s.daily >= s.opts.DailyLimit {
		return "DAILY"
	}
	if isSearch {
		s.search = prune(s.search, now.Add(-s.opts.SearchRateWindow))
		if s.opts.SearchRateLimit > 0 && len(s.search) >= s.opts.SearchRateLimit {
			return "SECONDLY"
		}
		s.search = append(s.search, now)
	} else {
		s.window = prune(s.window, now.Add(-s.opts.RateWindow))
		if s.opts.RateLimit > 0 && len(s.window) >= s.opts.RateLimit {
			return "TEN_SECONDLY_ROLLING"
		}
		s.window = append(s.window, now)
	}
	s.daily++
	return ""
}

// prune drops the times not after cutoff.
func prune(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cutoff) {
		i++
	}
	return ts[i:]
}

// rateHeaders sets the X-HubSpot-RateLimit-* headers HubSpot sends on every
// answer but search's.
func (s *Server) rateHeaders(h http.Header) {
	if s.opts.RateLimit > 0 {
		remaining := max(s.opts.RateLimit-len(s.window), 0)
		h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(s.opts.RateWindow.Milliseconds(), 10))
		h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(s.opts.RateLimit))
		h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(remaining))
		secs := max(int(s.opts.RateWindow/time.Second), 1)
		h.Set("X-HubSpot-RateLimit-Secondly", strconv.Itoa(max(s.opts.RateLimit/secs, 1)))
		h.Set("X-HubSpot-RateLimit-Secondly-Remaining", strconv.Itoa(remaining/secs))
	}
	if s.opts.DailyLimit > 0 {
		h.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(s.opts.DailyLimit))
		h.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(max(s.opts.DailyLimit-s.daily, 0)))
	}
}

// truncatingWriter buffers an answer and then writes only half its body
// under the full Content-Length.
type truncatingWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (w *truncatingWriter) WriteHeader(code int)        { w.status = code }
func (w *truncatingWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (w *truncatingWriter) flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	b := w.buf.Bytes()
	w.ResponseWriter.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.ResponseWriter.WriteHeader(w.status)
	_, _ = w.ResponseWriter.Write(b[:len(b)/2])
	// The server closes the connection because the body is short of its
	// Content-Length; the client sees an unexpected EOF.
}

// statusRecorder remembers the status an answer was written with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}
