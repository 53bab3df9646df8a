package jira_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/jira"
	"github.com/ticketsync/ticketsync/jira/jiratest"
	"github.com/ticketsync/ticketsync/memstore"
)

func TestTestCredentials(t *testing.T) {
	ctx := context.Background()
	t.Run("valid", func(t *testing.T) {
		f := jiratest.NewServer(t, nil)
		if err := newConn(t, f, nil).Test(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		f := jiratest.NewServer(t, nil)
		err := newConn(t, f, func(cfg *jira.Config) { cfg.APIToken = "ATATT-not-the-token-123" }).Test(ctx)
		if !errors.Is(err, ticketsync.ErrUnauthorized) || !strings.Contains(err.Error(), "tokens expire") {
			t.Errorf("Test: %v; want ErrUnauthorized with a hint", err)
		}
		if err != nil && strings.Contains(err.Error(), "ATATT-not-the-token-123") {
			t.Error("the error holds the token")
		}
	})
	t.Run("not a Jira site", func(t *testing.T) {
		f := jiratest.NewServer(t, nil)
		f.InjectFault(jiratest.Fault{HTMLBody: true, Count: -1})
		err := newConn(t, f, nil).Test(ctx)
		if !errors.Is(err, ticketsync.ErrNotFound) || !strings.Contains(err.Error(), "subdomain") {
			t.Errorf("Test: %v; want ErrNotFound naming the subdomain", err)
		}
	})
	t.Run("HTML page with 200", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!DOCTYPE html><html><body>Log in</body></html>")
		}))
		defer srv.Close()
		c, err := jira.New(jira.Config{BaseURL: srv.URL, Email: "a@b.c", APIToken: "t0000000", RequestsPerMinute: -1})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Test(ctx); !errors.Is(err, ticketsync.ErrNotFound) {
			t.Errorf("Test: %v; want ErrNotFound", err)
		}
	})
	t.Run("no service desk", func(t *testing.T) {
		f := jiratest.NewServer(t, nil)
		f.SetAccess("DEV")
		err := newConn(t, f, nil).Test(ctx)
		if !errors.Is(err, ticketsync.ErrForbidden) || !strings.Contains(err.Error(), "no service desk") {
			t.Errorf("Test: %v; want ErrForbidden", err)
		}
	})
	t.Run("missing project", func(t *testing.T) {
		f := jiratest.NewServer(t, nil)
		f.AddProject("HR", "Human resources", true)
		err := newConn(t, f, func(cfg *jira.Config) { cfg.Projects = []string{"sup", "HR", "OPS"} }).Test(ctx)
		if !errors.Is(err, ticketsync.ErrForbidden) || !strings.Contains(err.Error(), "OPS") || strings.Contains(err.Error(), "key HR") {
			t.Errorf("Test: %v; want ErrForbidden naming OPS only", err)
		}
	})
}

func TestFetchWithOAuth(t *testing.T) {
	f := jiratest.NewServer(t, &jiratest.Options{OAuthToken: "oauth-access-token-123"})
	f.CreateIssue(jiratest.Issue{Summary: "via OAuth"})
	c, err := jira.New(jira.Config{
		BaseURL: f.URL, Subdomain: "acme", CloudID: f.CloudID(), RequestsPerMinute: -1,
		TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "oauth-access-token-123"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Test(context.Background()); err != nil {
		t.Fatal(err)
	}
	page, err := c.Fetch(context.Background(), "")
	if err != nil || len(page.Tickets) != 1 {
		t.Fatalf("Fetch: %d tickets, %v", len(page.Tickets), err)
	}
	if got := page.Tickets[0].URL; got != "https://acme.atlassian.net/browse/SUP-1" {
		t.Errorf("URL %q, want the site's browse URL", got)
	}
	if n := f.RequestCount("", "/ex/jira/"+f.CloudID()+"/"); n == 0 {
		t.Error("no request reached the fake under /ex/jira/{cloudId}")
	}
}

// TestFetchManyComments syncs an issue with more comments than search embeds and
// more than one comment page: all arrive, oldest first, and only that issue
// costs comment requests.
func TestFetchManyComments(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	createIssues(f, 5, time.Second)
	busy := f.CreateIssue(jiratest.Issue{Summary: "busy"})
	for i := range 230 {
		f.AddComment(busy.ID, jiratest.Comment{Body: jiratest.Doc("reply " + strconv.Itoa(i)), Public: i%3 != 0})
		f.Advance(time.Second)
	}
	c := newConn(t, f, nil)
	s, store := syncer(t, c, ticketsync.ModePoll)
	syncNow(t, s)
	got, err := store.Ticket(context.Background(), "acme-jira", strconv.FormatInt(busy.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Comments) != 230 {
		t.Fatalf("%d comments, want 230", len(got.Comments))
	}
	for i, cm := range got.Comments {
		if cm.Body != "reply "+strconv.Itoa(i) || cm.Public != (i%3 != 0) {
			t.Fatalf("comment %d = %+v", i, cm)
		}
	}
	if n := f.RequestCount("GET", "/rest/api/3/issue/"); n != 3 {
		t.Errorf("%d comment requests, want 3 (230 comments, 100 a page, one issue)", n)
	}
}

// TestFetchTimeZoneChangeDuringSync changes the user's profile zone between
// polls and between the pages of one query (to a zone far west, where the
// same literal names a later instant, and the fake reads the JQL again on
// every page): nothing is lost.
func TestFetchTimeZoneChangeDuringSync(t *testing.T) {
	f := jiratest.NewServer(t, &jiratest.Options{TimeZone: "Pacific/Auckland"})
	createIssues(f, 40, 17*time.Second)
	f.Advance(time.Minute)
	c := newConn(t, f, func(cfg *jira.Config) { cfg.PageSize = 10; cfg.SearchLag = time.Minute })
	store := memstore.New()
	ctx := context.Background()
	// poll runs Fetch until caught up, storing each page and its cursor
	// as the Syncer does, and calls between after the first page.
	poll := func(between func()) {
		t.Helper()
		for {
			cursor, _ := store.Cursor(ctx, "acme-jira")
			page, err := c.Fetch(ctx, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for i := range page.Tickets {
				page.Tickets[i].ConnectorID = "acme-jira"
			}
			if err := store.UpsertTickets(ctx, page.Tickets); err != nil {
				t.Fatal(err)
			}
			if err := store.SetCursor(ctx, "acme-jira", page.Cursor); err != nil {
				t.Fatal(err)
			}
			if !page.More {
				return
			}
			if between != nil {
				between()
				between = nil
			}
		}
	}
	poll(nil)
	for i, zone := range []string{"America/Los_Angeles", "Asia/Kolkata", "Pacific/Honolulu", "UTC", "Asia/Tokyo"} {
		// Issues updated over several hours, so that a literal read in
		// the wrong zone misses some.
		createIssues(f, 25, 13*time.Minute)
		f.Advance(3 * time.Minute)
		if err := f.SetTimeZone(zone); err != nil {
			t.Fatal(err)
		}
		var between func()
		if i%2 == 0 {
			between = func() { _ = f.SetTimeZone("Pacific/Pago_Pago") } // UTC−11
		}
		poll(between)
		poll(nil)
		if m := missing(t, f, store); len(m) > 0 {
			t.Fatalf("after switching to %s: %v missing", zone, m)
		}
	}
}

func TestGetTickets(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	issues := createIssues(f, 150, time.Second)
	f.DeleteIssue(issues[3].ID)
	c := newConn(t, f, nil)
	var ids []string
	for _, is := range issues {
		ids = append(ids, strconv.FormatInt(is.ID, 10))
	}
	ids = append(ids, "99999999", "SUP-1", "")
	got, err := c.GetTickets(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 149 {
		t.Errorf("%d tickets, want 149", len(got))
	}
	for _, tk := range got {
		if tk.ID == strconv.FormatInt(issues[3].ID, 10) {
			t.Error("the deleted issue came back")
		}
	}
	if n := f.RequestCount("POST", "/rest/api/3/issue/bulkfetch"); n != 2 {
		t.Errorf("%d bulk fetches for 150 ids, want 2", n)
	}
	// An issue outside Config.Projects is left out, as a poll leaves it.
	f.AddProject("HR", "Human resources", true)
	hr := f.CreateIssue(jiratest.Issue{Project: "HR", Summary: "elsewhere"})
	only := newConn(t, f, func(cfg *jira.Config) { cfg.Projects = []string{"SUP"} })
	got, err = only.GetTickets(context.Background(), []string{ids[0], strconv.FormatInt(hr.ID, 10)})
	if err != nil || len(got) != 1 || got[0].ID != ids[0] {
		t.Errorf("GetTickets with Projects SUP = %d tickets, %v; want only %s", len(got), err, ids[0])
	}
}

func TestFetchMovedIssueKeepsItsID(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	f.AddProject("HR", "Human resources", true)
	is := f.CreateIssue(jiratest.Issue{Summary: "moving"})
	c := newConn(t, f, nil)
	s, store := syncer(t, c, ticketsync.ModePoll)
	syncNow(t, s)
	f.Advance(time.Minute)
	key, _ := f.MoveIssue(is.ID, "HR")
	f.Advance(time.Minute)
	syncNow(t, s)
	got, err := store.Ticket(context.Background(), "acme-jira", strconv.FormatInt(is.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	if got.Fields[jira.FieldKey] != key || got.Fields[jira.FieldProject] != "HR" || !strings.HasSuffix(got.URL, "/browse/"+key) {
		t.Errorf("moved issue stored as %v %q, want key %s", got.Fields, got.URL, key)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})
	for _, tc := range []struct {
		name string
		cfg  jira.Config
		want string
	}{
		{"no site", jira.Config{Email: "a@b.c", APIToken: "t"}, "Subdomain is empty"},
		{"full host as subdomain", jira.Config{Subdomain: "acme.atlassian.net", Email: "a@b.c", APIToken: "t"}, "not a site prefix"},
		{"no credentials", jira.Config{Subdomain: "acme"}, "no credentials"},
		{"no token", jira.Config{Subdomain: "acme", Email: "a@b.c"}, "APIToken is empty"},
		{"no email", jira.Config{Subdomain: "acme", APIToken: "t"}, "Email is empty"},
		{"bad email", jira.Config{Subdomain: "acme", Email: "agent", APIToken: "t"}, "not an email"},
		{"two credentials", jira.Config{Subdomain: "acme", Email: "a@b.c", APIToken: "t", TokenSource: ts}, "only one credential"},
		{"OAuth without cloud id", jira.Config{Subdomain: "acme", TokenSource: ts}, "CloudID must be set"},
		{"bad project", jira.Config{Subdomain: "acme", Email: "a@b.c", APIToken: "t", Projects: []string{"SUP-1"}}, "not a project key"},
		{"order by in JQL", jira.Config{Subdomain: "acme", Email: "a@b.c", APIToken: "t", JQL: "labels = x ORDER BY key"}, "ORDER BY"},
		{"page size", jira.Config{Subdomain: "acme", Email: "a@b.c", APIToken: "t", PageSize: 500}, "PageSize"},
		{"bad base URL", jira.Config{BaseURL: "acme.atlassian.net", Email: "a@b.c", APIToken: "t"}, "BaseURL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jira.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	cfg := jira.Config{Subdomain: "acme", Email: "a@b.c", APIToken: "ATATT-very-secret", WebhookSecret: "hook-secret-1",
		WebhookSecrets: []string{"hook-secret-0"}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out := fmt.Sprintf(verb, cfg)
		for _, secret := range []string{"ATATT-very-secret", "hook-secret"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s prints %q", verb, secret)
			}
		}
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("configured", "config", cfg)
	if strings.Contains(logged.String(), "very-secret") || strings.Contains(logged.String(), "hook-secret") || !strings.Contains(logged.String(), "acme") {
		t.Errorf("slog writes %s", logged.String())
	}
	if out := fmt.Sprint(cfg); !strings.Contains(out, `Subdomain: "acme"`) {
		t.Errorf("String = %s", out)
	}
	c, err := jira.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if out := fmt.Sprintf("%+v %#v", c, c); strings.Contains(out, "ATATT") {
		t.Errorf("the connector prints its token: %s", out)
	}
}

// TestFetchExtraJQLAndDefaultProjects checks that without Config.Projects every
// service desk project is synced and no software project, and that
// Config.JQL narrows the query.
func TestFetchExtraJQLAndDefaultProjects(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	f.AddProject("HR", "Human resources", true)
	f.CreateIssue(jiratest.Issue{Summary: "sup", Labels: []string{"keep"}})
	f.CreateIssue(jiratest.Issue{Project: "HR", Summary: "hr"})
	f.CreateIssue(jiratest.Issue{Project: "DEV", Summary: "dev"})
	f.CreateIssue(jiratest.Issue{Summary: "spam", Labels: []string{"spam"}})
	page, err := newConn(t, f, nil).Fetch(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range page.Tickets {
		got = append(got, tk.Subject)
	}
	slices.Sort(got)
	if strings.Join(got, ",") != "hr,spam,sup" {
		t.Errorf("synced %v, want the service desk projects' issues", got)
	}
	page, err = newConn(t, f, func(cfg *jira.Config) { cfg.JQL = "labels != spam" }).Fetch(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tickets) != 2 {
		t.Errorf("with labels != spam: %d tickets, want 2", len(page.Tickets))
	}
	_, err = newConn(t, f, func(cfg *jira.Config) { cfg.JQL = "summary ~ spam" }).Fetch(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "Config.JQL") {
		t.Errorf("a JQL the site refuses: %v; want an error pointing at Config.JQL", err)
	}
}

// TestFetchMapsTickets checks one fully populated issue field by field.
func TestFetchMapsTickets(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	cust := f.AddUser(jiratest.User{DisplayName: "Carla Customer", Email: "carla@example.com", Customer: true})
	is := f.CreateIssue(jiratest.Issue{
		Summary: "VPN down", Description: jiratest.Doc("Cannot connect"), Status: "Waiting for customer", Priority: "Highest",
		IssueType: "Incident", RequestType: "Report a system problem", Reporter: cust, Assignee: jiratest.DefaultAccountID,
		Participants: []string{cust, jiratest.DefaultAccountID}, Labels: []string{"vpn", "urgent"},
		Comments: []jiratest.Comment{{Author: cust, Body: jiratest.Doc("Still down"), Public: true}, {Body: jiratest.Doc("Looks like the gateway"), Public: false}},
	})
	got, err := newConn(t, f, nil).GetTickets(context.Background(), []string{strconv.FormatInt(is.ID, 10)})
	if err != nil || len(got) != 1 {
		t.Fatalf("GetTickets: %d, %v", len(got), err)
	}
	tk := got[0]
	want := map[string]string{
		"ID": strconv.FormatInt(is.ID, 10), "URL": f.URL + "/browse/SUP-1", "Subject": "VPN down", "Description": "Cannot connect",
		"Status": "pending", "RawStatus": "Waiting for customer", "Priority": "urgent", "RawPriority": "Highest",
		"Requester": cust + "/Carla Customer/carla@example.com", "Assignee": jiratest.DefaultAccountID + "/Agnes Agent/" + f.Email(),
		"Tags": "vpn,urgent", "key": "SUP-1", "project": "SUP", "issuetype": "Incident", "requestType": "Report a system problem",
		"participants": cust + "," + jiratest.DefaultAccountID, "CreatedAt": is.Created.Format(time.RFC3339), "UpdatedAt": is.Updated.Format(time.RFC3339),
		"Comments": "Still down/true;Looks like the gateway/false",
	}
	var comments []string
	for _, cm := range tk.Comments {
		comments = append(comments, cm.Body+"/"+strconv.FormatBool(cm.Public))
	}
	have := map[string]string{
		"ID": tk.ID, "URL": tk.URL, "Subject": tk.Subject, "Description": tk.Description, "Status": string(tk.Status),
		"RawStatus": tk.RawStatus, "Priority": string(tk.Priority), "RawPriority": tk.RawPriority,
		"Requester": tk.Requester.ID + "/" + tk.Requester.Name + "/" + tk.Requester.Email,
		"Assignee":  tk.Assignee.ID + "/" + tk.Assignee.Name + "/" + tk.Assignee.Email, "Tags": strings.Join(tk.Tags, ","),
		"key": tk.Fields["key"], "project": tk.Fields["project"], "issuetype": tk.Fields["issuetype"],
		"requestType": tk.Fields["requestType"], "participants": tk.Fields["participants"],
		"CreatedAt": tk.CreatedAt.Format(time.RFC3339), "UpdatedAt": tk.UpdatedAt.Format(time.RFC3339),
		"Comments": strings.Join(comments, ";"),
	}
	for k, w := range want {
		if have[k] != w {
			t.Errorf("%s = %q, want %q", k, have[k], w)
		}
	}
	if tk.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt in %s, want UTC", tk.CreatedAt.Location())
	}
}
