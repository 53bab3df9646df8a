package zendesk

import (
	"context"
	"time"
)

// NewWithSleep is New whose HTTP stack waits (retry backoff, Retry-After,
// rate limits) through sleep and reads Config.Now as its clock, so that
// tests wait on the fake's clock instead of the real one.
func NewWithSleep(cfg Config, sleep func(context.Context, time.Duration) error) (*Connector, error) {
	return newConnector(cfg, sleep)
}
