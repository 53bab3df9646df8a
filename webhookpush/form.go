package webhookpush

import "github.com/ticketsync/ticketsync"

// Form describes the Config fields a person fills in to receive tickets
// pushed as JSON, signed with an HMAC secret, in the package documentation's
// words, for host screens such as package console. Each call returns a new
// value; Config.Mapping and the other schemes are for code.
func Form() ticketsync.Form {
	return ticketsync.Form{
		Platform: DefaultPlatform,
		Title:    "Webhook Push (any JSON sender)",
		Fields: []ticketsync.FormField{
			{
				Name: "Platform", Label: "Sending system", Optional: true, Example: "helpscout",
				Hint: `names the sending system in lower case ("gorgias", "helpscout", "internal-desk")`,
			},
			{
				Name: "HMACSecrets", Label: "HMAC secret", Secret: true,
				Hint: "HMAC-SHA256 of the raw body (Config.HMACSecrets), in X-Hub-Signature-256 or Config.SignatureHeader, as hex or base64, with or without \"sha256=\".",
			},
		},
		WebhookSteps: []string{
			`Make the sender POST Content-Type: application/json and one ticket as the sender knows it, under a root "ticket", "issue", "case" or "conversation" object, to the connector's webhook URL.`,
			`Sign each body: the HMAC-SHA256 of the raw body under the secret, in the X-Hub-Signature-256 header, as hex or base64, with or without "sha256=".`,
		},
	}
}
