package hubspottest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "time/tzdata" // account time zones on machines without a zone database

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

// Defaults of Options.
const (
	// DefaultToken is the private-app token the fake accepts, with every
	// scope, unless Options.Token says otherwise.
	DefaultToken = "pat-na1-11111111-2222-3333-4444-555555555555"
	// DefaultClientSecret is the app's client secret that signs webhook
	// deliveries unless Options.ClientSecret says otherwise.
	DefaultClientSecret = "fake-client-secret-0000"
	// DefaultPortalID is the account (portal) id of the fake.
	DefaultPortalID = 12345678
	// DefaultAppID is the app id stamped on webhook events.
	DefaultAppID = 987654
	// DefaultRateLimit and DefaultRateWindow are HubSpot's burst limit for
	// private apps on the Free and Starter tiers: 100 requests per rolling
	// 10 seconds.
	DefaultRateLimit  = 100
	DefaultRateWindow = 10 * time.Second
	// DefaultSearchRateLimit and DefaultSearchRateWindow are the search
	// endpoints' own limit: 5 requests per second per account.
	DefaultSearchRateLimit  = 5
	DefaultSearchRateWindow = time.Second
	// DefaultDailyLimit is the Free and Starter daily limit.
	DefaultDailyLimit = 250000
	// DefaultAssociationPageSize is how many associated ids the v4 batch
	// read returns per object before paging.
	DefaultAssociationPageSize = 500
	// SearchResultCap is the number of results one search query can page
	// through; asking for a page that reaches beyond it is answered 400.
	SearchResultCap = 10000
	// DefaultTimeZone is the account's time zone unless Options.TimeZone
	// says otherwise.
	DefaultTimeZone = "America/New_York"
)

// Scopes the fake knows. A token made by AddToken holds some of them; the
// default token holds all.
const (
	ScopeTickets      = "tickets"
	ScopeContactsRead = "crm.objects.contacts.read"
	ScopeOwnersRead   = "crm.objects.owners.read"
	ScopeEmailsRead   = "sales-email-read"
	// ScopeConversationsRead reads the conversations inbox: threads and
	// their messages.
	ScopeConversationsRead = "conversations.read"
)

// AllScopes lists every scope the fake checks.
var AllScopes = []string{ScopeTickets, ScopeContactsRead, ScopeOwnersRead, ScopeEmailsRead, ScopeConversationsRead}

// Options configure a Server. The zero value, or nil, means the defaults.
type Options struct {
	// Token is the accepted private-app token with every scope;
	// DefaultToken when empty. More tokens: AddToken.
	Token string
	// PortalID is the account id; DefaultPortalID when 0.
	PortalID int64
	// ClientSecret signs webhook deliveries; DefaultClientSecret when empty.
	ClientSecret string
	// Start is the fake clock's first reading; 2024-03-01T09:00:00Z when
	// zero. The clock stamps every change and runs the rate windows; it
	// moves only with Advance, SetNow and Sleep.
	Start time.Time
	// IndexLag is how long, on the fake's clock, a change takes to show in
	// search; zero means at once. IndexLagMax, when greater, makes each
	// write's lag different: a pseudo-random duration between IndexLag and
	// IndexLagMax, the same for the same sequence of writes. SetIndexLag
	// sets the lag of the writes that follow.
	IndexLag    time.Duration
	IndexLagMax time.Duration
	// EngagementsKeepModifiedDate makes logging an email or note on a
	// ticket leave the ticket's hs_lastmodifieddate as it was, and
	// ArchiveKeepsModifiedDate does the same for a restore from the recycle
	// bin, archiving included. HubSpot's documentation does not say
	// whether either moves it;
	// by default the fake moves it for both, and a connector should work
	// either way.
	EngagementsKeepModifiedDate bool
	ArchiveKeepsModifiedDate    bool
	// TimeZone is the account's time zone (an IANA name), in which the
	// daily limit resets at midnight; "America/New_York" when empty.
	TimeZone string
	// RateLimit requests are allowed per RateWindow; DefaultRateLimit and
	// DefaultRateWindow when 0; no limit when RateLimit is negative.
	RateLimit  int
	RateWindow time.Duration
	// SearchRateLimit search requests are allowed per SearchRateWindow;
	// defaults 5 per second; no limit when negative.
	SearchRateLimit  int
	SearchRateWindow time.Duration
	// DailyLimit requests are allowed per day (midnight to midnight in
	// TimeZone, on the fake's clock); DefaultDailyLimit when 0; no limit
	// when negative.
	DailyLimit int
	// AssociationPageSize bounds the associated ids returned per object by
	// the v4 batch read; DefaultAssociationPageSize when 0.
	AssociationPageSize int
	// EpochMillisDates makes the fake write date properties (createdate,
	// hs_lastmodifieddate, hs_timestamp, ...) as epoch-millisecond strings,
	// as some portals' custom date properties are, instead of ISO-8601.
	EpochMillisDates bool
}

// Server is a running fake. Its methods are safe for concurrent use, also
// while requests are being served. It embeds the shared fake server, whose
// methods it has: URL, Client, Now, SetNow, Advance, Sleep, InjectFault,
// Fail, ClearFaults, Requests, RequestCount, ResetRequests and Close.
type Server struct {
	*fakeapi.Server

	opts Options

	mu       sync.Mutex
	nextID   map[string]int64
	objects  map[string]map[int64]*object // by type, then id
	assoc    map[string]map[int64][]int64 // "tickets/contacts" -> ticket id -> ids
	owners   map[string]*Owner
	pipes    []Pipeline
	tokens   map[string][]string
	events   []WebhookEvent
	eventSeq int64
	loc      *time.Location
	lagNext  *time.Duration  // SetIndexLag's lag for later writes
	writes   int64           // ticket writes, which seed per-write lags
	alias    map[int64]int64 // merged ticket id -> the id it was merged into
	threads  map[int64]*thread
	// resultCap is how many results one search query may page through.
	resultCap int

	window []time.Time // accepted requests in the rolling window
	search []time.Time // accepted search requests in the search window
	day    string
	daily  int
}

// NewServer starts a fake HubSpot on a loopback port, closed when the test
// ends. A nil opts means the defaults.
func NewServer(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	s := New(opts)
	tb.Cleanup(s.Close)
	return s
}

// New starts a fake HubSpot for a program or an Example, which closes it;
// tests use NewServer.
func New(opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Token == "" {
		o.Token = DefaultToken
	}
	if o.PortalID == 0 {
		o.PortalID = DefaultPortalID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.RateWindow <= 0 {
		o.RateWindow = DefaultRateWindow
	}
	if o.SearchRateLimit == 0 {
		o.SearchRateLimit = DefaultSearchRateLimit
	}
	if o.SearchRateWindow <= 0 {
		o.SearchRateWindow = DefaultSearchRateWindow
	}
	if o.DailyLimit == 0 {
		o.DailyLimit = DefaultDailyLimit
	}
	if o.AssociationPageSize <= 0 {
		o.AssociationPageSize = DefaultAssociationPageSize
	}
	if o.TimeZone == "" {
		o.TimeZone = DefaultTimeZone
	}
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		panic(fmt.Sprintf("hubspottest: Options.TimeZone: %v", err))
	}
	s := &Server{
		opts:      o,
		nextID:    map[string]int64{typeTickets: 5001, typeContacts: 101, typeEmails: 70001, typeNotes: 70001},
		objects:   map[string]map[int64]*object{},
		assoc:     map[string]map[int64][]int64{},
		owners:    map[string]*Owner{},
		pipes:     DefaultPipelines(),
		tokens:    map[string][]string{o.Token: slices.Clone(AllScopes)},
		loc:       loc,
		alias:     map[int64]int64{},
		threads:   map[int64]*thread{},
		resultCap: SearchResultCap,
	}
	for _, t := range []string{typeTickets, typeContacts, typeEmails, typeNotes} {
		s.objects[t] = map[int64]*object{}
	}
	s.Server = fakeapi.New(s.handler(), &fakeapi.Options{Start: o.Start, ErrorBody: errorBody})
	return s
}

// PortalID returns the fake account's id.
func (s *Server) PortalID() int64 { return s.opts.PortalID }

// ClientSecret returns the secret that signs the fake's webhook deliveries.
func (s *Server) ClientSecret() string { return s.opts.ClientSecret }

// AddToken makes token valid with the given scopes (none: it can call only
// the account details endpoint). Adding a known token replaces its scopes.
func (s *Server) AddToken(token string, scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = slices.Clone(scopes)
}

// RevokeToken makes token invalid: requests with it are answered 401.
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

const (
	typeTickets  = "tickets"
	typeContacts = "contacts"
	typeEmails   = "emails"
	typeNotes    = "notes"
)

const isoMillis = "2006-01-02T15:04:05.000Z"

// handler is the fake's HTTP entry point: faults, counting, auth, rate
// limits and scopes, then the endpoint.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /account-info/v3/details", s.accountDetails)
	mux.HandleFunc("POST /crm/v3/objects/{type}/search", s.searchObjects)
	mux.HandleFunc("GET /crm/v3/objects/{type}", s.listObjects)
	mux.HandleFunc("GET /crm/v3/objects/{type}/{id}", s.readObject)
	mux.HandleFunc("POST /crm/v3/objects/{type}/batch/read", s.batchRead)
	mux.HandleFunc("POST /crm/v4/associations/{from}/{to}/batch/read", s.batchAssociations)
	mux.HandleFunc("GET /crm/v3/pipelines/{type}", s.listPipelines)
	mux.HandleFunc("GET /crm/v3/owners", s.listOwners)
	mux.HandleFunc("GET /crm/v3/owners/{id}", s.readOwner)
	mux.HandleFunc("GET /conversations/v3/conversations/threads", s.listThreads)
	mux.HandleFunc("GET /conversations/v3/conversations/threads/{id}/messages", s.listMessages)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		scopes, known := s.tokens[token]
		if !ok || !known {
			s.mu.Unlock()
			msg := "Authentication credentials not found. This API supports OAuth 2.0 authentication."
			if ok {
				msg = "The access token provided is invalid or has expired."
			}
			writeError(w, http.StatusUnauthorized, msg, "INVALID_AUTHENTICATION", nil)
			return
		}
		isSearch := strings.HasSuffix(r.URL.Path, "/search")
		policy := s.allow(isSearch)
		if !isSearch {
			s.rateHeaders(w.Header())
		}
		s.mu.Unlock()
		if policy != "" {
			writeRateLimited(w, policy)
			return
		}
		if need := requiredScopes(r); len(need) > 0 && !hasAny(scopes, need) {
			writeMissingScopes(w, need)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// requiredScopes returns the scopes of which a request needs one.
func requiredScopes(r *http.Request) []string {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/account-info/"):
		return nil
	case strings.HasPrefix(path, "/crm/v3/owners"):
		return []string{ScopeOwnersRead}
	case strings.HasPrefix(path, "/crm/v3/pipelines/"):
		return []string{ScopeTickets}
	case strings.HasPrefix(path, "/crm/v4/associations/"):
		return []string{ScopeTickets}
	case strings.HasPrefix(path, "/conversations/"):
		return []string{ScopeConversationsRead}
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	typ := ""
	if len(parts) >= 4 && parts[0] == "crm" && parts[2] == "objects" {
		typ = objectType(parts[3])
	}
	switch typ {
	case typeContacts:
		return []string{ScopeContactsRead}
	case typeEmails:
		return []string{ScopeContactsRead, ScopeEmailsRead}
	case typeNotes:
		return []string{ScopeContactsRead}
	}
	return []string{ScopeTickets}
}

func hasAny(have, need []string) bool {
	for _, n := range need {
		if slices.Contains(have, n) {
			return true
		}
	}
	return false
}

// objectType normalizes an object type in a path: a name, singular or
// plural, or an object type id.
func objectType(t string) string {
	switch strings.ToLower(t) {
	case "tickets", "ticket", "0-5":
		return typeTickets
	case "contacts", "contact", "0-1":
		return typeContacts
	case "emails", "email", "0-49":
		return typeEmails
	case "notes", "note", "0-46":
		return typeNotes
	}
	return ""
}
