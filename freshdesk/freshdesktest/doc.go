// Package freshdesktest is a fake Freshdesk account, served over loopback
// HTTP, for tests of code that talks to the Freshdesk API v2: the ticketsync
// freshdesk connector and host applications alike. It models Freshdesk on
// its own and shares no code with the connector, so the two check each
// other.
//
// # Starting one
//
// NewServer(t, nil) starts an account on the Growth plan, closed when the
// test ends. Point a client at Server.URL (the API is under /api/v2/) and
// authenticate with Server.Basic(): HTTP Basic with the API key as user and
// any password. Seed or GenerateTickets fills the account with deterministic
// tickets, contacts, agents and conversations; CreateTicket, UpdateTicket,
// SetStatus, DeleteTicket, MarkSpam, PurgeTicket, AddReply, AddNote,
// AddStatus and AddCustomField change it the way agents and customers
// would. The Server embeds the shared fake base (internal/fakeapi): its
// clock moves only through SetNow, Advance and Sleep, so a client that waits
// with Server.Sleep waits out a Retry-After in no real time; InjectFault
// answers 5xx, 429, HTML pages, delays or bodies cut short before
// authentication and limits; Requests is the request log.
//
// # What is modelled
//
// Authentication: a wrong or missing key gets 401
// {"code":"invalid_credentials","message":"You have to be logged in to
// perform this action."}. GET /api/v2/agents/me returns the key's agent
// with its ticket_scope (SetTicketScope: 2 and 3 limit what every list and
// ticket endpoint shows to the agent's own tickets, as the fake's agent
// belongs to no group). On the Free plan every request gets 403
// require_feature.
//
// The ticket list, GET /api/v2/tickets: without updated_since only tickets
// created in the last 30 days; order_by created_at (default), updated_at,
// due_by or status and order_type desc (default) or asc, with no documented
// order among equal keys (the fake's is a hash of the id, neither id nor
// creation order); per_page 1 to 100 (30 by default); include requester,
// stats, description and company (description and description_text only
// with include=description); filter=deleted and filter=spam, whose tickets
// the default listing leaves out; a Link rel="next" header while more
// remains; page 301 refused with Freshdesk's 400 body. Pages are cut from
// the live data at each request, so a ticket updated while a client pages
// moves, as on Freshdesk.
//
// GET /api/v2/tickets/{id} (include conversations, requester, company,
// stats; a trashed ticket shows "deleted": true, a purged one is 404 with an
// empty body), GET /api/v2/tickets/{id}/conversations (per_page up to 100,
// Link paging; replies and private notes, incoming for the customer's) and
// GET /api/v2/ticket_fields (the status field's choices, code to agent and
// customer labels, custom statuses from 6, and custom fields) and
// GET /api/v2/agents (per_page up to 100, Link paging).
//
// Rate limits on windows of the fake's clock: the plan's account-wide
// budget in credits (Growth 200 a minute, Pro 400, Enterprise 700; each
// embed costs two more credits on the list and one more on a ticket) with
// X-RateLimit-Total, X-RateLimit-Remaining and
// X-RateLimit-Used-CurrentRequest, and the Tickets List sub-limit (Growth
// 20 a minute, Pro 100, Enterprise 200). Over either the answer is 429 with
// Retry-After in seconds. Options override the limits and the window.
//
// Webhooks: RenderTemplate fills an automation's body as Freshdesk does
// (labels for statuses and priorities, HTML descriptions,
// "{ticket_action:created}"-style triggered events), AdvancedTemplate is
// the common Advanced body, and Delivery builds the POST with the custom
// headers or Basic credentials of the "Trigger webhook" action. Freshdesk
// cannot sign webhooks, so nothing is signed.
//
// # Sources
//
// Freshdesk's API reference (developers.freshdesk.com/api) as quoted by
// client libraries: list tickets (the 30-day default, the filters,
// per_page, include and its credits), pagination with the Link header and
// the 300-page limit, error codes, agents/me and ticket_scope, ticket
// fields and conversations. Freshdesk support articles on API rate limits
// per plan (225439) and on webhooks in automation rules (132589), and on
// ticket scope (196886). Airbyte issue 3858 and Zammad issue 3681 for the
// 300-page cap's 400 body as real clients met it. Zulip's Freshdesk
// fixtures for the Advanced payload. Where these are silent the fake
// chooses, so that a client depending on the choice is wrong: the 403 body
// of the Free plan, the 429 body, the HTML page of an unknown subdomain,
// inclusive updated_since (Options.StrictSince makes it exclusive),
// updated_at moving on delete and spam, and the order among tickets with
// equal keys.
//
// updated_at is the fake clock's second at the change, as the API's
// whole-second timestamps ("2015-07-02T16:25:06Z" in the ticket
// attributes of the API reference) read: a second change within one
// second leaves it where the first put it, and it never runs ahead of the
// clock, so a ticket changed later never shows an earlier updated_at than
// one changed before it.
//
// # Not modelled
//
// Writes through the API (the fake changes through its Go methods), search
// and filter queries, contacts, companies and agents as resources, time
// entries, satisfaction ratings, attachments, per-hour limits of older
// plans, and webhook retries.
package freshdesktest
