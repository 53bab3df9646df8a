package intercom_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/intercom"
	"github.com/ticketsync/ticketsync/intercom/intercomtest"
)

// TestSignMatchesIntercom checks the signature against a known HMAC-SHA1
// vector, in the shape Intercom's "Signed notifications" page shows:
// "sha1=" and 40 lowercase hex digits.
func TestSignMatchesIntercom(t *testing.T) {
	got := intercom.Sign("key", []byte("The quick brown fox jumps over the lazy dog"))
	if want := "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	body := []byte(`{"type":"notification_event"}`)
	if a, b := intercom.Sign("s3cret", body), intercomtest.Sign("s3cret", body); a != b {
		t.Errorf("the connector signs %s and the fake %s", a, b)
	}
}

func TestVerifyWebhook(t *testing.T) {
	body := []byte(`{"type":"notification_event","topic":"ping"}`)
	newConn := func(secret string, more ...string) *intercom.Connector {
		c, err := intercom.New(intercom.Config{AccessToken: "tok-123456", ClientSecret: secret, ClientSecrets: more})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []struct {
		name string
		conn *intercom.Connector
		sig  string
		ok   bool
	}{
		{"signed with the secret", newConn("new-secret"), intercom.Sign("new-secret", body), true},
		{"signed with an older secret while rotating", newConn("new-secret", "old-secret"), intercom.Sign("old-secret", body), true},
		{"upper-case hex", newConn("new-secret"), "sha1=" + strings.ToUpper(strings.TrimPrefix(intercom.Sign("new-secret", body), "sha1=")), true},
		{"another secret", newConn("new-secret"), intercom.Sign("other-secret", body), false},
		{"a signature of another body", newConn("new-secret"), intercom.Sign("new-secret", []byte(`{}`)), false},
		{"sha256 instead of sha1", newConn("new-secret"), "sha256=" + strings.Repeat("ab", 32), false},
		{"not signed", newConn("new-secret"), "", false},
		{"no secret configured", newConn(""), intercom.Sign("", body), false},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("POST", "/api/webhooks/tickets?connectorId=x", nil)
		if tc.sig != "" {
			r.Header.Set(intercom.SignatureHeader, tc.sig)
		}
		err := tc.conn.VerifyWebhook(r, body)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: VerifyWebhook = %v, want nil", tc.name, err)
		case !tc.ok && !errors.Is(err, ticketsync.ErrInvalidSignature):
			t.Errorf("%s: VerifyWebhook = %v, want ErrInvalidSignature", tc.name, err)
		case err != nil && (strings.Contains(err.Error(), "secret-") || (tc.sig != "" && strings.Contains(err.Error(), tc.sig))):
			t.Errorf("%s: the error %q repeats a secret or the signature", tc.name, err)
		}
	}
}

func TestParseWebhookTopics(t *testing.T) {
	w := newWorkspace(t, nil)
	c := w.connector(t, nil)
	if err := c.Test(t.Context()); err != nil { // learns the workspace's id
		t.Fatal(err)
	}
	conv := w.conversation(t, "Topic")
	at := w.Now().Truncate(time.Second)
	cases := []struct {
		topic, kind string
		want        ticketsync.EventKind
	}{
		{"conversation.user.created", "conversation", ticketsync.EventCreated},
		{"conversation.admin.single.created", "conversation", ticketsync.EventCreated},
		{"conversation.user.replied", "conversation", ticketsync.EventCommented},
		{"conversation.admin.replied", "conversation", ticketsync.EventCommented},
		{"conversation.admin.noted", "conversation", ticketsync.EventCommented},
		{"conversation.admin.closed", "conversation", ticketsync.EventUpdated},
		{"conversation.admin.opened", "conversation", ticketsync.EventUpdated},
		{"conversation.admin.snoozed", "conversation", ticketsync.EventUpdated},
		{"conversation.admin.assigned", "conversation", ticketsync.EventUpdated},
		{"conversation.priority.updated", "conversation", ticketsync.EventUpdated},
		{"conversation_part.tag.created", "conversation", ticketsync.EventUpdated},
		{"conversation.deleted", "conversation", ticketsync.EventDeleted},
		{"ticket.created", "ticket", ticketsync.EventCreated},
		{"ticket.state.updated", "ticket", ticketsync.EventUpdated},
		{"ticket.admin.replied", "ticket", ticketsync.EventCommented},
		{"ticket.note.created", "ticket", ticketsync.EventCommented},
		{"ticket.deleted", "ticket", ticketsync.EventDeleted},
	}
	for _, tc := range cases {
		events, err := c.ParseWebhook(w.Body(w.NotificationFor(tc.topic, tc.kind, conv)))
		if err != nil {
			t.Errorf("%s: %v", tc.topic, err)
			continue
		}
		want := ticketsync.Event{Kind: tc.want, TicketID: intercom.TicketID(tc.kind, conv), At: at}
		if len(events) != 1 || events[0].Kind != want.Kind || events[0].TicketID != want.TicketID || !events[0].At.Equal(at) || events[0].Ticket != nil {
			t.Errorf("%s: events %+v, want [%+v] without a ticket", tc.topic, events, want)
		}
	}
	for _, body := range []string{
		`{"type":"notification_event","topic":"contact.user.created","app_id":"` + w.AppID() + `","data":{"item":{"type":"contact","id":"6762f0"}}}`,
		`{"type":"notification_event","topic":"conversation.admin.replied","app_id":"another-workspace","data":{"item":{"type":"conversation","id":"1"}}}`,
		string(w.Body(w.Ping())),
	} {
		if events, err := c.ParseWebhook([]byte(body)); err != nil || len(events) != 0 {
			t.Errorf("ParseWebhook(%.60s…) = %v, %v; want no events and no error", body, events, err)
		}
	}
	for _, body := range []string{`not json`, `{"type":"conversation","id":"1"}`,
		`{"type":"notification_event","topic":"conversation.admin.replied","data":{"item":{"type":"conversation"}}}`,
		`{"type":"notification_event","topic":"conversation.admin.replied","data":{"item":{"type":"conversation","id":"12a"}}}`} {
		if _, err := c.ParseWebhook([]byte(body)); err == nil {
			t.Errorf("ParseWebhook(%s) returned no error", body)
		} else if strings.Contains(err.Error(), "12a") {
			t.Errorf("the error %q echoes the payload", err)
		}
	}
}
