package freshdesk

import "github.com/ticketsync/ticketsync"

// Form describes the Config fields a person fills in to connect a
// Freshdesk account, in the package documentation's words, for host screens
// such as package console. Each call returns a new value.
func Form() ticketsync.Form {
	return ticketsync.Form{
		Platform: "freshdesk",
		Title:    "Freshdesk",
		Fields: []ticketsync.FormField{
			{
				Name: "Domain", Label: "Domain", Example: "acme",
				Hint: `the account's Freshdesk subdomain, "acme" for https://acme.freshdesk.com (not the full URL, not a custom domain).`,
			},
			{
				Name: "APIKey", Label: "API key", Secret: true,
				Hint: `Profile icon → Profile Settings → View API Key, of an agent whose ticket scope is "All tickets" (Admin → Agents → Edit → Scope).`,
			},
			{
				Name: "WebhookToken", Label: "Webhook token", Secret: true, Optional: true, Webhook: true,
				Hint: `Custom headers: {"X-Ticketsync-Token": "<a long random token>"}`,
			},
		},
		WebhookSteps: []string{
			"Set one up in Admin → Workflows → Automations → Ticket updates (and again in Ticket creation, for new tickets) → New rule.",
			`Conditions: when any of "Status is changed", "Priority is changed", "Reply is sent", "Note is added", "Ticket is deleted"... (the changes you want to hear of at once; polling catches the rest).`,
			"Action: Trigger webhook. Request type POST; URL the connector's webhook URL.",
			`Custom headers: {"X-Ticketsync-Token": "<a long random token>"}, the same token as the connector's webhook token.`,
			"Encoding: JSON; Content: Advanced, with this body: " + RecommendedWebhookTemplate,
		},
	}
}
