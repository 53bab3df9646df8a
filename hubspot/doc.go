// Package hubspot syncs tickets from HubSpot Service Hub, where tickets are
// CRM objects: every property is a string, statuses are pipeline stages
// whose ids differ per account, search stops at 10,000 results, and
// webhooks carry only ids.
//
// # Credentials
//
// A private app is the simplest: in HubSpot, Settings (the gear), then
// Integrations, Private Apps, Create a private app; on its Scopes tab tick
// "tickets" (required), "crm.objects.contacts.read" (requesters' names and
// notes), "crm.objects.owners.read" (assignees' names) and
// "sales-email-read" (emails); Create app, then Show token: that is
// Config.PrivateAppToken. Without the optional scopes a sync still runs,
// with people as bare ids and without those comments (logged once). A
// public app authenticates with OAuth instead: Config.TokenSource.
//
// Test reads the account details (GET /account-info/v3/details), which
// also tell the account (portal) id, then one ticket; a rejected token is
// ticketsync.ErrUnauthorized, a missing scope a *ScopeError matching
// ticketsync.ErrForbidden that names the scope.
//
// # Polling
//
// Fetch searches tickets modified at or after the cursor, oldest first,
// 200 per request (POST /crm/v3/objects/tickets/search, on its own limiter
// of 5 requests a second). Each page starts a new query from the newest
// modification time of the page before, so no query pages towards
// HubSpot's 10,000-result cap and a sync of any size is complete; tickets
// modified in the same millisecond are paged by id when they fill a page.
// Each run re-reads Config.SearchLag (5 minutes) before the newest change
// it saw, because search lags behind writes; the cursor remembers the ids
// and modification times delivered within that window, so the re-read
// delivers only what it had missed. Once search is caught up, Fetch lists
// the recycle bin (GET /crm/v3/objects/tickets?archived=true, 100 a page)
// and delivers the tickets archived since the last scan as tombstones
// (Deleted, UpdatedAt the archive time, the ticket's own properties kept;
// requester and comments are not read for them; the Syncer keeps the requester it stored).
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
// Dates are read as ISO-8601 or epoch milliseconds.
//
// Comments are the ticket's associated emails (public) and notes
// (internal), the newest Config.MaxCommentsPerTicket (100) per ticket and
// page, with ids "email-<id>" and "note-<id>". HubSpot changes a ticket's
// modification time when an email or note is logged on it, so new
// comments arrive with the next sync.
//
// # Request cost
//
// For a page of up to 200 changed tickets: 1 search; 3 association reads
// (contacts, emails, notes: POST /crm/v4/associations/tickets/{type}/batch/read,
// one request per 1,000 tickets and per 500 associations of a ticket); and
// batch reads of 100 ids each for the requesters, the emails and the notes
// (POST /crm/v3/objects/{type}/batch/read). With one requester, one email
// and one note per ticket that is 10 requests per 200 tickets, 50 per
// 1,000; the owners list and the pipelines add one request each per
// CacheTTL, the account details one per connector. GetTickets costs one
// batch read per 100 ids (two when some are archived) plus the same
// lookups. The deleted-ticket scan costs one request per 100 tickets in the
// recycle bin per run (see Config.ArchivedScanInterval).
//
// Requests are paced below the account's limits: nine tenths of
// Config.RateLimit per Config.RateWindow (100 per 10 seconds unless set;
// 190 on Professional and Enterprise) and of the search limit, slowed
// further by HubSpot's X-HubSpot-RateLimit headers; a 429 is retried after
// a backoff, and its error names HubSpot's policy (TEN_SECONDLY_ROLLING,
// SECONDLY, DAILY).
//
// # Webhooks
//
// In the app's settings, Webhooks: set the target URL to the Syncer's
// handler with ?connectorId=ID and subscribe to ticket creation, deletion
// and property changes (hs_pipeline_stage, subject, hubspot_owner_id, ...),
// or to the generic object events of object type 0-5. Legacy private apps
// set this up in the private app's Webhooks tab. Set Config.ClientSecret to
// the app's client secret (Auth tab) and, behind a proxy, Config.WebhookURL
// to the target URL exactly as entered.
//
// VerifyWebhook checks X-HubSpot-Signature-v3 (see Sign) and rejects
// deliveries whose X-HubSpot-Request-Timestamp is more than 5 minutes off;
// the older v1 and v2 signatures only with Config.AllowLegacySignatures.
// ParseWebhook turns the JSON array of events into id-only events, which
// the Syncer completes through GetTickets. HubSpot delivers at least once
// and out of order; ids repeated in a delivery count once, and events of
// another account (one app installed in several) are skipped once the
// portal id is known.
package hubspot
