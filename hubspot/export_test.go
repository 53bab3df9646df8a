package hubspot

import (
	"context"
	"time"
)

// NewWithClock is New on a test's clock: now stands for the time of
// polling windows, cache ages and (unless Config.Now is set) webhook
// timestamps, sleep for every wait of the HTTP stack, and rateWindow, when
// not zero, replaces HubSpot's 10-second window so that a test can enforce
// the limits on a shorter one.
func NewWithClock(cfg Config, now func() time.Time, sleep func(context.Context, time.Duration) error, rateWindow time.Duration) (*Connector, error) {
	return newConnector(cfg, clock{now: now, sleep: sleep, window: rateWindow})
}
