package fakeapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

// okHandler answers {"ok":true} to everything.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true,"padding":"0123456789012345678901234567890123456789"}`)
})

func get(t *testing.T, s *fakeapi.Server, method, path string, header ...string) (*http.Response, string, error) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader("the body"))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestFaultsMatchMethodPathAndCount(t *testing.T) {
	s := fakeapi.NewServer(t, okHandler, &fakeapi.Options{
		ErrorBody: func(status int) []byte {
			return []byte(`{"code":"platform_error","status":` + http.StatusText(status) + `}`)
		},
	})
	s.InjectFault(fakeapi.Fault{Method: "POST", Path: "/api/search", Status: 503, Count: 2})
	s.InjectFault(fakeapi.Fault{Path: "/api/tickets/", Status: 429, RetryAfter: 1500 * time.Millisecond})

	if resp, _, _ := get(t, s, "GET", "/api/search"); resp.StatusCode != 200 {
		t.Errorf("GET /api/search = %d, want 200: the fault is for POST", resp.StatusCode)
	}
	for i := 0; i < 2; i++ {
		if resp, body, _ := get(t, s, "POST", "/api/search"); resp.StatusCode != 503 || !strings.Contains(body, "platform_error") {
			t.Errorf("POST /api/search #%d = %d %s, want 503 with the platform's error body", i+1, resp.StatusCode, body)
		}
	}
	if resp, _, _ := get(t, s, "POST", "/api/search"); resp.StatusCode != 200 {
		t.Errorf("third POST = %d, want 200 after Count", resp.StatusCode)
	}
	resp, _, _ := get(t, s, "GET", "/api/tickets/7")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("GET /api/tickets/7 = %d Retry-After %q, want 429 and 2 (rounded up)", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	s.InjectFault(fakeapi.Fault{Status: 500, Count: -1})
	for i := 0; i < 3; i++ {
		if resp, _, _ := get(t, s, "GET", "/x"); resp.StatusCode != 500 {
			t.Errorf("negative Count: request %d = %d", i, resp.StatusCode)
		}
	}
	s.ClearFaults()
	if resp, _, _ := get(t, s, "GET", "/x"); resp.StatusCode != 200 {
		t.Errorf("after ClearFaults = %d", resp.StatusCode)
	}
}

func TestFaultHTMLTruncateDelay(t *testing.T) {
	s := fakeapi.NewServer(t, okHandler, nil)
	s.InjectFault(fakeapi.Fault{HTMLBody: true})
	resp, body, _ := get(t, s, "GET", "/a")
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "<html>") {
		t.Errorf("HTMLBody answer = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Truncate with no status cuts the real answer short.
	s.InjectFault(fakeapi.Fault{Truncate: true})
	_, _, err := get(t, s, "GET", "/a")
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated read err = %v, want unexpected EOF", err)
	}
	s.InjectFault(fakeapi.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/slow", nil)
	if _, err := s.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("delayed request err = %v, want the client's deadline", err)
	}
}

func TestRequestLog(t *testing.T) {
	s := fakeapi.NewServer(t, okHandler, &fakeapi.Options{Start: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)})
	s.InjectFault(fakeapi.Fault{Path: "/b", Status: 502})
	get(t, s, "POST", "/a?x=1", "Authorization", "Bearer secret-token")
	s.Advance(time.Minute)
	get(t, s, "GET", "/b")
	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("Requests() has %d entries", len(reqs))
	}
	a, b := reqs[0], reqs[1]
	if a.Method != "POST" || a.Path != "/a" || a.Query.Get("x") != "1" || string(a.Body) != "the body" || a.Status != 200 || a.Fault {
		t.Errorf("first request logged as %+v", a)
	}
	if a.Auth() != "Bearer" || strings.Contains(a.Header.Get("Authorization"), "secret") {
		t.Errorf("the log keeps the credential: %q", a.Header.Get("Authorization"))
	}
	if b.Status != 502 || !b.Fault || !b.At.Equal(a.At.Add(time.Minute)) {
		t.Errorf("second request logged as %+v", b)
	}
	if n := s.RequestCount("", "/a"); n != 1 {
		t.Errorf("RequestCount(/a) = %d", n)
	}
	if n := s.RequestCount("GET", "/"); n != 1 {
		t.Errorf("RequestCount(GET, /) = %d", n)
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Error("ResetRequests kept requests")
	}
}

func TestRateWindowOnTheFakeClock(t *testing.T) {
	cases := []struct {
		name  string
		h     fakeapi.RateHeaders
		check func(h http.Header, now time.Time) string
	}{
		{"seconds and Retry-After (Zendesk, Freshdesk)", fakeapi.RateHeaders{Limit: "X-Rate-Limit", Remaining: "X-Rate-Limit-Remaining", Reset: "ratelimit-reset", RetryAfter: true},
			func(h http.Header, now time.Time) string {
				if h.Get("X-Rate-Limit") != "3" || h.Get("X-Rate-Limit-Remaining") != "0" || h.Get("ratelimit-reset") != "50" || h.Get("Retry-After") != "50" {
					return "headers " + toString(h)
				}
				return ""
			}},
		{"unix reset (Intercom)", fakeapi.RateHeaders{Limit: "X-RateLimit-Limit", Remaining: "X-RateLimit-Remaining", Reset: "X-RateLimit-Reset", ResetStyle: fakeapi.ResetUnix},
			func(h http.Header, now time.Time) string {
				if h.Get("X-RateLimit-Reset") != "1777593660" || h.Get("Retry-After") != "" {
					return "headers " + toString(h)
				}
				return ""
			}},
		{"ISO reset (Jira)", fakeapi.RateHeaders{Reset: "X-RateLimit-Reset", ResetStyle: fakeapi.ResetISO, RetryAfter: true},
			func(h http.Header, now time.Time) string {
				if h.Get("X-RateLimit-Reset") != "2026-05-01T00:01Z" {
					return "headers " + toString(h)
				}
				return ""
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := fakeapi.NewClock(time.Date(2026, 5, 1, 0, 0, 10, 0, time.UTC))
			w := fakeapi.NewRateWindow(3, time.Minute, c.h)
			for i := 0; i < 3; i++ {
				if !w.Allow(http.Header{}, clock.Now()) {
					t.Fatalf("request %d refused within the limit", i+1)
				}
			}
			h := http.Header{}
			if w.Allow(h, clock.Now()) {
				t.Fatal("fourth request allowed")
			}
			if msg := c.check(h, clock.Now()); msg != "" {
				t.Error(msg)
			}
			// Waiting out the reset on the fake clock opens the window.
			_ = clock.Sleep(context.Background(), 50*time.Second)
			if !w.Allow(http.Header{}, clock.Now()) {
				t.Error("refused after the window reset")
			}
		})
	}
	unlimited := fakeapi.NewRateWindow(-1, time.Minute, fakeapi.RateHeaders{Limit: "X"})
	h := http.Header{}
	for i := 0; i < 100; i++ {
		if !unlimited.Allow(h, time.Now()) {
			t.Fatal("an unlimited window refused")
		}
	}
	if len(h) != 0 {
		t.Errorf("an unlimited window sent headers %v", h)
	}
}

func toString(h http.Header) string {
	var b strings.Builder
	_ = h.Write(&b)
	return b.String()
}

func TestClockSleepHonoursContext(t *testing.T) {
	c := fakeapi.NewClock(time.Time{})
	if !c.Now().Equal(fakeapi.DefaultStart) {
		t.Errorf("zero start = %s", c.Now())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) || !c.Now().Equal(fakeapi.DefaultStart) {
		t.Errorf("Sleep on a done context = %v, clock %s", err, c.Now())
	}
	c.SetNow(time.Date(2020, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600)))
	if c.Now().Location() != time.UTC {
		t.Error("SetNow keeps the zone")
	}
}

func TestAuthHelpers(t *testing.T) {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth("KEY", "X")
	if !fakeapi.CheckBasic(r, "KEY", "X") || fakeapi.CheckBasic(r, "KEY", "Y") || fakeapi.CheckBearer(r, "KEY") {
		t.Error("CheckBasic/CheckBearer on a Basic request")
	}
	r.Header.Set("Authorization", "Bearer tok")
	if tok, ok := fakeapi.BearerToken(r); !ok || tok != "tok" || !fakeapi.CheckBearer(r, "tok") || fakeapi.CheckBearer(r, "to") {
		t.Error("BearerToken/CheckBearer")
	}
	r.Header.Set("Authorization", "Bearer ")
	if _, ok := fakeapi.BearerToken(r); ok {
		t.Error("an empty bearer token read as one")
	}
}

func TestPaging(t *testing.T) {
	page, per, err := fakeapi.PageParams(url.Values{"page": {"3"}, "per_page": {"100"}}, "page", "per_page", 30, 100)
	if err != nil || page != 3 || per != 100 {
		t.Errorf("PageParams = %d, %d, %v", page, per, err)
	}
	if _, _, err := fakeapi.PageParams(url.Values{"per_page": {"101"}}, "page", "per_page", 30, 100); err == nil {
		t.Error("per_page above max accepted")
	}
	if _, _, err := fakeapi.PageParams(url.Values{"page": {"0"}}, "page", "per_page", 30, 100); err == nil {
		t.Error("page 0 accepted")
	}
	lo, hi, more := fakeapi.Window(250, 3, 100)
	if lo != 200 || hi != 250 || more {
		t.Errorf("Window(250, 3, 100) = %d, %d, %v", lo, hi, more)
	}
	r, _ := http.NewRequest("GET", "http://acme.example.com/api/v2/tickets?page=1&per_page=100", nil)
	h := http.Header{}
	fakeapi.SetLinkNext(h, r, "page", "2")
	if got := h.Get("Link"); got != `<http://acme.example.com/api/v2/tickets?page=2&per_page=100>; rel="next"` {
		t.Errorf("Link = %s", got)
	}
}

func TestRateWindowGuardAnswers429(t *testing.T) {
	clock := fakeapi.NewClock(time.Time{})
	rate := fakeapi.NewRateWindow(1, 10*time.Second, fakeapi.RateHeaders{Remaining: "X-RateLimit-Remaining", RetryAfter: true})
	s := fakeapi.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !rate.Guard(w, clock.Now(), []byte(`{"type":"error.list","errors":[{"code":"rate_limit_exceeded"}]}`)) {
			return
		}
		_, _ = io.WriteString(w, "{}")
	}), &fakeapi.Options{Clock: clock})
	if resp, _, _ := get(t, s, "GET", "/a"); resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("first request = %d, remaining %q", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
	}
	resp, body, _ := get(t, s, "GET", "/a")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "10" || !strings.Contains(body, "rate_limit_exceeded") {
		t.Errorf("second request = %d, Retry-After %q, body %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if !s.Now().Equal(clock.Now()) {
		t.Error("the server does not share the given clock")
	}
	// A 429 from a fault is not the rate limit's.
	s.Fail(1, http.StatusTooManyRequests)
	if resp, _, _ := get(t, s, "GET", "/a"); resp.StatusCode != 429 {
		t.Errorf("faulted request = %d, want 429", resp.StatusCode)
	}
	if n := s.Throttled(); n != 1 {
		t.Errorf("Throttled() = %d after one 429 of the limit and one of a fault, want 1", n)
	}
}
