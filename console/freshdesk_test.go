package console_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
	"github.com/ticketsync/ticketsync/freshdesk"
	"github.com/ticketsync/ticketsync/freshdesk/freshdesktest"
	"github.com/ticketsync/ticketsync/jira"
	"github.com/ticketsync/ticketsync/jira/jiratest"
)

// TestConnectFreshdesk connects a platform added by one line: its
// package's Form and New.
func TestConnectFreshdesk(t *testing.T) {
	fake := freshdesktest.NewServer(t, nil)
	e := newEnv(t, func(o *console.Options) {
		o.Platforms = []console.Platform{console.PlatformOf(freshdesk.Form(), freshdesk.New, func(c *freshdesk.Config) { c.BaseURL = fake.URL })}
	})
	form := url.Values{"id": {"acme-freshdesk"}, "f.Domain": {fake.Domain}, "f.APIKey": {"not-the-key"}, "mode": {"3"}}
	r := e.post("/connect/freshdesk", form)
	if r.status != 422 || !strings.Contains(r.body, "Test failed: freshdesk") || strings.Contains(r.body, "not-the-key") {
		t.Fatalf("bad key: %d\n%s", r.status, r.body)
	}
	form.Set("f.APIKey", fake.APIKey)
	r = e.post("/connect/freshdesk", form)
	if r.status != 200 || !strings.Contains(r.body, "connectorId=acme-freshdesk") || !strings.Contains(r.body, "Admin → Workflows → Automations") {
		t.Fatalf("good key: %d\n%s", r.status, r.body)
	}
	if strings.Contains(r.body, fake.APIKey) {
		t.Fatal("the page shows the API key")
	}
	if st, ok := e.syncer.Status("acme-freshdesk"); !ok || st.Platform != "freshdesk" || st.Mode != ticketsync.ModeBoth {
		t.Fatalf("status %+v %v", st, ok)
	}
}

// TestConnectJira connects another platform added by one line.
func TestConnectJira(t *testing.T) {
	fake := jiratest.NewServer(t, nil)
	e := newEnv(t, func(o *console.Options) {
		o.Platforms = []console.Platform{console.PlatformOf(jira.Form(), jira.New, func(c *jira.Config) {
			// The jira package sends API requests to the Subdomain's site
			// when both are set, whatever BaseURL says.
			c.BaseURL, c.Subdomain = fake.URL, ""
		})}
	})
	form := url.Values{"id": {"acme-jira"}, "f.Subdomain": {"acme"}, "f.Email": {fake.Email()}, "f.APIToken": {"not-the-token"}, "mode": {"1"}}
	r := e.post("/connect/jira", form)
	if r.status != 422 || !strings.Contains(r.body, "Test failed: jira") || strings.Contains(r.body, "not-the-token") {
		t.Fatalf("bad token: %d\n%s", r.status, r.body)
	}
	form.Set("f.APIToken", fake.Token())
	if r = e.post("/connect/jira", form); r.status != 200 || strings.Contains(r.body, fake.Token()) {
		t.Fatalf("good token: %d\n%s", r.status, r.body)
	}
	if st, ok := e.syncer.Status("acme-jira"); !ok || st.Platform != "jira" || st.Mode != ticketsync.ModePoll {
		t.Fatalf("status %+v %v", st, ok)
	}
}
