package httpx

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
)

type user struct {
	User struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"user"`
}

const userJSON = `{"user":{"id":7,"name":"Ada"}}`

func TestRetryAfterSecondsIsHonoured(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t,
		reply(429, `{"error":"TooManyRequests"}`, "Retry-After", "1"),
		reply(200, userJSON))
	c := newClient(t, srv.URL, clock, nil)

	var got user
	if _, err := c.GetJSON(context.Background(), "users/me.json", nil, &got); err != nil {
		t.Fatalf("GetJSON: %v", err)
	}
	if got.User.ID != 7 {
		t.Errorf("decoded id %d, want 7", got.User.ID)
	}
	if srv.Hits() != 2 {
		t.Errorf("server got %d requests, want 2", srv.Hits())
	}
	if s := clock.Sleeps(); len(s) != 1 || s[0] != time.Second {
		t.Errorf("waits %v, want exactly [1s]", s)
	}
}

func TestServerWaitHeaders(t *testing.T) {
	clock := newFakeClock()
	now := clock.Now()
	cases := []struct {
		name   string
		status int
		header []string
		want   time.Duration
	}{
		{"retry-after http date", 429, []string{"Retry-After", now.Add(5 * time.Second).Format(http.TimeFormat)}, 5 * time.Second},
		{"retry-after on 503", 503, []string{"Retry-After", "4"}, 4 * time.Second},
		{"intercom unix reset", 429, []string{"X-RateLimit-Reset", strconv.FormatInt(now.Add(7*time.Second).Unix(), 10)}, 7 * time.Second},
		{"zendesk ratelimit-reset seconds", 429, []string{"ratelimit-reset", "3"}, 3 * time.Second},
		{"jira iso reset", 429, []string{"X-RateLimit-Reset", now.Add(2 * time.Minute).Format("2006-01-02T15:04Z")}, 2 * time.Minute},
		{"retry-after wins over reset", 429, []string{"Retry-After", "2", "X-RateLimit-Reset", "9"}, 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			srv := newServer(t, reply(tc.status, `{}`, tc.header...), reply(200, userJSON))
			c := newClient(t, srv.URL, clock, nil)
			if _, err := c.GetJSON(context.Background(), "users/me.json", nil, &user{}); err != nil {
				t.Fatalf("GetJSON: %v", err)
			}
			if s := clock.Sleeps(); len(s) != 1 || s[0] != tc.want {
				t.Errorf("waits %v, want [%s]", s, tc.want)
			}
		})
	}
}

func TestRetriesServerErrorsWithExponentialBackoff(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t,
		reply(503, `{"error":"unavailable"}`),
		reply(500, `oops`),
		reply(502, ``),
		reply(200, userJSON))
	c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.RetryWaitMin = time.Second })

	if _, err := c.GetJSON(context.Background(), "users/me.json", nil, &user{}); err != nil {
		t.Fatalf("GetJSON: %v", err)
	}
	if srv.Hits() != 4 {
		t.Fatalf("server got %d requests, want 4", srv.Hits())
	}
	s := clock.Sleeps()
	if len(s) != 3 {
		t.Fatalf("waits %v, want 3", s)
	}
	for i, d := range s {
		hi := time.Second << i
		if d < hi/2 || d > hi {
			t.Errorf("wait %d = %s, want within [%s, %s]", i, d, hi/2, hi)
		}
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	cases := []struct {
		status   int
		sentinel error
	}{
		{400, nil},
		{401, ticketsync.ErrUnauthorized},
		{403, ticketsync.ErrForbidden},
		{404, ticketsync.ErrNotFound},
		{422, nil},
		{501, nil},
	}
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			clock := newFakeClock()
			srv := newServer(t, reply(tc.status, `{"error":"nope"}`))
			c := newClient(t, srv.URL, clock, nil)
			h, err := c.GetJSON(context.Background(), "tickets/1.json", nil, &user{})
			if err == nil {
				t.Fatal("GetJSON succeeded")
			}
			if srv.Hits() != 1 {
				t.Errorf("server got %d requests, want 1", srv.Hits())
			}
			if len(clock.Sleeps()) != 0 {
				t.Errorf("waited %v", clock.Sleeps())
			}
			var apiErr *ticketsync.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %T %v is not an APIError", err, err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Message != "nope" || apiErr.Path != "/api/v2/tickets/1.json" || apiErr.Method != "GET" || apiErr.Platform != "zendesk" {
				t.Errorf("APIError %+v", apiErr)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(%v, %v) is false", err, tc.sentinel)
			}
			if h.Get("Content-Type") == "" {
				t.Error("headers not returned with the error")
			}
		})
	}
}

func TestPersistent429IsRateLimited(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, reply(429, `{"error":"TooManyRequests","description":"slow down"}`, "Retry-After", "2"))
	c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.MaxRetries = 3 })

	_, err := c.GetJSON(context.Background(), "incremental/tickets/cursor.json", nil, &user{})
	if !errors.Is(err, ticketsync.ErrRateLimited) {
		t.Fatalf("error %v does not match ErrRateLimited", err)
	}
	var apiErr *ticketsync.APIError
	if !errors.As(err, &apiErr) || apiErr.RetryAfter != 2*time.Second || apiErr.Message != "TooManyRequests: slow down" {
		t.Errorf("APIError %+v", apiErr)
	}
	if srv.Hits() != 4 {
		t.Errorf("server got %d requests, want 4 (1 + 3 retries)", srv.Hits())
	}
	want := []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}
	if s := clock.Sleeps(); !equalDurations(s, want) {
		t.Errorf("waits %v, want %v", s, want)
	}
}

func TestRetryAfterBeyondMaxIsNotRetried(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, reply(429, `{}`, "Retry-After", "3600"), reply(200, userJSON))
	c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.MaxRetryWait = 2 * time.Minute })

	_, err := c.GetJSON(context.Background(), "users/me.json", nil, &user{})
	var apiErr *ticketsync.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.RetryAfter != time.Hour {
		t.Fatalf("error %v, want a 429 APIError with RetryAfter 1h", err)
	}
	if srv.Hits() != 1 || len(clock.Sleeps()) != 0 {
		t.Errorf("hits %d waits %v, want 1 request and no wait", srv.Hits(), clock.Sleeps())
	}
}

func TestNoRetriesWhenMaxRetriesNegative(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, reply(503, `{}`), reply(200, userJSON))
	c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.MaxRetries = -1 })
	_, err := c.GetJSON(context.Background(), "users/me.json", nil, &user{})
	var apiErr *ticketsync.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Fatalf("error %v, want a 503 APIError", err)
	}
	if srv.Hits() != 1 {
		t.Errorf("server got %d requests, want 1", srv.Hits())
	}
}

func TestCancelDuringBackoffStopsRetries(t *testing.T) {
	clock := newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock.onSleep = func(time.Duration) { cancel() }
	srv := newServer(t, reply(503, `{}`))
	c := newClient(t, srv.URL, clock, nil)

	_, err := c.GetJSON(ctx, "users/me.json", nil, &user{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if srv.Hits() != 1 {
		t.Errorf("server got %d requests after cancel, want 1", srv.Hits())
	}
}

func TestCancelStopsRealSleep(t *testing.T) {
	// The real sleep: the server asks for a minute, the context ends after
	// the first answer, and the call must return at once.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(429)
		cancel()
	})
	c, err := New(Config{Platform: "zendesk", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var callErr error
	hangGuard(t, func() { _, callErr = c.GetJSON(ctx, "users/me.json", nil, &user{}) })
	if !errors.Is(callErr, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", callErr)
	}
	if srv.Hits() != 1 {
		t.Errorf("server got %d requests, want 1", srv.Hits())
	}
}

func TestCheckRetryAfterContextEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := newClient(t, "http://127.0.0.1:1", newFakeClock(), nil)
	cl := &call{c: c, ctx: ctx}
	retry, err := cl.checkRetry(ctx, &http.Response{StatusCode: 503, Header: http.Header{}}, nil)
	if retry || !errors.Is(err, context.Canceled) {
		t.Errorf("checkRetry after cancel = %v, %v; want false, context.Canceled", retry, err)
	}
}

func TestParseReset(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Time{
		"1740830430":           time.Unix(1740830430, 0),
		"30":                   now.Add(30 * time.Second),
		"2025-03-01T12:05Z":    now.Add(5 * time.Minute),
		"2025-03-01T12:00:09Z": now.Add(9 * time.Second),
	}
	for in, want := range cases {
		got, ok := parseReset(in, now)
		if !ok || !got.Equal(want) {
			t.Errorf("parseReset(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "soon", "-3"} {
		if _, ok := parseReset(in, now); ok {
			t.Errorf("parseReset(%q) accepted", in)
		}
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNotIdempotentRetriesOnly429(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t,
		reply(429, `{"error":"TooManyRequests"}`, "Retry-After", "1"),
		reply(503, `{"error":"Unavailable"}`),
		reply(201, userJSON))
	c := newClient(t, srv.URL, clock, nil)
	_, err := c.PostJSON(context.Background(), "webhooks", map[string]string{"a": "b"}, nil, NotIdempotent())
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("PostJSON = %v; want the 503, not a second attempt after it", err)
	}
	if srv.Hits() != 2 {
		t.Errorf("server got %d requests, want 2 (the 429 retried, the 503 not)", srv.Hits())
	}
}
