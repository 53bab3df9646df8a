package intercomtest

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

// Defaults of Options.
const (
	// DefaultToken is the access token the fake accepts, with every
	// permission, unless Options.Token says otherwise.
	DefaultToken = "dG9rOmZha2UtaW50ZXJjb20tdG9rZW4tMDAwMA=="
	// DefaultClientSecret is the app's client secret, which signs webhook
	// notifications, unless Options.ClientSecret says otherwise.
	DefaultClientSecret = "fake-intercom-client-secret-0000"
	// DefaultAppID is the workspace's id_code.
	DefaultAppID = "abc123xy"
	// DefaultRegion is the region the workspace is hosted in.
	DefaultRegion = "US"
	// DefaultVersion is the API version answered to requests that send no
	// Intercom-Version header: the app's default version, set in the
	// Developer Hub, which is often older than the client expects.
	DefaultVersion = "2.11"
	// DefaultRateLimit is the per-app limit of private apps, in requests a
	// minute; Intercom enforces it in 10-second windows of a sixth each.
	DefaultRateLimit = 10000
	// DefaultRateWindow is the length of Intercom's rate-limit windows.
	DefaultRateWindow = 10 * time.Second
	// DefaultPartsLimit is the most parts GET /conversations/{id} and
	// GET /tickets/{id} return: the most recent ones.
	DefaultPartsLimit = 500
	// DefaultContactSearchLag is how long a new contact stays invisible to
	// the contact search: Intercom documents a delay of "a few minutes".
	DefaultContactSearchLag = 3 * time.Minute
)

// Permissions a token may hold, as the Developer Hub's Authentication page
// names them.
const (
	PermReadConversations = "read_conversations"
	PermReadTickets       = "read_tickets"
	PermReadUsers         = "read_users"
	PermReadAdmins        = "read_admins"
)

// AllPermissions lists every permission the fake checks.
var AllPermissions = []string{PermReadConversations, PermReadTickets, PermReadUsers, PermReadAdmins}

// Regions and their API hosts.
var regionHosts = map[string]string{"US": "api.intercom.io", "EU": "api.eu.intercom.io", "AU": "api.au.intercom.io"}

// Options configure a Server. The zero value, or nil, means the defaults.
type Options struct {
	// Token is the access token with every permission; DefaultToken when
	// empty. More tokens: AddToken.
	Token string
	// ClientSecret signs webhook notifications; DefaultClientSecret when
	// empty.
	ClientSecret string
	// AppID is the workspace's id_code; DefaultAppID when empty.
	AppID string
	// Region is where the workspace is hosted, "US", "EU" or "AU";
	// DefaultRegion when empty. Its tokens work only on that region's
	// host (Server.URL); the other hosts (RegionURL) answer 401.
	Region string
	// DefaultVersion is the version of requests without Intercom-Version;
	// DefaultVersion when empty.
	DefaultVersion string
	// Start is the fake clock's first reading; 2025-03-03T09:00:00Z when
	// zero.
	Start time.Time
	// RateLimit requests are allowed a minute, in windows of RateWindow
	// of a proportional share, on the fake's clock; DefaultRateLimit when
	// 0, no limit when negative.
	RateLimit  int
	RateWindow time.Duration
	// PartsLimit is the most parts a read returns; DefaultPartsLimit when 0.
	PartsLimit int
	// ContactSearchLag is how long, on the fake's clock, a new contact
	// stays invisible to POST /contacts/search (reads by id find it at
	// once); DefaultContactSearchLag when zero, none when negative.
	ContactSearchLag time.Duration
	// IndexLag is how long, on the fake's clock, a change takes to reach
	// the search index; zero means at once. SetIndexLag changes it.
	IndexLag time.Duration
	// Seed seeds the search index's order; the same seed gives the same
	// order.
	Seed uint64
}

// Server is a fake Intercom workspace. It embeds the workspace's regional
// host, whose URL to give a client as its base URL and whose clock (Now,
// Advance, Sleep), faults (InjectFault) and request log (Requests) are the
// fake's. Its methods are safe for concurrent use, including while
// requests are served.
type Server struct {
	*fakeapi.Server

	opts    Options
	servers map[string]*fakeapi.Server // by region, sharing the clock
	rate    *fakeapi.RateWindow

	mu               sync.Mutex
	rng              *rand.Rand
	tokens           map[string][]string // token to permissions
	admins           map[string]*Admin
	adminOrder       []string
	contacts         map[string]*Contact
	conversations    map[string]*Conversation
	tickets          map[string]*Ticket
	tags             map[string]string
	nextAdmin        int64
	nextContact      int64
	nextConversation int64
	nextTicket       int64
	nextTicketNumber int64
	nextSource       int64
	nextPart         int64
	notifications    []Notification
	nextNotification int64
	index            map[string]map[string]*indexEntry // by kind and id
	indexLag         time.Duration
}

// NewServer starts a fake workspace, closed when the test ends; nil opts
// means defaults.
func NewServer(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	s := New(opts)
	tb.Cleanup(s.Close)
	return s
}

// New starts a fake workspace for a program that is not a test; nil opts
// means defaults. Call Close when done.
func New(opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Token == "" {
		o.Token = DefaultToken
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if o.AppID == "" {
		o.AppID = DefaultAppID
	}
	o.Region = strings.ToUpper(o.Region)
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if _, ok := regionHosts[o.Region]; !ok {
		panic(fmt.Sprintf("intercomtest: Options.Region %q is not US, EU or AU", o.Region))
	}
	if o.DefaultVersion == "" {
		o.DefaultVersion = DefaultVersion
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	}
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.RateWindow <= 0 {
		o.RateWindow = DefaultRateWindow
	}
	if o.ContactSearchLag == 0 {
		o.ContactSearchLag = DefaultContactSearchLag
	}
	if o.PartsLimit <= 0 {
		o.PartsLimit = DefaultPartsLimit
	}
	s := &Server{
		opts:          o,
		rng:           rand.New(rand.NewPCG(o.Seed, 0x1c0ffee)),
		tokens:        map[string][]string{o.Token: AllPermissions},
		admins:        map[string]*Admin{},
		contacts:      map[string]*Contact{},
		conversations: map[string]*Conversation{},
		tickets:       map[string]*Ticket{},
		tags:          map[string]string{},
		servers:       map[string]*fakeapi.Server{},
		index:         map[string]map[string]*indexEntry{KindConversation: {}, KindTicket: {}},
		indexLag:      o.IndexLag,
	}
	perWindow := -1
	if o.RateLimit >= 0 {
		perWindow = max(1, int(int64(o.RateLimit)*int64(o.RateWindow)/int64(time.Minute)))
	}
	s.rate = fakeapi.NewRateWindow(perWindow, o.RateWindow, fakeapi.RateHeaders{
		Limit: "X-RateLimit-Limit", Remaining: "X-RateLimit-Remaining", Reset: "X-RateLimit-Reset", ResetStyle: fakeapi.ResetUnix})
	clock := fakeapi.NewClock(o.Start)
	for region := range regionHosts {
		s.servers[region] = fakeapi.New(s.handler(region), &fakeapi.Options{Clock: clock, ErrorBody: errorBody})
	}
	s.Server = s.servers[o.Region]
	return s
}

// Close shuts the fake's hosts down.
func (s *Server) Close() {
	if s.Server == nil {
		return
	}
	for _, ts := range s.servers {
		ts.Close()
	}
}

// RegionURL returns the base URL of region's host ("US", "EU", "AU"). Only
// the workspace's own region (URL) accepts its tokens.
func (s *Server) RegionURL(region string) string {
	ts := s.servers[strings.ToUpper(region)]
	if ts == nil {
		return ""
	}
	return ts.URL
}

// Token returns the access token with every permission.
func (s *Server) Token() string { return s.opts.Token }

// ClientSecret returns the app's client secret.
func (s *Server) ClientSecret() string { return s.opts.ClientSecret }

// AppID returns the workspace's id_code.
func (s *Server) AppID() string { return s.opts.AppID }

// Region returns the region the workspace is hosted in.
func (s *Server) Region() string { return s.opts.Region }

// AddToken adds an access token holding perms (some of AllPermissions).
func (s *Server) AddToken(token string, perms ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = slices.Clone(perms)
}

// nowLocked reads the clock; the clock has a lock of its own.
func (s *Server) nowLocked() time.Time { return s.Now() }

// handler serves the API of one regional host.
func (s *Server) handler(region string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /me", s.me)
	mux.HandleFunc("POST /conversations/search", s.searchConversations)
	mux.HandleFunc("GET /conversations/{id}", s.getConversation)
	mux.HandleFunc("POST /tickets/search", s.searchTickets)
	mux.HandleFunc("GET /tickets/{id}", s.getTicket)
	mux.HandleFunc("POST /contacts/search", s.searchContacts)
	mux.HandleFunc("GET /contacts/{id}", s.getContact)
	mux.HandleFunc("GET /admins", s.listAdmins)
	mux.HandleFunc("GET /admins/{id}", s.getAdmin)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "Resource Not Found")
	})
	return http.HandlerFunc(func(sw http.ResponseWriter, r *http.Request) {
		// The Date header is the fake's clock, as a real host's is its own.
		sw.Header().Set("Date", s.Now().UTC().Format(http.TimeFormat))
		if !s.rate.Guard(sw, s.Now(), errorBody(http.StatusTooManyRequests)) {
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		perms, known := s.tokens[token]
		s.mu.Unlock()
		if !ok || !known || region != s.opts.Region {
			writeError(sw, http.StatusUnauthorized, "unauthorized", "Access Token Invalid")
			return
		}
		v := r.Header.Get("Intercom-Version")
		if v == "" {
			v = s.opts.DefaultVersion
		}
		ver, ok := parseVersion(v)
		if !ok {
			writeError(sw, http.StatusBadRequest, "intercom_version_invalid", "The requested version could not be found")
			return
		}
		if need := permissionFor(r); need != "" && !slices.Contains(perms, need) {
			writeError(sw, http.StatusForbidden, "token_unauthorized", "Not authorized to access resource")
			return
		}
		r = r.WithContext(withVersion(r.Context(), ver))
		mux.ServeHTTP(sw, r)
	})
}

// permissionFor returns the permission r needs.
func permissionFor(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/conversations"):
		return PermReadConversations
	case strings.HasPrefix(p, "/tickets"):
		return PermReadTickets
	case strings.HasPrefix(p, "/contacts"):
		return PermReadUsers
	case strings.HasPrefix(p, "/admins"):
		return PermReadAdmins
	}
	return ""
}

// errorRequestID numbers error bodies.
var errorRequestID atomic.Int64

func errorList(status int, code, msg string) map[string]any {
	return map[string]any{
		"type":       "error.list",
		"request_id": fmt.Sprintf("%08x-0000-4000-8000-%012x", errorRequestID.Add(1), status),
		"errors":     []any{map[string]any{"code": code, "message": msg}},
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorList(status, code, msg))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.firstAdminLocked()
	var a Admin
	if ad := s.admins[id]; ad != nil {
		a = *ad
	} else {
		a = Admin{ID: "991267459", Name: "API Admin", Email: "api-admin@example.com"}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"type": "admin", "id": a.ID, "email": a.Email, "name": a.Name, "email_verified": true,
		"app": map[string]any{"type": "app", "id_code": s.opts.AppID, "name": "Fake workspace",
			"created_at": s.opts.Start.Add(-365 * 24 * time.Hour).Unix(), "secure": false,
			"identity_verification": false, "timezone": "Europe/Dublin", "region": s.opts.Region},
		"avatar":         map[string]any{"type": "avatar", "image_url": nil},
		"has_inbox_seat": true,
	})
}

// readSearch decodes a search body and its page parameters.
func readSearch(w http.ResponseWriter, r *http.Request, fields map[string]searchable) (*searchRequest, *pageToken, int, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "could not read the request body")
		return nil, nil, 0, false
	}
	var req searchRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "parameter_invalid", "the request body is not a search query")
		return nil, nil, 0, false
	}
	if err := req.Query.parse(fields, 1); err != nil {
		writeError(w, http.StatusBadRequest, "parameter_invalid", err.Error())
		return nil, nil, 0, false
	}
	perPage := DefaultPerPage
	var after *pageToken
	if p := req.Pagination; p != nil {
		if p.PerPage != nil {
			if *p.PerPage < 1 {
				writeError(w, http.StatusBadRequest, "parameter_invalid", "per_page must be positive")
				return nil, nil, 0, false
			}
			perPage = min(*p.PerPage, MaxPerPage)
		}
		if p.StartingAfter != nil && *p.StartingAfter != "" {
			t, ok := decodeToken(*p.StartingAfter)
			if !ok {
				writeError(w, http.StatusBadRequest, "parameter_invalid", "starting_after is invalid")
				return nil, nil, 0, false
			}
			after = &t
		}
	}
	return &req, after, perPage, true
}

func pagesObject(number, perPage, total int, next *pageToken) map[string]any {
	pages := map[string]any{"type": "pages", "page": number, "per_page": perPage, "total_pages": total}
	if next != nil {
		pages["next"] = map[string]any{"per_page": perPage, "starting_after": encodeToken(*next)}
	}
	return pages
}

func (s *Server) searchConversations(w http.ResponseWriter, r *http.Request) {
	req, after, perPage, ok := readSearch(w, r, conversationFields)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []ranked
	for _, rec := range s.searchableLocked(KindConversation) {
		if c := rec.(*Conversation); req.Query.match(conversationFields, c) {
			hits = append(hits, ranked{c.rank, c.ID, c})
		}
	}
	page, next, number, total := pageOf(hits, after, perPage, s.rng)
	list := make([]any, 0, len(page))
	for _, h := range page {
		list = append(list, s.renderConversationLocked(h.rec.(*Conversation), false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "conversation.list", "pages": pagesObject(number, perPage, total, next),
		"total_count": len(hits), "conversations": list})
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		writeError(w, http.StatusBadRequest, "parameter_invalid", "conversation_id must be an integer")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conversations[id]
	if c == nil || c.Deleted {
		writeError(w, http.StatusNotFound, "not_found", "Resource Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.renderConversationLocked(c, true))
}

func (s *Server) searchTickets(w http.ResponseWriter, r *http.Request) {
	req, after, perPage, ok := readSearch(w, r, ticketFields)
	if !ok {
		return
	}
	v := versionOf(r.Context())
	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []ranked
	for _, rec := range s.searchableLocked(KindTicket) {
		if t := rec.(*Ticket); req.Query.match(ticketFields, t) {
			hits = append(hits, ranked{t.rank, t.ID, t})
		}
	}
	page, next, number, total := pageOf(hits, after, perPage, s.rng)
	list := make([]any, 0, len(page))
	for _, h := range page {
		list = append(list, s.renderTicketLocked(h.rec.(*Ticket), v, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "ticket.list", "pages": pagesObject(number, perPage, total, next),
		"total_count": len(hits), "tickets": list})
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	v := versionOf(r.Context())
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[id]
	if t == nil || t.Deleted {
		writeError(w, http.StatusNotFound, "ticket_not_found", "Ticket not found")
		return
	}
	writeJSON(w, http.StatusOK, s.renderTicketLocked(t, v, true))
}

func (s *Server) searchContacts(w http.ResponseWriter, r *http.Request) {
	req, after, perPage, ok := readSearch(w, r, contactFields)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []ranked
	for _, c := range s.contacts {
		if s.Now().Sub(c.CreatedAt) < s.opts.ContactSearchLag {
			continue // not indexed yet
		}
		if req.Query.match(contactFields, c) {
			hits = append(hits, ranked{uint64(c.CreatedAt.UnixNano()), c.ID, c})
		}
	}
	page, next, number, total := pageOf(hits, after, perPage, s.rng)
	list := make([]any, 0, len(page))
	for _, h := range page {
		list = append(list, s.renderContactLocked(h.rec.(*Contact)))
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "list", "pages": pagesObject(number, perPage, total, next),
		"total_count": len(hits), "data": list})
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.contacts[r.PathValue("id")]
	if c == nil {
		writeError(w, http.StatusNotFound, "not_found", "User Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.renderContactLocked(c))
}

func (s *Server) listAdmins(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]any, 0, len(s.adminOrder))
	for _, id := range s.adminOrder {
		list = append(list, s.renderAdminLocked(s.admins[id]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "admin.list", "admins": list})
}

func (s *Server) getAdmin(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.admins[r.PathValue("id")]
	if a == nil {
		writeError(w, http.StatusNotFound, "admin_not_found", "Admin not found")
		return
	}
	writeJSON(w, http.StatusOK, s.renderAdminLocked(a))
}
