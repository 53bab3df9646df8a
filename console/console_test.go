package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
	"github.com/ticketsync/ticketsync/memstore"
)

func TestRefusesToServeWithoutAuthorize(t *testing.T) {
	st := memstore.New()
	h := console.Handler(ticketsync.NewSyncer(st, nil), st, &console.Options{})
	for _, path := range []string{"/", "/connect", "/static/console.css"} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			req, _ := http.NewRequest(method, path, nil)
			rec := newRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "Options.Authorize") {
				t.Errorf("%s %s without Authorize: %d %q", method, path, rec.Code, rec.Body.String())
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s %s: refusal without nosniff", method, path)
			}
		}
	}
}

func TestAuthorizeRefusal(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("acme", ticketsync.ModePoll)
	if err := e.syncer.Pause("acme"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/connect"}, {"GET", "/connect/zendesk"}, {"GET", "/connectors/acme"},
		{"GET", "/import"}, {"GET", "/static/console.css"}, {"POST", "/connectors/acme/resume"},
		{"POST", "/connectors/acme/remove"}, {"POST", "/connect/zendesk"},
	} {
		req, _ := http.NewRequest(c.method, e.srv.URL+prefix+c.path, nil)
		req.Header.Set("X-Test-User", "mallory")
		r := e.do(req)
		if r.status != http.StatusForbidden {
			t.Errorf("%s %s as an unauthorised user: %d, want 403", c.method, c.path, r.status)
		}
		if strings.Contains(r.body, "acme") {
			t.Errorf("%s %s: the refusal shows a connector", c.method, c.path)
		}
	}
	if st, ok := e.syncer.Status("acme"); !ok || !st.Paused {
		t.Errorf("an unauthorised POST changed the connector: %+v %v", st, ok)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/", "/connect", "/connect/zendesk", "/import", "/static/console.css", "/no-such-page"} {
		r := e.get(path)
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP allows inline code: %q", path, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, r.header)
		}
		if path != "/static/console.css" && path != "/no-such-page" && strings.Contains(r.body, "<script>") {
			t.Errorf("%s: inline script in the page", path)
		}
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("acme", ticketsync.ModePoll)
	send := func(path string, hdr map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+prefix+path, strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return e.do(req).status
	}
	evil := []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "same-site", "Origin": "https://sub." + strings.TrimPrefix(e.srv.URL, "http://")},
		{"Origin": "https://evil.example"},
	}
	for _, path := range []string{"/connectors/acme/pause", "/connectors/acme/remove", "/connectors/acme/sync", "/connectors/acme/repair", "/connect/zendesk", "/import"} {
		for _, h := range evil {
			if got := send(path, h); got != http.StatusForbidden {
				t.Errorf("POST %s with %v: %d, want 403", path, h, got)
			}
		}
	}
	if st, ok := e.syncer.Status("acme"); !ok || st.Paused {
		t.Fatalf("a cross-origin POST changed the connector: %+v, %v", st, ok)
	}
	// The console's own page may.
	if got := send("/connectors/acme/pause", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.srv.URL}); got != http.StatusSeeOther {
		t.Fatalf("same-origin pause: %d", got)
	}
	if st, _ := e.syncer.Status("acme"); !st.Paused {
		t.Fatal("same-origin pause did not pause")
	}
}

func TestTrustedOrigins(t *testing.T) {
	e := newEnv(t, func(o *console.Options) { o.TrustedOrigins = []string{"https://admin.example.com"} })
	e.addZendesk("acme", ticketsync.ModePoll)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+prefix+"/connectors/acme/pause", nil)
	req.Header.Set("Origin", "https://admin.example.com")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := e.do(req); r.status != http.StatusSeeOther {
		t.Fatalf("POST from a trusted origin: %d", r.status)
	}
}

func TestConnectorsPage(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.get("/"); r.status != 200 || !strings.Contains(r.body, "No platform is connected yet") {
		t.Fatalf("empty page: %d %s", r.status, r.body)
	}
	e.addZendesk("acme-zendesk", ticketsync.ModeBoth)
	e.addZendesk("paused-one", ticketsync.ModePoll)
	if err := e.syncer.Pause("paused-one"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.syncer.SyncNow(context.Background(), "acme-zendesk"); err != nil {
		t.Fatal(err)
	}
	r := e.get("/")
	for _, want := range []string{
		`href="/admin/support/connectors/acme-zendesk"`, "zendesk", "both", "Paused", "Idle",
		`action="/admin/support/connectors/acme-zendesk/sync"`, `action="/admin/support/connectors/paused-one/resume"`,
		`action="/admin/support/connectors/acme-zendesk/pause"`, `href="/admin/support/connectors/acme-zendesk/remove"`,
		`class="num">5</td>`, // the last run's tickets
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("connectors page lacks %q", want)
		}
	}
}

func TestFailedAndRetryingStates(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("acme", ticketsync.ModePoll)
	e.fake.SetRole("agent") // the exports are for admins: 403
	if _, err := e.syncer.SyncNow(context.Background(), "acme"); err == nil {
		t.Fatal("sync as an agent succeeded")
	}
	r := e.get("/")
	if !strings.Contains(r.body, "state-failed") || !strings.Contains(r.body, "error-text") {
		t.Fatalf("a failed connector is not shown failed with its error:\n%s", r.body)
	}
}

func TestSyncNow(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("acme", ticketsync.ModePoll)
	r := e.post("/connectors/acme/sync", nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != prefix+"/connectors/acme?done=synced" {
		t.Fatalf("sync now: %d %v", r.status, r.header)
	}
	page := e.follow(r)
	for _, want := range []string{"Sync finished.", "manual", "succeeded", `class="num">5</td>`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("history after Sync now lacks %q", want)
		}
	}
	runs, _ := e.store.SyncRuns(context.Background(), "acme", 0)
	if len(runs) != 1 || runs[0].Trigger != ticketsync.TriggerManual {
		t.Fatalf("runs: %+v", runs)
	}
	if r := e.post("/connectors/nobody/sync", nil); r.status != http.StatusNotFound {
		t.Errorf("sync of an unknown connector: %d", r.status)
	}
	e.addZendesk("hooks-only", ticketsync.ModeWebhook)
	if r := e.post("/connectors/hooks-only/sync", nil); r.status != http.StatusConflict {
		t.Errorf("sync of a webhook-only connector: %d", r.status)
	}
}

func TestSyncNowFailureIsReported(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("acme", ticketsync.ModePoll)
	e.fake.SetRole("agent")
	r := e.post("/connectors/acme/sync", nil)
	page := e.follow(r)
	if !strings.Contains(page.body, "The sync failed") || !strings.Contains(page.body, "run-failed") {
		t.Fatalf("failed sync not reported:\n%s", page.body)
	}
}

func TestPauseResume(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("acme", ticketsync.ModePoll)
	if r := e.follow(e.post("/connectors/acme/pause", nil)); !strings.Contains(r.body, "Paused: the connector") {
		t.Fatalf("pause: %s", r.body)
	}
	if st, _ := e.syncer.Status("acme"); !st.Paused {
		t.Fatal("not paused")
	}
	if r := e.follow(e.post("/connectors/acme/resume", nil)); !strings.Contains(r.body, "Resumed.") {
		t.Fatalf("resume: %s", r.body)
	}
	if st, _ := e.syncer.Status("acme"); st.Paused {
		t.Fatal("not resumed")
	}
	for _, p := range []string{"/connectors/nobody/pause", "/connectors/nobody/resume"} {
		if r := e.post(p, nil); r.status != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.status)
		}
	}
}

func TestRemoveAsksFirst(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("acme", ticketsync.ModePoll)
	_ = e.conns.Save(context.Background(), console.Connection{ID: "acme", Platform: "zendesk", Mode: ticketsync.ModePoll})
	r := e.get("/connectors/acme/remove")
	if r.status != 200 || !strings.Contains(r.body, `<form method="post" action="/admin/support/connectors/acme/remove"`) {
		t.Fatalf("confirmation: %d %s", r.status, r.body)
	}
	if _, ok := e.syncer.Status("acme"); !ok {
		t.Fatal("the confirmation page removed the connector")
	}
	if r := e.follow(e.post("/connectors/acme/remove", nil)); !strings.Contains(r.body, "Removed.") {
		t.Fatalf("after remove: %s", r.body)
	}
	if _, ok := e.syncer.Status("acme"); ok {
		t.Fatal("not removed")
	}
	if n := len(e.conns.List()); n != 0 {
		t.Fatalf("%d connections kept after remove", n)
	}
	if r := e.get("/connectors/acme/remove"); r.status != http.StatusNotFound {
		t.Errorf("confirmation of an unknown connector: %d", r.status)
	}
	if r := e.post("/connectors/acme/remove", nil); r.status != http.StatusNotFound {
		t.Errorf("remove of an unknown connector: %d", r.status)
	}
}

func TestRemoveKeepsConnectorWhenDeleteFails(t *testing.T) {
	e := newEnv(t, func(o *console.Options) { o.Connections = failingConnections{} })
	e.addZendesk("acme", ticketsync.ModePoll)
	if r := e.post("/connectors/acme/remove", nil); r.status != http.StatusInternalServerError {
		t.Fatalf("remove with a failing Delete: %d", r.status)
	}
	if _, ok := e.syncer.Status("acme"); !ok {
		t.Fatal("removed although the connection was not deleted")
	}
}

type failingConnections struct{}

func (failingConnections) Save(context.Context, console.Connection) error {
	return context.DeadlineExceeded
}
func (failingConnections) Delete(context.Context, string) error { return context.DeadlineExceeded }
func (failingConnections) Get(context.Context, string) (console.Connection, bool, error) {
	return console.Connection{}, false, context.DeadlineExceeded
}

func TestUnknownPages(t *testing.T) {
	e := newEnv(t, nil)
	for _, p := range []string{"/connect/nosuch", "/connectors/nobody", "/import/nojob", "/import/nojob/status"} {
		if r := e.get(p); r.status != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	if r := e.post("/connect/nosuch", url.Values{}); r.status != http.StatusNotFound {
		t.Errorf("POST /connect/nosuch: %d", r.status)
	}
}

// TestNextRunWhileTheSyncerIsNotRunning: a connector's next poll is not
// "due now" while the Syncer's Run is not running (never started, or
// stopped): nothing would start it.
func TestNextRunWhileTheSyncerIsNotRunning(t *testing.T) {
	const notScheduled = "next poll not scheduled: the syncer is not running"
	e := newEnv(t, nil)
	e.addZendesk("acme", ticketsync.ModePoll)
	r := e.get("/")
	if !strings.Contains(r.body, notScheduled) || strings.Contains(r.body, "due now") {
		t.Fatalf("before Run, the connectors page does not say the poll is not scheduled:\n%s", r.body)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.syncer.Run(ctx) }()
	waitFor(t, "the first scheduled poll", func() bool {
		st, _ := e.syncer.Status("acme")
		return e.syncer.Running() && !st.LastRun.IsZero() && !st.Running
	})
	r = e.get("/")
	if !strings.Contains(r.body, "next poll <time") || !strings.Contains(r.body, ">in 1") || strings.Contains(r.body, notScheduled) {
		t.Errorf("while Run runs, the connectors page does not show when the next poll is due:\n%s", r.body)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r := e.get("/"); !strings.Contains(r.body, notScheduled) {
		t.Errorf("once Run has stopped, the connectors page does not say the poll is not scheduled:\n%s", r.body)
	}
}
