package intercom_test

import (
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/intercom"
	"github.com/ticketsync/ticketsync/intercom/intercomtest"
	"github.com/ticketsync/ticketsync/memstore"
)

// TestExplainOnTheFake: Explain reads the fake's records through
// GetTickets and the cursor through DescribeCursor, and concludes as the
// state says, for conversations and tickets.
func TestExplainOnTheFake(t *testing.T) {
	w := newWorkspace(t, nil)
	w.Advance(-48 * time.Hour)
	old := intercom.TicketID(intercom.KindConversation, w.conversation(t, "from two days ago"))
	w.Advance(24 * time.Hour)
	start := w.Now()
	w.Advance(20 * time.Hour)
	fresh := intercom.TicketID(intercom.KindConversation, w.conversation(t, "printer on fire"))
	w.Advance(time.Hour)
	tick := w.newTicketRecord(t, "scanner on fire")
	ticket := intercom.TicketID(intercom.KindTicket, tick)
	w.Advance(time.Hour)

	c := w.connector(t, func(cfg *intercom.Config) { cfg.StartTime = start })
	store := memstore.New()
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Now: w.Now})
	if err := s.Add("ic", c, ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SyncNow(t.Context(), "ic"); err != nil {
		t.Fatal(err)
	}
	explain := func(id string) *ticketsync.Explanation {
		t.Helper()
		x, err := s.Explain(t.Context(), "ic", id)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(x)
		return x
	}

	for _, id := range []string{fresh, ticket} {
		x := explain(id)
		if x.Verdict != ticketsync.VerdictInSync || len(x.Diffs) != 0 {
			t.Errorf("%s: verdict %s, diffs %v; want in sync", id, x.Verdict, x.Diffs)
		}
		if len(x.Cursors) != 1 || !x.Cursors[0].Described || !x.Cursors[0].Start.Equal(start) ||
			x.Cursors[0].Checkpoint.Before(x.OnPlatform.UpdatedAt) || x.Cursors[0].Behind {
			t.Errorf("%s: cursor = %+v; want described, the configured start, read past the record's change", id, x.Cursors)
		}
	}
	if x := explain(old); x.Verdict != ticketsync.VerdictBeforeStart {
		t.Errorf("old conversation: verdict %s; want %s", x.Verdict, ticketsync.VerdictBeforeStart)
	}

	w.Advance(time.Minute)
	if err := w.UpdateTicket(tick, func(tk *intercomtest.Ticket) { tk.Title = "scanner still on fire" }); err != nil {
		t.Fatal(err)
	}
	x := explain(ticket)
	if x.Verdict != ticketsync.VerdictStoreBehind || len(x.Cursors) != 1 || !x.Cursors[0].Behind {
		t.Errorf("updated ticket: verdict %s, cursor %+v; want store behind, cursor behind", x.Verdict, x.Cursors)
	}
	found := false
	for _, d := range x.Diffs {
		found = found || d.Field == "Subject" && d.Platform == "scanner still on fire"
	}
	if !found {
		t.Errorf("diffs %v lack the subject", x.Diffs)
	}

	_, id, _ := intercom.ParseTicketID(fresh)
	if err := w.DeleteConversation(id); err != nil {
		t.Fatal(err)
	}
	// A read by id answers 404 for a deleted record: only the Store knows it.
	if x := explain(fresh); x.Verdict != ticketsync.VerdictOnlyInStore || !x.Deleted {
		t.Errorf("deleted conversation: verdict %s, deleted %v; want only in store, deleted", x.Verdict, x.Deleted)
	}
	got, err := s.Repair(t.Context(), "ic", fresh)
	if err != nil || !got.Deleted {
		t.Fatalf("Repair = %+v, %v; want a tombstone", got, err)
	}
	if x := explain(fresh); x.Verdict != ticketsync.VerdictInSync {
		t.Errorf("after Repair: verdict %s; want in sync", x.Verdict)
	}
}
