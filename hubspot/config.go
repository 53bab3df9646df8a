package hubspot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/time/rate"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
	"github.com/ticketsync/ticketsync/internal/webhooksig"
)

// Platform is the name stamped on HubSpot tickets.
const Platform = "hubspot"

// FieldMergedInto is the Ticket.Fields key of a tombstone left by a merge:
// HubSpot merges tickets into a new record with a new id, and each old id
// is delivered as a deleted copy of that record whose Fields[FieldMergedInto]
// is the new id, so a host can tell a merge from a deletion.
const FieldMergedInto = "merged_into"

// Defaults for the zero values of Config.
const (
	// DefaultBaseURL is HubSpot's API host, for every data hosting region.
	DefaultBaseURL = "https://api.hubapi.com"
	// DefaultRateLimit and DefaultRateWindow are HubSpot's burst limit for a
	// private app on the Free and Starter tiers: 100 requests per rolling 10
	// seconds. Professional and Enterprise allow 190, the API limit
	// increase 250, a public (OAuth) app 110 per installing account.
	DefaultRateLimit  = 100
	DefaultRateWindow = 10 * time.Second
	// DefaultSearchRateLimit and DefaultSearchRateWindow are the search
	// endpoints' own limit: 5 requests per second per account, shared by
	// every app of the account.
	DefaultSearchRateLimit  = 5
	DefaultSearchRateWindow = time.Second
	// DefaultSearchLag is the overlap a sync re-reads: changes can take
	// this long to reach HubSpot's search index, so each run searches again
	// from this far before the newest change it saw.
	DefaultSearchLag = 5 * time.Minute
	// DefaultSettleWindow is how long HubSpot's search index is given to
	// catch up with every write: each change is read again once it is this
	// old, so a change indexed late, after newer ones, is not lost.
	DefaultSettleWindow = time.Hour
	// DefaultArchivedScanInterval is how often polling lists the recycle
	// bin for deleted tickets. The bin cannot be asked what changed, so a
	// scan reads all of it: with 100,000 deleted tickets 1,000 requests, 4,000
	// a day at this interval (1.6% of the smallest daily limit), where a
	// scan on every 15-minute run would cost 96,000 a day.
	DefaultArchivedScanInterval = 6 * time.Hour
	// DefaultCacheTTL is how long pipelines, owners and the account details
	// are kept before they are loaded again.
	DefaultCacheTTL = 10 * time.Minute
	// DefaultMaxCommentsPerTicket bounds the emails and notes read for one
	// ticket in one page, newest first, so that a ticket with a huge
	// history cannot stall a sync.
	DefaultMaxCommentsPerTicket = 100
	// DefaultWebhookTolerance is how far a delivery's
	// X-HubSpot-Request-Timestamp may be from now: HubSpot says to reject
	// deliveries more than 5 minutes old.
	DefaultWebhookTolerance = webhooksig.DefaultTolerance
)

// Config configures a Connector. Its fields mirror what a person enters to
// connect an account; set PrivateAppToken or TokenSource.
type Config struct {
	// PrivateAppToken is a private app's access token ("pat-na1-..."):
	// HubSpot, Settings, Integrations, Private Apps, Create a private app,
	// Scopes: "tickets" (required), "crm.objects.contacts.read" (requesters
	// and notes), "crm.objects.owners.read" (assignees) and
	// "sales-email-read" (emails), then Show token.
	PrivateAppToken string
	// TokenSource authenticates a public (OAuth) app instead, through
	// golang.org/x/oauth2; it refreshes the token as needed.
	TokenSource oauth2.TokenSource
	// HTTPClient, when set, is the base of the HTTP stack (its Transport,
	// proxy and TLS settings); it is never modified.
	HTTPClient *http.Client
	// BaseURL replaces DefaultBaseURL, for tests and proxies.
	BaseURL string

	// StartTime is where the first sync starts: tickets last modified
	// before it are not fetched. Zero means every ticket.
	StartTime time.Time
	// Properties are custom ticket properties (internal names) to copy into
	// Ticket.Fields.
	Properties []string
	// StageStatus overrides the status of pipeline stages, keyed by stage
	// id or by stage label (case-insensitive). See the package doc for the
	// rule it overrides.
	StageStatus map[string]ticketsync.Status
	// MaxCommentsPerTicket bounds the emails and notes read per ticket and
	// page, newest first; DefaultMaxCommentsPerTicket when 0, none (no
	// comment requests at all) when negative.
	MaxCommentsPerTicket int
	// SkipConversations leaves out the help desk's conversations inbox
	// threads (chat, messaging, inbox email and agents' internal comments),
	// which are otherwise read as comments with the conversations.read
	// scope.
	SkipConversations bool
	// SearchLag is the overlap each run re-reads for search index lag;
	// DefaultSearchLag when 0, none when negative.
	SearchLag time.Duration
	// SettleWindow is how old a change must be before it is read the
	// second, settled time, in the same searches as the live changes;
	// DefaultSettleWindow when 0, no settled re-read when negative.
	SettleWindow time.Duration
	// ArchivedScanInterval is the least time between two scans of the
	// recycle bin for deleted tickets, which cost one request per 100
	// tickets in the bin (up to 90 days of deletions);
	// DefaultArchivedScanInterval when 0, never when negative (deletions
	// then come only from webhooks). A scan on every run is a nanosecond.
	ArchivedScanInterval time.Duration
	// CacheTTL is how long pipelines and owners are cached;
	// DefaultCacheTTL when 0.
	CacheTTL time.Duration

	// ClientSecret is the app's client secret, which signs webhook
	// deliveries (the app's Auth tab, Client secret). Required to receive
	// webhooks. PreviousClientSecrets are also accepted, during a rotation.
	ClientSecret          string
	PreviousClientSecrets []string
	// WebhookURL is the public URL HubSpot delivers to, exactly as set in
	// the app's webhook settings. The v3 signature covers it, so behind a
	// proxy or load balancer that changes the scheme, host or path it must
	// be set; when it has no query, the delivery's query is appended. Empty
	// means the URL of the incoming request.
	WebhookURL string
	// WebhookTolerance is how far a delivery's signed timestamp may be from
	// now, in either direction; DefaultWebhookTolerance when 0.
	WebhookTolerance time.Duration
	// AllowLegacySignatures accepts deliveries signed only with the older
	// v1 or v2 X-HubSpot-Signature, without a timestamp (so without replay
	// protection). By default only v3 is accepted.
	AllowLegacySignatures bool
	// PortalID is the account id (Hub ID). Test learns it; when it is
	// known, webhook events of other accounts are ignored, as one app may
	// be installed in several accounts that share its client secret.
	PortalID int64

	// RateLimit requests per RateWindow is the account's burst limit;
	// DefaultRateLimit per DefaultRateWindow when 0. The connector keeps a
	// tenth below it so that other traffic and clock skew do not cause 429s.
	RateLimit  int
	RateWindow time.Duration
	// SearchRateLimit requests per SearchRateWindow is the search limit;
	// DefaultSearchRateLimit per DefaultSearchRateWindow when 0.
	SearchRateLimit  int
	SearchRateWindow time.Duration
	// Timeout bounds each HTTP attempt; MaxRetries is the number of retries
	// of a request after 5xx, 429 and network errors. Zero means the
	// defaults of the HTTP stack (30 s, 4 retries); negative MaxRetries
	// means none.
	Timeout    time.Duration
	MaxRetries int
	// Logger receives retries, slowdowns and degraded lookups at debug and
	// warn level; nil is silent.
	Logger *slog.Logger
	// Now and Sleep replace the clock, for tests. Sleep must return early
	// with ctx.Err() when ctx ends.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// String describes the configuration without its credentials, so that a
// Config can be logged.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("hubspot.Config{")
	fmt.Fprintf(&b, "BaseURL: %q", c.baseURL())
	switch {
	case c.PrivateAppToken != "":
		b.WriteString(", PrivateAppToken: [set]")
	case c.TokenSource != nil:
		b.WriteString(", TokenSource: [set]")
	}
	if c.ClientSecret != "" || len(c.PreviousClientSecrets) > 0 {
		fmt.Fprintf(&b, ", ClientSecrets: %d [set]", len(c.secrets()))
	}
	if c.PortalID != 0 {
		fmt.Fprintf(&b, ", PortalID: %d", c.PortalID)
	}
	if !c.StartTime.IsZero() {
		fmt.Fprintf(&b, ", StartTime: %s", c.StartTime.UTC().Format(time.RFC3339))
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err == nil {
			fmt.Fprintf(&b, ", WebhookURL: %q", u.Scheme+"://"+u.Host+u.Path)
		}
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, so that %#v does not print credentials either.
func (c Config) GoString() string { return c.String() }

// Format prints String for every verb, so that no fmt verb prints a
// credential.
func (c Config) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

func (c Config) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

func (c Config) secrets() []string {
	var out []string
	if c.ClientSecret != "" {
		out = append(out, c.ClientSecret)
	}
	for _, s := range c.PreviousClientSecrets {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Connector is one HubSpot account. It implements ticketsync.Poller,
// ticketsync.WebhookReceiver and ticketsync.TicketGetter; its methods are
// safe for concurrent use.
type Connector struct {
	cfg    Config
	http   *httpx.Client
	search *rate.Limiter
	now    func() time.Time
	log    *slog.Logger

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
func New(cfg Config) (*Connector, error) {
	switch {
	case cfg.PrivateAppToken != "" && cfg.TokenSource != nil:
		return nil, errors.New("hubspot: set Config.PrivateAppToken or Config.TokenSource, not both")
	case cfg.PrivateAppToken == "" && cfg.TokenSource == nil:
		return nil, errors.New("hubspot: Config.PrivateAppToken is empty: create a private app with the tickets scope (HubSpot, Settings, Integrations, Private Apps) and copy its access token, or set Config.TokenSource for an OAuth app")
	case strings.ContainsAny(cfg.PrivateAppToken, " \t\r\n"):
		return nil, errors.New("hubspot: Config.PrivateAppToken holds white space; paste the token alone")
	}
	if cfg.RateLimit < 0 || cfg.SearchRateLimit < 0 || cfg.RateWindow < 0 || cfg.SearchRateWindow < 0 {
		return nil, errors.New("hubspot: Config.RateLimit, Config.RateWindow, Config.SearchRateLimit and Config.SearchRateWindow must not be negative")
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
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.RateWindow == 0 {
		cfg.RateWindow = DefaultRateWindow
	}
	if cfg.SearchRateLimit == 0 {
		cfg.SearchRateLimit = DefaultSearchRateLimit
	}
	if cfg.SearchRateWindow == 0 {
		cfg.SearchRateWindow = DefaultSearchRateWindow
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
	now := cfg.Now
	if now == nil {
		now = time.Now
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
		Limiter:     windowLimiter(cfg.RateLimit, cfg.RateWindow),
		Timeout:     cfg.Timeout,
		MaxRetries:  cfg.MaxRetries,
		Logger:      cfg.Logger,
		Now:         cfg.Now,
		Sleep:       cfg.Sleep,
	})
	if err != nil {
		return nil, fmt.Errorf("hubspot: Config.BaseURL: %w", err)
	}
	return &Connector{
		cfg:      cfg,
		http:     hc,
		search:   windowLimiter(cfg.SearchRateLimit, cfg.SearchRateWindow),
		now:      now,
		log:      log,
		portalID: cfg.PortalID,
		warned:   map[string]bool{},
	}, nil
}

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
func (c *Connector) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

// Platform returns "hubspot".
func (c *Connector) Platform() string { return Platform }
