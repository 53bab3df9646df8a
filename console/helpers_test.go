package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// prefix is where the tests mount the console, as a host would.
const prefix = "/admin/support"

// env is a console over a Syncer, a memstore and a fake Zendesk account.
type env struct {
	t      *testing.T
	fake   *zendesktest.Server
	store  *memstore.Store
	syncer *ticketsync.Syncer
	conns  *console.MemoryConnections
	srv    *httptest.Server
	client *http.Client
}

// newEnv starts the console; opts may adjust its Options.
func newEnv(t *testing.T, opts func(*console.Options)) *env {
	t.Helper()
	fake := zendesktest.NewServer(t, &zendesktest.Options{Subdomain: "acme", ExportRateLimit: -1, RateLimit: -1})
	fake.Seed(5)
	st := memstore.New()
	s := ticketsync.NewSyncer(st, nil)
	e := &env{t: t, fake: fake, store: st, syncer: s, conns: &console.MemoryConnections{}}
	o := console.Options{
		Authorize:   func(r *http.Request) bool { return r.Header.Get("X-Test-User") != "mallory" },
		Prefix:      prefix,
		Platforms:   []console.Platform{e.zendeskPlatform()},
		Connections: e.conns,
		WebhookURL:  "https://support.example.com/api/webhooks/tickets",
	}
	if opts != nil {
		opts(&o)
	}
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", console.Handler(s, st, &o))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

// zendeskPlatform is Zendesk against the fake.
func (e *env) zendeskPlatform() console.Platform {
	return console.PlatformOf(zendesk.Form(), zendesk.New, func(c *zendesk.Config) {
		c.BaseURL = e.fake.URL
		c.ExportRequestsPerMinute = -1
		c.RequestsPerMinute = -1
	})
}

// addZendesk adds a connector to the fake account directly, as a host does
// at start.
func (e *env) addZendesk(id string, mode ticketsync.Mode) {
	e.t.Helper()
	zd, err := zendesk.New(zendesk.Config{BaseURL: e.fake.URL, Email: e.fake.Email, APIToken: e.fake.Token,
		ExportRequestsPerMinute: -1, RequestsPerMinute: -1, WebhookSecret: "whsec-do-not-show"})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.syncer.Add(id, zd, mode); err != nil {
		e.t.Fatal(err)
	}
}

// response is an answer, read whole.
type response struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

// get fetches a console path.
func (e *env) get(path string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+prefix+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(req)
}

// post submits a form to a console path as the console's own page would:
// with the Origin and Sec-Fetch-Site a browser sends.
func (e *env) post(path string, form url.Values) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+prefix+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return e.do(req)
}

// follow fetches the Location of a redirect.
func (e *env) follow(r response) response {
	e.t.Helper()
	if r.status != http.StatusSeeOther {
		e.t.Fatalf("want a 303 redirect, got %d: %s", r.status, r.body)
	}
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, prefix+"/") {
		e.t.Fatalf("redirect to %q, outside the console", loc)
	}
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+loc, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(req)
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
