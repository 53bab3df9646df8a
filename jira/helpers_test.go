package jira_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/jira"
	"github.com/ticketsync/ticketsync/jira/jiratest"
	"github.com/ticketsync/ticketsync/memstore"
)

const testSecret = "webhook-secret-for-tests"

// newConn returns a connector for f with the fake's credentials, no
// client-side rate limit, and waits on the fake's clock; edit adjusts the
// Config.
func newConn(t testing.TB, f *jiratest.Server, edit func(*jira.Config)) *jira.Connector {
	t.Helper()
	cfg := jira.Config{
		BaseURL: f.URL, Email: f.Email(), APIToken: f.Token(),
		RequestsPerMinute: -1, WebhookSecret: testSecret,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := jira.NewWithClock(cfg, f.Now, f.Sleep)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// syncer returns a Syncer over a new memstore with c added as "acme-jira".
func syncer(t testing.TB, c ticketsync.Connector, mode ticketsync.Mode) (*ticketsync.Syncer, *memstore.Store) {
	t.Helper()
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add("acme-jira", c, mode); err != nil {
		t.Fatalf("Add: %v", err)
	}
	return s, store
}

// syncNow runs one poll and fails the test unless it succeeds.
func syncNow(t testing.TB, s *ticketsync.Syncer) ticketsync.SyncRun {
	t.Helper()
	run, err := s.SyncNow(context.Background(), "acme-jira")
	if err != nil {
		t.Fatalf("SyncNow: %v (%+v)", err, run)
	}
	return run
}

// missing returns the fake's issues the store does not hold at their
// current updated time.
func missing(t testing.TB, f *jiratest.Server, store *memstore.Store) []string {
	t.Helper()
	var out []string
	for _, id := range f.IssueIDs() {
		is, _ := f.Issue(id)
		got, err := store.Ticket(context.Background(), "acme-jira", strconv.FormatInt(id, 10))
		if err != nil || !got.UpdatedAt.Equal(is.Updated) {
			out = append(out, is.Key)
		}
	}
	return out
}

// createIssues creates n issues, advancing the fake's clock by step after
// each.
func createIssues(f *jiratest.Server, n int, step time.Duration) []jiratest.Issue {
	out := make([]jiratest.Issue, 0, n)
	for i := range n {
		out = append(out, f.CreateIssue(jiratest.Issue{
			Summary:     "Issue " + strconv.Itoa(i),
			Description: jiratest.Doc("Body " + strconv.Itoa(i)),
			Comments:    []jiratest.Comment{{Body: jiratest.Doc("First reply"), Public: true}},
		}))
		f.Advance(step)
	}
	return out
}

// doJSON sends req and decodes its JSON answer into out, returning the
// status.
func doJSON(t testing.TB, req *http.Request, out any) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", req.Method, req.URL.Path, err)
		}
	}
	return resp.StatusCode
}
