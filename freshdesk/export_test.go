package freshdesk

import (
	"context"
	"time"
)

// NewWithClock is New with the HTTP client's clock replaced: waits for
// rate limits and Retry-After go through sleep, which a fake's clock
// advances instead of sleeping.
func NewWithClock(cfg Config, now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) (*Connector, error) {
	return newConnector(cfg, clock{now: now, sleep: sleep})
}
