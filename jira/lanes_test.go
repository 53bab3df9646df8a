package jira_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/jira"
	"github.com/ticketsync/ticketsync/jira/jiratest"
)

// laneRead is what a lane read: the newest copy of each ticket, and every
// cursor Fetch returned, the last one last.
type laneRead struct {
	tickets map[string]ticketsync.Ticket
	cursors []string
}

// drainLane calls Fetch from cursor until caught up.
func drainLane(t *testing.T, c *jira.Connector, cursor string) laneRead {
	t.Helper()
	r := laneRead{tickets: map[string]ticketsync.Ticket{}}
	for n := 0; ; n++ {
		if n > 1000 {
			t.Fatal("no end after 1000 pages")
		}
		page, err := c.Fetch(context.Background(), cursor)
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		for _, tk := range page.Tickets {
			if old, ok := r.tickets[tk.ID]; !ok || !tk.UpdatedAt.Before(old.UpdatedAt) {
				r.tickets[tk.ID] = tk
			}
		}
		cursor = page.Cursor
		r.cursors = append(r.cursors, cursor)
		if !page.More {
			return r
		}
	}
}

func (r laneRead) last() string { return r.cursors[len(r.cursors)-1] }

// checkpoint describes cursor and fails the test on an error.
func checkpoint(t *testing.T, c *jira.Connector, cursor string) time.Time {
	t.Helper()
	info, err := c.DescribeCursor(cursor)
	if err != nil {
		t.Fatalf("DescribeCursor: %v", err)
	}
	return info.Checkpoint
}

// checkLane checks that the lane read each of the fake's issues last
// updated in [from, to) at its current version, with all its comments.
func checkLane(t *testing.T, f *jiratest.Server, lane string, r laneRead, from, to time.Time) {
	t.Helper()
	for _, id := range f.IssueIDs() {
		is, _ := f.Issue(id)
		if is.Updated.Before(from) || !is.Updated.Before(to) {
			continue
		}
		tk, ok := r.tickets[strconv.FormatInt(id, 10)]
		switch {
		case !ok:
			t.Errorf("%s lane: issue %s updated %s is missing", lane, is.Key, is.Updated.Format(time.RFC3339))
		case !tk.UpdatedAt.Equal(is.Updated):
			t.Errorf("%s lane: issue %s at %s, want %s", lane, is.Key, tk.UpdatedAt, is.Updated)
		case len(tk.Comments) != len(is.Comments):
			t.Errorf("%s lane: issue %s has %d comments, want its %d", lane, is.Key, len(tk.Comments), len(is.Comments))
		}
	}
}

// TestStartCursorStartsTheLiveLaneAtATime: over two days of history, a
// cursor started at since (in the middle of a minute) reads the issues
// updated since then, with all their comments also when search embeds
// fewer, and none of the history before its lag window; the empty cursor
// reads it all. The profile's zone is UTC+5:30 or Los Angeles, so a since
// written into JQL as UTC would be read hours off.
func TestStartCursorStartsTheLiveLaneAtATime(t *testing.T) {
	for _, zone := range []string{"Asia/Kolkata", "America/Los_Angeles"} {
		t.Run(zone, func(t *testing.T) {
			f := jiratest.NewServer(t, &jiratest.Options{TimeZone: zone, SearchComments: 3})
			const lag = 15 * time.Minute
			c := newConn(t, f, func(cfg *jira.Config) { cfg.PageSize = 7; cfg.SearchLag = lag })
			var since time.Time
			for i := range 48 {
				if i == 36 {
					f.Advance(30 * time.Second)
					since = f.Now() // hh:mm:30, and an issue created right at it
				}
				is := f.CreateIssue(jiratest.Issue{Summary: "Issue " + strconv.Itoa(i), Description: jiratest.Doc("Body"),
					Comments: []jiratest.Comment{{Body: jiratest.Doc("First reply"), Public: true}}})
				if i%5 == 0 {
					// More comments than search embeds, one of them internal.
					for j := range 4 {
						f.AddComment(is.ID, jiratest.Comment{Body: jiratest.Doc("Note " + strconv.Itoa(j)), Public: j != 2})
					}
				}
				step := time.Hour
				if i == 36 {
					// Later in the same minute as since.
					f.Advance(20 * time.Second)
					f.UpdateIssue(is.ID-1, func(is *jiratest.Issue) { is.Summary += " (edited)" })
					step -= 20 * time.Second
				}
				f.Advance(step)
			}

			before := len(f.Requests())
			cur, err := c.StartCursor(since)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(f.Requests()) - before; n != 0 {
				t.Errorf("StartCursor made %d requests, want none", n)
			}
			if cp := checkpoint(t, c, cur); !cp.Equal(since) {
				t.Errorf("a new live cursor's checkpoint is %s, want its start %s", cp, since)
			}

			live := drainLane(t, c, cur)
			// Issues 36..47 and issue 35, edited 20 seconds after since;
			// everything else last changed at least 40 minutes before it.
			if len(live.tickets) != 13 {
				t.Errorf("live lane read %d issues, want the 13 updated since its start", len(live.tickets))
			}
			for id, tk := range live.tickets {
				if tk.UpdatedAt.Before(since.Add(-lag - time.Minute)) {
					t.Errorf("live lane read issue %s updated %s, before its start %s and lag window", id, tk.UpdatedAt, since)
				}
			}
			checkLane(t, f, "live", live, since, f.Now().Add(time.Hour))
			for i, cu := range live.cursors {
				if cp := checkpoint(t, c, cu); cp.Before(since) {
					t.Errorf("live cursor %d: checkpoint %s, before the lane's start %s", i, cp, since)
				}
			}
			newest := since
			for _, tk := range live.tickets {
				if tk.UpdatedAt.After(newest) {
					newest = tk.UpdatedAt
				}
			}
			if cp := checkpoint(t, c, live.last()); !cp.Equal(newest) {
				t.Errorf("caught-up live cursor's checkpoint is %s, want the newest change %s", cp, newest)
			}

			back := drainLane(t, c, "")
			if len(back.tickets) != 48 {
				t.Errorf("backfill lane read %d issues, want 48", len(back.tickets))
			}
			checkLane(t, f, "backfill", back, time.Time{}, f.Now().Add(time.Hour))
			var prev time.Time
			for i, cu := range back.cursors {
				cp := checkpoint(t, c, cu)
				if cp.Before(prev) {
					t.Errorf("backfill cursor %d: checkpoint %s went back from %s", i, cp, prev)
				}
				prev = cp
			}
			if !prev.Equal(newest) {
				t.Errorf("caught-up backfill cursor's checkpoint is %s, want %s", prev, newest)
			}

			// The live cursor is a normal cursor: the next poll reads only
			// what changed since.
			f.Advance(time.Hour)
			first := f.IssueIDs()[0]
			if f.AddComment(first, jiratest.Comment{Body: jiratest.Doc("Back from the past"), Public: true}) == 0 {
				t.Fatal("AddComment failed")
			}
			f.Advance(time.Minute)
			next := drainLane(t, c, live.last())
			if _, ok := next.tickets[strconv.FormatInt(first, 10)]; len(next.tickets) != 1 || !ok {
				t.Errorf("the next live poll read %d issues, want only issue %d, commented on since", len(next.tickets), first)
			}
		})
	}
}

// TestStartCursorKeepsTheMinuteOfSince: with the smallest lag window, a
// since in the middle of a minute reads the changes of that whole minute,
// and nothing from minutes before; the zone the literal is written in is
// the profile's when the first Fetch runs, not when StartCursor was
// called; and a since in the hour Los Angeles repeats when daylight saving
// ends is read from before both of its readings.
func TestStartCursorKeepsTheMinuteOfSince(t *testing.T) {
	cases := []struct {
		name         string
		start        time.Time // the fake's clock; since is an hour later, hh:mm:30
		zone, zoneAt string    // the profile's zone at StartCursor, and at the first Fetch
	}{
		{"UTC+5:30", time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), "UTC", "Asia/Kolkata"},
		{"Los Angeles, repeated hour", time.Date(2026, 11, 1, 7, 31, 0, 0, time.UTC), "Asia/Kolkata", "America/Los_Angeles"}, // since 01:30:30 PDT
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := jiratest.NewServer(t, &jiratest.Options{TimeZone: tc.zone, Start: tc.start})
			c := newConn(t, f, func(cfg *jira.Config) { cfg.SearchLag = time.Second })
			create := func(name string) jiratest.Issue {
				return f.CreateIssue(jiratest.Issue{Summary: name, Description: jiratest.Doc(name),
					Comments: []jiratest.Comment{{Body: jiratest.Doc("reply"), Public: true}}})
			}
			create("long before")
			f.Advance(58 * time.Minute)
			early := create("a minute before")
			f.Advance(time.Minute + 20*time.Second)
			sameBefore := create("same minute, before since")
			f.Advance(10 * time.Second)
			since := f.Now()
			if since.Second() != 30 {
				t.Fatalf("since is %s, want the middle of a minute", since)
			}
			cur, err := c.StartCursor(since)
			if err != nil {
				t.Fatal(err)
			}
			at := create("right at since")
			f.Advance(20 * time.Second)
			after := create("same minute, after since")
			f.Advance(40 * time.Second)
			var later []jiratest.Issue
			for i := range 6 { // through the repeated hour and past it
				later = append(later, create("later "+strconv.Itoa(i)))
				f.Advance(17 * time.Minute)
			}
			if err := f.SetTimeZone(tc.zoneAt); err != nil {
				t.Fatal(err)
			}

			live := drainLane(t, c, cur)
			for _, is := range append([]jiratest.Issue{sameBefore, at, after}, later...) {
				if _, ok := live.tickets[strconv.FormatInt(is.ID, 10)]; !ok {
					t.Errorf("live lane lost %q, updated %s (since %s)", is.Summary, is.Updated.Format(time.RFC3339), since.Format(time.RFC3339))
				}
			}
			checkLane(t, f, "live", live, since, f.Now().Add(time.Hour))
			if _, ok := live.tickets[strconv.FormatInt(early.ID, 10)]; ok && tc.zoneAt == "Asia/Kolkata" {
				t.Errorf("live lane read %q from the minute before since's", early.Summary)
			}
			if n := len(live.tickets); n > 1+len(later)+3 {
				t.Errorf("live lane read %d issues; the history before since's minute is not its to read", n)
			}
			for i, cu := range live.cursors {
				if cp := checkpoint(t, c, cu); cp.Before(since) {
					t.Errorf("live cursor %d: checkpoint %s, before since %s", i, cp, since)
				}
			}
		})
	}
}

// TestStartCursorReadsALateIndexedChangeBeforeSince: a change made just
// before since that the search index shows only after the live lane's
// first poll is read by the live lane's next poll (the backfill lane may
// have passed it already); a change older than the lag window is not.
func TestStartCursorReadsALateIndexedChangeBeforeSince(t *testing.T) {
	f := jiratest.NewServer(t, &jiratest.Options{TimeZone: "Asia/Kolkata"})
	const lag = 10 * time.Minute
	c := newConn(t, f, func(cfg *jira.Config) { cfg.SearchLag = lag })
	old := f.CreateIssue(jiratest.Issue{Summary: "old", Description: jiratest.Doc("old")})
	f.Advance(2 * lag)
	f.SetIndexLag(lag - 2*time.Minute)
	late := f.CreateIssue(jiratest.Issue{Summary: "indexed late", Description: jiratest.Doc("late")})
	f.SetIndexLag(0)
	f.Advance(3 * time.Minute)
	since := f.Now()
	cur, err := c.StartCursor(since)
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Minute)
	first := drainLane(t, c, cur)
	if len(first.tickets) != 0 {
		t.Fatalf("the first live poll read %d issues before the index showed the late one", len(first.tickets))
	}
	f.Advance(lag)
	second := drainLane(t, c, first.last())
	if _, ok := second.tickets[strconv.FormatInt(late.ID, 10)]; !ok {
		t.Errorf("the live lane never read the change made %s before since that the index showed late", since.Sub(late.Updated))
	}
	if _, ok := second.tickets[strconv.FormatInt(old.ID, 10)]; ok {
		t.Errorf("the live lane read an issue updated %s before since, past its lag window", since.Sub(old.Updated))
	}
}

// TestStartCursorIsTheConnectorsOwn: a cursor of StartCursor is bound to
// its site like every other, and a since before 1970 (or the zero time)
// reads from the configured start.
func TestStartCursorIsTheConnectorsOwn(t *testing.T) {
	f := jiratest.NewServer(t, nil)
	createIssues(f, 5, time.Hour)
	c := newConn(t, f, nil)
	cur, err := c.StartCursor(f.Now())
	if err != nil {
		t.Fatal(err)
	}
	other := newConn(t, jiratest.NewServer(t, nil), nil)
	if _, err := other.Fetch(context.Background(), cur); !errors.Is(err, ticketsync.ErrInvalidCursor) {
		t.Errorf("another site's connector fetched from the cursor: %v; want ErrInvalidCursor", err)
	}
	if _, err := other.DescribeCursor(cur); !errors.Is(err, ticketsync.ErrInvalidCursor) {
		t.Errorf("another site's connector described the cursor: %v; want ErrInvalidCursor", err)
	}
	zero, err := c.StartCursor(time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got := drainLane(t, c, zero); len(got.tickets) != 5 {
		t.Errorf("a cursor started at the zero time read %d issues, want all 5", len(got.tickets))
	}
}
