package hubspot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/hubspot"
	"github.com/ticketsync/ticketsync/hubspot/hubspottest"
	"github.com/ticketsync/ticketsync/memstore"
)

// statusCount counts the requests the fake answered with status.
func statusCount(fake *hubspottest.Server, status int) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Status == status {
			n++
		}
	}
	return n
}

// fastLimits are options of a fake without rate limits.
func fastLimits() *hubspottest.Options {
	return &hubspottest.Options{RateLimit: -1, SearchRateLimit: -1, DailyLimit: -1}
}

// newConnector returns a connector for fake, on the fake's clock: its waits
// (Retry-After, rate limits) advance that clock instead of sleeping; mod
// adjusts its Config.
func newConnector(t testing.TB, fake *hubspottest.Server, mod func(*hubspot.Config)) *hubspot.Connector {
	t.Helper()
	cfg := hubspot.Config{
		PrivateAppToken:         hubspottest.DefaultToken,
		BaseURL:                 fake.URL,
		HTTPClient:              fake.Client(),
		ClientSecret:            fake.ClientSecret(),
		RequestsPerMinute:       6000000,
		SearchRequestsPerSecond: 100000,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := hubspot.NewWithClock(cfg, fake.Now, fake.Sleep, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newPair starts a fake and a connector for it.
func newPair(t testing.TB, opts *hubspottest.Options, mod func(*hubspot.Config)) (*hubspottest.Server, *hubspot.Connector) {
	t.Helper()
	if opts == nil {
		opts = fastLimits()
	}
	fake := hubspottest.NewServer(t, opts)
	return fake, newConnector(t, fake, mod)
}

// run is the result of fetching until caught up.
type run struct {
	tickets map[string]ticketsync.Ticket // newest copy of each
	seen    map[string]int               // deliveries per id
	cursors []string                     // the cursor before each page
	pages_  [][]ticketsync.Ticket        // the tickets of each page
	cursor  string                       // where the next run resumes
	pages   int
}

// drain calls Fetch from cursor until More is false, keeping the newest
// copy of each ticket as a Store would, with comments merged by id.
func drain(t testing.TB, c *hubspot.Connector, cursor string) run {
	t.Helper()
	r := run{tickets: map[string]ticketsync.Ticket{}, seen: map[string]int{}, cursor: cursor}
	for {
		if r.pages > 10000 {
			t.Fatalf("no end after %d pages", r.pages)
		}
		r.cursors = append(r.cursors, r.cursor)
		page, err := c.Fetch(context.Background(), r.cursor)
		if err != nil {
			t.Fatalf("Fetch page %d: %v", r.pages+1, err)
		}
		r.pages++
		r.pages_ = append(r.pages_, page.Tickets)
		for _, tk := range page.Tickets {
			r.seen[tk.ID]++
			r.tickets[tk.ID] = merge(r.tickets[tk.ID], tk)
		}
		if page.More && (page.Cursor == "" || page.Cursor == r.cursor) {
			t.Fatalf("page %d: More without a new cursor", r.pages)
		}
		if page.Cursor != "" {
			r.cursor = page.Cursor
		}
		if !page.More {
			return r
		}
	}
}

// merge keeps the newer of two copies and the union of their comments.
func merge(old, in ticketsync.Ticket) ticketsync.Ticket {
	keep := in
	if old.ID != "" && old.UpdatedAt.After(in.UpdatedAt) {
		keep = old
	}
	byID := map[string]ticketsync.Comment{}
	var order []string
	for _, list := range [][]ticketsync.Comment{old.Comments, in.Comments} {
		for _, cm := range list {
			if _, ok := byID[cm.ID]; !ok {
				order = append(order, cm.ID)
			}
			byID[cm.ID] = cm
		}
	}
	keep.Comments = nil
	for _, id := range order {
		keep.Comments = append(keep.Comments, byID[id])
	}
	return keep
}

func newMemStore() *memstore.Store { return memstore.New() }

func decodeJSON(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
