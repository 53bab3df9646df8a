package httpx

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"golang.org/x/oauth2"
)

// A 2xx that says no calls remain until a far-off reset (unix ms read as
// seconds, year 2100, RateLimit-Reset of 1e9 s, a clock skewed against a
// unix-seconds reset) must not hold the next request for centuries: every
// wait a server states is capped at MaxRetryWait.
func TestRateLimitResetWaitIsCapped(t *testing.T) {
	const maxWait = 2 * time.Minute
	clock := newFakeClock()
	now := clock.Now()
	cases := map[string][]string{
		"unix ms":          {"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(now.Add(time.Hour).UnixMilli(), 10)},
		"year 2100":        {"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "4102444800"},
		"iso far off":      {"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "2100-01-01T00:00Z"},
		"ietf 1e9 seconds": {"RateLimit-Remaining", "0", "RateLimit-Reset", "1000000000"},
		"ietf overflow":    {"RateLimit-Remaining", "0", "RateLimit-Reset", "9223372036854775807"},
		"skewed clock":     {"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(now.Add(6*time.Hour).Unix(), 10)},
		"hubspot interval": {"X-HubSpot-RateLimit-Remaining", "0", "X-HubSpot-RateLimit-Max", "100", "X-HubSpot-RateLimit-Interval-Milliseconds", "9223372036854775807"},
		"slow spread":      {"X-RateLimit-Remaining", "1", "X-RateLimit-Limit", "100", "X-RateLimit-Reset", "4102444800"},
	}
	for name, header := range cases {
		t.Run(name, func(t *testing.T) {
			clock := newFakeClock()
			srv := newServer(t, reply(200, userJSON, header...), reply(200, userJSON), reply(200, userJSON))
			c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.MaxRetryWait = maxWait })
			for range 3 {
				if _, err := c.GetJSON(context.Background(), "users/me.json", nil, &user{}); err != nil {
					t.Fatal(err)
				}
			}
			// The header says to wait longer than MaxRetryWait: the wait
			// is exactly MaxRetryWait, neither centuries nor nothing.
			sleeps := clock.Sleeps()
			if len(sleeps) == 0 || slices.Max(sleeps) != maxWait {
				t.Errorf("waits %v: want the longest to be %v", sleeps, maxWait)
			}
		})
	}
}

// Retry-After values whose seconds overflow a time.Duration must not wrap
// to zero or a few hundred milliseconds: they are longer than MaxRetryWait,
// so not retried, and APIError.RetryAfter says so.
func TestRetryAfterOverflow(t *testing.T) {
	for _, v := range []string{"9223372037", "18446744074", "9223372036854775807", "99999999999999999999999"} {
		t.Run(v, func(t *testing.T) {
			clock := newFakeClock()
			srv := newServer(t, reply(429, `{}`, "Retry-After", v), reply(200, userJSON))
			c := newClient(t, srv.URL, clock, func(cfg *Config) { cfg.MaxRetryWait = 2 * time.Minute })
			_, err := c.GetJSON(context.Background(), "users/me.json", nil, &user{})
			var apiErr *ticketsync.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
				t.Fatalf("error %v, want the 429", err)
			}
			if apiErr.RetryAfter < 24*time.Hour {
				t.Errorf("RetryAfter = %v, want the platform's long wait, not a wrapped one", apiErr.RetryAfter)
			}
			if srv.Hits() != 1 || len(clock.Sleeps()) != 0 {
				t.Errorf("hits %d waits %v: retried after a wrapped wait", srv.Hits(), clock.Sleeps())
			}
		})
	}
	for _, v := range []string{"9223372037", "9223372036854775807"} {
		clock := newFakeClock()
		srv := newServer(t, reply(429, `{}`, "RateLimit-Reset", v), reply(200, userJSON))
		c := newClient(t, srv.URL, clock, nil)
		_, err := c.GetJSON(context.Background(), "users/me.json", nil, &user{})
		var apiErr *ticketsync.APIError
		if !errors.As(err, &apiErr) || apiErr.RetryAfter < 24*time.Hour || srv.Hits() != 1 {
			t.Errorf("RateLimit-Reset %s: error %v after %d requests; want one request and a long RetryAfter", v, err, srv.Hits())
		}
	}
}

// A token endpoint whose error body echoes the refresh token or the client
// secret (some do, in error_description or a plain-text page) must not put
// them into the error, and so into SyncRun.Errors and logs.
func TestTokenEndpointErrorBodyIsScrubbed(t *testing.T) {
	const refresh, secret = "rt-Echoed-9876-zyxw", "cs-Echoed-5432-vuts"
	bodies := map[string][]string{
		"json description": {`{"error":"invalid_grant","error_description":"refresh_token ` + refresh + ` is revoked for client_secret ` + secret + `"}`, "Content-Type", "application/json"},
		"json odd code":    {`{"error":"bad ` + refresh + `"}`, "Content-Type", "application/json"},
		"plain text":       {"invalid refresh token " + refresh + " (client secret " + secret + ")", "Content-Type", "text/plain"},
		"server error":     {"upstream failed for " + refresh, "Content-Type", "text/plain"},
	}
	for name, b := range bodies {
		t.Run(name, func(t *testing.T) {
			status := 400
			if name == "server error" {
				status = 500
			}
			tokenSrv := newServer(t, reply(status, b[0], b[1:]...))
			srv := newServer(t, reply(200, userJSON))
			conf := &oauth2.Config{ClientID: "id", ClientSecret: secret, Endpoint: oauth2.Endpoint{TokenURL: tokenSrv.URL + "/token", AuthStyle: oauth2.AuthStyleInParams}}
			ts := conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: refresh, Expiry: time.Now().Add(-time.Hour)})
			c := newClient(t, srv.URL, newFakeClock(), func(cfg *Config) { cfg.TokenSource = ts; cfg.MaxRetries = -1 })
			_, err := c.GetJSON(context.Background(), "me", nil, &user{})
			if err == nil {
				t.Fatal("no error")
			}
			msg := fmt.Sprintf("%v %+v %#v", err, err, err)
			for _, s := range []string{refresh, secret} {
				if strings.Contains(msg, s) {
					t.Errorf("error holds a credential: %s", strings.ReplaceAll(strings.ReplaceAll(msg, refresh, "<REFRESH>"), secret, "<SECRET>"))
				}
			}
			if status == 400 && !errors.Is(err, ticketsync.ErrUnauthorized) {
				t.Errorf("error %v does not match ErrUnauthorized", err)
			}
		})
	}
}
