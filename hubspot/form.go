package hubspot

import "github.com/ticketsync/ticketsync"

// Form describes the Config fields a person fills in to connect a HubSpot
// account with a private app, in the package documentation's words, for
// host screens such as package console. Each call returns a new value.
func Form() ticketsync.Form {
	return ticketsync.Form{
		Platform: Platform,
		Title:    "HubSpot",
		Fields: []ticketsync.FormField{
			{
				Name: "PrivateAppToken", Label: "Private app token", Secret: true, Example: "pat-na1-…",
				Hint: `in HubSpot, Settings (the gear), Integrations, Private Apps, Create a private app; on its Scopes tab tick "tickets" (required), "conversations.read" (help-desk inbox threads), "crm.objects.contacts.read" (requesters' names and notes), "crm.objects.owners.read" (assignees' names) and "sales-email-read" (emails); Create app, then Show token.`,
			},
			{
				Name: "ClientSecret", Label: "Client secret", Secret: true, Optional: true, Webhook: true,
				Hint: "the app's client secret (Auth tab)",
			},
		},
		WebhookSteps: []string{
			"In the app's settings, Webhooks: set the target URL to the connector's webhook URL.",
			"Subscribe to ticket creation, deletion, merge, restore, association changes and property changes (hs_pipeline_stage, subject, hubspot_owner_id, ...), or to the generic object events of object type 0-5.",
			"Enter the app's client secret (Auth tab) as the connector's client secret.",
		},
	}
}
