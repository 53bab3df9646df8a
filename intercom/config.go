package intercom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/ticketsync/ticketsync/internal/redact"
)

// Platform is the name stamped on every ticket as Ticket.Platform.
const Platform = "intercom"

// Defaults of Config.
const (
	// DefaultAPIVersion is the Intercom-Version every request sends. Shapes
	// differ between versions (ticket_state is a string before 2.12 and an
	// object from 2.12 on), and without the header the app's default
	// version, set in the Developer Hub, applies; so the connector pins one.
	DefaultAPIVersion = "2.14"
	// DefaultRegion is where a workspace is hosted unless Config.Region
	// says otherwise.
	DefaultRegion = "US"
	// DefaultRequestsPerMinute is the per-app limit of private apps:
	// 10,000 calls a minute (25,000 per workspace across its apps),
	// enforced in 10-second windows of a sixth each.
	DefaultRequestsPerMinute = 10000
	// DefaultConcurrency is how many conversations or tickets are read by
	// id at once.
	DefaultConcurrency = 8
	// PageSize is the per_page of every search: the most the conversation
	// search allows.
	PageSize = 150
	// MaxParts is the most parts Intercom returns with a conversation or
	// ticket: the most recent ones.
	MaxParts = 500
)

// regionHosts are the API hosts of Intercom's regions.
var regionHosts = map[string]string{
	"US": "https://api.intercom.io",
	"EU": "https://api.eu.intercom.io",
	"AU": "https://api.au.intercom.io",
}

// appHosts are the addresses of the Inbox by region.
var appHosts = map[string]string{
	"US": "https://app.intercom.com",
	"EU": "https://app.eu.intercom.com",
	"AU": "https://app.au.intercom.com",
}

// Config configures a Connector. Its fields are the ones a person finds in
// Intercom; see the package documentation for where each one is.
//
// Exactly one credential must be set: AccessToken or TokenSource. Printing a
// Config with any fmt verb never shows a token or a secret.
type Config struct {
	// AccessToken is the app's access token: Settings → Integrations →
	// Developer Hub → your app → Authentication. It needs the "Read
	// conversations" and "Read tickets" permissions, and "Read and list
	// users and companies" and "Read admins" for names.
	AccessToken string
	// TokenSource supplies OAuth tokens (Bearer) for a public app, instead
	// of AccessToken.
	TokenSource oauth2.TokenSource
	// Region is where the workspace is hosted: "US" (api.intercom.io, the
	// default), "EU" (api.eu.intercom.io) or "AU" (api.au.intercom.io).
	// A token works only against its workspace's region.
	Region string
	// APIVersion is sent as Intercom-Version on every request;
	// DefaultAPIVersion when empty. The connector reads the shapes of 2.11
	// to 2.16.
	APIVersion string
	// AppID is the workspace's id (app_id, the code in the Inbox address),
	// used for the Inbox links of Ticket.URL and to ignore webhooks of other
	// workspaces. Empty means learned from GET /me, once.
	AppID string

	// ClientSecret is the app's client secret (Developer Hub → your app →
	// Basic information), which signs webhook notifications. Required to
	// receive webhooks.
	ClientSecret string
	// ClientSecrets are further accepted secrets, while rotating.
	ClientSecrets []string

	// BaseURL overrides the region's API host, for tests and proxies.
	BaseURL string
	// HTTPClient, when set, is the base of the connector's HTTP stack (its
	// Transport, Timeout, proxy and TLS settings). It is not modified.
	HTTPClient *http.Client

	// StartTime is where the first sync starts: conversations and tickets
	// updated at or after it. The zero time means everything.
	StartTime time.Time
	// RequestsPerMinute is the app's limit; DefaultRequestsPerMinute when
	// zero, no limit on this side when negative. The connector uses nine
	// tenths of it and slows down when Intercom's rate-limit headers say the
	// window is running out.
	RequestsPerMinute int
	// Concurrency is how many conversations or tickets are read by id at
	// once; DefaultConcurrency when zero.
	Concurrency int

	// Logger receives retries, slowdowns and degraded lookups at debug and
	// warn level; nil is silent. Logs never hold credentials.
	Logger *slog.Logger
}

var versionRE = regexp.MustCompile(`^(2\.(1[1-6])|Unstable)$`)

// settings is a validated Config with its defaults applied.
type settings struct {
	Config
	region  string
	apiBase string
	appHost string
	secrets []string
	// now and sleep are the clock; tests replace them (export_test.go).
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// validate checks cfg and applies the defaults. Its errors name the field
// and say what a valid value looks like; they never hold a credential.
func validate(cfg Config) (settings, error) {
	s := settings{Config: cfg}
	s.region = strings.ToUpper(strings.TrimSpace(cfg.Region))
	if s.region == "" {
		s.region = DefaultRegion
	}
	host, ok := regionHosts[s.region]
	if !ok {
		return s, fmt.Errorf("intercom: Config.Region %q is not a region: use \"US\", \"EU\" or \"AU\", where the workspace is hosted", clip(cfg.Region, 20))
	}
	s.apiBase, s.appHost = host, appHosts[s.region]
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, errors.New("intercom: Config.BaseURL must be an absolute http or https URL, such as https://api.intercom.io")
		}
		if u.User != nil || u.RawQuery != "" {
			return s, errors.New("intercom: Config.BaseURL must not hold credentials or a query; put the token in AccessToken")
		}
		s.apiBase = strings.TrimRight(u.String(), "/")
	}
	switch {
	case cfg.AccessToken == "" && cfg.TokenSource == nil:
		return s, errors.New("intercom: no credentials: set Config.AccessToken (Developer Hub → your app → Authentication), or Config.TokenSource for an OAuth app")
	case cfg.AccessToken != "" && cfg.TokenSource != nil:
		return s, errors.New("intercom: set only one credential: Config.AccessToken or Config.TokenSource")
	case cfg.AccessToken != "" && (strings.TrimSpace(cfg.AccessToken) != cfg.AccessToken || strings.ContainsAny(cfg.AccessToken, " \t\r\n")):
		return s, errors.New("intercom: Config.AccessToken holds spaces or line breaks: paste only the token")
	}
	if s.APIVersion == "" {
		s.APIVersion = DefaultAPIVersion
	}
	if !versionRE.MatchString(s.APIVersion) {
		return s, fmt.Errorf("intercom: Config.APIVersion %q is not a version the connector reads: use 2.11 to 2.16, or leave it empty for %s", clip(s.APIVersion, 20), DefaultAPIVersion)
	}
	if s.RequestsPerMinute == 0 {
		s.RequestsPerMinute = DefaultRequestsPerMinute
	}
	switch {
	case s.Concurrency == 0:
		s.Concurrency = DefaultConcurrency
	case s.Concurrency < 0 || s.Concurrency > 64:
		return s, fmt.Errorf("intercom: Config.Concurrency %d is out of range: use 1 to 64, or 0 for %d", s.Concurrency, DefaultConcurrency)
	}
	if !s.StartTime.IsZero() && s.StartTime.Unix() < 0 {
		return s, errors.New("intercom: Config.StartTime is before 1970: use the zero time to sync everything")
	}
	for i, sec := range append([]string{cfg.ClientSecret}, cfg.ClientSecrets...) {
		if sec == "" {
			if i > 0 {
				return s, fmt.Errorf("intercom: Config.ClientSecrets[%d] is empty", i-1)
			}
			continue
		}
		s.secrets = append(s.secrets, sec)
	}
	s.now = time.Now
	return s, nil
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// String returns the Config with every token and secret replaced by
// "[redacted]" (or "" when unset), so that it may be logged.
func (c Config) String() string {
	var p redact.Printer
	p.Start("intercom.Config")
	p.Secret("AccessToken", c.AccessToken)
	p.Set("TokenSource", c.TokenSource != nil)
	p.Value("Region", c.Region)
	p.Value("APIVersion", c.APIVersion)
	p.Value("AppID", c.AppID)
	p.Secret("ClientSecret", c.ClientSecret)
	p.Secrets("ClientSecrets", c.ClientSecrets)
	p.Value("BaseURL", c.BaseURL)
	p.Value("HTTPClient", c.HTTPClient != nil)
	p.Value("StartTime", c.StartTime)
	p.Value("RequestsPerMinute", c.RequestsPerMinute)
	p.Value("Concurrency", c.Concurrency)
	return p.String()
}

// GoString is String, for the %#v verb.
func (c Config) GoString() string { return c.String() }

// Format writes String for every verb, so that no verb or flag prints a
// token.
func (c Config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue is String, so that no slog handler prints a token.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }
