package httpx

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"golang.org/x/time/rate"
)

// recordedHooks keeps what Hooks.Request and Hooks.Wait report.
type recordedHooks struct {
	mu       sync.Mutex
	requests []ticketsync.PlatformRequest
	waits    []ticketsync.PlatformWait
}

func (r *recordedHooks) hooks() *ticketsync.Hooks {
	return &ticketsync.Hooks{
		Request: func(ctx context.Context, req ticketsync.PlatformRequest) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.requests = append(r.requests, req)
		},
		Wait: func(ctx context.Context, w ticketsync.PlatformWait) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.waits = append(r.waits, w)
		},
	}
}

func TestHooksSeeEveryAttemptAndWait(t *testing.T) {
	srv := newServer(t,
		reply(http.StatusTooManyRequests, `{"error":"slow down"}`, "Retry-After", "7"),
		reply(http.StatusOK, `{}`))
	clock := newFakeClock()
	limiter := rate.NewLimiter(rate.Every(time.Second), 1)
	c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.Limiter = limiter })
	var rec recordedHooks
	ctx := ticketsync.WithHooks(context.Background(), rec.hooks())

	if _, err := c.GetJSON(ctx, "tickets/12345/comments.json", nil, nil); err != nil {
		t.Fatal(err)
	}
	if len(rec.requests) != 2 {
		t.Fatalf("%d requests reported, want the 2 attempts: %+v", len(rec.requests), rec.requests)
	}
	for i, want := range []int{429, 200} {
		r := rec.requests[i]
		if r.StatusCode != want || r.Platform != "zendesk" || r.Method != "GET" ||
			r.Endpoint != "/api/v2/tickets/{id}/comments.json" || r.Err != nil || r.Start.IsZero() {
			t.Errorf("request %d = %+v, want GET /api/v2/tickets/{id}/comments.json answered %d", i, r, want)
		}
	}
	// The limiter allows one request a second: a second call waits.
	if _, err := c.GetJSON(ctx, "tickets/12345/comments.json", nil, nil); err != nil {
		t.Fatal(err)
	}
	var retry, limited time.Duration
	for _, w := range rec.waits {
		if w.Platform != "zendesk" || w.Endpoint != "/api/v2/tickets/{id}/comments.json" {
			t.Errorf("wait %+v names the wrong request", w)
		}
		switch w.Reason {
		case ticketsync.WaitRetry:
			retry += w.Duration
		case ticketsync.WaitRateLimit:
			limited += w.Duration
		}
	}
	if retry != 7*time.Second {
		t.Errorf("retry waits add up to %s, want the 7s Retry-After asked", retry)
	}
	if limited <= 0 {
		t.Errorf("no rate-limit wait reported; the limiter allows 1/s")
	}

	// Without hooks in the context nothing is reported.
	rec = recordedHooks{}
	srv.SetHandlers(reply(http.StatusOK, `{}`))
	if _, err := c.GetJSON(context.Background(), "tickets.json", nil, nil); err != nil {
		t.Fatal(err)
	}
	if len(rec.requests)+len(rec.waits) != 0 {
		t.Errorf("reported without hooks in the context: %+v %+v", rec.requests, rec.waits)
	}
}

func TestHooksSeeNetworkErrors(t *testing.T) {
	clock := newFakeClock()
	c := newClient(t, closedPortURL(t), clock, func(cfg *Config) { cfg.MaxRetries = -1 })
	var rec recordedHooks
	_, err := c.GetJSON(ticketsync.WithHooks(context.Background(), rec.hooks()), "tickets.json", nil, nil)
	if err == nil {
		t.Fatal("no error from a closed port")
	}
	if len(rec.requests) != 1 || rec.requests[0].StatusCode != 0 || rec.requests[0].Err == nil {
		t.Errorf("requests = %+v, want one without an answer, with its error", rec.requests)
	}
}

func TestEndpoint(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v2/incremental/tickets/cursor.json":           "/api/v2/incremental/tickets/cursor.json",
		"/api/v2/tickets/123/comments.json":                 "/api/v2/tickets/{id}/comments.json",
		"/api/v2/tickets/123.json":                          "/api/v2/tickets/{id}.json",
		"/rest/api/3/search/jql":                            "/rest/api/3/search/jql",
		"/rest/servicedeskapi/request/SD-42/comment":        "/rest/servicedeskapi/request/{id}/comment",
		"/crm/v3/objects/tickets/batch/read":                "/crm/v3/objects/tickets/batch/read",
		"/crm/v4/objects/tickets/9f8e7d6c/associations/x":   "/crm/v4/objects/tickets/{id}/associations/x",
		"/conversations/1234567890":                         "/conversations/{id}",
		"/api/2.0/things":                                   "/api/2.0/things",
		"/api/v1.1/things/42":                               "/api/v1.1/things/{id}",
		"/webhooks/ticket/a1b2c3d4-0000-4000-8000-abcdef12": "/webhooks/ticket/{id}",
	} {
		if got := endpoint(path); got != want {
			t.Errorf("endpoint(%q) = %q, want %q", path, got, want)
		}
	}
}
