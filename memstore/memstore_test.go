package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/ticketsynctest"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func TestEmptyIDRejectsWholeBatch(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	err := s.UpsertTickets(ctx, []ticketsync.Ticket{
		{ConnectorID: "c", ID: "1", UpdatedAt: t0},
		{ConnectorID: "c", UpdatedAt: t0},
	})
	if err == nil {
		t.Fatal("UpsertTickets with an empty ticket ID: got nil error")
	}
	if n := s.Len("c"); n != 0 {
		t.Errorf("after a failed UpsertTickets, Len = %d, want 0 (all or nothing)", n)
	}
}

func TestCommentsWithoutIDDedupedByContent(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	a := ticketsync.Comment{Author: ticketsync.Person{ID: "u1"}, Body: "hello", CreatedAt: t0}
	b := ticketsync.Comment{Author: ticketsync.Person{ID: "u1"}, Body: "hello again", CreatedAt: t0}
	tk := ticketsync.Ticket{ConnectorID: "c", ID: "1", UpdatedAt: t0, Comments: []ticketsync.Comment{a, b}}
	for range 3 {
		if err := s.UpsertTickets(ctx, []ticketsync.Ticket{tk}); err != nil {
			t.Fatal(err)
		}
	}
	// The same comment in another time zone is the same comment.
	a.CreatedAt = a.CreatedAt.In(time.FixedZone("CET", 3600))
	tk.UpdatedAt = t0.Add(time.Minute)
	tk.Comments = []ticketsync.Comment{a}
	if err := s.UpsertTickets(ctx, []ticketsync.Ticket{tk}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Ticket(ctx, "c", "1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Comments) != 2 {
		t.Fatalf("got %d comments, want 2: %+v", len(got.Comments), got.Comments)
	}
}

func TestOlderCopyDoesNotRevertCommentEdit(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	newer := ticketsync.Ticket{ConnectorID: "c", ID: "1", UpdatedAt: t0.Add(time.Hour),
		Comments: []ticketsync.Comment{{ID: "c1", Body: "edited", CreatedAt: t0}}}
	older := ticketsync.Ticket{ConnectorID: "c", ID: "1", UpdatedAt: t0,
		Comments: []ticketsync.Comment{{ID: "c1", Body: "original", CreatedAt: t0}}}
	if err := s.UpsertTickets(ctx, []ticketsync.Ticket{newer, older}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Ticket(ctx, "c", "1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Comments) != 1 || got.Comments[0].Body != "edited" {
		t.Errorf("comments = %+v, want only c1 \"edited\"", got.Comments)
	}
}

func TestTombstoneWinsTie(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	live := ticketsync.Ticket{ConnectorID: "c", ID: "1", UpdatedAt: t0, Subject: "s"}
	dead := live
	dead.Deleted = true
	if err := s.UpsertTickets(ctx, []ticketsync.Ticket{live, dead, live}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Ticket(ctx, "c", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Deleted {
		t.Error("a live copy with the tombstone's UpdatedAt brought the ticket back")
	}
}

func TestTicketsAndLen(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	var batch []ticketsync.Ticket
	for _, id := range []string{"b", "c", "a"} {
		batch = append(batch, ticketsync.Ticket{ConnectorID: "x", ID: id, UpdatedAt: t0, Tags: []string{"t"}})
	}
	batch = append(batch, ticketsync.Ticket{ConnectorID: "y", ID: "z", UpdatedAt: t0})
	if err := s.UpsertTickets(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n := s.Len("x"); n != 3 {
		t.Errorf("Len(x) = %d, want 3", n)
	}
	if n := s.Len("none"); n != 0 {
		t.Errorf("Len(none) = %d, want 0", n)
	}
	got := s.Tickets("x")
	var ids string
	for _, tk := range got {
		ids += tk.ID
	}
	if ids != "abc" {
		t.Errorf("Tickets(x) ids = %q, want \"abc\"", ids)
	}
	got[0].Tags[0] = "changed"
	if again := s.Tickets("x"); again[0].Tags[0] != "t" {
		t.Error("modifying a result of Tickets changed the store")
	}
}

func TestHistoryLimit(t *testing.T) {
	ctx := context.Background()
	s := memstore.NewWithOptions(memstore.Options{HistoryLimit: 3})
	for i := range 5 {
		run := ticketsync.SyncRun{ID: strconv.Itoa(i), ConnectorID: "c", StartedAt: t0.Add(time.Duration(i) * time.Minute)}
		if err := s.SaveSyncRun(ctx, run); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := s.SyncRuns(ctx, "c", 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids string
	for _, r := range runs {
		ids += r.ID
	}
	if ids != "432" {
		t.Errorf("runs kept = %q, want the newest three \"432\"", ids)
	}
	// An update of a dropped run inserts it again, as the oldest: it is dropped.
	if err := s.SaveSyncRun(ctx, ticketsync.SyncRun{ID: "0", ConnectorID: "c", StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if runs, _ := s.SyncRuns(ctx, "c", 0); len(runs) != 3 || runs[2].ID != "2" {
		t.Errorf("after re-saving a dropped run: %d runs, oldest %q; want 3, oldest \"2\"", len(runs), runs[len(runs)-1].ID)
	}
}

func TestLeaseExpiryWithClock(t *testing.T) {
	ctx := context.Background()
	now := t0
	s := memstore.NewWithOptions(memstore.Options{Now: func() time.Time { return now }})
	if ok, err := s.AcquireLease(ctx, "c", "a", time.Minute); !ok || err != nil {
		t.Fatalf("first AcquireLease = %v, %v; want true, nil", ok, err)
	}
	now = now.Add(59 * time.Second)
	if ok, _ := s.AcquireLease(ctx, "c", "b", time.Minute); ok {
		t.Fatal("b acquired a's lease before it expired")
	}
	now = now.Add(time.Second)
	if ok, _ := s.AcquireLease(ctx, "c", "b", time.Minute); !ok {
		t.Fatal("b could not acquire a's lease once it expired")
	}
	if _, err := s.AcquireLease(ctx, "c", "b", 0); err == nil {
		t.Error("AcquireLease with ttl 0: got nil error")
	}
}

func TestLeaseLeftWithClock(t *testing.T) {
	ctx := context.Background()
	now := t0
	s := memstore.NewWithOptions(memstore.Options{Now: func() time.Time { return now }})
	left := func() time.Duration {
		t.Helper()
		l, err := s.LeaseLeft(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if l := left(); l != 0 {
		t.Errorf("no lease: %v left, want 0", l)
	}
	if ok, err := s.AcquireLease(ctx, "c", "a", time.Minute); !ok || err != nil {
		t.Fatalf("AcquireLease = %v, %v; want true, nil", ok, err)
	}
	now = now.Add(20 * time.Second)
	if l := left(); l != 40*time.Second {
		t.Errorf("20s into a minute's lease: %v left, want 40s", l)
	}
	now = now.Add(40 * time.Second)
	if l := left(); l != 0 {
		t.Errorf("expired lease: %v left, want 0", l)
	}
	if ok, _ := s.AcquireLease(ctx, "c", "b", time.Minute); !ok {
		t.Fatal("b could not take the expired lease")
	}
	if err := s.ReleaseLease(ctx, "c", "b"); err != nil {
		t.Fatal(err)
	}
	if l := left(); l != 0 {
		t.Errorf("released lease: %v left, want 0", l)
	}
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := memstore.New()
	if err := s.UpsertTickets(ctx, []ticketsync.Ticket{{ID: "1"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("UpsertTickets with a canceled context: %v, want context.Canceled", err)
	}
}

// BenchmarkUpsert stores pages of 1,000 tickets with 3 comments each; every
// third page re-delivers earlier tickets with a newer UpdatedAt, as an
// overlapping poll does.
func BenchmarkUpsert(b *testing.B) {
	const pageSize = 1000
	ctx := context.Background()
	pages := make([][]ticketsync.Ticket, 8)
	for p := range pages {
		page := make([]ticketsync.Ticket, pageSize)
		for i := range page {
			n := p*pageSize + i
			if p%3 == 2 {
				n -= pageSize // an overlap: the previous page again, newer
			}
			at := t0.Add(time.Duration(p) * time.Minute)
			page[i] = ticketsync.Ticket{
				ConnectorID: "bench", Platform: "zendesk", ID: strconv.Itoa(n),
				Subject: fmt.Sprintf("ticket %d", n), Status: ticketsync.StatusOpen,
				Tags:      []string{"billing", "vip"},
				Fields:    map[string]string{"plan": "pro"},
				CreatedAt: t0, UpdatedAt: at,
				Comments: []ticketsync.Comment{
					{ID: strconv.Itoa(3 * n), Body: "first", CreatedAt: t0},
					{ID: strconv.Itoa(3*n + 1), Body: "second", CreatedAt: t0.Add(time.Second)},
					{ID: strconv.Itoa(3*n + 2), Body: "third", CreatedAt: at},
				},
			}
		}
		pages[p] = page
	}
	b.ReportAllocs()
	b.ResetTimer()
	var s *memstore.Store
	for i := range b.N {
		if i%len(pages) == 0 {
			b.StopTimer()
			s = memstore.New()
			b.StartTimer()
		}
		if err := s.UpsertTickets(ctx, pages[i%len(pages)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*pageSize/b.Elapsed().Seconds(), "tickets/s")
}

func TestStoreContract(t *testing.T) {
	ticketsynctest.RunStoreTests(t, func(t *testing.T) ticketsync.Store { return memstore.New() })
}
