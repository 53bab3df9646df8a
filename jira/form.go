package jira

import "github.com/ticketsync/ticketsync"

// Form describes the Config fields a person fills in to connect a Jira
// Service Management site with an API token, in the package
// documentation's words, for host screens such as package console. Each
// call returns a new value; Projects and JQL are for code.
func Form() ticketsync.Form {
	return ticketsync.Form{
		Platform: Platform,
		Title:    "Jira Service Management",
		Fields: []ticketsync.FormField{
			{
				Name: "Subdomain", Label: "Site", Example: "acme",
				Hint: `the site's prefix, "acme" for https://acme.atlassian.net.`,
			},
			{
				Name: "Email", Label: "Atlassian account email", Example: "agent@acme.com",
				Hint: "the Atlassian account email of a user with an agent role in the service desk projects (Project settings → People)",
			},
			{
				Name: "APIToken", Label: "API token", Secret: true,
				Hint: "https://id.atlassian.com → Security → Create and manage API tokens → Create API token.",
			},
			{
				Name: "WebhookSecret", Label: "Webhook secret", Secret: true, Optional: true, Webhook: true,
				Hint: "generate one, and put it in Config.WebhookSecret",
			},
		},
		WebhookSteps: []string{
			"Create an admin webhook in Jira settings (the gear) → System → WebHooks → Create a WebHook.",
			"URL: the connector's webhook URL.",
			"Secret: generate one, and enter it as the connector's webhook secret.",
			"Events: Issue created, updated, deleted; Comment created, updated, deleted; with the JQL filter `project in (SUP, HR)` naming the service desk projects.",
		},
	}
}
