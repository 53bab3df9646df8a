package freshdesk

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync/internal/redact"
)

// Defaults of Config.
const (
	// DefaultRequestsPerMinute is the Growth plan's account-wide budget, in
	// API credits a minute. Pro allows 400, Enterprise 700.
	DefaultRequestsPerMinute = 200
	// DefaultListRequestsPerMinute is the Growth plan's Tickets List
	// sub-limit. Pro allows 100, Enterprise 200.
	DefaultListRequestsPerMinute = 20
	// DefaultPageSize is the number of tickets asked for per list page: the
	// API's largest.
	DefaultPageSize = 100
	// DefaultConcurrency is how many tickets' conversations are loaded at
	// once.
	DefaultConcurrency = 4
	// DefaultWebhookHeader carries the webhook token.
	DefaultWebhookHeader = "X-Ticketsync-Token"
)

// Config configures a Connector with what a person finds in Freshdesk; see
// the package documentation for where each value is. Printing a Config with
// any fmt verb never shows the API key, a webhook token or password.
type Config struct {
	// Domain is the account's Freshdesk subdomain: "acme" for
	// https://acme.freshdesk.com. Required unless BaseURL is set.
	Domain string
	// APIKey is the API key of an agent who sees every ticket (Profile
	// icon → Profile Settings → View API Key). Requests authenticate with
	// HTTP Basic, the key as user and "X" as password.
	APIKey string

	// BaseURL replaces the scheme and host https://{Domain}.freshdesk.com,
	// for tests and proxies; the paths stay Freshdesk's (/api/v2/...).
	BaseURL string
	// HTTPClient, when set, is the base of the connector's HTTP stack. It
	// is not modified.
	HTTPClient *http.Client

	// StartTime is where the first sync starts: tickets updated at or
	// after it. The zero time means everything the account holds.
	StartTime time.Time
	// RequestsPerMinute is the plan's account-wide budget in API credits
	// (Growth 200, Pro 400, Enterprise 700); zero means
	// DefaultRequestsPerMinute, negative no limit on this side. The
	// connector uses nine tenths of it and counts the extra credits of
	// embeds.
	RequestsPerMinute int
	// ListRequestsPerMinute is the plan's Tickets List sub-limit (Growth
	// 20, Pro 100, Enterprise 200); zero means
	// DefaultListRequestsPerMinute, negative no limit on this side.
	ListRequestsPerMinute int
	// PageSize is the number of tickets per list page, 1 to 100; zero means
	// DefaultPageSize.
	PageSize int
	// Concurrency bounds the conversation requests in flight; zero means
	// DefaultConcurrency.
	Concurrency int

	// WebhookToken is the secret an automation's "Trigger webhook" action
	// sends in the WebhookHeader custom header.
	WebhookToken string
	// WebhookTokens are further accepted tokens, for a rotation.
	WebhookTokens []string
	// WebhookHeader names the header carrying the token; empty means
	// DefaultWebhookHeader.
	WebhookHeader string
	// WebhookUsername and WebhookPassword are the credentials of the
	// action's "Requires authentication", sent as HTTP Basic, accepted
	// instead of or besides a token.
	WebhookUsername string
	WebhookPassword string

	// Logger receives retries and slowdowns; nil is silent. Logs never
	// hold credentials.
	Logger *slog.Logger
}

var subdomainRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// settings is a validated Config with defaults applied.
type settings struct {
	Config
	apiBase  string // ".../api/v2"
	agentURL string // "https://acme.freshdesk.com/a/tickets/"
	tokens   []string
}

// validate checks cfg and applies the defaults. Errors name the field and
// never hold a credential.
func validate(cfg Config) (settings, error) {
	s := settings{Config: cfg}
	var root string
	switch {
	case cfg.BaseURL != "":
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, errors.New("freshdesk: Config.BaseURL must be an absolute http or https URL, such as https://acme.freshdesk.com")
		}
		if u.User != nil || u.RawQuery != "" {
			return s, errors.New("freshdesk: Config.BaseURL must not hold credentials or a query; put the API key in Config.APIKey")
		}
		root = strings.TrimSuffix(strings.TrimSuffix(strings.TrimRight(u.String(), "/"), "/api/v2"), "/")
	case cfg.Domain == "":
		return s, errors.New(`freshdesk: Config.Domain is empty: set the account's subdomain, such as "acme" for https://acme.freshdesk.com`)
	}
	if cfg.Domain != "" {
		if !subdomainRE.MatchString(cfg.Domain) {
			return s, fmt.Errorf(`freshdesk: Config.Domain %q is not a subdomain: use only the first part of the address, such as "acme" for https://acme.freshdesk.com`, clip(cfg.Domain, 80))
		}
		sub := strings.ToLower(cfg.Domain)
		if root == "" {
			root = "https://" + sub + ".freshdesk.com"
		}
		s.agentURL = "https://" + sub + ".freshdesk.com/a/tickets/"
	} else {
		s.agentURL = root + "/a/tickets/"
	}
	s.apiBase = root + "/api/v2"

	switch {
	case cfg.APIKey == "":
		return s, errors.New("freshdesk: Config.APIKey is empty: copy the agent's API key from Profile icon → Profile Settings → View API Key")
	case strings.TrimSpace(cfg.APIKey) != cfg.APIKey || strings.ContainsAny(cfg.APIKey, ": \t\r\n"):
		return s, errors.New("freshdesk: Config.APIKey holds spaces or a colon: copy the key alone, without the \":X\" password")
	}
	switch {
	case s.RequestsPerMinute == 0:
		s.RequestsPerMinute = DefaultRequestsPerMinute
	}
	if s.ListRequestsPerMinute == 0 {
		s.ListRequestsPerMinute = DefaultListRequestsPerMinute
	}
	switch {
	case s.PageSize == 0:
		s.PageSize = DefaultPageSize
	case s.PageSize < 0 || s.PageSize > 100:
		return s, fmt.Errorf("freshdesk: Config.PageSize %d is out of range: use 1 to 100, or 0 for 100", s.PageSize)
	}
	switch {
	case s.Concurrency == 0:
		s.Concurrency = DefaultConcurrency
	case s.Concurrency < 0:
		return s, fmt.Errorf("freshdesk: Config.Concurrency %d is negative: use 0 for %d", s.Concurrency, DefaultConcurrency)
	}
	if !s.StartTime.IsZero() && s.StartTime.Unix() < 0 {
		return s, errors.New("freshdesk: Config.StartTime is before 1970: use the zero time to sync everything")
	}
	if s.WebhookHeader == "" {
		s.WebhookHeader = DefaultWebhookHeader
	} else if !validHeaderName(s.WebhookHeader) {
		return s, fmt.Errorf("freshdesk: Config.WebhookHeader %q is not a header name, such as %s", clip(s.WebhookHeader, 80), DefaultWebhookHeader)
	}
	for i, tok := range append([]string{cfg.WebhookToken}, cfg.WebhookTokens...) {
		if tok == "" {
			if i > 0 {
				return s, fmt.Errorf("freshdesk: Config.WebhookTokens[%d] is empty", i-1)
			}
			continue
		}
		s.tokens = append(s.tokens, tok)
	}
	if (cfg.WebhookUsername == "") != (cfg.WebhookPassword == "") {
		return s, errors.New("freshdesk: set both Config.WebhookUsername and Config.WebhookPassword, or neither")
	}
	return s, nil
}

func validHeaderName(h string) bool {
	if h == "" || textproto.CanonicalMIMEHeaderKey(h) == "" {
		return false
	}
	for _, r := range h {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return false
		}
	}
	return true
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// String returns the Config with the API key, tokens and password replaced
// by "[redacted]" (or "" when unset), so that it may be logged.
func (c Config) String() string {
	var p redact.Printer
	p.Start("freshdesk.Config")
	p.Quote("Domain", c.Domain)
	p.Secret("APIKey", c.APIKey)
	p.Value("BaseURL", c.BaseURL)
	p.Set("HTTPClient", c.HTTPClient != nil)
	p.Value("StartTime", c.StartTime)
	p.Value("RequestsPerMinute", c.RequestsPerMinute)
	p.Value("ListRequestsPerMinute", c.ListRequestsPerMinute)
	p.Value("PageSize", c.PageSize)
	p.Value("Concurrency", c.Concurrency)
	p.Secret("WebhookToken", c.WebhookToken)
	p.Secrets("WebhookTokens", c.WebhookTokens)
	p.Value("WebhookHeader", c.WebhookHeader)
	p.Value("WebhookUsername", c.WebhookUsername)
	p.Secret("WebhookPassword", c.WebhookPassword)
	p.Set("Logger", c.Logger != nil)
	return p.String()
}

// GoString is String, for the %#v verb.
func (c Config) GoString() string { return c.String() }

// Format writes String for every verb, so that no verb or flag prints a
// secret.
func (c Config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue is String, so that no slog handler prints a secret.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }
