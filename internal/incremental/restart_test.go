package incremental

import (
	"testing"
	"time"
)

func TestRestartKeepsFromAndSeen(t *testing.T) {
	p := Policy{Granularity: time.Minute, Ordered: true, Overlap: time.Minute}
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	var w Window
	q := w.Query(p)
	if !w.Observe("1", start.Add(5*time.Minute)) {
		t.Fatal("first sight not delivered")
	}
	if more, err := w.Next(p, "token-2"); !more || err != nil {
		t.Fatalf("Next: %t, %v", more, err)
	}
	if q2 := w.Query(p); q2.Page != "token-2" || !q2.From.Equal(q.From) {
		t.Fatalf("second page query %+v", q2)
	}
	w.Restart()
	q3 := w.Query(p)
	if q3.Page != "" || !q3.From.Equal(q.From) {
		t.Errorf("after Restart: %+v, want page \"\" from %s", q3, q.From)
	}
	if w.Observe("1", start.Add(5*time.Minute)) {
		t.Error("a record delivered before the restart was delivered again")
	}
}
