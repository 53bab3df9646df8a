package zendesktest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

func TestHoldBackAndResume(t *testing.T) {
	s := newFake(t, nil)
	s.Seed(3)
	first := exportAll(t, s, startTime(epoch.Add(-time.Hour)))
	last := first[len(first)-1]
	if n := len(ticketIDs(last)); n != 3 {
		t.Fatalf("first poll: %d tickets, want 3", n)
	}
	cursor := last["after_cursor"].(string)

	// A change made 30 seconds before the next poll is held back...
	tk, err := s.CreateTicket(zendesktest.Ticket{Subject: "fresh"})
	if err != nil {
		t.Fatal(err)
	}
	s.Advance(30 * time.Second)
	r := get(t, s, s.Basic(), "/api/v2/incremental/tickets/cursor.json", url.Values{"cursor": {cursor}})
	if r.status != 200 || len(ticketIDs(r.body)) != 0 || r.body["end_of_stream"] != true {
		t.Fatalf("within the hold-back: %d %s", r.status, r.raw)
	}
	cursor = r.body["after_cursor"].(string)

	// ...and shows up once it is a minute old, from the cursor of a poll
	// that had reached the end of the stream.
	s.Advance(31 * time.Second)
	r = get(t, s, s.Basic(), "/api/v2/incremental/tickets/cursor.json", url.Values{"cursor": {cursor}})
	if got := ticketIDs(r.body); len(got) != 1 || got[0] != tk.ID {
		t.Fatalf("after the hold-back: got %v, want [%d]: %s", got, tk.ID, r.raw)
	}
	// Nothing is repeated on the poll after.
	s.Advance(time.Minute)
	r = get(t, s, s.Basic(), "/api/v2/incremental/tickets/cursor.json", url.Values{"cursor": {r.body["after_cursor"].(string)}})
	if got := ticketIDs(r.body); len(got) != 0 {
		t.Fatalf("repeated: %v", got)
	}
}

func TestStartTimeTooRecent(t *testing.T) {
	s := newFake(t, nil)
	for path, want := range map[string]struct {
		status int
		code   string
	}{
		"/api/v2/incremental/tickets/cursor.json": {http.StatusUnprocessableEntity, "InvalidValue"},
		"/api/v2/incremental/ticket_events.json":  {http.StatusBadRequest, "StartTimeTooRecent"},
	} {
		r := get(t, s, s.Basic(), path, startTime(epoch.Add(-30*time.Second)))
		if r.status != want.status || r.body["error"] != want.code ||
			!strings.HasPrefix(r.body["description"].(string), "Too recent start_time") {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
		if r := get(t, s, s.Basic(), path, startTime(epoch.Add(-61*time.Second))); r.status != 200 {
			t.Errorf("%s a minute back: %d %s", path, r.status, r.raw)
		}
		if r := get(t, s, s.Basic(), path, nil); r.status != 400 {
			t.Errorf("%s without start_time: %d", path, r.status)
		}
	}
}

func TestDeletedTickets(t *testing.T) {
	s := newFake(t, nil)
	tickets := s.Seed(4)
	victim := tickets[2]
	if err := s.DeleteTicket(victim.ID); err != nil {
		t.Fatal(err)
	}
	s.Advance(2 * time.Minute)
	find := func(q url.Values) map[string]any {
		var found map[string]any
		for _, p := range exportAll(t, s, q) {
			for _, x := range p["tickets"].([]any) {
				if tk := x.(map[string]any); int64(tk["id"].(float64)) == victim.ID {
					found = tk
				}
			}
		}
		return found
	}
	q := startTime(epoch.Add(-time.Hour))
	if tk := find(q); tk == nil || tk["status"] != "deleted" {
		t.Fatalf("deleted ticket in export: %v", tk)
	}
	q.Set("exclude_deleted", "true")
	if tk := find(q); tk != nil {
		t.Fatalf("exclude_deleted kept %v", tk)
	}
	id := strconv.FormatInt(victim.ID, 10)
	for _, path := range []string{"/api/v2/tickets/" + id + ".json", "/api/v2/tickets/" + id + "/comments.json"} {
		r := get(t, s, s.Basic(), path, nil)
		if r.status != 404 || r.body["error"] != "RecordNotFound" {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
	}
	if r := get(t, s, s.Basic(), "/api/v2/tickets/"+strconv.FormatInt(tickets[0].ID, 10), nil); r.status != 200 {
		t.Errorf("live ticket: %d", r.status)
	}
}

func TestExportBudget(t *testing.T) {
	s := newFake(t, nil)
	s.SetNow(epoch.Add(15 * time.Second)) // 45 s left in the minute
	q := startTime(epoch.Add(-time.Hour))
	for i := range zendesktest.DefaultExportRateLimit {
		if r := get(t, s, s.Basic(), "/api/v2/incremental/tickets/cursor", q); r.status != 200 {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	// The budget is shared with the ticket event export.
	r := get(t, s, s.Basic(), "/api/v2/incremental/ticket_events", q)
	if r.status != 429 || r.header.Get("Retry-After") != "45" {
		t.Fatalf("11th export request: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	// Other endpoints are not held by the export budget.
	if r := get(t, s, s.Basic(), "/api/v2/users/me", nil); r.status != 200 {
		t.Fatalf("users/me: %d", r.status)
	}
	s.Advance(45 * time.Second)
	if r := get(t, s, s.Basic(), "/api/v2/incremental/tickets/cursor", q); r.status != 200 {
		t.Fatalf("next minute: %d", r.status)
	}
}

func TestPlanRateLimit(t *testing.T) {
	s := newFake(t, &zendesktest.Options{RateLimit: 3, RateWindow: 10 * time.Second})
	for i, want := range []string{"2", "1", "0"} {
		r := get(t, s, s.Basic(), "/api/v2/users/me", nil)
		if r.status != 200 || r.header.Get("X-Rate-Limit") != "3" || r.header.Get("X-Rate-Limit-Remaining") != want {
			t.Fatalf("request %d: %d %v", i+1, r.status, r.header)
		}
	}
	r := get(t, s, s.Basic(), "/api/v2/users/me", nil)
	if r.status != 429 || r.header.Get("Retry-After") != "10" {
		t.Fatalf("over the limit: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	s.Advance(10 * time.Second)
	r = get(t, s, s.Basic(), "/api/v2/tickets/show_many", url.Values{"ids": {"1"}})
	if r.status != 200 || r.header.Get("ratelimit-remaining") != "2" || r.header.Get("ratelimit-reset") == "" {
		t.Fatalf("list endpoint after the window: %d %v", r.status, r.header)
	}
}

func TestAgentForbiddenFromExports(t *testing.T) {
	s := newFake(t, &zendesktest.Options{Role: "agent"})
	for _, path := range []string{"/api/v2/incremental/tickets/cursor", "/api/v2/incremental/ticket_events"} {
		r := get(t, s, s.Basic(), path, startTime(epoch.Add(-time.Hour)))
		if r.status != 403 || r.body["error"] != "Forbidden" || r.body["description"] == nil {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
	}
	r := get(t, s, s.Basic(), "/api/v2/users/me", nil)
	if user := r.body["user"].(map[string]any); user["role"] != "agent" {
		t.Errorf("users/me role %v", user["role"])
	}
	s.SetRole("admin")
	if r := get(t, s, s.Basic(), "/api/v2/incremental/tickets/cursor", startTime(epoch.Add(-time.Hour))); r.status != 200 {
		t.Errorf("after SetRole admin: %d", r.status)
	}
}

func TestUnknownEndpoint(t *testing.T) {
	s := newFake(t, nil)
	for _, path := range []string{"/api/v2/nothing", "/api/v2/tickets/abc", "/api/v2/tickets/1/audits.json"} {
		r := get(t, s, s.Basic(), path, nil)
		if r.status != 404 || r.body["error"] != "InvalidEndpoint" || r.body["description"] != "Not found" {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
	}
	// Outside the API, the web front's page for an address that is no
	// account.
	for _, path := range []string{"/", "/nosuchaccount/api/v2/users/me.json"} {
		r := get(t, s, s.Basic(), path, nil)
		if r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.raw, "no longer exists") {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
	}
}

func TestCommentPaging(t *testing.T) {
	s := newFake(t, nil)
	tk := s.Seed(1)[0]
	for i := range 249 {
		if _, err := s.AddComment(tk.ID, zendesktest.Comment{Body: "reply " + strconv.Itoa(i), Public: i%5 != 0}); err != nil {
			t.Fatal(err)
		}
	}
	want := s.Comments(tk.ID)
	if len(want) != 250 {
		t.Fatalf("%d comments stored", len(want))
	}
	path := "/api/v2/tickets/" + strconv.FormatInt(tk.ID, 10) + "/comments.json"

	var got []int64
	var pages int
	r := get(t, s, s.Basic(), path, url.Values{"page[size]": {"100"}, "include": {"users"}})
	for {
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		pages++
		for _, x := range r.body["comments"].([]any) {
			got = append(got, int64(x.(map[string]any)["id"].(float64)))
		}
		if len(r.body["users"].([]any)) == 0 {
			t.Fatal("include=users gave no users")
		}
		meta := r.body["meta"].(map[string]any)
		if meta["has_more"] != true {
			break
		}
		r = getURL(t, s.Basic(), r.body["links"].(map[string]any)["next"].(string))
	}
	if pages != 3 || len(got) != 250 {
		t.Fatalf("%d pages, %d comments", pages, len(got))
	}
	for i, c := range want {
		if got[i] != c.ID {
			t.Fatalf("comment %d: id %d, want %d (oldest first)", i, got[i], c.ID)
		}
	}
	if r := get(t, s, s.Basic(), path, url.Values{"page[size]": {"101"}}); r.status != 400 {
		t.Errorf("page[size]=101: %d", r.status)
	}
	// Offset pagination.
	r = get(t, s, s.Basic(), path, url.Values{"page": {"3"}, "per_page": {"100"}})
	if n := len(r.body["comments"].([]any)); n != 50 || r.body["next_page"] != nil || r.body["count"] != float64(250) {
		t.Errorf("offset page 3: %d comments, next %v, count %v", n, r.body["next_page"], r.body["count"])
	}
}

func TestTicketEvents(t *testing.T) {
	s := newFake(t, nil)
	tk, err := s.CreateTicket(zendesktest.Ticket{Subject: "Printer on fire", Description: "It is very colourful."})
	if err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	if _, err := s.AddComment(tk.ID, zendesktest.Comment{AuthorID: s.AdminID(), Body: "internal note", Public: false}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateTicket(tk.ID, func(t *zendesktest.Ticket) { t.Status = "solved" }); err != nil {
		t.Fatal(err)
	}
	s.Advance(90 * time.Second)
	q := startTime(epoch.Add(-time.Hour))
	q.Set("include", "comment_events")
	r := get(t, s, s.Basic(), "/api/v2/incremental/ticket_events.json", q)
	if r.status != 200 || r.body["end_of_stream"] != true {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	events := r.body["ticket_events"].([]any)
	if len(events) != 3 || r.body["count"] != float64(3) {
		t.Fatalf("%d events: %s", len(events), r.raw)
	}
	var bodies []string
	var statusChange bool
	for _, e := range events {
		ev := e.(map[string]any)
		if ev["event_type"] != "Audit" || int64(ev["ticket_id"].(float64)) != tk.ID {
			t.Fatalf("event %v", ev)
		}
		for _, c := range ev["child_events"].([]any) {
			ch := c.(map[string]any)
			if ch["event_type"] == "Comment" {
				bodies = append(bodies, ch["body"].(string))
				if ch["body"] == "internal note" && ch["public"] != false {
					t.Error("internal note shown public")
				}
			}
			if ch["field_name"] == "status" && ch["value"] == "solved" && ch["previous_value"] == "new" {
				statusChange = true
			}
		}
	}
	if !slices.Equal(bodies, []string{"It is very colourful.", "internal note"}) || !statusChange {
		t.Fatalf("comments %q, status change %v", bodies, statusChange)
	}
	if end := int64(r.body["end_time"].(float64)); end != epoch.Add(time.Minute).Unix() {
		t.Errorf("end_time %d", end)
	}
	// Without the sideload a comment is only flagged.
	q.Del("include")
	r = get(t, s, s.Basic(), "/api/v2/incremental/ticket_events.json", q)
	if strings.Contains(r.raw, "internal note") || !strings.Contains(r.raw, `"comment_present":true`) {
		t.Errorf("without comment_events: %s", r.raw)
	}
}

func TestFaults(t *testing.T) {
	s := newFake(t, nil)
	s.Fail(2, 503)
	for i := range 2 {
		if r := get(t, s, s.Basic(), "/api/v2/users/me", nil); r.status != 503 {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	if r := get(t, s, s.Basic(), "/api/v2/users/me", nil); r.status != 200 {
		t.Fatalf("after the faults: %d", r.status)
	}

	s.InjectFault(zendesktest.Fault{Path: "/api/v2/incremental/tickets/cursor.json", Status: 429, RetryAfter: 7 * time.Second})
	if r := get(t, s, s.Basic(), "/api/v2/users/me", nil); r.status != 200 {
		t.Fatalf("other path hit by the fault: %d", r.status)
	}
	r := get(t, s, s.Basic(), "/api/v2/incremental/tickets/cursor.json", startTime(epoch.Add(-time.Hour)))
	if r.status != 429 || r.header.Get("Retry-After") != "7" {
		t.Fatalf("429 fault: %d %q", r.status, r.header.Get("Retry-After"))
	}

	s.InjectFault(zendesktest.Fault{HTMLBody: true})
	r = get(t, s, s.Basic(), "/api/v2/users/me", nil)
	if r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.raw, "<html>") {
		t.Fatalf("html fault: %d %q", r.status, r.header.Get("Content-Type"))
	}

	s.InjectFault(zendesktest.Fault{Truncate: true})
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v2/users/me", nil)
	req.Header.Set("Authorization", s.Basic())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated body read: %v", err)
	}

	// A delay longer than the client waits: the client times out, the
	// server does not hang on to the request.
	s.InjectFault(zendesktest.Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v2/users/me", nil)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("delayed request: %v", err)
	}

	var counted int
	for _, rq := range s.Requests() {
		if rq.Path == "/api/v2/users/me" {
			counted++
		}
	}
	if counted != s.RequestCount("GET", "/api/v2/users/me") || counted < 6 {
		t.Errorf("request log %d, count %d", counted, s.RequestCount("GET", "/api/v2/users/me"))
	}
}

func TestSignedWebhook(t *testing.T) {
	s := newFake(t, nil)
	tk := s.Seed(1)[0]
	if _, err := s.UpdateTicket(tk.ID, func(t *zendesktest.Ticket) { t.Status = "hold" }); err != nil {
		t.Fatal(err)
	}
	body, err := s.EventPayload("ticket.status_changed", tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "s3cr3t-signing-key"
	req, err := s.SignedWebhook("http://host.example/api/webhooks/tickets?connectorId=zd", secret, body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(req.Body)
	ts := req.Header.Get("X-Zendesk-Webhook-Signature-Timestamp")
	if _, err := time.Parse(time.RFC3339, ts); err != nil {
		t.Fatalf("timestamp %q: %v", ts, err)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + string(got)))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if sig := req.Header.Get("X-Zendesk-Webhook-Signature"); sig != want {
		t.Fatalf("signature %q, want %q", sig, want)
	}
	if req.Header.Get("X-Zendesk-Webhook-Id") == "" || req.Header.Get("X-Zendesk-Webhook-Invocation-Id") == "" {
		t.Errorf("ids missing: %v", req.Header)
	}
	// Signed over timestamp+body, not body+timestamp.
	if zendesktest.Sign(secret, ts, got) != want || zendesktest.Sign("other", ts, got) == want {
		t.Error("Sign disagrees")
	}

	var p struct {
		Type   string         `json:"type"`
		Time   string         `json:"time"`
		Detail map[string]any `json:"detail"`
		Event  map[string]any `json:"event"`
	}
	if err := json.Unmarshal(got, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "zen:event-type:ticket.status_changed" || p.Detail["id"] != strconv.FormatInt(tk.ID, 10) ||
		p.Detail["status"] != "HOLD" || p.Event["current"] != "HOLD" || p.Event["previous"] != strings.ToUpper(tk.Status) {
		t.Fatalf("payload %s", got)
	}
	if !strings.Contains(p.Time, ".") {
		t.Errorf("time without fraction: %q", p.Time)
	}

	if err := s.DeleteTicket(tk.ID); err != nil {
		t.Fatal(err)
	}
	body, err = s.EventPayload("zen:event-type:ticket.soft_deleted", tk.ID)
	if err != nil || !strings.Contains(string(body), `"status":"DELETED"`) {
		t.Fatalf("soft_deleted: %v %s", err, body)
	}
}

func TestTriggerPayload(t *testing.T) {
	s := newFake(t, nil)
	tk, err := s.CreateTicket(zendesktest.Ticket{Subject: `Quote "this"`, Description: "line one\nline two", Status: "hold", Priority: "high"})
	if err != nil {
		t.Fatal(err)
	}
	body, err := s.TriggerPayload(tk.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]string
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	if p["ticket_id"] != strconv.FormatInt(tk.ID, 10) || p["status"] != "On-hold" || p["priority"] != "High" ||
		p["subject"] != `Quote "this"` || p["latest_comment"] != "line one\nline two" ||
		p["url"] != s.Subdomain+".zendesk.com/agent/tickets/"+p["ticket_id"] {
		t.Fatalf("payload %v", p)
	}
}
