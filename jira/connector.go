package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
)

// Platform is the name stamped on every ticket as Ticket.Platform.
const Platform = "jira"

// Connector is one Jira Cloud site's service desk projects. It implements
// ticketsync.Poller, ticketsync.WebhookReceiver and ticketsync.TicketGetter.
// Its methods are safe for concurrent use.
type Connector struct {
	cfg    settings
	client *httpx.Client

	mu     sync.Mutex
	fields *customFields // discovered once per connector
}

// Interface checks.
var (
	_ ticketsync.Poller          = (*Connector)(nil)
	_ ticketsync.WebhookReceiver = (*Connector)(nil)
	_ ticketsync.TicketGetter    = (*Connector)(nil)
)

// New returns a Connector for cfg, or an error naming the Config field that
// is wrong and saying what a valid value looks like. It makes no request:
// call Test to check the credentials.
func New(cfg Config) (*Connector, error) {
	return newConnector(cfg, nil, nil)
}

// newConnector is New with the HTTP stack's clock replaced, for tests.
func newConnector(cfg Config, now func() time.Time, sleep func(context.Context, time.Duration) error) (*Connector, error) {
	s, err := validate(cfg)
	if err != nil {
		return nil, err
	}
	hc := httpx.Config{
		Platform:    Platform,
		BaseURL:     s.apiRoot,
		HTTPClient:  s.HTTPClient,
		Logger:      s.Logger,
		Now:         now,
		Sleep:       sleep,
		DecodeError: decodeError,
	}
	if s.RequestsPerMinute > 0 {
		hc.Limiter = rate.NewLimiter(rate.Limit(float64(s.RequestsPerMinute)/60), 1)
	}
	if s.TokenSource != nil {
		hc.TokenSource = s.TokenSource
	} else {
		hc.Username, hc.Password = s.Email, s.APIToken
	}
	client, err := httpx.New(hc)
	if err != nil {
		return nil, err // "jira: ..." already, without credentials
	}
	return &Connector{cfg: s, client: client}, nil
}

// Platform returns "jira".
func (c *Connector) Platform() string { return Platform }

// String describes the connector without its credentials.
func (c *Connector) String() string { return "jira.Connector{" + c.cfg.siteRoot + "}" }

// Format writes String for every verb, so that printing a Connector never
// shows a credential.
func (c *Connector) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

// Hints appended to errors that a person can act on.
const (
	hintCredentials = "check the email and API token (id.atlassian.com → Security → API tokens); tokens expire"
	hintSubdomain   = "check the subdomain"
	hintAccess      = "give the user access to the service desk projects (an agent role in each), or set Config.Projects"
)

// loginFailed reports whether Jira served a response as the anonymous user
// after the credentials failed: X-Seraph-LoginReason AUTHENTICATED_FAILED
// (a wrong or expired token) or AUTHENTICATION_DENIED (a CAPTCHA is due).
// Such answers can be 200 with empty results.
func loginFailed(h http.Header) bool {
	for _, v := range h.Values("X-Seraph-LoginReason") {
		for _, r := range strings.Split(v, ",") {
			switch strings.ToUpper(strings.TrimSpace(r)) {
			case "AUTHENTICATED_FAILED", "AUTHENTICATION_DENIED":
				return true
			}
		}
	}
	return false
}

// errAnonymous is an answer Jira gave as the anonymous user.
var errAnonymous = fmt.Errorf("jira answered as the anonymous user (X-Seraph-LoginReason: AUTHENTICATED_FAILED): %w", ticketsync.ErrUnauthorized)

// wrap names the operation err happened in. A *ticketsync.APIError gets
// Op, and a Hint when Jira's answer did not give one; other errors (the
// network, an anonymous answer, a cursor) are wrapped with the operation
// and the hint their kind calls for. Errors keep matching the sentinels.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var api *ticketsync.APIError
	if errors.As(err, &api) {
		if api.Op != "" {
			return err // wrapped already
		}
		e := *api
		e.Op = op
		if e.Hint == "" {
			e.Hint = hintFor(err)
		}
		return &e
	}
	if strings.HasPrefix(err.Error(), "jira: ") {
		return err
	}
	if h := hintFor(err); h != "" {
		return fmt.Errorf("jira: %s: %w; %s", op, err, h)
	}
	return fmt.Errorf("jira: %s: %w", op, err)
}

// hintFor returns what a person should check for err.
func hintFor(err error) string {
	switch {
	case errors.Is(err, ticketsync.ErrUnauthorized):
		return hintCredentials
	case errors.Is(err, ticketsync.ErrForbidden):
		return hintAccess
	case errors.Is(err, ticketsync.ErrNotFound):
		return hintSubdomain
	}
	return ""
}

// get sends a GET and checks that Jira did not answer as the anonymous
// user.
func (c *Connector) get(ctx context.Context, path string, q url.Values, out any) (http.Header, error) {
	h, err := c.client.GetJSON(ctx, path, q, out)
	if err == nil && loginFailed(h) {
		err = errAnonymous
	}
	return h, err
}

// post sends a POST of JSON and checks the answer as get does.
func (c *Connector) post(ctx context.Context, path string, in, out any) (http.Header, error) {
	h, err := c.client.PostJSON(ctx, path, in, out)
	if err == nil && loginFailed(h) {
		err = errAnonymous
	}
	return h, err
}

// myself reads the user the credentials belong to: who they are and the
// time zone Jira reads JQL dates in.
func (c *Connector) myself(ctx context.Context) (wireMyself, error) {
	var me wireMyself
	_, err := c.get(ctx, "/rest/api/3/myself", nil, &me)
	var re *httpx.RequestError
	switch {
	case err == nil && me.AccountID == "":
		err = errAnonymous
	case errors.As(err, &re) && strings.Contains(re.Err.Error(), "text/html"):
		// Not Jira: a site that does not exist answers with a page.
		err = fmt.Errorf("the address answered with an HTML page, not the Jira API: %w", ticketsync.ErrNotFound)
	}
	return me, err
}

// Test checks the credentials and the access a sync needs, with
// GET /rest/api/3/myself and the service desk list
// (GET /rest/servicedeskapi/servicedesk, 50 a page). It returns an error
// matching ticketsync.ErrUnauthorized (wrong or expired token, or an answer
// as the anonymous user), ticketsync.ErrNotFound (no such site: a 404 or an
// HTML page) or ticketsync.ErrForbidden (the user sees no service desk
// project, or not every one of Config.Projects, which it names).
func (c *Connector) Test(ctx context.Context) error {
	const op = "test credentials"
	if _, err := c.myself(ctx); err != nil {
		return wrap(op, err)
	}
	desks, err := c.serviceDesks(ctx)
	if err != nil {
		return wrap("list service desks", err)
	}
	if len(desks) == 0 {
		return wrap(op, fmt.Errorf("the user sees no service desk project: %w", ticketsync.ErrForbidden))
	}
	var missing []string
	for _, p := range c.cfg.projects {
		if !slices.Contains(desks, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("jira: %s: the user sees no service desk project with the key %s (it sees %s): %w; check Config.Projects, and give the user an agent role in each project",
			op, strings.Join(missing, ", "), strings.Join(desks, ", "), ticketsync.ErrForbidden)
	}
	return nil
}

// serviceDesks lists the keys of the service desk projects the user sees.
func (c *Connector) serviceDesks(ctx context.Context) ([]string, error) {
	var keys []string
	start := 0
	for range 100 {
		var page wireServiceDeskPage
		q := url.Values{"start": {strconv.Itoa(start)}, "limit": {"50"}}
		if _, err := c.get(ctx, "/rest/servicedeskapi/servicedesk", q, &page); err != nil {
			return nil, err
		}
		for _, v := range page.Values {
			if v.ProjectKey != "" && !slices.Contains(keys, v.ProjectKey) {
				keys = append(keys, v.ProjectKey)
			}
		}
		if page.IsLastPage || len(page.Values) == 0 {
			break
		}
		start += len(page.Values)
	}
	return keys, nil
}

// projects returns the project keys to sync: Config.Projects, else every
// service desk project the user sees.
func (c *Connector) projects(ctx context.Context) ([]string, error) {
	if len(c.cfg.projects) > 0 {
		return c.cfg.projects, nil
	}
	keys, err := c.serviceDesks(ctx)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("the user sees no service desk project: %w", ticketsync.ErrForbidden)
	}
	slices.Sort(keys)
	return keys, nil
}

// customFieldIDs discovers, once, the ids of JSM's request type and request
// participants fields on this site (GET /rest/api/3/field).
func (c *Connector) customFieldIDs(ctx context.Context) (customFields, error) {
	c.mu.Lock()
	if c.fields != nil {
		defer c.mu.Unlock()
		return *c.fields, nil
	}
	c.mu.Unlock()
	var all []wireField
	if _, err := c.get(ctx, "/rest/api/3/field", nil, &all); err != nil {
		return customFields{}, fmt.Errorf("list fields: %w", err)
	}
	var cf customFields
	for _, f := range all {
		switch f.Schema.Custom {
		case requestTypeSchema:
			cf.requestType = cmpOr(cf.requestType, f.ID)
		case participantsSchema:
			cf.participants = cmpOr(cf.participants, f.ID)
		}
	}
	c.mu.Lock()
	c.fields = &cf
	c.mu.Unlock()
	return cf, nil
}

// issueFields lists the fields every search and bulk fetch asks for: Jira's
// enhanced search returns only ids unless told.
func (cf customFields) issueFields() []string {
	f := []string{"summary", "description", "status", "priority", "reporter", "assignee", "labels",
		"created", "updated", "issuetype", "project", "comment"}
	if cf.requestType != "" {
		f = append(f, cf.requestType)
	}
	if cf.participants != "" {
		f = append(f, cf.participants)
	}
	return f
}

// utcMinute formats t for an error message.
func utcMinute(t time.Time) string { return t.UTC().Format("2006-01-02T15:04Z") }
