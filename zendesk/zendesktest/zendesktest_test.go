package zendesktest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

var epoch = time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)

// newFake starts a fake with a stopped clock.
func newFake(t *testing.T, opts *zendesktest.Options) *zendesktest.Server {
	t.Helper()
	s := zendesktest.NewServer(t, opts)
	s.SetNow(epoch)
	return s
}

type result struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// get sends one GET with the given Authorization ("" for none).
func get(t *testing.T, s *zendesktest.Server, auth, path string, q url.Values) result {
	t.Helper()
	u := s.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return getURL(t, auth, u)
}

func getURL(t *testing.T, auth, u string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", u, err)
	}
	r := result{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &r.body); err != nil {
			t.Fatalf("GET %s: %v in %s", u, err, b)
		}
	}
	return r
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func startTime(t time.Time) url.Values {
	return url.Values{"start_time": {strconv.FormatInt(t.Unix(), 10)}}
}

func TestAuth(t *testing.T) {
	s := newFake(t, &zendesktest.Options{OAuthToken: "oauth-secret", Password: "hunter2"})
	cases := []struct {
		name, auth string
		want       int
	}{
		{"api token", s.Basic(), 200},
		{"api token spelled out", basic(s.Email+"/token", s.Token), 200},
		{"password", basic(s.Email, "hunter2"), 200},
		{"bearer", "Bearer oauth-secret", 200},
		{"wrong token", basic(s.Email+"/token", "nope"), 401},
		{"token without /token", basic(s.Email, s.Token), 401},
		{"unknown email", basic("who@example.com/token", s.Token), 401},
		{"wrong bearer", "Bearer nope", 401},
		{"garbage", "Basic !!!", 401},
		{"none", "", 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := get(t, s, c.auth, "/api/v2/tickets/show_many.json", url.Values{"ids": {"1"}})
			if r.status != c.want {
				t.Fatalf("status %d, want %d: %s", r.status, c.want, r.raw)
			}
			if c.want == 401 {
				if r.body["error"] != "Couldn't authenticate you" {
					t.Errorf("body %s", r.raw)
				}
				if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="Web Password"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
			}
		})
	}
}

func TestUsersMe(t *testing.T) {
	s := newFake(t, nil)
	for _, path := range []string{"/api/v2/users/me", "/api/v2/users/me.json"} {
		r := get(t, s, s.Basic(), path, nil)
		user, _ := r.body["user"].(map[string]any)
		if r.status != 200 || user["email"] != s.Email || user["role"] != "admin" || user["id"] == nil {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
		// Without any Authorization the endpoint answers 200 with an
		// anonymous user: a 200 alone proves nothing.
		r = get(t, s, "", path, nil)
		user, _ = r.body["user"].(map[string]any)
		if r.status != 200 || user == nil || user["id"] != nil || user["role"] != "end-user" {
			t.Errorf("anonymous %s: %d %s", path, r.status, r.raw)
		}
		// Wrong credentials are still a 401.
		r = get(t, s, basic(s.Email+"/token", "wrong"), path, nil)
		if r.status != 401 {
			t.Errorf("wrong token %s: %d", path, r.status)
		}
	}
}

// exportAll pages through the cursor export from start and returns the
// pages' bodies.
func exportAll(t *testing.T, s *zendesktest.Server, q url.Values) []map[string]any {
	t.Helper()
	var pages []map[string]any
	r := get(t, s, s.Basic(), "/api/v2/incremental/tickets/cursor.json", q)
	for {
		if r.status != 200 {
			t.Fatalf("export: %d %s", r.status, r.raw)
		}
		pages = append(pages, r.body)
		if r.body["end_of_stream"] == true {
			return pages
		}
		if len(pages) > 50 {
			t.Fatal("export does not end")
		}
		r = getURL(t, s.Basic(), r.body["after_url"].(string))
	}
}

func ticketIDs(page map[string]any) []int64 {
	var ids []int64
	for _, x := range page["tickets"].([]any) {
		ids = append(ids, int64(x.(map[string]any)["id"].(float64)))
	}
	return ids
}

func TestCursorExportPages(t *testing.T) {
	s := newFake(t, &zendesktest.Options{LargeIDs: true})
	s.Seed(2500)
	pages := exportAll(t, s, url.Values{"start_time": {strconv.FormatInt(epoch.Add(-24*time.Hour).Unix(), 10)}, "per_page": {"1000"}})
	if len(pages) != 3 {
		t.Fatalf("%d pages, want 3", len(pages))
	}
	seen := map[int64]bool{}
	var lastGen float64
	for i, p := range pages {
		if want := i == 2; p["end_of_stream"] != want {
			t.Errorf("page %d: end_of_stream %v", i, p["end_of_stream"])
		}
		for _, x := range p["tickets"].([]any) {
			tk := x.(map[string]any)
			id := int64(tk["id"].(float64))
			if id <= 1<<32 {
				t.Fatalf("id %d not above 2^32", id)
			}
			if seen[id] {
				t.Fatalf("ticket %d twice", id)
			}
			seen[id] = true
			gen := tk["generated_timestamp"].(float64)
			if gen < lastGen {
				t.Fatalf("not ordered by generated_timestamp")
			}
			lastGen = gen
		}
	}
	if len(seen) != 2500 {
		t.Fatalf("%d tickets, want 2500", len(seen))
	}
	if n := s.RequestCount("GET", "/api/v2/incremental/tickets/cursor.json"); n != 3 {
		t.Errorf("%d requests counted", n)
	}
}

func TestShowMany(t *testing.T) {
	s := newFake(t, nil)
	tickets := s.Seed(5)
	ids := []string{}
	for _, tk := range tickets {
		ids = append(ids, strconv.FormatInt(tk.ID, 10))
	}
	if err := s.DeleteTicket(tickets[1].ID); err != nil {
		t.Fatal(err)
	}
	r := get(t, s, s.Basic(), "/api/v2/tickets/show_many.json", url.Values{"ids": {strings.Join(ids, ",")}, "include": {"users"}})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	got := ticketIDs(r.body)
	if len(got) != 4 {
		t.Fatalf("got %v, want the 4 not deleted", got)
	}
	for _, id := range got {
		if id == tickets[1].ID {
			t.Fatal("deleted ticket returned")
		}
	}
	if users, _ := r.body["users"].([]any); len(users) == 0 {
		t.Errorf("no users sideloaded: %s", r.raw)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = strconv.Itoa(i + 1)
	}
	r = get(t, s, s.Basic(), "/api/v2/tickets/show_many", url.Values{"ids": {strings.Join(many, ",")}})
	if r.status != 400 {
		t.Errorf("101 ids: %d, want 400", r.status)
	}
	r = get(t, s, s.Basic(), "/api/v2/tickets/show_many", url.Values{"ids": {strings.Join(many[:100], ",")}})
	if r.status != 200 {
		t.Errorf("100 ids: %d, want 200", r.status)
	}
}
