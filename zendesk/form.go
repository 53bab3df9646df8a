package zendesk

import "github.com/ticketsync/ticketsync"

// Form describes the Config fields a person fills in to connect a Zendesk
// account, in the package documentation's words, for host screens such as
// package console. Each call returns a new value.
func Form() ticketsync.Form {
	return ticketsync.Form{
		Platform: "zendesk",
		Title:    "Zendesk",
		Fields: []ticketsync.FormField{
			{
				Name: "Subdomain", Label: "Subdomain", Example: "acmecorp",
				Hint: `the first part of the account's address, "acmecorp" for https://acmecorp.zendesk.com.`,
			},
			{
				Name: "Email", Label: "Admin email", Example: "admin@acmecorp.com",
				Hint: "the sign-in email of an admin.",
			},
			{
				Name: "APIToken", Label: "API token", Secret: true,
				Hint: "Admin Center → Apps and integrations → APIs → Zendesk API → Settings: turn on token access, then Add API token. The token is shown once.",
			},
			{
				Name: "WebhookSecret", Label: "Webhook signing secret", Secret: true, Optional: true, Webhook: true,
				Hint: "open the webhook, Signing secret → Reveal, and put the secret in Config.WebhookSecret",
			},
		},
		WebhookSteps: []string{
			"Create the webhook in Admin Center → Apps and integrations → Webhooks → Create webhook, with the connector's webhook URL as the endpoint URL, method POST and format JSON.",
			"Subscribe it to Zendesk events: the ticket events (Ticket created, status changed, comment added, soft deleted, ...).",
			"Then open the webhook, Signing secret → Reveal, and enter the secret as the connector's webhook signing secret.",
		},
	}
}
