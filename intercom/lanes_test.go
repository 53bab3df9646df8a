package intercom_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/intercom"
	"github.com/ticketsync/ticketsync/intercom/intercomtest"
)

// lane is what a run of Fetch calls delivered: the newest copy of each
// record, and every cursor Fetch returned, in order.
type lane struct {
	tickets map[string]ticketsync.Ticket
	cursors []string
}

func (l *lane) last() string { return l.cursors[len(l.cursors)-1] }

// drainLane calls Fetch from cursor until a page says no more, and calls
// check, when not nil, on every cursor Fetch returns with what was
// delivered so far.
func drainLane(t *testing.T, c *intercom.Connector, cursor string, check func(cursor string, l *lane)) *lane {
	t.Helper()
	l := &lane{tickets: map[string]ticketsync.Ticket{}}
	for n := 0; ; n++ {
		if n > 1000 {
			t.Fatal("no end after 1000 pages")
		}
		page, err := c.Fetch(t.Context(), cursor)
		if err != nil {
			t.Fatalf("Fetch page %d: %v", n+1, err)
		}
		for _, tk := range page.Tickets {
			if old, ok := l.tickets[tk.ID]; !ok || !tk.UpdatedAt.Before(old.UpdatedAt) {
				l.tickets[tk.ID] = tk
			}
		}
		cursor = page.Cursor
		l.cursors = append(l.cursors, cursor)
		if check != nil {
			check(cursor, l)
		}
		if !page.More {
			return l
		}
	}
}

// messages counts a thread's parts that are messages (replies and notes),
// which the connector maps to comments.
func messages(parts []intercomtest.Part) int {
	n := 0
	for _, p := range parts {
		if p.Type == intercomtest.PartComment || p.Type == intercomtest.PartNote {
			n++
		}
	}
	return n
}

// fakeRecord is a record as the fake holds it: its change time and the
// number of its messages.
type fakeRecord struct {
	updated  time.Time
	messages int
}

// records lists the fake's live conversations and tickets by ticket id.
func records(t *testing.T, w *workspace) map[string]fakeRecord {
	t.Helper()
	out := map[string]fakeRecord{}
	for _, id := range w.ConversationIDs(false) {
		cv, ok := w.Conversation(id)
		if !ok {
			t.Fatalf("conversation %s listed but not found", id)
		}
		out[intercom.TicketID(intercom.KindConversation, id)] = fakeRecord{cv.UpdatedAt, messages(cv.Parts)}
	}
	for _, id := range w.TicketIDs(false) {
		tk, ok := w.Ticket(id)
		if !ok {
			t.Fatalf("ticket %s listed but not found", id)
		}
		out[intercom.TicketID(intercom.KindTicket, id)] = fakeRecord{tk.UpdatedAt, messages(tk.Parts)}
	}
	return out
}

// newTicketRecord creates an Intercom ticket with a reply by the agent.
func (w *workspace) newTicketRecord(t *testing.T, title string) string {
	t.Helper()
	ct := w.AddContact(intercomtest.Contact{Name: "Cus " + title, Email: fmt.Sprintf("t%d@example.com", len(w.TicketIDs(true)))})
	id, err := w.CreateTicket(intercomtest.NewTicket{Title: title, Description: "<p>Broken</p>", ContactID: ct})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddTicketPart(id, intercomtest.Part{Type: intercomtest.PartComment,
		Author: intercomtest.Author{Type: intercomtest.AuthorAdmin, ID: w.agent}, Body: "<p>Looking</p>"}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestStartCursorStartsTheLiveLaneAtATime: over 40 hours of history,
// conversations and tickets in turn, a cursor started at since reads the
// records of both kinds changed at or after since (two changed right at
// since included), with all their comments, the older ones too, and those
// changed in the index's lag before since (one a second before), but
// nothing before (one a minute before); the empty cursor reads all of it;
// every cursor of the live lane stands at or after since.
func TestStartCursorStartsTheLiveLaneAtATime(t *testing.T) {
	w := newWorkspace(t, &intercomtest.Options{Seed: 3})
	w.Advance(-40 * time.Hour)
	var since time.Time
	var convs, ticks []string
	for i := range 40 {
		if i == 30 {
			since = w.Now()
			// Changed right at since: an old conversation gets a reply
			// and an old ticket a note, both in since's second.
			if _, err := w.Reply(convs[1], intercomtest.Author{Type: intercomtest.AuthorAdmin, ID: w.agent}, "<p>Back again</p>"); err != nil {
				t.Fatal(err)
			}
			if _, err := w.AddTicketPart(ticks[1], intercomtest.Part{Type: intercomtest.PartNote,
				Author: intercomtest.Author{Type: intercomtest.AuthorAdmin, ID: w.agent}, Body: "<p>Still broken</p>"}); err != nil {
				t.Fatal(err)
			}
			w.Advance(time.Second)
		}
		if i == 29 {
			// Changed a minute before since: the backfill's, not the
			// live lane's. Changed a second before since: the live
			// lane's too, as the index may have seen it late.
			w.Advance(time.Hour - time.Minute)
			if err := w.UpdateConversation(convs[2], func(cv *intercomtest.Conversation) { cv.Title = "a minute before" }); err != nil {
				t.Fatal(err)
			}
			w.Advance(time.Minute - time.Second)
			if err := w.UpdateTicket(ticks[2], func(tk *intercomtest.Ticket) { tk.Title = "a second before" }); err != nil {
				t.Fatal(err)
			}
			w.Advance(time.Second)
			continue
		}
		if i%2 == 0 {
			convs = append(convs, w.conversation(t, fmt.Sprintf("conversation %d", i)))
		} else {
			ticks = append(ticks, w.newTicketRecord(t, fmt.Sprintf("ticket %d", i)))
		}
		w.Advance(time.Hour)
	}
	w.Advance(time.Hour)
	fake := records(t, w)
	c := w.connector(t, nil)

	start, err := c.StartCursor(since)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := c.DescribeCursor(start); err != nil || !info.Checkpoint.Equal(since) {
		t.Errorf("fresh live cursor: checkpoint %s, %v; want its start %s", info.Checkpoint, err, since)
	}
	searches := len(w.Requests())
	live := drainLane(t, c, start, func(cursor string, _ *lane) {
		if info, err := c.DescribeCursor(cursor); err != nil || info.Checkpoint.Before(since) {
			t.Errorf("live lane cursor: checkpoint %s, %v; want at or after %s", info.Checkpoint, err, since)
		}
	})
	var want []string
	for id, r := range fake {
		if !r.updated.Before(since.Add(-time.Second)) {
			want = append(want, id)
		}
	}
	if len(want) != 13 { // 10 created since, 2 changed right at since, 1 a second before
		t.Fatalf("the fake has %d records changed since a second before %s, want 13: the test is wrong", len(want), since)
	}
	if len(live.tickets) != len(want) {
		t.Errorf("live lane read %d records, want the %d changed since its start", len(live.tickets), len(want))
	}
	for _, id := range want {
		tk, ok := live.tickets[id]
		switch {
		case !ok:
			t.Errorf("live lane missed %s, changed at %s", id, fake[id].updated)
		case !tk.UpdatedAt.Equal(fake[id].updated):
			t.Errorf("%s: live lane read the copy of %s, the fake's is of %s", id, tk.UpdatedAt, fake[id].updated)
		case len(tk.Comments) != fake[id].messages || fake[id].messages == 0:
			t.Errorf("%s has %d comments in the live lane, the fake %d messages", id, len(tk.Comments), fake[id].messages)
		}
	}
	for id, tk := range live.tickets {
		if tk.UpdatedAt.Before(since.Add(-time.Second)) {
			t.Errorf("live lane read %s of %s, before its start %s", id, tk.UpdatedAt, since)
		}
	}
	// Two searches, conversations and tickets, and one read per record:
	// nothing of the history before since is read by id.
	if n := len(w.Requests()) - searches; n > 2+len(want)+6 {
		t.Errorf("the live lane's first sync made %d requests for %d records", n, len(want))
	}

	// A second pass of the live lane reads nothing old again.
	w.Advance(time.Hour)
	again := drainLane(t, c, live.last(), nil)
	if len(again.tickets) != 0 {
		t.Errorf("the live lane's next pass read %d records; nothing changed", len(again.tickets))
	}

	// A live lane started on a quiet hour reads nothing, and its later
	// passes do not go back to the history either.
	quietSince := w.Now().Add(500 * time.Millisecond)
	quiet, err := c.StartCursor(quietSince)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := c.DescribeCursor(quiet); err != nil || info.Checkpoint.Before(quietSince) {
		t.Errorf("live cursor started within a second: checkpoint %s, %v; want at or after %s", info.Checkpoint, err, quietSince)
	}
	for pass := range 2 {
		l := drainLane(t, c, quiet, nil)
		if len(l.tickets) != 0 {
			t.Errorf("quiet live lane, pass %d: read %d records, want none", pass+1, len(l.tickets))
		}
		quiet = l.last()
		w.Advance(time.Hour)
	}

	back := drainLane(t, c, "", nil)
	if len(back.tickets) != len(fake) {
		t.Errorf("backfill lane read %d records, want all %d", len(back.tickets), len(fake))
	}
	for id, r := range fake {
		if tk, ok := back.tickets[id]; !ok || !tk.UpdatedAt.Equal(r.updated) || len(tk.Comments) != r.messages {
			t.Errorf("backfill lane: %s read %t, of %s with %d comments; the fake's is of %s with %d", id, ok, tk.UpdatedAt, len(tk.Comments), r.updated, r.messages)
		}
	}
}

// TestStartCursorBeforeTheConfiguredStart: the live lane never reads what
// the connector's Config.StartTime leaves out, even for a since before it.
func TestStartCursorBeforeTheConfiguredStart(t *testing.T) {
	w := newWorkspace(t, nil)
	w.Advance(-10 * time.Hour)
	early := w.conversation(t, "early")
	w.Advance(5 * time.Hour)
	cfgStart := w.Now()
	late := w.conversation(t, "late")
	w.Advance(5 * time.Hour)
	c := w.connector(t, func(cfg *intercom.Config) { cfg.StartTime = cfgStart })
	start, err := c.StartCursor(cfgStart.Add(-8 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got := drainLane(t, c, start, nil)
	if _, ok := got.tickets[intercom.TicketID(intercom.KindConversation, early)]; ok {
		t.Error("the live lane read a conversation from before the configured start")
	}
	if _, ok := got.tickets[intercom.TicketID(intercom.KindConversation, late)]; !ok || len(got.tickets) != 1 {
		t.Errorf("the live lane read %d records; want the one after the configured start", len(got.tickets))
	}
}

// TestDescribeCursor: the checkpoint is what the cursor has read up to, on
// both searches at once. Every change at or before it was delivered, on a
// fresh cursor, on each page of a first sync during which conversations
// change, and of a later pass over more than one page of results in no
// order; once caught up it is the lesser of the two searches' positions,
// each where its last pass began (less the index's lag).
func TestDescribeCursor(t *testing.T) {
	w := newWorkspace(t, &intercomtest.Options{Seed: 11})
	w.Advance(-24 * time.Hour)
	start := w.Now()
	var convs, ticks []string
	for i := range 200 {
		ticks = append(ticks, w.newTicketRecord(t, fmt.Sprintf("ticket %d", i)))
		w.Advance(time.Second)
		convs = append(convs, w.conversation(t, fmt.Sprintf("conversation %d", i)))
		w.Advance(time.Minute)
	}
	w.Advance(time.Hour)
	c := w.connector(t, func(cfg *intercom.Config) { cfg.StartTime = start })

	fresh, err := c.DescribeCursor("")
	if err != nil || !fresh.Start.Equal(start) || !fresh.Checkpoint.IsZero() {
		t.Errorf("empty cursor: %+v, %v; want the configured start and no checkpoint", fresh, err)
	}

	// readUpTo checks that every change the fake holds at or before the
	// cursor's checkpoint was delivered, and that the checkpoint never
	// goes back; it returns the checkpoint.
	var prev time.Time
	readUpTo := func(cursor string, l *lane) {
		t.Helper()
		info, err := c.DescribeCursor(cursor)
		if err != nil {
			t.Fatalf("DescribeCursor: %v", err)
		}
		if !info.Start.Equal(start) {
			t.Errorf("Start = %s, want the configured %s", info.Start, start)
		}
		if info.Checkpoint.Before(prev) {
			t.Errorf("checkpoint went back from %s to %s", prev, info.Checkpoint)
		}
		prev = info.Checkpoint
		for id, r := range records(t, w) {
			if r.updated.After(info.Checkpoint) {
				continue
			}
			if tk, ok := l.tickets[id]; !ok || tk.UpdatedAt.Before(r.updated) {
				t.Errorf("checkpoint %s, but %s changed at %s was not delivered", info.Checkpoint, id, r.updated)
			}
		}
	}
	// The first sync takes an hour a page, and a conversation changes in
	// each hour: the searches' passes begin hours apart.
	syncBegan := w.Now()
	var during []time.Time
	first := drainLane(t, c, "", func(cursor string, l *lane) {
		readUpTo(cursor, l)
		w.Advance(30 * time.Minute)
		id := convs[len(during)]
		if err := w.UpdateConversation(id, func(cv *intercomtest.Conversation) { cv.Title = "during" }); err != nil {
			t.Fatal(err)
		}
		cv, _ := w.Conversation(id)
		during = append(during, cv.UpdatedAt)
		w.Advance(30 * time.Minute)
	})
	if len(first.cursors) < 4 {
		t.Fatalf("the first sync took %d pages; the test needs both kinds over more than one", len(first.cursors))
	}
	caught, err := c.DescribeCursor(first.last())
	if err != nil {
		t.Fatal(err)
	}
	// Caught up: the lesser of the two positions, the conversations',
	// whose pass began first; the tickets' began hours later.
	if caught.Checkpoint.After(syncBegan) || caught.Checkpoint.Before(syncBegan.Add(-time.Minute)) || !caught.Checkpoint.Before(during[0]) {
		t.Errorf("caught up: checkpoint %s; want just before %s, when the conversations' pass began (a conversation changed at %s)",
			caught.Checkpoint, syncBegan, during[0])
	}

	// A later pass over two pages of each kind, changed a second apart,
	// the tickets first: until both searches' passes end, the checkpoint
	// stays before these changes, though the pages deliver newer ones
	// than some of those left to read. The last changes reach the search
	// index after the pass began: the checkpoint stays before them too.
	w.SetIndexLag(3 * time.Second)
	secondChanges := w.Now()
	for _, id := range ticks {
		if err := w.UpdateTicket(id, func(tk *intercomtest.Ticket) { tk.Title = "again" }); err != nil {
			t.Fatal(err)
		}
		w.Advance(time.Second)
	}
	for _, id := range convs {
		if err := w.UpdateConversation(id, func(cv *intercomtest.Conversation) { cv.Title = "again" }); err != nil {
			t.Fatal(err)
		}
		w.Advance(time.Second)
	}
	w.Advance(time.Second) // the pass begins two seconds after the last change
	var marks []time.Time
	second := drainLane(t, c, first.last(), func(cursor string, l *lane) {
		for id, tk := range first.tickets {
			if _, ok := l.tickets[id]; !ok {
				l.tickets[id] = tk // what the first sync delivered counts
			}
		}
		readUpTo(cursor, l)
		marks = append(marks, prev)
	})
	if len(second.cursors) < 4 {
		t.Fatalf("the second pass took %d pages; the test needs both kinds over more than one", len(second.cursors))
	}
	end, err := c.DescribeCursor(second.last())
	if err != nil {
		t.Fatal(err)
	}
	if last := w.Now().Add(-time.Minute); end.Checkpoint.Before(last) || end.Checkpoint.After(w.Now()) {
		t.Errorf("after the second pass: checkpoint %s; want just before %s, when it began, past the last change %s", end.Checkpoint, w.Now(), last)
	}
	for i, at := range marks[:len(marks)-1] {
		if !at.Before(secondChanges) {
			t.Errorf("the second pass's page %d of %d: checkpoint %s, past %s, when the changes it reads began", i+1, len(marks), at, secondChanges)
		}
	}
}

// TestDescribeCursorRefusesDamagedCursors: a cursor that is damaged, of
// another workspace or not a cursor at all is ErrInvalidCursor, for
// DescribeCursor as for Fetch.
func TestDescribeCursorRefusesDamagedCursors(t *testing.T) {
	w := newWorkspace(t, nil)
	c := w.connector(t, nil)
	other := newWorkspace(t, nil).connector(t, nil)
	good, err := c.StartCursor(w.Now())
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.StartCursor(w.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	raw[len(raw)/2] ^= 1
	for name, cursor := range map[string]string{
		"truncated":         good[:len(good)-4],
		"flipped":           base64.RawURLEncoding.EncodeToString(raw),
		"not a cursor":      "2025-03-03T09:00:00Z",
		"another workspace": foreign,
	} {
		if _, err := c.DescribeCursor(cursor); !errors.Is(err, ticketsync.ErrInvalidCursor) {
			t.Errorf("%s: DescribeCursor = %v; want ErrInvalidCursor", name, err)
		}
		if _, err := c.Fetch(t.Context(), cursor); !errors.Is(err, ticketsync.ErrInvalidCursor) {
			t.Errorf("%s: Fetch = %v; want ErrInvalidCursor", name, err)
		}
	}
	if _, err := c.DescribeCursor(good); err != nil {
		t.Errorf("DescribeCursor of its own cursor: %v", err)
	}
}
