package zendesk

import (
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

// Defaults of Config.
const (
	// DefaultRequestsPerMinute is the account-wide API limit of the Suite and
	// Support Team plans. Larger plans allow more: Growth and Professional
	// 400, Enterprise 700, the High Volume API add-on 2500.
	DefaultRequestsPerMinute = 200
	// DefaultExportRequestsPerMinute is the documented budget of the
	// incremental export endpoints, which the ticket export and the ticket
	// events export share.
	DefaultExportRequestsPerMinute = 10
	// DefaultPageSize is the number of tickets asked for per export page:
	// the API's default and largest.
	DefaultPageSize = 1000
	// DefaultWebhookTolerance is how far a delivery's signed timestamp may
	// be from the clock before the delivery is refused as a replay.
	DefaultWebhookTolerance = 5 * time.Minute
)

// TestSigningSecret is the fixed secret Zendesk signs the test deliveries
// sent from the webhook builder with, before the webhook exists. Such
// deliveries are accepted only when this secret is among
// Config.WebhookSecrets, which should be the case only while setting up.
const TestSigningSecret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="

// Config configures a Connector. Its fields are the ones a person finds in
// Zendesk; see the package documentation for where each one is.
//
// Exactly one credential must be set: Email with APIToken, OAuthToken, or
// TokenSource. Printing a Config with any fmt verb never shows a token or a
// secret.
type Config struct {
	// Subdomain is the account's subdomain: "acmecorp" for
	// https://acmecorp.zendesk.com. Required unless BaseURL is set.
	Subdomain string
	// Email is the sign-in email of the admin the API token belongs to.
	Email string
	// APIToken is an API token from Admin Center → Apps and integrations →
	// APIs → Zendesk API. It authenticates as "Email/token".
	APIToken string
	// OAuthToken is an OAuth access token (Bearer), for OAuth apps, instead
	// of Email and APIToken.
	OAuthToken string
	// TokenSource supplies OAuth tokens (Bearer) and refreshes them, instead
	// of Email and APIToken.
	TokenSource oauth2.TokenSource

	// BaseURL overrides https://{Subdomain}.zendesk.com, for tests and
	// proxies: the API is reached at BaseURL + "/api/v2".
	BaseURL string
	// HTTPClient, when set, is the base of the connector's HTTP stack (its
	// Transport, Timeout, redirect policy and cookie jar). It is not
	// modified.
	HTTPClient *http.Client

	// StartTime is where the first sync starts: tickets changed at or after
	// it are synced. The zero time means everything the account holds.
	StartTime time.Time
	// RequestsPerMinute is the account's plan limit; zero means
	// DefaultRequestsPerMinute, negative means no limit on this side. The
	// connector uses nine tenths of it, leaving room for the account's
	// other integrations, and slows down further when Zendesk's rate-limit
	// headers say the account is running low.
	RequestsPerMinute int
	// ExportRequestsPerMinute is the incremental exports' own budget; zero
	// means DefaultExportRequestsPerMinute, negative means no limit on this
	// side.
	ExportRequestsPerMinute int
	// PageSize is the number of tickets per export page, at most 1000; zero
	// means DefaultPageSize. Smaller pages cost more requests.
	PageSize int

	// WebhookSecret is a webhook's signing secret (Admin Center → Apps and
	// integrations → Webhooks → the webhook → Signing secret → Reveal).
	WebhookSecret string
	// WebhookSecrets are further accepted secrets: several webhooks
	// delivering to one connector, or the old and new secret while rotating.
	WebhookSecrets []string
	// WebhookTolerance is how old (or how far in the future) a delivery's
	// signed timestamp may be; zero means DefaultWebhookTolerance.
	WebhookTolerance time.Duration

	// Now is the connector's clock, against which webhook timestamps are
	// checked (hosts verifying recorded deliveries set it) and which times
	// the re-reads of the ticket export during a backfill; nil means
	// time.Now.
	Now func() time.Time
	// Logger receives retries and slowdowns at debug level; nil is silent.
	// Logs never hold credentials.
	Logger *slog.Logger
}

var subdomainRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// settings is a validated Config with its defaults applied.
type settings struct {
	Config
	apiBase  string // ".../api/v2"
	agentURL string // "https://acme.zendesk.com/agent/tickets/"
	secrets  []string
}

// validate checks cfg and applies the defaults. Its errors name the field
// and say what a valid value looks like; they never hold a credential.
func validate(cfg Config) (settings, error) {
	s := settings{Config: cfg}
	var root string
	switch {
	case cfg.BaseURL != "":
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, errors.New("zendesk: Config.BaseURL must be an absolute http or https URL, such as https://acmecorp.zendesk.com")
		}
		if u.User != nil || u.RawQuery != "" {
			return s, errors.New("zendesk: Config.BaseURL must not hold credentials or a query; put credentials in Email and APIToken")
		}
		root = strings.TrimSuffix(strings.TrimSuffix(strings.TrimRight(u.String(), "/"), "/api/v2"), "/")
	case cfg.Subdomain == "":
		return s, errors.New(`zendesk: Config.Subdomain is empty: set the account's subdomain, such as "acmecorp" for https://acmecorp.zendesk.com`)
	}
	if cfg.Subdomain != "" {
		if !subdomainRE.MatchString(cfg.Subdomain) {
			return s, fmt.Errorf(`zendesk: Config.Subdomain %q is not a subdomain: use only the first part of the address, such as "acmecorp" for https://acmecorp.zendesk.com`, clip(cfg.Subdomain, 80))
		}
		if root == "" {
			root = "https://" + strings.ToLower(cfg.Subdomain) + ".zendesk.com"
		}
		s.agentURL = "https://" + strings.ToLower(cfg.Subdomain) + ".zendesk.com/agent/tickets/"
	} else {
		s.agentURL = root + "/agent/tickets/"
	}
	s.apiBase = root + "/api/v2"

	creds := 0
	if cfg.APIToken != "" || cfg.Email != "" {
		creds++
		if cfg.APIToken == "" {
			return s, errors.New("zendesk: Config.APIToken is empty: create an API token in Admin Center → Apps and integrations → APIs → Zendesk API")
		}
		if cfg.Email == "" {
			return s, errors.New("zendesk: Config.Email is empty: set the sign-in email of the admin the API token belongs to, such as admin@acmecorp.com")
		}
		if strings.TrimSpace(cfg.Email) != cfg.Email || strings.Count(cfg.Email, "@") != 1 ||
			strings.HasPrefix(cfg.Email, "@") || strings.HasSuffix(cfg.Email, "@") || strings.ContainsAny(cfg.Email, " /:") {
			return s, fmt.Errorf("zendesk: Config.Email %q is not an email address: use the admin's sign-in email, such as admin@acmecorp.com", clip(cfg.Email, 80))
		}
	}
	if cfg.OAuthToken != "" {
		creds++
	}
	if cfg.TokenSource != nil {
		creds++
	}
	switch {
	case creds == 0:
		return s, errors.New("zendesk: no credentials: set Config.Email and Config.APIToken (Admin Center → Apps and integrations → APIs → Zendesk API), or Config.OAuthToken or Config.TokenSource for an OAuth app")
	case creds > 1:
		return s, errors.New("zendesk: set only one credential: Config.Email with Config.APIToken, or Config.OAuthToken, or Config.TokenSource")
	}

	if s.RequestsPerMinute == 0 {
		s.RequestsPerMinute = DefaultRequestsPerMinute
	}
	if s.ExportRequestsPerMinute == 0 {
		s.ExportRequestsPerMinute = DefaultExportRequestsPerMinute
	}
	switch {
	case s.PageSize == 0:
		s.PageSize = DefaultPageSize
	case s.PageSize < 0 || s.PageSize > 1000:
		return s, fmt.Errorf("zendesk: Config.PageSize %d is out of range: use 1 to 1000, or 0 for 1000", s.PageSize)
	}
	switch {
	case s.WebhookTolerance == 0:
		s.WebhookTolerance = DefaultWebhookTolerance
	case s.WebhookTolerance < 0:
		return s, fmt.Errorf("zendesk: Config.WebhookTolerance %s is negative: use a duration such as 5*time.Minute, or 0 for the default", s.WebhookTolerance)
	}
	if !s.StartTime.IsZero() && s.StartTime.Unix() < 0 {
		return s, errors.New("zendesk: Config.StartTime is before 1970: use the zero time to sync everything")
	}
	for i, sec := range append([]string{cfg.WebhookSecret}, cfg.WebhookSecrets...) {
		if sec == "" {
			if i > 0 {
				return s, fmt.Errorf("zendesk: Config.WebhookSecrets[%d] is empty", i-1)
			}
			continue
		}
		s.secrets = append(s.secrets, sec)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
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
	p.Start("zendesk.Config")
	p.Quote("Subdomain", c.Subdomain)
	p.Quote("Email", c.Email)
	p.Secret("APIToken", c.APIToken)
	p.Secret("OAuthToken", c.OAuthToken)
	p.Set("TokenSource", c.TokenSource != nil)
	p.Quote("BaseURL", c.BaseURL)
	if c.HTTPClient != nil {
		p.Set("HTTPClient", true)
	}
	p.Value("StartTime", c.StartTime)
	p.Value("RequestsPerMinute", c.RequestsPerMinute)
	p.Value("ExportRequestsPerMinute", c.ExportRequestsPerMinute)
	p.Value("PageSize", c.PageSize)
	p.Secret("WebhookSecret", c.WebhookSecret)
	p.Secrets("WebhookSecrets", c.WebhookSecrets)
	p.Value("WebhookTolerance", c.WebhookTolerance)
	return p.String()
}

// GoString is String, for the %#v verb.
func (c Config) GoString() string { return c.String() }

// Format writes String for every verb, so that no verb or flag (%v, %+v,
// %#v, %s, %q, %x) prints a token.
func (c Config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue is String, so that no slog handler prints a token.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }
