package freshdesk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/time/rate"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
	"github.com/ticketsync/ticketsync/internal/incremental"
)

// Platform is the name stamped on every ticket as Ticket.Platform.
const Platform = "freshdesk"

// Connector is one Freshdesk account. It implements ticketsync.Poller,
// ticketsync.WebhookReceiver and ticketsync.TicketGetter. Its methods are
// safe for concurrent use.
type Connector struct {
	cfg    settings
	client *httpx.Client
	// credits is the account-wide budget, also given to the client as its
	// limiter; list is the Tickets List sub-limit. Nil when unlimited.
	credits, list *rate.Limiter

	codec incremental.Codec

	mu     sync.Mutex
	fields *ticketFields // nil until first loaded
}

// Interface checks.
var (
	_ ticketsync.Poller          = (*Connector)(nil)
	_ ticketsync.WebhookReceiver = (*Connector)(nil)
	_ ticketsync.TicketGetter    = (*Connector)(nil)
)

// New returns a Connector for cfg, or an error naming the Config field that
// is wrong. It makes no request: call Test to check the API key.
func New(cfg Config) (*Connector, error) {
	s, err := validate(cfg)
	if err != nil {
		return nil, err
	}
	credits := perMinute(s.RequestsPerMinute, 0.9)
	client, err := httpx.New(httpx.Config{
		Platform:    Platform,
		BaseURL:     s.apiBase,
		HTTPClient:  s.HTTPClient,
		Logger:      s.Logger,
		Limiter:     credits,
		Username:    s.APIKey,
		Password:    "X",
		DecodeError: decodeError,
		Now:         s.Now,
		Sleep:       s.Sleep,
	})
	if err != nil {
		return nil, err
	}
	return &Connector{
		cfg:     s,
		client:  client,
		credits: credits,
		list:    perMinute(s.ListRequestsPerMinute, 60.0/62),
		codec:   incremental.Codec{Connector: Platform, Version: cursorVersion, Fingerprint: s.apiBase},
	}, nil
}

// perMinute returns a limiter spacing requests at share of limit a minute,
// one at a time; nil for limit < 0.
func perMinute(limit int, share float64) *rate.Limiter {
	if limit < 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(float64(limit)*share/60), 1)
}

// withCredits returns the options that make a call wait for n credits of
// the account budget in all: Config.Limiter takes the first.
func (c *Connector) withCredits(n int, opts ...httpx.RequestOption) []httpx.RequestOption {
	for i := 1; i < n && c.credits != nil; i++ {
		opts = append(opts, httpx.WithLimiter(c.credits))
	}
	return opts
}

// Platform returns "freshdesk".
func (c *Connector) Platform() string { return Platform }

// String describes the connector without its credentials.
func (c *Connector) String() string {
	return "freshdesk.Connector{" + strings.TrimSuffix(c.cfg.apiBase, "/api/v2") + "}"
}

// Format writes String for every verb.
func (c *Connector) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

// wireMe is the answer of agents/me.
type wireMe struct {
	ID          *int64 `json:"id"`
	TicketScope int    `json:"ticket_scope"`
	Contact     struct {
		Email string `json:"email"`
	} `json:"contact"`
}

// Ticket scopes of an agent.
const (
	scopeGlobal     = 1
	scopeGroup      = 2
	scopeRestricted = 3
)

// Test checks the API key with GET /api/v2/agents/me, one credit. It
// returns nil when the key belongs to an agent who sees every ticket, and
// otherwise an error matching ticketsync.ErrUnauthorized (a wrong key),
// ticketsync.ErrForbidden (an agent whose ticket scope is limited to its
// groups or its own tickets, who would sync part of the account without
// knowing; or the Free plan, which has no API) or ticketsync.ErrNotFound
// (no such account: a 404 or an HTML page), or a network error.
func (c *Connector) Test(ctx context.Context) error {
	const op = "test API key"
	req, err := c.client.NewRequest(ctx, http.MethodGet, "agents/me", nil, nil)
	if err != nil {
		return wrap(op, err, "")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return c.classify(op, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var me wireMe
	if isHTML(resp.Header, data) || json.Unmarshal(data, &me) != nil || me.ID == nil {
		return &Error{Op: op, Err: ticketsync.ErrNotFound,
			Detail: "the address answered with a page that is not the Freshdesk API", Hint: hintSubdomain}
	}
	switch me.TicketScope {
	case scopeGlobal:
		return nil
	case scopeGroup, scopeRestricted:
		what := "the tickets of the agent's groups"
		if me.TicketScope == scopeRestricted {
			what = "the tickets assigned to the agent"
		}
		return &Error{Op: op, Err: ticketsync.ErrForbidden,
			Detail: fmt.Sprintf("agent %d sees only %s (ticket scope %d), so a sync would miss the others", *me.ID, what, me.TicketScope),
			Hint:   hintScope}
	}
	return &Error{Op: op, Err: ticketsync.ErrForbidden,
		Detail: fmt.Sprintf("agent %d has ticket scope %d, which this connector does not know", *me.ID, me.TicketScope), Hint: hintScope}
}

func isHTML(h http.Header, body []byte) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if mt == "text/html" || mt == "application/xhtml+xml" {
		return true
	}
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '<'
}

// Hints appended to errors a person can act on.
const (
	hintKey       = "check the API key (Profile icon → Profile Settings → View API Key)"
	hintSubdomain = "check the subdomain"
	hintScope     = "use the API key of an agent whose ticket scope is \"All tickets\" (Admin → Agents → Edit → Scope)"
	hintFreePlan  = "the Free plan has no API access: the account needs the Growth plan or above"
	hintForbidden = "the agent's role does not allow this: use the API key of an admin or an agent who sees every ticket"
	hintCursor    = "reset the connector's cursor (Syncer.ResetCursor) to sync again from Config.StartTime"
)

// Freshdesk's error codes the connector acts on.
const (
	codeInvalidCredentials = "invalid_credentials"
	codeRequireFeature     = "require_feature" // the plan lacks the API
	codeAccessDenied       = "access_denied"
)

// decodeError reads Freshdesk's error bodies for the HTTP stack:
// {"code": "invalid_credentials", "message": "..."} for authentication,
// permission and plan errors, and {"description": "Validation failed",
// "errors": [{"field", "message", "code"}]} for a refused request, whose
// message the stack composes itself.
func decodeError(status int, _ http.Header, body []byte) (code, message, hint string) {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Errors  []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", "", ""
	}
	code, message = e.Code, e.Message
	if code == "" && len(e.Errors) > 0 {
		code, message = e.Errors[0].Code, ""
	}
	switch code {
	case codeInvalidCredentials:
		hint = hintKey
	case codeRequireFeature:
		hint = hintFreePlan
	case codeAccessDenied:
		hint = hintForbidden
	}
	return code, message, hint
}

// classify wraps an error of the HTTP stack into an *Error of op, with a
// hint, and makes an HTML page where JSON was expected match
// ticketsync.ErrNotFound: the address is not a Freshdesk account.
func (c *Connector) classify(op string, err error) error {
	var api *ticketsync.APIError
	switch {
	case errors.Is(err, ticketsync.ErrUnauthorized):
		return wrap(op, err, hintKey)
	case errors.Is(err, ticketsync.ErrForbidden):
		if errors.As(err, &api) && api.Code == codeRequireFeature {
			return wrap(op, err, hintFreePlan)
		}
		return wrap(op, err, hintForbidden)
	case errors.Is(err, ticketsync.ErrNotFound):
		return wrap(op, err, hintSubdomain)
	}
	var re *httpx.RequestError
	if errors.As(err, &re) && strings.Contains(re.Err.Error(), "text/html") {
		return &Error{Op: op, Err: ticketsync.ErrNotFound, Detail: "the address answered with an HTML page, not the Freshdesk API", Hint: hintSubdomain}
	}
	return wrap(op, err, "")
}

// Error is an error of this package: what the connector was doing, what
// went wrong and, where a person can act on it, what to check. It wraps the
// cause, so that errors.Is(err, ticketsync.ErrUnauthorized) and
// errors.As(err, new(*ticketsync.APIError)) work. Its text never holds a
// credential:
//
//	freshdesk: test API key: 401 unauthorized: You have to be logged in to perform this action.: check the API key (...)
type Error struct {
	Op     string // "test API key", `fetch tickets after cursor "eyJ2…"`, ...
	Err    error  // the cause
	Detail string // what went wrong, when Err does not say it
	Hint   string // what to check, or ""
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("freshdesk: ")
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

// causeText is err's text without the prefix the HTTP stack writes, which
// Error.Op replaces.
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

func wrap(op string, err error, hint string) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Err: err, Hint: hint}
}
