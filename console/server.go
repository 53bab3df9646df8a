package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ticketsync/ticketsync"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// securityHeaders are set on every answer, refusals included.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "same-origin",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
	"Cache-Control":                "no-store",
	"Permissions-Policy":           "camera=(), microphone=(), geolocation=()",
}

// maxFormBytes bounds the body of every form but the upload.
const maxFormBytes = 64 << 10

// console is the state behind Handler.
type console struct {
	syncer      *ticketsync.Syncer
	store       ticketsync.Store
	opts        Options
	prefix      string // "" or "/admin/support", no trailing slash
	platforms   []Platform
	byName      map[string]*Platform
	connections Connections
	log         *slog.Logger
	now         func() time.Time
	pages       map[string]*template.Template

	mu      sync.Mutex
	imports map[string]*importJob
}

// Handler returns the console over syncer and store: the pages
// "Connectors", "Connect a platform", each connector's sync history with
// the explanation of a ticket (Syncer.Explain, and Syncer.Repair on
// request), and "Import CSV". The host mounts it under Options.Prefix and
// must set Options.Authorize; without it every request is refused with
// 403, as the console never authenticates by itself.
//
// Every answer carries a Content-Security-Policy without inline script and
// with frame-ancestors 'none', X-Content-Type-Options: nosniff and
// Cache-Control: no-store. Every state-changing request (a POST) must come
// from the console's own pages or Options.TrustedOrigins: cross-origin
// requests are refused with 403 by http.CrossOriginProtection. Form
// values are never shown back for secret fields, logged or put in an error.
//
// store must be the Syncer's Store; the console reads the history from the
// Syncer and imports CSV files into store. Handler panics if either is nil
// or an Options.TrustedOrigins entry is not an origin.
func Handler(syncer *ticketsync.Syncer, store ticketsync.Store, opts *Options) http.Handler {
	var o Options
	if opts != nil {
		o = *opts
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Authorize == nil {
		log.Error(errNoAuthorize.Error())
		return withHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, errNoAuthorize.Error(), http.StatusForbidden)
		}))
	}
	if syncer == nil || store == nil {
		panic("console: Handler needs a Syncer and its Store")
	}
	if o.Platforms == nil {
		o.Platforms = DefaultPlatforms()
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if o.TestTimeout <= 0 {
		o.TestTimeout = DefaultTestTimeout
	}
	if o.ChartDays <= 0 {
		o.ChartDays = DefaultChartDays
	}
	if o.PollInterval <= 0 {
		o.PollInterval = ticketsync.DefaultInterval
	}
	c := &console{
		syncer:      syncer,
		store:       store,
		opts:        o,
		prefix:      strings.TrimRight(o.Prefix, "/"),
		platforms:   o.Platforms,
		byName:      make(map[string]*Platform),
		connections: o.Connections,
		log:         log,
		now:         o.Now,
		imports:     make(map[string]*importJob),
	}
	if c.prefix != "" && !strings.HasPrefix(c.prefix, "/") {
		c.prefix = "/" + c.prefix
	}
	if c.connections == nil {
		c.connections = &MemoryConnections{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	for i := range c.platforms {
		c.byName[c.platforms[i].Form.Platform] = &c.platforms[i]
	}
	c.pages = parsePages(c)

	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", c.connectors)
	mux.HandleFunc("GET /connect", c.choosePlatform)
	mux.HandleFunc("GET /connect/{platform}", c.connectForm)
	mux.HandleFunc("POST /connect/{platform}", c.connect)
	mux.HandleFunc("GET /connectors/{id}", c.history)
	mux.HandleFunc("POST /connectors/{id}/sync", c.syncNow)
	mux.HandleFunc("POST /connectors/{id}/pause", c.pause)
	mux.HandleFunc("POST /connectors/{id}/resume", c.resume)
	mux.HandleFunc("POST /connectors/{id}/webhook-secret", c.setWebhookSecret)
	mux.HandleFunc("GET /connectors/{id}/explain", c.explain)
	mux.HandleFunc("POST /connectors/{id}/repair", c.repair)
	mux.HandleFunc("GET /connectors/{id}/remove", c.confirmRemove)
	mux.HandleFunc("POST /connectors/{id}/remove", c.remove)
	mux.HandleFunc("GET /import", c.importForm)
	mux.HandleFunc("POST /import", c.upload)
	mux.HandleFunc("GET /import/{job}", c.preview)
	mux.HandleFunc("POST /import/{job}", c.startImport)
	mux.HandleFunc("GET /import/{job}/status", c.importStatus)

	cop := http.NewCrossOriginProtection()
	for _, origin := range o.TrustedOrigins {
		if err := cop.AddTrustedOrigin(origin); err != nil {
			panic(fmt.Sprintf("console: Options.TrustedOrigins: %v", err))
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.log.Warn("console: cross-origin request refused", "method", r.Method, "path", r.URL.Path)
		http.Error(w, "cross-origin request refused: use the console's own pages", http.StatusForbidden)
	}))

	var h http.Handler = mux
	h = cop.Handler(h)
	h = c.bodyLimit(h)
	if c.prefix != "" {
		h = http.StripPrefix(c.prefix, h)
	}
	h = c.authorize(h)
	return withHeaders(h)
}

// withHeaders sets the security headers on every answer.
func withHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range securityHeaders {
			w.Header().Set(k, v)
		}
		h.ServeHTTP(w, r)
	})
}

// authorize answers 403 unless Options.Authorize allows r.
func (c *console) authorize(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.opts.Authorize(r) {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// bodyLimit bounds the body of every request but the upload, whose bound
// is its own.
func (c *console) bodyLimit(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(maxFormBytes)
		if r.Method == http.MethodPost && r.URL.Path == "/import" {
			limit = c.opts.MaxUploadBytes + 64<<10 // room for the multipart framing
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		h.ServeHTTP(w, r)
	})
}

// link returns the console's absolute path of p ("/connectors/x").
func (c *console) link(p string) string {
	return c.prefix + p
}

// connectorLink returns the path of a connector's page, plus suffix.
func (c *console) connectorLink(id, suffix string) string {
	return c.link("/connectors/" + url.PathEscape(id) + suffix)
}

// redirect answers 303 to the console path p.
func (c *console) redirect(w http.ResponseWriter, r *http.Request, p string) {
	http.Redirect(w, r, p, http.StatusSeeOther)
}

// page is what every page template receives.
type page struct {
	Title  string
	Nav    string // "connectors", "connect", "import"
	Prefix string
	Flash  string
	Data   any
	// Refresh reloads the page after this many seconds, when not 0.
	Refresh int
}

// render writes the page template name with data.
func (c *console) render(w http.ResponseWriter, status int, name, title, nav string, data any, flash string) {
	c.renderPage(w, status, name, page{Title: title, Nav: nav, Prefix: c.prefix, Flash: flash, Data: data})
}

// renderPage writes the page template name with p.
func (c *console) renderPage(w http.ResponseWriter, status int, name string, p page) {
	t, ok := c.pages[name]
	if !ok {
		panic("console: no template " + name)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		c.log.Error("console: render page", "page", name, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// fail answers an error page with status and a message meant for a person.
func (c *console) fail(w http.ResponseWriter, status int, msg string) {
	c.render(w, status, "error", http.StatusText(status), "", msg, "")
}

// flashes are the messages a redirect may ask for, by code: a redirect
// never carries text of its own, so nothing in a URL is shown as is.
var flashes = map[string]string{
	"synced":      "Sync finished.",
	"sync-failed": "The sync failed; the error is in the history below.",
	"sync-busy":   "A sync of this connector is already in progress.",
	"sync-bg":     "Sync started; it goes on in the background. Reload to see it finish.",
	"paused":      "Paused: the connector is not polled until you resume it. Webhooks are still received.",
	"resumed":     "Resumed.",
	"removed":     "Removed. Its tickets and history stay in the store.",
	"imported":    "Import finished.",
	"secret":      "Saved: webhook deliveries are checked with the new value from now on.",
	"repaired":    "Repaired: the platform's copy is stored.",
	"tombstoned":  "Repaired: the platform no longer has this ticket, so the Store's copy is marked deleted.",
}

func (c *console) flash(r *http.Request) string {
	return flashes[r.URL.Query().Get("done")]
}

// parsePages parses each page template with the layout.
func parsePages(c *console) map[string]*template.Template {
	funcs := template.FuncMap{
		"link":          c.link,
		"connectorLink": c.connectorLink,
		"when":          func(t time.Time) string { return when(t, c.now()) },
		"iso": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"due": func(t time.Time) string { return due(t, c.now()) },
		// running: the Syncer's schedule starts runs; a NextRun is only a
		// plan otherwise.
		"running":      c.syncer.Running,
		"notScheduled": func() string { return notScheduled },
		"dur":          duration,
		"join":         strings.Join,
	}
	pages := make(map[string]*template.Template)
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
	return pages
}

// when says how long ago (or in how long) t is from now; "never" for the
// zero time.
func when(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		s = fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%d h", int(d.Hours()))
	default:
		s = fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// notScheduled is said of a connector's next run while the Syncer's Run is
// not running (never started, or stopped): no scheduled run starts then,
// however due.
const notScheduled = "not scheduled: the syncer is not running"

// due says when a planned time t comes: "due now" once it has passed.
func due(t, now time.Time) string {
	if !t.After(now) {
		return "due now"
	}
	return when(t, now)
}

// duration prints d briefly: "1.2 s", "3 min 4 s".
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	default:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
}

// background returns a context for work that outlives the request that
// started it.
func background(r *http.Request) context.Context {
	return context.WithoutCancel(r.Context())
}

// isUnknown reports whether err says the connector is not (or no longer)
// added.
func isUnknown(err error) bool { return errors.Is(err, ticketsync.ErrUnknownConnector) }
