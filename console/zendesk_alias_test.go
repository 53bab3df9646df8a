package console_test

import "github.com/ticketsync/ticketsync/zendesk"

// Short names for the browser tests.
type zendeskConfig = zendesk.Config

var (
	zendeskForm = zendesk.Form
	zendeskNew  = zendesk.New
)
