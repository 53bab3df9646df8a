package zendesk_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// TestExplainOnTheFake: Explain reads the fake's tickets through GetTickets
// and the cursor through DescribeCursor, and concludes as the state says.
func TestExplainOnTheFake(t *testing.T) {
	f := newFake(t, nil)
	start := t0.Add(-24 * time.Hour)
	old, err := f.CreateTicket(zendesktest.Ticket{Subject: "from last year", CreatedAt: t0.AddDate(-1, 0, 0), UpdatedAt: t0.AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(-time.Hour)
	fresh, err := f.CreateTicket(zendesktest.Ticket{Subject: "printer on fire"})
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(2 * time.Hour) // past the export's hold-back
	c := newConn(t, f, func(cfg *zendesk.Config) { cfg.StartTime = start })
	store := memstore.New()
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Now: f.Now})
	if err := s.Add("zd", c, ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.SyncNow(ctx, "zd"); err != nil {
		t.Fatal(err)
	}
	explain := func(id int64) *ticketsync.Explanation {
		t.Helper()
		x, err := s.Explain(ctx, "zd", strconv.FormatInt(id, 10))
		if err != nil {
			t.Fatal(err)
		}
		t.Log(x)
		return x
	}

	if x := explain(fresh.ID); x.Verdict != ticketsync.VerdictInSync || len(x.Diffs) != 0 {
		t.Errorf("fresh ticket: verdict %s, diffs %v; want in sync", x.Verdict, x.Diffs)
	} else if len(x.Cursors) != 1 || !x.Cursors[0].Described || x.Cursors[0].Checkpoint.IsZero() || !x.Cursors[0].Start.Equal(start) {
		t.Errorf("cursor = %+v; want described, with a checkpoint and the configured start", x.Cursors)
	}
	if x := explain(old.ID); x.Verdict != ticketsync.VerdictBeforeStart {
		t.Errorf("old ticket: verdict %s; want %s", x.Verdict, ticketsync.VerdictBeforeStart)
	}

	f.Advance(time.Minute)
	if _, err := f.UpdateTicket(fresh.ID, func(tk *zendesktest.Ticket) { tk.Subject = "printer still on fire" }); err != nil {
		t.Fatal(err)
	}
	x := explain(fresh.ID)
	if x.Verdict != ticketsync.VerdictStoreBehind || !x.Cursors[0].Behind {
		t.Errorf("updated ticket: verdict %s, cursor %+v; want store behind, cursor behind", x.Verdict, x.Cursors)
	}
	found := false
	for _, d := range x.Diffs {
		found = found || d.Field == "Subject" && d.Platform == "printer still on fire"
	}
	if !found {
		t.Errorf("diffs %v lack the subject", x.Diffs)
	}

	if err := f.DeleteTicket(fresh.ID); err != nil {
		t.Fatal(err)
	}
	// show_many leaves a deleted ticket out: only the Store knows it.
	if x := explain(fresh.ID); x.Verdict != ticketsync.VerdictOnlyInStore || !x.Deleted {
		t.Errorf("deleted ticket: verdict %s, deleted %v; want only in store, deleted", x.Verdict, x.Deleted)
	}
	got, err := s.Repair(ctx, "zd", strconv.FormatInt(fresh.ID, 10))
	if err != nil || !got.Deleted {
		t.Fatalf("Repair = %+v, %v; want a tombstone", got, err)
	}
	if x := explain(fresh.ID); x.Verdict != ticketsync.VerdictInSync {
		t.Errorf("after Repair: verdict %s; want in sync", x.Verdict)
	}
}
