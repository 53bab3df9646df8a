package zendesktest_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// The tests of this file check the behaviours in which Zendesk is less
// kind than a client may hope, as the package doc lists them.

// events returns the ticket_events page at start with q's extras.
func events(t *testing.T, s *zendesktest.Server, start time.Time, extra map[string]string) result {
	t.Helper()
	q := startTime(start)
	q.Set("include", "comment_events")
	for k, v := range extra {
		q.Set(k, v)
	}
	return get(t, s, s.Basic(), "/api/v2/incremental/ticket_events.json", q)
}

func TestSupportTypeScope(t *testing.T) {
	s := newFake(t, nil)
	human, _ := s.CreateTicket(zendesktest.Ticket{Subject: "human", Description: "hi"})
	bot, _ := s.CreateTicket(zendesktest.Ticket{Subject: "bot", Description: "hi", AIAgent: true})
	s.Advance(2 * time.Minute)
	for scope, want := range map[string][]int64{"": {human.ID}, "agent": {human.ID}, "all": {human.ID, bot.ID}, "ai_agent": {bot.ID}} {
		q := startTime(epoch.Add(-time.Hour))
		if scope != "" {
			q.Set("support_type_scope", scope)
		}
		r := get(t, s, s.Basic(), "/api/v2/incremental/tickets/cursor.json", q)
		if got := ticketIDs(r.body); len(got) != len(want) || got[0] != want[0] {
			t.Errorf("tickets with scope %q: %v, want %v", scope, got, want)
		}
		extra := map[string]string{}
		if scope != "" {
			extra["support_type_scope"] = scope
		}
		if n := len(events(t, s, epoch.Add(-time.Hour), extra).body["ticket_events"].([]any)); n != len(want) {
			t.Errorf("events with scope %q: %d, want %d", scope, n, len(want))
		}
	}
	q := startTime(epoch.Add(-time.Hour))
	q.Set("support_type_scope", "bots")
	if r := get(t, s, s.Basic(), "/api/v2/incremental/tickets/cursor.json", q); r.status != http.StatusBadRequest {
		t.Errorf("an unknown scope: %d", r.status)
	}
}

func TestEventPagesWithinOneSecond(t *testing.T) {
	s := newFake(t, nil)
	tk, _ := s.CreateTicket(zendesktest.Ticket{Subject: "import", Description: "first"})
	for i := range 14 {
		if _, err := s.AddComment(tk.ID, zendesktest.Comment{Body: "c" + strconv.Itoa(i), Public: true}); err != nil {
			t.Fatal(err)
		}
	}
	s.Advance(2 * time.Minute)
	first := events(t, s, epoch, map[string]string{"per_page": "10"})
	if n := len(first.body["ticket_events"].([]any)); n != 10 || first.body["end_of_stream"] != false {
		t.Fatalf("a page of 10 in a second of 15: %d events, end %v", n, first.body["end_of_stream"])
	}
	next := first.body["next_page"].(string)
	if !strings.Contains(next, "start_time="+strconv.FormatInt(epoch.Unix(), 10)) {
		t.Fatalf("next_page %s does not repeat the second", next)
	}
	again := getURL(t, s.Basic(), next)
	if again.raw != first.raw {
		t.Error("next_page within one second gave another page; Zendesk answers the same one")
	}
	if n := len(events(t, s, epoch, nil).body["ticket_events"].([]any)); n != 15 {
		t.Errorf("the default page holds %d of the 15 events", n)
	}
}

func TestLargeEventPagesTimeOut(t *testing.T) {
	s := newFake(t, &zendesktest.Options{EventTimeoutAbove: 200})
	s.Seed(3)
	if r := events(t, s, epoch.Add(-2*time.Hour), nil); r.status != http.StatusGatewayTimeout || !strings.Contains(r.raw, "504") {
		t.Errorf("a default page (1000): %d", r.status)
	}
	if r := events(t, s, epoch.Add(-2*time.Hour), map[string]string{"per_page": "200"}); r.status != http.StatusOK {
		t.Errorf("a page of 200: %d", r.status)
	}
}

func TestPrivacyAndRedactionEvents(t *testing.T) {
	s := newFake(t, nil)
	tk, _ := s.CreateTicket(zendesktest.Ticket{Subject: "pay", Description: "hi"})
	c, _ := s.AddComment(tk.ID, zendesktest.Comment{Body: "card 4111 1111 1111 1111\nthanks", Public: true})
	s.Advance(time.Minute)
	if err := s.RedactComment(tk.ID, c.ID, "4111 1111 1111 1111"); err != nil {
		t.Fatal(err)
	}
	if err := s.MakeCommentPrivate(tk.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	s.Advance(2 * time.Minute)
	r := events(t, s, epoch.Add(-time.Hour), nil)
	types := map[string]bool{}
	for _, e := range r.body["ticket_events"].([]any) {
		for _, ch := range e.(map[string]any)["child_events"].([]any) {
			m := ch.(map[string]any)
			types[m["event_type"].(string)] = true
			if m["event_type"] == "CommentPrivacyChange" && (m["public"] != false || int64(m["comment_id"].(float64)) != c.ID) {
				t.Errorf("privacy change event %v", m)
			}
		}
	}
	if !types["CommentPrivacyChange"] || !types["CommentRedactionEvent"] {
		t.Errorf("event types %v", types)
	}
	if strings.Contains(r.raw, "4111") {
		t.Error("the export still shows the redacted text")
	}
	cm := get(t, s, s.Basic(), "/api/v2/tickets/"+strconv.FormatInt(tk.ID, 10)+"/comments.json", nil)
	if strings.Contains(cm.raw, "4111") || !strings.Contains(cm.raw, "▇▇▇▇") {
		t.Errorf("comments after redaction: %s", cm.raw)
	}
	list := cm.body["comments"].([]any)
	last := list[len(list)-1].(map[string]any)
	if last["public"] != false || last["plain_body"] == last["body"] {
		t.Errorf("comment %v: want private, and plain_body unlike body", last)
	}
}

func TestUsersShowMany(t *testing.T) {
	s := newFake(t, nil)
	a, _ := s.CreateUser(zendesktest.User{Role: "agent", Name: "Second Agent"})
	q := map[string][]string{"ids": {strconv.FormatInt(a.ID, 10) + ",999"}}
	r := get(t, s, s.Basic(), "/api/v2/users/show_many.json", q)
	if users := r.body["users"].([]any); r.status != 200 || len(users) != 1 || users[0].(map[string]any)["name"] != "Second Agent" {
		t.Errorf("users/show_many: %d %s", r.status, r.raw)
	}
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = strconv.Itoa(i + 1)
	}
	if r := get(t, s, s.Basic(), "/api/v2/users/show_many.json", map[string][]string{"ids": {strings.Join(ids, ",")}}); r.status != 400 {
		t.Errorf("101 ids: %d", r.status)
	}
}

func TestPlaceholderTimesToTheMinute(t *testing.T) {
	s := newFake(t, nil)
	tk := s.Seed(1)[0]
	body, err := s.TriggerPayload(tk.ID, `{"at":"{{ticket.updated_at_with_timestamp}}"}`)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"at":"` + tk.UpdatedAt.UTC().Format("2006-01-02T15:04Z") + `"}`; string(body) != want {
		t.Errorf("rendered %s, want %s", body, want)
	}
}
