// Package zendesktest is a fake Zendesk Support account, served over
// loopback HTTP by net/http/httptest, for tests of code that talks to the
// Zendesk API: the ticketsync zendesk connector and host applications alike.
//
// The fake models Zendesk on its own and shares no code with the connector,
// so the two check each other: a client that pages, authenticates or signs
// wrongly fails against the fake as it would against Zendesk.
//
// # Starting one
//
// NewServer(t, nil) starts a fake account and closes it when the test ends.
// Point a client at Server.URL (paths are /api/v2/..., with or without a
// .json suffix) and authenticate with Server.Basic(), that is HTTP Basic with
// user Email+"/token" and password Token. Seed or GenerateTickets fills the
// account with deterministic tickets, users and comments; CreateTicket,
// UpdateTicket, DeleteTicket, AddComment and CreateUser change it the way
// agents and customers would (MakeCommentPrivate, RedactComment and AddAudit
// too). The fake runs on the clock of internal/fakeapi, which stands still
// at Options.Start (the real time by default) until SetNow, Advance or Sleep
// moves it; every change is stamped with it. A client under test waits
// through Sleep, so that a Retry-After or a rate limit costs no real time.
//
// # What is modelled
//
// Authentication: API token, password (when Options.Password is set) and
// OAuth Bearer (Options.OAuthToken). Bad or missing credentials get 401 with
// Zendesk's body and a WWW-Authenticate challenge, except users/me, which
// without any Authorization header answers 200 with an anonymous end user
// whose id is null; a credential check must look at the id, not the status.
// Incremental exports are for admins only; other roles get 403.
//
// Cursor-based incremental ticket export (incremental/tickets/cursor): a
// start_time on the first request, which must be at least a minute old, and
// the opaque after_cursor from then on; per_page up to 1000 (larger values
// are capped); include=users; exclude_deleted. Each ticket appears once per
// pass, at its latest generated_timestamp, ordered by it; deleted tickets
// appear with status "deleted". Changes made within the minute before a
// request are held back and show up on a later poll (a too-recent first
// start_time is 422 InvalidValue); the after_cursor of a page with
// end_of_stream true resumes exactly after what was returned.
//
// Both exports take support_type_scope (all, agent, ai_agent) and default to
// agent: tickets created with Ticket.AIAgent, and their updates, are left
// out unless a client asks for all or ai_agent.
//
// Time-based ticket event export (incremental/ticket_events): one audit per
// ticket update with its child events; with include=comment_events the
// comments themselves (event type Comment, VoiceComment or FacebookComment,
// as their audit event), otherwise only comment_present and comment_public;
// CommentPrivacyChange (comment_id, public false) and CommentRedactionEvent
// (comment_id only) for comments made private or redacted; Notification,
// SlaTargetChange and SatisfactionRating events in audits without a comment,
// which generated tickets carry four of (GenerateOptions.SystemAudits). A
// page holds up to per_page events (1000 at most and by default) and may end
// inside a second; next_page starts at end_time, so a client sees the last
// second again and must dedupe. When one second holds more events than a
// page, next_page repeats the request's start_time and the export answers
// the same page again, for ever. A start_time within the last minute is 400
// StartTimeTooRecent. With Options.EventTimeoutAbove, a request for a
// larger page answers 504 Gateway Time-out with the load balancer's HTML.
//
// Tickets: tickets/{id}, tickets/show_many (at most 100 ids, deleted tickets
// left out, include=users) and tickets/{id}/comments with cursor
// (page[size] up to 100, meta.has_more, links.next) and offset (page,
// per_page) pagination; a comment's plain_body differs from its body (white
// space, line breaks included, made single spaces), and redacted text is
// "▇" in every field. users/show_many takes at most 100 ids. Deleted
// tickets answer 404 RecordNotFound; unknown API paths answer 404
// InvalidEndpoint; paths outside /api/ answer the web front's HTML page for
// an address that is no account.
//
// Rate limits, on windows of the fake's clock: the plan's account-wide limit
// (Options.RateLimit, the Team plan's 200 a minute by default) with
// X-Rate-Limit and X-Rate-Limit-Remaining headers, plus ratelimit-limit,
// ratelimit-remaining and ratelimit-reset on list endpoints; and the budget of
// 10 requests a minute that the incremental exports share. Over either limit
// the answer is 429 with Retry-After in seconds. Options.RateWindow shortens
// the window so that a test or benchmark can meet the limits in real time.
//
// Faults (fakeapi.Fault): Fail and InjectFault answer 5xx or 429 with a
// Retry-After, delay, truncate bodies or answer an HTML page, for chosen
// methods, paths and counts, with Zendesk's error bodies. Requests and
// RequestCount report what the fake received.
//
// Webhooks: SignedWebhook and WebhookHeaders build deliveries signed as
// Zendesk signs them (base64 of an HMAC-SHA256 over the timestamp header
// followed by the raw body), EventPayload builds event-subscription bodies
// ("zen:event-type:ticket.created", ".status_changed", ".comment_added",
// ".soft_deleted", ...) with that model's string ids, upper-case enums and
// nanosecond times, and TriggerPayload renders a trigger's body template,
// with {{ticket.updated_at_with_timestamp}} to the minute
// ("2013-12-12T05:35Z"). Ticket channels include voice, native_messaging,
// chat_transcript, any_channel, sms, facebook and web_widget.
//
// # Sources
//
// The behaviour follows Zendesk's developer documentation: the incremental
// exports reference and guide (start_time, cursors, end_of_stream, page sizes,
// the admin-only rule, the one-minute exclusion announced in October 2024 and
// the 10-requests-a-minute limit), the pagination guide (cursor parameters
// and the 100-item limit), the rate-limits reference and best-practices page
// (plan limits, header names, Retry-After), the webhook verification guide
// and the ticket event-type reference (event names and the detail object).
// The unkind behaviours have these sources: support_type_scope and its
// agent default, per_page and the comment_events sideload are in the
// Incremental Exports reference
// (developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports);
// the audit event types (Comment, VoiceComment, FacebookComment,
// CommentPrivacyChange, CommentRedactionEvent, Notification, SLA target
// change, satisfaction rating) and their properties are in the Ticket Audit
// events reference
// (developer.zendesk.com/documentation/ticketing/reference-guides/ticket-audit-events-reference);
// the channel words in the Via object reference; the minute-precision
// render of *_with_timestamp placeholders in the Zendesk Support
// placeholders reference; a next_page that repeats its start_time and
// answers the same page is reported by clients of the time-based exports
// (zendesk/zendesk_api_client_rb#168, facetoe/zenpy#451,
// PostHog/posthog#59215); 504s on large event pages, and recovery with
// smaller pages, are what real clients see (facetoe/zenpy#433: Zendesk
// support suggested a per_page of 500); 400 StartTimeTooRecent, plain_body
// differing from body, and comment-less audits outnumbering comments come
// from payloads captured from real accounts (ticketsync issue 13). Where the
// documentation is silent the fake follows what real clients observe:
// Zendesk answers a too-recent start_time on the cursor export with 422 and
// an InvalidValue error, and an unknown endpoint with InvalidEndpoint. Details
// nobody documents (the error text for an over-long id list or page size, the
// exact anonymous user, the HTML of an error page) are the fake's own choice,
// chosen so that a client depending on them is wrong.
//
// # Not modelled
//
// Writes through the API (the fake changes only through its Go methods), the
// time-based ticket export, search, attachments, organizations and groups as
// resources, the webhook management API, per-endpoint limits other than the
// exports', and the sample export.
package zendesktest
