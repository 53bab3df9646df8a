package hubspot_test

import (
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/hubspot"
	"github.com/ticketsync/ticketsync/hubspot/hubspottest"
)

// Whether logging an email or note moves the ticket's hs_lastmodifieddate
// is not documented; polling delivers new comments either way, and when it
// does move, the engagement searches cost nothing but themselves.
func TestNewCommentsArriveWhetherOrNotTheTicketTimeMoves(t *testing.T) {
	for _, keep := range []bool{false, true} {
		name := map[bool]string{false: "time moves", true: "time kept"}[keep]
		t.Run(name, func(t *testing.T) {
			opts := fastLimits()
			opts.EngagementsKeepModifiedDate = keep
			fake, c := newPair(t, opts, nil)
			ids := []string{fake.CreateTicket(nil), fake.CreateTicket(nil), fake.CreateTicket(nil)}
			fake.Advance(time.Minute)
			r1 := drain(t, c, "")
			fake.Advance(10 * time.Minute)
			note := fake.AddNote(ids[1], hubspottest.Note{Body: "later note"})
			email := fake.AddEmail(ids[2], hubspottest.Email{Direction: "INCOMING_EMAIL", Text: "later email"})
			fake.Advance(time.Minute)
			fake.ResetRequests()
			r2 := drain(t, c, r1.cursor)
			if cm := r2.tickets[ids[1]].Comments; len(cm) != 1 || cm[0].ID != "note-"+note {
				t.Errorf("ticket %s comments = %+v, want the later note", ids[1], cm)
			}
			if cm := r2.tickets[ids[2]].Comments; len(cm) != 1 || cm[0].ID != "email-"+email {
				t.Errorf("ticket %s comments = %+v, want the later email", ids[2], cm)
			}
			if r2.seen[ids[1]] != 1 || r2.seen[ids[2]] != 1 {
				t.Errorf("deliveries = %v, want each commented ticket once", r2.seen)
			}
			if _, ok := r2.tickets[ids[0]]; ok {
				t.Errorf("an unchanged ticket was delivered")
			}
			if n := fake.RequestCount("POST", "/crm/v3/objects/emails/search") + fake.RequestCount("POST", "/crm/v3/objects/notes/search"); n != 2 {
				t.Errorf("%d engagement searches, want 2", n)
			}
			r3 := drain(t, c, r2.cursor)
			if len(r3.seen) != 0 {
				t.Errorf("a run without changes delivered %v", r3.seen)
			}
		})
	}
}

// Whether a restore moves hs_lastmodifieddate is not documented either: a
// restored ticket comes back live at the next scan of the recycle bin even
// when it does not.
func TestRestoredTicketComesBackWhetherOrNotItsTimeMoves(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(map[bool]string{false: "time moves", true: "time kept"}[keep], func(t *testing.T) {
			opts := fastLimits()
			opts.ArchiveKeepsModifiedDate = keep
			fake, c := newPair(t, opts, func(cfg *hubspot.Config) { cfg.ArchivedScanInterval = time.Nanosecond })
			id := fake.CreateTicket(map[string]string{"subject": "back"})
			fake.Advance(time.Hour)
			fake.CreateTicket(nil)
			fake.Advance(time.Minute)
			r1 := drain(t, c, "")
			fake.ArchiveTicket(id)
			fake.Advance(time.Minute)
			r2 := drain(t, c, r1.cursor)
			if !r2.tickets[id].Deleted {
				t.Fatalf("archived ticket = %+v, want a tombstone", r2.tickets[id])
			}
			fake.Advance(time.Minute)
			fake.RestoreTicket(id)
			fake.Advance(time.Minute)
			r3 := drain(t, c, r2.cursor)
			_, ok := r3.tickets[id]
			got := merge(r2.tickets[id], r3.tickets[id]) // as a Store keeps the newer copy
			if !ok || got.Deleted || got.Subject != "back" {
				t.Fatalf("restored ticket = %+v (delivered %v), want it live", got, ok)
			}
			r4 := drain(t, c, r3.cursor)
			if _, ok := r4.tickets[id]; ok {
				t.Errorf("restored ticket delivered again by the next run")
			}
		})
	}
}
