package hubspot_test

import (
	"os"
	"testing"

	_ "modernc.org/sqlite" // the soak keeps its Store in SQLite across restarts

	"github.com/ticketsync/ticketsync/ticketsynctest"
)

// TestSoak drives the connector and its fake through random faults,
// restarts and webhook deliveries, and checks that the Store converges. It
// runs only when asked (TICKETSYNC_SOAK_ROUNDS): some seeds still lose
// updates made while runs are cut short (see RELIABILITY.md), and a test
// that fails now and then would hide other failures.
func TestSoak(t *testing.T) {
	if os.Getenv(ticketsynctest.SoakRoundsEnv) == "" {
		t.Skip("known divergence, see RELIABILITY.md; set " + ticketsynctest.SoakRoundsEnv + " to run it")
	}
	ticketsynctest.RunSoak(t, harness{})
}
