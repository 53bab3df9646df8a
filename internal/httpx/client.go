package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
	"golang.org/x/time/rate"
)

// Version is the ticketsync version sent in the User-Agent header.
const Version = "0.1.0"

// Defaults for the zero values of Config.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRetries   = 4
	DefaultRetryWaitMin = time.Second
	DefaultMaxRetryWait = 2 * time.Minute
	DefaultMaxBodyBytes = 32 << 20
)

// errorBodyBytes bounds how much of a non-2xx body is read for its message.
const errorBodyBytes = 64 << 10

// Config configures a Client. Platform and BaseURL are required; everything
// else has a default.
type Config struct {
	// Platform names the platform in errors and logs: "zendesk".
	Platform string
	// BaseURL is prefixed to request paths: "https://acme.zendesk.com/api/v2".
	// It must be http or https and must not hold credentials or a query.
	BaseURL string

	// Username and Password, when Username is set, authenticate with HTTP
	// Basic ("agent@example.com/token" and the API token for Zendesk).
	Username, Password string
	// TokenSource, when set, authenticates with a Bearer token through
	// oauth2.Transport; tokens are reused until they expire.
	TokenSource oauth2.TokenSource
	// Token is a static Bearer token, a shorthand for
	// TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: Token}).
	Token string
	// With none of the above the Client adds no credentials: HTTPClient is
	// expected to authenticate on its own.

	// HTTPClient, when set, is the base of the stack: its Transport (nil
	// meaning http.DefaultTransport), Timeout, CheckRedirect and Jar are
	// used. It is never modified.
	HTTPClient *http.Client
	// Limiter is the platform's published limit for this account; nil means
	// unlimited. It may be shared by several Clients of one account. It is
	// never modified.
	Limiter *rate.Limiter
	// Timeout bounds each attempt, reading the body included. Zero means
	// HTTPClient.Timeout when that is set, else DefaultTimeout.
	Timeout time.Duration
	// MaxRetries is how many times a request is retried after the first
	// attempt. Zero means DefaultMaxRetries; a negative value means none.
	MaxRetries int
	// RetryWaitMin is the first wait of the exponential backoff used when
	// the platform does not say how long to wait. Zero means
	// DefaultRetryWaitMin.
	RetryWaitMin time.Duration
	// MaxRetryWait caps every wait between attempts. A platform asking for
	// more is not retried: its *ticketsync.APIError carries RetryAfter.
	// Zero means DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// MaxBodyBytes bounds a response body; a larger one is an error. Zero
	// means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// UserAgent replaces the default "ticketsync/<Version>".
	UserAgent string
	// Header is sent with every request, unless the request sets the same
	// key ("Intercom-Version").
	Header http.Header
	// Logger receives retries and slowdowns at debug level; nil is silent.
	Logger *slog.Logger

	// DecodeError, when set, reads the platform's own error body of a
	// non-2xx answer: its error code ("MISSING_SCOPES"), its message, and a
	// hint for a person ("grant the app the tickets scope"). An empty
	// message keeps the one the Client found itself. What it returns goes
	// into the *ticketsync.APIError's Code, Message and Hint, with the
	// request's credentials scrubbed. body is at most 64 KiB and may be
	// HTML or empty.
	DecodeError func(status int, header http.Header, body []byte) (code, message, hint string)

	// Now and Sleep replace the clock, for tests. Sleep must return early
	// with ctx.Err() when ctx ends. Nil means the real clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client sends requests to one platform account. It is safe for concurrent
// use.
type Client struct {
	platform     string
	base         *url.URL
	hc           *http.Client
	limiter      *rate.Limiter
	timeout      time.Duration
	maxRetries   int
	retryWaitMin time.Duration
	maxRetryWait time.Duration
	maxBody      int64
	userAgent    string
	header       http.Header
	log          *slog.Logger
	now          func() time.Time
	sleep        func(context.Context, time.Duration) error
	secrets      []string // scrubbed from every error and log text
	pacer        pacer
	decodeError  func(int, http.Header, []byte) (string, string, string)
}

// New returns a Client for cfg, or an error saying which field is wrong.
func New(cfg Config) (*Client, error) {
	if cfg.Platform == "" {
		return nil, errors.New("httpx: Config.Platform is empty")
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Platform, err)
	}
	auths := 0
	for _, set := range []bool{cfg.Username != "", cfg.TokenSource != nil, cfg.Token != ""} {
		if set {
			auths++
		}
	}
	if auths > 1 {
		return nil, fmt.Errorf("%s: set only one of Basic credentials, TokenSource and Token", cfg.Platform)
	}
	if cfg.Username == "" && cfg.Password != "" {
		return nil, fmt.Errorf("%s: a password without a username", cfg.Platform)
	}

	c := &Client{
		platform:     cfg.Platform,
		base:         base,
		limiter:      cfg.Limiter,
		timeout:      cfg.Timeout,
		maxRetries:   cfg.MaxRetries,
		retryWaitMin: cfg.RetryWaitMin,
		maxRetryWait: cfg.MaxRetryWait,
		maxBody:      cfg.MaxBodyBytes,
		userAgent:    cfg.UserAgent,
		header:       cfg.Header.Clone(),
		log:          cfg.Logger,
		now:          cfg.Now,
		sleep:        cfg.Sleep,
		decodeError:  cfg.DecodeError,
	}
	if c.timeout <= 0 && cfg.HTTPClient != nil {
		c.timeout = cfg.HTTPClient.Timeout
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.retryWaitMin <= 0 {
		c.retryWaitMin = DefaultRetryWaitMin
	}
	if c.maxRetryWait <= 0 {
		c.maxRetryWait = DefaultMaxRetryWait
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	if c.userAgent == "" {
		c.userAgent = "ticketsync/" + Version
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleep
	}

	var baseRT http.RoundTripper = http.DefaultTransport
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		if cfg.HTTPClient.Transport != nil {
			baseRT = cfg.HTTPClient.Transport
		}
		hc.CheckRedirect = cfg.HTTPClient.CheckRedirect
		hc.Jar = cfg.HTTPClient.Jar
	}
	var auth http.RoundTripper
	switch {
	case cfg.Username != "":
		auth = &basicAuth{user: cfg.Username, pass: cfg.Password, base: baseRT}
		// Freshdesk's username is its API key.
		c.secrets = append(c.secrets, cfg.Password, cfg.Username)
	case cfg.Token != "":
		ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: cfg.Token, TokenType: "Bearer"})
		auth = &oauth2.Transport{Source: ts, Base: baseRT}
		c.secrets = append(c.secrets, cfg.Token)
	case cfg.TokenSource != nil:
		auth = &oauth2.Transport{Source: oauth2.ReuseTokenSource(nil, cfg.TokenSource), Base: baseRT}
	}
	// go-retryablehttp closes the client's idle connections after a failed
	// call; hiding CloseIdleConnections keeps it from doing that to a
	// transport the Client does not own (http.DefaultTransport, the
	// caller's).
	hc.Transport = roundTripOnly{baseRT}
	if auth != nil {
		hc.Transport = &sameHost{scheme: base.Scheme, host: base.Host, auth: auth, other: baseRT}
	}
	// Outermost, so that Hooks.Request sees each attempt as sent.
	hc.Transport = &observed{platform: c.platform, next: hc.Transport}
	hc.Timeout = c.timeout
	c.hc = hc
	return c, nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("base URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("base URL must be an absolute http or https URL such as https://acme.example.com")
	}
	if u.User != nil {
		return nil, fmt.Errorf("base URL %s must not hold credentials", redactURL(u))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("base URL %s must not have a query or fragment", redactURL(u))
	}
	return u, nil
}

// Platform returns Config.Platform.
func (c *Client) Platform() string { return c.platform }

// RequestOption adjusts one call.
type RequestOption func(*requestOptions)

type requestOptions struct {
	limiters []*rate.Limiter
	header   http.Header
}

// WithLimiter makes the call also wait on l before every attempt, besides
// Config.Limiter: an endpoint's own budget, such as Zendesk's 10 requests a
// minute for incremental exports or HubSpot's 5 a second for search. A nil l
// is ignored.
func WithLimiter(l *rate.Limiter) RequestOption {
	return func(o *requestOptions) {
		if l != nil {
			o.limiters = append(o.limiters, l)
		}
	}
}

// WithHeader sets a request header for the call.
func WithHeader(key, value string) RequestOption {
	return func(o *requestOptions) {
		if o.header == nil {
			o.header = http.Header{}
		}
		o.header.Set(key, value)
	}
}

// URL resolves ref against the base URL and adds query. A relative ref is
// appended to the base URL's path ("tickets.json" or "/tickets.json" under
// "https://acme.zendesk.com/api/v2"); a ref whose path already starts with
// the base path, or an absolute URL on the base URL's scheme and host, is
// used as it is, so that links returned by the platform can be followed. An
// absolute URL on another host is refused.
func (c *Client) URL(ref string, query url.Values) (*url.URL, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return nil, errors.New("invalid request path or URL")
	}
	var u *url.URL
	switch {
	case r.IsAbs() || r.Host != "":
		if r.Scheme != c.base.Scheme || r.Host != c.base.Host {
			return nil, fmt.Errorf("refusing a URL on %s://%s: not the base URL's host", r.Scheme, r.Host)
		}
		if r.User != nil {
			return nil, errors.New("refusing a URL that holds credentials")
		}
		u = r
	case r.Path != "" && strings.HasPrefix(r.Path, strings.TrimSuffix(c.base.Path, "/")+"/") && c.base.Path != "" && c.base.Path != "/":
		u = c.base.ResolveReference(&url.URL{Path: r.Path, RawPath: r.RawPath, RawQuery: r.RawQuery})
	default:
		u = c.base.JoinPath(r.Path)
		u.RawQuery = r.RawQuery
	}
	u.Fragment, u.RawFragment = "", ""
	if len(query) > 0 {
		q := u.Query()
		for k, vs := range query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

// NewRequest returns a request for ref (resolved as by URL) with body, for Do.
func (c *Client) NewRequest(ctx context.Context, method, ref string, query url.Values, body io.Reader) (*http.Request, error) {
	u, err := c.URL(ref, query)
	if err != nil {
		return nil, c.requestError(method, pathOf(ref), err)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, c.requestError(method, u.Path, err)
	}
	return req, nil
}

// GetJSON sends GET ref (resolved as by URL, with query added) and decodes
// the JSON answer into out, unless out is nil. It returns the response
// headers whenever the platform answered, also with an error.
func (c *Client) GetJSON(ctx context.Context, ref string, query url.Values, out any, opts ...RequestOption) (http.Header, error) {
	return c.sendJSON(ctx, http.MethodGet, ref, query, nil, out, opts)
}

// PostJSON sends in as a JSON body to ref and decodes the JSON answer into
// out, unless out is nil. It returns the response headers whenever the
// platform answered, also with an error. The SDK posts only searches, which
// are safe to retry.
func (c *Client) PostJSON(ctx context.Context, ref string, in, out any, opts ...RequestOption) (http.Header, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, c.requestError(http.MethodPost, pathOf(ref), fmt.Errorf("encode request body: %w", err))
	}
	return c.sendJSON(ctx, http.MethodPost, ref, nil, body, out, opts)
}

func (c *Client) sendJSON(ctx context.Context, method, ref string, query url.Values, body []byte, out any, opts []RequestOption) (http.Header, error) {
	u, err := c.URL(ref, query)
	if err != nil {
		return nil, c.requestError(method, pathOf(ref), err)
	}
	var rawBody any
	if body != nil {
		rawBody = body
	}
	rreq, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), rawBody)
	if err != nil {
		return nil, c.requestError(method, u.Path, err)
	}
	rreq.Header.Set("Accept", "application/json")
	if body != nil {
		rreq.Header.Set("Content-Type", "application/json")
	}
	resp, data, err := c.send(rreq, opts)
	if resp == nil {
		return nil, err
	}
	if err != nil {
		return resp.Header, err
	}
	if out != nil {
		if err := c.decode(method, u.Path, resp, data, out); err != nil {
			return resp.Header, err
		}
	}
	return resp.Header, nil
}

// Do sends req with the Client's credentials, limits, retries and timeout,
// for the cases GetJSON and PostJSON do not fit. A relative req.URL is
// resolved as by URL. The response body is read in full (at most
// Config.MaxBodyBytes) before Do returns, so a body cut short is retried,
// and the caller may read resp.Body without a deadline. For an answer other
// than 2xx Do returns both the response and a *ticketsync.APIError.
func (c *Client) Do(req *http.Request, opts ...RequestOption) (*http.Response, error) {
	req = req.Clone(req.Context())
	if !req.URL.IsAbs() {
		u, err := c.URL(req.URL.String(), nil)
		if err != nil {
			return nil, c.requestError(req.Method, req.URL.Path, err)
		}
		req.URL, req.Host = u, ""
	}
	rreq, err := retryablehttp.FromRequest(req)
	if err != nil {
		return nil, c.requestError(req.Method, req.URL.Path, fmt.Errorf("read request body: %w", err))
	}
	resp, data, err := c.send(rreq, opts)
	if resp != nil {
		resp.Body = io.NopCloser(bytes.NewReader(data))
	}
	return resp, err
}

// send runs one call: limits, attempts and retries, and reads the body. It
// returns the last response, if any, with its body read into data, and an
// *APIError for an answer other than 2xx.
func (c *Client) send(rreq *retryablehttp.Request, opts []RequestOption) (*http.Response, []byte, error) {
	var o requestOptions
	for _, opt := range opts {
		opt(&o)
	}
	req := rreq.Request
	for k, vs := range c.header {
		if _, ok := req.Header[k]; !ok {
			req.Header[k] = append([]string(nil), vs...)
		}
	}
	for k, vs := range o.header {
		req.Header[k] = vs
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.userAgent)
	}

	ctx := req.Context()
	cl := &call{c: c, ctx: ctx, method: req.Method, path: req.URL.Path, limiters: o.limiters}
	if err := c.gate(ctx, cl.path, o.limiters); err != nil {
		return nil, nil, c.requestError(cl.method, cl.path, err)
	}
	rc := &retryablehttp.Client{
		HTTPClient:   c.hc,
		RetryWaitMin: c.retryWaitMin,
		RetryWaitMax: c.maxRetryWait,
		RetryMax:     c.maxRetries,
		CheckRetry:   cl.checkRetry,
		Backoff:      cl.backoff,
		PrepareRetry: cl.prepareRetry,
		ErrorHandler: cl.errorHandler,
		// Logger stays nil: go-retryablehttp logs URLs with their query.
	}
	rreq.SetResponseHandler(cl.readBody)
	resp, err := rc.Do(rreq)
	if err != nil {
		if err = sanitize(err); ctx.Err() == nil && isTimeout(err) {
			err = fmt.Errorf("no complete answer within %s: %w", c.timeout, err)
		}
		return nil, nil, c.requestError(cl.method, cl.path, err)
	}
	data := cl.body
	if cl.bodyOf != resp {
		// Retries ran out on a 429 or 5xx, whose body go-retryablehttp
		// does not hand to the response handler.
		data, _ = io.ReadAll(io.LimitReader(resp.Body, errorBodyBytes))
		drainClose(resp.Body)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if d, ok := c.serverWait(resp); ok && resp.StatusCode == http.StatusTooManyRequests && d <= c.maxRetryWait {
			// Retries ran out on a 429: the next request of this Client,
			// a new run's included, still waits as the platform asked.
			c.pacer.hold(c.now().Add(d))
		}
		return resp, data, c.apiError(cl.method, cl.path, resp, data)
	}
	return resp, data, nil
}

// sameHost adds credentials only to requests for the base URL's scheme and
// host, so that a redirect to another host never carries them.
type sameHost struct {
	scheme, host string
	auth, other  http.RoundTripper
}

func (t *sameHost) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == t.scheme && req.URL.Host == t.host {
		return t.auth.RoundTrip(req)
	}
	return t.other.RoundTrip(req)
}

// roundTripOnly hides every method of a RoundTripper but RoundTrip.
type roundTripOnly struct{ http.RoundTripper }

// basicAuth adds HTTP Basic credentials.
type basicAuth struct {
	user, pass string
	base       http.RoundTripper
}

func (t *basicAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.SetBasicAuth(t.user, t.pass)
	return t.base.RoundTrip(r)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &t) && t.Timeout())
}

func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, errorBodyBytes))
	_ = body.Close()
}
