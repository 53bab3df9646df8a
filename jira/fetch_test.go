package jira_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/jira"
	"github.com/ticketsync/ticketsync/jira/jiratest"
)

// TestFetchTimeZonesAcrossDaylightSaving syncs, every few minutes of the fake's
// clock, a site whose user lives in UTC+5:30 or in UTC−8 (Los Angeles)
// while the checkpoint crosses the end of daylight saving time in Los
// Angeles (2026-11-01, 02:00 PDT → 01:00 PST), with Jira reading the
// ambiguous wall times either way. Every issue must be stored at its
// newest version after every poll.
func TestFetchTimeZonesAcrossDaylightSaving(t *testing.T) {
	start := time.Date(2026, 11, 1, 7, 40, 0, 0, time.UTC) // 00:40 PDT
	for _, zone := range []string{"Asia/Kolkata", "America/Los_Angeles"} {
		for _, earlier := range []bool{false, true} {
			t.Run(zone+"/earlier="+strconv.FormatBool(earlier), func(t *testing.T) {
				f := jiratest.NewServer(t, &jiratest.Options{TimeZone: zone, Start: start, AmbiguousEarlier: earlier})
				// A small lag window, so that the checkpoint follows the
				// clock closely through the repeated hour.
				c := newConn(t, f, func(cfg *jira.Config) { cfg.SearchLag = time.Minute; cfg.PageSize = 5 })
				s, store := syncer(t, c, ticketsync.ModePoll)
				issues := createIssues(f, 3, time.Minute)
				for step := range 40 {
					// Create and touch issues through the repeated hour.
					is := f.CreateIssue(jiratest.Issue{Summary: "step " + strconv.Itoa(step), Description: jiratest.Doc("x")})
					issues = append(issues, is)
					f.UpdateIssue(issues[step%len(issues)].ID, func(is *jiratest.Issue) { is.Summary += "." })
					f.Advance(4*time.Minute + 7*time.Second)
					syncNow(t, s)
					if m := missing(t, f, store); len(m) > 0 {
						t.Fatalf("after the poll at %s (%s): issues %v missing or stale",
							f.Now().Format(time.RFC3339), f.Now().In(mustZone(t, zone)).Format("15:04 MST"), m)
					}
				}
				if end := f.Now(); end.Before(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)) {
					t.Fatalf("the test ended at %s, before the checkpoint left the repeated hour", end)
				}
			})
		}
	}
}

func mustZone(t testing.TB, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestFetchFakeReadsDateLiteralsInUserZone shows what the connector guards
// against: the same JQL literal, read for a user in UTC+5:30, names an
// instant five and a half hours earlier than in UTC, so a client writing
// its checkpoint in UTC asks for too little.
func TestFetchFakeReadsDateLiteralsInUserZone(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f := jiratest.NewServer(t, &jiratest.Options{TimeZone: "Asia/Kolkata", Start: start})
	createIssues(f, 12, time.Hour) // 09:00Z ... 20:00Z
	naive := start.Add(2 * time.Hour).Format("2006/01/02 15:04")
	got := searchCount(t, f, `project = SUP AND updated >= "`+naive+`"`)
	// 11:00 in Kolkata is 05:30Z: every issue matches, not the ten from
	// 11:00Z on. A client that wanted "since 11:00Z" must write 16:30.
	if got != 12 {
		t.Errorf("updated >= %q found %d issues, want all 12 (read as Kolkata time)", naive, got)
	}
	local := start.Add(2 * time.Hour).In(mustZone(t, "Asia/Kolkata")).Format("2006/01/02 15:04")
	if got := searchCount(t, f, `project = SUP AND updated >= "`+local+`"`); got != 10 {
		t.Errorf("updated >= %q found %d issues, want 10", local, got)
	}
}

// searchCount runs a JQL search against the fake as the fake's user and
// counts the first page's issues.
func searchCount(t testing.TB, f *jiratest.Server, jql string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", f.URL+"/rest/api/3/search/jql?maxResults=100&fields=updated&jql="+url.QueryEscape(jql), nil)
	req.SetBasicAuth(f.Email(), f.Token())
	var out struct {
		Issues []struct{ ID string } `json:"issues"`
	}
	if code := doJSON(t, req, &out); code != 200 {
		t.Fatalf("search %q: HTTP %d", jql, code)
	}
	return len(out.Issues)
}

// TestFetchLateIndexedIssueArrives creates an issue whose change the index shows
// ten minutes late, then one that shows at once: a poll in between sees only
// the second, and a later poll must still deliver the first.
func TestFetchLateIndexedIssueArrives(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	c := newConn(t, f, nil) // the default SearchLag, 15 minutes
	s, store := syncer(t, c, ticketsync.ModePoll)
	createIssues(f, 5, time.Minute)
	syncNow(t, s)

	f.SetIndexLag(10 * time.Minute)
	late := f.CreateIssue(jiratest.Issue{Summary: "indexed late"})
	f.SetIndexLag(0)
	f.Advance(3 * time.Minute) // more than the minute a JQL literal rounds to
	prompt := f.CreateIssue(jiratest.Issue{Summary: "indexed at once"})
	f.Advance(time.Minute)
	syncNow(t, s)
	if _, err := store.Ticket(context.Background(), "acme-jira", strconv.FormatInt(prompt.ID, 10)); err != nil {
		t.Fatalf("the promptly indexed issue was not stored: %v", err)
	}
	if _, err := store.Ticket(context.Background(), "acme-jira", strconv.FormatInt(late.ID, 10)); err == nil {
		t.Fatalf("the late issue was stored before the index showed it: the fake's lag does not work")
	}
	f.Advance(10 * time.Minute)
	syncNow(t, s)
	if _, err := store.Ticket(context.Background(), "acme-jira", strconv.FormatInt(late.ID, 10)); err != nil {
		t.Errorf("the issue indexed late never arrived: %v", err)
	}
	if m := missing(t, f, store); len(m) > 0 {
		t.Errorf("issues %v missing or stale", m)
	}
}

// TestFetchThousandIssuesInOneMinute updates 1,000 issues at the same instant:
// all must arrive, in one pass through the query (no looping).
func TestFetchThousandIssuesInOneMinute(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	for i := range 1000 {
		f.CreateIssue(jiratest.Issue{Summary: "bulk " + strconv.Itoa(i)})
	}
	f.Advance(2 * time.Minute)
	c := newConn(t, f, nil)
	s, store := syncer(t, c, ticketsync.ModePoll)
	run := syncNow(t, s)
	if m := missing(t, f, store); len(m) > 0 {
		t.Fatalf("%d of 1000 issues missing, such as %v", len(m), m[:min(5, len(m))])
	}
	if searches := f.RequestCount("POST", "/rest/api/3/search/jql"); searches > 11 {
		t.Errorf("%d search requests for 1000 issues in pages of 100: the query loops", searches)
	}
	if run.Tickets != 1000 {
		t.Errorf("the run stored %d tickets, want 1000", run.Tickets)
	}
	// A bulk edit: all 1000 updated in one minute, read again.
	for _, id := range f.IssueIDs() {
		f.UpdateIssue(id, func(is *jiratest.Issue) { is.Labels = []string{"bulk-edited"} })
	}
	f.Advance(20 * time.Minute)
	syncNow(t, s)
	if m := missing(t, f, store); len(m) > 0 {
		t.Fatalf("after a bulk edit, %d of 1000 issues missing or stale, such as %v", len(m), m[:min(5, len(m))])
	}
}

// TestFetchAnonymousAnswerIsAnAuthError revokes the token during a sync: Jira
// then answers the search 200 with no issues and X-Seraph-LoginReason:
// AUTHENTICATED_FAILED, which must be an error, never an empty account.
func TestFetchAnonymousAnswerIsAnAuthError(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	createIssues(f, 30, time.Second)
	f.Advance(time.Minute)
	c := newConn(t, f, func(cfg *jira.Config) { cfg.PageSize = 10 })
	ctx := context.Background()
	page, err := c.Fetch(ctx, "")
	if err != nil || !page.More {
		t.Fatalf("first page: more %t, %v", page.More, err)
	}
	f.RevokeToken()
	next, err := c.Fetch(ctx, page.Cursor)
	if err == nil {
		t.Fatalf("Fetch after the token was revoked returned %d tickets, more %t, and no error", len(next.Tickets), next.More)
	}
	if !errors.Is(err, ticketsync.ErrUnauthorized) {
		t.Errorf("Fetch after the token was revoked: %v; want ErrUnauthorized", err)
	}
	if got, err := c.GetTickets(ctx, []string{strconv.FormatInt(f.IssueIDs()[0], 10)}); !errors.Is(err, ticketsync.ErrUnauthorized) {
		t.Errorf("GetTickets after the token was revoked = %d tickets, %v; want ErrUnauthorized", len(got), err)
	}
	if err := c.Test(ctx); !errors.Is(err, ticketsync.ErrUnauthorized) {
		t.Errorf("Test after the token was revoked: %v; want ErrUnauthorized", err)
	}
	// The fake really answered 200: the header is the only signal.
	var sawAnonymous200 bool
	for _, r := range f.Requests() {
		if r.Path == "/rest/api/3/search/jql" && r.Status == 200 {
			sawAnonymous200 = true
		}
	}
	if !sawAnonymous200 {
		t.Error("the fake never answered a search with 200")
	}
}

// TestFetchStormsAndTruncatedBodiesLoseNothing syncs through a storm of 429s
// with Retry-After, a burst limit, bodies cut short and bodies of broken
// JSON: the runs may fail, but the next one resumes and nothing is lost,
// and no request comes sooner than a 429 allowed.
func TestFetchStormsAndTruncatedBodiesLoseNothing(t *testing.T) {
	f := jiratest.NewServer(t, &jiratest.Options{RateLimit: 20, RateWindow: 10 * time.Second, SearchComments: 1})
	issues := createIssues(f, 120, 3*time.Second)
	for _, is := range issues[:10] {
		for range 3 {
			f.AddComment(is.ID, jiratest.Comment{Body: jiratest.Doc("more"), Public: false})
		}
	}
	f.Advance(time.Minute)
	// A complete answer holding broken JSON, as a misbehaving proxy sends.
	cut := `{"issues":[{"id":"10001","key":"SUP-1","fields":{"summary":"Iss`
	storm := jiratest.RateLimited(6, 3*time.Second)
	storm.Path = "/rest/api/3/search/jql"
	f.InjectFault(storm)
	f.InjectFault(jiratest.Fault{Truncate: true, Count: 2, Path: "/rest/api/3/search/jql"})
	f.InjectFault(jiratest.Fault{Status: http.StatusOK, Body: cut, Count: 2, Path: "/rest/api/3/search/jql"})
	comments := jiratest.RateLimited(3, 2*time.Second)
	comments.Path = "/rest/api/3/issue/"
	f.InjectFault(comments)
	f.InjectFault(jiratest.Fault{Status: http.StatusOK, Body: `{"comments":[{"id":"1`, Count: 1, Path: "/rest/api/3/issue/"})
	f.InjectFault(jiratest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Second, Count: 2})
	c := newConn(t, f, func(cfg *jira.Config) { cfg.PageSize = 25 })
	s, store := syncer(t, c, ticketsync.ModePoll)
	ok := false
	for attempt := 0; attempt < 10 && !ok; attempt++ {
		_, err := s.SyncNow(context.Background(), "acme-jira")
		ok = err == nil
	}
	if !ok {
		t.Fatal("10 runs failed")
	}
	if m := missing(t, f, store); len(m) > 0 {
		t.Fatalf("issues %v missing", m)
	}
	for _, is := range issues[:10] {
		got, _ := store.Ticket(context.Background(), "acme-jira", strconv.FormatInt(is.ID, 10))
		if len(got.Comments) != 4 {
			t.Errorf("issue %s has %d comments, want 4", is.Key, len(got.Comments))
		}
	}
	// No request may come before a 429's Retry-After is over: the fake
	// counts its own 429s; the injected ones are checked from the log.
	early := f.EarlyRetries()
	reqs := f.Requests()
	for i, r := range reqs {
		if r.Status != http.StatusTooManyRequests || !r.Fault || i+1 == len(reqs) {
			continue
		}
		wait := 3 * time.Second
		if r.Path != "/rest/api/3/search/jql" {
			wait = 2 * time.Second
		}
		if next := reqs[i+1]; next.At.Before(r.At.Add(wait)) {
			early++
		}
	}
	if early > 0 {
		t.Errorf("%d requests came before Retry-After allowed", early)
		for _, r := range reqs {
			t.Logf("%s %s %s %d", r.At.Format("15:04:05.000"), r.Method, r.Path, r.Status)
		}
	}
	rateLimited := 0
	for _, r := range f.Requests() {
		if r.Status == http.StatusTooManyRequests {
			rateLimited++
		}
	}
	if rateLimited < 9 {
		t.Errorf("only %d answers were 429: the storm did not happen", rateLimited)
	}
}
