package console_test

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
)

func TestHistoryIsPagedNewestFirst(t *testing.T) {
	now := time.Now().UTC()
	e := newEnv(t, func(o *console.Options) { o.Now = func() time.Time { return now } })
	ctx := context.Background()
	e.addZendesk("acme", ticketsync.ModePoll)
	const n = 60
	for i := range n {
		start := now.Add(-time.Duration(n-i) * time.Hour) // run 59 is the newest
		run := ticketsync.SyncRun{ID: fmt.Sprintf("run-%02d", i), ConnectorID: "acme", Trigger: ticketsync.TriggerPoll,
			Status: ticketsync.RunSucceeded, StartedAt: start, FinishedAt: start.Add(1500 * time.Millisecond), Tickets: 1000 + i, Attempt: 1}
		if i%10 == 3 {
			run.Status, run.Errors, run.Attempt, run.NextRetryAt = ticketsync.RunRetrying, []string{"zendesk: 503 service unavailable"}, 2, start.Add(time.Minute)
		}
		if err := e.store.SaveSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	tickets := regexp.MustCompile(`class="num">(1\d\d\d)</td>`)
	pageOf := func(p string) []string {
		r := e.get("/connectors/acme" + p)
		if r.status != 200 {
			t.Fatalf("page %q: %d", p, r.status)
		}
		var got []string
		for _, m := range tickets.FindAllStringSubmatch(r.body, -1) {
			got = append(got, m[1])
		}
		return got
	}
	first := pageOf("")
	if len(first) != console.HistoryPageSize || first[0] != "1059" || first[24] != "1035" {
		t.Fatalf("first page: %v", first)
	}
	if third := pageOf("?page=2"); len(third) != n-2*console.HistoryPageSize || third[0] != "1009" || third[len(third)-1] != "1000" {
		t.Fatalf("third page: %v", third)
	}
	r := e.get("/connectors/acme?page=1")
	for _, want := range []string{`rel="prev"`, `rel="next"`, "retrying", "zendesk: 503 service unavailable", "1.5 s"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("page 1 lacks %q", want)
		}
	}
	if r := e.get("/connectors/acme?page=2"); strings.Contains(r.body, `rel="next"`) {
		t.Error("the last page links to a next one")
	}
	if r := e.get("/connectors/acme?page=-3"); r.status != 200 {
		t.Errorf("negative page: %d", r.status)
	}
}

func TestHistoryChart(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, func(o *console.Options) { o.Now = func() time.Time { return now }; o.ChartDays = 7 })
	ctx := context.Background()
	save := func(id string, at time.Time, tickets int, status ticketsync.RunStatus) {
		t.Helper()
		if err := e.store.SaveSyncRun(ctx, ticketsync.SyncRun{ID: id, ConnectorID: "acme", Trigger: ticketsync.TriggerPoll, Status: status, StartedAt: at, FinishedAt: at, Tickets: tickets, Attempt: 1}); err != nil {
			t.Fatal(err)
		}
	}
	save("a", now.Add(-time.Hour), 30, ticketsync.RunSucceeded)
	save("b", now.Add(-2*time.Hour), 10, ticketsync.RunSucceeded)
	save("c", now.AddDate(0, 0, -2), 20, ticketsync.RunSucceeded)
	save("d", now.AddDate(0, 0, -2), 0, ticketsync.RunFailed)
	save("e", now.AddDate(0, 0, -30), 999, ticketsync.RunSucceeded) // before the chart
	r := e.get("/connectors/acme")
	if r.status != 200 {
		t.Fatalf("%d", r.status)
	}
	for _, want := range []string{
		"<svg", "Tickets synced per day: 60 in all; 1 failed runs.",
		"2026-12-02: 40 tickets synced, 0 failed runs",
		"2026-11-30: 20 tickets synced, 1 failed runs",
		"2026-11-26: 0 tickets synced, 0 failed runs",
		`<circle`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if strings.Contains(r.body, "2026-11-25:") || strings.Count(r.body, "<rect") != 7 {
		t.Errorf("chart has %d bars, want 7", strings.Count(r.body, "<rect"))
	}
	// The busiest day's bar is the tallest.
	bars := regexp.MustCompile(`<rect x="\d+" y="\d+" width="\d+" height="(\d+)"`).FindAllStringSubmatch(r.body, -1)
	if len(bars) != 7 || bars[6][1] == "0" || bars[4][1] == "0" || bars[6][1] <= bars[4][1] && len(bars[6][1]) <= len(bars[4][1]) {
		t.Errorf("bar heights: %v", bars)
	}
}

func TestHistoryOfAnImportOnlyID(t *testing.T) {
	e := newEnv(t, nil)
	_ = e.store.SaveSyncRun(context.Background(), ticketsync.SyncRun{ID: "x", ConnectorID: "files", Trigger: ticketsync.TriggerImport,
		Status: ticketsync.RunSucceeded, StartedAt: time.Now(), FinishedAt: time.Now(), Tickets: 3, Attempt: 1})
	r := e.get("/connectors/files")
	if r.status != 200 || !strings.Contains(r.body, "not added to the syncer") || !strings.Contains(r.body, "import") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// xss are hostile strings a platform, a CSV file or a host might pass on.
var xss = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`javascript:alert(1)`,
}

func TestNothingIsRenderedUnescaped(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := `evil"><script>alert(1)</script>`
	e.addZendesk(id, ticketsync.ModeBoth)
	_ = e.store.SaveSyncRun(ctx, ticketsync.SyncRun{ID: "r", ConnectorID: id, Trigger: ticketsync.TriggerPoll, Status: ticketsync.RunFailed,
		StartedAt: time.Now(), FinishedAt: time.Now(), Attempt: 1, Errors: xss})
	for _, p := range []string{"/", "/connectors/" + pathEscape(id), "/connectors/" + pathEscape(id) + "/remove", "/import"} {
		r := e.get(p)
		if r.status != 200 {
			t.Fatalf("%s: %d", p, r.status)
		}
		for _, bad := range []string{"<script>alert", "<img src=x", `"><script`, `"><img`} {
			if strings.Contains(r.body, bad) {
				t.Errorf("%s renders %q unescaped", p, bad)
			}
		}
		if !strings.Contains(r.body, html.EscapeString("<script>alert(1)</script>")) && !strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the escaped id", p)
		}
	}
	// The links to the connector escape its id as a path segment.
	if r := e.get("/"); !strings.Contains(r.body, `/connectors/evil%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E`) {
		t.Errorf("connector link not path-escaped:\n%s", r.body)
	}
	// Actions on it work through the escaped path.
	if r := e.post("/connectors/"+pathEscape(id)+"/pause", nil); r.status != 303 {
		t.Fatalf("pause via escaped path: %d", r.status)
	}
	if st, _ := e.syncer.Status(id); !st.Paused {
		t.Fatal("not paused")
	}
}

func TestHostileTicketSubjectsInThePreview(t *testing.T) {
	e := newEnv(t, nil)
	csv := "id,subject,status,requester email,created,updated\n" +
		"1,\"<script>alert(1)</script>\",open,\"\"\"><img src=x onerror=alert(1)>\",2026-01-02,2026-01-03\n" +
		"2,javascript:alert(1),<b>bold</b>,a@b.c,2026-01-02,2026-01-03\n"
	r := e.follow(e.upload("acme", "hostile.csv", csv))
	if r.status != 200 {
		t.Fatalf("preview: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"<script>alert", "<img src=x", "<b>bold"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("the preview renders %q unescaped", bad)
		}
	}
	if !strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the preview does not show the subject escaped:\n%s", r.body)
	}
}

func pathEscape(s string) string {
	return strings.NewReplacer(`"`, "%22", ">", "%3E", "<", "%3C", "/", "%2F", "(", "%28", ")", "%29").Replace(s)
}

// TestHistoryShowsBackfillProgress: a backfill run shows the share of the
// history it had read; one whose connector cannot tell shows none.
func TestHistoryShowsBackfillProgress(t *testing.T) {
	now := time.Now().UTC()
	e := newEnv(t, func(o *console.Options) { o.Now = func() time.Time { return now } })
	ctx := context.Background()
	e.addZendesk("acme", ticketsync.ModePoll)
	for i, p := range []float64{0.375, -1} {
		start := now.Add(-time.Duration(2-i) * time.Hour)
		run := ticketsync.SyncRun{ID: fmt.Sprintf("bf-%d", i), ConnectorID: "acme", Trigger: ticketsync.TriggerBackfill,
			Status: ticketsync.RunSucceeded, StartedAt: start, FinishedAt: start.Add(time.Minute), Tickets: 10, Attempt: 1, Progress: p}
		if err := e.store.SaveSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	r := e.get("/connectors/acme")
	if n := strings.Count(r.body, "% of history"); r.status != 200 || n != 1 || !strings.Contains(r.body, "(38% of history)") {
		t.Errorf("history page shows %d progress figures, want one, 38%%:\n%s", n, r.body)
	}
}
