// Package zendesk connects ticketsync to a Zendesk Support account. Its
// Connector polls the incremental exports (ticketsync.Poller), receives
// Zendesk's webhooks (ticketsync.WebhookReceiver) and loads tickets by id
// (ticketsync.TicketGetter), so it serves ModePoll, ModeWebhook and ModeBoth.
//
//	zd, err := zendesk.New(zendesk.Config{
//		Subdomain:     "acmecorp",
//		Email:         "admin@acmecorp.com",
//		APIToken:      os.Getenv("ZENDESK_API_TOKEN"),
//		WebhookSecret: os.Getenv("ZENDESK_WEBHOOK_SECRET"),
//	})
//	if err != nil { ... }
//	if err := zd.Test(ctx); err != nil { ... } // "Test & Connect"
//	err = syncer.Add("acme-zendesk", zd, ticketsync.ModeBoth)
//
// # Credentials
//
//   - Subdomain: the first part of the account's address, "acmecorp" for
//     https://acmecorp.zendesk.com.
//   - Email: the sign-in email of an admin. The incremental exports are for
//     admins only, so Connector.Test fails with ticketsync.ErrForbidden for
//     an agent.
//   - APIToken: Admin Center → Apps and integrations → APIs → Zendesk API →
//     Settings: turn on token access, then Add API token. The token is shown
//     once. Requests authenticate as "{Email}/token" with it.
//   - OAuthToken or TokenSource instead of Email and APIToken, for an OAuth
//     app (Admin Center → Apps and integrations → APIs → Zendesk API → OAuth
//     Clients), with the read scope.
//   - WebhookSecret: the webhook's signing secret, see below.
//
// # Webhooks
//
// Create the webhook in Admin Center → Apps and integrations → Webhooks →
// Create webhook, with the endpoint URL of the host's
// ticketsync.Syncer.WebhookHandler, such as
// https://example.com/api/webhooks/tickets?connectorId=acme-zendesk, method
// POST and format JSON. Either:
//
//   - subscribe it to Zendesk events: the ticket events (Ticket created,
//     status changed, comment added, soft deleted, ...), or
//   - connect it to a trigger: create a trigger in Admin Center → Objects and
//     rules → Business rules → Triggers, with the action "Notify by →
//     Active webhook", this webhook, and RecommendedTriggerTemplate as the
//     JSON body.
//
// Then open the webhook, Signing secret → Reveal, and put the secret in
// Config.WebhookSecret (during a rotation, the old and the new secret in
// Config.WebhookSecrets). Deliveries are checked against
// X-Zendesk-Webhook-Signature, a base64 HMAC-SHA256 of the signed timestamp
// followed by the body, and refused when the timestamp is more than
// Config.WebhookTolerance away. The builder's "Test webhook" deliveries are
// signed with TestSigningSecret instead; add it to WebhookSecrets only while
// trying the webhook out.
//
// Neither kind of delivery holds the ticket as completely as the REST API
// (event subscriptions lack the people's names, custom fields and comments;
// a trigger holds what its template says), so ParseWebhook returns id-only
// events and the Syncer loads the tickets through GetTickets.
//
// # How a poll works, and what it costs
//
// Zendesk has no export of tickets with their comments, so a sync reads two
// incremental exports and encodes where it is in both in one opaque cursor
// (base64 of a small JSON object: the ticket export's after_cursor, or the
// start_time before the first page; the ticket events export's start_time;
// the phase; the configured start).
//
//  1. The cursor-based ticket export,
//     GET /api/v2/incremental/tickets/cursor.json?include=users&per_page=1000,
//     returns up to 1000 changed tickets a page with every field, their
//     requesters and assignees sideloaded, and deleted tickets with status
//     "deleted" (delivered as tombstones). A first sync starts at
//     start_time=0, or at Config.StartTime.
//  2. Once it reaches end_of_stream, the time-based ticket events export,
//     GET /api/v2/incremental/ticket_events.json?include=comment_events,
//     returns up to 1000 ticket updates a page with the comments they added.
//     The comments of tickets returned by the same call are attached to
//     them; those of other tickets come as entries holding only the ticket's
//     ID, URL and comments, with a zero UpdatedAt, so that the Store merges
//     the comments and keeps every other field it holds (an entry for a
//     ticket the Store does not hold yet is completed by the ticket export).
//     Each page starts at the previous page's end_time, so the last second
//     of a page is read twice; comments merge by id.
//
// The alternative, one GET /api/v2/tickets/{id}/comments.json per changed
// ticket, costs a request per ticket against the plan limit (10,000 for a
// first sync of 10,000 tickets, 50 minutes on the Team plan's 200 requests a
// minute). The events export costs about one request per 1000 comments, and
// is used instead; the comments API serves only tickets created before a
// non-zero Config.StartTime, whose older comments the events export does not
// reach, and GetTickets.
//
// A first sync of N tickets with C comments in all thus costs about N/1000
// ticket export requests plus (N+C)/1000 events requests (ticket creation
// is an update too): 3.6 requests per 1000 tickets with 2.5 comments each
// (BenchmarkSync10000Tickets), against the minimum of one per 1000 tickets
// that the export's page size allows for the tickets alone. An incremental sync costs two requests while
// fewer than 1000 tickets and 1000 updates changed. Both exports share
// Zendesk's budget of 10 requests a minute, which the connector keeps on
// its own limiter (Config.ExportRequestsPerMinute), so a first sync of
// 10,000 tickets takes about four minutes; every request also counts
// against the plan limit (Config.RequestsPerMinute), of which the connector
// uses nine tenths. Zendesk holds back changes made in the minute before a
// request: they come with the next poll. Retries honour Retry-After.
//
// GetTickets costs one GET /api/v2/tickets/show_many.json per 100 ids and one
// comments request per ticket (per 100 comments), against the plan limit.
//
// # Mapping
//
// Status new, open, pending, solved and closed map to their namesakes,
// "hold" to StatusOnHold, "deleted" to a tombstone (Deleted, StatusClosed);
// other words go through ticketsync.ParseStatus, else StatusOpen, and are
// kept in RawStatus. Priority maps likewise, unknown words to PriorityNone.
// Channel is via.channel; Fields holds custom fields by field id, values as
// text (lists comma-separated); URL is the agent's
// https://{subdomain}.zendesk.com/agent/tickets/{id}. Ids are 64-bit.
// Comment bodies are Zendesk's plain text.
//
// # Errors
//
// Errors are *Error values that start with "zendesk: ", name what the
// connector was doing and what to check, wrap the *ticketsync.APIError or
// network error, and match ticketsync.ErrUnauthorized, ErrForbidden,
// ErrNotFound and ErrRateLimited. They never hold a token or secret.
package zendesk
