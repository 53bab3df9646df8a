package intercom

import (
	"context"
	"time"
)

// SetRegionURLs points the connector's probe of the other regions at the
// given hosts, as a test's fake serves them.
func SetRegionURLs(c *Connector, urls map[string]string) { c.regionBases = urls }

// SetClock makes the connector read now and wait with sleep (the fake's
// clock), for its HTTP client's retries and rate limits and its caches.
func SetClock(c *Connector, now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) {
	c.cfg.now, c.cfg.sleep = now, sleep
	client, err := c.newClient(c.cfg.apiBase)
	if err != nil {
		panic(err)
	}
	c.client = client
}
