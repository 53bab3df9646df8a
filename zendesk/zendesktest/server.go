package zendesktest

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"github.com/ticketsync/ticketsync/internal/fakeapi"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of Options.
const (
	DefaultSubdomain = "acme"
	DefaultEmail     = "admin@example.com"
	DefaultToken     = "zendesktest-api-token"
	// DefaultRateLimit is the Support Team plan's account-wide limit,
	// in requests per minute.
	DefaultRateLimit = 200
	// DefaultExportRateLimit is the documented budget of the incremental
	// export endpoints, in requests per minute.
	DefaultExportRateLimit = 10
	// HoldBack is how long the incremental exports hold a change back: a
	// change made within the minute before a request is left out of it.
	HoldBack = time.Minute
)

// Options configure a fake account. The zero value is a realistic account on
// the Team plan whose API token belongs to an admin.
type Options struct {
	Subdomain string // shown in url fields; default DefaultSubdomain
	Email     string // the token user's email; default DefaultEmail
	Token     string // API token; default DefaultToken
	// Password, when set, is also accepted as Basic "email:password", as on
	// an account with password access turned on.
	Password string
	// OAuthToken, when set, is accepted as "Authorization: Bearer <token>"
	// and authenticates as the token user.
	OAuthToken string
	// Role of the token user: "admin" (default), "agent" or "end-user".
	// Only admins may read the incremental exports; others get 403.
	Role string
	// Start is the fake clock's first reading; the real time when zero.
	// The clock stands still until SetNow, Advance or Sleep moves it.
	Start time.Time
	// LargeIDs starts ticket ids above 2^32 so that 32-bit truncation in a
	// client shows. User, comment and event ids are always large, as
	// Zendesk's are.
	LargeIDs bool
	// RateLimit is the account-wide limit per RateWindow. Zero means
	// DefaultRateLimit; negative means unlimited.
	RateLimit int
	// ExportRateLimit is the limit per RateWindow shared by the incremental
	// export endpoints. Zero means DefaultExportRateLimit; negative means
	// unlimited.
	ExportRateLimit int
	// RateWindow is the length of a rate-limit window, measured on the fake's
	// clock. Zero means one minute; a shorter window lets a test or a
	// benchmark run against a scaled-down limit in real time. With a window
	// other than a minute, every answer carries the ratelimit-* headers (the
	// real API sends them on list endpoints only), so that a client pacing
	// itself by the headers learns the scaled window.
	RateWindow time.Duration
	// EventTimeoutAbove, when positive, makes a ticket_events request
	// asking for a page of more than this many events (per_page, 1000 when
	// absent) answer 504 Gateway Time-out, as large event pages do on busy
	// accounts.
	EventTimeoutAbove int
	// WebhookID is sent as X-Zendesk-Webhook-Id by SignedWebhook.
	WebhookID string
	// AccountID is the account_id of event payloads and the
	// X-Zendesk-Account-Id header.
	AccountID int64
}

// Server is a fake Zendesk Support account behind an httptest.Server. Its
// methods are safe for concurrent use, including while requests are served.
//
// The embedded *fakeapi.Server gives it what every platform fake has: URL
// (the base URL, like http://127.0.0.1:port, to give a client as its
// BaseURL; the API lives under URL + "/api/v2/"), Client, Close, the clock
// (Now, SetNow, Advance, and Sleep for the client under test), the faults
// (InjectFault, Fail, ClearFaults) and the request log (Requests,
// RequestCount, ResetRequests).
type Server struct {
	*fakeapi.Server
	// Subdomain, Email and Token are the account's subdomain and the admin
	// credentials: Basic auth with user Email+"/token" and password Token.
	Subdomain string
	Email     string
	Token     string
	// OAuthToken is the accepted Bearer token, if Options set one.
	OAuthToken string

	opts Options

	mu sync.Mutex

	tickets       map[int64]*ticketRecord
	users         map[int64]*User
	audits        []audit
	agents        []int64
	adminID       int64
	nextTicketID  int64
	lastID        int64
	generated     int
	lastRequester int64
	deliveries    int64

	plan, export *fakeapi.RateWindow
}

// Request is one request the fake received, as its request log keeps it.
type Request = fakeapi.Request

// New starts a fake account; nil opts means defaults. Call Close when done.
func New(opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Subdomain == "" {
		o.Subdomain = DefaultSubdomain
	}
	if o.Email == "" {
		o.Email = DefaultEmail
	}
	if o.Token == "" {
		o.Token = DefaultToken
	}
	if o.Role == "" {
		o.Role = "admin"
	}
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.ExportRateLimit == 0 {
		o.ExportRateLimit = DefaultExportRateLimit
	}
	if o.WebhookID == "" {
		o.WebhookID = "01HZX3ZQ8J4M6V0ZK2TE5N9W7B"
	}
	if o.AccountID == 0 {
		o.AccountID = 22129848
	}
	s := &Server{
		Subdomain:  o.Subdomain,
		Email:      o.Email,
		Token:      o.Token,
		OAuthToken: o.OAuthToken,
		opts:       o,
		tickets:    map[int64]*ticketRecord{},
		users:      map[int64]*User{},
		lastID:     360000000000,
		nextTicketID: func() int64 {
			if o.LargeIDs {
				return 1<<32 + 1
			}
			return 1
		}(),
	}
	s.plan = fakeapi.NewRateWindow(o.RateLimit, o.RateWindow, fakeapi.RateHeaders{})
	s.export = fakeapi.NewRateWindow(o.ExportRateLimit, o.RateWindow, fakeapi.RateHeaders{})
	s.Server = fakeapi.New(http.HandlerFunc(s.serve), &fakeapi.Options{Start: o.Start, ErrorBody: errorBody})
	admin := s.createUserLocked(User{Name: "Account Admin", Email: o.Email, Role: o.Role,
		CreatedAt: s.Now().Add(-2 * 365 * 24 * time.Hour)})
	s.adminID = admin.ID
	return s
}

// NewServer is New for tests: when tb is not nil the server is closed by
// tb.Cleanup.
func NewServer(tb testing.TB, opts *Options) *Server {
	s := New(opts)
	if tb != nil {
		tb.Helper()
		tb.Cleanup(s.Close)
	}
	return s
}

// AdminID is the id of the token user.
func (s *Server) AdminID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.adminID
}

// SetRole changes the token user's role, e.g. to "agent" to see the
// incremental exports answer 403.
func (s *Server) SetRole(role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[s.adminID].Role = role
}

// Basic returns the Authorization header value for the account's API token.
func (s *Server) Basic() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(s.Email+"/token:"+s.Token))
}

// principal is whoever a request authenticated as.
type principal struct {
	user *User // nil for anonymous
	how  string
}

func (s *Server) authenticate(r *http.Request) (principal, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return principal{}, false
	}
	scheme, cred, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return principal{how: "invalid"}, false
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return principal{how: "invalid"}, false
		}
		if email, isToken := strings.CutSuffix(user, "/token"); isToken {
			// The account's API token authenticates as whichever user the
			// user part names, as Zendesk's tokens do.
			if !equal(pass, s.Token) {
				return principal{how: "invalid"}, false
			}
			if u := s.userByEmail(email); u != nil {
				return principal{user: u, how: "basic"}, true
			}
			return principal{how: "invalid"}, false
		}
		if s.opts.Password != "" && strings.EqualFold(user, s.Email) && equal(pass, s.opts.Password) {
			return principal{user: s.users[s.adminID], how: "password"}, true
		}
	case "bearer":
		if s.OAuthToken != "" && equal(strings.TrimSpace(cred), s.OAuthToken) {
			return principal{user: s.users[s.adminID], how: "bearer"}, true
		}
	}
	return principal{how: "invalid"}, false
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (s *Server) userByEmail(email string) *User {
	for _, u := range s.users {
		if strings.EqualFold(u.Email, email) {
			return u
		}
	}
	return nil
}

// apiError is Zendesk's usual error body.
type apiError struct {
	Error       string `json:"error"`
	Description string `json:"description,omitempty"`
}

// response is what a handler produces; serve writes it after the fault and
// rate-limit decisions.
type response struct {
	status int
	header http.Header
	body   []byte
}

func jsonResponse(status int, v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the fake's own types always marshal
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	return response{status: status, header: h, body: b}
}

func errorResponse(status int, code, description string) response {
	return jsonResponse(status, apiError{Error: code, Description: description})
}

func notFound() response { return errorResponse(http.StatusNotFound, "RecordNotFound", "Not found") }

// route names the endpoint a path belongs to.
type route int

const (
	routeNone route = iota
	routeMe
	routeTicketExport
	routeEventExport
	routeShowMany
	routeUsersShowMany
	routeTicket
	routeComments
)

func parseRoute(path string) (route, int64) {
	p := strings.TrimSuffix(path, ".json")
	switch p {
	case "/api/v2/users/me":
		return routeMe, 0
	case "/api/v2/incremental/tickets/cursor":
		return routeTicketExport, 0
	case "/api/v2/incremental/ticket_events":
		return routeEventExport, 0
	case "/api/v2/tickets/show_many":
		return routeShowMany, 0
	case "/api/v2/users/show_many":
		return routeUsersShowMany, 0
	}
	rest, ok := strings.CutPrefix(p, "/api/v2/tickets/")
	if !ok {
		return routeNone, 0
	}
	idText, sub, _ := strings.Cut(rest, "/")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return routeNone, 0
	}
	switch sub {
	case "":
		return routeTicket, id
	case "comments":
		return routeComments, id
	}
	return routeNone, 0
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	resp, _ := s.handleLocked(r)
	s.mu.Unlock()
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// handleLocked decides the answer to one request.
func (s *Server) handleLocked(r *http.Request) (response, string) {
	now := s.Now()
	rt, id := parseRoute(r.URL.Path)
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		// Not the API: Zendesk's web front answers an address that is no
		// account with its "help center no longer exists" page.
		h := http.Header{}
		h.Set("Content-Type", "text/html; charset=utf-8")
		return response{status: http.StatusNotFound, header: h, body: []byte(htmlErrorPage)}, ""
	}
	if rt == routeNone || r.Method != http.MethodGet && r.Method != http.MethodHead {
		return errorResponse(http.StatusNotFound, "InvalidEndpoint", "Not found"), ""
	}
	p, ok := s.authenticate(r)
	if !ok {
		if p.how == "" && rt == routeMe {
			return jsonResponse(http.StatusOK, map[string]any{"user": anonymousUser()}), ""
		}
		resp := jsonResponse(http.StatusUnauthorized, map[string]string{"error": "Couldn't authenticate you"})
		resp.header.Set("WWW-Authenticate", `Basic realm="Web Password"`)
		return resp, p.how
	}

	okPlan, remaining, resetAt := s.plan.Take(now)
	reset := resetAt.Sub(now)
	rateHeaders := func(h http.Header, list bool) {
		if s.plan.Limit < 0 {
			return
		}
		h.Set("X-Rate-Limit", strconv.Itoa(s.plan.Limit))
		h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
		// Clients that see only X-Rate-Limit-Remaining assume Zendesk's
		// one-minute window; a scaled window says when it resets on every
		// answer, or such clients would wait a real minute.
		if list || s.opts.RateWindow != time.Minute {
			h.Set("ratelimit-limit", strconv.Itoa(s.plan.Limit))
			h.Set("ratelimit-remaining", strconv.Itoa(remaining))
			h.Set("ratelimit-reset", strconv.Itoa(fakeapi.RetryAfterSeconds(reset)))
		}
	}
	if !okPlan {
		resp := errorResponse(http.StatusTooManyRequests, "APIRateLimitExceeded", "Number of allowed API requests per minute exceeded")
		resp.header.Set("Retry-After", strconv.Itoa(fakeapi.RetryAfterSeconds(reset)))
		rateHeaders(resp.header, false)
		return resp, p.how
	}

	var resp response
	switch rt {
	case routeMe:
		resp = jsonResponse(http.StatusOK, map[string]any{"user": s.userJSON(p.user)})
	case routeTicketExport, routeEventExport:
		if p.user.Role != "admin" {
			resp = errorResponse(http.StatusForbidden, "Forbidden", "You do not have access to this page. Please contact the account owner of this help desk for further help.")
			break
		}
		okExport, _, exportResetAt := s.export.Take(now)
		exportReset := exportResetAt.Sub(now)
		if !okExport {
			resp = errorResponse(http.StatusTooManyRequests, "APIRateLimitExceeded", "Number of allowed incremental export API requests per minute exceeded")
			resp.header.Set("Retry-After", strconv.Itoa(fakeapi.RetryAfterSeconds(exportReset)))
			break
		}
		if rt == routeTicketExport {
			resp = s.ticketExportLocked(r.URL.Query(), now)
		} else {
			resp = s.eventExportLocked(r.URL.Query(), now)
		}
	case routeShowMany:
		resp = s.showManyLocked(r.URL.Query())
		rateHeaders(resp.header, true)
		return resp, p.how
	case routeUsersShowMany:
		resp = s.showManyUsersLocked(r.URL.Query())
		rateHeaders(resp.header, true)
		return resp, p.how
	case routeTicket:
		resp = s.showTicketLocked(id)
	case routeComments:
		resp = s.commentsLocked(id, r.URL.Query())
		rateHeaders(resp.header, true)
		return resp, p.how
	}
	rateHeaders(resp.header, false)
	return resp, p.how
}

// apiURL is how the fake writes its own URLs into bodies: on its own
// address, so that a client following after_url or next_page stays on it.
func (s *Server) apiURL(path string, q url.Values) string {
	u := s.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func anonymousUser() map[string]any {
	return map[string]any{
		"id": nil, "url": nil, "name": "Anonymous user", "email": "invalid@example.com",
		"created_at": nil, "updated_at": nil, "time_zone": "UTC", "iana_time_zone": "Etc/UTC",
		"phone": nil, "photo": nil, "locale_id": 1, "locale": "en-US", "organization_id": nil,
		"role": "end-user", "verified": false, "active": true, "authenticity_token": "",
	}
}

func (s *Server) userJSON(u *User) map[string]any {
	return map[string]any{
		"id":              u.ID,
		"url":             s.apiURL("/api/v2/users/"+strconv.FormatInt(u.ID, 10)+".json", nil),
		"name":            u.Name,
		"email":           u.Email,
		"role":            u.Role,
		"active":          true,
		"verified":        true,
		"time_zone":       u.TimeZone,
		"locale":          "en-US",
		"organization_id": nil,
		"created_at":      u.CreatedAt.UTC().Format(time.RFC3339),
		"updated_at":      u.UpdatedAt.UTC().Format(time.RFC3339),
	}
}
