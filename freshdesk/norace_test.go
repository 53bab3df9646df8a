//go:build !race

package freshdesk_test

const raceEnabled = false
