package hubspot_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/hubspot"
	"github.com/ticketsync/ticketsync/hubspot/hubspottest"
	"github.com/ticketsync/ticketsync/internal/incremental"
)

func TestFullSyncEqualsFake(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	owner := fake.AddOwner(hubspottest.Owner{Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper"})
	var ids []string
	for i := range 450 {
		id := fake.CreateTicket(map[string]string{
			"subject": fmt.Sprintf("Ticket %d", i), "content": "<p>Printer &amp; scanner</p>",
			"hs_ticket_priority": []string{"LOW", "MEDIUM", "HIGH", "URGENT"}[i%4],
			"hubspot_owner_id":   owner, "source_type": "EMAIL", "hs_ticket_category": "PRODUCT_ISSUE;BILLING_ISSUE",
		})
		ct := fake.AddContact(hubspottest.Contact{Email: fmt.Sprintf("c%d@example.com", i), FirstName: "Ada", LastName: fmt.Sprint(i)})
		fake.AssociateContact(id, ct)
		fake.Advance(time.Second)
		fake.AddEmail(id, hubspottest.Email{Direction: "INCOMING_EMAIL", Text: "help", FromEmail: fmt.Sprintf("c%d@example.com", i)})
		fake.Advance(time.Second)
		fake.AddNote(id, hubspottest.Note{Body: "<b>internal</b> note", OwnerID: owner})
		fake.Advance(time.Second)
		ids = append(ids, id)
	}
	r := drain(t, c, "")
	if len(r.tickets) != len(ids) {
		t.Fatalf("synced %d tickets, want %d", len(r.tickets), len(ids))
	}
	for i, id := range ids {
		got := r.tickets[id]
		want, _ := fake.Ticket(id)
		if got.Subject != fmt.Sprintf("Ticket %d", i) || got.Description != "Printer & scanner" {
			t.Fatalf("ticket %s: subject %q description %q", id, got.Subject, got.Description)
		}
		if !got.UpdatedAt.Equal(want.UpdatedAt) || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Fatalf("ticket %s: times %v/%v, want %v/%v", id, got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
		}
		if got.Requester.Email != fmt.Sprintf("c%d@example.com", i) || got.Requester.Name != fmt.Sprintf("Ada %d", i) || got.Requester.ID != want.Contacts[0] {
			t.Fatalf("ticket %s: requester %+v", id, got.Requester)
		}
		if got.Assignee != (ticketsync.Person{ID: owner, Name: "Grace Hopper", Email: "grace@example.com"}) {
			t.Fatalf("ticket %s: assignee %+v", id, got.Assignee)
		}
		if got.Status != ticketsync.StatusNew || got.RawStatus != "New" || got.Channel != "email" {
			t.Fatalf("ticket %s: status %q/%q channel %q", id, got.Status, got.RawStatus, got.Channel)
		}
		wantPrio := []ticketsync.Priority{"low", "normal", "high", "urgent"}[i%4]
		if got.Priority != wantPrio || got.RawPriority == "" {
			t.Fatalf("ticket %s: priority %q (%q), want %q", id, got.Priority, got.RawPriority, wantPrio)
		}
		if !slices.Equal(got.Tags, []string{"PRODUCT_ISSUE", "BILLING_ISSUE"}) || got.Fields["hs_pipeline"] != "0" {
			t.Fatalf("ticket %s: tags %v fields %v", id, got.Tags, got.Fields)
		}
		if len(got.Comments) != 2 {
			t.Fatalf("ticket %s: %d comments, want 2", id, len(got.Comments))
		}
		em, note := got.Comments[0], got.Comments[1]
		if em.ID != "email-"+want.Emails[0] || !em.Public || em.Body != "help" || em.Author.Email != fmt.Sprintf("c%d@example.com", i) {
			t.Fatalf("ticket %s: email comment %+v", id, em)
		}
		if note.ID != "note-"+want.Notes[0] || note.Public || note.Body != "internal note" || note.Author.Name != "Grace Hopper" {
			t.Fatalf("ticket %s: note comment %+v", id, note)
		}
		if want := fmt.Sprintf("https://app.hubspot.com/contacts/%d/record/0-5/%s", hubspottest.DefaultPortalID, id); got.URL != want {
			t.Fatalf("URL = %q, want %q", got.URL, want)
		}
	}
}

func TestIncrementalPicksUpExactlyTheChanges(t *testing.T) {
	fake, c := newPair(t, nil, func(cfg *hubspot.Config) { cfg.SearchLag = -1 })
	var ids []string
	for range 300 {
		ids = append(ids, fake.CreateTicket(map[string]string{"subject": "v1"}))
		fake.Advance(time.Second)
	}
	first := drain(t, c, "")
	if len(first.tickets) != 300 {
		t.Fatalf("first sync: %d tickets", len(first.tickets))
	}
	fake.Advance(time.Minute)
	changed := []string{ids[3], ids[150], ids[299]}
	for _, id := range changed {
		fake.UpdateTicket(id, map[string]string{"subject": "v2"})
		fake.Advance(time.Second)
	}
	created := fake.CreateTicket(map[string]string{"subject": "new"})
	second := drain(t, c, first.cursor)
	var got []string
	for id := range second.seen {
		got = append(got, id)
	}
	slices.Sort(got)
	want := append(slices.Clone(changed), created)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("second sync delivered %v, want exactly %v", got, want)
	}
	for _, id := range changed {
		if second.tickets[id].Subject != "v2" {
			t.Errorf("ticket %s: subject %q", id, second.tickets[id].Subject)
		}
	}
	third := drain(t, c, second.cursor)
	if len(third.seen) != 0 {
		t.Errorf("a sync with no changes delivered %v", third.seen)
	}
}

func TestOverlapCatchesIndexLagWithoutRedelivery(t *testing.T) {
	fake, c := newPair(t, &hubspottest.Options{IndexLag: 30 * time.Second, RateLimit: -1, SearchRateLimit: -1},
		func(cfg *hubspot.Config) { cfg.SearchLag = 2 * time.Minute })
	a := fake.CreateTicket(map[string]string{"subject": "a"})
	fake.Advance(time.Minute)
	r1 := drain(t, c, "")
	if len(r1.tickets) != 1 {
		t.Fatalf("first sync: %v", r1.seen)
	}
	// b is modified before c, but only c is indexed when the next sync runs.
	b := fake.CreateTicket(map[string]string{"subject": "b"})
	fake.Advance(40 * time.Second)
	cc := fake.CreateTicket(map[string]string{"subject": "c"})
	fake.Advance(5 * time.Second)
	// Index state: a and b visible, c not yet; the sync after the lag sees c.
	r2 := drain(t, c, r1.cursor)
	fake.Advance(time.Minute)
	r3 := drain(t, c, r2.cursor)
	all := map[string]int{}
	for _, r := range []run{r1, r2, r3} {
		for id, n := range r.seen {
			all[id] += n
		}
	}
	for _, id := range []string{a, b, cc} {
		if all[id] != 1 {
			t.Errorf("ticket %s delivered %d times over three syncs, want once: %v", id, all[id], all)
		}
	}
}

func TestTwentyFiveThousandThroughTheCap(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 25,000 tickets")
	}
	fake, c := newPair(t, nil, func(cfg *hubspot.Config) { cfg.MaxCommentsPerTicket = -1 })
	const n = 25000
	want := map[string]bool{}
	for i := range n {
		want[fake.CreateTicket(map[string]string{"subject": "bulk"})] = true
		if i%7 != 0 { // runs of tickets share a millisecond
			fake.Advance(time.Millisecond)
		}
	}
	r := drain(t, c, "")
	if len(r.tickets) != n {
		t.Fatalf("synced %d distinct tickets, want %d", len(r.tickets), n)
	}
	for id := range want {
		if _, ok := r.tickets[id]; !ok {
			t.Fatalf("ticket %s missing", id)
		}
	}
	if n := statusCount(fake, 400); n != 0 {
		t.Errorf("%d answers were 400 (past the search cap?)", n)
	}
	searches := fake.RequestCount("POST", "/crm/v3/objects/tickets/search")
	if searches > n/200+5 {
		t.Errorf("%d searches for %d tickets, want about %d", searches, n, n/200)
	}
}

func TestTiesLargerThanAPage(t *testing.T) {
	fake, c := newPair(t, nil, func(cfg *hubspot.Config) { cfg.MaxCommentsPerTicket = -1 })
	for range 650 { // all in the same millisecond
		fake.CreateTicket(nil)
	}
	fake.Advance(time.Second)
	last := fake.CreateTicket(nil)
	r := drain(t, c, "")
	if len(r.tickets) != 651 {
		t.Fatalf("synced %d tickets, want 651", len(r.tickets))
	}
	if _, ok := r.tickets[last]; !ok {
		t.Error("the ticket after the tie is missing")
	}
	for id, n := range r.seen {
		if n > 2 {
			t.Errorf("ticket %s delivered %d times", id, n)
		}
	}
}

func TestResumeFromEveryPageBoundary(t *testing.T) {
	fake, c := newPair(t, nil, func(cfg *hubspot.Config) { cfg.ArchivedScanInterval = time.Nanosecond })
	for i := range 700 {
		id := fake.CreateTicket(map[string]string{"subject": fmt.Sprint(i)})
		if i%3 == 0 {
			fake.AddNote(id, hubspottest.Note{Body: "n"})
		}
		if i%5 != 0 {
			fake.Advance(time.Second)
		}
	}
	fake.ArchiveTicket(fake.TicketIDs(false)[10])
	full := drain(t, c, "")
	if full.pages < 4 {
		t.Fatalf("only %d pages", full.pages)
	}
	for i, cur := range full.cursors {
		// A Store that holds the pages before boundary i, then the
		// pages of a run resumed from the cursor saved there.
		store := map[string]ticketsync.Ticket{}
		for _, page := range full.pages_[:i] {
			for _, tk := range page {
				store[tk.ID] = merge(store[tk.ID], tk)
			}
		}
		resumed := drain(t, c, cur)
		for id, tk := range resumed.tickets {
			store[id] = merge(store[id], tk)
		}
		if len(store) != len(full.tickets) {
			t.Fatalf("boundary %d: %d tickets, want %d", i, len(store), len(full.tickets))
		}
		for id, want := range full.tickets {
			got := store[id]
			if !got.UpdatedAt.Equal(want.UpdatedAt) || got.Deleted != want.Deleted || got.Subject != want.Subject || len(got.Comments) != len(want.Comments) {
				t.Fatalf("boundary %d: ticket %s = %+v, want %+v", i, id, got, want)
			}
		}
	}
}

func TestArchivedBecomesDeleted(t *testing.T) {
	fake, c := newPair(t, nil, func(cfg *hubspot.Config) { cfg.ArchivedScanInterval = time.Nanosecond })
	a := fake.CreateTicket(map[string]string{"subject": "keep"})
	b := fake.CreateTicket(map[string]string{"subject": "delete me", "hs_ticket_priority": "HIGH"})
	fake.Advance(time.Second)
	r1 := drain(t, c, "")
	if r1.tickets[b].Deleted {
		t.Fatal("deleted before it was")
	}
	fake.Advance(time.Minute)
	fake.ArchiveTicket(b)
	fake.Advance(time.Minute)
	r2 := drain(t, c, r1.cursor)
	got, ok := r2.tickets[b]
	if !ok || !got.Deleted {
		t.Fatalf("archived ticket not delivered as deleted: %+v", got)
	}
	st, _ := fake.Ticket(b)
	if !got.UpdatedAt.Equal(st.ArchivedAt) || got.Subject != "delete me" || got.Priority != ticketsync.PriorityHigh {
		t.Errorf("tombstone = %+v, want UpdatedAt %v and the ticket's fields", got, st.ArchivedAt)
	}
	if _, ok := r2.tickets[a]; ok {
		t.Errorf("unchanged ticket redelivered")
	}
	fake.Advance(time.Hour)
	r3 := drain(t, c, r2.cursor)
	if _, ok := r3.tickets[b]; ok {
		t.Errorf("tombstone redelivered an hour later")
	}
}

func TestStageMappingPerAccount(t *testing.T) {
	fake, c := newPair(t, nil, func(cfg *hubspot.Config) {
		cfg.StageStatus = map[string]ticketsync.Status{"Escalated to vendor": ticketsync.StatusOnHold}
	})
	// Ids that collide with the default pipeline's, meaning other things.
	fake.SetPipelines([]hubspottest.Pipeline{
		{ID: "0", Label: "Support", Stages: []hubspottest.Stage{
			{ID: "4", Label: "Inbox", DisplayOrder: 0, TicketState: "OPEN"},
			{ID: "3", Label: "Waiting on customer", DisplayOrder: 1, TicketState: "OPEN"},
			{ID: "2", Label: "Working on it", DisplayOrder: 2, TicketState: "OPEN"},
			{ID: "1", Label: "Resolved", DisplayOrder: 3, TicketState: "CLOSED"},
			{ID: "5", Label: "Won't fix", DisplayOrder: 4, TicketState: "CLOSED"},
		}},
		{ID: "88123", Label: "Partners", Stages: []hubspottest.Stage{
			{ID: "99001", Label: "Escalated to vendor", DisplayOrder: 0, TicketState: "OPEN"},
			{ID: "99002", Label: "Done", DisplayOrder: 1, TicketState: "OPEN"},
		}},
	})
	cases := map[string]struct {
		status ticketsync.Status
		raw    string
	}{
		"4": {ticketsync.StatusNew, "Inbox"}, "3": {ticketsync.StatusPending, "Waiting on customer"},
		"2": {ticketsync.StatusOpen, "Working on it"}, "1": {ticketsync.StatusSolved, "Resolved"},
		"5": {ticketsync.StatusClosed, "Won't fix"}, "99001": {ticketsync.StatusOnHold, "Escalated to vendor"},
		"99002": {ticketsync.StatusOpen, "Done"}, "777": {ticketsync.StatusOpen, "777"},
	}
	ids := map[string]string{}
	for stage := range cases {
		ids[stage] = fake.CreateTicket(map[string]string{"hs_pipeline_stage": stage})
	}
	r := drain(t, c, "")
	for stage, want := range cases {
		got := r.tickets[ids[stage]]
		if got.Status != want.status || got.RawStatus != want.raw {
			t.Errorf("stage %s: %q/%q, want %q/%q", stage, got.Status, got.RawStatus, want.status, want.raw)
		}
	}
}

func TestStringNumbersNullsAndUnknowns(t *testing.T) {
	fake, c := newPair(t, &hubspottest.Options{EpochMillisDates: true, RateLimit: -1, SearchRateLimit: -1}, func(cfg *hubspot.Config) {
		cfg.Properties = []string{"time_to_close", "closed_date"}
	})
	id := fake.CreateTicket(map[string]string{"subject": "s", "hs_ticket_priority": "P2-ish", "time_to_close": "86400000",
		"closed_date": "1709290800000", "hubspot_owner_id": "123456"})
	fake.ClearTicketProperty(id, "subject")
	fake.ClearTicketProperty(id, "hs_pipeline_stage")
	r := drain(t, c, "")
	got := r.tickets[id]
	if got.Subject != "" || got.Status != ticketsync.StatusOpen || got.RawStatus != "" {
		t.Errorf("null subject/stage: %+v", got)
	}
	if got.Priority != ticketsync.PriorityNone || got.RawPriority != "P2-ish" {
		t.Errorf("unknown priority: %q/%q", got.Priority, got.RawPriority)
	}
	if got.Fields["time_to_close"] != "86400000" || got.Fields["closed_date"] != "1709290800000" {
		t.Errorf("fields = %v", got.Fields)
	}
	if want, _ := fake.Ticket(id); !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("epoch-ms times: %v/%v, want %v/%v", got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	if got.Assignee.ID != "123456" || got.Assignee.Name != "" {
		t.Errorf("unknown owner: %+v", got.Assignee)
	}
	if got.Requester != (ticketsync.Person{}) || len(got.Comments) != 0 {
		t.Errorf("no contact, no comments: %+v %+v", got.Requester, got.Comments)
	}
}

func TestCommentsCappedNewestFirst(t *testing.T) {
	fake, c := newPair(t, &hubspottest.Options{AssociationPageSize: 7, RateLimit: -1, SearchRateLimit: -1},
		func(cfg *hubspot.Config) { cfg.MaxCommentsPerTicket = 10 })
	id := fake.CreateTicket(nil)
	var notes []string
	for i := range 25 {
		fake.Advance(time.Second)
		notes = append(notes, fake.AddNote(id, hubspottest.Note{Body: fmt.Sprint(i)}))
	}
	r := drain(t, c, "")
	got := r.tickets[id].Comments
	if len(got) != 10 {
		t.Fatalf("%d comments, want the newest 10", len(got))
	}
	for i, cm := range got {
		if cm.ID != "note-"+notes[15+i] {
			t.Errorf("comment %d = %s, want note-%s", i, cm.ID, notes[15+i])
		}
	}
}

func TestGetTickets(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	var ids []string
	for range 230 {
		ids = append(ids, fake.CreateTicket(map[string]string{"subject": "x"}))
	}
	fake.AddNote(ids[0], hubspottest.Note{Body: "hello"})
	fake.ArchiveTicket(ids[1])
	fake.PurgeTicket(ids[2])
	fake.ResetRequests()
	got, err := c.GetTickets(t.Context(), append(slices.Clone(ids), "not-a-number", ids[0]))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 229 {
		t.Fatalf("%d tickets, want 229 (one purged)", len(got))
	}
	byID := map[string]ticketsync.Ticket{}
	for _, tk := range got {
		byID[tk.ID] = tk
	}
	if !byID[ids[1]].Deleted || byID[ids[0]].Deleted || len(byID[ids[0]].Comments) != 1 {
		t.Errorf("archived %+v / live %+v", byID[ids[1]], byID[ids[0]])
	}
	if n := fake.RequestCount("POST", "/crm/v3/objects/tickets/batch/read"); n != 4 {
		t.Errorf("%d batch reads for 230 ids (3 live, 1 archived), want 4", n)
	}
}

func TestCursorIsOpaqueAndChecked(t *testing.T) {
	_, c := newPair(t, nil, nil)
	for _, bad := range []string{"not base64 !", "eyJ2Ijo5fQ"} {
		if _, err := c.Fetch(t.Context(), bad); !errors.Is(err, ticketsync.ErrInvalidCursor) || !strings.Contains(err.Error(), "invalid cursor") {
			t.Errorf("Fetch(%q) = %v, want an invalid cursor error", bad, err)
		}
	}
}

// A change indexed eight minutes late, after a newer change was indexed at
// once, is delivered by the settled re-read, at no more than one extra
// search a run.
func TestLateIndexedChangeArrives(t *testing.T) {
	fake := hubspottest.NewServer(t, fastLimits())
	c := newConnector(t, fake, func(cfg *hubspot.Config) { cfg.StartTime = fake.Now().Add(-time.Hour) })
	a := fake.CreateTicket(map[string]string{"subject": "a v1"})
	b := fake.CreateTicket(map[string]string{"subject": "b v1"})
	fake.Advance(time.Minute)
	r := drain(t, c, "")
	if len(r.tickets) != 2 {
		t.Fatalf("first sync: %v", r.seen)
	}
	fake.Advance(10 * time.Minute)
	fake.SetIndexLag(8 * time.Minute)
	fake.UpdateTicket(a, map[string]string{"subject": "a v2"}) // at T, indexed at T+8m
	fake.SetIndexLag(0)
	fake.Advance(6 * time.Minute)
	fake.UpdateTicket(b, map[string]string{"subject": "b v2"}) // at T+6m, indexed at once
	fake.Advance(time.Minute)

	got := map[string]string{}
	cursor := r.cursor
	fake.ResetRequests()
	runs := 0
	for range 8 { // a poll every 15 minutes for two hours
		r := drain(t, c, cursor)
		cursor = r.cursor
		runs++
		for id, tk := range r.tickets {
			got[id] = tk.Subject
		}
		fake.Advance(15 * time.Minute)
	}
	if got[a] != "a v2" || got[b] != "b v2" {
		t.Fatalf("after two hours of polls: %v, want both changes", got)
	}
	if n := fake.RequestCount("POST", "/crm/v3/objects/tickets/search"); n > runs {
		t.Errorf("%d searches in %d runs, want one a run", n, runs)
	}
}

// HubSpot is reported to answer 500 to date filters at the epoch; the fake
// does, and a first sync without StartTime must not ask about it.
func TestFirstSyncNeverAsksAboutTheEpoch(t *testing.T) {
	fake, c := newPair(t, nil, func(cfg *hubspot.Config) { cfg.MaxRetries = -1 })
	fake.CreateTicket(map[string]string{"subject": "old"})
	r := drain(t, c, "")
	if len(r.tickets) != 1 {
		t.Fatalf("first sync: %v", r.seen)
	}
	if n := statusCount(fake, 500); n != 0 {
		t.Errorf("%d answers were 500", n)
	}
}

// By default the recycle bin, which cannot be asked what changed, is listed
// once every DefaultArchivedScanInterval, not on every run.
func TestRecycleBinListedRarelyByDefault(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	var ids []string
	for range 250 {
		ids = append(ids, fake.CreateTicket(nil))
	}
	for _, id := range ids[:220] {
		fake.ArchiveTicket(id)
	}
	fake.Advance(time.Minute)
	const list = "/crm/v3/objects/tickets"
	cursor := ""
	perRun := []int{}
	for range 8 { // two hours of 15-minute runs
		before := fake.RequestCount("GET", list)
		cursor = drain(t, c, cursor).cursor
		perRun = append(perRun, fake.RequestCount("GET", list)-before)
		fake.Advance(15 * time.Minute)
	}
	if want := []int{3, 0, 0, 0, 0, 0, 0, 0}; !slices.Equal(perRun, want) {
		t.Errorf("recycle-bin requests per run = %v, want %v (one scan of 3 pages)", perRun, want)
	}
	fake.Advance(hubspot.DefaultArchivedScanInterval)
	before := fake.RequestCount("GET", list)
	drain(t, c, cursor)
	if n := fake.RequestCount("GET", list) - before; n != 3 {
		t.Errorf("after the interval: %d recycle-bin requests, want a scan of 3", n)
	}
}

// A cursor of another connector or account is refused; a cursor saved by
// the versions before the shared codec still resumes where it was.
func TestCursorOfAnotherConnectorRefusedOldOneKept(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	old := fake.CreateTicket(nil)
	fake.Advance(time.Hour)
	at := fake.Now()
	fresh := fake.CreateTicket(nil)
	fake.Advance(time.Minute)
	other := incremental.Codec{Connector: "zendesk", Version: 3}.Encode(map[string]int{"v": 3})
	if _, err := c.Fetch(t.Context(), other); !errors.Is(err, ticketsync.ErrInvalidCursor) {
		t.Errorf("a zendesk cursor: %v, want ErrInvalidCursor", err)
	}
	_, elsewhere := newPair(t, nil, nil)
	page, err := elsewhere.Fetch(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Fetch(t.Context(), page.Cursor); !errors.Is(err, ticketsync.ErrInvalidCursor) {
		t.Errorf("another account's cursor: %v, want ErrInvalidCursor", err)
	}
	legacy := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"v":1,"f":%d,"m":%d}`, at.UnixMilli(), at.UnixMilli()))
	r := drain(t, c, legacy)
	if _, ok := r.tickets[fresh]; !ok {
		t.Errorf("a version-1 cursor did not resume: %v", r.seen)
	}
	if _, ok := r.tickets[old]; ok {
		t.Errorf("a version-1 cursor started over: %v", r.seen)
	}
}

// A run with nothing changed costs the ticket search, the inbox listing and
// the two engagement searches: four requests.
func TestQuietRunCost(t *testing.T) {
	fake, c := newPair(t, nil, nil)
	for range 50 {
		fake.CreateTicket(nil)
	}
	fake.Advance(time.Minute)
	cursor := drain(t, c, "").cursor
	for range 3 {
		fake.Advance(15 * time.Minute)
		fake.ResetRequests()
		cursor = drain(t, c, cursor).cursor
		if n := len(fake.Requests()); n != 4 {
			var got []string
			for _, r := range fake.Requests() {
				got = append(got, r.Method+" "+r.Path)
			}
			t.Fatalf("a quiet run made %d requests, want 4: %v", n, got)
		}
	}
}

// A run cut short after its search phase leaves a cursor in the later
// phases; the run that resumes there ends the pass without searching
// again, so a change made in between comes with the run after it, never
// later and never lost (the soak's convergence runs twice for this).
func TestChangeAfterACutShortSearchComesNextRun(t *testing.T) {
	fake, c := newPair(t, nil, func(cfg *hubspot.Config) { cfg.SearchLag = -1 })
	var ids []string
	for range 5 {
		ids = append(ids, fake.CreateTicket(map[string]string{"subject": "v1"}))
		fake.Advance(time.Second)
	}
	page, err := c.Fetch(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tickets) != 5 || !page.More {
		t.Fatalf("first page: %d tickets, More %v; want all 5 and later phases to come", len(page.Tickets), page.More)
	}
	// The run stops here; the ticket changes; later runs resume.
	fake.UpdateTicket(ids[2], map[string]string{"subject": "v2"})
	fake.Advance(time.Second)
	resumed := drain(t, c, page.Cursor)
	next := drain(t, c, resumed.cursor)
	got := next.tickets[ids[2]]
	if r, ok := resumed.tickets[ids[2]]; ok && r.UpdatedAt.After(got.UpdatedAt) {
		got = r
	}
	if got.Subject != "v2" {
		t.Errorf("ticket %s changed between runs: subject %q after two runs, want v2", ids[2], got.Subject)
	}
}
