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
	"strings"
	"sync"
	"time"

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
	now   func() time.Time // the clock ReadAt is told

	mu     sync.Mutex
	fields *ticketFields               // nil until first loaded
	agents map[int64]ticketsync.Person // nil until first loaded
}

// Interface checks.
var (
	_ ticketsync.Poller          = (*Connector)(nil)
	_ ticketsync.WebhookReceiver = (*Connector)(nil)
	_ ticketsync.TicketGetter    = (*Connector)(nil)
)

// New returns a Connector for cfg, or an error naming the Config field that
// is wrong. It makes no request: call Test to check the API key.
func New(cfg Config) (*Connector, error) { return newConnector(cfg, clock{}) }

// clock replaces the HTTP client's clock in tests (export_test.go); the zero
// value is the real one.
type clock struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

func newConnector(cfg Config, clk clock) (*Connector, error) {
	s, err := validate(cfg)
	if err != nil {
		return nil, err
	}
	credits := perMinute(s.RequestsPerMinute, 0.9)
	now := clk.now
	if now == nil {
		now = time.Now
	}
	client, err := httpx.New(httpx.Config{
		Platform:    Platform,
		BaseURL:     s.apiBase,
		HTTPClient:  s.HTTPClient,
		Logger:      s.Logger,
		Limiter:     credits,
		Username:    s.APIKey,
		Password:    "X",
		DecodeError: decodeError,
		Now:         clk.now,
		Sleep:       clk.sleep,
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
		now:     now,
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
// (no such account: a 404 or an HTML page), or a network error. HTTP
// errors are *ticketsync.APIError values whose Hint says what to check.
func (c *Connector) Test(ctx context.Context) error {
	const op = "test API key"
	req, err := c.client.NewRequest(ctx, http.MethodGet, "agents/me", nil, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		var api *ticketsync.APIError
		if errors.As(err, &api) && api.StatusCode == http.StatusNotFound && api.Hint == "" {
			api.Hint = hintDomain
		}
		return c.classify(op, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var me wireMe
	if isHTML(resp.Header, data) || json.Unmarshal(data, &me) != nil || me.ID == nil {
		return notFreshdesk(op)
	}
	switch me.TicketScope {
	case scopeGlobal:
		return nil
	case scopeGroup, scopeRestricted:
		what := "the tickets of the agent's groups"
		if me.TicketScope == scopeRestricted {
			what = "the tickets assigned to the agent"
		}
		return fmt.Errorf("freshdesk: %s: agent %d sees only %s (ticket scope %d), so a sync would miss the others: %w; %s",
			op, *me.ID, what, me.TicketScope, ticketsync.ErrForbidden, hintScope)
	}
	return fmt.Errorf("freshdesk: %s: agent %d has ticket scope %d, which this connector does not know: %w; %s",
		op, *me.ID, me.TicketScope, ticketsync.ErrForbidden, hintScope)
}

// notFreshdesk is the error of an address that answered with something
// other than the Freshdesk API, such as the HTML page of an unknown domain.
func notFreshdesk(op string) error {
	return fmt.Errorf("freshdesk: %s: the address answered with a page that is not the Freshdesk API: %w; %s",
		op, ticketsync.ErrNotFound, hintDomain)
}

func isHTML(h http.Header, body []byte) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if mt == "text/html" || mt == "application/xhtml+xml" {
		return true
	}
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '<'
}

// Hints: what a person should check.
const (
	hintKey       = "check the API key (Profile icon → Profile Settings → View API Key)"
	hintDomain    = "check the domain (\"acme\" for https://acme.freshdesk.com)"
	hintScope     = "use the API key of an agent whose ticket scope is \"All tickets\" (Admin → Agents → Edit → Scope)"
	hintFreePlan  = "the Free plan has no API access: the account needs the Growth plan or above"
	hintForbidden = "the agent's role does not allow this: use the API key of an admin or an agent who sees every ticket"
	hintCursor    = "reset the connector's cursor to sync again from Config.StartTime"
)

// classify names op in an HTTP error, and makes an HTML page where JSON was
// expected match ticketsync.ErrNotFound: the address is not a Freshdesk
// account.
func (c *Connector) classify(op string, err error) error {
	var re *httpx.RequestError
	var api *ticketsync.APIError
	switch {
	case errors.As(err, &api):
		return httpx.WithOp(err, op)
	case errors.As(err, &re) && strings.Contains(re.Err.Error(), "text/html"):
		return notFreshdesk(op)
	}
	return err
}
