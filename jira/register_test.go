package jira_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/jira"
	"github.com/ticketsync/ticketsync/jira/jiratest"
	"github.com/ticketsync/ticketsync/memstore"
)

// hostApp is a Syncer whose webhook handler is served on a loopback server.
func hostApp(t *testing.T) (*ticketsync.Syncer, *memstore.Store, string) {
	t.Helper()
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	mux := http.NewServeMux()
	mux.Handle("/api/webhooks/tickets", s.WebhookHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return s, store, srv.URL + "/api/webhooks/tickets"
}

func TestRegisterWebhookDeliversIssueChanges(t *testing.T) {
	ctx := context.Background()
	f := jiratest.NewServer(t, nil)
	s, store, handler := hostApp(t)
	c := newConn(t, f, func(cfg *jira.Config) { cfg.WebhookSecret = ""; cfg.Projects = []string{"SUP"} })
	if err := s.Add("acme jira", c, ticketsync.ModeWebhook); err != nil {
		t.Fatal(err)
	}
	reg, err := s.RegisterWebhook(ctx, "acme jira", handler)
	if err != nil {
		t.Fatalf("RegisterWebhook: %v", err)
	}
	if want := handler + "?connectorId=acme+jira"; reg.Endpoint != want {
		t.Errorf("endpoint %q, want %q", reg.Endpoint, want)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", reg, reg, reg), reg.Secret) {
		t.Error("printing the registration shows its secret")
	}
	hooks := f.AdminWebhooks()
	if len(hooks) != 1 || hooks[0].ID != reg.ID || hooks[0].JQL != `project in ("SUP")` || len(hooks[0].Events) != 6 {
		t.Fatalf("site webhooks %+v; want one for project SUP with the six issue and comment events", hooks)
	}
	again, err := s.RegisterWebhook(ctx, "acme jira", handler)
	if err != nil {
		t.Fatalf("RegisterWebhook again: %v", err)
	}
	if again.ID != reg.ID || len(f.AdminWebhooks()) != 1 {
		t.Errorf("registering twice left webhooks %+v; want %s updated", f.AdminWebhooks(), reg.ID)
	}

	is := f.CreateIssue(jiratest.Issue{Summary: "Laptop will not boot"})
	other := f.CreateIssue(jiratest.Issue{Project: "DEV", Summary: "not a support issue"})
	f.WaitWebhooks()
	sent := f.SentWebhooks()
	if len(sent) != 1 || sent[0].IssueID != is.ID || sent[0].Status != http.StatusOK {
		t.Fatalf("deliveries %+v; want one, for %s only, answered 200", sent, is.Key)
	}
	got, err := store.Ticket(ctx, "acme jira", strconv.FormatInt(is.ID, 10))
	if err != nil || got.Subject != "Laptop will not boot" {
		t.Fatalf("stored %+v, %v; want the new issue, by webhook alone", got, err)
	}
	if _, err := store.Ticket(ctx, "acme jira", strconv.FormatInt(other.ID, 10)); !errors.Is(err, ticketsync.ErrNotFound) {
		t.Errorf("an issue outside the connector's projects was stored: %v", err)
	}

	if err := s.RemoveWithWebhook(ctx, "acme jira"); err != nil {
		t.Fatalf("RemoveWithWebhook: %v", err)
	}
	if hooks := f.AdminWebhooks(); len(hooks) != 0 {
		t.Errorf("webhooks left after removal: %+v", hooks)
	}
	f.UpdateIssue(is.ID, func(i *jiratest.Issue) { i.Summary = "changed later" })
	f.WaitWebhooks()
	if n := len(f.SentWebhooks()); n != 1 {
		t.Errorf("%d deliveries after removal, want still 1", n)
	}
}

func TestRegisterWebhookNeedsJiraAdmin(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	f.SetAdmin(false)
	s, _, handler := hostApp(t)
	if err := s.Add("j", newConn(t, f, nil), ticketsync.ModeBoth); err != nil {
		t.Fatal(err)
	}
	_, err := s.RegisterWebhook(context.Background(), "j", handler)
	if !errors.Is(err, ticketsync.ErrForbidden) {
		t.Fatalf("RegisterWebhook without admin = %v, want ErrForbidden", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "Administer Jira") || strings.Contains(msg, f.Token()) {
		t.Errorf("error %q should name the Administer Jira permission, without the token", msg)
	}
	if n := len(f.AdminWebhooks()); n != 0 {
		t.Errorf("%d webhooks created without admin", n)
	}
}

func TestRegisterWebhookRefusedURL(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	s, _, _ := hostApp(t)
	if err := s.Add("j", newConn(t, f, nil), ticketsync.ModeWebhook); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"https://192.168.1.10/hooks", "http://jira-hooks.example.com/hooks", "https://jira-hooks.example.com"} {
		if _, err := s.RegisterWebhook(context.Background(), "j", u); !errors.Is(err, ticketsync.ErrInvalidWebhookURL) {
			t.Errorf("RegisterWebhook(%q) = %v, want ErrInvalidWebhookURL", u, err)
		}
	}
	if n := len(f.AdminWebhooks()); n != 0 {
		t.Errorf("%d webhooks created for refused URLs", n)
	}
}

func TestRegisterWebhookOAuthSaysWhy(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	c := newConn(t, f, func(cfg *jira.Config) {
		cfg.Email, cfg.APIToken = "", ""
		cfg.TokenSource, cfg.CloudID = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"}), f.CloudID()
	})
	_, err := c.RegisterWebhook(context.Background(), "https://sync.example.com/hooks?connectorId=j")
	if err == nil || !strings.Contains(err.Error(), "30 days") {
		t.Errorf("RegisterWebhook with OAuth = %v; want an error explaining app webhooks' 30-day limit", err)
	}
}
