package incremental_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/internal/incremental"
)

// A platform that refuses a page below the Policy's cap: the query restarts
// from the newest change seen, and the records of that instant are skipped.
func TestRefusedRestartsFromNewest(t *testing.T) {
	p := incremental.Policy{Start: t0, Granularity: time.Second, Ordered: true, MaxPages: 300}
	var w incremental.Window
	w.Query(p)
	for i, id := range []string{"a", "b", "c"} {
		if !w.Observe(id, t0.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("Observe(%s) = false on a first pass", id)
		}
	}
	if more, err := w.Next(p, "2"); !more || err != nil {
		t.Fatalf("Next = %t, %v", more, err)
	}
	if q := w.Query(p); q.Page != "2" {
		t.Fatalf("second query asks for page %q", q.Page)
	}
	if err := w.Refused(p); err != nil {
		t.Fatalf("Refused: %v", err)
	}
	q := w.Query(p)
	if q.Page != "" || !q.From.Equal(t0.Add(2*time.Second)) {
		t.Errorf("after Refused the query is from %s page %q; want from %s, first page", q.From, q.Page, t0.Add(2*time.Second))
	}
	if w.Observe("c", t0.Add(2*time.Second)) {
		t.Error("the restarted query delivers again a record of the boundary instant")
	}
}

func TestRefusedWithoutProgressIsStuck(t *testing.T) {
	p := incremental.Policy{Start: t0, Granularity: time.Second, Ordered: true}
	var w incremental.Window
	w.Query(p)
	w.Observe("a", t0)
	if _, err := w.Next(p, "2"); err != nil {
		t.Fatal(err)
	}
	w.Query(p)
	if err := w.Refused(p); !errors.Is(err, incremental.ErrStuck) {
		t.Errorf("Refused with nothing newer than the start: %v; want ErrStuck", err)
	}
}
