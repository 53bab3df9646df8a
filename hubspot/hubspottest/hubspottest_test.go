package hubspottest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// call makes one request to the fake and decodes its JSON answer.
func call(t *testing.T, s *Server, method, path, token string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %v", method, path, err)
		}
	}
	return resp.StatusCode, m, resp.Header
}

// unlimited returns options without rate limits, for tests of other things.
func unlimited() *Options {
	return &Options{RateLimit: -1, SearchRateLimit: -1, DailyLimit: -1}
}

func results(m map[string]any) []map[string]any {
	var out []map[string]any
	rs, _ := m["results"].([]any)
	for _, r := range rs {
		out = append(out, r.(map[string]any))
	}
	return out
}

func ids(m map[string]any) []string {
	var out []string
	for _, r := range results(m) {
		out = append(out, r["id"].(string))
	}
	return out
}

func props(r map[string]any) map[string]any { return r["properties"].(map[string]any) }

func TestAuth(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"no token", "", 401},
		{"wrong token", "pat-na1-wrong", 401},
		{"private app token", DefaultToken, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, m, _ := call(t, s, "GET", "/crm/v3/objects/tickets?limit=1", tc.token, nil)
			if code != tc.want {
				t.Fatalf("status %d, want %d", code, tc.want)
			}
			if code == 401 && (m["category"] != "INVALID_AUTHENTICATION" || m["status"] != "error" || m["correlationId"] == "") {
				t.Errorf("401 body = %v, want HubSpot's error JSON", m)
			}
		})
	}
	s.RevokeToken(DefaultToken)
	if code, _, _ := call(t, s, "GET", "/account-info/v3/details", DefaultToken, nil); code != 401 {
		t.Errorf("revoked token: status %d, want 401", code)
	}
}

func TestMissingScope(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	s.AddToken("pat-na1-contacts-only", ScopeContactsRead)
	code, m, _ := call(t, s, "POST", "/crm/v3/objects/tickets/search", "pat-na1-contacts-only", map[string]any{})
	if code != 403 || m["category"] != "MISSING_SCOPES" {
		t.Fatalf("search without tickets scope: %d %v, want 403 MISSING_SCOPES", code, m)
	}
	errs := m["errors"].([]any)
	ctx := errs[0].(map[string]any)["context"].(map[string]any)
	if got := fmt.Sprint(ctx["requiredGranularScopes"]); got != "[tickets]" {
		t.Errorf("requiredGranularScopes = %s, want [tickets]", got)
	}
	if code, m, _ := call(t, s, "GET", "/account-info/v3/details", "pat-na1-contacts-only", nil); code != 200 || m["portalId"] != float64(DefaultPortalID) {
		t.Errorf("account details: %d %v", code, m)
	}
	if code, _, _ := call(t, s, "GET", "/crm/v3/owners", "pat-na1-contacts-only", nil); code != 403 {
		t.Errorf("owners without owners scope: %d, want 403", code)
	}
}

// seed creates n tickets one second apart and returns their ids.
func seed(s *Server, n int) []string {
	var out []string
	for i := range n {
		out = append(out, s.CreateTicket(map[string]string{"subject": fmt.Sprintf("ticket %d", i), "hs_ticket_priority": "HIGH"}))
		s.Advance(time.Second)
	}
	return out
}

func search(t *testing.T, s *Server, body map[string]any) map[string]any {
	t.Helper()
	code, m, h := call(t, s, "POST", "/crm/v3/objects/tickets/search", DefaultToken, body)
	if code != 200 {
		t.Fatalf("search %v: status %d: %v", body, code, m)
	}
	if h.Get("X-HubSpot-RateLimit-Remaining") != "" {
		t.Errorf("search answer carries rate-limit headers")
	}
	return m
}

func filter(prop, op string, v ...string) map[string]any {
	f := map[string]any{"propertyName": prop, "operator": op}
	switch op {
	case "IN", "NOT_IN":
		f["values"] = v
	case "BETWEEN":
		f["value"], f["highValue"] = v[0], v[1]
	default:
		if len(v) > 0 {
			f["value"] = v[0]
		}
	}
	return f
}

func group(fs ...map[string]any) map[string]any { return map[string]any{"filters": fs} }

func TestSearchFilters(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	start := s.Now()
	all := seed(s, 10) // modified at start, start+1s, ... start+9s
	ms := func(i int) string { return strconv.FormatInt(start.Add(time.Duration(i)*time.Second).UnixMilli(), 10) }
	iso := func(i int) string { return start.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano) }
	for _, tc := range []struct {
		name   string
		groups []map[string]any
		want   []string
	}{
		{"GTE ms", []map[string]any{group(filter("hs_lastmodifieddate", "GTE", ms(7)))}, all[7:]},
		{"GT ISO", []map[string]any{group(filter("hs_lastmodifieddate", "GT", iso(7)))}, all[8:]},
		{"LT", []map[string]any{group(filter("hs_lastmodifieddate", "LT", ms(2)))}, all[:2]},
		{"LTE", []map[string]any{group(filter("createdate", "LTE", ms(2)))}, all[:3]},
		{"EQ id", []map[string]any{group(filter("hs_object_id", "EQ", all[4]))}, all[4:5]},
		{"GT id", []map[string]any{group(filter("hs_object_id", "GT", all[8]))}, all[9:]},
		{"BETWEEN", []map[string]any{group(filter("createdate", "BETWEEN", ms(3), ms(5)))}, all[3:6]},
		{"IN", []map[string]any{group(filter("hs_object_id", "IN", all[1], all[6]))}, []string{all[1], all[6]}},
		{"AND within a group", []map[string]any{group(filter("hs_lastmodifieddate", "GTE", ms(2)), filter("hs_object_id", "LT", all[4]))}, all[2:4]},
		{"OR of groups", []map[string]any{group(filter("hs_object_id", "EQ", all[0])), group(filter("hs_object_id", "EQ", all[9]))}, []string{all[0], all[9]}},
		{"no match", []map[string]any{group(filter("hs_lastmodifieddate", "GT", ms(9)))}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := search(t, s, map[string]any{"filterGroups": tc.groups, "sorts": []any{map[string]string{"propertyName": "hs_object_id", "direction": "ASCENDING"}}, "limit": 200})
			if got := ids(m); !slices.Equal(got, tc.want) {
				t.Errorf("ids = %v, want %v", got, tc.want)
			}
			if m["total"] != float64(len(tc.want)) {
				t.Errorf("total = %v, want %d", m["total"], len(tc.want))
			}
		})
	}
}

func TestSearchSortAndPaging(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	all := seed(s, 25)
	desc := search(t, s, map[string]any{"sorts": []any{map[string]string{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}}, "limit": 3})
	if got := ids(desc); !slices.Equal(got, []string{all[24], all[23], all[22]}) {
		t.Errorf("DESCENDING = %v", got)
	}
	var got []string
	after := ""
	pages := 0
	for {
		body := map[string]any{"sorts": []any{map[string]string{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}}, "limit": 10, "properties": []string{"subject"}}
		if after != "" {
			body["after"] = after
		}
		m := search(t, s, body)
		pages++
		got = append(got, ids(m)...)
		if m["total"] != float64(25) {
			t.Fatalf("total = %v", m["total"])
		}
		for _, r := range results(m) {
			p := props(r)
			if p["subject"] == nil || p["hs_lastmodifieddate"] == nil || p["hs_object_id"] != r["id"] {
				t.Fatalf("properties = %v", p)
			}
			if _, ok := p["content"]; ok {
				t.Fatalf("unrequested property returned: %v", p)
			}
		}
		pg, ok := m["paging"].(map[string]any)
		if !ok {
			break
		}
		after = pg["next"].(map[string]any)["after"].(string)
	}
	if pages != 3 || !slices.Equal(got, all) {
		t.Errorf("paged %d pages: %v, want 3 pages of all", pages, got)
	}
	code, m, _ := call(t, s, "POST", "/crm/v3/objects/tickets/search", DefaultToken, map[string]any{"limit": 201})
	if code != 400 {
		t.Errorf("limit 201: %d %v, want 400", code, m)
	}
	code, _, _ = call(t, s, "POST", "/crm/v3/objects/tickets/search", DefaultToken, map[string]any{"sorts": []string{"createdate", "subject"}})
	if code != 400 {
		t.Errorf("two sorts: %d, want 400", code)
	}
	code, _, _ = call(t, s, "POST", "/crm/v3/objects/tickets/search", DefaultToken, map[string]any{"filterGroups": []any{group(filter("subject", "LIKE", "x"))}})
	if code != 400 {
		t.Errorf("unknown operator: %d, want 400", code)
	}
}

func TestSearchTiesAreNotInIDOrder(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	var all []string
	for range 20 {
		all = append(all, s.CreateTicket(nil)) // same millisecond
	}
	m := search(t, s, map[string]any{"sorts": []any{map[string]string{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}}, "limit": 50})
	got := ids(m)
	if slices.Equal(got, all) {
		t.Errorf("ties came back in id order; the fake should scramble them")
	}
	slices.Sort(got)
	if !slices.Equal(got, all) {
		t.Errorf("ties = %v, want all of %v", got, all)
	}
}

func TestSearchCap(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	for range SearchResultCap + 50 {
		s.CreateTicket(nil)
	}
	m := search(t, s, map[string]any{"limit": 200, "after": "9800"})
	if len(results(m)) != 200 || m["total"] != float64(SearchResultCap+50) {
		t.Fatalf("page at 9800: %d results, total %v", len(results(m)), m["total"])
	}
	next := m["paging"].(map[string]any)["next"].(map[string]any)["after"]
	if next != "10000" {
		t.Fatalf("next after = %v, want 10000 (the page that fails)", next)
	}
	code, body, _ := call(t, s, "POST", "/crm/v3/objects/tickets/search", DefaultToken, map[string]any{"limit": 200, "after": "10000"})
	if code != 400 || body["category"] != "VALIDATION_ERROR" {
		t.Errorf("past the cap: %d %v, want 400 VALIDATION_ERROR", code, body)
	}
}

func TestIndexLagAndArchive(t *testing.T) {
	s := New(&Options{IndexLag: time.Minute, RateLimit: -1, SearchRateLimit: -1})
	defer s.Close()
	id := s.CreateTicket(map[string]string{"subject": "old"})
	if n := len(results(search(t, s, map[string]any{}))); n != 0 {
		t.Fatalf("search sees a ticket before the index lag: %d", n)
	}
	s.Advance(time.Minute)
	if got := ids(search(t, s, map[string]any{})); !slices.Equal(got, []string{id}) {
		t.Fatalf("after the lag: %v", got)
	}
	s.UpdateTicket(id, map[string]string{"subject": "new"})
	r := results(search(t, s, map[string]any{"properties": []string{"subject"}}))
	if len(r) != 1 || props(r[0])["subject"] != "old" {
		t.Fatalf("search during the lag should see the old version: %v", r)
	}
	// The list and batch read see the change at once.
	code, m, _ := call(t, s, "GET", "/crm/v3/objects/tickets?properties=subject", DefaultToken, nil)
	if code != 200 || props(results(m)[0])["subject"] != "new" {
		t.Fatalf("list: %d %v", code, m)
	}
	s.Advance(time.Minute)
	s.ArchiveTicket(id)
	s.Advance(time.Minute)
	if n := len(results(search(t, s, map[string]any{}))); n != 0 {
		t.Errorf("search returns an archived ticket")
	}
	code, m, _ = call(t, s, "GET", "/crm/v3/objects/tickets?archived=true", DefaultToken, nil)
	if code != 200 || len(results(m)) != 1 || results(m)[0]["archived"] != true || results(m)[0]["archivedAt"] == nil {
		t.Errorf("archived list: %d %v", code, m)
	}
	code, m, _ = call(t, s, "GET", "/crm/v3/objects/tickets", DefaultToken, nil)
	if code != 200 || len(results(m)) != 0 {
		t.Errorf("live list shows an archived ticket: %v", m)
	}
}

func TestListAndBatchRead(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	all := seed(s, 205)
	c := s.AddContact(Contact{Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"})
	s.AssociateContact(all[0], c)

	var got []string
	path := "/crm/v3/objects/tickets?limit=100&properties=subject,hs_ticket_priority&associations=contacts"
	for {
		code, m, h := call(t, s, "GET", path, DefaultToken, nil)
		if code != 200 {
			t.Fatalf("list: %d %v", code, m)
		}
		if h.Get("X-HubSpot-RateLimit-Max") != "" {
			t.Errorf("unlimited fake sent rate-limit headers")
		}
		got = append(got, ids(m)...)
		if first := results(m)[0]; first["id"] == all[0] {
			a := first["associations"].(map[string]any)["contacts"].(map[string]any)["results"].([]any)
			if a[0].(map[string]any)["id"] != c {
				t.Errorf("associations = %v", a)
			}
		}
		pg, ok := m["paging"].(map[string]any)
		if !ok {
			break
		}
		path = "/crm/v3/objects/tickets?limit=100&after=" + pg["next"].(map[string]any)["after"].(string)
	}
	if !slices.Equal(got, all) {
		t.Errorf("list returned %d ids, want %d in order", len(got), len(all))
	}
	if code, _, _ := call(t, s, "GET", "/crm/v3/objects/tickets?limit=101", DefaultToken, nil); code != 400 {
		t.Errorf("list limit 101: %d, want 400", code)
	}

	inputs := func(ids ...string) []map[string]string {
		var out []map[string]string
		for _, id := range ids {
			out = append(out, map[string]string{"id": id})
		}
		return out
	}
	code, m, _ := call(t, s, "POST", "/crm/v3/objects/tickets/batch/read", DefaultToken, map[string]any{"inputs": inputs(all[:101]...), "properties": []string{"subject"}})
	if code != 400 {
		t.Errorf("batch of 101: %d %v, want 400", code, m)
	}
	s.ArchiveTicket(all[2])
	code, m, _ = call(t, s, "POST", "/crm/v3/objects/tickets/batch/read", DefaultToken, map[string]any{"inputs": inputs(all[1], all[2], "999999"), "properties": []string{"subject"}})
	if code != 207 || !slices.Equal(ids(m), []string{all[1]}) {
		t.Fatalf("batch with missing ids: %d %v, want 207 with one result", code, m)
	}
	e := m["errors"].([]any)[0].(map[string]any)
	if e["category"] != "OBJECT_NOT_FOUND" || fmt.Sprint(e["context"].(map[string]any)["ids"]) != "["+all[2]+" 999999]" {
		t.Errorf("batch errors = %v", e)
	}
	code, m, _ = call(t, s, "POST", "/crm/v3/objects/tickets/batch/read?archived=true", DefaultToken, map[string]any{"inputs": inputs(all[2]), "properties": []string{"subject", "no_such_property"}})
	if code != 200 || !slices.Equal(ids(m), []string{all[2]}) || results(m)[0]["archived"] != true {
		t.Errorf("archived batch read: %d %v", code, m)
	}
	if _, ok := props(results(m)[0])["no_such_property"]; ok {
		t.Errorf("unknown property not ignored")
	}
	code, m, _ = call(t, s, "POST", "/crm/v3/objects/contacts/batch/read", DefaultToken, map[string]any{"inputs": inputs(c), "properties": []string{"email", "firstname", "lastname", "phone"}})
	p := props(results(m)[0])
	if code != 200 || p["email"] != "ada@example.com" || p["firstname"] != "Ada" || p["phone"] != nil {
		t.Errorf("contacts batch read: %d %v", code, m)
	}
	if _, ok := p["phone"]; !ok {
		t.Errorf("requested known property without a value should be null: %v", p)
	}
}

func TestAssociationsAndEngagements(t *testing.T) {
	s := New(&Options{AssociationPageSize: 2, RateLimit: -1, SearchRateLimit: -1})
	defer s.Close()
	tk := s.CreateTicket(nil)
	other := s.CreateTicket(nil)
	before, _ := s.Ticket(tk)
	s.Advance(time.Second)
	var notes []string
	for i := range 3 {
		notes = append(notes, s.AddNote(tk, Note{Body: fmt.Sprintf("<p>note %d</p>", i)}))
	}
	em := s.AddEmail(tk, Email{Direction: "INCOMING_EMAIL", Text: "hello", FromEmail: "ada@example.com"})
	after, _ := s.Ticket(tk)
	if !after.UpdatedAt.After(before.UpdatedAt) {
		t.Errorf("logging a note did not change the ticket's modification time")
	}
	code, m, _ := call(t, s, "POST", "/crm/v4/associations/tickets/notes/batch/read", DefaultToken,
		map[string]any{"inputs": []map[string]string{{"id": tk}, {"id": other}}})
	if code != 207 {
		t.Fatalf("associations with a ticket without notes: %d %v, want 207", code, m)
	}
	r := results(m)
	if len(r) != 1 || r[0]["from"].(map[string]any)["id"] != tk {
		t.Fatalf("results = %v", r)
	}
	to := r[0]["to"].([]any)
	if len(to) != 2 || r[0]["paging"] == nil {
		t.Fatalf("first page of associations = %v", r[0])
	}
	var got []string
	for _, x := range to {
		got = append(got, strconv.FormatFloat(x.(map[string]any)["toObjectId"].(float64), 'f', -1, 64))
	}
	next := r[0]["paging"].(map[string]any)["next"].(map[string]any)["after"].(string)
	code, m, _ = call(t, s, "POST", "/crm/v4/associations/0-5/0-46/batch/read", DefaultToken,
		map[string]any{"inputs": []map[string]string{{"id": tk, "after": next}}})
	if code != 200 {
		t.Fatalf("second page: %d %v", code, m)
	}
	for _, x := range results(m)[0]["to"].([]any) {
		got = append(got, strconv.FormatFloat(x.(map[string]any)["toObjectId"].(float64), 'f', -1, 64))
	}
	if !slices.Equal(got, notes) {
		t.Errorf("note ids = %v, want %v", got, notes)
	}
	code, m, _ = call(t, s, "POST", "/crm/v3/objects/emails/batch/read", DefaultToken,
		map[string]any{"inputs": []map[string]string{{"id": em}}, "properties": []string{"hs_email_text", "hs_email_direction", "hs_timestamp", "hs_email_from_email"}})
	if code != 200 || props(results(m)[0])["hs_email_text"] != "hello" || props(results(m)[0])["hs_email_direction"] != "INCOMING_EMAIL" {
		t.Errorf("email batch read: %d %v", code, m)
	}
}

func TestPipelinesAndOwners(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	s.SetPipelines([]Pipeline{{ID: "77", Label: "Escalations", Stages: []Stage{
		{ID: "9001", Label: "Closed for good", DisplayOrder: 1, TicketState: "CLOSED"},
		{ID: "9002", Label: "Triage", DisplayOrder: 0, TicketState: "OPEN"},
	}}})
	id := s.CreateTicket(nil)
	tk, _ := s.Ticket(id)
	if *tk.Properties["hs_pipeline"] != "77" || *tk.Properties["hs_pipeline_stage"] != "9001" {
		t.Errorf("new ticket pipeline/stage = %s/%s", *tk.Properties["hs_pipeline"], *tk.Properties["hs_pipeline_stage"])
	}
	code, m, _ := call(t, s, "GET", "/crm/v3/pipelines/tickets", DefaultToken, nil)
	if code != 200 {
		t.Fatal(code)
	}
	st := results(m)[0]["stages"].([]any)[1].(map[string]any)
	if st["id"] != "9002" || st["metadata"].(map[string]any)["ticketState"] != "OPEN" {
		t.Errorf("stage = %v", st)
	}
	o := s.AddOwner(Owner{Email: "agent@example.com", FirstName: "Grace", LastName: "Hopper"})
	s.AddOwner(Owner{ID: "42", Email: "gone@example.com", Archived: true})
	code, m, _ = call(t, s, "GET", "/crm/v3/owners/"+o, DefaultToken, nil)
	if code != 200 || m["email"] != "agent@example.com" || m["firstName"] != "Grace" {
		t.Errorf("owner: %d %v", code, m)
	}
	if code, _, _ := call(t, s, "GET", "/crm/v3/owners/42", DefaultToken, nil); code != 404 {
		t.Errorf("archived owner without archived=true: %d, want 404", code)
	}
	if code, _, _ := call(t, s, "GET", "/crm/v3/owners/42?archived=true", DefaultToken, nil); code != 200 {
		t.Errorf("archived owner with archived=true: %d, want 200", code)
	}
	code, m, _ = call(t, s, "GET", "/crm/v3/owners", DefaultToken, nil)
	if code != 200 || !slices.Equal(ids(m), []string{o}) {
		t.Errorf("owners list: %d %v", code, m)
	}
}

// statusCount counts the requests the fake answered with status.
func statusCount(s *Server, status int) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Status == status {
			n++
		}
	}
	return n
}

func TestRateLimits(t *testing.T) {
	s := NewServer(t, &Options{Start: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), DailyLimit: 30})
	clock := s
	defer s.Close()
	for i := range DefaultRateLimit {
		if i == 20 {
			break
		}
		code, _, h := call(t, s, "GET", "/crm/v3/pipelines/tickets", DefaultToken, nil)
		if code != 200 {
			t.Fatalf("request %d: %d", i, code)
		}
		if h.Get("X-HubSpot-RateLimit-Max") != "100" || h.Get("X-HubSpot-RateLimit-Remaining") != strconv.Itoa(100-i-1) ||
			h.Get("X-HubSpot-RateLimit-Interval-Milliseconds") != "10000" || h.Get("X-HubSpot-RateLimit-Daily") != "30" {
			t.Fatalf("request %d headers: %v", i, h)
		}
	}
	// Search: five a second, then SECONDLY.
	for i := range 6 {
		code, m, h := call(t, s, "POST", "/crm/v3/objects/tickets/search", DefaultToken, map[string]any{})
		if h.Get("X-HubSpot-RateLimit-Max") != "" {
			t.Errorf("search answer has rate-limit headers")
		}
		if i < 5 && code != 200 {
			t.Fatalf("search %d: %d", i, code)
		}
		if i == 5 && (code != 429 || m["policyName"] != "SECONDLY" || m["errorType"] != "RATE_LIMIT") {
			t.Fatalf("sixth search in a second: %d %v", code, m)
		}
	}
	clock.Advance(time.Second)
	if code, _, _ := call(t, s, "POST", "/crm/v3/objects/tickets/search", DefaultToken, map[string]any{}); code != 200 {
		t.Errorf("search a second later: %d", code)
	}
	// Daily: 20 + 6 accepted so far; four more, then DAILY.
	for range 4 {
		call(t, s, "GET", "/crm/v3/pipelines/tickets", DefaultToken, nil)
	}
	code, m, _ := call(t, s, "GET", "/crm/v3/pipelines/tickets", DefaultToken, nil)
	if code != 429 || m["policyName"] != "DAILY" {
		t.Errorf("past the daily limit: %d %v", code, m)
	}
	clock.Advance(24 * time.Hour)
	if code, _, _ := call(t, s, "GET", "/crm/v3/pipelines/tickets", DefaultToken, nil); code != 200 {
		t.Errorf("next day: %d", code)
	}
}

func TestTenSecondRollingWindow(t *testing.T) {
	s := NewServer(t, &Options{Start: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), RateLimit: 3, RateWindow: 10 * time.Second})
	clock := s
	defer s.Close()
	for i := range 3 {
		if code, _, _ := call(t, s, "GET", "/crm/v3/owners", DefaultToken, nil); code != 200 {
			t.Fatalf("request %d: %d", i, code)
		}
		clock.Advance(4 * time.Second)
	}
	// At 12s the first request (at 0s) has left the window.
	if code, _, _ := call(t, s, "GET", "/crm/v3/owners", DefaultToken, nil); code != 200 {
		t.Fatalf("fourth request after the first left the window: %d", code)
	}
	code, m, h := call(t, s, "GET", "/crm/v3/owners", DefaultToken, nil)
	if code != 429 || m["policyName"] != "TEN_SECONDLY_ROLLING" || m["errorType"] != "RATE_LIMIT" || h.Get("X-HubSpot-RateLimit-Remaining") != "0" {
		t.Fatalf("over the window: %d %v %v", code, m, h)
	}
	if n, m := statusCount(s, 429), s.RequestCount("GET", "/crm/v3/owners"); n != 1 || m != 5 {
		t.Errorf("%d answers 429 of %d owners requests, want 1 of 5", n, m)
	}
}

func TestFaults(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	s.InjectFault(Fault{Path: "/crm/v3/pipelines/", Status: 503, Count: 2})
	s.InjectFault(Fault{Method: "POST", Status: 429, Body: RateLimitBody("DAILY")})
	for i, want := range []int{503, 503, 200} {
		if code, _, _ := call(t, s, "GET", "/crm/v3/pipelines/tickets", DefaultToken, nil); code != want {
			t.Errorf("pipelines %d: %d, want %d", i, code, want)
		}
	}
	code, m, _ := call(t, s, "POST", "/crm/v3/objects/tickets/search", DefaultToken, map[string]any{})
	if code != 429 || m["policyName"] != "DAILY" {
		t.Errorf("injected 429: %d %v", code, m)
	}

	s.InjectFault(Fault{Path: "/crm/v3/owners", Truncate: true})
	req, _ := http.NewRequest("GET", s.URL+"/crm/v3/owners", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated body read: %v, want unexpected EOF", err)
	}

	s.InjectFault(Fault{Path: "/crm/v3/owners", Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, "GET", s.URL+"/crm/v3/owners", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	if _, err := s.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow answer: %v, want the caller's deadline", err)
	}
}

// The v1 and v2 vectors are the examples of HubSpot's request validation
// pages.
func TestLegacySignatures(t *testing.T) {
	secret := "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
	body := `[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]`
	if got := SignV1(secret, []byte(body)); got != "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de" {
		t.Errorf("v1 = %s", got)
	}
	if got := SignV2(secret, "GET", "https://www.example.com/webhook_uri", nil); got != "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e" {
		t.Errorf("v2 GET = %s", got)
	}
	if got := SignV2(secret, "POST", "https://www.example.com/webhook_uri", []byte(`{"example_field":"example_value"}`)); got != "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900" {
		t.Errorf("v2 POST = %s", got)
	}
}

func TestSignV3(t *testing.T) {
	body := []byte(`[{"eventId":1}]`)
	mac := hmac.New(sha256.New, []byte("secret"))
	mac.Write([]byte("POSThttps://example.com/hooks?connectorId=a:b/c@d!$'()*,;&x=%3D%20" + string(body) + "1700000000000"))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	got := SignV3("secret", "POST", "https://example.com/hooks?connectorId=a%3Ab%2fc%40d%21%24%27%28%29%2A%2C%3B&x=%3D%20", body, 1700000000000)
	if got != want {
		t.Errorf("v3 over a percent-encoded URI = %s, want %s", got, want)
	}
	if SignV3("secret", "POST", "https://example.com/hooks", body, 1700000000001) == SignV3("secret", "POST", "https://example.com/hooks", body, 1700000000000) {
		t.Error("the timestamp is not signed")
	}
}

func TestWebhookRequestAndEvents(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	id := s.CreateTicket(nil)
	s.UpdateTicket(id, map[string]string{"hs_pipeline_stage": "4"})
	s.ArchiveTicket(id)
	evs := s.TakeEvents()
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.SubscriptionType)
		if strconv.FormatInt(e.ObjectID, 10) != id || e.PortalID != DefaultPortalID {
			t.Errorf("event = %+v", e)
		}
	}
	if !slices.Equal(kinds, []string{"ticket.creation", "ticket.propertyChange", "ticket.deletion"}) {
		t.Errorf("events = %v", kinds)
	}
	if len(s.TakeEvents()) != 0 {
		t.Error("TakeEvents did not forget")
	}
	evs = append(evs, s.ObjectEvent("propertyChange", "0-5", id))
	req, body := s.WebhookRequest("https://hooks.example.com/api/webhooks/tickets?connectorId=hs%3A1", evs)
	ts, _ := strconv.ParseInt(req.Header.Get("X-HubSpot-Request-Timestamp"), 10, 64)
	if ts != s.Now().UnixMilli() {
		t.Errorf("timestamp = %d", ts)
	}
	if req.Header.Get("X-HubSpot-Signature-v3") != SignV3(DefaultClientSecret, "POST", "https://hooks.example.com/api/webhooks/tickets?connectorId=hs:1", body, ts) {
		t.Error("v3 signature is not over the decoded URI")
	}
	if req.Header.Get("X-HubSpot-Signature") != SignV1(DefaultClientSecret, body) {
		t.Error("v1 signature")
	}
	var decoded []WebhookEvent
	if err := json.Unmarshal(body, &decoded); err != nil || len(decoded) != 4 || decoded[3].ObjectTypeID != "0-5" {
		t.Errorf("body = %s (%v)", body, err)
	}
}

func TestEpochMillisDates(t *testing.T) {
	s := New(&Options{EpochMillisDates: true, RateLimit: -1, SearchRateLimit: -1})
	defer s.Close()
	id := s.CreateTicket(nil)
	code, m, _ := call(t, s, "GET", "/crm/v3/objects/tickets/"+id, DefaultToken, nil)
	if code != 200 || props(m)["createdate"] != strconv.FormatInt(s.Now().UnixMilli(), 10) {
		t.Errorf("createdate = %v", m)
	}
	got := ids(search(t, s, map[string]any{"filterGroups": []any{group(filter("createdate", "GTE", s.Now().Format(time.RFC3339)))}}))
	if !slices.Equal(got, []string{id}) {
		t.Errorf("search on epoch dates = %v", got)
	}
}
