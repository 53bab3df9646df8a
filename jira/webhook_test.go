package jira_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/jira"
	"github.com/ticketsync/ticketsync/jira/jiratest"
)

const hookURL = "https://example.com/api/webhooks/tickets?connectorId=acme-jira"

// deliver sends a delivery to the Syncer's handler and returns the status.
func deliver(t testing.TB, s *ticketsync.Syncer, d jiratest.Delivery, secret string) int {
	t.Helper()
	req, err := d.Request(hookURL, secret)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.WebhookHandler().ServeHTTP(w, req)
	return w.Code
}

// TestWebhookDeletedIssueLeavesTombstone deletes a synced issue and delivers
// Jira's jira:issue_deleted webhook, twice (a retry with the same
// X-Atlassian-Webhook-Identifier): the Store keeps a tombstone with the
// issue's fields, and the duplicate changes nothing.
func TestWebhookDeletedIssueLeavesTombstone(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	issues := createIssues(f, 3, time.Minute)
	c := newConn(t, f, nil)
	s, store := syncer(t, c, ticketsync.ModeBoth)
	syncNow(t, s)
	victim := issues[1]
	id := strconv.FormatInt(victim.ID, 10)
	before, err := store.Ticket(context.Background(), "acme-jira", id)
	if err != nil {
		t.Fatal(err)
	}

	f.Advance(time.Minute)
	f.DeleteIssue(victim.ID)
	d, ok := f.Webhook(jiratest.IssueDeleted, victim.ID, 0)
	if !ok {
		t.Fatal("no delivery")
	}
	if code := deliver(t, s, d, testSecret); code != http.StatusOK {
		t.Fatalf("delete delivery answered %d", code)
	}
	got, err := store.Ticket(context.Background(), "acme-jira", id)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Deleted {
		t.Fatalf("issue %s after its delete webhook: Deleted false", victim.Key)
	}
	if got.Subject != before.Subject || got.Requester != before.Requester || len(got.Comments) != len(before.Comments) {
		t.Errorf("the tombstone lost the issue's fields: %+v", got)
	}
	if !got.UpdatedAt.Equal(f.Now()) {
		t.Errorf("tombstone UpdatedAt %s, want the event's time %s", got.UpdatedAt, f.Now())
	}

	f.Advance(time.Minute)
	if code := deliver(t, s, d.Retried(), testSecret); code != http.StatusOK {
		t.Fatalf("the retried delivery answered %d", code)
	}
	again, _ := store.Ticket(context.Background(), "acme-jira", id)
	if !again.Deleted || again.Subject != got.Subject || len(again.Comments) != len(got.Comments) {
		t.Errorf("a duplicate delivery changed the tombstone: %+v", again)
	}
	// A poll cannot see the deletion, and must not undo the tombstone.
	syncNow(t, s)
	if after, _ := store.Ticket(context.Background(), "acme-jira", id); !after.Deleted {
		t.Error("a poll after the delete revived the issue")
	}
}

// TestWebhookEventsCompleteThroughGetTickets delivers an update and a
// comment: the Syncer loads the issue through the REST API (the delivery's
// own JSON is REST v2 wiki markup), so the stored ticket has the ADF text
// and the internal note's visibility.
func TestWebhookEventsCompleteThroughGetTickets(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	is := f.CreateIssue(jiratest.Issue{Summary: "Printer", Description: jiratest.Doc("It is on fire", "Please help")})
	c := newConn(t, f, nil)
	s, store := syncer(t, c, ticketsync.ModeWebhook)
	f.Advance(time.Minute)
	cid := f.AddComment(is.ID, jiratest.Comment{Body: jiratest.Doc("Called the fire brigade"), Public: false})
	d, _ := f.Webhook(jiratest.CommentCreated, is.ID, cid)
	if code := deliver(t, s, d, testSecret); code != http.StatusOK {
		t.Fatalf("comment delivery answered %d", code)
	}
	got, err := store.Ticket(context.Background(), "acme-jira", strconv.FormatInt(is.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "It is on fire\n\nPlease help" {
		t.Errorf("Description %q", got.Description)
	}
	if n := len(got.Comments); n != 1 || got.Comments[0].Public || got.Comments[0].Body != "Called the fire brigade" {
		t.Errorf("comments %+v, want one internal note", got.Comments)
	}
}

// TestSignMatchesJira checks Sign against Jira's documented scheme,
// "sha256=" and the hex HMAC-SHA256 of the raw body keyed with the secret,
// on the HMAC-SHA256 test vector of RFC 4231 (test case 2): Atlassian
// publishes no vector of its own.
func TestSignMatchesJira(t *testing.T) {
	got := jira.Sign("Jefe", []byte("what do ya want for nothing?"))
	if want := "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerifyWebhook(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	is := f.CreateIssue(jiratest.Issue{Summary: "x"})
	d, _ := f.Webhook(jiratest.IssueUpdated, is.ID, 0)
	rotating := newConn(t, f, func(cfg *jira.Config) {
		cfg.WebhookSecret = "new-secret-1"
		cfg.WebhookSecrets = []string{"old-secret-0"}
	})
	noSecret := newConn(t, f, func(cfg *jira.Config) { cfg.WebhookSecret = "" })
	for _, tc := range []struct {
		name   string
		c      *jira.Connector
		secret string
		edit   func(r *http.Request, body []byte) []byte
		ok     bool
	}{
		{"new secret", rotating, "new-secret-1", nil, true},
		{"old secret during rotation", rotating, "old-secret-0", nil, true},
		{"unknown secret", rotating, "guess", nil, false},
		{"unsigned", rotating, "", nil, false},
		{"body changed", rotating, "new-secret-1", func(_ *http.Request, b []byte) []byte { return append(b, ' ') }, false},
		{"uppercase hex", rotating, "new-secret-1", func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Hub-Signature", "sha256="+strings.ToUpper(strings.TrimPrefix(r.Header.Get("X-Hub-Signature"), "sha256=")))
			return b
		}, true},
		{"sha1 prefix", rotating, "new-secret-1", func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Hub-Signature", "sha1="+strings.TrimPrefix(r.Header.Get("X-Hub-Signature"), "sha256="))
			return b
		}, false},
		{"no secret configured", noSecret, "anything", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := d.Request(hookURL, tc.secret)
			body := d.Body
			if tc.edit != nil {
				body = tc.edit(req, append([]byte(nil), body...))
			}
			err := tc.c.VerifyWebhook(req, body)
			switch {
			case tc.ok && err != nil:
				t.Errorf("VerifyWebhook: %v", err)
			case !tc.ok && err == nil:
				t.Error("VerifyWebhook accepted it")
			case !tc.ok && !errors.Is(err, ticketsync.ErrInvalidSignature):
				t.Errorf("VerifyWebhook: %v; want ErrInvalidSignature", err)
			case err != nil && (strings.Contains(err.Error(), "secret-") || strings.Contains(err.Error(), req.Header.Get("X-Hub-Signature")) && req.Header.Get("X-Hub-Signature") != ""):
				t.Errorf("the error repeats a secret or the signature: %v", err)
			}
		})
	}
	if jira.Sign("new-secret-1", d.Body) != jiratest.Sign("new-secret-1", d.Body) {
		t.Error("jira.Sign and jiratest.Sign disagree")
	}
}

func TestParseWebhook(t *testing.T) {
	c := newConn(t, jiratest.NewServer(t, nil), nil)
	for _, tc := range []struct {
		body string
		want []ticketsync.Event
		err  bool
	}{
		{`{"timestamp":1772442000000,"webhookEvent":"jira:issue_created","issue":{"id":"10001","key":"SUP-1"}}`,
			[]ticketsync.Event{{Kind: ticketsync.EventCreated, TicketID: "10001", At: time.UnixMilli(1772442000000).UTC()}}, false},
		{`{"timestamp":1,"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_commented","issue":{"id":10002}}`,
			[]ticketsync.Event{{Kind: ticketsync.EventUpdated, TicketID: "10002", At: time.UnixMilli(1).UTC()}}, false},
		{`{"timestamp":2,"webhookEvent":"jira:issue_deleted","issue":{"id":"10003"}}`,
			[]ticketsync.Event{{Kind: ticketsync.EventDeleted, TicketID: "10003", At: time.UnixMilli(2).UTC()}}, false},
		{`{"timestamp":3,"webhookEvent":"comment_deleted","comment":{"id":"5"},"issue":{"id":"10004"}}`,
			[]ticketsync.Event{{Kind: ticketsync.EventCommented, TicketID: "10004", At: time.UnixMilli(3).UTC()}}, false},
		{`{"timestamp":4,"webhookEvent":"worklog_created","worklog":{"issueId":"10004"}}`, nil, false},
		{`{"timestamp":5,"webhookEvent":"jira:issue_updated"}`, nil, true},
		{`{"timestamp":5,"webhookEvent":"jira:issue_updated","issue":{"id":"SUP-1"}}`, nil, true},
		{`{"issue":{"id":"1"}}`, nil, true},
		{`not json`, nil, true},
	} {
		got, err := c.ParseWebhook([]byte(tc.body))
		if (err != nil) != tc.err {
			t.Errorf("ParseWebhook(%s) error %v, want error %t", tc.body, err, tc.err)
			continue
		}
		if err != nil && strings.Contains(err.Error(), "SUP-1") {
			t.Errorf("the error echoes the payload: %v", err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("ParseWebhook(%s) = %+v, want %+v", tc.body, got, tc.want)
			continue
		}
		for i := range got {
			if got[i].Kind != tc.want[i].Kind || got[i].TicketID != tc.want[i].TicketID || !got[i].At.Equal(tc.want[i].At) || got[i].Ticket != nil {
				t.Errorf("ParseWebhook(%s)[%d] = %+v, want %+v", tc.body, i, got[i], tc.want[i])
			}
		}
	}
}
