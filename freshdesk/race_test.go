//go:build race

package freshdesk_test

// raceEnabled is true when the tests run with the race detector, which
// makes the 40,000-ticket sync too slow for a shared machine; it runs
// without it.
const raceEnabled = true
