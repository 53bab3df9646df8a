package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// The browser tests drive the console in headless Chromium. They skip, with
// a message, when no Chromium is found, unless TICKETSYNC_BROWSER_TESTS is
// "require" or CI is "true": CI never skips them. CHROMIUM names the
// browser's path; TICKETSYNC_SCREENSHOTS a directory for the screenshots
// (by default one under the system's temporary directory, kept after the
// test so that a person can look at the pages).

// chromiumPath returns the browser to drive, or skips or fails the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path, required := findChromium(os.Getenv, exec.LookPath)
	switch {
	case path != "":
		return path
	case required:
		t.Fatal("Chromium is required (CI=true or TICKETSYNC_BROWSER_TESTS=require) but none was found: install Debian's chromium package or set CHROMIUM")
	default:
		t.Skip("browser tests skipped: no Chromium found (install Debian's chromium package, or set CHROMIUM to its path)")
	}
	return ""
}

// findChromium returns the browser's path, or "" and whether a missing
// browser must fail the tests rather than skip them.
func findChromium(getenv func(string) string, lookPath func(string) (string, error)) (path string, required bool) {
	if p := getenv("CHROMIUM"); p != "" {
		return p, true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := lookPath(name); err == nil {
			return p, true
		}
	}
	return "", getenv("TICKETSYNC_BROWSER_TESTS") == "require" || getenv("CI") == "true"
}

func TestCIneverSkipsTheBrowserTests(t *testing.T) {
	none := func(string) (string, error) { return "", exec.ErrNotFound }
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	if p, req := findChromium(env(nil), none); p != "" || req {
		t.Errorf("no browser, no CI: %q %v, want a skip", p, req)
	}
	for _, kv := range []map[string]string{{"CI": "true"}, {"TICKETSYNC_BROWSER_TESTS": "require"}} {
		if p, req := findChromium(env(kv), none); p != "" || !req {
			t.Errorf("no browser with %v: %q %v, want a failure", kv, p, req)
		}
	}
	found := func(name string) (string, error) {
		if name == "chromium" {
			return "/usr/bin/chromium", nil
		}
		return "", exec.ErrNotFound
	}
	if p, _ := findChromium(env(nil), found); p != "/usr/bin/chromium" {
		t.Errorf("found %q", p)
	}
	if p, _ := findChromium(env(map[string]string{"CHROMIUM": "/opt/chrome"}), none); p != "/opt/chrome" {
		t.Errorf("CHROMIUM: %q", p)
	}
}

// screenshotDir is where the browser tests put their screenshots.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TICKETSYNC_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "ticketsync-console-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is a headless Chromium tab on a console over the fake Zendesk
// account.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string // the console's URL
	fake  *zendesktest.Server
	store *memstore.Store
	sync  *ticketsync.Syncer
	shots string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	fake := zendesktest.NewServer(t, &zendesktest.Options{Subdomain: "acme", ExportRateLimit: -1, RateLimit: -1})
	fake.Seed(12)
	st := memstore.New()
	s := ticketsync.NewSyncer(st, nil)
	mux := http.NewServeMux()
	mux.Handle("/admin/support/", console.Handler(s, st, &console.Options{
		Authorize: func(*http.Request) bool { return true },
		Prefix:    "/admin/support",
		Platforms: []console.Platform{
			console.PlatformOf(zendeskForm(), zendeskNew, func(c *zendeskConfig) {
				c.BaseURL = fake.URL
				c.ExportRequestsPerMinute, c.RequestsPerMinute = -1, -1
			}),
		},
		WebhookURL: "https://support.example.com/api/webhooks/tickets",
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start Chromium at %s: %v", path, err)
	}
	// Every page must work under its Content-Security-Policy: a blocked
	// script, style or image, or a script error, fails the test.
	var mu sync.Mutex
	var problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*cdplog.EventEntryAdded); ok && e.Entry != nil &&
			(e.Entry.Source == cdplog.EntrySourceSecurity || e.Entry.Source == cdplog.EntrySourceJavascript ||
				strings.Contains(e.Entry.Text, "Content Security Policy")) {
			mu.Lock()
			problems = append(problems, string(e.Entry.Source)+": "+e.Entry.Text)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("browser console: %s", p)
		}
	})
	return &browser{t: t, ctx: ctx, base: srv.URL + "/admin/support", fake: fake, store: st, sync: s, shots: screenshotDir(t)}
}

// run runs actions, failing the test with what was being done.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.screenshot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// screenshot saves the whole page as name.png.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
	return p
}

// viewportShot saves what the window shows as name.png: the top of the
// page, as a person first sees it.
func (b *browser) viewportShot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
}

// text returns the text of the first node matching the CSS selector sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.screenshot("failed-read")
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// value returns the value of the input matching the CSS selector sel.
func (b *browser) value(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read the value of %s: %v", sel, err)
	}
	return s
}

func TestBrowserConnectZendesk(t *testing.T) {
	b := newBrowser(t)
	b.run("open the platform list",
		chromedp.Navigate(b.base+"/connect"),
		chromedp.Click(chromedp.CSS(`a[href$="/connect/zendesk"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f\.APIToken`)),
	)
	b.run("fill in a bad token",
		chromedp.SendKeys(chromedp.CSS(`#id`), "acme-zendesk"),
		chromedp.SendKeys(chromedp.CSS(`#f\.Subdomain`), "acme"),
		chromedp.SendKeys(chromedp.CSS(`#f\.Email`), b.fake.Email),
		chromedp.SendKeys(chromedp.CSS(`#f\.APIToken`), "not-the-token"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#form-error`)),
	)
	msg := b.text("#form-error")
	if !strings.Contains(msg, "Test failed") || !strings.Contains(strings.ToLower(msg), "unauthorized") {
		t.Fatalf("error shown: %q", msg)
	}
	token, id := b.value(`#f\.APIToken`), b.value(`#id`)
	if token != "" || id != "acme-zendesk" {
		t.Fatalf("after the failed test: token %q (must be empty), id %q", token, id)
	}
	b.screenshot("connect-bad-token")
	if _, ok := b.sync.Status("acme-zendesk"); ok {
		t.Fatal("added after a failed test")
	}

	b.run("connect with the good token",
		chromedp.SendKeys(chromedp.CSS(`#f\.APIToken`), b.fake.Token),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#webhook-url`)),
	)
	url := b.text(`#webhook-url`)
	if url != "https://support.example.com/api/webhooks/tickets?connectorId=acme-zendesk" {
		t.Fatalf("webhook URL %q", url)
	}
	b.screenshot("connect-done")
	if st, ok := b.sync.Status("acme-zendesk"); !ok || st.Mode != ticketsync.ModeBoth {
		t.Fatalf("status %+v %v", st, ok)
	}
}

func TestBrowserSyncNowShowsTheRun(t *testing.T) {
	b := newBrowser(t)
	zd, err := zendeskNew(zendeskConfig{BaseURL: b.fake.URL, Email: b.fake.Email, APIToken: b.fake.Token, ExportRequestsPerMinute: -1, RequestsPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.sync.Add("acme-zendesk", zd, ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}
	if err := b.sync.AddWithOptions("legacy-desk", zd, ticketsync.ModePoll, &ticketsync.ConnectorOptions{Paused: true}); err != nil {
		t.Fatal(err)
	}
	// Two weeks of earlier runs, so that the chart and the screenshots
	// show what a connector in use looks like.
	now := time.Now()
	for day := 13; day >= 1; day-- {
		for k := range 3 {
			start := now.AddDate(0, 0, -day).Add(time.Duration(k) * 4 * time.Hour)
			run := ticketsync.SyncRun{ID: fmt.Sprintf("old-%d-%d", day, k), ConnectorID: "acme-zendesk", Trigger: ticketsync.TriggerPoll,
				Status: ticketsync.RunSucceeded, StartedAt: start, FinishedAt: start.Add(2 * time.Second), Tickets: (day*37+k*11)%60 + 5, Attempt: 1}
			if day == 9 && k == 1 {
				run.Status, run.Tickets, run.Attempt = ticketsync.RunRetrying, 0, 1
				run.Errors = []string{"zendesk: fetch tickets: 429 too many requests; retry after 60s"}
				run.NextRetryAt = start.Add(time.Minute)
			}
			if err := b.store.SaveSyncRun(context.Background(), run); err != nil {
				t.Fatal(err)
			}
		}
	}
	b.run("open the connectors",
		chromedp.Navigate(b.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`table.connectors`)),
	)
	b.run("sync now",
		chromedp.Click(chromedp.CSS(`form[action$="/connectors/acme-zendesk/sync"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`table.runs tbody tr`)),
	)
	row := b.text(`table.runs tbody tr`)
	if !strings.Contains(row, "manual") || !strings.Contains(row, "succeeded") || !strings.Contains(row, "12") {
		t.Fatalf("history row: %q", row)
	}
	if flash := b.text(`.flash`); !strings.Contains(flash, "Sync finished") {
		t.Fatalf("flash %q", flash)
	}
	b.screenshot("history")
	b.viewportShot("console-history")
	b.run("back to the connectors",
		chromedp.Navigate(b.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`table.connectors`)),
	)
	if cell := b.text(`table.connectors tbody tr td.num`); strings.TrimSpace(cell) != "12" {
		t.Fatalf("last run's tickets: %q", cell)
	}
	b.screenshot("connectors")
	b.run("a phone's width", chromedp.EmulateViewport(390, 844))
	b.screenshot("connectors-phone")
}

func TestBrowserImportCSV(t *testing.T) {
	b := newBrowser(t)
	file := filepath.Join(t.TempDir(), "zendesk-export.csv")
	if err := os.WriteFile(file, []byte(zendeskExport), 0o644); err != nil {
		t.Fatal(err)
	}
	b.run("upload",
		chromedp.Navigate(b.base+"/import"),
		chromedp.SendKeys(chromedp.CSS(`#connector`), "support-archive"),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{file}),
		chromedp.Click(chromedp.CSS(`form[enctype] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#preset`)),
	)
	if p := b.text("#preset"); p != "zendesk" {
		t.Fatalf("detected preset %q", p)
	}
	if rows := b.text("table.preview tbody"); !strings.Contains(rows, "Printer on fire") {
		t.Fatalf("preview rows: %q", rows)
	}
	if errs := b.text("ul.row-errors"); !strings.Contains(errs, "line 4") {
		t.Fatalf("row errors: %q", errs)
	}
	b.screenshot("import-preview")
	if n := b.store.Len("support-archive"); n != 0 {
		t.Fatalf("the preview stored %d tickets", n)
	}
	b.run("import",
		chromedp.Click(chromedp.CSS(`form[method=post] button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#imported`)),
	)
	if got := b.text("#imported"); got != "3" {
		t.Fatalf("imported %q", got)
	}
	b.screenshot("import-report")
	if n := b.store.Len("support-archive"); n != 3 {
		t.Fatalf("%d tickets stored, want 3", n)
	}
}

func TestBrowserExplainAndRepair(t *testing.T) {
	b := newBrowser(t)
	zd, err := zendeskNew(zendeskConfig{BaseURL: b.fake.URL, Email: b.fake.Email, APIToken: b.fake.Token, ExportRequestsPerMinute: -1, RequestsPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.sync.Add("acme-zendesk", zd, ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}
	if _, err := b.sync.SyncNow(context.Background(), "acme-zendesk"); err != nil {
		t.Fatal(err)
	}
	id := b.fake.Tickets()[0].ID
	if _, err := b.fake.UpdateTicket(id, func(tk *zendesktest.Ticket) { tk.Subject = "Printer still on fire" }); err != nil {
		t.Fatal(err)
	}
	ticket := fmt.Sprint(id)
	b.run("explain a stale ticket",
		chromedp.Navigate(b.base+"/connectors/acme-zendesk"),
		chromedp.SendKeys(chromedp.CSS(`#explain-ticket`), ticket),
		chromedp.Click(chromedp.CSS(`.explain-box button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#conclusion`)),
	)
	if c := b.text("#conclusion"); !strings.Contains(c, "store-behind") || !strings.Contains(c, "the Store is behind") {
		t.Fatalf("conclusion %q", c)
	}
	if d := b.text("table.diffs tbody"); !strings.Contains(d, "Subject") || !strings.Contains(d, "Printer still on fire") {
		t.Fatalf("differences %q", d)
	}
	b.screenshot("explain-behind")
	stored := func() string {
		st, err := b.store.Ticket(context.Background(), "acme-zendesk", ticket)
		if err != nil {
			t.Fatal(err)
		}
		return st.Subject
	}
	if s := stored(); s == "Printer still on fire" {
		t.Fatal("explaining stored the platform's copy")
	}
	b.run("repair",
		chromedp.Click(chromedp.CSS(`#repair`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if f := b.text(".flash"); !strings.Contains(f, "Repaired") {
		t.Fatalf("flash %q", f)
	}
	if c := b.text("#conclusion"); !strings.Contains(c, "in sync") {
		t.Fatalf("conclusion after the repair %q", c)
	}
	if s := stored(); s != "Printer still on fire" {
		t.Fatalf("after the repair the Store has %q", s)
	}
	b.screenshot("explain-repaired")
	b.run("a phone's width", chromedp.EmulateViewport(390, 844))
	b.screenshot("explain-phone")
}
