package ticketsynctest

import "testing"

// TestRunSoak runs the soak against the kit's small, correct platform, over
// a memstore (this test binary registers no SQLite driver).
func TestRunSoak(t *testing.T) {
	before := toyBodyFaults.Load()
	rep := RunSoak(t, toyHarness{})
	if rep.Rounds == 0 || rep.Restarts != rep.Rounds || rep.FinalRuns == 0 || rep.Tickets == 0 {
		t.Errorf("report %+v: the soak did not run its rounds", rep)
	}
	if got := toyBodyFaults.Load() - before; int64(rep.BodyFaults) != got {
		t.Errorf("report counts %d body faults; the account took %d", rep.BodyFaults, got)
	}
}
