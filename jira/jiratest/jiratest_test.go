package jiratest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// call sends a request to the fake with its credentials (or none when
// anon) and decodes a JSON answer.
func call(t *testing.T, s *Server, method, path string, body any, anon bool) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	if !anon {
		req.SetBasicAuth(s.Email(), s.Token())
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, resp.Header, out
}

func search(t *testing.T, s *Server, body map[string]any) (int, map[string]any) {
	t.Helper()
	code, _, out := call(t, s, "POST", "/rest/api/3/search/jql", body, false)
	return code, out
}

func issuesOf(out map[string]any) []map[string]any {
	var list []map[string]any
	for _, v := range out["issues"].([]any) {
		list = append(list, v.(map[string]any))
	}
	return list
}

func messages(out map[string]any) string {
	b, _ := json.Marshal(out["errorMessages"])
	return string(b)
}

func TestJQLRefusesWhatItDoesNotKnow(t *testing.T) {
	s := NewServer(t, nil)
	for _, tc := range []struct{ jql, want string }{
		{"", "Unbounded"},
		{"ORDER BY key DESC", "Unbounded"},
		{"summary ~ printer", "Field 'summary' does not exist"},
		{`project = SUP AND updated >= "yesterday"`, "Date value 'yesterday'"},
		{`project = SUP AND updated >= "2026/13/01"`, "Date value"},
		{`project ~ SUP`, "operator '~' is not supported"},
		{`project = NOPE`, "The value 'NOPE' does not exist for the field 'project'"},
		{`project = SUP ORDER BY summary`, "Not able to sort using field 'summary'"},
		{`project = SUP ORDER BY updated, created, key, id, updated, created, key, id`, "maximum of 7"},
		{`project = SUP AND (updated >= -1d`, "Expecting ')'"},
		{`project in SUP`, "non-list"},
		{`project = "SUP`, "has not been completed"},
		{`project = SUP AND status IS EMPTY`, "not supported by this fake"},
	} {
		code, out := search(t, s, map[string]any{"jql": tc.jql})
		if code != http.StatusBadRequest || !strings.Contains(messages(out), tc.want) {
			t.Errorf("jql %q: %d %s, want 400 with %q", tc.jql, code, messages(out), tc.want)
		}
	}
}

func TestOldSearchIsGone(t *testing.T) {
	s := NewServer(t, nil)
	for _, path := range []string{"/rest/api/3/search?jql=project%3DSUP", "/rest/api/2/search?jql=project%3DSUP"} {
		code, _, out := call(t, s, "GET", path, nil, false)
		if code != http.StatusGone || !strings.Contains(messages(out), "/rest/api/3/search/jql") {
			t.Errorf("GET %s: %d %s, want 410 pointing to /rest/api/3/search/jql", path, code, messages(out))
		}
	}
}

func TestSearchDefaultsAndCaps(t *testing.T) {
	s := NewServer(t, nil)
	for i := range 130 {
		s.CreateIssue(Issue{Summary: "n" + strconv.Itoa(i)})
	}
	// No fields: ids (and keys) only; default page of 50.
	code, out := search(t, s, map[string]any{"jql": "project = SUP"})
	if code != 200 {
		t.Fatalf("search: %d %s", code, messages(out))
	}
	list := issuesOf(out)
	if len(list) != 50 || list[0]["fields"] != nil || list[0]["id"] == nil {
		t.Errorf("default search: %d issues, fields %v; want 50 with ids only", len(list), list[0]["fields"])
	}
	// With fields, at most 100 a page whatever maxResults says.
	_, out = search(t, s, map[string]any{"jql": "project = SUP", "maxResults": 1000, "fields": []string{"summary", "updated"}})
	if n := len(issuesOf(out)); n != 100 || out["isLast"] != false || out["nextPageToken"] == nil {
		t.Errorf("maxResults 1000 with fields: %d issues, isLast %v", n, out["isLast"])
	}
	// Ids only: up to 5000.
	_, out = search(t, s, map[string]any{"jql": "project = SUP", "maxResults": 1000, "fields": []string{"id"}})
	if n := len(issuesOf(out)); n != 130 || out["isLast"] != true || out["nextPageToken"] != nil {
		t.Errorf("ids only: %d issues, isLast %v, token %v", n, out["isLast"], out["nextPageToken"])
	}
	// GET takes the same parameters.
	code, _, got := call(t, s, "GET", "/rest/api/3/search/jql?jql="+url.QueryEscape("project = SUP")+"&fields=summary,updated&maxResults=10", nil, false)
	if code != 200 || len(issuesOf(got)) != 10 || issuesOf(got)[0]["fields"].(map[string]any)["summary"] == nil {
		t.Errorf("GET search: %d, %v", code, got)
	}
	// Unknown body fields are refused, as Jira refuses startAt.
	if code, out := search(t, s, map[string]any{"jql": "project = SUP", "startAt": 50}); code != 400 || !strings.Contains(messages(out), "Invalid request payload") {
		t.Errorf("startAt: %d %s", code, messages(out))
	}
}

func TestPageTokens(t *testing.T) {
	s := NewServer(t, nil)
	for i := range 25 {
		s.CreateIssue(Issue{Summary: "n" + strconv.Itoa(i)})
		s.Advance(time.Second)
	}
	jql := "project = SUP ORDER BY updated ASC, key ASC"
	_, out := search(t, s, map[string]any{"jql": jql, "maxResults": 10, "fields": []string{"updated"}})
	tok, _ := out["nextPageToken"].(string)
	if tok == "" {
		t.Fatal("no token")
	}
	// An issue of the first page changes between pages: the second page
	// is not shifted (the changed issue comes at the end).
	first := issuesOf(out)
	id, _ := strconv.ParseInt(first[0]["id"].(string), 10, 64)
	s.UpdateIssue(id, func(is *Issue) { is.Summary = "changed" })
	seen := map[string]int{}
	for _, is := range first {
		seen[is["id"].(string)]++
	}
	for tok != "" {
		code, out := search(t, s, map[string]any{"jql": jql, "maxResults": 10, "nextPageToken": tok, "fields": []string{"updated"}})
		if code != 200 {
			t.Fatalf("next page: %d %s", code, messages(out))
		}
		for _, is := range issuesOf(out) {
			seen[is["id"].(string)]++
		}
		tok, _ = out["nextPageToken"].(string)
	}
	if len(seen) != 25 || seen[first[0]["id"].(string)] != 2 {
		t.Errorf("paged through %d issues (the changed one %d times), want 25 with the changed one twice", len(seen), seen[first[0]["id"].(string)])
	}
	// A token belongs to its query and expires after 7 days.
	_, out = search(t, s, map[string]any{"jql": jql, "maxResults": 10})
	tok = out["nextPageToken"].(string)
	if code, out := search(t, s, map[string]any{"jql": "project = SUP", "nextPageToken": tok}); code != 400 || !strings.Contains(messages(out), "next page token") {
		t.Errorf("token with another query: %d %s", code, messages(out))
	}
	s.Advance(PageTokenLifetime + time.Minute)
	if code, _ := search(t, s, map[string]any{"jql": jql, "nextPageToken": tok}); code != 400 {
		t.Errorf("expired token: %d, want 400", code)
	}
}

func TestDateLiteralsInUserZone(t *testing.T) {
	// 2026-11-01 in Los Angeles: 01:00-02:00 happens twice.
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC) // 01:00 PDT
	for _, earlier := range []bool{false, true} {
		s := NewServer(t, &Options{TimeZone: "America/Los_Angeles", Start: start, AmbiguousEarlier: earlier})
		for range 12 {
			s.CreateIssue(Issue{Summary: "x"})
			s.Advance(10 * time.Minute) // 08:00Z ... 09:50Z
		}
		count := func(jql string) int {
			_, out := search(t, s, map[string]any{"jql": jql, "fields": []string{"id"}, "maxResults": 100})
			return len(issuesOf(out))
		}
		// "01:30" is 08:30Z (PDT) or 09:30Z (PST).
		want := 3 // 09:30Z, 09:40Z, 09:50Z
		if earlier {
			want = 9 // from 08:30Z
		}
		if got := count(`project = SUP AND updated >= "2026/11/01 01:30"`); got != want {
			t.Errorf("earlier=%t: %d issues since the ambiguous 01:30, want %d", earlier, got, want)
		}
		if got := count(`project = SUP AND updated >= "2026-11-01 00:59"`); got != 12 {
			t.Errorf("%d issues since 00:59 PDT, want 12", got)
		}
		if got := count(`project = SUP AND updated >= ` + strconv.FormatInt(start.Add(time.Hour).UnixMilli(), 10)); got != 6 {
			t.Errorf("%d issues since an epoch-millisecond number, want 6", got)
		}
		if got := count(`project = SUP AND updated >= -15m`); got != 1 {
			t.Errorf("%d issues in the last 15 minutes, want 1", got)
		}
	}
}

func TestIndexLagAndDatabaseFields(t *testing.T) {
	s := NewServer(t, &Options{IndexLag: time.Minute})
	is := s.CreateIssue(Issue{Summary: "v1"})
	count := func() []map[string]any {
		_, out := search(t, s, map[string]any{"jql": "project = SUP", "fields": []string{"summary"}})
		return issuesOf(out)
	}
	if n := len(count()); n != 0 {
		t.Fatalf("a new issue was searchable at once: %d", n)
	}
	s.Advance(time.Minute)
	s.UpdateIssue(is.ID, func(i *Issue) { i.Summary = "v2" })
	got := count()
	// The index still holds v1 but the fields come from the database.
	if len(got) != 1 || got[0]["fields"].(map[string]any)["summary"] != "v2" {
		t.Errorf("after the lag: %v", got)
	}
	s.DeleteIssue(is.ID)
	if n := len(count()); n != 0 {
		t.Errorf("a deleted issue was found: %d", n)
	}
}

func TestAnonymousAnswers(t *testing.T) {
	s := NewServer(t, nil)
	is := s.CreateIssue(Issue{Summary: "secret"})
	s.RevokeToken()
	code, h, out := call(t, s, "POST", "/rest/api/3/search/jql", map[string]any{"jql": "project = SUP"}, false)
	if code != 200 || len(issuesOf(out)) != 0 || h.Get("X-Seraph-LoginReason") != "AUTHENTICATED_FAILED" {
		t.Errorf("search with a revoked token: %d, %v, login reason %q", code, out, h.Get("X-Seraph-LoginReason"))
	}
	code, h, _ = call(t, s, "GET", "/rest/api/3/myself", nil, false)
	if code != 401 || h.Get("X-Seraph-LoginReason") != "AUTHENTICATED_FAILED" {
		t.Errorf("myself with a revoked token: %d %q", code, h.Get("X-Seraph-LoginReason"))
	}
	code, h, out = call(t, s, "POST", "/rest/api/3/issue/bulkfetch", map[string]any{"issueIdsOrKeys": []string{strconv.FormatInt(is.ID, 10)}}, true)
	if code != 200 || len(issuesOf(out)) != 0 || h.Get("X-Seraph-LoginReason") != "" {
		t.Errorf("anonymous bulk fetch without credentials: %d %v %q", code, out, h.Get("X-Seraph-LoginReason"))
	}
}

func TestCommentsAndBulkFetch(t *testing.T) {
	s := NewServer(t, &Options{SearchComments: 2})
	is := s.CreateIssue(Issue{Summary: "chatty"})
	for i := range 150 {
		s.AddComment(is.ID, Comment{Body: Doc("c" + strconv.Itoa(i)), Public: i%2 == 0})
	}
	id := strconv.FormatInt(is.ID, 10)
	_, _, out := call(t, s, "POST", "/rest/api/3/issue/bulkfetch", map[string]any{"issueIdsOrKeys": []string{id, "SUP-1", "99999"}, "fields": []string{"comment"}}, false)
	list := issuesOf(out)
	if len(list) != 1 {
		t.Fatalf("bulk fetch of an id, its key and an unknown id: %d issues", len(list))
	}
	cm := list[0]["fields"].(map[string]any)["comment"].(map[string]any)
	if cm["total"] != 150.0 || len(cm["comments"].([]any)) != 2 {
		t.Errorf("embedded comments: total %v, %d returned", cm["total"], len(cm["comments"].([]any)))
	}
	_, _, page := call(t, s, "GET", "/rest/api/3/issue/"+id+"/comment?startAt=100&maxResults=500", nil, false)
	if page["maxResults"] != 100.0 || len(page["comments"].([]any)) != 50 || page["total"] != 150.0 {
		t.Errorf("comment page: %v max, %d comments", page["maxResults"], len(page["comments"].([]any)))
	}
	first := page["comments"].([]any)[0].(map[string]any)
	if first["jsdPublic"] != true || first["body"].(map[string]any)["type"] != "doc" {
		t.Errorf("comment 100: %v", first)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = strconv.Itoa(i + 1)
	}
	if code, _, _ := call(t, s, "POST", "/rest/api/3/issue/bulkfetch", map[string]any{"issueIdsOrKeys": many}, false); code != 400 {
		t.Errorf("101 ids: %d, want 400", code)
	}
	s.DeleteIssue(is.ID)
	if code, _, _ := call(t, s, "GET", "/rest/api/3/issue/"+id+"/comment", nil, false); code != 404 {
		t.Errorf("comments of a deleted issue: %d, want 404", code)
	}
}

func TestTimesWrittenInUTC(t *testing.T) {
	s := NewServer(t, &Options{TimeZone: "Asia/Kolkata"})
	s.CreateIssue(Issue{Summary: "x"})
	_, out := search(t, s, map[string]any{"jql": "project = SUP", "fields": []string{"updated"}})
	got := issuesOf(out)[0]["fields"].(map[string]any)["updated"].(string)
	if want := s.Now().UTC().Format(timeLayout); got != want || !strings.HasSuffix(got, "+0000") {
		t.Errorf("updated %q, want %q", got, want)
	}
}

func TestRateLimit(t *testing.T) {
	s := NewServer(t, &Options{RateLimit: 5, RateWindow: 10 * time.Second})
	var near string
	for i := range 5 {
		_, h, _ := call(t, s, "GET", "/rest/api/3/myself", nil, false)
		if i == 4 {
			near = h.Get("X-RateLimit-NearLimit")
		}
	}
	code, h, _ := call(t, s, "GET", "/rest/api/3/myself", nil, false)
	if code != 429 || h.Get("Retry-After") == "" || h.Get("RateLimit-Reason") != "jira-burst-based" ||
		h.Get("X-RateLimit-Reset") == "" || h.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("over the limit: %d %v", code, h)
	}
	if near != "true" {
		t.Errorf("X-RateLimit-NearLimit %q on the last allowed request, want true", near)
	}
	if s.EarlyRetries() != 0 {
		t.Errorf("EarlyRetries %d before any retry", s.EarlyRetries())
	}
	call(t, s, "GET", "/rest/api/3/myself", nil, false)
	if s.EarlyRetries() != 1 {
		t.Errorf("EarlyRetries %d after a retry with no wait, want 1", s.EarlyRetries())
	}
}

func TestWebhookDelivery(t *testing.T) {
	s := NewServer(t, nil)
	is := s.CreateIssue(Issue{Summary: "hooked", Description: Doc("Line one", "Line two")})
	d, ok := s.Webhook(IssueUpdated, is.ID, 0)
	if !ok {
		t.Fatal("no delivery")
	}
	req, err := d.Request("https://example.com/hook", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("X-Hub-Signature") != Sign("s3cret", d.Body) || !strings.HasPrefix(req.Header.Get("X-Hub-Signature"), "sha256=") {
		t.Errorf("signature %q", req.Header.Get("X-Hub-Signature"))
	}
	retry, _ := d.Retried().Request("https://example.com/hook", "s3cret")
	if retry.Header.Get("X-Atlassian-Webhook-Identifier") != req.Header.Get("X-Atlassian-Webhook-Identifier") || retry.Header.Get("X-Atlassian-Webhook-Retry") != "1" {
		t.Errorf("retry headers %v", retry.Header)
	}
	var p struct {
		WebhookEvent string `json:"webhookEvent"`
		Timestamp    int64  `json:"timestamp"`
		Issue        struct {
			ID     string `json:"id"`
			Self   string `json:"self"`
			Fields struct {
				Description any `json:"description"`
			} `json:"fields"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(d.Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.WebhookEvent != IssueUpdated || p.Timestamp != s.Now().UnixMilli() || !strings.Contains(p.Issue.Self, "/rest/api/2/issue/") ||
		p.Issue.Fields.Description != "Line one\n\nLine two" {
		t.Errorf("payload %+v", p)
	}
	s.DeleteIssue(is.ID)
	if _, ok := s.Webhook(IssueDeleted, is.ID, 0); !ok {
		t.Error("no delete delivery for a deleted issue")
	}
	if _, ok := s.Webhook(IssueDeleted, 424242, 0); ok {
		t.Error("a delivery about an issue that never existed")
	}
}
