package intercom_test

import (
	"testing"

	_ "modernc.org/sqlite" // the soak keeps its Store in SQLite across restarts

	"github.com/ticketsync/ticketsync/ticketsynctest"
)

// TestSoak drives the connector and its fake through random faults,
// restarts and webhook deliveries, and checks that the Store converges.
func TestSoak(t *testing.T) { ticketsynctest.RunSoak(t, harness{}) }
