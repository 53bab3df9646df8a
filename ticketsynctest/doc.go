// Package ticketsynctest holds conformance kits for the interfaces that
// ticketsync users implement, in the manner of testing/slogtest and
// testing/fstest.
//
// # Stores
//
// RunStoreTests checks a ticketsync.Store against each rule of the Store
// contract (the doc comment of ticketsync.Store), one subtest per rule. A
// failure names the rule it breaks:
//
//	--- FAIL: TestStore/OlderNeverReplacesNewer
//	    store.go:347: rule: a ticket never replaces a stored one whose UpdatedAt is newer: ticket "older": Subject = "subject v1", want "subject v2"; ...
//
// A database-backed store runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		ticketsynctest.RunStoreTests(t, func(t *testing.T) ticketsync.Store {
//			return openTestStore(t) // empty, closed by t.Cleanup
//		})
//	}
//
// The kit uses only the Store interface, plus ticketsync.Leaser when the
// store implements it (the lease subtests are skipped otherwise). Each
// subtest gets a fresh store from newStore and names its connectors with a
// random suffix, so a store over a shared test database works too. Times in
// the kit are in UTC at whole milliseconds, so a store may keep times at
// millisecond precision; times are compared with time.Time.Equal.
//
// Where the contract is silent the kit checks nothing: the order of Tags,
// for one.
//
// # Connectors
//
// RunConnectorTests checks a platform package against its fake, in the
// manner of gocloud's drivertest: the platform package implements a Harness
// over its fake (make a connector with good or bad credentials, change
// tickets and comments on the fake, build signed and tampered webhook
// deliveries, inject faults), and the kit syncs through a real
// ticketsync.Syncer into memstore and compares the result with the fake's
// account:
//
//	func TestConnectorKit(t *testing.T) {
//		ticketsynctest.RunConnectorTests(t, harness{})
//	}
//
// It checks a full sync, an incremental sync after changes, faults (5xx,
// 429) with nothing lost, resuming from every page boundary, deletes,
// comments, signed and tampered webhooks, GetTickets, a damaged cursor, and
// bad credentials. An Account that implements the optional interfaces
// (QueryCapper, LaggedUpdater, TimedWebhooks, ForbiddenConnectors,
// MissingAccountConnectors) and Capabilities.CursorChecks opt into the rules
// the next platforms most often break: query caps, index lag, webhook
// timestamps, access errors and foreign cursors. A connector that
// implements ticketsync.LaneStarter opts into the lane rule, which runs a
// Syncer's scheduler with a backfill lane on the Account's clock (Clocked),
// against the platform's rate limits when the Harness implements
// RateLimitedHarness and the Account Throttler.
//
// docs/new-platform.md in the repository is the contributor's guide to
// adding a platform: the files, the Config vocabulary, the shared packages,
// what the fake must model, and how to run this kit against it.
package ticketsynctest
