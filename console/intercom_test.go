package console_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
	"github.com/ticketsync/ticketsync/intercom"
	"github.com/ticketsync/ticketsync/intercom/intercomtest"
)

// TestConnectIntercom connects Intercom, added by one line: its package's
// Form and New.
func TestConnectIntercom(t *testing.T) {
	fake := intercomtest.NewServer(t, nil)
	e := newEnv(t, func(o *console.Options) {
		o.Platforms = []console.Platform{console.PlatformOf(intercom.Form(), intercom.New, func(c *intercom.Config) {
			c.BaseURL, c.HTTPClient = fake.URL, fake.Client()
		})}
	})
	form := url.Values{"id": {"acme-intercom"}, "f.AccessToken": {"not-the-token"}, "f.Region": {"US"}, "mode": {"3"}}
	r := e.post("/connect/intercom", form)
	if r.status != 422 || !strings.Contains(r.body, "Test failed: intercom") || strings.Contains(r.body, "not-the-token") {
		t.Fatalf("bad token: %d\n%s", r.status, r.body)
	}
	form.Set("f.AccessToken", fake.Token())
	form.Set("f.ClientSecret", fake.ClientSecret())
	r = e.post("/connect/intercom", form)
	if r.status != 200 || !strings.Contains(r.body, "connectorId=acme-intercom") || !strings.Contains(r.body, "open the app → Webhooks") {
		t.Fatalf("good token: %d\n%s", r.status, r.body)
	}
	for _, s := range []string{fake.Token(), fake.ClientSecret()} {
		if strings.Contains(r.body, s) {
			t.Fatal("the page shows a credential")
		}
	}
	if st, ok := e.syncer.Status("acme-intercom"); !ok || st.Platform != "intercom" || st.Mode != ticketsync.ModeBoth {
		t.Fatalf("status %+v %v", st, ok)
	}
}
