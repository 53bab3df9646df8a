package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"golang.org/x/oauth2"
)

func TestBasicAuth(t *testing.T) {
	srv := newServer(t, reply(200, userJSON))
	c := newClient(t, srv.URL, newFakeClock(), func(cfg *Config) {
		cfg.Username, cfg.Password = "agent@example.com/token", "tok"
	})
	if _, err := c.GetJSON(context.Background(), "users/me.json", nil, &user{}); err != nil {
		t.Fatal(err)
	}
	u, p, ok := srv.Request(0).BasicAuth()
	if !ok || u != "agent@example.com/token" || p != "tok" {
		t.Errorf("Basic auth %q %q %v", u, p, ok)
	}
}

func TestBearerAuth(t *testing.T) {
	var calls atomic.Int32
	sources := map[string]func(*Config){
		"token": func(cfg *Config) { cfg.Token = "abc123" },
		"source": func(cfg *Config) {
			cfg.TokenSource = countingSource{&calls, &oauth2.Token{AccessToken: "abc123", Expiry: time.Now().Add(time.Hour)}}
		},
	}
	for name, set := range sources {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, reply(200, userJSON))
			c := newClient(t, srv.URL, newFakeClock(), set)
			for i := 0; i < 2; i++ {
				if _, err := c.GetJSON(context.Background(), "me", nil, &user{}); err != nil {
					t.Fatal(err)
				}
			}
			if got := srv.Request(1).Header.Get("Authorization"); got != "Bearer abc123" {
				t.Errorf("Authorization %q", got)
			}
		})
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("TokenSource called %d times, want 1: a valid token is reused", n)
	}
}

type countingSource struct {
	n   *atomic.Int32
	tok *oauth2.Token
}

func (s countingSource) Token() (*oauth2.Token, error) {
	s.n.Add(1)
	return s.tok, nil
}

func TestTokenSourceFailure(t *testing.T) {
	srv := newServer(t, reply(200, userJSON))
	c := newClient(t, srv.URL, newFakeClock(), func(cfg *Config) {
		cfg.TokenSource = failingSource{}
		cfg.MaxRetries = -1
	})
	_, err := c.GetJSON(context.Background(), "me", nil, &user{})
	if err == nil || !strings.Contains(err.Error(), "refresh token revoked") || srv.Hits() != 0 {
		t.Errorf("error %v after %d requests; want the token error and no request", err, srv.Hits())
	}
}

type failingSource struct{}

func (failingSource) Token() (*oauth2.Token, error) { return nil, errors.New("refresh token revoked") }

func TestCredentialsStayOnTheBaseHost(t *testing.T) {
	other := newServer(t, reply(200, userJSON))
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	})
	for name, set := range map[string]func(*Config){
		"basic":  func(cfg *Config) { cfg.Username, cfg.Password = "agent", "password" },
		"bearer": func(cfg *Config) { cfg.Token = "abc123" },
	} {
		t.Run(name, func(t *testing.T) {
			other.SetHandlers(reply(200, userJSON))
			c := newClient(t, srv.URL, newFakeClock(), set)
			if _, err := c.GetJSON(context.Background(), "me", nil, &user{}); err != nil {
				t.Fatal(err)
			}
			if other.Hits() != 1 {
				t.Fatalf("the redirect target got %d requests, want 1", other.Hits())
			}
			if got := other.Request(0).Header.Get("Authorization"); got != "" {
				t.Errorf("the other host got Authorization %q", got)
			}
		})
	}
}

func TestCallerClient(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newServer(t, reply(200, userJSON), func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	var used atomic.Int32
	rt := &countingTransport{n: &used}
	caller := &http.Client{Transport: rt, Timeout: 80 * time.Millisecond}
	c := newClient(t, srv.URL, newFakeClock(), func(cfg *Config) {
		cfg.HTTPClient = caller
		cfg.Token = "abc123"
		cfg.MaxRetries = -1
	})
	if _, err := c.GetJSON(context.Background(), "me", nil, &user{}); err != nil {
		t.Fatal(err)
	}
	if used.Load() != 1 {
		t.Errorf("the caller's transport carried %d requests, want 1", used.Load())
	}
	if got := srv.Request(0).Header.Get("Authorization"); got != "Bearer abc123" {
		t.Errorf("Authorization %q over the caller's transport", got)
	}
	var err error
	hangGuard(t, func() { _, err = c.GetJSON(context.Background(), "me", nil, &user{}) })
	var reqErr *RequestError
	if !errors.As(err, &reqErr) || !reqErr.Timeout() || !strings.Contains(err.Error(), "within 80ms") {
		t.Errorf("error %v, want a timeout after the caller's 80ms", err)
	}
	if caller.Transport != rt || caller.Timeout != 80*time.Millisecond || caller.CheckRedirect != nil || caller.Jar != nil {
		t.Error("New modified the caller's client")
	}
}

type countingTransport struct{ n *atomic.Int32 }

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(req)
}

func TestConfigTimeoutOverridesCallerTimeout(t *testing.T) {
	c, err := New(Config{Platform: "x", BaseURL: "https://x.example.com", HTTPClient: &http.Client{Timeout: time.Minute}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if c.timeout != time.Second {
		t.Errorf("timeout %s, want 1s", c.timeout)
	}
	c, _ = New(Config{Platform: "x", BaseURL: "https://x.example.com"})
	if c.timeout != DefaultTimeout {
		t.Errorf("timeout %s, want %s", c.timeout, DefaultTimeout)
	}
}

func TestHeaders(t *testing.T) {
	srv := newServer(t, reply(200, userJSON))
	c := newClient(t, srv.URL, newFakeClock(), func(cfg *Config) {
		cfg.Header = http.Header{"Intercom-Version": {"2.14"}}
	})
	if _, err := c.GetJSON(context.Background(), "me", nil, &user{}, WithHeader("X-Extra", "1")); err != nil {
		t.Fatal(err)
	}
	h := srv.Request(0).Header
	for k, want := range map[string]string{
		"User-Agent":       "ticketsync/" + Version,
		"Accept":           "application/json",
		"Intercom-Version": "2.14",
		"X-Extra":          "1",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func TestPostJSONRetriesWithTheSameBody(t *testing.T) {
	clock := newFakeClock()
	srv := newServer(t, reply(503, `{}`), reply(200, `{"total":1,"results":[{"id":"9"}]}`))
	c := newClient(t, srv.URL, clock, nil)
	in := map[string]any{"filterGroups": []any{}, "limit": 100, "after": "abc"}
	var out struct {
		Total   int `json:"total"`
		Results []struct {
			ID string `json:"id"`
		} `json:"results"`
	}
	h, err := c.PostJSON(context.Background(), "/crm/v3/objects/tickets/search", in, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.Total != 1 || out.Results[0].ID != "9" || h.Get("Content-Type") == "" {
		t.Errorf("out %+v headers %v", out, h)
	}
	want, _ := json.Marshal(in)
	for i := 0; i < 2; i++ {
		r := srv.Request(i)
		if r.Method != "POST" || r.URL.Path != "/api/v2/crm/v3/objects/tickets/search" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("attempt %d: %s %s %q", i, r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		if got := srv.Body(i); string(got) != string(want) {
			t.Errorf("attempt %d body %s, want %s", i, got, want)
		}
	}
}

func TestPostJSONUnencodable(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1", newFakeClock(), nil)
	_, err := c.PostJSON(context.Background(), "search?token=x", map[string]any{"f": func() {}}, nil)
	var reqErr *RequestError
	if !errors.As(err, &reqErr) || reqErr.Path != "/api/v2/search" && reqErr.Path != "search" || !strings.Contains(err.Error(), "encode request body") {
		t.Errorf("error %v", err)
	}
	if strings.Contains(err.Error(), "token") {
		t.Errorf("error %q holds the query", err)
	}
}

func TestGetJSONSendsQuery(t *testing.T) {
	srv := newServer(t, reply(200, userJSON))
	c := newClient(t, srv.URL, newFakeClock(), nil)
	q := url.Values{"start_time": {"1700000000"}, "include": {"users"}}
	if _, err := c.GetJSON(context.Background(), "incremental/tickets/cursor.json", q, &user{}); err != nil {
		t.Fatal(err)
	}
	r := srv.Request(0)
	if r.URL.Path != "/api/v2/incremental/tickets/cursor.json" || r.URL.Query().Get("start_time") != "1700000000" || r.URL.Query().Get("include") != "users" {
		t.Errorf("request %s", r.URL)
	}
}

func TestURL(t *testing.T) {
	c, err := New(Config{Platform: "freshdesk", BaseURL: "https://acme.freshdesk.com/api/v2"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ref   string
		query url.Values
		want  string
	}{
		{"tickets", nil, "https://acme.freshdesk.com/api/v2/tickets"},
		{"/tickets", nil, "https://acme.freshdesk.com/api/v2/tickets"},
		{"tickets/1/conversations?page=2", nil, "https://acme.freshdesk.com/api/v2/tickets/1/conversations?page=2"},
		{"/api/v2/tickets?page=3", nil, "https://acme.freshdesk.com/api/v2/tickets?page=3"},
		{"https://acme.freshdesk.com/api/v2/tickets?page=4&per_page=100", nil, "https://acme.freshdesk.com/api/v2/tickets?page=4&per_page=100"},
		{"tickets", url.Values{"updated_since": {"2025-01-01T00:00:00Z"}}, "https://acme.freshdesk.com/api/v2/tickets?updated_since=2025-01-01T00%3A00%3A00Z"},
		{"tickets?order_by=updated_at", url.Values{"page": {"1"}}, "https://acme.freshdesk.com/api/v2/tickets?order_by=updated_at&page=1"},
		{"tickets#frag", nil, "https://acme.freshdesk.com/api/v2/tickets"},
	}
	for _, tc := range cases {
		u, err := c.URL(tc.ref, tc.query)
		if err != nil || u.String() != tc.want {
			t.Errorf("URL(%q) = %v, %v; want %s", tc.ref, u, err, tc.want)
		}
	}
	for _, ref := range []string{
		"https://evil.example.com/api/v2/tickets",
		"http://acme.freshdesk.com/api/v2/tickets",
		"//evil.example.com/x",
		"https://user:pw@acme.freshdesk.com/api/v2/tickets",
	} {
		if u, err := c.URL(ref, nil); err == nil {
			t.Errorf("URL(%q) = %s, want refused", ref, u)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("URL(%q) error %q holds the password", ref, err)
		}
	}
}

func TestDo(t *testing.T) {
	srv := newServer(t, reply(200, "id,subject\n1,Hi\n", "Content-Type", "text/csv"), reply(404, `{"errors":[{"code":"not_found","message":"Conversation not found"}]}`))
	c := newClient(t, srv.URL, newFakeClock(), func(cfg *Config) { cfg.Token = "abc123" })
	req, err := c.NewRequest(context.Background(), "GET", "export.csv", url.Values{"token": {"x"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/csv")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "id,subject\n1,Hi\n" || srv.Request(0).Header.Get("Authorization") != "Bearer abc123" || srv.Request(0).Header.Get("Accept") != "text/csv" {
		t.Errorf("body %q, request headers %v", body, srv.Request(0).Header)
	}
	if req.Header.Get("User-Agent") != "" {
		t.Error("Do modified the caller's request")
	}

	rel, _ := http.NewRequestWithContext(context.Background(), "GET", "conversations/1", nil)
	resp, err = c.Do(rel)
	if !errors.Is(err, ticketsync.ErrNotFound) || resp == nil || resp.StatusCode != 404 {
		t.Fatalf("Do = %v, %v; want the 404 response and ErrNotFound", resp, err)
	}
	if srv.Request(1).URL.Path != "/api/v2/conversations/1" {
		t.Errorf("relative request went to %s", srv.Request(1).URL.Path)
	}
	if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), "Conversation not found") {
		t.Errorf("404 body %q not readable", body)
	}
	if !strings.HasSuffix(err.Error(), "404 Not Found: Conversation not found") {
		t.Errorf("error %q", err)
	}
}

func TestNewValidates(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{BaseURL: "https://x.example.com"}, "Platform is empty"},
		{Config{Platform: "zendesk"}, "zendesk: base URL is empty"},
		{Config{Platform: "zendesk", BaseURL: "acme.zendesk.com"}, "absolute http or https URL"},
		{Config{Platform: "zendesk", BaseURL: "ftp://acme.zendesk.com"}, "absolute http or https URL"},
		{Config{Platform: "zendesk", BaseURL: "https://acme.zendesk.com", Username: "a", Token: "b"}, "only one of"},
		{Config{Platform: "zendesk", BaseURL: "https://acme.zendesk.com", Password: "b"}, "password without a username"},
	}
	for _, tc := range cases {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error saying %q", tc.cfg, err, tc.want)
		}
	}
}

func TestPlatformMessage(t *testing.T) {
	cases := []struct {
		name, body, mt, want string
	}{
		{"zendesk 401", `{"error":"Couldn't authenticate you"}`, "application/json", "Couldn't authenticate you"},
		{"zendesk invalid", `{"error":"RecordInvalid","description":"Record validation errors","details":{}}`, "application/json", "RecordInvalid: Record validation errors"},
		{"error object message", `{"error":{"message":"bad cursor","code":1}}`, "application/json", "bad cursor"},
		{"error object title", `{"error":{"title":"Invalid attribute","message":""}}`, "application/json", "Invalid attribute"},
		{"freshdesk 401", `{"code":"invalid_credentials","message":"You have to be logged in to perform this action."}`, "application/json", "You have to be logged in to perform this action."},
		{"freshdesk validation", `{"description":"Validation failed","errors":[{"field":"email","message":"It should be a valid email address","code":"invalid_value"},{"field":"status","message":"It should be one of these values: '2,3,4,5'","code":"invalid_value"}]}`, "application/json",
			"Validation failed: email: It should be a valid email address; status: It should be one of these values: '2,3,4,5'"},
		{"jira", `{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}`, "application/json", "Issue does not exist or you do not have permission to see it."},
		{"jira field errors", `{"errorMessages":[],"errors":{"summary":"Summary is required","project":"project is required"}}`, "application/json", "project: project is required; summary: Summary is required"},
		{"intercom", `{"type":"error.list","request_id":"r1","errors":[{"code":"unauthorized","message":"Access Token Invalid"}]}`, "application/json", "Access Token Invalid"},
		{"intercom code only", `{"type":"error.list","errors":[{"code":"rate_limit_exceeded"}]}`, "application/json", "rate_limit_exceeded"},
		{"hubspot", `{"status":"error","message":"Authentication credentials not found.","correlationId":"c1","category":"INVALID_AUTHENTICATION"}`, "application/json", "Authentication credentials not found. (INVALID_AUTHENTICATION)"},
		{"multi-line", "{\"message\":\"line one\\n   line two\"}", "application/json", "line one line two"},
		{"plain text", "Too Many Requests\n", "text/plain", "Too Many Requests"},
		{"html", "<html><body>Error</body></html>", "text/html", ""},
		{"empty", "", "application/json", ""},
		{"no message", `{"ok":false}`, "application/json", ""},
		{"array", `[1,2]`, "application/json", ""},
	}
	for _, tc := range cases {
		if got := platformMessage([]byte(tc.body), tc.mt); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLongMessageIsTruncated(t *testing.T) {
	long := strings.Repeat("é", 400)
	srv := newServer(t, reply(422, `{"error":"`+long+`"}`))
	c := newClient(t, srv.URL, newFakeClock(), nil)
	_, err := c.GetJSON(context.Background(), "x", nil, nil)
	var apiErr *ticketsync.APIError
	if !errors.As(err, &apiErr) {
		t.Fatal(err)
	}
	if len(apiErr.Message) > maxMessage || !strings.HasSuffix(apiErr.Message, "…") || !strings.HasPrefix(apiErr.Message, "éé") {
		t.Errorf("message of %d bytes: %q", len(apiErr.Message), apiErr.Message)
	}
	if !utf8Valid(apiErr.Message) {
		t.Error("truncation split a rune")
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestRefusedTokenIsUnauthorized(t *testing.T) {
	tokenSrv := newServer(t, reply(400, `{"error":"invalid_grant","error_description":"refresh token expired"}`))
	srv := newServer(t, reply(200, userJSON))
	conf := &oauth2.Config{ClientID: "id", ClientSecret: "client-secret-value", Endpoint: oauth2.Endpoint{TokenURL: tokenSrv.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader}}
	ts := conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: "refresh-token-value", Expiry: time.Now().Add(-time.Hour)})
	c := newClient(t, srv.URL, newFakeClock(), func(cfg *Config) { cfg.TokenSource = ts })
	_, err := c.GetJSON(context.Background(), "me", nil, &user{})
	if !errors.Is(err, ticketsync.ErrUnauthorized) {
		t.Errorf("error %v does not match ErrUnauthorized", err)
	}
	if tokenSrv.Hits() != 1 || srv.Hits() != 0 {
		t.Errorf("token endpoint got %d requests, API %d; want 1 and 0: a refused token is not retried", tokenSrv.Hits(), srv.Hits())
	}
	if strings.Contains(err.Error(), "refresh-token-value") || strings.Contains(err.Error(), "client-secret-value") {
		t.Errorf("error %q holds a credential", err)
	}
}

func TestDefaultTransportIdleConnectionsUntouched(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1", newFakeClock(), nil)
	if _, ok := c.hc.Transport.(interface{ CloseIdleConnections() }); ok {
		t.Error("the Client's transport exposes CloseIdleConnections of a transport it does not own")
	}
}
