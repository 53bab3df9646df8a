package zendesk

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// benchFake returns a fake account without rate limits, holding n tickets
// with 1 to 4 comments each (2.5 on average), frozen in time.
func benchFake(tb testing.TB, n int) *zendesktest.Server {
	f := zendesktest.NewServer(tb, &zendesktest.Options{RateLimit: -1, ExportRateLimit: -1})
	f.SetNow(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	f.Seed(n)
	return f
}

// exportRequests counts the requests to the incremental exports.
func exportRequests(f *zendesktest.Server) int {
	return f.RequestCount("GET", "/api/v2/incremental/tickets/cursor.json") + f.RequestCount("GET", "/api/v2/incremental/ticket_events.json")
}

// storePage fetches one page after cursor into store, as the Syncer does,
// and returns the next cursor and whether there is more. The fake's clock
// moves six seconds per export request, as Zendesk's budget of 10 a minute
// would have it.
func storePage(tb testing.TB, f *zendesktest.Server, c *Connector, store *memstore.Store, cursor string) (string, bool) {
	ctx := context.Background()
	before := exportRequests(f)
	page, err := c.Fetch(ctx, cursor)
	f.Advance(time.Duration(exportRequests(f)-before) * time.Minute / DefaultExportRequestsPerMinute)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range page.Tickets {
		page.Tickets[i].ConnectorID = "zd"
	}
	if err := store.UpsertTickets(ctx, page.Tickets); err != nil {
		tb.Fatal(err)
	}
	return page.Cursor, page.More
}

func benchConn(tb testing.TB, f *zendesktest.Server) *Connector {
	c, err := New(Config{Subdomain: f.Subdomain, BaseURL: f.URL, Email: f.Email, APIToken: f.Token,
		RequestsPerMinute: -1, ExportRequestsPerMinute: -1, Now: f.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkSync10000Tickets counts the requests a first sync of 10,000
// tickets with their comments makes, against the minimum the API allows:
// one ticket export page per 1000 tickets.
func BenchmarkSync10000Tickets(b *testing.B) {
	const n = 10000
	f := benchFake(b, n)
	comments := 0
	for _, t := range f.Tickets() {
		comments += len(f.Comments(t.ID))
	}
	var requests, export int
	for b.Loop() {
		f.ResetRequests()
		c := benchConn(b, f)
		store := memstore.New()
		for cursor, more := "", true; more; {
			cursor, more = storePage(b, f, c, store, cursor)
		}
		if got := store.Len("zd"); got != n {
			b.Fatalf("stored %d tickets, want %d", got, n)
		}
		stored := 0
		for _, t := range store.Tickets("zd") {
			stored += len(t.Comments)
		}
		if stored != comments {
			b.Fatalf("stored %d comments, the fake holds %d", stored, comments)
		}
		requests = f.RequestCount("", "")
		export = exportRequests(f)
	}
	b.ReportMetric(float64(requests)*1000/n, "requests/1000tickets")
	b.ReportMetric(float64(export)*1000/n, "export-requests/1000tickets")
	b.ReportMetric(1, "min-requests/1000tickets")
	b.ReportMetric(float64(comments)/n, "comments/ticket")
	// The alternative: one export page plus one comments request per ticket.
	b.ReportMetric(1+1000, "comments-api-alternative/1000tickets")
}

// exportPage returns the raw bytes of a 1000-ticket export page.
func exportPage(tb testing.TB) []byte {
	f := benchFake(tb, 1000)
	req, _ := http.NewRequest(http.MethodGet, f.URL+"/api/v2/incremental/tickets/cursor.json?start_time=0&include=users&per_page=1000", nil)
	req.Header.Set("Authorization", f.Basic())
	resp, err := f.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("export page: %d %v", resp.StatusCode, err)
	}
	return data
}

// plainPage is the same page decoded by encoding/json into a plain struct
// with the same fields, without normalizing: the baseline.
type plainPage struct {
	Tickets []struct {
		ID          int64  `json:"id"`
		Subject     string `json:"subject"`
		Description string `json:"description"`
		Status      string `json:"status"`
		Priority    string `json:"priority"`
		Via         struct {
			Channel string `json:"channel"`
		} `json:"via"`
		RequesterID  int64    `json:"requester_id"`
		AssigneeID   int64    `json:"assignee_id"`
		Tags         []string `json:"tags"`
		CustomFields []struct {
			ID    int64 `json:"id"`
			Value any   `json:"value"`
		} `json:"custom_fields"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
	} `json:"tickets"`
	Users []struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"users"`
	AfterCursor string `json:"after_cursor"`
	EndOfStream bool   `json:"end_of_stream"`
}

func decodePlain(data []byte) (int, error) {
	var p plainPage
	err := json.Unmarshal(data, &p)
	return len(p.Tickets), err
}

func decodeNormalize(c *Connector, data []byte) ([]ticketsync.Ticket, error) {
	var page wireExport
	if err := json.Unmarshal(data, &page); err != nil {
		return nil, err
	}
	p := c.newPeople(page.Users)
	out := make([]ticketsync.Ticket, len(page.Tickets))
	for i := range page.Tickets {
		out[i] = c.ticket(&page.Tickets[i], p)
	}
	return out, nil
}

// BenchmarkExportPage decodes and normalizes a 1000-ticket export page
// ("normalize") and, as the baseline, decodes the same bytes into a plain
// struct with encoding/json ("json"). Both report tickets/s and
// allocs/ticket; "normalize" also reports its time as a multiple of the
// baseline's (x-json).
func BenchmarkExportPage(b *testing.B) {
	data := exportPage(b)
	c := benchConn(b, benchFake(b, 1))
	const perPage = 1000
	plain := func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if n, err := decodePlain(data); err != nil || n != perPage {
				b.Fatal(n, err)
			}
		}
		b.ReportMetric(float64(b.N)*perPage/b.Elapsed().Seconds(), "tickets/s")
		b.ReportMetric(testing.AllocsPerRun(5, func() { _, _ = decodePlain(data) })/perPage, "allocs/ticket")
	}
	b.Run("json", plain)
	b.Run("normalize", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if ts, err := decodeNormalize(c, data); err != nil || len(ts) != perPage {
				b.Fatal(len(ts), err)
			}
		}
		ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		// The baseline on the same bytes, timed after the loop.
		runs := max(b.N, 5)
		t := time.Now()
		for range runs {
			_, _ = decodePlain(data)
		}
		plainNs := float64(time.Since(t).Nanoseconds()) / float64(runs)
		b.ReportMetric(float64(b.N)*perPage/b.Elapsed().Seconds(), "tickets/s")
		b.ReportMetric(testing.AllocsPerRun(5, func() { _, _ = decodeNormalize(c, data) })/perPage, "allocs/ticket")
		b.ReportMetric(ns/plainNs, "x-json")
	})
}

// TestLongSyncStaysUnderRateLimits syncs through a fake that enforces the
// plan limit and the export budget, scaled to two-second windows of the
// fake's clock, which the connector's waits move: 240 requests a minute
// become 8 per window, the export budget 6 per window. Configured with the
// same limits per minute, the connector must never meet a 429.
func TestLongSyncStaysUnderRateLimits(t *testing.T) {
	const window = 2 * time.Second
	f := zendesktest.NewServer(t, &zendesktest.Options{RateWindow: window, RateLimit: 8, ExportRateLimit: 6})
	f.GenerateTickets(800, nil)
	perMin := func(perWindow int) int { return perWindow * int(time.Minute/window) }
	c, err := newConnector(Config{Subdomain: f.Subdomain, BaseURL: f.URL, Email: f.Email, APIToken: f.Token, PageSize: 100,
		RequestsPerMinute: perMin(8), ExportRequestsPerMinute: perMin(6), Now: f.Now}, f.Sleep)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add("zd", c, ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}
	start := f.Now()
	if _, err := s.SyncNow(ctx, "zd"); err != nil {
		t.Fatalf("sync: %v", err)
	}
	ids := []string{"1", "2", "3", "4", "5", "6", "7", "8"}
	if got, err := c.GetTickets(ctx, ids); err != nil || len(got) != len(ids) {
		t.Fatalf("GetTickets: %d tickets, %v", len(got), err)
	}
	elapsed := f.Now().Sub(start)
	if store.Len("zd") != 800 {
		t.Errorf("stored %d tickets, want 800", store.Len("zd"))
	}
	reqs := f.Requests()
	for _, r := range reqs {
		if r.Status == http.StatusTooManyRequests {
			t.Errorf("%s %s at %s answered 429", r.Method, r.Path, r.At.Sub(start).Round(time.Millisecond))
		}
	}
	if os.Getenv("ZD_DEBUG") != "" {
		for _, r := range reqs {
			t.Logf("%s %s %s?%s %d", r.At.Sub(start).Round(time.Millisecond), r.Method, r.Path, r.Query, r.Status)
		}
	}
	if elapsed <= 0 {
		t.Fatal("the fake's clock did not move: the connector did not pace itself")
	}
	t.Logf("%d requests in %s of the fake's clock (%.1f per window of %s; limit 8)", len(reqs), elapsed.Round(time.Millisecond),
		float64(len(reqs))/elapsed.Seconds()*window.Seconds(), window)
}

// BenchmarkChangeDuringBackfill measures how long a ticket change made
// during a first sync's long comment backfill waits before it is stored:
// the export requests (10 a minute on Zendesk's budget) between the change
// and the page that delivers it. The baseline is a connector that reads the
// ticket events export to its end before it reads the ticket export again
// (the connector before the two exports were read in turn): the events
// requests left when the change was made.
func BenchmarkChangeDuringBackfill(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	var wait, baseline int
	for b.Loop() {
		f := benchFake(b, n)
		c := benchConn(b, f)
		store := memstore.New()
		cursor := ""
		changed, seen := int64(0), false
		var at int
		for more := true; more; {
			cursor, more = storePage(b, f, c, store, cursor)
			pos, err := c.decodeCursor(cursor)
			if err != nil {
				b.Fatal(err)
			}
			if changed == 0 && pos.TDone && !pos.EDone {
				// The ticket export has caught up; the comments are
				// still far behind. A customer writes in now.
				t, err := f.UpdateTicket(f.Tickets()[n/2].ID, func(t *zendesktest.Ticket) { t.Subject = "Changed during the backfill" })
				if err != nil {
					b.Fatal(err)
				}
				changed, at = t.ID, exportRequests(f)
				// Events pages left, at 1000 updates a page.
				baseline = f.EventsSince(time.Unix(pos.Events, 0))/zendesktest.MaxExportPage + 1
			}
			if changed != 0 && !seen {
				if got, err := store.Ticket(ctx, "zd", strconv.FormatInt(changed, 10)); err == nil && got.Subject == "Changed during the backfill" {
					seen, wait = true, exportRequests(f)-at
				}
			}
		}
		if !seen {
			b.Fatal("the change was never stored")
		}
	}
	b.ReportMetric(float64(wait), "export-requests-until-stored")
	b.ReportMetric(float64(wait)/DefaultExportRequestsPerMinute, "minutes-until-stored")
	b.ReportMetric(float64(baseline), "baseline-export-requests")
	b.ReportMetric(float64(baseline)/DefaultExportRequestsPerMinute, "baseline-minutes")
}
