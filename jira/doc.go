// Package jira connects ticketsync to Jira Service Management on Jira Cloud.
// Its Connector polls the service desk projects through Jira's enhanced
// search (ticketsync.Poller), receives Jira's admin webhooks
// (ticketsync.WebhookReceiver) and loads issues by id
// (ticketsync.TicketGetter), so it serves ModePoll, ModeWebhook and ModeBoth;
// it can start a cursor at a given time (ticketsync.LaneStarter), so the
// Syncer can sync a new connector in a live lane and a backfill lane.
//
//	conn, err := jira.New(jira.Config{
//		Subdomain:     "acme", // https://acme.atlassian.net
//		Email:         "agent@acme.com",
//		APIToken:      os.Getenv("JIRA_API_TOKEN"),
//		WebhookSecret: os.Getenv("JIRA_WEBHOOK_SECRET"),
//	})
//	if err != nil { ... }
//	if err := conn.Test(ctx); err != nil { ... } // "Test & Connect"
//	err = syncer.Add("acme-jira", conn, ticketsync.ModeBoth)
//
// An issue becomes a ticketsync.Ticket whose ID is the numeric id,
// which stays when the issue moves to another project; its key ("SUP-12"),
// which changes then, is in Fields["key"].
//
// # Credentials
//
//   - Subdomain: the site's prefix, "acme" for https://acme.atlassian.net.
//   - Email: the Atlassian account email of a user with an agent role in the
//     service desk projects (Project settings → People), so that search sees
//     their requests and internal comments.
//   - APIToken: https://id.atlassian.com → Security → Create and manage API
//     tokens → Create API token. Tokens expire (at most a year after
//     creation): an expired token is answered 401, or 200 as the anonymous
//     user with X-Seraph-LoginReason: AUTHENTICATED_FAILED, and both are
//     ticketsync.ErrUnauthorized, on every request and not only in Test.
//   - TokenSource and CloudID instead of Email and APIToken, for an OAuth 2.0
//     (3LO) app with the scopes read:jira-work, read:jira-user and
//     read:servicedesk-request; requests then go to
//     https://api.atlassian.com/ex/jira/{CloudID}. The cloud id is listed by
//     https://api.atlassian.com/oauth/token/accessible-resources.
//   - Projects: the keys of the service desk projects to sync; empty means
//     every one the user sees (GET /rest/servicedeskapi/servicedesk, read
//     when each poll starts). JQL narrows further (`labels != spam`).
//
// Test calls GET /rest/api/3/myself and the service desk list. It returns
// ticketsync.ErrUnauthorized for wrong or expired credentials ("check the
// email and API token; tokens expire"), ticketsync.ErrNotFound when the
// address answers with a page rather than the API ("check the subdomain"),
// and ticketsync.ErrForbidden when the user sees no service desk project,
// or not one of Projects, naming the missing keys.
//
// # Webhooks
//
// The connector is a ticketsync.WebhookRegistrar: with the email and API
// token of a user who holds the Administer Jira global permission,
// ticketsync.Syncer.RegisterWebhook creates the admin webhook below through
// POST /rest/webhooks/1.0/webhook (the six issue and comment events of
// WebhookEvents, the JQL filter naming the connector's projects, and a
// secret the connector generates and accepts at once), and
// ticketsync.Syncer.RemoveWithWebhook deletes it. Jira never shows a
// secret again: keep the registration's Secret with the credentials and
// give it back as Config.WebhookSecret after a restart; registering again
// for the same URL updates that webhook with a new secret instead of
// creating a second one. Without the permission the error matches
// ticketsync.ErrForbidden and names it. The filter is fixed when the
// webhook is registered: with Config.Projects empty it names the service
// desk projects the user saw then, so register again after adding one.
// OAuth 2.0 apps (Config.TokenSource) cannot use the admin API, and their
// app webhooks (/rest/api/3/webhook) expire after 30 days unless refreshed,
// so ticketsync does not register them: set the webhook up by hand.
//
// To set it up by hand instead, create an admin webhook in Jira settings (the gear) → System → WebHooks →
// Create a WebHook:
//
//   - URL: the host's ticketsync.Syncer.WebhookHandler, such as
//     https://example.com/api/webhooks/tickets?connectorId=acme-jira;
//   - Secret: generate one, and put it in Config.WebhookSecret (during a
//     rotation, the old one in Config.WebhookSecrets until Jira sends with
//     the new one);
//   - Events: Issue created, updated, deleted; Comment created, updated,
//     deleted; with the JQL filter `project in (SUP, HR)` naming the service
//     desk projects (the same as Config.Projects).
//
// The same webhook can be created through REST, POST /rest/webhooks/1.0/webhook
// as an admin, with {"name", "url", "events": ["jira:issue_created",
// "jira:issue_updated", "jira:issue_deleted", "comment_created",
// "comment_updated", "comment_deleted"], "filters": {"issue-related-events-section":
// "project in (SUP, HR)"}, "secret"}; Atlassian's Cloud webhooks page
// (developer.atlassian.com/cloud/jira/platform/webhooks) calls webhooks
// "created in Jira Administration or registered by /rest/webhooks/1.0/webhook"
// admin webhooks.
//
// Jira signs each delivery with X-Hub-Signature: sha256= and the hex
// HMAC-SHA256 of the raw body keyed with the secret (Atlassian's "secure
// admin webhooks", February 2024); VerifyWebhook checks it against every
// configured secret in constant time and refuses unsigned deliveries. Jira
// signs no timestamp, so there is no replay window to check; a replay is
// harmless because the deliveries' issue JSON is not used: it is the REST v2
// representation (wiki markup instead of Atlassian Document Format, no JSM
// comment visibility), so ParseWebhook returns id-only events and the
// Syncer loads the issues through GetTickets (a bulk fetch), except for
// jira:issue_deleted, which leaves a tombstone. Jira retries a failed
// delivery with the same X-Atlassian-Webhook-Identifier; a duplicate stores
// the same ticket again, which changes nothing.
//
// # Deletions
//
// Jira's search never returns a deleted issue and keeps nothing of it, so a
// poll cannot see deletions: only the jira:issue_deleted webhook can, and
// GetTickets leaves a deleted issue out. A host that polls only (ModePoll)
// keeps deleted issues as they were last seen; to find them, it can call
// GetTickets with the ids it holds from time to time (100 ids a request)
// and mark those missing as deleted, or add the webhook (ModeBoth).
//
// # How a poll works, and what it costs
//
// A poll reads the projects' issues updated since its checkpoint through the
// enhanced search, POST /rest/api/3/search/jql, with the query
//
//	project in ("SUP") AND updated >= "2026/03/02 20:35" ORDER BY updated ASC, key ASC
//
// asking for the fields it maps (the enhanced search returns only ids
// unless told) and 100 issues a page, Jira's most when fields are asked
// for, following nextPageToken to the last page (isLast). The old
// /rest/api/3/search answers 410 and is not used.
//
// Jira reads a JQL date literal to the minute and in the searching user's
// profile time zone, which the connector reads from /rest/api/3/myself at
// the start of every poll; the checkpoint is kept in UTC and written in
// that zone. Around a daylight-saving change, where a wall time names two
// instants, the literal is moved back until both readings are at or before
// the checkpoint. Jira's answers do not show the zone (it writes times in
// UTC), so a change of the profile's zone shows only in /myself: when it
// differs from the zone of the previous query, the new query starts from
// the previous query's checkpoint, whose literal may have been read in the
// new zone. A zone this machine does not know (no time zone database) is
// written as epoch milliseconds, which JQL reads as an instant. A zone
// changed and changed back within one poll's pages cannot be seen; a later
// change is caught by the next poll.
//
// Search is eventually consistent: a change can show up after a newer one.
// Each poll therefore starts SearchLag (15 minutes unless set) before the
// newest update it has read, and skips the issue versions it delivered
// (the cursor remembers up to 5000 of them), so a change indexed up to
// SearchLag late still arrives and an unchanged issue is not delivered
// twice. Any number of issues updated in the same minute is read in one
// pass of the page token, never looped on. The cursor is the shared
// changed-since window of ticketsync (internal/incremental): opaque,
// versioned, tied to the site, and refused with ticketsync.ErrInvalidCursor
// when damaged or foreign.
//
// StartCursor, for the live lane of ticketsync's two-lane sync, makes no
// request: its cursor keeps the instant it starts at, and its first Fetch
// writes it in the profile's zone as it reads it from /myself then (not
// when the cursor was made), to the minute, so a change made in that
// minute before or after the instant is read, and moved back across a
// daylight-saving overlap as above. The query starts SearchLag before the
// instant, as every pass re-reads the last SearchLag: a change made just
// before it that the index shows late is read by the live lane, since the
// backfill lane may have passed that minute already. Issues come with all
// their comments, as in every poll. DescribeCursor reports the instant as
// the checkpoint of such a cursor until it has read past it, and
// Config.StartTime as its start.
//
// Comments come in the search's comment field; for an issue with more
// comments than the field holds (its total says so), the connector reads
// GET /rest/api/3/issue/{id}/comment, 100 a page. JSM's internal notes
// (jsdPublic false) become comments with Public false.
//
// Each poll thus costs one /myself request, one service desk list (unless
// Config.Projects is set), one search request per 100 issues, and one
// comment request per 100 comments of each issue with more comments than
// the search returns; the field list (GET /rest/api/3/field, to find JSM's
// request type and participants fields) is read once per Connector. A
// first sync of 1,000 issues with a few comments each costs 13 requests
// where the page size allows no fewer than 10 (BenchmarkSync1000Issues).
// GetTickets costs one POST /rest/api/3/issue/bulkfetch per 100 ids.
//
// # Mapping
//
// Status maps by the status's name where ticketsync.ParseStatus knows it
// ("Waiting for customer" → pending, "Waiting for support" → open,
// "Resolved" → solved, "Closed" and "Canceled" → closed), else by its
// category (To Do → new, In Progress → open, Done → solved); a status in
// the Done category is never reported as unfinished. The name is kept in
// RawStatus. Priority maps Highest, High, Medium, Low and Lowest to urgent,
// high, normal, low and low, other names through ticketsync.ParsePriority;
// the name is kept in RawPriority. The reporter (the JSM customer) is the
// Requester and the assignee the Assignee, by account id, with their
// display names and the email addresses their privacy settings show;
// labels are Tags. Fields holds "key", "project", "issuetype" and, in
// service desk projects, "requestType" (JSM's request type name) and
// "participants" (request participants' account ids, comma-separated).
// Descriptions and comment bodies are Atlassian Document Format, converted
// to plain text by ADFText. URL is the agent's
// https://{Subdomain}.atlassian.net/browse/{key}. Times are UTC.
//
// # Limits
//
// Jira Cloud publishes no fixed request rate for API tokens: its burst
// limits answer 429 with Retry-After (seconds), X-RateLimit-Reset (an ISO
// minute), X-RateLimit-Limit, X-RateLimit-Remaining and RateLimit-Reason,
// and mark answers with X-RateLimit-NearLimit: true when less than a fifth
// of a budget remains (developer.atlassian.com/cloud/jira/platform/rate-limiting).
// Points-based quotas apply to OAuth apps. The connector keeps to
// RequestsPerMinute (300 unless set), slows down on the X-RateLimit headers,
// waits as long as Retry-After says before a retry (also on 503s that carry
// it), and never sends a request of the connector before a 429's wait is
// over; after its retries it returns ticketsync.ErrRateLimited with the
// wait in APIError.RetryAfter.
//
// # Errors
//
// Errors are *ticketsync.APIError values whose Op says what the connector
// was doing and whose Hint says what to check, or errors wrapping the
// sentinels; they match ticketsync.ErrUnauthorized, ErrForbidden,
// ErrNotFound, ErrRateLimited and ErrInvalidCursor, and never hold a token
// or secret.
package jira
