package intercomtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/intercom/intercomtest"
)

// call sends a request to base with the token and version, and decodes
// the JSON answer.
func call(t *testing.T, s *intercomtest.Server, base, token, version, method, path string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if version != "" {
		req.Header.Set("Intercom-Version", version)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: %d, body is not JSON: %v", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode, resp.Header, out
}

func seeded(t *testing.T, opts *intercomtest.Options, convs, tickets, parts int) *intercomtest.Server {
	t.Helper()
	s := intercomtest.NewServer(t, opts)
	if _, _, err := s.Seed(convs, tickets, parts); err != nil {
		t.Fatal(err)
	}
	return s
}

func errorCode(body map[string]any) string {
	if body["type"] != "error.list" {
		return ""
	}
	errs, _ := body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestAuthRegionsAndVersions(t *testing.T) {
	s := seeded(t, &intercomtest.Options{Region: "EU"}, 1, 1, 1)
	status, _, body := call(t, s, s.URL, "", "2.14", "GET", "/me", nil)
	if status != 401 || errorCode(body) != "unauthorized" {
		t.Errorf("no token: %d %v, want 401 unauthorized", status, body)
	}
	status, _, body = call(t, s, s.URL, s.Token(), "2.14", "GET", "/me", nil)
	app, _ := body["app"].(map[string]any)
	if status != 200 || body["type"] != "admin" || app["region"] != "EU" || app["id_code"] != s.AppID() {
		t.Errorf("GET /me: %d %v", status, body)
	}
	if status, _, body = call(t, s, s.RegionURL("US"), s.Token(), "2.14", "GET", "/me", nil); status != 401 || errorCode(body) != "unauthorized" {
		t.Errorf("the EU token on the US host: %d %v, want 401", status, body)
	}
	if status, _, body = call(t, s, s.URL, s.Token(), "3.0", "GET", "/me", nil); status != 400 {
		t.Errorf("Intercom-Version 3.0: %d %v, want 400", status, body)
	}
	// ticket_state is a string before 2.12 (and without the header, the
	// app's default version 2.11 applies), an object from 2.12 on.
	for _, tc := range []struct {
		version string
		object  bool
	}{{"2.11", false}, {"", false}, {"2.12", true}, {"2.14", true}} {
		_, _, tk := call(t, s, s.URL, s.Token(), tc.version, "GET", "/tickets/1", nil)
		_, isObject := tk["ticket_state"].(map[string]any)
		_, isString := tk["ticket_state"].(string)
		if isObject != tc.object || isString == tc.object {
			t.Errorf("version %q: ticket_state = %#v", tc.version, tk["ticket_state"])
		}
	}
	s.AddToken("no-conversations", intercomtest.PermReadTickets)
	if status, _, body = call(t, s, s.URL, "no-conversations", "2.14", "GET", "/conversations/1", nil); status != 403 || errorCode(body) != "token_unauthorized" {
		t.Errorf("a token without read_conversations: %d %v, want 403 token_unauthorized", status, body)
	}
}

// search pages through a search and returns the ids in the order served,
// failing on duplicates.
func search(t *testing.T, s *intercomtest.Server, path string, query any, perPage int) (ids []string, pages int) {
	t.Helper()
	after := ""
	seen := map[string]bool{}
	for {
		pagination := map[string]any{"per_page": perPage}
		if after != "" {
			pagination["starting_after"] = after
		}
		status, _, body := call(t, s, s.URL, s.Token(), "2.14", "POST", path, map[string]any{"query": query, "pagination": pagination})
		if status != 200 {
			t.Fatalf("POST %s: %d %v", path, status, body)
		}
		pages++
		key := "conversations"
		if strings.HasPrefix(path, "/tickets") {
			key = "tickets"
		}
		items, _ := body[key].([]any)
		if len(items) > intercomtest.MaxPerPage {
			t.Fatalf("a page of %d items, more than %d", len(items), intercomtest.MaxPerPage)
		}
		for _, it := range items {
			m := it.(map[string]any)
			id := m["id"].(string)
			if seen[id] {
				t.Fatalf("%s returned %s twice", path, id)
			}
			seen[id] = true
			ids = append(ids, id)
			if _, ok := m["conversation_parts"]; ok {
				t.Fatalf("a search result carries conversation_parts")
			}
			if _, ok := m["ticket_parts"]; ok {
				t.Fatalf("a search result carries ticket_parts")
			}
		}
		pg, _ := body["pages"].(map[string]any)
		next, _ := pg["next"].(map[string]any)
		if next == nil {
			return ids, pages
		}
		after, _ = next["starting_after"].(string)
	}
}

func TestSearchPagesCapsAndOrder(t *testing.T) {
	s := seeded(t, nil, 400, 20, 1)
	all := map[string]any{"field": "updated_at", "operator": ">", "value": 0}
	ids, pages := search(t, s, "/conversations/search", all, 500)
	if len(ids) != 400 || pages != 3 {
		t.Errorf("per_page 500 served %d conversations in %d pages, want 400 in 3 pages of at most 150", len(ids), pages)
	}
	numeric := func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	}
	if slices.IsSortedFunc(ids, numeric) || slices.IsSortedFunc(ids, func(a, b string) int { return numeric(b, a) }) {
		t.Errorf("search results come in id order; the fake must not promise an order")
	}
	tickets, _ := search(t, s, "/tickets/search", all, 150)
	if len(tickets) != 20 {
		t.Errorf("ticket search served %d tickets, want 20", len(tickets))
	}
}

func TestSearchOperators(t *testing.T) {
	s := intercomtest.NewServer(t, nil)
	a := s.AddAdmin(intercomtest.Admin{Name: "A", Email: "a@example.com"})
	ct := s.AddContact(intercomtest.Contact{Name: "C", Email: "c@example.com"})
	first, _ := s.CreateConversation(intercomtest.NewConversation{Body: "<p>I need support</p>", ContactID: ct, SourceType: "email"})
	t0 := s.Now().Unix()
	s.Advance(time.Second)
	second, _ := s.CreateConversation(intercomtest.NewConversation{Body: "<p>Billing</p>", ContactID: ct, Assignee: a, Tags: []string{"vip"}})
	cases := []struct {
		name  string
		query any
		want  []string
	}{
		{"> is strict at the second", map[string]any{"field": "updated_at", "operator": ">", "value": t0}, []string{second}},
		{"> one second earlier", map[string]any{"field": "updated_at", "operator": ">", "value": strconv.FormatInt(t0-1, 10)}, []string{first, second}},
		{"<", map[string]any{"field": "created_at", "operator": "<", "value": t0 + 1}, []string{first}},
		{"= on source.type", map[string]any{"field": "source.type", "operator": "=", "value": "email"}, []string{first}},
		{"IN on ids", map[string]any{"field": "id", "operator": "IN", "value": []string{second, "999"}}, []string{second}},
		{"~ contains", map[string]any{"field": "source.body", "operator": "~", "value": "support"}, []string{first}},
		{"AND group", map[string]any{"operator": "AND", "value": []any{
			map[string]any{"field": "contact_ids", "operator": "=", "value": ct},
			map[string]any{"field": "admin_assignee_id", "operator": "=", "value": a}}}, []string{second}},
		{"OR group", map[string]any{"operator": "OR", "value": []any{
			map[string]any{"field": "id", "operator": "=", "value": first},
			map[string]any{"field": "id", "operator": "=", "value": second}}}, []string{first, second}},
	}
	for _, tc := range cases {
		ids, _ := search(t, s, "/conversations/search", tc.query, 150)
		slices.Sort(ids)
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(ids, want) {
			t.Errorf("%s: %v, want %v", tc.name, ids, want)
		}
	}
	bad := []any{
		map[string]any{"field": "updated_at", "operator": "~", "value": "x"},
		map[string]any{"field": "updated_at", "operator": ">=", "value": t0},
		map[string]any{"field": "no_such_field", "operator": "=", "value": "x"},
		map[string]any{"operator": "AND", "value": []any{map[string]any{"operator": "OR", "value": []any{
			map[string]any{"operator": "AND", "value": []any{map[string]any{"field": "id", "operator": "=", "value": "1"}}}}}}},
	}
	for _, q := range bad {
		status, _, body := call(t, s, s.URL, s.Token(), "2.14", "POST", "/conversations/search", map[string]any{"query": q})
		if status != 400 || errorCode(body) == "" {
			t.Errorf("query %v: %d %v, want 400 with an error.list", q, status, body)
		}
	}
}

func TestReadsCapPartsAndDeletes(t *testing.T) {
	s := intercomtest.NewServer(t, nil)
	a := s.AddAdmin(intercomtest.Admin{Name: "A", Email: "a@example.com"})
	ct := s.AddContact(intercomtest.Contact{Name: "C", Email: "c@example.com"})
	id, _ := s.CreateConversation(intercomtest.NewConversation{Body: "<p>Hi</p>", ContactID: ct})
	var last string
	for i := range 700 {
		last, _ = s.Reply(id, intercomtest.Author{Type: intercomtest.AuthorAdmin, ID: a}, fmt.Sprintf("<p>%d</p>", i))
	}
	status, _, body := call(t, s, s.URL, s.Token(), "2.14", "GET", "/conversations/"+id, nil)
	parts := body["conversation_parts"].(map[string]any)
	list := parts["conversation_parts"].([]any)
	if status != 200 || len(list) != intercomtest.DefaultPartsLimit || parts["total_count"] != float64(700) {
		t.Fatalf("GET a conversation of 700 parts: %d, %d parts, total_count %v", status, len(list), parts["total_count"])
	}
	if list[len(list)-1].(map[string]any)["id"] != last {
		t.Errorf("the parts returned are not the most recent")
	}
	if err := s.DeleteConversation(id); err != nil {
		t.Fatal(err)
	}
	if status, _, body = call(t, s, s.URL, s.Token(), "2.14", "GET", "/conversations/"+id, nil); status != 404 || errorCode(body) != "not_found" {
		t.Errorf("a deleted conversation: %d %v, want 404", status, body)
	}
	if ids, _ := search(t, s, "/conversations/search", map[string]any{"field": "updated_at", "operator": ">", "value": 0}, 150); len(ids) != 0 {
		t.Errorf("search still finds a deleted conversation: %v", ids)
	}
}

func TestIndexLagAndContactSearchLag(t *testing.T) {
	s := intercomtest.NewServer(t, &intercomtest.Options{IndexLag: 5 * time.Second, ContactSearchLag: time.Minute})
	ct := s.AddContact(intercomtest.Contact{Name: "C", Email: "c@example.com"})
	id, _ := s.CreateConversation(intercomtest.NewConversation{Body: "<p>Hi</p>", ContactID: ct})
	all := map[string]any{"field": "updated_at", "operator": ">", "value": 0}
	if ids, _ := search(t, s, "/conversations/search", all, 150); len(ids) != 0 {
		t.Errorf("a conversation is searchable before the index lag: %v", ids)
	}
	if status, _, _ := call(t, s, s.URL, s.Token(), "2.14", "GET", "/conversations/"+id, nil); status != 200 {
		t.Errorf("a read by id during the index lag: %d", status)
	}
	s.Advance(5 * time.Second)
	if ids, _ := search(t, s, "/conversations/search", all, 150); len(ids) != 1 {
		t.Errorf("after the lag, search finds %v", ids)
	}
	q := map[string]any{"query": map[string]any{"field": "id", "operator": "IN", "value": []string{ct}}}
	if _, _, body := call(t, s, s.URL, s.Token(), "2.14", "POST", "/contacts/search", q); len(body["data"].([]any)) != 0 {
		t.Errorf("a new contact is found by search at once")
	}
	s.Advance(time.Minute)
	if _, _, body := call(t, s, s.URL, s.Token(), "2.14", "POST", "/contacts/search", q); len(body["data"].([]any)) != 1 {
		t.Errorf("a contact is not found by search after the lag")
	}
}

func TestRateWindowsAndFaults(t *testing.T) {
	s := seeded(t, &intercomtest.Options{RateLimit: 60}, 1, 0, 0) // 10 per 10-second window
	for i := range 10 {
		status, h, _ := call(t, s, s.URL, s.Token(), "2.14", "GET", "/me", nil)
		if status != 200 || h.Get("X-RateLimit-Limit") != "10" || h.Get("X-RateLimit-Remaining") != strconv.Itoa(9-i) {
			t.Fatalf("request %d: %d, limit %q, remaining %q", i, status, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"))
		}
	}
	status, h, body := call(t, s, s.URL, s.Token(), "2.14", "GET", "/me", nil)
	reset, _ := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if status != 429 || errorCode(body) != "rate_limit_exceeded" || h.Get("Retry-After") != "" || reset <= s.Now().Unix() || reset > s.Now().Add(10*time.Second).Unix() {
		t.Errorf("past the window: %d %v, Retry-After %q, reset %d (now %d)", status, body, h.Get("Retry-After"), reset, s.Now().Unix())
	}
	s.Advance(10 * time.Second)
	if status, _, _ := call(t, s, s.URL, s.Token(), "2.14", "GET", "/me", nil); status != 200 {
		t.Errorf("after the reset: %d", status)
	}
	s.RateLimited(1, 3*time.Second)
	status, h, _ = call(t, s, s.URL, s.Token(), "2.14", "GET", "/me", nil)
	if status != 429 || h.Get("X-RateLimit-Reset") != strconv.FormatInt(s.Now().Add(3*time.Second).Unix(), 10) {
		t.Errorf("RateLimited: %d, reset %q", status, h.Get("X-RateLimit-Reset"))
	}
	s.InjectFault(intercomtest.Fault{Status: 503})
	if status, _, body := call(t, s, s.URL, s.Token(), "2.14", "GET", "/me", nil); status != 503 || body["type"] != "error.list" {
		t.Errorf("an injected 503: %d %v", status, body)
	}
}

func TestWebhooksAreSignedNotifications(t *testing.T) {
	s := seeded(t, nil, 1, 1, 0)
	notes := s.TakeNotifications()
	if len(notes) == 0 || notes[0].Topic != "conversation.user.created" {
		t.Fatalf("notifications %+v", notes)
	}
	req, body := s.WebhookRequest("https://example.test/hook", notes[0])
	if got := req.Header.Get("X-Hub-Signature"); got != intercomtest.Sign(s.ClientSecret(), body) || !strings.HasPrefix(got, "sha1=") || len(got) != 45 {
		t.Errorf("X-Hub-Signature %q", got)
	}
	var n map[string]any
	_ = json.Unmarshal(body, &n)
	if n["type"] != "notification_event" || n["app_id"] != s.AppID() || n["topic"] != "conversation.user.created" {
		t.Errorf("envelope %v", n)
	}
	_ = s.DeleteConversation(notes[0].ItemID)
	del := s.TakeNotifications()
	_, body = s.WebhookRequest("https://example.test/hook", del[len(del)-1])
	_ = json.Unmarshal(body, &n)
	item := n["data"].(map[string]any)["item"].(map[string]any)
	if n["topic"] != "conversation.deleted" || len(item) != 2 || item["id"] != notes[0].ItemID {
		t.Errorf("a conversation.deleted carries %v, want only its type and id", item)
	}
}
