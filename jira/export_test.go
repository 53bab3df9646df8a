package jira

import (
	"context"
	"time"
)

// NewWithClock is New with the HTTP stack's clock replaced: retry and rate
// waits call sleep instead of waiting.
func NewWithClock(cfg Config, now func() time.Time, sleep func(context.Context, time.Duration) error) (*Connector, error) {
	return newConnector(cfg, now, sleep)
}
