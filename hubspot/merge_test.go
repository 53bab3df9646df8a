package hubspot_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/hubspot"
	"github.com/ticketsync/ticketsync/hubspot/hubspottest"
)

// mergedPair creates two tickets, one with a note, and merges them.
func mergedPair(fake *hubspottest.Server) (a, b, unused string) {
	a = fake.CreateTicket(map[string]string{"subject": "printer broken"})
	b = fake.CreateTicket(map[string]string{"subject": "printer still broken"})
	fake.AddNote(b, hubspottest.Note{Body: "duplicate"})
	fake.Advance(time.Minute)
	return a, b, ""
}

func checkMerged(t *testing.T, got map[string]ticketsync.Ticket, old []string, merged string) {
	t.Helper()
	if tk, ok := got[merged]; !ok || tk.Deleted || tk.Subject != "printer broken" || len(tk.Comments) != 1 {
		t.Errorf("merged record %s = %+v, want it live with the primary's subject and the note", merged, tk)
	}
	for _, id := range old {
		tk, ok := got[id]
		if !ok || !tk.Deleted || tk.Fields[hubspot.FieldMergedInto] != merged {
			t.Errorf("old id %s = %+v, want a tombstone merged into %s", id, tk, merged)
		}
	}
}

func TestMergeByPolling(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	a, b, _ := mergedPair(fake)
	r1 := drain(t, c, "")
	if len(r1.tickets) != 2 {
		t.Fatalf("first sync: %v", r1.seen)
	}
	merged := fake.MergeTickets(a, b)
	fake.Advance(time.Minute)
	r2 := drain(t, c, r1.cursor)
	all := map[string]ticketsync.Ticket{}
	for _, r := range []run{r1, r2} {
		for id, tk := range r.tickets {
			all[id] = merge(all[id], tk)
		}
	}
	checkMerged(t, all, []string{a, b}, merged)
}

func TestMergeByGetTickets(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	a, b, _ := mergedPair(fake)
	merged := fake.MergeTickets(a, b)
	got, err := c.GetTickets(t.Context(), []string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]ticketsync.Ticket{}
	for _, tk := range got {
		byID[tk.ID] = tk
	}
	if len(got) != 3 {
		t.Errorf("GetTickets(old ids) = %d tickets, want the merged record and two tombstones", len(got))
	}
	checkMerged(t, byID, []string{a, b}, merged)
}

func TestMergeByWebhook(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	a, b, _ := mergedPair(fake)
	store := newMemStore()
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Now: fake.Now})
	if err := s.Add("hs", c, ticketsync.ModeBoth); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SyncNow(t.Context(), "hs"); err != nil {
		t.Fatal(err)
	}
	fake.TakeEvents()
	merged := fake.MergeTickets(a, b)
	srv := httptest.NewServer(s.WebhookHandler())
	defer srv.Close()
	req, _ := fake.WebhookRequest(srv.URL+"/api/webhooks/tickets?connectorId=hs", fake.TakeEvents())
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("delivery answered %d", resp.StatusCode)
	}
	got := map[string]ticketsync.Ticket{}
	for _, id := range []string{a, b, merged} {
		tk, err := store.Ticket(t.Context(), "hs", id)
		if err != nil {
			t.Fatalf("ticket %s: %v", id, err)
		}
		got[id] = tk
	}
	checkMerged(t, got, []string{a, b}, merged)
}
