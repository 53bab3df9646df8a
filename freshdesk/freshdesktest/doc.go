// Package freshdesktest is a fake Freshdesk account, served over loopback
// HTTP by net/http/httptest, for tests of code that talks to the Freshdesk
// API v2. It models Freshdesk on its own and shares no code with the
// ticketsync freshdesk connector, so the two check each other.
package freshdesktest
