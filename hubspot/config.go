package hubspot

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/redact"
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
	// DefaultRequestsPerMinute is HubSpot's burst limit for a private app
	// on the Free and Starter tiers, 100 requests per rolling 10 seconds,
	// as requests a minute. Professional and Enterprise allow 190 per 10
	// seconds (1140), the API limit increase 250 (1500), a public (OAuth)
	// app 110 per installing account (660).
	DefaultRequestsPerMinute = 600
	// DefaultSearchRequestsPerSecond is the search endpoints' own limit: 5
	// requests a second per account, shared by every app of the account.
	DefaultSearchRequestsPerSecond = 5
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
	// webhooks. ClientSecrets are accepted too, during a rotation: the
	// secret being replaced, or the new one.
	ClientSecret  string
	ClientSecrets []string
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

	// RequestsPerMinute is the account's burst limit, as requests a minute;
	// DefaultRequestsPerMinute when 0. HubSpot counts requests per rolling
	// 10 seconds, so the connector lets at most RequestsPerMinute/6 requests
	// into any 10 seconds, and keeps a tenth below that so that other
	// traffic and clock skew do not cause 429s.
	RequestsPerMinute int
	// SearchRequestsPerSecond is the search limit;
	// DefaultSearchRequestsPerSecond when 0.
	SearchRequestsPerSecond int
	// Timeout bounds each HTTP attempt; MaxRetries is the number of retries
	// of a request after 5xx, 429 and network errors. Zero means the
	// defaults of the HTTP stack (30 s, 4 retries); negative MaxRetries
	// means none.
	Timeout    time.Duration
	MaxRetries int
	// Logger receives retries, slowdowns and degraded lookups at debug and
	// warn level; nil is silent.
	Logger *slog.Logger
	// Now is the clock webhook timestamps are checked against, so that a
	// recorded delivery can be verified as of its time; time.Now when nil.
	Now func() time.Time
}

// String describes the configuration without its credentials, so that a
// Config can be logged.
func (c Config) String() string {
	var p redact.Printer
	p.Start("hubspot.Config")
	p.Quote("BaseURL", c.baseURL())
	p.Secret("PrivateAppToken", c.PrivateAppToken)
	p.Set("TokenSource", c.TokenSource != nil)
	p.Secret("ClientSecret", c.ClientSecret)
	p.Secrets("ClientSecrets", c.ClientSecrets)
	p.Value("PortalID", c.PortalID)
	p.Value("StartTime", c.StartTime)
	if u, err := url.Parse(c.WebhookURL); err == nil && c.WebhookURL != "" {
		p.Quote("WebhookURL", u.Scheme+"://"+u.Host+u.Path) // its query may hold a key
	}
	p.Value("RequestsPerMinute", c.RequestsPerMinute)
	return p.String()
}

// GoString is String, so that %#v does not print credentials either.
func (c Config) GoString() string { return c.String() }

// Format prints String for every verb, so that no fmt verb prints a
// credential.
func (c Config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue is String, so that no slog handler prints a credential.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

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
	for _, s := range c.ClientSecrets {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
