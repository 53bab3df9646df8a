package incremental_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/internal/incremental"
)

// Freshdesk: second granularity, ascending, 300 pages (3 here) of 100; many
// records share each boundary second.
func TestRestartBeforePageCapLosesNothing(t *testing.T) {
	pl := newPlatform(t)
	pl.gran, pl.maxPages = time.Second, 3
	for i := 0; i < 2000; i++ {
		// 40 records per second: every page boundary falls inside a second.
		pl.change(id(i), t0.Add(time.Duration(i/40)*time.Second+time.Duration(i%40)*time.Millisecond), 0)
	}
	p := incremental.Policy{Granularity: time.Second, Ordered: true, MaxPages: 3, Start: t0}
	got, _, err := pl.sync(p, "")
	if err != nil {
		t.Fatal(err)
	}
	delivered := map[string]time.Time{}
	record(delivered, got)
	checkAll(t, pl, delivered)
	if len(got) != 2000 {
		t.Errorf("delivered %d records for 2000: a boundary second was delivered twice", len(got))
	}
}

// HubSpot: 10,000 results per query (1,000 here), pages of 100, no page
// cap: the window must restart before the result cap.
func TestRestartBeforeResultCap(t *testing.T) {
	pl := newPlatform(t)
	pl.maxResults = 1000
	for i := 0; i < 5000; i++ {
		pl.change(id(i), t0.Add(time.Duration(i)*time.Second), 0)
	}
	p := incremental.Policy{Ordered: true, MaxResults: 1000, PageSize: 100, Start: t0}
	got, _, err := pl.sync(p, "")
	if err != nil {
		t.Fatalf("sync: %v (the query passed the platform's cap)", err)
	}
	delivered := map[string]time.Time{}
	record(delivered, got)
	checkAll(t, pl, delivered)
}

// More records at one instant than a query may return: with TieBreak they
// are read by id; without, Next refuses rather than loop.
func TestBoundaryTieLargerThanCap(t *testing.T) {
	build := func() *platform {
		pl := newPlatform(t)
		for i := 0; i < 450; i++ {
			pl.change(id(i), t0.Add(time.Hour), 0)
		}
		for i := 450; i < 500; i++ {
			pl.change(id(i), t0.Add(time.Hour+time.Duration(i)*time.Millisecond), 0)
		}
		return pl
	}
	pl := build()
	p := incremental.Policy{Ordered: true, MaxPages: 1, TieBreak: true, Start: t0}
	got, _, err := pl.sync(p, "")
	if err != nil {
		t.Fatal(err)
	}
	delivered := map[string]time.Time{}
	record(delivered, got)
	checkAll(t, pl, delivered)
	if len(got) != 500 {
		t.Errorf("delivered %d records for 500", len(got))
	}

	pl = build()
	p.TieBreak = false
	_, _, err = pl.sync(p, "")
	if !errors.Is(err, incremental.ErrStuck) {
		t.Errorf("without TieBreak: err = %v, want ErrStuck", err)
	}
}

// A change that becomes visible to search after a newer one was read (index
// lag) still arrives through the overlap, and the overlap's re-read
// delivers nothing twice.
func TestOverlapReadsLateChangesOnce(t *testing.T) {
	run := func(overlap time.Duration) (delivered map[string]time.Time, total int, pl *platform) {
		pl = newPlatform(t)
		pl.now = t0.Add(10 * time.Minute)
		for i := 0; i < 300; i++ {
			pl.change(id(i), t0.Add(time.Duration(i)*time.Second), 0)
		}
		// Changed at 4:00 but visible only at 12:00; a newer change
		// (5:00, visible at once) is read first.
		pl.change("late", t0.Add(4*time.Minute), 8*time.Minute)
		p := incremental.Policy{Ordered: true, MaxPages: 1, TieBreak: true, Overlap: overlap, Start: t0}
		delivered = map[string]time.Time{}
		got, cur, err := pl.sync(p, "")
		if err != nil {
			t.Fatal(err)
		}
		record(delivered, got)
		total += len(got)
		pl.now = t0.Add(20 * time.Minute)
		got, _, err = pl.sync(p, cur)
		if err != nil {
			t.Fatal(err)
		}
		record(delivered, got)
		total += len(got)
		return delivered, total, pl
	}
	delivered, total, pl := run(5 * time.Minute)
	checkAll(t, pl, delivered)
	if total != 301 {
		t.Errorf("delivered %d times for 301 records: the overlap re-read delivered again", total)
	}
	// Without the overlap, the late change is lost: the overlap is what
	// finds it.
	if delivered, _, _ := run(0); !delivered["late"].IsZero() {
		t.Error("without Overlap the late change arrived anyway; the test does not exercise the lag")
	}
}

// A lag longer than the overlap (but shorter than Settle) is caught by the
// settled re-read, and is lost without it.
func TestSettleReadsVeryLateChanges(t *testing.T) {
	settle(t, 45*time.Minute, true)
	settle(t, 0, false)
}

func settle(t *testing.T, d time.Duration, want bool) {
	pl := newPlatform(t)
	p := incremental.Policy{Ordered: true, MaxPages: 1, TieBreak: true, Overlap: time.Minute, Settle: d, Start: t0}
	delivered := map[string]time.Time{}
	cur := ""
	n := 0
	// A change a minute for three hours, one run every 5 minutes; the
	// change at 0:30 shows in search only 40 minutes later.
	for m := 0; m < 180; m++ {
		lag := time.Duration(0)
		if m == 30 {
			lag = 40 * time.Minute
		}
		pl.change(id(m), t0.Add(time.Duration(m)*time.Minute), lag)
		if m%5 == 4 {
			pl.now = t0.Add(time.Duration(m)*time.Minute + 30*time.Second)
			got, next, err := pl.sync(p, cur)
			if err != nil {
				t.Fatal(err)
			}
			record(delivered, got)
			n += len(got)
			cur = next
		}
	}
	if !want {
		if _, ok := delivered[id(30)]; ok {
			t.Error("without Settle the late change arrived anyway; the test does not exercise the lag")
		}
		return
	}
	checkAll(t, pl, delivered)
	if n > 3*180 {
		t.Errorf("delivered %d times for 180 records: the settled re-read costs too much", n)
	}
}

// Intercom: strict ">" at second granularity, unordered results.
func TestUnorderedStrictQuery(t *testing.T) {
	pl := newPlatform(t)
	pl.gran, pl.ordered, pl.pageSize = time.Second, false, 150
	for i := 0; i < 1000; i++ {
		pl.change(id(i), t0.Add(time.Duration(i/7)*time.Second), 0)
	}
	p := incremental.Policy{Granularity: time.Second, Overlap: 5 * time.Second, Start: t0}
	delivered := map[string]time.Time{}
	got, cur, err := pl.sync(p, "")
	if err != nil {
		t.Fatal(err)
	}
	record(delivered, got)
	// New changes in the last second read, and an update of an old record.
	last := t0.Add(142 * time.Second)
	pl.change("new-1", last, 0)
	pl.change(id(3), last.Add(time.Second), 0)
	got, _, err = pl.sync(p, cur)
	if err != nil {
		t.Fatal(err)
	}
	record(delivered, got)
	checkAll(t, pl, delivered)
	if len(got) != 2 {
		t.Errorf("second run delivered %d records, want the 2 changed", len(got))
	}
	q := incremental.Query{From: t0.Add(10 * time.Second), Granularity: time.Second}
	if !q.After().Equal(t0.Add(9 * time.Second)) {
		t.Errorf("After() = %s", q.After())
	}
	// An unordered query cannot be restarted at a cap.
	pl.maxPages = 2
	_, _, err = pl.sync(incremental.Policy{Granularity: time.Second, MaxPages: 2, Start: t0}, "")
	if !errors.Is(err, incremental.ErrStuck) {
		t.Errorf("unordered query at its cap: err = %v, want ErrStuck", err)
	}
}

// Jira: minute granularity; a later run in the same minute delivers only
// what changed.
func TestMinuteGranularity(t *testing.T) {
	pl := newPlatform(t)
	pl.gran = time.Minute
	for i := 0; i < 50; i++ {
		pl.change(id(i), t0.Add(time.Duration(i)*time.Second), 0)
	}
	p := incremental.Policy{Granularity: time.Minute, Ordered: true, Overlap: time.Minute, Start: t0.Add(30 * time.Second)}
	got, cur, err := pl.sync(p, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 {
		t.Errorf("first run delivered %d, want 50 (the start is truncated to the minute)", len(got))
	}
	pl.change("x", t0.Add(55*time.Second), 0)
	got, _, err = pl.sync(p, cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].id != "x" {
		t.Errorf("second run delivered %v, want only x", got)
	}
}

func TestNewerVersionDeliveredAgain(t *testing.T) {
	var w incremental.Window
	p := incremental.Policy{}
	w.Query(p)
	if !w.Observe("a", t0) || w.Observe("a", t0) || w.Observe("a", t0.Add(-time.Second)) || !w.Observe("a", t0.Add(time.Second)) {
		t.Error("Observe did not deliver exactly the first and the newer version")
	}
	if c, ok := w.Checkpoint(); !ok || !c.Equal(t0.Add(time.Second)) {
		t.Errorf("Checkpoint = %s, %v", c, ok)
	}
}

func TestSeenStaysBounded(t *testing.T) {
	pl := newPlatform(t)
	pl.gran, pl.maxPages = time.Second, 3
	for i := 0; i < 6000; i++ {
		pl.change(id(i), t0.Add(time.Duration(i)*time.Second), 0)
	}
	p := incremental.Policy{Granularity: time.Second, Ordered: true, MaxPages: 3, MaxSeen: 50, Overlap: time.Minute, Start: t0}
	_, cur, err := pl.sync(p, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(cur) > 4000 {
		t.Errorf("cursor is %d bytes after 6,000 records: the seen ids are not bounded", len(cur))
	}
}

// Page-number paging over records that change while it pages: a record
// updated between pages moves to the end and the next one slides onto a
// page already read. Restarting every page loses nothing; paging on loses
// the record that slid.
func TestRestartEveryPageSurvivesShiftingPages(t *testing.T) {
	run := func(p incremental.Policy) map[string]time.Time {
		pl := newPlatform(t)
		pl.gran, pl.pageSize, pl.maxPages = time.Second, 10, 300
		for i := 0; i < 50; i++ {
			pl.change(id(i), t0.Add(time.Duration(i)*time.Second), 0)
		}
		// After the first page, the ticket first read is updated.
		pl.beforeQuery = func(n int) {
			if n == 1 {
				pl.change(id(0), t0.Add(time.Hour), 0)
			}
		}
		got, _, err := pl.sync(p, "")
		if err != nil {
			t.Fatal(err)
		}
		delivered := map[string]time.Time{}
		record(delivered, got)
		return delivered
	}
	if d := run(incremental.Policy{Granularity: time.Second, Ordered: true, RestartEvery: 1, MaxPages: 300, Start: t0}); len(d) != 50 {
		t.Errorf("RestartEvery 1: %d of 50 records delivered", len(d))
	}
	if d := run(incremental.Policy{Granularity: time.Second, Ordered: true, MaxPages: 300, Start: t0}); len(d) == 50 {
		t.Error("paging on delivered all 50: the test does not shift pages")
	}
}

// More records in one second than a page, on a platform that cannot
// break ties by id: RestartEvery pages on through them.
func TestRestartEveryPagesOnThroughABusySecond(t *testing.T) {
	pl := newPlatform(t)
	pl.gran, pl.pageSize, pl.maxPages = time.Second, 10, 300
	for i := 0; i < 35; i++ {
		pl.change(id(i), t0.Add(time.Second+time.Duration(i)*time.Millisecond), 0)
	}
	for i := 35; i < 60; i++ {
		pl.change(id(i), t0.Add(time.Duration(i)*time.Second), 0)
	}
	got, _, err := pl.sync(incremental.Policy{Granularity: time.Second, Ordered: true, RestartEvery: 1, MaxPages: 300, Start: t0}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60 {
		t.Errorf("delivered %d of 60", len(got))
	}
}

// A record read while its second had not ended can change again within
// that second and come back with the same whole-second time: it is
// delivered again until a read made after the second ended.
func TestChangeWithinTheSecondReadIsDeliveredAgain(t *testing.T) {
	p := incremental.Policy{Granularity: time.Second, Ordered: true, RestartEvery: 1, Start: t0}
	at := t0.Add(5 * time.Second) // the record's updated_at, whole seconds
	var w incremental.Window
	w.Query(p)
	w.ReadAt(p, at.Add(300*time.Millisecond)) // read during that second
	if !w.Observe("x", at) {
		t.Fatal("first read not delivered")
	}
	if _, err := w.Next(p, ""); err != nil {
		t.Fatal(err)
	}
	// x changes again at at+600ms: updated_at is still at.
	w = roundTrip(t, w)
	w.Query(p)
	w.ReadAt(p, at.Add(800*time.Millisecond))
	if !w.Observe("x", at) {
		t.Error("a change within the second it was read in was not delivered")
	}
	if _, err := w.Next(p, ""); err != nil {
		t.Fatal(err)
	}
	w = roundTrip(t, w)
	w.Query(p)
	w.ReadAt(p, at.Add(1200*time.Millisecond))
	if !w.Observe("x", at) {
		t.Error("a read during the second did not make the next one deliver again")
	}
	if _, err := w.Next(p, ""); err != nil {
		t.Fatal(err)
	}
	w = roundTrip(t, w)
	w.Query(p)
	w.ReadAt(p, at.Add(2*time.Second))
	if w.Observe("x", at) {
		t.Error("delivered again after a read made once its second had ended")
	}
	// With Skew, the platform's second is taken to end Skew later.
	ps := p
	ps.Skew = 2 * time.Second
	var s incremental.Window
	s.Query(ps)
	s.ReadAt(ps, at.Add(1500*time.Millisecond))
	s.Observe("y", at)
	s.Next(ps, "")
	s.Query(ps)
	s.ReadAt(ps, at.Add(1600*time.Millisecond))
	if !s.Observe("y", at) {
		t.Error("Skew: a read within Skew of the second was taken as final")
	}
}

func roundTrip(t *testing.T, w incremental.Window) incremental.Window {
	t.Helper()
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var out incremental.Window
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
