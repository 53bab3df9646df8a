package freshdesk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/freshdesk"
	"github.com/ticketsync/ticketsync/freshdesk/freshdesktest"
	"github.com/ticketsync/ticketsync/memstore"
)

func TestVerifyWebhook(t *testing.T) {
	f := newFake(t, nil)
	tickets := f.Seed(3)
	c := connector(t, f, nil)
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add("fd", c, ticketsync.ModeWebhook); err != nil {
		t.Fatal(err)
	}
	body, err := f.RenderTemplate(freshdesk.RecommendedWebhookTemplate, tickets[0].ID, "{ticket_action:created}")
	if err != nil {
		t.Fatal(err)
	}
	for name, auth := range map[string]freshdesktest.WebhookAuth{
		"no token":         {},
		"wrong token":      {Header: http.Header{"X-Ticketsync-Token": {"guess"}}},
		"token elsewhere":  {Header: http.Header{"X-Webhook-Token": {kitToken}}},
		"basic not set up": {Username: "freshdesk", Password: kitToken},
	} {
		req, err := f.Delivery("http://example.test/api/webhooks/tickets?connectorId=fd", body, auth)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		s.WebhookHandler().ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s: answered %d, want 401", name, w.Code)
		}
		if strings.Contains(w.Body.String(), kitToken) {
			t.Errorf("%s: the answer holds the token", name)
		}
	}
	if n := store.Len("fd"); n != 0 {
		t.Errorf("refused deliveries stored %d tickets", n)
	}
}

// TestParseWebhookTemplatesThroughSyncer delivers the recommended template and
// the Advanced shape, with a token and with Basic credentials, through the
// Syncer's handler: each ticket is loaded and stored as the fake holds it.
func TestParseWebhookTemplatesThroughSyncer(t *testing.T) {
	f := newFake(t, nil)
	waiting := f.AddStatus("Waiting on Customer", "")
	tickets := f.Seed(6)
	c := connector(t, f, &freshdesk.Config{Domain: f.Domain, RequestsPerMinute: -1, ListRequestsPerMinute: -1,
		WebhookTokens: []string{"old-token-123456", kitToken}, WebhookHeader: "X-Webhook-Token",
		WebhookUsername: "freshdesk", WebhookPassword: "basic-password-98765"})
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add("fd", c, ticketsync.ModeWebhook); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SetStatus(tickets[1].ID, waiting); err != nil {
		t.Fatal(err)
	}
	if err := f.DeleteTicket(tickets[2].ID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		id       int64
		template string
		event    string
		auth     freshdesktest.WebhookAuth
	}{
		{tickets[0].ID, freshdesk.RecommendedWebhookTemplate, "{ticket_action:created}", freshdesktest.WebhookAuth{Header: http.Header{"X-Webhook-Token": {kitToken}}}},
		{tickets[1].ID, freshdesktest.AdvancedTemplate, "{status:{from:2,to:6}}", freshdesktest.WebhookAuth{Header: http.Header{"X-Webhook-Token": {"old-token-123456"}}}},
		{tickets[2].ID, freshdesk.RecommendedWebhookTemplate, "{ticket_action:deleted}", freshdesktest.WebhookAuth{Username: "freshdesk", Password: "basic-password-98765"}},
		{tickets[3].ID, freshdesktest.AdvancedTemplate, "{note_type:public}", freshdesktest.WebhookAuth{Username: "freshdesk", Password: "basic-password-98765"}},
	}
	for _, tc := range cases {
		body, err := f.RenderTemplate(tc.template, tc.id, tc.event)
		if err != nil {
			t.Fatal(err)
		}
		req, err := f.Delivery("http://example.test/api/webhooks/tickets?connectorId=fd", body, tc.auth)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		s.WebhookHandler().ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("delivery about %d (%s): %d %s", tc.id, tc.event, w.Code, w.Body)
		}
	}
	ctx := context.Background()
	wants := map[string]ticketsync.Ticket{}
	for _, w := range want(f) {
		wants[w.ID] = w
	}
	for _, tc := range cases {
		id := strconv.FormatInt(tc.id, 10)
		got, err := store.Ticket(ctx, "fd", id)
		if err != nil {
			t.Fatalf("ticket %s after its delivery: %v", id, err)
		}
		if tc.id == tickets[2].ID {
			if !got.Deleted {
				t.Errorf("ticket %s: deleted on Freshdesk, stored live", id)
			}
			continue
		}
		got.ConnectorID = ""
		if d := diff(wants[id], got); d != "" {
			t.Errorf("ticket %s: %s", id, d)
		}
	}
	got, _ := store.Ticket(ctx, "fd", strconv.FormatInt(tickets[1].ID, 10))
	if got.Status != ticketsync.StatusPending {
		t.Errorf("the Advanced delivery's ticket has status %q, want pending", got.Status)
	}
}

func TestParseWebhookShapes(t *testing.T) {
	c := connector(t, newFake(t, nil), nil)
	for _, tc := range []struct {
		body string
		kind ticketsync.EventKind
		id   string
	}{
		{`{"freshdesk_webhook": {"triggered_event": "{status:{from:4,to:6}}", "ticket_id": "11", "ticket_status": "Waiting on Customer"}}`, ticketsync.EventUpdated, "11"},
		{`{"ticket_id": 12, "triggered_event": "{ticket_action:created}"}`, ticketsync.EventCreated, "12"},
		{`ticket_id=13&triggered_event=%7Bnote_type%3Aprivate%7D`, ticketsync.EventCommented, "13"},
		{`{"ticket_id": "14", "triggered_event": "{ticket_action:deleted}"}`, ticketsync.EventDeleted, "14"},
		{`{"freshdesk_webhook": {"ticket_id": 15, "triggered_event": "{priority:{from:1,to:4}}"}}`, ticketsync.EventUpdated, "15"},
		{`{"ticket_id": "{{ticket.id}}"}`, "", ""},
		{`{}`, "", ""},
	} {
		evs, err := c.ParseWebhook([]byte(tc.body))
		if err != nil {
			t.Errorf("ParseWebhook(%s): %v", tc.body, err)
			continue
		}
		if tc.id == "" {
			if len(evs) != 0 {
				t.Errorf("ParseWebhook(%s) = %+v, want no events", tc.body, evs)
			}
			continue
		}
		if len(evs) != 1 || evs[0].TicketID != tc.id || evs[0].Kind != tc.kind || evs[0].Ticket != nil {
			t.Errorf("ParseWebhook(%s) = %+v, want one id-only %s event about %s", tc.body, evs, tc.kind, tc.id)
		}
	}
	for _, body := range []string{`{"ticket_id": "eleven"}`, `[1]`, `<xml/>`, `{"freshdesk_webhook": 3}`} {
		if _, err := c.ParseWebhook([]byte(body)); err == nil {
			t.Errorf("ParseWebhook(%s) returned no error", body)
		} else if strings.Contains(err.Error(), "eleven") {
			t.Errorf("ParseWebhook's error echoes the payload: %v", err)
		}
	}
}
