package intercom

import "github.com/ticketsync/ticketsync"

// Form describes the Config fields a person fills in to connect an
// Intercom workspace with an access token, in the package documentation's
// words, for host screens such as package console. Each call returns a new
// value; TokenSource, AppID and the rest are for code.
func Form() ticketsync.Form {
	return ticketsync.Form{
		Platform: Platform,
		Title:    "Intercom",
		Fields: []ticketsync.FormField{
			{
				Name: "AccessToken", Label: "Access token", Secret: true,
				Hint: `Settings → Integrations → Developer Hub → your app → Authentication. It needs the "Read conversations" and "Read tickets" permissions, and "Read and list users and companies" and "Read admins" for names.`,
			},
			{
				Name: "Region", Label: "Region", Example: "US", Optional: true,
				Hint: `where the workspace is hosted: "US" (api.intercom.io, the default), "EU" (api.eu.intercom.io) or "AU" (api.au.intercom.io).`,
			},
			{
				Name: "ClientSecret", Label: "Client secret", Secret: true, Optional: true, Webhook: true,
				Hint: "Developer Hub → your app → Basic information → Client secret; it signs webhook notifications.",
			},
		},
		WebhookSteps: []string{
			"In the Developer Hub, open the app → Webhooks and set the endpoint URL to the connector's webhook URL.",
			"Subscribe to the conversation topics (conversation.user.created, conversation.user.replied, conversation.admin.replied, " +
				"conversation.admin.single.created, conversation.admin.noted, conversation.admin.assigned, conversation.admin.closed, " +
				"conversation.admin.opened, conversation.admin.snoozed, conversation.admin.unsnoozed, conversation.priority.updated, " +
				"conversation.deleted) and the ticket topics (ticket.created, ticket.state.updated, ticket.admin.assigned, " +
				"ticket.team.assigned, ticket.admin.replied, ticket.contact.replied, ticket.note.created, ticket.attribute.updated, " +
				"ticket.deleted); the app needs the matching read permissions.",
			"Enter the app's client secret (Developer Hub → your app → Basic information) as the connector's client secret.",
			`"Send a test request" sends a ping, which is answered 200 and stores nothing.`,
		},
	}
}
