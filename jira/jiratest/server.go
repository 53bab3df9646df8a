package jiratest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

// Defaults of Options.
const (
	DefaultEmail     = "agent@acme.example"
	DefaultToken     = "ATATT3xFfGF0-fake-api-token-0123456789"
	DefaultAccountID = "5b10a2844c20165700ede21g"
	DefaultTimeZone  = "Australia/Sydney"
	DefaultCloudID   = "11111111-2222-3333-4444-555555555555"
	// DefaultRequestTypeField and DefaultParticipantsField are the ids of
	// JSM's "Request Type" and "Request participants" custom fields; every
	// site has its own.
	DefaultRequestTypeField  = "customfield_10010"
	DefaultParticipantsField = "customfield_10026"
	// DefaultSearchMaxResults is the most issues a search page holds when
	// fields other than id and key are requested; IDSearchMaxResults when
	// only id or key are.
	DefaultSearchMaxResults = 100
	IDSearchMaxResults      = 5000
	// DefaultSearchComments is how many comments the comment field of a
	// search or bulk fetch result holds; the rest come from the comment
	// endpoint.
	DefaultSearchComments = 20
	// CommentPageMax is the most comments GET .../comment returns a page.
	CommentPageMax = 100
	// BulkFetchMax is the most ids POST /rest/api/3/issue/bulkfetch takes.
	BulkFetchMax = 100
	// PageTokenLifetime is how long a search's nextPageToken stays valid.
	PageTokenLifetime = 7 * 24 * time.Hour
)

// Options configure a Server. The zero value, or nil, means the defaults.
type Options struct {
	// Email and Token are the accepted Basic credentials; DefaultEmail and
	// DefaultToken when empty.
	Email, Token string
	// OAuthToken, when set, is an accepted OAuth 2.0 Bearer token for
	// requests under /ex/jira/{CloudID}.
	OAuthToken string
	// CloudID is the site's cloud id; DefaultCloudID when empty.
	CloudID string
	// TimeZone is the user's profile time zone, in which JQL date literals
	// are read and datetimes written; DefaultTimeZone when empty.
	TimeZone string
	// Start is the fake clock's first reading; 2026-03-02T09:00:00Z when
	// zero.
	Start time.Time
	// IndexLag is how long, on the fake's clock, a change takes to show in
	// search; zero means at once. SetIndexLag changes it later.
	IndexLag time.Duration
	// SearchComments is how many comments search and bulk fetch embed;
	// DefaultSearchComments when zero.
	SearchComments int
	// AmbiguousEarlier makes a JQL date literal that names two instants
	// (clocks set back) read as the earlier one; the default is the later
	// one, the reading that loses changes for a client that writes the
	// literal naively.
	AmbiguousEarlier bool
	// RateLimit requests are allowed per RateWindow per user; no limit
	// when zero or negative. RateWindow defaults to a minute.
	RateLimit  int
	RateWindow time.Duration
}

// Server is a running fake Jira Cloud site with Jira Service Management.
// It embeds the shared fake base: URL, Client, Close, the clock (Now,
// SetNow, Advance, Sleep), faults (InjectFault, Fail, ClearFaults) and the
// request log (Requests, RequestCount, ResetRequests). Its methods are safe
// for concurrent use, also while requests are served.
type Server struct {
	*fakeapi.Server

	opts Options
	rate *fakeapi.RateWindow

	mu        sync.Mutex
	lag       time.Duration
	zone      *time.Location
	zoneName  string
	me        User
	users     map[string]*User
	projects  []*Project
	issues    map[int64]*issue
	deleted   map[int64]*Issue
	nextIssue int64
	nextComm  int64
	nextKey   map[string]int
	revoked   bool
	agents    []*agent  // agents[0] is the user of Options.Email and Options.Token
	early     int       // requests before a 429's wait was over
	holdTil   time.Time // when the last 429's wait is over
}

// New starts a fake Jira site on a loopback port, holding one service desk
// project "SUP" and one software project "DEV". Close it when done.
func New(opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Email == "" {
		o.Email = DefaultEmail
	}
	if o.Token == "" {
		o.Token = DefaultToken
	}
	if o.CloudID == "" {
		o.CloudID = DefaultCloudID
	}
	if o.TimeZone == "" {
		o.TimeZone = DefaultTimeZone
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	}
	if o.SearchComments == 0 {
		o.SearchComments = DefaultSearchComments
	}
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	if o.RateLimit <= 0 {
		o.RateLimit = -1
	}
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		panic(fmt.Sprintf("jiratest: time zone %q: %v", o.TimeZone, err))
	}
	s := &Server{
		opts:      o,
		lag:       o.IndexLag,
		zone:      loc,
		zoneName:  o.TimeZone,
		users:     map[string]*User{},
		issues:    map[int64]*issue{},
		deleted:   map[int64]*Issue{},
		nextIssue: 10000,
		nextComm:  10000,
		nextKey:   map[string]int{},
	}
	s.me = User{AccountID: DefaultAccountID, DisplayName: "Agnes Agent", Email: o.Email, TimeZone: o.TimeZone}
	s.users[s.me.AccountID] = &s.me
	s.agents = []*agent{{user: &s.me, email: o.Email, token: o.Token}}
	s.projects = []*Project{
		{ID: "10000", Key: "SUP", Name: "Support", ServiceDesk: true, ServiceDeskID: "1"},
		{ID: "10001", Key: "DEV", Name: "Development"},
	}
	s.rate = fakeapi.NewRateWindow(o.RateLimit, o.RateWindow, fakeapi.RateHeaders{
		Limit: "X-RateLimit-Limit", Remaining: "X-RateLimit-Remaining", Reset: "X-RateLimit-Reset",
		ResetStyle: fakeapi.ResetISO, RetryAfter: true, OnRefusalOnly: true})
	s.Server = fakeapi.New(http.HandlerFunc(s.serve), &fakeapi.Options{Start: o.Start, ErrorBody: errorBody})
	return s
}

// NewServer starts a fake as New does and closes it when tb ends.
func NewServer(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	s := New(opts)
	tb.Cleanup(s.Close)
	return s
}

// principal is who a request is served as.
type principal struct {
	agent  *agent
	anon   bool // served as the anonymous user
	failed bool // credentials were sent and failed: X-Seraph-LoginReason
}

// agent is a user with API credentials and the projects it may browse.
type agent struct {
	user    *User
	email   string
	token   string
	visible map[string]bool // nil: every project
}

// authenticate reads Basic (email:token) or, under /ex/jira/{cloudId},
// Bearer credentials. Wrong credentials are not refused here: Jira serves
// the request as the anonymous user and says so in X-Seraph-LoginReason.
func (s *Server) authenticate(r *http.Request, oauth bool) principal {
	h := r.Header.Get("Authorization")
	if h == "" {
		return principal{anon: true}
	}
	scheme, _, _ := strings.Cut(h, " ")
	switch {
	case oauth && strings.EqualFold(scheme, "Bearer"):
		if s.opts.OAuthToken != "" && fakeapi.CheckBearer(r, s.opts.OAuthToken) {
			return principal{agent: s.agents[0]}
		}
	case !oauth && strings.EqualFold(scheme, "Basic") && !s.revoked:
		for _, a := range s.agents {
			if fakeapi.CheckBasic(r, a.email, a.token) {
				return principal{agent: a}
			}
		}
	}
	return principal{anon: true, failed: true}
}

// response is an answer being built.
type response struct {
	status int
	header http.Header
	body   []byte
}

func jsonResponse(status int, v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json;charset=UTF-8")
	return response{status: status, header: h, body: b}
}

// errorResponse is Jira's ErrorCollection.
func errorResponse(status int, messages ...string) response {
	return jsonResponse(status, map[string]any{"errorMessages": messages, "errors": map[string]string{}})
}

// serve is the fake's HTTP entry point, after the shared base has logged
// the request and applied faults: the OAuth prefix, authentication, the
// burst limit, then the endpoint.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	path := r.URL.Path
	oauth := false
	if rest, ok := strings.CutPrefix(path, "/ex/jira/"); ok {
		id, sub, _ := strings.Cut(rest, "/")
		if id != s.opts.CloudID {
			s.write(w, errorResponse(http.StatusNotFound, "Site not found"))
			return
		}
		path, oauth = "/"+sub, true
	}
	s.mu.Lock()
	who := s.authenticate(r, oauth)
	resp, rh, ok := s.rateLimitLocked()
	if ok {
		resp = s.routeLocked(r, path, body, who)
		for k, vs := range rh {
			resp.header[k] = vs
		}
	}
	if who.failed {
		resp.header.Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
	}
	s.mu.Unlock()
	s.write(w, resp)
}

// write sends resp, dated by the fake's clock.
func (s *Server) write(w http.ResponseWriter, resp response) {
	for k, vs := range resp.header {
		w.Header()[k] = vs
	}
	w.Header().Set("Date", s.Now().UTC().Format(http.TimeFormat))
	w.Header().Set("Server", "AtlassianEdge")
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// routeLocked serves one authenticated (or anonymous) request.
func (s *Server) routeLocked(r *http.Request, path string, body []byte, who principal) response {
	switch {
	case path == "/rest/api/3/myself" || path == "/rest/api/2/myself":
		if r.Method != http.MethodGet {
			return errorResponse(http.StatusMethodNotAllowed, "Method not allowed")
		}
		if who.anon {
			return errorResponse(http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
		}
		return jsonResponse(http.StatusOK, s.userJSONLocked(who.agent.user, "3", true))
	case path == "/rest/api/3/field" || path == "/rest/api/2/field":
		return jsonResponse(http.StatusOK, s.fieldsJSON())
	case path == "/rest/servicedeskapi/servicedesk":
		if who.anon {
			return errorResponse(http.StatusUnauthorized, "Unauthorized; scope does not match")
		}
		return s.serviceDesksLocked(r.URL.Query(), who)
	case path == "/rest/api/3/search/jql" || path == "/rest/api/2/search/jql":
		req, err := searchRequest(r, body)
		if err != nil {
			return errorResponse(http.StatusBadRequest, "Invalid request payload. Refer to the REST API documentation and try again.")
		}
		return s.searchLocked(req, who, apiVersion(path))
	case path == "/rest/api/3/search" || path == "/rest/api/2/search" || path == "/rest/api/3/search/id" || path == "/rest/api/2/search/id":
		return errorResponse(http.StatusGone, "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
	case path == "/rest/api/3/issue/bulkfetch" || path == "/rest/api/2/issue/bulkfetch":
		if r.Method != http.MethodPost {
			return errorResponse(http.StatusMethodNotAllowed, "Method not allowed")
		}
		return s.bulkFetchLocked(body, who, apiVersion(path))
	case strings.HasPrefix(path, "/rest/api/3/issue/") || strings.HasPrefix(path, "/rest/api/2/issue/"):
		rest := path[len("/rest/api/3/issue/"):]
		if ref, ok := strings.CutSuffix(rest, "/comment"); ok && r.Method == http.MethodGet {
			return s.commentsLocked(ref, r.URL.Query(), who, apiVersion(path))
		}
	}
	if !strings.HasPrefix(path, "/rest/") {
		// Not the REST API: the site's web front answers, as an address
		// that is not a Jira site does, with a page.
		h := http.Header{}
		h.Set("Content-Type", "text/html;charset=UTF-8")
		return response{status: http.StatusNotFound, header: h, body: []byte(siteNotFoundPage)}
	}
	return errorResponse(http.StatusNotFound, "The requested resource could not be found.")
}

// siteNotFoundPage is what an address that holds no Jira site answers.
const siteNotFoundPage = `<!DOCTYPE html>
<html lang="en"><head><title>Atlassian Cloud | Site not found</title></head>
<body><h1>Your Atlassian Cloud site is currently unavailable.</h1></body></html>
`

func apiVersion(path string) string {
	if strings.HasPrefix(path, "/rest/api/2/") {
		return "2"
	}
	return "3"
}

// rateLimitLocked applies the burst limit, Options.RateLimit requests per
// Options.RateWindow on the fake's clock, and counts a request arriving
// before an earlier 429's wait was over. An answer with less than a fifth
// of the budget left carries X-RateLimit-NearLimit: true with the limit and
// what remains; a refusal is Jira's 429 with Retry-After (whole seconds),
// X-RateLimit-Reset (an ISO minute), the limit, nothing remaining and
// RateLimit-Reason.
func (s *Server) rateLimitLocked() (response, http.Header, bool) {
	now := s.Now()
	if now.Before(s.holdTil) {
		s.early++
	}
	h := http.Header{}
	ok, remaining, reset := s.rate.Take(now)
	if s.opts.RateLimit <= 0 {
		return response{}, h, true
	}
	limit := strconv.Itoa(s.opts.RateLimit)
	if ok {
		if remaining*5 < s.opts.RateLimit {
			h.Set("X-RateLimit-NearLimit", "true")
			h.Set("X-RateLimit-Limit", limit)
			h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		}
		return response{}, h, true
	}
	wait := time.Duration(fakeapi.RetryAfterSeconds(reset.Sub(now))) * time.Second
	if until := now.Add(wait); until.After(s.holdTil) {
		s.holdTil = until
	}
	resp := errorResponse(http.StatusTooManyRequests, "Rate limit exceeded.")
	resp.header.Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
	resp.header.Set("X-RateLimit-Reset", now.Add(wait).UTC().Format("2006-01-02T15:04Z"))
	resp.header.Set("X-RateLimit-Limit", limit)
	resp.header.Set("X-RateLimit-Remaining", "0")
	resp.header.Set("RateLimit-Reason", "jira-burst-based")
	return resp, h, false
}
