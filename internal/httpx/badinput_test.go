package httpx

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
)

// checkRequestError checks that err is a *RequestError naming the platform
// and the request without its query, whose text holds want.
func checkRequestError(t *testing.T, err error, want string) *RequestError {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	var reqErr *RequestError
	if !errors.As(err, &reqErr) {
		t.Fatalf("error %T %q is not a *RequestError", err, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "zendesk: GET /api/v2/tickets.json: ") {
		t.Errorf("error %q does not name the platform and request", msg)
	}
	if strings.Contains(msg, "page=") || strings.Contains(msg, "?") {
		t.Errorf("error %q holds the query", msg)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("error %q does not say %q", msg, want)
	}
	return reqErr
}

var pageQuery = map[string][]string{"page": {"2"}}

func TestBadResponses(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"truncated JSON", reply(200, `{"user":{"id":7,"na`), "invalid JSON in response (19 bytes): unexpected end of JSON input"},
		{"syntax error", reply(200, `{"user":}`), "invalid JSON in response"},
		{"wrong JSON type", reply(200, `{"user":[1,2]}`), "decode response: json: cannot unmarshal array"},
		{"HTML page", reply(200, "<!DOCTYPE html><html><body>Help Center</body></html>", "Content-Type", "text/html; charset=utf-8"),
			"expected JSON, got text/html from 127.0.0.1"},
		{"HTML without content type", func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil
			_, _ = w.Write([]byte("  <html>moved</html>"))
		}, "check the subdomain or base URL"},
		{"plain text", reply(200, "all good", "Content-Type", "text/plain"), "expected JSON, got text/plain"},
		{"empty 200", reply(200, ""), "empty response body (HTTP 200), expected JSON"},
		{"empty 204", reply(204, ""), "empty response body (HTTP 204), expected JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, tc.handler)
			c := newClient(t, srv.URL, newFakeClock(), nil)
			var out user
			var err error
			hangGuard(t, func() { _, err = c.GetJSON(context.Background(), "tickets.json", pageQuery, &out) })
			checkRequestError(t, err, tc.want)
			if srv.Hits() != 1 {
				t.Errorf("server got %d requests, want 1: a bad body is not retried", srv.Hits())
			}
		})
	}
}

func TestHTMLNotFoundSaysCheckSubdomain(t *testing.T) {
	srv := newServer(t, reply(404, "<html><body>No such help desk</body></html>", "Content-Type", "text/html"))
	c := newClient(t, srv.URL, newFakeClock(), nil)
	_, err := c.GetJSON(context.Background(), "users/me.json", nil, &user{})
	if !errors.Is(err, ticketsync.ErrNotFound) {
		t.Fatalf("error %v does not match ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "check the subdomain or base URL") {
		t.Errorf("error %q gives no hint", err)
	}
}

func TestNoBodyWantedIsFine(t *testing.T) {
	srv := newServer(t, reply(204, ""))
	c := newClient(t, srv.URL, newFakeClock(), nil)
	if _, err := c.GetJSON(context.Background(), "tickets.json", nil, nil); err != nil {
		t.Errorf("GetJSON with nil out: %v", err)
	}
}

func TestSlowServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c := newClient(t, srv.URL, newFakeClock(), func(cfg *Config) {
		cfg.Timeout = 100 * time.Millisecond
		cfg.MaxRetries = 1
	})
	var err error
	hangGuard(t, func() { _, err = c.GetJSON(context.Background(), "tickets.json", pageQuery, &user{}) })
	reqErr := checkRequestError(t, err, "no complete answer within 100ms")
	if !reqErr.Timeout() {
		t.Errorf("error %q: Timeout() is false", err)
	}
	if srv.Hits() != 2 {
		t.Errorf("server got %d requests, want 2: a timeout is retried", srv.Hits())
	}
}

func TestSlowBodyTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"user":`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c := newClient(t, srv.URL, newFakeClock(), func(cfg *Config) {
		cfg.Timeout = 100 * time.Millisecond
		cfg.MaxRetries = -1
	})
	var err error
	hangGuard(t, func() { _, err = c.GetJSON(context.Background(), "tickets.json", pageQuery, &user{}) })
	checkRequestError(t, err, "read response body")
}

func TestConnectionClosedMidBody(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		writeRaw(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"user\":{\"id\":")
	})
	c := newClient(t, srv.URL, newFakeClock(), func(cfg *Config) { cfg.MaxRetries = 2 })
	var err error
	hangGuard(t, func() { _, err = c.GetJSON(context.Background(), "tickets.json", pageQuery, &user{}) })
	checkRequestError(t, err, "read response body: unexpected EOF")
	if srv.Hits() != 3 {
		t.Errorf("server got %d requests, want 3: a body cut short is retried", srv.Hits())
	}
}

func TestConnectionClosedMidBodyThenRecovers(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, _ := w.(http.Hijacker).Hijack()
		defer conn.Close()
		writeRaw(buf, "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{")
	}, reply(200, userJSON))
	clock := newFakeClock()
	c := newClient(t, srv.URL, clock, nil)
	var got user
	if _, err := c.GetJSON(context.Background(), "users/me.json", nil, &got); err != nil {
		t.Fatalf("GetJSON: %v", err)
	}
	if got.User.Name != "Ada" || len(clock.Sleeps()) != 1 {
		t.Errorf("got %+v after waits %v", got, clock.Sleeps())
	}
}

func TestBodyTooLarge(t *testing.T) {
	srv := newServer(t, reply(200, `{"user":{"name":"`+strings.Repeat("a", 2000)+`"}}`))
	c := newClient(t, srv.URL, newFakeClock(), func(cfg *Config) { cfg.MaxBodyBytes = 1 << 10 })
	_, err := c.GetJSON(context.Background(), "tickets.json", nil, &user{})
	checkRequestError(t, err, "response body too large: more than 1 KiB (MaxBodyBytes)")
	if srv.Hits() != 1 {
		t.Errorf("server got %d requests, want 1: too large is not retried", srv.Hits())
	}
}

func TestClosedPort(t *testing.T) {
	c := newClient(t, closedPortURL(t), newFakeClock(), func(cfg *Config) { cfg.MaxRetries = 2 })
	var err error
	hangGuard(t, func() { _, err = c.GetJSON(context.Background(), "tickets.json", pageQuery, &user{}) })
	checkRequestError(t, err, "connection refused")
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		t.Error("the error chain still holds a URL")
	}
}

func writeRaw(w *bufio.ReadWriter, s string) {
	_, _ = w.WriteString(s)
	_ = w.Flush()
}
