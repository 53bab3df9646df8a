package freshdesktest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
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
	// X-RateLimit-Reset in seconds, which Freshdesk does not send, so that
	// a client pacing itself by the headers learns the scaled window.
	RateWindow time.Duration
	// Start is the fake clock's first reading (fakeapi.DefaultStart when
	// zero). The clock moves only through SetNow, Advance and Sleep.
	Start time.Time
	// Missing makes the fake a subdomain no account holds: every path
	// answers with an HTML page, status 404.
	Missing bool
	// StrictSince makes updated_since exclusive: the ticket list leaves out
	// the tickets updated at that very second. Freshdesk documents neither
	// reading, and the fake is inclusive by default; a client meant to work
	// under both runs its tests under both.
	StrictSince bool
}

// Server is a fake Freshdesk account. It embeds the shared fake base, whose
// methods give its URL, clock (Now, SetNow, Advance, Sleep), faults
// (InjectFault, Fail, ClearFaults) and request log (Requests, RequestCount,
// ResetRequests). Its methods are safe for concurrent use, also while
// requests are served.
type Server struct {
	*fakeapi.Server
	Domain string
	APIKey string

	opts Options

	mu           sync.Mutex
	tickets      map[int64]*ticketRecord
	contacts     map[int64]*Contact
	agents       map[int64]*Agent
	statuses     []Status
	fields       []CustomField
	meID         int64
	keys         map[string]int64 // API key → agent id
	maxPage      int
	lastID       int64
	nextTicketID int64
	generated    int

	account, list *fakeapi.RateWindow
}

// NewServer starts a fake account, closed when the test ends; nil opts
// means defaults.
func NewServer(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	s := newServer(opts)
	s.Server = fakeapi.NewServer(tb, http.HandlerFunc(s.serve), &fakeapi.Options{Start: s.opts.Start, ErrorBody: errorBody})
	return s
}

// New starts a fake account; the caller calls Close.
func New(opts *Options) *Server {
	s := newServer(opts)
	s.Server = fakeapi.New(http.HandlerFunc(s.serve), &fakeapi.Options{Start: s.opts.Start, ErrorBody: errorBody})
	return s
}

func newServer(opts *Options) *Server {
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
		keys:         map[string]int64{},
		maxPage:      MaxPage,
		lastID:       43000000000,
		nextTicketID: 1,
	}
	headers := fakeapi.RateHeaders{Limit: "X-RateLimit-Total", Remaining: "X-RateLimit-Remaining", RetryAfter: true}
	if o.RateWindow != time.Minute {
		headers.Reset = "X-RateLimit-Reset"
	}
	s.account = fakeapi.NewRateWindow(o.RateLimit, o.RateWindow, headers)
	s.list = fakeapi.NewRateWindow(o.ListRateLimit, o.RateWindow, fakeapi.RateHeaders{RetryAfter: true})
	me := s.createAgentLocked(Agent{Name: "Clark Kent", Email: "clark@example.com", TicketScope: 1})
	s.meID = me.ID
	s.keys[o.APIKey] = me.ID
	return s
}

// AddAPIKey adds an agent with its own API key, such as one whose ticket
// scope is limited, and returns the agent.
func (s *Server) AddAPIKey(key string, a Agent) Agent {
	s.mu.Lock()
	defer s.mu.Unlock()
	a = s.createAgentLocked(a)
	s.keys[key] = a.ID
	return a
}

// CapPages lowers the last page of one ticket list query that the fake
// serves (MaxPage by default); later pages get Freshdesk's 400.
func (s *Server) CapPages(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxPage = n
}

// MeID is the id of the agent the API key belongs to.
func (s *Server) MeID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meID
}

func (s *Server) now() time.Time { return s.Server.Now() }

// Basic returns the Authorization header value for the API key: HTTP Basic
// with the key as user and "X" as password.
func (s *Server) Basic() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(s.APIKey+":X"))
}

// Credits returns what a logged request cost against the account budget:
// one credit, two more for each embed on the ticket list and one more for
// each on a single ticket; nothing when it was refused.
func Credits(r Request) int {
	if r.Status < 200 || r.Status > 299 {
		return 0
	}
	rt, _ := parseRoute(r.Path)
	return 1 + includeCredits(rt, r.Query)
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
	routeAgents
)

func parseRoute(path string) (route, int64) {
	switch path {
	case "/api/v2/agents/me":
		return routeMe, 0
	case "/api/v2/tickets":
		return routeTickets, 0
	case "/api/v2/ticket_fields":
		return routeTicketFields, 0
	case "/api/v2/agents":
		return routeAgents, 0
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
	resp := s.handle(r)
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// authenticate checks HTTP Basic with an API key as user and returns its
// agent; the password is not looked at, as Freshdesk documents "X" or
// anything.
func (s *Server) authenticate(r *http.Request) (int64, bool) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, agent := range s.keys {
		if fakeapi.CheckBasic(r, key, pass) && user == key {
			return agent, true
		}
	}
	return 0, false
}

// handle decides the answer to one request; injected faults were answered
// before it.
func (s *Server) handle(r *http.Request) response {
	if s.opts.Missing {
		h := http.Header{}
		h.Set("Content-Type", "text/html; charset=utf-8")
		return response{status: http.StatusNotFound, header: h, body: []byte(missingPage)}
	}
	rt, id := parseRoute(r.URL.Path)
	if rt == routeNone || r.Method != http.MethodGet {
		return codeError(http.StatusNotFound, "invalid_path", "The requested path is not found")
	}
	agent, ok := s.authenticate(r)
	if !ok {
		return codeError(http.StatusUnauthorized, "invalid_credentials", "You have to be logged in to perform this action.")
	}
	if s.opts.Plan == PlanFree {
		return codeError(http.StatusForbidden, "require_feature",
			"The Public API feature(s) is/are not supported in your plan. Please upgrade your account to use it.")
	}
	now := s.now()
	q := r.URL.Query()
	credits := 1 + includeCredits(rt, q)
	h := http.Header{}
	tooMany := func() response {
		resp := codeError(http.StatusTooManyRequests, "rate_limit_exceeded", "You have exceeded the limit of requests per minute")
		for k, v := range h {
			resp.header[k] = v
		}
		return resp
	}
	if !s.allow(s.account, h, now, credits) {
		return tooMany()
	}
	h.Set("X-RateLimit-Used-CurrentRequest", strconv.Itoa(credits))
	if rt == routeTickets && !s.allow(s.list, h, now, 1) {
		// The account's credits are spent; the sub-limit refused.
		return tooMany()
	}

	s.mu.Lock()
	var resp response
	switch rt {
	case routeMe:
		resp = jsonResponse(http.StatusOK, s.agentJSON(s.agents[agent]))
	case routeTickets:
		resp = s.listTicketsLocked(r, agent, now)
	case routeTicket:
		resp = s.showTicketLocked(agent, id, q)
	case routeConversations:
		resp = s.conversationsLocked(r, agent, id)
	case routeTicketFields:
		resp = jsonResponse(http.StatusOK, s.ticketFieldsJSON())
	case routeAgents:
		resp = s.agentsLocked(r)
	}
	s.mu.Unlock()
	for k, v := range h {
		resp.header[k] = v
	}
	resp.header.Set("X-Freshdesk-API-Version", "latest=v2; requested=v2")
	return resp
}

// allow takes n units of w at now and writes its headers into h; on a
// refusal Retry-After too.
func (s *Server) allow(w *fakeapi.RateWindow, h http.Header, now time.Time, n int) bool {
	ok, remaining, reset := w.TakeN(now, n)
	if w.Limit < 0 {
		return true
	}
	hd := w.Headers
	if hd.Limit != "" {
		h.Set(hd.Limit, strconv.Itoa(w.Limit))
	}
	if hd.Remaining != "" {
		h.Set(hd.Remaining, strconv.Itoa(remaining))
	}
	if hd.Reset != "" {
		h.Set(hd.Reset, strconv.Itoa(fakeapi.RetryAfterSeconds(reset.Sub(now))))
	}
	if !ok {
		h.Set("Retry-After", strconv.Itoa(fakeapi.RetryAfterSeconds(reset.Sub(now))))
	}
	return ok
}

// includeCredits is what the embeds of a request cost: 2 credits each on
// the ticket list, 1 each on a single ticket. Unknown names cost nothing;
// the handler refuses them.
func includeCredits(rt route, q url.Values) int {
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
