package intercom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
)

// Connector is one Intercom workspace. It implements ticketsync.Poller,
// ticketsync.WebhookReceiver and ticketsync.TicketGetter. Its methods are
// safe for concurrent use.
type Connector struct {
	cfg    settings
	client *httpx.Client

	// regionBases are the API hosts probed when this one refuses the
	// token; tests point them at a fake.
	regionBases map[string]string

	mu       sync.Mutex
	appID    string                       // the workspace's id_code, once known
	admins   map[string]ticketsync.Person // every teammate, once loaded
	contacts map[string]ticketsync.Person // contacts seen, by id
	cachedAt time.Time                    // when admins and contacts were first cached
	warned   map[string]bool              // degraded lookups already logged
}

// cacheTTL is how long admins and contacts are cached before they are read
// again, so that renamed people show their new names.
const cacheTTL = 10 * time.Minute

// expireLocked empties the people caches when they are older than cacheTTL.
func (c *Connector) expireLocked() {
	now := c.cfg.Now()
	if now.Sub(c.cachedAt) > cacheTTL || now.Before(c.cachedAt) {
		c.admins, c.contacts, c.cachedAt = nil, nil, now
	}
}

// debug logs at debug level, when there is a Logger.
func (c *Connector) debug(msg string, args ...any) {
	if c.cfg.Logger != nil {
		c.cfg.Logger.Debug(msg, args...)
	}
}

// warn logs a degraded lookup once per message, when there is a Logger.
func (c *Connector) warn(msg string, err error) {
	c.mu.Lock()
	seen := c.warned[msg]
	if c.warned == nil {
		c.warned = map[string]bool{}
	}
	c.warned[msg] = true
	c.mu.Unlock()
	if !seen && c.cfg.Logger != nil {
		c.cfg.Logger.Warn(msg, "err", err)
	}
}

// Interface checks.
var (
	_ ticketsync.Poller          = (*Connector)(nil)
	_ ticketsync.WebhookReceiver = (*Connector)(nil)
	_ ticketsync.TicketGetter    = (*Connector)(nil)
)

// New returns a Connector for cfg, or an error naming the Config field that
// is wrong and saying what a valid value looks like. It makes no request:
// call Test to check the credentials.
func New(cfg Config) (*Connector, error) {
	s, err := validate(cfg)
	if err != nil {
		return nil, err
	}
	c := &Connector{cfg: s, appID: s.AppID, regionBases: map[string]string{}}
	if s.BaseURL == "" {
		for r, h := range regionHosts {
			c.regionBases[r] = h
		}
	}
	c.client, err = c.newClient(s.apiBase)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// newClient returns an HTTP client for the API at base, with the
// connector's credentials, version and limit.
func (c *Connector) newClient(base string) (*httpx.Client, error) {
	s := c.cfg
	h := http.Header{}
	h.Set("Intercom-Version", s.APIVersion)
	h.Set("Accept", "application/json")
	hc := httpx.Config{
		Platform:   Platform,
		BaseURL:    base,
		HTTPClient: s.HTTPClient,
		Logger:     s.Logger,
		Header:     h,
		Now:        s.Now,
		Sleep:      s.Sleep,
	}
	if s.RequestsPerMinute > 0 {
		hc.Limiter = rate.NewLimiter(rate.Limit(float64(s.RequestsPerMinute)*0.9/60), max(1, s.RequestsPerMinute/60))
	}
	if s.AccessToken != "" {
		hc.Token = s.AccessToken
	} else {
		hc.TokenSource = s.TokenSource
	}
	return httpx.New(hc)
}

// Platform returns "intercom".
func (c *Connector) Platform() string { return Platform }

// String describes the connector without its credentials.
func (c *Connector) String() string {
	return "intercom.Connector{" + c.cfg.region + " " + c.cfg.apiBase + "}"
}

// Format writes String for every verb, so that printing a Connector never
// shows a credential.
func (c *Connector) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

// Hints appended to errors that a person can act on.
const (
	hintToken       = "check the access token (Developer Hub → your app → Authentication)"
	hintPermissions = "give the app the %q permission (Developer Hub → your app → Authentication → Edit), then use the regenerated token"
)

// Test checks the credentials with GET /me, and the permissions the sync
// needs with a search of one conversation and one ticket: three requests.
// It returns nil when a sync would be allowed, else an error matching
// ticketsync.ErrUnauthorized (a wrong or revoked token), ticketsync.
// ErrForbidden (a token without "Read conversations" or "Read tickets";
// the error names it) or, with ErrUnauthorized, a *RegionError when the
// token belongs to a workspace hosted in another region.
func (c *Connector) Test(ctx context.Context) error {
	const op = "test credentials"
	me, err := c.me(ctx)
	if err != nil {
		if errors.Is(err, ticketsync.ErrUnauthorized) {
			if r := c.probeRegions(ctx); r != "" {
				return &RegionError{Region: r, Configured: c.cfg.region, Err: err}
			}
			hint := hintToken
			if len(c.regionBases) == 0 && c.cfg.region == DefaultRegion {
				hint += `; if the workspace is hosted in the EU or Australia, set Config.Region to "EU" or "AU"`
			}
			return wrap(op, err, hint)
		}
		return wrap(op, err, "")
	}
	if me.App != nil && me.App.Region != "" && !strings.EqualFold(me.App.Region, c.cfg.region) {
		return &RegionError{Region: strings.ToUpper(me.App.Region), Configured: c.cfg.region,
			Err: ticketsync.ErrNotFound}
	}
	for _, probe := range []struct{ path, perm string }{
		{"conversations/search", "Read conversations"},
		{"tickets/search", "Read tickets"},
	} {
		q := searchQuery{Query: searchFilter{Field: "id", Operator: "=", Value: "0"}, Pagination: searchPagination{PerPage: 1}}
		if _, err := c.client.PostJSON(ctx, probe.path, q, nil); err != nil {
			if errors.Is(err, ticketsync.ErrForbidden) || errors.Is(err, ticketsync.ErrUnauthorized) {
				return wrap(op, fmt.Errorf("%w: %w", ticketsync.ErrForbidden, err), fmt.Sprintf(hintPermissions, probe.perm))
			}
			return wrap(op, err, "")
		}
	}
	return nil
}

// me reads GET /me and remembers the workspace's id.
func (c *Connector) me(ctx context.Context) (*wireMe, error) {
	var me wireMe
	if _, err := c.client.GetJSON(ctx, "me", nil, &me); err != nil {
		return nil, err
	}
	if me.Type != "admin" || me.App == nil {
		return nil, &Error{Op: "read /me", Err: ticketsync.ErrNotFound,
			Detail: "the answer is not Intercom's admin object", Hint: "check Config.BaseURL"}
	}
	c.mu.Lock()
	if c.appID == "" {
		c.appID = me.App.IDCode
	}
	c.mu.Unlock()
	return &me, nil
}

// workspace returns the workspace's id, reading GET /me once when it is
// not configured.
func (c *Connector) workspace(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.appID
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	me, err := c.me(ctx)
	if err != nil {
		return "", err
	}
	return me.App.IDCode, nil
}

// probeRegions asks the other regions' hosts whether they know the token,
// and returns the first that does, or "".
func (c *Connector) probeRegions(ctx context.Context) string {
	for _, r := range []string{"US", "EU", "AU"} {
		base, ok := c.regionBases[r]
		if !ok || r == c.cfg.region {
			continue
		}
		cl, err := c.newClient(base)
		if err != nil {
			continue
		}
		var me wireMe
		if _, err := cl.GetJSON(ctx, "me", nil, &me); err == nil && me.Type == "admin" {
			return r
		}
	}
	return ""
}

// RegionError says that the access token belongs to a workspace hosted in
// another region than Config.Region: Intercom's hosts only accept the
// tokens of their own region. It matches ticketsync.ErrNotFound (the wrong
// host, like a wrong subdomain) and whatever its Err matches (a 401 is
// ticketsync.ErrUnauthorized).
type RegionError struct {
	Region     string // where the workspace is: "US", "EU" or "AU"
	Configured string // Config.Region
	Err        error
}

// Error names the region to set.
func (e *RegionError) Error() string {
	return fmt.Sprintf("intercom: test credentials: the workspace is hosted in the %s region, not %s: set Config.Region to %q: %s",
		e.Region, e.Configured, e.Region, causeText(e.Err))
}

// Unwrap returns the cause.
func (e *RegionError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ticketsync.ErrNotFound) true.
func (e *RegionError) Is(target error) bool { return target == ticketsync.ErrNotFound }

// Error is an error of this package: what the connector was doing, what
// went wrong and, where a person can act on it, what to check. It wraps the
// cause, so that errors.Is(err, ticketsync.ErrUnauthorized) and
// errors.As(err, new(*ticketsync.APIError)) work. Its text never holds a
// credential.
type Error struct {
	Op     string // "test credentials", "search conversations", ...
	Err    error  // the cause: an *ticketsync.APIError, a sentinel, a network error
	Detail string // what went wrong, when Err does not say it
	Hint   string // what to check, or ""
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("intercom: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.Detail != "" {
		b.WriteString(e.Detail)
		b.WriteString(": ")
	}
	b.WriteString(causeText(e.Err))
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// causeText is err's text without the platform prefix the HTTP stack puts
// in front.
func causeText(err error) string {
	return strings.TrimPrefix(err.Error(), Platform+": ")
}

// wrap makes err an *Error of op.
func wrap(op string, err error, hint string) error {
	if err == nil {
		return nil
	}
	if hint == "" && errors.Is(err, ticketsync.ErrUnauthorized) {
		hint = hintToken
	}
	return &Error{Op: op, Err: err, Hint: hint}
}
