package zendesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
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
		Platform:    Platform,
		BaseURL:     s.apiBase,
		HTTPClient:  s.HTTPClient,
		Logger:      s.Logger,
		Limiter:     perMinute(s.RequestsPerMinute, 0.9),
		DecodeError: decodeError,
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
		return &opError{op: op, err: ticketsync.ErrNotFound,
			detail: "the address answered with a page that is not the Zendesk API", hint: hintSubdomain}
	}
	if me.User.ID == nil {
		return &opError{op: op, err: ticketsync.ErrUnauthorized,
			detail: "Zendesk answered as the anonymous user", hint: hintCredentials}
	}
	if me.User.Role != "admin" {
		role := me.User.Role
		if role == "" {
			role = "not an admin"
		}
		return &opError{op: op, err: ticketsync.ErrForbidden,
			detail: fmt.Sprintf("user %d is %s", *me.User.ID, role),
			hint:   "the incremental export needs an admin: use an admin's email and API token"}
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

// Errors of this package are of two kinds, both starting with "zendesk: "
// and the operation, both matching the root sentinels, neither holding a
// credential:
//
//   - an answer of Zendesk other than 2xx is the *ticketsync.APIError the
//     HTTP stack made, with Op set to what the connector was doing and
//     Hint to what a person should check:
//     zendesk: test credentials: GET /api/v2/users/me.json: 401 Unauthorized: Couldn't authenticate you; check the admin email and API token (...)
//   - anything else (no answer, an answer that is not the API's, a
//     damaged cursor) is an error wrapping its cause:
//     zendesk: test credentials: the address answered with a page that is not the Zendesk API: not found; check the subdomain
type opError struct {
	op     string
	err    error  // the cause: a sentinel, an *httpx.RequestError, ...
	detail string // what went wrong, when err does not say it
	hint   string // what to check, or ""
}

func (e *opError) Error() string {
	var b strings.Builder
	b.WriteString("zendesk: ")
	b.WriteString(e.op)
	b.WriteString(": ")
	if e.detail != "" {
		b.WriteString(e.detail)
		b.WriteString(": ")
	}
	b.WriteString(causeText(e.err))
	if e.hint != "" {
		b.WriteString("; ")
		b.WriteString(e.hint)
	}
	return b.String()
}

func (e *opError) Unwrap() error { return e.err }

// causeText is err's text without the "zendesk: " prefix the HTTP stack
// puts in front, which the operation replaces.
func causeText(err error) string {
	var re *httpx.RequestError
	if errors.As(err, &re) && re == err {
		return re.Method + " " + re.Path + ": " + re.Err.Error()
	}
	return strings.TrimPrefix(err.Error(), Platform+": ")
}

// wrap names op in err: an *ticketsync.APIError gets Op and Hint (when not
// set already, so that the innermost operation stays) and is returned
// itself; another error is wrapped.
func wrap(op string, err error, hint string) error {
	if err == nil {
		return nil
	}
	var api *ticketsync.APIError
	if errors.As(err, &api) && api == err {
		if api.Op == "" {
			api.Op = op
		}
		if api.Hint == "" {
			api.Hint = hint
		}
		return api
	}
	var oe *opError
	if errors.As(err, &oe) && oe == err {
		return err
	}
	return &opError{op: op, err: err, hint: hint}
}

// debug logs at debug level, when a Logger is configured.
func (c *Connector) debug(ctx context.Context, msg string, attrs ...slog.Attr) {
	if c.cfg.Logger != nil {
		c.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
	}
}

// now is the connector's clock.
func (c *Connector) now() time.Time { return c.cfg.Now() }
