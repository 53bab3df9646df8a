package ticketsync

// Form describes how a person connects an account of one platform: the
// fields of the platform package's Config they fill in, where they find
// each, and how they set up the platform's webhook. Platform packages
// export one (zendesk.Form, say) in their own words, for host screens such
// as package console, so that the hints live next to the Config they
// describe instead of in every host's templates.
type Form struct {
	// Platform is the name Connector.Platform returns ("zendesk").
	Platform string
	// Title is the platform's name as people write it ("Zendesk").
	Title string
	// Fields are the Config fields a person fills in, in the order a form
	// shows them.
	Fields []FormField
	// WebhookSteps say, one step each, how to make the platform deliver
	// webhooks to the connector's URL; empty when it has none.
	WebhookSteps []string
}

// FormField is one field of a platform package's Config that a person fills
// in.
type FormField struct {
	// Name is the Config field: "APIToken". It must be a string field, or
	// a []string field whose one value the form sets.
	Name string
	// Label is what the form calls it: "API token".
	Label string
	// Hint says where a person finds the value in the platform.
	Hint string
	// Example is a value of the right shape, for a placeholder; never a
	// real credential.
	Example string
	// Secret marks a credential: a form never shows it back, and it is
	// never logged or put in an error.
	Secret bool
	// Optional fields may stay empty.
	Optional bool
	// Webhook marks a field needed only to receive webhooks (a signing
	// secret), which a person may fill in once the webhook exists.
	Webhook bool
}
