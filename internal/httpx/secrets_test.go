package httpx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const secret = "SECRET-TOKEN-123"

// TestNoSecretInErrorsOrLogs forces every kind of failure with a credential
// in Basic auth, in a Bearer token and in the query string, and checks that
// it appears in no error text and no log line.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	handlers := map[string]http.HandlerFunc{
		"401":  reply(401, `{"error":"Couldn't authenticate you"}`),
		"500":  reply(500, `{"error":"boom"}`),
		"429":  reply(429, `{}`, "Retry-After", "1"),
		"bad":  reply(200, `{"user":`),
		"html": reply(200, `<html></html>`, "Content-Type", "text/html"),
		"echo": reply(400, `{"error":"invalid token `+secret+` for agent"}`),
		"timeout": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		},
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/api/v2/loop?token="+secret, http.StatusFound)
		},
	}
	auths := map[string]func(*Config){
		"basic": func(cfg *Config) { cfg.Username, cfg.Password = "agent@example.com/token", secret },
		"token": func(cfg *Config) { cfg.Token = secret },
		"tokensource": func(cfg *Config) {
			cfg.TokenSource = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: secret})
		},
		"caller-client": func(cfg *Config) {
			cfg.HTTPClient = &http.Client{Transport: headerTransport{"Authorization", "Bearer " + secret}}
		},
	}
	for authName, auth := range auths {
		for name, h := range handlers {
			t.Run(authName+"/"+name, func(t *testing.T) {
				var sawAuth atomic.Bool
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
					if strings.Contains(r.Header.Get("Authorization"), " ") {
						sawAuth.Store(true)
					}
					h(w, r)
				})
				logs := &syncBuffer{}
				c := newClient(t, srv.URL, newFakeClock(), func(cfg *Config) {
					auth(cfg)
					cfg.Logger = debugLogger(logs)
					cfg.MaxRetries = 2
					cfg.Timeout = 50 * time.Millisecond
				})
				query := url.Values{"token": {secret}, "api_key": {secret}}
				var errs []error
				hangGuard(t, func() {
					_, err := c.GetJSON(context.Background(), "tickets.json?access_token="+secret, query, &user{})
					errs = append(errs, err)
					_, err = c.PostJSON(context.Background(), "search?token="+secret, map[string]string{"q": "x"}, &user{})
					errs = append(errs, err)
				})
				if !sawAuth.Load() && name != "timeout" {
					t.Error("the server never saw credentials: the test proves nothing")
				}
				for _, err := range errs {
					if err == nil {
						t.Fatal("no error")
					}
					assertNoSecret(t, "error", err.Error())
					assertNoSecret(t, "error chain", fmt.Sprintf("%+v %#v", errors.Unwrap(err), err))
				}
				assertNoSecret(t, "log", logs.String())
				if name == "500" && !strings.Contains(logs.String(), "retrying request") {
					t.Errorf("retries were not logged: %q", logs.String())
				}
			})
		}
	}
}

func TestNoSecretOnNetworkFailure(t *testing.T) {
	logs := &syncBuffer{}
	base := closedPortURL(t)
	c := newClient(t, base, newFakeClock(), func(cfg *Config) {
		cfg.Username, cfg.Password = "agent@example.com/token", secret
		cfg.Logger = debugLogger(logs)
		cfg.MaxRetries = 2
	})
	_, err := c.GetJSON(context.Background(), base+"/api/v2/tickets.json?token="+secret, nil, &user{})
	if err == nil {
		t.Fatal("no error")
	}
	assertNoSecret(t, "error", err.Error())
	assertNoSecret(t, "log", logs.String())
	if !strings.Contains(logs.String(), "connection refused") || !strings.Contains(logs.String(), "path=/api/v2/tickets.json") {
		t.Errorf("retry log lacks the error or path: %q", logs.String())
	}
}

func TestSanitizeDropsURLError(t *testing.T) {
	ue := &url.Error{Op: "Get", URL: "https://x.example.com/a?token=" + secret, Err: context.DeadlineExceeded}
	for _, err := range []error{ue, fmt.Errorf("wrapped: %w", ue)} {
		got := sanitize(err)
		assertNoSecret(t, "sanitized", got.Error())
		if !errors.Is(got, context.DeadlineExceeded) {
			t.Errorf("sanitize(%v) lost the cause", err)
		}
		var back *url.Error
		if errors.As(got, &back) {
			t.Errorf("sanitize(%v) kept the url.Error", err)
		}
	}
	if got := sanitize(fmt.Errorf("wrapped: %w", ue)).Error(); got != "wrapped: context deadline exceeded" {
		t.Errorf("sanitize text %q", got)
	}
}

func TestNewErrorsHoldNoSecret(t *testing.T) {
	_, err := New(Config{Platform: "zendesk", BaseURL: "https://agent:" + secret + "@acme.zendesk.com/api/v2"})
	if err == nil {
		t.Fatal("New accepted a base URL with credentials")
	}
	assertNoSecret(t, "New error", err.Error())
	_, err = New(Config{Platform: "zendesk", BaseURL: "https://acme.zendesk.com/api/v2?token=" + secret})
	if err == nil {
		t.Fatal("New accepted a base URL with a query")
	}
	assertNoSecret(t, "New error", err.Error())
}

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, secret) {
		t.Errorf("%s holds the secret: %s", what, s)
	}
}

// headerTransport is a caller's transport that authenticates on its own.
type headerTransport struct{ key, value string }

func (h headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set(h.key, h.value)
	return http.DefaultTransport.RoundTrip(r)
}
