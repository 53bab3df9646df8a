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
// incremental exports, each from its own position, and keeps both
// positions in one opaque cursor (versioned and checksummed; a cursor of
// another connector or account is refused with ticketsync.ErrInvalidCursor).
// Each Fetch reads one page of one export, taking them in turn, so that
// neither holds up the other:
//
//   - The cursor-based ticket export,
//     GET /api/v2/incremental/tickets/cursor.json?include=users&per_page=1000&support_type_scope=all,
//     returns up to Config.PageSize changed tickets a page with every
//     field, their requesters and assignees sideloaded, and deleted tickets
//     with status "deleted" (delivered as tombstones). A first sync starts
//     at start_time=0, or at Config.StartTime.
//   - The time-based ticket events export,
//     GET /api/v2/incremental/ticket_events.json?include=comment_events&per_page=1000&support_type_scope=all,
//     returns up to 1000 ticket updates (audits) a page with the comments
//     they added (Comment, VoiceComment and FacebookComment events). They
//     come as entries holding only the ticket's ID, URL and comments, with
//     a zero UpdatedAt, so that the Store merges the comments and keeps
//     every other field it holds; when the ticket export has caught up, the
//     same Fetch reads an events page too and attaches the comments to the
//     tickets of its page. An update that made a comment private
//     (CommentPrivacyChange) or redacted it (CommentRedactionEvent) makes
//     the connector reload that ticket's comments through the comments
//     API, so that the Store keeps no redacted text. Each page starts at the
//     previous page's end_time, so the last second of a page is read twice;
//     comments merge by id.
//
// support_type_scope=all is sent because Zendesk's default, "agent", leaves
// out the tickets and updates handled by AI agents. An export page that
// times out or fails with a 5xx after the HTTP stack's retries is asked for
// at half the size (down to 10) and grows back after three good pages;
// meanwhile the other export goes on, and a run fails only when neither can
// be read. When one second holds more updates than a page (a bulk import),
// the events export can only answer the same page for it again: the
// connector steps over that second and reloads the comments of the tickets
// that changed in it through a walk of the ticket export and the comments
// API. While a long comment backfill runs, the ticket export is read again
// a minute after its last read, so that new ticket changes are not held up
// by it.
// Authors of comments that no sideload names (second agents, CCs, every
// author after a restart) are named through
// GET /api/v2/users/show_many.json, 100 a request.
//
// The alternative to the events export, one
// GET /api/v2/tickets/{id}/comments.json per changed ticket, costs a request
// per ticket against the plan limit (10,000 for a first sync of 10,000
// tickets, 50 minutes on the Team plan's 200 requests a minute). The events
// export costs about one request per 1000 ticket updates, comments or not:
// real tickets carry several updates without a comment (trigger
// notifications, SLA target changes, satisfaction surveys), so a first
// sync of N tickets with U updates in all costs about N/1000 ticket export
// requests plus U/1000 events requests, and the ticket export is read again
// once a minute while the backfill runs: 8.2 requests per 1000 tickets with
// 2.5 comments and 4 other updates each (BenchmarkSync10000Tickets,
// BENCHMARKS.md), about 8 minutes for 10,000 tickets on the budget of 10
// requests a minute, during which a new ticket change waits about 2 minutes
// (the hold-back and the next read; BenchmarkChangeDuringBackfill) instead
// of the rest of the backfill. The comments API serves only tickets created before a
// non-zero Config.StartTime, whose older comments the events export does not
// reach, the repair of crowded seconds, privacy changes and redactions, and
// GetTickets. An incremental sync costs two requests while fewer than
// 1000 tickets and 1000 updates changed. Both exports share Zendesk's
// budget of 10 requests a minute, which the connector keeps on its own
// limiter (Config.ExportRequestsPerMinute); every request also counts
// against the plan limit (Config.RequestsPerMinute), of which the connector
// uses nine tenths. Zendesk holds back changes made in the minute before a
// request (and answers a start_time within it with 422 or 400
// StartTimeTooRecent, which the connector takes as "nothing yet"): they
// come with the next poll. Retries honour Retry-After.
//
// GetTickets costs one GET /api/v2/tickets/show_many.json per 100 ids and one
// comments request per ticket (per 100 comments), against the plan limit.
//
// # Limits
//
// Zendesk limits requests per account and minute by plan: 200 on the Suite
// and Support Team plans (DefaultRequestsPerMinute), 400 on Growth and
// Professional, 700 on Enterprise, 2500 with the High Volume API add-on;
// set Config.RequestsPerMinute to the account's plan (the connector uses
// nine tenths of it and slows down when the X-Rate-Limit-Remaining and
// ratelimit-* headers say the account runs low). The incremental exports
// have their own budget of 10 requests a minute
// (DefaultExportRequestsPerMinute, Config.ExportRequestsPerMinute). A 429
// is retried after its Retry-After when that is at most two minutes;
// otherwise the error carries RetryAfter and matches
// ticketsync.ErrRateLimited, and the Syncer retries the run later.
//
// # Mapping
//
// Status new, open, pending, solved and closed map to their namesakes,
// "hold" to StatusOnHold, "deleted" to a tombstone (Deleted, StatusClosed);
// other words go through ticketsync.ParseStatus, else StatusOpen, and are
// kept in RawStatus. Priority maps likewise, unknown words to PriorityNone.
// Channel is via.channel in the contract's words (voice is "phone";
// native_messaging, chat_transcript and any_channel are "chat"; facebook
// and twitter "social"; web_widget "web"; unknown words as they are), with
// Zendesk's own word in Fields["via.channel"] (FieldChannel); Fields also
// holds custom fields by field id, values as text (lists comma-separated);
// URL is the agent's https://{subdomain}.zendesk.com/agent/tickets/{id}.
// Ids are 64-bit. Comment bodies are the API's body field, the same
// whichever API a comment came from (the comments API's plain_body, which
// the events export lacks, differs from it and is not used).
//
// # Errors
//
// An answer of Zendesk other than 2xx is returned as the
// *ticketsync.APIError the HTTP stack made, with Op naming what the
// connector was doing and Hint what to check; other failures (no answer,
// a page that is not the API's, a damaged cursor) wrap their cause. Both
// start with "zendesk: " and the operation, match ticketsync.ErrUnauthorized,
// ErrForbidden, ErrNotFound, ErrRateLimited and ErrInvalidCursor, and never
// hold a token or secret.
package zendesk
