// Package hubspot connects ticketsync to HubSpot Service Hub, where tickets
// are CRM objects: every property is a string, statuses are pipeline stages
// whose ids differ per account, search stops at 10,000 results and lags
// behind writes, merged tickets get new ids, and webhooks carry only ids.
// Its Connector polls (ticketsync.Poller), receives HubSpot's webhooks
// (ticketsync.WebhookReceiver) and loads tickets by id
// (ticketsync.TicketGetter), so it serves ModePoll, ModeWebhook and ModeBoth.
//
//	hs, err := hubspot.New(hubspot.Config{
//		PrivateAppToken: os.Getenv("HUBSPOT_TOKEN"),
//		ClientSecret:    os.Getenv("HUBSPOT_CLIENT_SECRET"),
//	})
//	if err != nil { ... }
//	if err := hs.Test(ctx); err != nil { ... } // "Test & Connect"
//	err = syncer.Add("acme-hubspot", hs, ticketsync.ModeBoth)
//
// # Credentials
//
//   - PrivateAppToken: in HubSpot, Settings (the gear), Integrations,
//     Private Apps, Create a private app; on its Scopes tab tick "tickets"
//     (required), "conversations.read" (help-desk inbox threads),
//     "crm.objects.contacts.read" (requesters' names and notes),
//     "crm.objects.owners.read" (assignees' names) and "sales-email-read"
//     (emails); Create app, then Show token.
//   - TokenSource instead, for a public (OAuth) app, with the same scopes.
//
// Test reads the account details (GET /account-info/v3/details), which
// also tell the account (portal) id, then one ticket, then one inbox
// thread. A rejected token is ticketsync.ErrUnauthorized; a missing scope
// is ticketsync.ErrForbidden whose *ticketsync.APIError has Code
// "MISSING_SCOPES" and a Hint naming the scope (MissingScopes returns them
// as a list). Without conversations.read Test fails unless
// Config.SkipConversations is set. Without the other optional scopes a sync
// still runs, with people as bare ids and without those comments (logged
// once).
//
// # Webhooks
//
// In the app's settings, Webhooks: set the target URL to the Syncer's
// handler, .../api/webhooks/tickets?connectorId=ID, and subscribe to ticket
// creation, deletion, merge, restore, association changes and property
// changes (hs_pipeline_stage, subject, hubspot_owner_id, ...), or to the
// generic object events of object type 0-5. Legacy private apps set this up
// in the private app's Webhooks tab. Config.ClientSecret is the app's
// client secret (Auth tab); during a rotation list the other secret in
// Config.ClientSecrets. Behind a proxy set Config.WebhookURL to the target
// URL exactly as entered.
//
// VerifyWebhook checks X-HubSpot-Signature-v3 (base64 HMAC-SHA256 of
// method, URI, body and timestamp; see Sign) and rejects deliveries whose
// X-HubSpot-Request-Timestamp is more than Config.WebhookTolerance (5
// minutes) away from Config.Now, in either direction; the older v1 and v2
// signatures only with Config.AllowLegacySignatures. ParseWebhook turns the
// JSON array of events into id-only events, which the Syncer completes
// through GetTickets. HubSpot delivers at least once and out of order; ids
// repeated in a delivery count once, and events of another account (one app
// installed in several) are skipped once the portal id is known.
//
// # How a poll works, and what it costs
//
// A run has four phases, each one Fetch page or more:
//
//  1. Search. Tickets modified at or after the cursor, oldest first, 200 a
//     request (POST /crm/v3/objects/tickets/search, on its own limit of 5
//     requests a second). Each page starts a new query from the newest
//     modification time of the page before, so no query pages towards
//     HubSpot's 10,000-result cap; tickets modified in one millisecond that
//     fill a page are paged by id. HubSpot's search index catches up with
//     writes at different speeds, so a change can become searchable after a
//     newer one. Each run therefore searches two windows in the same query:
//     the live one, from Config.SearchLag (5 minutes) before the newest
//     change seen, and the settled one, the changes that have since become
//     Config.SettleWindow (an hour) old; what lies between was read by
//     earlier runs and is left out. Every change is read once live and once
//     settled, and the cursor remembers an hour of deliveries (up to 5,000,
//     compactly), so the settled read delivers only what was missed: a
//     quiet account costs one search a run.
//  2. Conversations inbox. The help desk's threads (chat, messaging, inbox
//     email, agents' internal comments) whose latest message is newer than
//     the last run's, 100 a request (GET /conversations/v3/conversations/threads,
//     sorted by latest message, with their associatedTicketId); the
//     messages of each changed thread (one request each: HubSpot has no
//     batch read of messages); their tickets, delivered with the messages as
//     comments with ids "message-<id>" (a MESSAGE public, a COMMENT
//     internal). A new message need not move the ticket's modification
//     time, so this phase is what makes it arrive.
//  3. Engagements. HubSpot does not document whether logging an email or
//     note moves the ticket's hs_lastmodifieddate. The connector does not
//     rely on it: it searches the emails and the notes modified since the
//     last run (one search each) and delivers the tickets they are logged on
//     that the search phase did not deliver as of a later time. When the
//     time does move, the cost is the two searches.
//  4. Recycle bin, every Config.ArchivedScanInterval (6 hours): the archived
//     tickets (GET /crm/v3/objects/tickets?archived=true, 100 a request)
//     become tombstones (Deleted, UpdatedAt the archive time, the ticket's
//     own properties kept). The bin cannot be asked what changed, so a scan
//     reads all of it, up to 90 days of deletions: a bin of 100,000 tickets
//     costs 1,000 requests a scan, 4,000 a day at the default interval (it
//     was 96,000 when every 15-minute run scanned it). Tickets tombstoned
//     by an earlier scan that have left the bin were restored (restores are
//     not documented to move the ticket's time either) and are read again.
//
// For each page of tickets: 3 association reads (contacts, emails, notes:
// POST /crm/v4/associations/tickets/{type}/batch/read, one request per
// 1,000 tickets and per 500 associations of a ticket) and batch reads of
// 100 ids each for the requesters, the emails and the notes
// (POST /crm/v3/objects/{type}/batch/read). With one requester, one email
// and one note per ticket that is 10 requests per 200 tickets, about 50 per
// 1,000; the owners list and the pipelines add one request each per
// Config.CacheTTL. A run with nothing changed costs 4 requests (3 searches
// and one thread listing). GetTickets costs one batch read per 100 ids (two
// when some are archived) plus the same lookups; it does not read inbox
// threads, which arrive by polling.
//
// A merged ticket gets a new id and HubSpot answers reads of the old ids
// with the merged record. Polling (through hs_merged_object_ids), GetTickets
// and merge webhooks all deliver the merged record and, for each old id, a
// tombstone: a deleted copy of the merged record whose
// Fields[FieldMergedInto] is the new id, so a host can tell a merge from a
// deletion.
//
// The first sync starts at Config.StartTime, and never before 2006: HubSpot
// is reported to answer 500 to date filters at the epoch.
//
// # Mapping
//
// Status comes from the ticket's pipeline stage. The pipelines are loaded
// (GET /crm/v3/pipelines/tickets) once per Config.CacheTTL and again when
// a ticket is in a stage not seen before. The rule, unless
// Config.StageStatus names the stage (by id or label): a stage whose
// ticketState is CLOSED is solved when its label says so ("Resolved") and
// closed otherwise; an OPEN stage takes what its label says ("Waiting on
// contact" is pending, "On hold" on_hold), but never solved or closed; an
// OPEN stage whose label says nothing known is new when it is the first
// open stage of its pipeline, else open. RawStatus is the stage label (the
// stage id for a stage HubSpot does not list). Priority LOW, MEDIUM, HIGH
// and URGENT map to low, normal, high and urgent; other options go through
// ticketsync.ParsePriority and are kept in RawPriority either way.
// hubspot_owner_id is the assignee, from the owners list (cached); the
// requester is the associated contact with the lowest id; hs_ticket_category
// values are the tags; content is the description; source_type the channel.
// Dates are read as ISO-8601 or epoch milliseconds. Comments are the
// associated emails (public, "email-<id>") and notes (internal,
// "note-<id>"), the newest Config.MaxCommentsPerTicket (100) of them per
// ticket and page, and the inbox messages, the newest
// Config.MaxCommentsPerTicket of each thread; HTML bodies go through
// internal/htmltext.
//
// # Limits
//
// HubSpot counts requests per rolling 10 seconds, per app and account: 100
// on the Free and Starter tiers (Config.RequestsPerMinute 600, the default),
// 190 on Professional and Enterprise (1140), 250 with the API limit
// increase (1500), 110 per installing account for a public OAuth app (660).
// The connector lets at most RequestsPerMinute/6 requests into any 10
// seconds, keeping a tenth below that, and search (5 a second per account,
// Config.SearchRequestsPerSecond) on its own limiter; both slow down further
// with HubSpot's X-HubSpot-RateLimit headers. The daily limit (250,000 on
// Free and Starter) resets at midnight in the account's time zone. A 429 is
// retried after a backoff; its APIError's Code names HubSpot's policy
// (TEN_SECONDLY_ROLLING, SECONDLY, DAILY).
package hubspot
