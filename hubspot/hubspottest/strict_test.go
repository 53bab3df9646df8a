package hubspottest

import (
	"slices"
	"testing"
	"time"
)

func TestSearchPageReachingPastTheCap(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	s.CreateTicket(nil)
	// Results 9,901 to 10,100 reach past the 10,000th: refused even though
	// one ticket exists.
	code, body, _ := call(t, s, "POST", "/crm/v3/objects/tickets/search", DefaultToken, map[string]any{"limit": 200, "after": "9900"})
	if code != 400 || body["category"] != "VALIDATION_ERROR" {
		t.Errorf("page reaching past the cap: %d %v, want 400", code, body)
	}
	if code, _, _ := call(t, s, "POST", "/crm/v3/objects/tickets/search", DefaultToken, map[string]any{"limit": 100, "after": "9900"}); code != 200 {
		t.Errorf("page ending at the cap: %d, want 200", code)
	}
}

func TestSearchAtTheEpochFails(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	s.CreateTicket(nil)
	for _, v := range []string{"0", "1970-01-01T00:00:00Z"} {
		code, _, _ := call(t, s, "POST", "/crm/v3/objects/tickets/search", DefaultToken,
			map[string]any{"filterGroups": []any{group(filter("hs_lastmodifieddate", "GTE", v))}})
		if code != 500 {
			t.Errorf("filter at the epoch (%s): %d, want 500", v, code)
		}
	}
	m := search(t, s, map[string]any{"filterGroups": []any{group(filter("hs_lastmodifieddate", "GTE", "946684800000"))}})
	if len(results(m)) != 1 {
		t.Errorf("filter at 2000-01-01: %v", m)
	}
}

func TestPerWriteIndexLag(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	s.SetIndexLag(8 * time.Minute)
	late := s.CreateTicket(map[string]string{"subject": "late"})
	s.SetIndexLag(0)
	s.Advance(6 * time.Minute)
	soon := s.CreateTicket(map[string]string{"subject": "soon"})
	if got := ids(search(t, s, map[string]any{})); !slices.Equal(got, []string{soon}) {
		t.Fatalf("search sees %v, want only the newer, promptly indexed ticket", got)
	}
	s.Advance(2 * time.Minute)
	if got := ids(search(t, s, map[string]any{"sorts": []any{"hs_object_id"}})); !slices.Equal(got, []string{late, soon}) {
		t.Fatalf("after the late one's lag: %v", got)
	}

	v := New(&Options{IndexLag: time.Second, IndexLagMax: 10 * time.Minute, RateLimit: -1, SearchRateLimit: -1})
	defer v.Close()
	for range 50 {
		v.CreateTicket(nil)
	}
	v.Advance(5 * time.Minute)
	n := len(results(search(t, v, map[string]any{"limit": 100})))
	if n == 0 || n == 50 {
		t.Errorf("with lags between 1 s and 10 min, %d of 50 writes visible after 5 min", n)
	}
}

func TestDailyLimitResetsInTheAccountsTimeZone(t *testing.T) {
	// 23:30 UTC is 18:30 in New York: UTC midnight is not the account's.
	s := NewServer(t, &Options{Start: time.Date(2024, 3, 1, 23, 30, 0, 0, time.UTC), DailyLimit: 3, RateLimit: -1})
	clock := s
	for range 3 {
		call(t, s, "GET", "/crm/v3/pipelines/tickets", DefaultToken, nil)
	}
	clock.Advance(time.Hour) // 00:30 UTC, 19:30 in New York
	if code, m, _ := call(t, s, "GET", "/crm/v3/pipelines/tickets", DefaultToken, nil); code != 429 || m["policyName"] != "DAILY" {
		t.Fatalf("after UTC midnight: %d %v, want the daily limit still reached", code, m)
	}
	clock.Advance(5 * time.Hour) // 05:30 UTC, 00:30 in New York
	if code, _, _ := call(t, s, "GET", "/crm/v3/pipelines/tickets", DefaultToken, nil); code != 200 {
		t.Errorf("after the account's midnight: %d", code)
	}
	_, m, _ := call(t, s, "GET", "/account-info/v3/details", DefaultToken, nil)
	if m["timeZone"] != DefaultTimeZone || m["utcOffset"] != "-05:00" {
		t.Errorf("account details: %v", m)
	}
}

func TestMergeTickets(t *testing.T) {
	s := New(unlimited())
	defer s.Close()
	a := s.CreateTicket(map[string]string{"subject": "primary"})
	b := s.CreateTicket(map[string]string{"subject": "other", "hs_ticket_priority": "HIGH"})
	s.AddNote(b, Note{Body: "on b"})
	s.TakeEvents()
	s.Advance(time.Minute)
	n := s.MergeTickets(a, b)
	if n == a || n == b {
		t.Fatalf("merged record kept an old id: %s", n)
	}
	if got := ids(search(t, s, map[string]any{})); !slices.Equal(got, []string{n}) {
		t.Errorf("search after the merge: %v, want only %s", got, n)
	}
	code, m, _ := call(t, s, "POST", "/crm/v3/objects/tickets/batch/read", DefaultToken,
		map[string]any{"inputs": []any{map[string]any{"id": a}, map[string]any{"id": b}}, "properties": []string{"subject", "hs_ticket_priority", MergedIDsProp}})
	r := results(m)
	if code != 200 || len(r) != 1 || r[0]["id"] != n {
		t.Fatalf("batch read of the old ids: %d %v, want one result under %s", code, m, n)
	}
	p := props(r[0])
	if p["subject"] != "primary" || p["hs_ticket_priority"] != "HIGH" || p[MergedIDsProp] != a+";"+b {
		t.Errorf("merged properties: %v", p)
	}
	if code, m, _ := call(t, s, "GET", "/crm/v3/objects/tickets/"+b, DefaultToken, nil); code != 200 || m["id"] != n {
		t.Errorf("GET of an old id: %d %v", code, m)
	}
	if st, ok := s.Ticket(n); !ok || len(st.Notes) != 1 {
		t.Errorf("the merged record's notes: %+v", st)
	}
	if to, ok := s.MergedInto(a); !ok || to != n {
		t.Errorf("MergedInto(%s) = %s %v", a, to, ok)
	}
	ev := s.TakeEvents()
	if len(ev) != 1 || ev[0].SubscriptionType != "ticket.merge" || ev[0].NewObjectID == 0 || ev[0].MergedObjectIDs[0] == 0 {
		t.Errorf("merge events: %+v", ev)
	}
	code, m, _ = call(t, s, "GET", "/crm/v3/objects/tickets?archived=true", DefaultToken, nil)
	if code != 200 || len(results(m)) != 0 {
		t.Errorf("merged tickets in the recycle bin: %v", m)
	}
}
