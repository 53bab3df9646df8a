package zendesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
)

// Platform is the name stamped on every ticket as Ticket.Platform.
const Platform = "zendesk"

// Connector is one Zendesk Support account. It implements
// ticketsync.Poller, ticketsync.WebhookReceiver and ticketsync.TicketGetter.
// Its methods are safe for concurrent use.
type Connector struct {
	cfg    settings
	client *httpx.Client
	// export is the incremental exports' own budget; nil when unlimited.
	export *rate.Limiter

	// users caches the people seen in sideloads, so that comments from the
	// ticket events export, which sideloads none, name their authors.
	mu    sync.Mutex
	users map[int64]wireUser
}

// Interface checks.
var (
	_ ticketsync.Poller          = (*Connector)(nil)
	_ ticketsync.WebhookReceiver = (*Connector)(nil)
	_ ticketsync.TicketGetter    = (*Connector)(nil)
)

// maxCachedUsers bounds Connector.users; the cache starts over when full.
const maxCachedUsers = 50000

// New returns a Connector for cfg, or an error naming the Config field that
// is wrong and saying what a valid value looks like. It makes no request:
// call Test to check the credentials.
func New(cfg Config) (*Connector, error) {
	return newConnector(cfg, nil)
}

// newConnector is New with the HTTP stack's waits (retry backoff,
// Retry-After, rate limits) made by sleep, and its clock Config.Now, when
// sleep is not nil: tests wait on the fake's clock, not the real one.
func newConnector(cfg Config, sleep func(context.Context, time.Duration) error) (*Connector, error) {
	s, err := validate(cfg)
	if err != nil {
		return nil, err
	}
	hc := httpx.Config{
		Platform:   Platform,
		BaseURL:    s.apiBase,
		HTTPClient: s.HTTPClient,
		Logger:     s.Logger,
		Limiter:    perMinute(s.RequestsPerMinute, 0.9),
	}
	if sleep != nil {
		hc.Sleep, hc.Now = sleep, s.Now
	}
	switch {
	case s.APIToken != "":
		hc.Username, hc.Password = s.Email+"/token", s.APIToken
	case s.OAuthToken != "":
		hc.Token = s.OAuthToken
	default:
		hc.TokenSource = s.TokenSource
	}
	client, err := httpx.New(hc)
	if err != nil {
		return nil, err // "zendesk: ..." already, without credentials
	}
	return &Connector{
		cfg:    s,
		client: client,
		export: perMinute(s.ExportRequestsPerMinute, 60.0/62),
		users:  make(map[int64]wireUser),
	}, nil
}

// perMinute returns a limiter that never lets more than limit requests into
// any minute (or, scaled, into any shorter window of a proportional limit):
// one request at a time, spaced at share of the limit, with a little room
// for the clocks of both sides to drift. It returns nil for limit < 0.
func perMinute(limit int, share float64) *rate.Limiter {
	if limit < 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(float64(limit)*share/60), 1)
}

// Platform returns "zendesk".
func (c *Connector) Platform() string { return Platform }

// String describes the connector without its credentials.
func (c *Connector) String() string {
	return "zendesk.Connector{" + strings.TrimSuffix(c.cfg.apiBase, "/api/v2") + "}"
}

// Format writes String for every verb, so that printing a Connector never
// shows a credential.
func (c *Connector) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

// wireMe is the answer of users/me.
type wireMe struct {
	User struct {
		ID    *int64 `json:"id"`
		Email string `json:"email"`
		Role  string `json:"role"`
	} `json:"user"`
}

// Test checks the credentials with GET /api/v2/users/me.json, one request
// against the plan limit. It returns nil when the credentials belong to an
// admin, who may read the incremental exports, and otherwise an error
// matching ticketsync.ErrUnauthorized (wrong email or token, or an answer
// as the anonymous user), ticketsync.ErrForbidden (not an admin) or
// ticketsync.ErrNotFound (no such account: a 404 or an HTML page), or a
// network error.
func (c *Connector) Test(ctx context.Context) error {
	const op = "test credentials"
	req, err := c.client.NewRequest(ctx, http.MethodGet, "users/me.json", nil, nil)
	if err != nil {
		return wrap(op, err, "")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return wrap(op, err, hintFor(err))
	}
	defer resp.Body.Close()
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var me wireMe
	if mt == "text/html" || json.NewDecoder(resp.Body).Decode(&me) != nil {
		return &Error{Op: op, Err: ticketsync.ErrNotFound,
			Detail: "the address answered with a page that is not the Zendesk API", Hint: hintSubdomain}
	}
	if me.User.ID == nil {
		return &Error{Op: op, Err: ticketsync.ErrUnauthorized,
			Detail: "Zendesk answered as the anonymous user", Hint: hintCredentials}
	}
	if me.User.Role != "admin" {
		role := me.User.Role
		if role == "" {
			role = "not an admin"
		}
		return &Error{Op: op, Err: ticketsync.ErrForbidden,
			Detail: fmt.Sprintf("user %d is %s", *me.User.ID, role),
			Hint:   "the incremental export needs an admin: use an admin's email and API token"}
	}
	return nil
}

// Hints appended to errors that a person can act on.
const (
	hintCredentials = "check the admin email and API token (Admin Center → Apps and integrations → APIs → Zendesk API)"
	hintSubdomain   = "check the subdomain"
	hintAdmin       = "incremental export needs an admin: use an admin's email and API token"
)

// hintFor returns what a person should check for err.
func hintFor(err error) string {
	switch {
	case errors.Is(err, ticketsync.ErrUnauthorized):
		return hintCredentials
	case errors.Is(err, ticketsync.ErrForbidden):
		return hintAdmin
	case errors.Is(err, ticketsync.ErrNotFound):
		return hintSubdomain
	}
	return ""
}

// Error is an error of this package: what the connector was doing, what
// went wrong and, where a person can act on it, what to check. It wraps the
// cause, so that errors.Is(err, ticketsync.ErrUnauthorized) and
// errors.As(err, new(*ticketsync.APIError)) work. Its text never holds a
// credential:
//
//	zendesk: test credentials: 401 unauthorized: Couldn't authenticate you: check the admin email and API token (...)
type Error struct {
	Op     string // "test credentials", `fetch tickets after cursor "eyJ2…"`, ...
	Err    error  // the cause: an *ticketsync.APIError, a sentinel, a network error
	Detail string // what went wrong, when Err does not say it
	Hint   string // what to check, or ""
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("zendesk: ")
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

// causeText is err's text without the platform and request prefix the HTTP
// stack puts in front, which Error.Op replaces.
func causeText(err error) string {
	var api *ticketsync.APIError
	if errors.As(err, &api) {
		s := strconv.Itoa(api.StatusCode) + " " + strings.ToLower(http.StatusText(api.StatusCode))
		if api.Message != "" && api.Message != http.StatusText(api.StatusCode) {
			s += ": " + api.Message
		}
		if api.RetryAfter > 0 {
			s += " (retry after " + api.RetryAfter.String() + ")"
		}
		return s
	}
	var re *httpx.RequestError
	if errors.As(err, &re) {
		return re.Err.Error()
	}
	return err.Error()
}

// wrap makes err an *Error of op.
func wrap(op string, err error, hint string) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Err: err, Hint: hint}
}

// debug logs at debug level, when a Logger is configured.
func (c *Connector) debug(ctx context.Context, msg string, attrs ...slog.Attr) {
	if c.cfg.Logger != nil {
		c.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
	}
}

// now is the connector's clock.
func (c *Connector) now() time.Time { return c.cfg.Now() }
