package intercom

// SetRegionURLs points the connector's probe of the other regions at the
// given hosts, as a test's fake serves them.
func SetRegionURLs(c *Connector, urls map[string]string) { c.regionBases = urls }
