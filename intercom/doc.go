// Package intercom connects ticketsync to an Intercom workspace. Its
// Connector polls the conversation and ticket searches
// (ticketsync.Poller), receives Intercom's webhook notifications
// (ticketsync.WebhookReceiver) and reads conversations and tickets by id
// (ticketsync.TicketGetter), so it serves ModePoll, ModeWebhook and
// ModeBoth.
package intercom
