package freshdesktest

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of Options.
const (
	DefaultDomain = "acme"
	DefaultAPIKey = "freshdesktest-api-key-0123"
)

// Plans name the rate limits of Freshdesk's plans (Options.Plan).
const (
	PlanFree       = "free"
	PlanGrowth     = "growth"
	PlanPro        = "pro"
	PlanEnterprise = "enterprise"
)

// planLimits are the plans' per-minute limits: the account-wide budget and
// the Tickets List sub-limit.
var planLimits = map[string][2]int{
	PlanFree:       {0, 0},
	PlanGrowth:     {200, 20},
	PlanPro:        {400, 100},
	PlanEnterprise: {700, 200},
}

// MaxPage is the last page of the ticket list that Freshdesk serves for one
// query; page 301 is refused with 400.
const MaxPage = 300

// Options configure a fake account. The zero value is an account on the
// Growth plan whose API key belongs to an agent who sees every ticket.
type Options struct {
	Domain string // the subdomain: "acme" for acme.freshdesk.com
	APIKey string // the agent's API key
	// Plan is PlanGrowth (default), PlanPro, PlanEnterprise or PlanFree.
	// On the Free plan the API answers every request with 403.
	Plan string
	// RateLimit overrides the plan's account-wide budget per RateWindow, in
	// credits; negative means unlimited.
	RateLimit int
	// ListRateLimit overrides the plan's Tickets List sub-limit per
	// RateWindow, in requests; negative means unlimited.
	ListRateLimit int
	// RateWindow is the length of a rate-limit window on the fake's clock;
	// zero means a minute. With a shorter window every answer also carries
	// ratelimit-limit, ratelimit-remaining and ratelimit-reset, which
	// Freshdesk does not send, so that a client pacing itself by the
	// headers learns the scaled window.
	RateWindow time.Duration
	// Now is the clock; nil means time.Now. SetNow and Advance move it.
	Now func() time.Time
}

// Server is a fake Freshdesk account behind an httptest.Server. Its methods
// are safe for concurrent use, also while requests are served.
type Server struct {
	// URL is the base URL, http://127.0.0.1:port; the API is under
	// URL + "/api/v2/".
	URL    string
	Domain string
	APIKey string

	ts   *httptest.Server
	opts Options

	mu       sync.Mutex
	clockSet bool
	fixedNow time.Time
	offset   time.Duration

	tickets      map[int64]*ticketRecord
	contacts     map[int64]*Contact
	agents       map[int64]*Agent
	statuses     []Status
	fields       []CustomField
	meID         int64
	lastID       int64
	nextTicketID int64
	generated    int

	account, list window
	faults        []*Fault
	log           []Request
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	At     time.Time // on the fake's clock
	Status int       // the status answered
	// Credits is what the request cost against the account budget.
	Credits int
}

// New starts a fake account; nil opts means defaults. Call Close when done.
func New(opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Domain == "" {
		o.Domain = DefaultDomain
	}
	if o.APIKey == "" {
		o.APIKey = DefaultAPIKey
	}
	if o.Plan == "" {
		o.Plan = PlanGrowth
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	limits := planLimits[o.Plan]
	if o.RateLimit == 0 {
		o.RateLimit = limits[0]
	}
	if o.ListRateLimit == 0 {
		o.ListRateLimit = limits[1]
	}
	s := &Server{
		Domain:       o.Domain,
		APIKey:       o.APIKey,
		opts:         o,
		tickets:      map[int64]*ticketRecord{},
		contacts:     map[int64]*Contact{},
		agents:       map[int64]*Agent{},
		statuses:     defaultStatuses(),
		lastID:       43000000000,
		nextTicketID: 1,
	}
	s.account.limit, s.list.limit = o.RateLimit, o.ListRateLimit
	me := s.createAgentLocked(Agent{Name: "Clark Kent", Email: "clark@example.com", TicketScope: 1})
	s.meID = me.ID
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.ts.URL
	return s
}

// NewServer is New for tests: the server is closed by tb.Cleanup.
func NewServer(tb testing.TB, opts *Options) *Server {
	s := New(opts)
	if tb != nil {
		tb.Helper()
		tb.Cleanup(s.Close)
	}
	return s
}

// Close shuts the server down.
func (s *Server) Close() {
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// MeID is the id of the agent the API key belongs to.
func (s *Server) MeID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meID
}

// Now returns the fake's time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// SetNow stops the clock at t.
func (s *Server) SetNow(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clockSet, s.fixedNow = true, t
}

// Advance moves the clock by d.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clockSet {
		s.fixedNow = s.fixedNow.Add(d)
	} else {
		s.offset += d
	}
}

func (s *Server) now() time.Time {
	if s.clockSet {
		return s.fixedNow
	}
	return s.opts.Now().Add(s.offset)
}

// Basic returns the Authorization header value for the API key: HTTP Basic
// with the key as user and "X" as password.
func (s *Server) Basic() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(s.APIKey+":X"))
}

// Requests returns the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// RequestCount counts the requests whose path is path ("" counts all; a
// path ending in "/" counts every path under it).
func (s *Server) RequestCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if path == "" || r.Path == path || strings.HasSuffix(path, "/") && strings.HasPrefix(r.Path, path) {
			n++
		}
	}
	return n
}

// StatusCount counts the answers with status code.
func (s *Server) StatusCount(code int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if r.Status == code {
			n++
		}
	}
	return n
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// window is a fixed-window budget on the fake's clock.
type window struct {
	limit int // < 0 unlimited
	start time.Time
	used  int
}

// take spends n units at now. It reports whether they were there, what is
// left and how long until the window resets.
func (w *window) take(now time.Time, length time.Duration, n int) (ok bool, remaining int, reset time.Duration) {
	if w.limit < 0 {
		return true, math.MaxInt, 0
	}
	if now.Before(w.start) || !now.Before(w.start.Add(length)) {
		w.start, w.used = now.Truncate(length), 0
	}
	reset = w.start.Add(length).Sub(now)
	if w.used+n > w.limit {
		return false, w.limit - w.used, reset
	}
	w.used += n
	return true, w.limit - w.used, reset
}

func retryAfterSeconds(d time.Duration) int {
	return max(int(math.Ceil(d.Seconds())), 1)
}

// response is what a handler produces.
type response struct {
	status int
	header http.Header
	body   []byte
}

func jsonResponse(status int, v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the fake's own values always marshal
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	return response{status: status, header: h, body: b}
}

// codeError is Freshdesk's body for authentication, permission and
// not-found errors.
func codeError(status int, code, message string) response {
	return jsonResponse(status, map[string]string{"code": code, "message": message})
}

// fieldError is one entry of a validation error.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

// validationError is Freshdesk's 400 body.
func validationError(errs ...fieldError) response {
	return jsonResponse(http.StatusBadRequest, map[string]any{"description": "Validation failed", "errors": errs})
}

func notFound() response {
	// Freshdesk answers an unknown record with 404 and an empty body.
	return response{status: http.StatusNotFound, header: http.Header{}}
}

// route names the endpoint of a path.
type route int

const (
	routeNone route = iota
	routeMe
	routeTickets
	routeTicket
	routeConversations
	routeTicketFields
)

func parseRoute(path string) (route, int64) {
	switch path {
	case "/api/v2/agents/me":
		return routeMe, 0
	case "/api/v2/tickets":
		return routeTickets, 0
	case "/api/v2/ticket_fields":
		return routeTicketFields, 0
	}
	rest, ok := strings.CutPrefix(path, "/api/v2/tickets/")
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
	case "conversations":
		return routeConversations, id
	}
	return routeNone, 0
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	fault := s.takeFaultLocked(r)
	s.mu.Unlock()
	if fault != nil && fault.Delay > 0 {
		t := time.NewTimer(fault.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}

	s.mu.Lock()
	entry := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), At: s.now()}
	resp, credits := s.handleLocked(r, fault)
	entry.Status, entry.Credits = resp.status, credits
	s.log = append(s.log, entry)
	s.mu.Unlock()

	for k, v := range resp.header {
		w.Header()[k] = v
	}
	body := resp.body
	if fault != nil && fault.Truncate && len(body) > 1 {
		// Promise the whole body, send half of it.
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(resp.status)
		_, _ = w.Write(body[:len(body)/2])
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(body)
}

// authenticate checks HTTP Basic with the API key as user; the password is
// not looked at, as Freshdesk documents "X" or anything.
func (s *Server) authenticate(r *http.Request) bool {
	user, _, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(user), []byte(s.APIKey)) == 1
}

// handleLocked decides the answer to one request and what it cost.
func (s *Server) handleLocked(r *http.Request, fault *Fault) (response, int) {
	now := s.now()
	if fault != nil && (fault.Status != 0 || fault.HTMLBody) {
		return fault.response(), 0
	}
	rt, id := parseRoute(r.URL.Path)
	if rt == routeNone || r.Method != http.MethodGet {
		return codeError(http.StatusNotFound, "invalid_path", "The requested path is not found"), 0
	}
	if !s.authenticate(r) {
		resp := codeError(http.StatusUnauthorized, "invalid_credentials", "You have to be logged in to perform this action.")
		return resp, 0
	}
	if s.opts.Plan == PlanFree {
		return codeError(http.StatusForbidden, "require_feature",
			"The Public API feature(s) is/are not supported in your plan. Please upgrade your account to use it."), 0
	}

	q := r.URL.Query()
	credits := 1 + s.includeCredits(rt, q)
	okAccount, remaining, reset := s.account.take(now, s.opts.RateWindow, credits)
	rateHeaders := func(h http.Header, used int) {
		if s.account.limit < 0 {
			return
		}
		h.Set("X-RateLimit-Total", strconv.Itoa(s.account.limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("X-RateLimit-Used-CurrentRequest", strconv.Itoa(used))
		if s.opts.RateWindow != time.Minute {
			h.Set("RateLimit-Limit", strconv.Itoa(s.account.limit))
			h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
			h.Set("RateLimit-Reset", strconv.Itoa(retryAfterSeconds(reset)))
		}
	}
	tooMany := func(reset time.Duration) response {
		resp := codeError(http.StatusTooManyRequests, "rate_limit_exceeded", "You have exceeded the limit of requests per minute")
		resp.header.Set("Retry-After", strconv.Itoa(retryAfterSeconds(reset)))
		return resp
	}
	if !okAccount {
		resp := tooMany(reset)
		rateHeaders(resp.header, 0)
		return resp, 0
	}
	if rt == routeTickets {
		if okList, _, listReset := s.list.take(now, s.opts.RateWindow, 1); !okList {
			// The account's credits were spent; the sub-limit refused.
			resp := tooMany(listReset)
			rateHeaders(resp.header, credits)
			return resp, credits
		}
	}

	var resp response
	switch rt {
	case routeMe:
		resp = jsonResponse(http.StatusOK, s.agentJSON(s.agents[s.meID]))
	case routeTickets:
		resp = s.listTicketsLocked(q, now)
	case routeTicket:
		resp = s.showTicketLocked(id, q)
	case routeConversations:
		resp = s.conversationsLocked(id, q)
	case routeTicketFields:
		resp = jsonResponse(http.StatusOK, s.ticketFieldsJSON())
	}
	resp.header.Set("X-Freshdesk-API-Version", "latest=v2; requested=v2")
	rateHeaders(resp.header, credits)
	return resp, credits
}

// includeCredits is what the embeds of a request cost: 2 credits each on
// the ticket list, 1 each on a single ticket. Unknown names cost nothing;
// the handler refuses them.
func (s *Server) includeCredits(rt route, q url.Values) int {
	names := includes(q)
	switch rt {
	case routeTickets:
		return 2 * len(names)
	case routeTicket:
		return len(names)
	}
	return 0
}

func includes(q url.Values) []string {
	var out []string
	for _, v := range q["include"] {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				out = append(out, name)
			}
		}
	}
	return out
}

// apiURL is how the fake writes its own links: on its own address.
func (s *Server) apiURL(path string, q url.Values) string {
	u := s.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}
