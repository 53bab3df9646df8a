package hubspot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
	"github.com/ticketsync/ticketsync/internal/redact"
)

// Connector is one HubSpot account. It implements ticketsync.Poller,
// ticketsync.WebhookReceiver and ticketsync.TicketGetter; its methods are
// safe for concurrent use.
type Connector struct {
	cfg    Config
	http   *httpx.Client
	search *rate.Limiter
	now    func() time.Time // polling windows and cache ages
	// webhookNow is Config.Now, the clock of webhook timestamps.
	webhookNow func() time.Time
	log        *slog.Logger

	mu        sync.Mutex
	portalID  int64
	uiDomain  string
	pipelines *pipelineCache
	owners    map[string]ticketsync.Person
	ownersAt  time.Time
	warned    map[string]bool
}

var (
	_ ticketsync.Poller          = (*Connector)(nil)
	_ ticketsync.WebhookReceiver = (*Connector)(nil)
	_ ticketsync.TicketGetter    = (*Connector)(nil)
)

// New returns a Connector for cfg, or an error naming the field that is
// wrong.
func New(cfg Config) (*Connector, error) { return newConnector(cfg, clock{}) }

// clock is the connector's time: polling windows, cache ages and the HTTP
// stack's waits. Tests replace it through export_test.go; window scales
// HubSpot's 10-second rate window.
type clock struct {
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	window time.Duration
}

func newConnector(cfg Config, clk clock) (*Connector, error) {
	switch {
	case cfg.PrivateAppToken != "" && cfg.TokenSource != nil:
		return nil, errors.New("hubspot: set Config.PrivateAppToken or Config.TokenSource, not both")
	case cfg.PrivateAppToken == "" && cfg.TokenSource == nil:
		return nil, errors.New("hubspot: Config.PrivateAppToken is empty: create a private app with the tickets scope (HubSpot, Settings, Integrations, Private Apps) and copy its access token, or set Config.TokenSource for an OAuth app")
	case strings.ContainsAny(cfg.PrivateAppToken, " \t\r\n"):
		return nil, errors.New("hubspot: Config.PrivateAppToken holds white space; paste the token alone")
	}
	if cfg.RequestsPerMinute < 0 || cfg.SearchRequestsPerSecond < 0 {
		return nil, errors.New("hubspot: Config.RequestsPerMinute and Config.SearchRequestsPerSecond must not be negative")
	}
	if cfg.WebhookURL != "" {
		u, err := url.Parse(cfg.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("hubspot: Config.WebhookURL must be an absolute http or https URL, as set in the app's webhook settings")
		}
	}
	for k, s := range cfg.StageStatus {
		if _, ok := ticketsync.ParseStatus(string(s)); !ok {
			return nil, fmt.Errorf("hubspot: Config.StageStatus[%q] = %q is not a ticketsync status", k, s)
		}
	}
	if cfg.RequestsPerMinute == 0 {
		cfg.RequestsPerMinute = DefaultRequestsPerMinute
	}
	if cfg.SearchRequestsPerSecond == 0 {
		cfg.SearchRequestsPerSecond = DefaultSearchRequestsPerSecond
	}
	if cfg.SearchLag == 0 {
		cfg.SearchLag = DefaultSearchLag
	} else if cfg.SearchLag < 0 {
		cfg.SearchLag = 0
	}
	if cfg.WebhookTolerance <= 0 {
		cfg.WebhookTolerance = DefaultWebhookTolerance
	}
	if cfg.ArchivedScanInterval == 0 {
		cfg.ArchivedScanInterval = DefaultArchivedScanInterval
	}
	if cfg.SettleWindow == 0 {
		cfg.SettleWindow = DefaultSettleWindow
	} else if cfg.SettleWindow < 0 {
		cfg.SettleWindow = 0
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.MaxCommentsPerTicket == 0 {
		cfg.MaxCommentsPerTicket = DefaultMaxCommentsPerTicket
	}
	if clk.now == nil {
		clk.now = time.Now
	}
	if clk.window <= 0 {
		clk.window = rateWindow
	}
	webhookNow := cfg.Now
	if webhookNow == nil {
		webhookNow = clk.now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc, err := httpx.New(httpx.Config{
		Platform:    Platform,
		BaseURL:     cfg.baseURL(),
		Token:       cfg.PrivateAppToken,
		TokenSource: cfg.TokenSource,
		HTTPClient:  cfg.HTTPClient,
		Limiter:     windowLimiter(int(float64(cfg.RequestsPerMinute)*clk.window.Seconds()/60), clk.window),
		Timeout:     cfg.Timeout,
		MaxRetries:  cfg.MaxRetries,
		Logger:      cfg.Logger,
		Now:         clk.now,
		Sleep:       clk.sleep,
		DecodeError: decodeError,
	})
	if err != nil {
		return nil, fmt.Errorf("hubspot: Config.BaseURL: %w", err)
	}
	return &Connector{
		cfg:        cfg,
		http:       hc,
		search:     windowLimiter(cfg.SearchRequestsPerSecond, time.Second),
		now:        clk.now,
		webhookNow: webhookNow,
		log:        log,
		portalID:   cfg.PortalID,
		warned:     map[string]bool{},
	}, nil
}

// rateWindow is the length of HubSpot's rolling rate-limit window.
const rateWindow = 10 * time.Second

// windowLimiter returns a token bucket that never lets more than nine
// tenths of limit requests into any window of the given length: a burst of
// a tenth, refilled at the rate that fills the rest.
func windowLimiter(limit int, window time.Duration) *rate.Limiter {
	burst := max(limit/10, 1)
	budget := float64(limit)*0.9 - float64(burst)
	if budget <= 0 {
		budget = 0.5
	}
	return rate.NewLimiter(rate.Limit(budget/window.Seconds()), burst)
}

// String describes the connector without its credentials.
func (c *Connector) String() string { return "hubspot.Connector(" + c.cfg.String() + ")" }

// Format prints String for every verb, so that no fmt verb prints a
// credential.
func (c *Connector) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// Platform returns "hubspot".
func (c *Connector) Platform() string { return Platform }

// loadAccount learns the portal id and the web app's host once.
func (c *Connector) loadAccount(ctx context.Context) error {
	c.mu.Lock()
	done := c.uiDomain != ""
	c.mu.Unlock()
	if done {
		return nil
	}
	var d struct {
		PortalID int64  `json:"portalId"`
		UIDomain string `json:"uiDomain"`
	}
	if err := c.call(ctx, "GET", accountDetails, nil, nil, &d); err != nil {
		return fmt.Errorf("read account details: %w", err)
	}
	c.mu.Lock()
	if c.portalID == 0 {
		c.portalID = d.PortalID
	}
	c.uiDomain = cmp.Or(d.UIDomain, defaultUIHost)
	c.mu.Unlock()
	return nil
}

// Test checks the token with three cheap calls: the account details
// (which also tell the portal id that webhook events are matched against),
// a one-ticket list, which needs the "tickets" scope, and, unless
// Config.SkipConversations, a one-thread list of the conversations inbox,
// which needs "conversations.read". A missing scope is a *ScopeError
// matching ticketsync.ErrForbidden and naming the scope.
func (c *Connector) Test(ctx context.Context) error {
	c.mu.Lock()
	c.uiDomain = "" // read the details again
	c.mu.Unlock()
	if err := c.loadAccount(ctx); err != nil {
		if errors.Is(err, ticketsync.ErrUnauthorized) {
			return fmt.Errorf("hubspot: the token was rejected; check the private app's access token (or reconnect the OAuth app): %w", err)
		}
		return fmt.Errorf("hubspot: %w", err)
	}
	err := c.call(ctx, "GET", "/crm/v3/objects/tickets", url.Values{"limit": {"1"}, "properties": {"subject"}}, nil, nil)
	if err != nil {
		return fmt.Errorf("hubspot: read tickets: %w", err)
	}
	if c.cfg.SkipConversations {
		return nil
	}
	err = c.call(ctx, "GET", threadsPath, url.Values{"limit": {"1"}}, nil, nil)
	if err != nil {
		return fmt.Errorf("hubspot: read conversations inbox threads (or set Config.SkipConversations): %w", err)
	}
	return nil
}

// PortalID returns the account id the connector matches webhook events
// against: Config.PortalID, or what Test or a sync learned; 0 when unknown.
func (c *Connector) PortalID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.portalID
}

// ScopeError is the error of a 403 for a missing scope: since the
// platform packages share one error type, it is the *ticketsync.APIError,
// with Code "MISSING_SCOPES" and a Hint naming the scopes.
//
// Deprecated: use *ticketsync.APIError, and MissingScopes for the list.
type ScopeError = ticketsync.APIError

// MissingScopes returns the scopes that a 403 in err says the token lacks
// (the call needs one of them), or nil when err is not such an error.
func MissingScopes(err error) []string {
	var e *ticketsync.APIError
	if !errors.As(err, &e) || e.Code != "MISSING_SCOPES" {
		return nil
	}
	return missingScopes(e.Hint)
}

// call sends one JSON request through the HTTP stack (GetJSON or
// PostJSON) and decodes the answer into out. A 207 (a batch with some ids
// not found) is an answer, not an error.
func (c *Connector) call(ctx context.Context, method, path string, query url.Values, in, out any, opts ...httpx.RequestOption) error {
	var err error
	switch method {
	case http.MethodGet:
		_, err = c.http.GetJSON(ctx, path, query, out, opts...)
	case http.MethodPost:
		ref := path
		if len(query) > 0 {
			ref += "?" + query.Encode()
		}
		_, err = c.http.PostJSON(ctx, ref, in, out, opts...)
	default:
		return fmt.Errorf("hubspot: %s %s: unsupported method", method, path)
	}
	return err
}

// forbidden reports whether err is a 403, which the connector treats as a
// missing optional scope when it reads requesters, owners and comments.
func forbidden(err error) bool { return errors.Is(err, ticketsync.ErrForbidden) }

// warnOnce logs a degraded lookup once per kind.
func (c *Connector) warnOnce(kind string, err error) {
	c.mu.Lock()
	seen := c.warned[kind]
	c.warned[kind] = true
	c.mu.Unlock()
	if !seen {
		c.log.Warn("hubspot: cannot read "+kind+"; continuing without them", "err", err)
	}
}
