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
	"github.com/ticketsync/ticketsync/internal/incremental"
)

// Connector is one Intercom workspace. It implements ticketsync.Poller,
// ticketsync.WebhookReceiver and ticketsync.TicketGetter. Its methods are
// safe for concurrent use.
type Connector struct {
	cfg    settings
	client *httpx.Client
	codec  incremental.Codec

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
	now := c.cfg.now()
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
	c := &Connector{cfg: s, appID: s.AppID, regionBases: map[string]string{},
		codec: incremental.Codec{Connector: Platform, Version: 1, Fingerprint: s.apiBase}}
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
		Platform:    Platform,
		BaseURL:     base,
		HTTPClient:  s.HTTPClient,
		Logger:      s.Logger,
		Header:      h,
		Now:         s.now,
		Sleep:       s.sleep,
		DecodeError: decodeError,
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

// Hints for a person, set on the *ticketsync.APIError of a failed call.
const (
	hintToken       = "check the access token (Developer Hub → your app → Authentication)"
	hintPermissions = "give the app the %q permission (Developer Hub → your app → Authentication → Edit), then use the regenerated token"
	hintRegion      = "the workspace is hosted in the %s region: set Config.Region to %q"
)

// Test checks the credentials with GET /me, and the permissions the sync
// needs with a search of one conversation and one ticket: three requests.
// It returns nil when a sync would be allowed, else an error matching
// ticketsync.ErrUnauthorized (a wrong or revoked token; when another
// region's host accepts the token, the error names the region to set in
// Config.Region), ticketsync.ErrNotFound (GET /me says the workspace is
// hosted in another region) or ticketsync.ErrForbidden (a token without
// "Read conversations" or "Read tickets"; the error names it).
func (c *Connector) Test(ctx context.Context) error {
	const op = "test credentials"
	me, err := c.me(ctx)
	if err != nil {
		var api *ticketsync.APIError
		if errors.As(err, &api) && api.StatusCode == http.StatusUnauthorized {
			if r := c.probeRegions(ctx); r != "" {
				api.Hint = fmt.Sprintf(hintRegion, r, r)
			} else if len(c.regionBases) > 0 && c.cfg.region == DefaultRegion {
				api.Hint = hintToken + `; if the workspace is hosted in the EU or Australia, set Config.Region to "EU" or "AU"`
			}
		}
		return opError(op, err)
	}
	if me.App != nil && me.App.Region != "" && !strings.EqualFold(me.App.Region, c.cfg.region) {
		r := strings.ToUpper(me.App.Region)
		return fmt.Errorf("intercom: %s: GET /me says %s: %w", op, fmt.Sprintf(hintRegion, r, r), ticketsync.ErrNotFound)
	}
	for _, probe := range []struct{ path, perm string }{
		{"conversations/search", "Read conversations"},
		{"tickets/search", "Read tickets"},
	} {
		q := searchQuery{Query: searchFilter{Field: "id", Operator: "=", Value: "0"}, Pagination: searchPagination{PerPage: 1}}
		_, err := c.client.PostJSON(ctx, probe.path, q, nil)
		var api *ticketsync.APIError
		switch {
		case err == nil:
			continue
		case errors.As(err, &api) && (api.StatusCode == http.StatusForbidden || api.Code == "token_unauthorized"):
			api.Hint = fmt.Sprintf(hintPermissions, probe.perm)
			if api.StatusCode != http.StatusForbidden {
				// /me accepted the token: a 401 here is a missing permission.
				return fmt.Errorf("%w: %w", ticketsync.ErrForbidden, opError(op, err))
			}
		}
		return opError(op, err)
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
		return nil, fmt.Errorf("intercom: GET /me: the answer is not Intercom's admin object: check Config.BaseURL: %w", ticketsync.ErrNotFound)
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

// opError names what the connector was doing in err: the Op of its
// *ticketsync.APIError, or a prefix for other errors (a network failure, a
// body that is not JSON).
func opError(op string, err error) error {
	if err == nil {
		return nil
	}
	var api *ticketsync.APIError
	if errors.As(err, &api) {
		return httpx.WithOp(err, op)
	}
	return &wrapped{op: op, err: err}
}

// wrapped is an error other than an API answer, with the operation.
type wrapped struct {
	op  string
	err error
}

// Error names the package and the operation, then the cause.
func (e *wrapped) Error() string {
	return "intercom: " + e.op + ": " + strings.TrimPrefix(e.err.Error(), Platform+": ")
}

// Unwrap returns the cause.
func (e *wrapped) Unwrap() error { return e.err }
