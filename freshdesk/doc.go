// Package freshdesk connects ticketsync to a Freshdesk account. Its
// Connector polls the ticket list (ticketsync.Poller), receives the
// webhooks of automation rules (ticketsync.WebhookReceiver) and loads
// tickets by id (ticketsync.TicketGetter), so it serves ModePoll,
// ModeWebhook and ModeBoth.
package freshdesk
