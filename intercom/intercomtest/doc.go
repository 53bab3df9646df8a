// Package intercomtest is a fake Intercom workspace, served over loopback
// HTTP by net/http/httptest, for tests of code that talks to the Intercom
// REST API. It models Intercom on its own and never imports the intercom
// connector package.
package intercomtest
