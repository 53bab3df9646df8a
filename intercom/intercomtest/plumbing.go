package intercomtest

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ticketsync/ticketsync/internal/webhooksig"
)

type versionKey struct{}

func withVersion(ctx context.Context, v version) context.Context {
	return context.WithValue(ctx, versionKey{}, v)
}

func versionOf(ctx context.Context) version {
	v, _ := ctx.Value(versionKey{}).(version)
	return v
}

type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) next() int64 { return c.n.Add(1) }

// Fault is a failure the fake answers instead of the real response, before
// authentication and rate limiting.
type Fault struct {
	// Path matches a request path; a path ending in "/" matches every path
	// under it; "" matches all.
	Path string
	// Times is how many matching requests fail; zero means one.
	Times int
	// Status is answered: 500, 503, 429, ...
	Status int
	// Reset, on a 429, is sent as X-RateLimit-Reset, this far ahead of the
	// rate clock (rounded up to a second); Intercom sends no Retry-After.
	Reset time.Duration
}

// InjectFault queues a fault; faults are matched in the order injected.
func (s *Server) InjectFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

func (s *Server) takeFault(r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Path != "" && f.Path != r.URL.Path && !(strings.HasSuffix(f.Path, "/") && strings.HasPrefix(r.URL.Path, f.Path)) {
			continue
		}
		taken := *f
		f.Times--
		if f.Times == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		taken.Reset = f.Reset
		return &taken
	}
	return nil
}

func (f *Fault) serve(w http.ResponseWriter, now time.Time) {
	switch {
	case f.Status == http.StatusTooManyRequests:
		reset := now.Add(f.Reset)
		w.Header().Set("X-RateLimit-Limit", "1666")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(ceilUnix(reset), 10))
		writeError(w, f.Status, "rate_limit_exceeded", "Rate Limit Exceeded")
	case f.Status >= 500:
		writeError(w, f.Status, "server_error", "Something went wrong on our end")
	default:
		writeError(w, f.Status, "bad_request", http.StatusText(f.Status))
	}
}

func ceilUnix(t time.Time) int64 {
	u := t.Unix()
	if t.Nanosecond() > 0 {
		u++
	}
	return u
}

// limits is the app's rate limit in fixed windows.
type limits struct {
	mu     sync.Mutex
	limit  int // per window; < 0 unlimited
	window time.Duration
	start  time.Time
	used   int
}

func newLimits(perMinute int, window time.Duration) *limits {
	l := &limits{window: window, limit: -1}
	if perMinute >= 0 {
		l.limit = max(1, int(int64(perMinute)*int64(window)/int64(time.Minute)))
	}
	return l
}

func (l *limits) admit(w http.ResponseWriter, now time.Time) bool {
	if l.limit < 0 {
		return true
	}
	l.mu.Lock()
	if now.Sub(l.start) >= l.window || now.Before(l.start) {
		l.start = now.Truncate(l.window)
		l.used = 0
	}
	reset := l.start.Add(l.window)
	ok := l.used < l.limit
	if ok {
		l.used++
	}
	remaining := l.limit - l.used
	limit := l.limit
	l.mu.Unlock()
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(ceilUnix(reset), 10))
	if !ok {
		writeError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Rate Limit Exceeded")
	}
	return ok
}

// Sign returns the X-Hub-Signature value Intercom sends: "sha1=" and the
// hex HMAC-SHA1 of body keyed with the app's client secret.
func Sign(clientSecret string, body []byte) string {
	return signer.Sign(clientSecret, body)
}

// signer is Intercom's signature shape.
var signer = webhooksig.Verifier{Algorithm: webhooksig.HMACSHA1, Encoding: webhooksig.Hex, Prefix: "sha1="}
