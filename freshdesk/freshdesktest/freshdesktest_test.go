package freshdesktest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/freshdesk/freshdesktest"
)

var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func newFake(t *testing.T, opts *freshdesktest.Options) *freshdesktest.Server {
	t.Helper()
	f := freshdesktest.NewServer(t, opts)
	f.SetNow(t0)
	return f
}

// get sends GET path with the API key (or auth, when not empty) and
// returns the answer with its body read.
func get(t *testing.T, f *freshdesktest.Server, path, auth string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth == "" {
		auth = f.Basic()
	}
	if auth != "none" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func ids(t *testing.T, body string) []int64 {
	t.Helper()
	var list []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("list body %.200s: %v", body, err)
	}
	out := make([]int64, len(list))
	for i, x := range list {
		out[i] = x.ID
	}
	return out
}

func TestAuthentication(t *testing.T) {
	f := newFake(t, nil)
	for _, auth := range []string{"none", "Basic d3Jvbmc6WA=="} {
		resp, body := get(t, f, "/api/v2/agents/me", auth)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"code":"invalid_credentials"`) {
			t.Errorf("agents/me with %s: %d %s; want 401 invalid_credentials", auth, resp.StatusCode, body)
		}
	}
	resp, body := get(t, f, "/api/v2/agents/me", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"ticket_scope":1`) {
		t.Errorf("agents/me: %d %s; want 200 with ticket_scope 1", resp.StatusCode, body)
	}
	f.SetTicketScope(3)
	if _, body := get(t, f, "/api/v2/agents/me", ""); !strings.Contains(body, `"ticket_scope":3`) {
		t.Errorf("agents/me after SetTicketScope(3): %s", body)
	}
	free := newFake(t, &freshdesktest.Options{Plan: freshdesktest.PlanFree})
	if resp, body := get(t, free, "/api/v2/tickets", ""); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "require_feature") {
		t.Errorf("tickets on the Free plan: %d %s; want 403 require_feature", resp.StatusCode, body)
	}
}

func TestListDefaultsAndFilters(t *testing.T) {
	f := newFake(t, &freshdesktest.Options{RateLimit: -1, ListRateLimit: -1})
	old := f.GenerateTickets(3, nil) // created 90 days ago
	recent, err := f.CreateTicket(freshdesktest.Ticket{Subject: "new", CreatedAt: t0.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// Without updated_since: only tickets created in the last 30 days.
	if _, body := get(t, f, "/api/v2/tickets", ""); len(ids(t, body)) != 1 || ids(t, body)[0] != recent.ID {
		t.Errorf("list without updated_since = %v, want only %d", ids(t, body), recent.ID)
	}
	if _, body := get(t, f, "/api/v2/tickets?updated_since=2020-01-01T00:00:00Z", ""); len(ids(t, body)) != 4 {
		t.Errorf("list with updated_since = %v, want all 4", ids(t, body))
	}
	if err := f.DeleteTicket(old[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.MarkSpam(old[1].ID); err != nil {
		t.Fatal(err)
	}
	since := "updated_since=2020-01-01T00:00:00Z"
	for q, want := range map[string]int{since: 2, since + "&filter=deleted": 1, since + "&filter=spam": 1} {
		if _, body := get(t, f, "/api/v2/tickets?"+q, ""); len(ids(t, body)) != want {
			t.Errorf("list %s = %v, want %d tickets", q, ids(t, body), want)
		}
	}
	// description only with include=description.
	if _, body := get(t, f, "/api/v2/tickets?"+since, ""); strings.Contains(body, "description_text") {
		t.Error("the list holds descriptions without include=description")
	}
	if _, body := get(t, f, "/api/v2/tickets?"+since+"&include=description", ""); !strings.Contains(body, "description_text") {
		t.Error("the list lacks descriptions with include=description")
	}
	// A trashed ticket is shown with deleted: true; a purged one is 404.
	if resp, body := get(t, f, "/api/v2/tickets/"+itoa(old[0].ID), ""); resp.StatusCode != 200 || !strings.Contains(body, `"deleted":true`) {
		t.Errorf("trashed ticket: %d %s", resp.StatusCode, body)
	}
	if err := f.PurgeTicket(old[0].ID); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, f, "/api/v2/tickets/"+itoa(old[0].ID), ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("purged ticket: %d, want 404", resp.StatusCode)
	}
}

// TestListUpdatedSinceInclusiveOrStrict: updated_since includes the
// tickets updated at that very second, unless Options.StrictSince.
func TestListUpdatedSinceInclusiveOrStrict(t *testing.T) {
	for strict, want := range map[bool]int{false: 2, true: 1} {
		f := newFake(t, &freshdesktest.Options{RateLimit: -1, ListRateLimit: -1, StrictSince: strict})
		at := t0.Add(-time.Hour)
		for _, c := range []time.Time{at.Add(-time.Second), at, at.Add(time.Second)} {
			if _, err := f.CreateTicket(freshdesktest.Ticket{Subject: "s", CreatedAt: c}); err != nil {
				t.Fatal(err)
			}
		}
		q := "/api/v2/tickets?updated_since=" + at.Format(time.RFC3339)
		if _, body := get(t, f, q, ""); len(ids(t, body)) != want {
			t.Errorf("StrictSince %t: list from the second of the middle ticket = %v, want %d tickets", strict, ids(t, body), want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestListPagingAndCap(t *testing.T) {
	f := newFake(t, &freshdesktest.Options{RateLimit: -1, ListRateLimit: -1})
	f.GenerateTickets(250, &freshdesktest.GenerateOptions{Conversations: -1})
	base := "/api/v2/tickets?updated_since=2020-01-01T00:00:00Z&order_by=updated_at&order_type=asc&per_page=100"
	resp, body := get(t, f, base, "")
	first := ids(t, body)
	if len(first) != 100 || !strings.Contains(resp.Header.Get("Link"), `page=2`) || !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
		t.Errorf("page 1: %d tickets, Link %q", len(first), resp.Header.Get("Link"))
	}
	resp, body = get(t, f, base+"&page=3", "")
	if n := len(ids(t, body)); n != 50 || resp.Header.Get("Link") != "" {
		t.Errorf("page 3: %d tickets, Link %q; want 50 and no Link", n, resp.Header.Get("Link"))
	}
	if resp, body := get(t, f, strings.Replace(base, "per_page=100", "per_page=101", 1), ""); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "per_page") {
		t.Errorf("per_page=101: %d %s; want 400", resp.StatusCode, body)
	}
	resp, body = get(t, f, base+"&page=301", "")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "You cannot access tickets beyond the 300th page") {
		t.Errorf("page 301: %d %s; want Freshdesk's 400", resp.StatusCode, body)
	}
	f.CapPages(2)
	if resp, body := get(t, f, base+"&page=3", ""); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "beyond the 2nd page") {
		t.Errorf("page 3 past CapPages(2): %d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, f, "/api/v2/tickets?order_type=sideways", ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("order_type=sideways: %d, want 400", resp.StatusCode)
	}
}

func TestRateLimitsAndCredits(t *testing.T) {
	f := newFake(t, nil) // Growth: 200 credits and 20 list requests a minute
	f.GenerateTickets(5, nil)
	list := "/api/v2/tickets?updated_since=2020-01-01T00:00:00Z&include=requester,description"
	resp, _ := get(t, f, list, "")
	if got := resp.Header.Get("X-RateLimit-Used-CurrentRequest"); got != "5" {
		t.Errorf("a list with two embeds used %q credits, want 5", got)
	}
	if resp.Header.Get("X-RateLimit-Total") != "200" || resp.Header.Get("X-RateLimit-Remaining") != "195" {
		t.Errorf("rate headers: total %q, remaining %q; want 200, 195", resp.Header.Get("X-RateLimit-Total"), resp.Header.Get("X-RateLimit-Remaining"))
	}
	resp, _ = get(t, f, "/api/v2/tickets/1?include=requester", "")
	if got := resp.Header.Get("X-RateLimit-Used-CurrentRequest"); got != "2" {
		t.Errorf("a ticket with one embed used %q credits, want 2", got)
	}
	for i := 0; i < 19; i++ {
		get(t, f, "/api/v2/tickets?updated_since=2020-01-01T00:00:00Z", "")
	}
	resp, _ = get(t, f, "/api/v2/tickets?updated_since=2020-01-01T00:00:00Z", "")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("21st list request in a minute: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp, _ := get(t, f, "/api/v2/tickets/1", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("a ticket request under the list sub-limit: %d, want 200", resp.StatusCode)
	}
	f.Advance(time.Minute)
	if resp, _ := get(t, f, "/api/v2/tickets?updated_since=2020-01-01T00:00:00Z", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("a list request in the next minute: %d, want 200", resp.StatusCode)
	}
}

func TestConversationsAndFields(t *testing.T) {
	f := newFake(t, &freshdesktest.Options{RateLimit: -1, ListRateLimit: -1})
	code := f.AddStatus("Waiting on Customer", "Awaiting your reply")
	tk, err := f.CreateTicket(freshdesktest.Ticket{Subject: "s", Status: code})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := f.AddNote(tk.ID, "note"); err != nil {
			t.Fatal(err)
		}
	}
	resp, body := get(t, f, "/api/v2/tickets/"+itoa(tk.ID)+"/conversations?per_page=2", "")
	if n := len(ids(t, body)); n != 2 || !strings.Contains(resp.Header.Get("Link"), "page=2") || !strings.Contains(body, `"private":true`) {
		t.Errorf("conversations page 1: %d, Link %q, %s", n, resp.Header.Get("Link"), body)
	}
	if _, body := get(t, f, "/api/v2/ticket_fields", ""); !strings.Contains(body, `"6":["Waiting on Customer","Awaiting your reply"]`) {
		t.Errorf("ticket_fields lacks the custom status: %.300s", body)
	}
}

func TestWebhookBuilders(t *testing.T) {
	f := newFake(t, nil)
	code := f.AddStatus("Waiting on Customer", "")
	tk, err := f.CreateTicket(freshdesktest.Ticket{Subject: `Say "hi"`, Status: code, Priority: freshdesktest.PriorityUrgent})
	if err != nil {
		t.Fatal(err)
	}
	body, err := f.RenderTemplate(freshdesktest.AdvancedTemplate, tk.ID, "{status:{from:2,to:6}}")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		W map[string]string `json:"freshdesk_webhook"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("rendered body is not JSON: %v\n%s", err, body)
	}
	if m.W["ticket_status"] != "Waiting on Customer" || m.W["ticket_priority"] != "Urgent" || m.W["ticket_subject"] != `Say "hi"` ||
		m.W["triggered_event"] != "{status:{from:2,to:6}}" || m.W["ticket_id"] != itoa(tk.ID) {
		t.Errorf("rendered %v", m.W)
	}
	req, err := f.Delivery("http://example.test/hook", body, freshdesktest.WebhookAuth{
		Header: http.Header{"X-Ticketsync-Token": {"tok"}}, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if user, pass, ok := req.BasicAuth(); req.Method != http.MethodPost || req.Header.Get("X-Ticketsync-Token") != "tok" || !ok || user != "u" || pass != "p" {
		t.Errorf("delivery: %s, headers %v", req.Method, req.Header)
	}
}

// updated_at is the clock's second: changes within one second leave it
// there, and a ticket changed later never shows an earlier one.
func TestUpdatedAtIsTheClocksSecond(t *testing.T) {
	f := newFake(t, nil)
	f.Advance(500 * time.Millisecond)
	a, err := f.CreateTicket(freshdesktest.Ticket{Subject: "a", DescriptionText: "a"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.CreateTicket(freshdesktest.Ticket{Subject: "b", DescriptionText: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.AddNote(a.ID, "again"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.UpdateTicket(a.ID, func(t *freshdesktest.Ticket) { t.Subject = "a2" }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.AddNote(b.ID, "later"); err != nil {
		t.Fatal(err)
	}
	ga, _ := f.Ticket(a.ID)
	gb, _ := f.Ticket(b.ID)
	sec := f.Now().Truncate(time.Second)
	if !ga.UpdatedAt.Equal(sec) || !gb.UpdatedAt.Equal(sec) {
		t.Errorf("updated_at %s and %s after changes within the second %s", ga.UpdatedAt, gb.UpdatedAt, sec)
	}
}
