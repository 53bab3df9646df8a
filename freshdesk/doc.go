// Package freshdesk connects ticketsync to a Freshdesk account. Its
// Connector polls the ticket list (ticketsync.Poller), receives the
// webhooks of automation rules (ticketsync.WebhookReceiver), loads tickets
// by id (ticketsync.TicketGetter) and starts a cursor at a given time
// (ticketsync.LaneStarter, for the Syncer's live and backfill lanes), so it
// serves ModePoll, ModeWebhook and ModeBoth.
//
//	fd, err := freshdesk.New(freshdesk.Config{
//		Domain:       "acme",
//		APIKey:       os.Getenv("FRESHDESK_API_KEY"),
//		WebhookToken: os.Getenv("FRESHDESK_WEBHOOK_TOKEN"),
//	})
//	if err != nil { ... }
//	if err := fd.Test(ctx); err != nil { ... } // "Test & Connect"
//	err = syncer.Add("acme-freshdesk", fd, ticketsync.ModeBoth)
//
// # Credentials
//
//   - Domain: the account's Freshdesk subdomain, "acme" for
//     https://acme.freshdesk.com (not the full URL, not a custom domain).
//   - APIKey: Profile icon → Profile Settings → View API Key, of an agent
//     whose ticket scope is "All tickets" (Admin → Agents → Edit → Scope).
//     The key carries that agent's permissions: Connector.Test fails with
//     ticketsync.ErrForbidden for an agent who sees only its groups'
//     tickets or its own, since a sync would then miss the others without
//     anyone knowing. Requests authenticate with HTTP Basic, the key as user
//     and "X" as password.
//   - The plan: the Free plan has no API access; Test says so
//     (ticketsync.ErrForbidden, with the plan in APIError.Hint).
//   - WebhookToken, or WebhookUsername and WebhookPassword: see below.
//
// # Webhooks
//
// Freshdesk sends webhooks from automation rules and cannot sign them. Set
// one up in Admin → Workflows → Automations → Ticket updates (and again in
// Ticket creation, for new tickets) → New rule:
//
//  1. Conditions: when any of "Status is changed", "Priority is changed",
//     "Reply is sent", "Note is added", "Ticket is deleted"... (the changes
//     the host wants to hear of at once; polling catches the rest).
//  2. Action: Trigger webhook. Request type POST; URL the host's
//     ticketsync.Syncer.WebhookHandler, such as
//     https://example.com/api/webhooks/tickets?connectorId=acme-freshdesk.
//  3. Custom headers: {"X-Ticketsync-Token": "<a long random token>"}, the
//     same token as Config.WebhookToken (Config.WebhookHeader names another
//     header; Config.WebhookTokens holds old tokens during a rotation). Or
//     tick "Requires authentication" and enter a username and password, the
//     same as Config.WebhookUsername and Config.WebhookPassword.
//  4. Encoding: JSON; Content: Advanced, with RecommendedWebhookTemplate as
//     the body.
//
// VerifyWebhook compares the token or the Basic credentials in constant time
// and refuses everything else with ticketsync.ErrInvalidSignature; use
// HTTPS, since the token travels in the clear otherwise. ParseWebhook also
// reads the common Advanced shape {"freshdesk_webhook": {"ticket_id": "11",
// "ticket_status": "Waiting on Customer", "triggered_event":
// "{status:{from:4,to:6}}", ...}}, and form-encoded bodies. Its events carry
// only the ticket id (placeholders render labels and HTML, not the ticket
// as the API holds it), and the Syncer loads the tickets through
// GetTickets. Freshdesk retries a failed delivery after 5, 30 and 60
// minutes, and webhook calls count against the account's API limit.
//
// # How a poll works, and what it costs
//
// A sync pass reads three listings of GET /api/v2/tickets, each with
// updated_since (always sent: without it Freshdesk lists only tickets
// created in the last 30 days; the epoch when Config.StartTime is zero),
// order_by=updated_at, order_type=asc, per_page=100 and
// include=requester,description:
//
//  1. filter=deleted, the trash;
//  2. filter=spam;
//  3. the default listing, which leaves out deleted and spam tickets, with
//     the conversations of every ticket on a page
//     (GET /api/v2/tickets/{id}/conversations, 100 a page, Config.Concurrency
//     tickets at a time).
//
// The short listings go first so that the checkpoint (below) moves with the
// long one.
//
// Each Fetch reads one page of one listing. Freshdesk pages by number, and
// page numbers shift when tickets change while a client pages: a ticket
// updated after page 1 moves to the end, and the one after it slides onto
// page 1, already read, so that a client following the Link header never
// sees it. Each page is therefore the first page of a fresh query from the
// latest updated_at delivered; updated_at has whole seconds, so the tickets
// of that second are read again and skipped by id and updated_at, which the
// opaque cursor remembers. Freshdesk does not say whether updated_since is
// inclusive; were it strict, a restart would lose the tickets of that second
// the last page did not hold, so every query asks from the second before and
// leaves that second's tickets out. Only a second holding more than a page
// is paged through with the Link header, and never past Freshdesk's 300-page
// cap (page 301 answers 400 "You cannot access tickets beyond the 300th
// page"); a page refused below the cap restarts the query the same way. If
// more than 300 pages of tickets changed within one second, no query can
// reach them all, and Fetch says so rather than loop. The next pass starts
// at the latest updated_at of the last one.
//
// # Two lanes, and where a cursor stands
//
// StartCursor(since) returns a cursor whose passes read the three listings
// from the start of since's second on (never before Config.StartTime):
// updated_at has whole seconds, so a change made within that second, after
// since, shows a time before since. Its first pass reads the tickets changed
// since then with all their conversations, older ones included, and the
// tickets moved to the trash or spam since then; nothing before. It makes no
// request.
//
// DescribeCursor gives a cursor's checkpoint, the time before which it has
// delivered every change: for each listing, the newest updated_at it
// delivered, or the time of its last request (less two seconds for the
// clocks' skew) once a pass through it ended; the checkpoint is the oldest
// of the three, as a change after it may be a deletion the trash has not
// shown yet, and zero until each has been read. A cursor from StartCursor
// has nothing to read before since, so its checkpoint is never before
// since. The Syncer ends a backfill lane when its checkpoint reaches the
// live lane's start: after the trash and spam of the history and as soon
// as the default listing passes that start.
//
// Freshdesk has no endpoint for the conversations of many tickets, so a sync
// costs one conversations request per changed ticket: a first sync of 1,000
// tickets costs 1,015 requests (11 default-listing pages, as each page
// re-reads the last second of the one before, 1,000 conversations requests,
// the trash and spam listings, one GET /api/v2/ticket_fields and one
// GET /api/v2/agents) against the minimum of 1,010, and 1,067 credits, since
// each embed on the list costs two more credits (BenchmarkSync1000Tickets).
//
// GetTickets costs GET /api/v2/tickets/{id}?include=requester (two credits)
// and the conversations requests per ticket. include=stats is not asked
// for, since no Ticket field uses it.
//
// # Limits
//
// Freshdesk limits API calls per minute and per account, shared by every
// agent, app and integration using it, and counts credits rather than
// calls: an embed (include=) costs two more credits on the ticket list and
// one more on a ticket. The plans allow 200 credits a minute on Growth, 400
// on Pro and 700 on Enterprise, and the Free plan none; the ticket list
// has its own sub-limit of 20, 100 and 200 requests a minute. Set
// Config.RequestsPerMinute and Config.ListRequestsPerMinute to the plan's
// (the defaults are Growth's). The connector spends nine tenths of the
// budget, paces list requests under the sub-limit, counts the credits of
// its embeds, slows down when X-RateLimit-Remaining runs low against
// X-RateLimit-Total, and on 429 waits as Retry-After says (retries stop
// after four; the Syncer then retries the run). A first sync on Growth
// takes about six and a half minutes per 1,000 tickets, nearly all of it
// conversations requests. Webhook calls from automations count against the
// same budget.
//
// # Mapping
//
// Status 2 to 5 map to open, pending, solved and closed. Custom statuses
// (codes from 6) are read from GET /api/v2/ticket_fields, cached, and read
// again when a code the cache does not know appears; they map by their
// agent label through ticketsync.ParseStatus ("Waiting on Customer" is
// pending), else to StatusOpen. RawStatus is the label. Priority 1 to 4 map
// to low, normal ("Medium"), high and urgent. Channel is the source in
// words: email, portal, phone, forum, twitter, facebook, chat, mobihelp,
// feedback_widget, outbound_email, ecommerce, else "source_N". Fields holds
// "type", "group_id", "company_id", "product_id" and the custom fields by
// their API names ("cf_product"), values as text. Description is
// description_text, or the HTML description as text. Requester has the id,
// name and email of the embedded requester; Assignee the responder's id,
// name and email from GET /api/v2/agents (cached, and read again when a
// ticket names an agent the cache does not hold). URL is https://{subdomain}.freshdesk.com/a/tickets/{id}.
//
// Conversations become Comments, oldest first: private notes are not Public;
// the body is body_text. The ticket's first message is its Description, not
// a comment. An incoming message (from the customer) and an agent's reply
// differ only by Author.
//
// Deleted and spam tickets are delivered as tombstones: Deleted set, every
// field as the listing shows it, and Fields["deleted"] or Fields["spam"]
// set to "true", so that a host can tell the two apart. A ticket taken out
// of the trash or spam comes back live with the next pass, as its
// updated_at moves. A ticket purged from the trash is not listed anywhere:
// its stored copy stays as it was.
//
// # What was checked, and what is assumed
//
// Checked against Freshdesk's API reference as quoted by client libraries,
// Freshdesk support articles and issue trackers of connectors (Airbyte,
// Zammad): the 30-day default without updated_since; per_page at most 100;
// the 300-page cap and its 400 body; deleted and spam tickets left out of
// the default listing; include costing two extra credits per embed on the
// list and one on a single ticket; the per-minute account budget and Tickets
// List sub-limits per plan; X-RateLimit-Total, -Remaining and
// -Used-CurrentRequest; 429 with Retry-After; agents/me with ticket_scope 1
// (all tickets), 2 (group) and 3 (assigned only); the 401
// invalid_credentials body; automation webhooks without signatures, with
// custom headers and Basic authentication. Not confirmed, and assumed:
// whether updated_since is inclusive (nothing depends on it: every query
// asks from a second earlier, and the tests run under both readings); that
// filter=deleted and filter=spam take updated_since and order_by like the
// default listing, and that deleting or marking as spam moves updated_at;
// that the Free plan answers 403 with the code "require_feature" (any 403
// from Test is reported, with a hint for that code); that an unknown
// subdomain answers with an HTML page; the source codes above 10.
//
// # Errors
//
// Errors from Freshdesk's answers are *ticketsync.APIError values naming
// the operation ("test API key", "fetch tickets"), Freshdesk's error code
// ("invalid_credentials", "require_feature") and a hint of what to check;
// others wrap the sentinels. All match ticketsync.ErrUnauthorized,
// ErrForbidden, ErrNotFound, ErrRateLimited or ErrInvalidCursor where they
// mean it, and none holds the API key, a token or a password.
package freshdesk
