package fakeapi_test

import (
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

// TakeN takes all n units or none, and the window resets on its boundary.
func TestRateWindowTakeN(t *testing.T) {
	w := fakeapi.NewRateWindow(10, time.Minute, fakeapi.RateHeaders{})
	now := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	if ok, left, _ := w.TakeN(now, 7); !ok || left != 3 {
		t.Fatalf("TakeN(7) = %t, %d left; want true, 3", ok, left)
	}
	if ok, left, reset := w.TakeN(now, 5); ok || left != 3 || !reset.Equal(now.Truncate(time.Minute).Add(time.Minute)) {
		t.Errorf("TakeN(5) with 3 left = %t, %d left, reset %s; want false, 3 left, the next minute", ok, left, reset)
	}
	if ok, left, _ := w.TakeN(now, 3); !ok || left != 0 {
		t.Errorf("TakeN(3) with 3 left = %t, %d; want true, 0", ok, left)
	}
	if ok, left, _ := w.TakeN(now.Add(time.Minute), 5); !ok || left != 5 {
		t.Errorf("TakeN(5) in the next window = %t, %d; want true, 5", ok, left)
	}
	unlimited := fakeapi.NewRateWindow(-1, time.Minute, fakeapi.RateHeaders{})
	if ok, _, _ := unlimited.TakeN(now, 1000); !ok {
		t.Error("an unlimited window refused")
	}
}
