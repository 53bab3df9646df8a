// Package intercomtest is a fake Intercom workspace, served over loopback
// HTTP on internal/fakeapi, for tests, benchmarks and examples of code that
// talks to the Intercom REST API: the ticketsync intercom connector and
// host applications alike.
//
// The fake models Intercom on its own and never imports the intercom
// connector package, so the two check each other: a client that pages,
// authenticates, pins its version or signs wrongly fails against the fake
// as it would against Intercom.
//
// # Starting one
//
// NewServer(t, nil) starts a workspace hosted in the US and closes it when
// the test ends (New for programs that are not tests). Point a client at
// Server.URL with Server.Client(), and authenticate with "Authorization:
// Bearer " + Server.Token(). Seed fills it with deterministic
// conversations and tickets; AddAdmin, AddContact, CreateConversation,
// AddPart (Reply, Note), SetState, Assign, UpdateConversation,
// DeleteConversation, CreateTicket, AddTicketPart, SetTicketState,
// UpdateTicket and DeleteTicket change it the way teammates and customers
// would. The fake's clock (Now, Advance, SetNow) stamps every change and
// runs the rate windows; a client under test waits with Server.Sleep.
//
// # What is modelled, and where it comes from
//
// Sources: the official OpenAPI descriptions (intercom/Intercom-OpenAPI,
// descriptions/2.11, 2.12, 2.14 and 2.16/api.intercom.io.yaml, with their
// examples), developers.intercom.com's rate-limiting and webhook pages,
// and the "Signed notifications" reference.
//
//   - Auth and regions: Bearer tokens; a missing or unknown token gets 401
//     with {"type":"error.list","errors":[{"code":"unauthorized","message":
//     "Access Token Invalid"}]} (the spec's example). The workspace lives
//     in Options.Region and the fake serves the three regional hosts
//     (RegionURL): a token works only on its own region's host, as
//     Intercom's regional hosting documents; GET /me returns the admin with
//     app.id_code and app.region. A token without a permission (AddToken)
//     gets 403 token_unauthorized (the code Intercom's support names for a
//     token lacking a permission; the status is not documented).
//   - Versions: Intercom-Version 1.0 to 2.16 and Unstable; another value is
//     400. Without the header the app's default version applies
//     (Options.DefaultVersion, 2.11 unless set). ticket_state is a plain
//     string with ticket_state_internal_label before 2.12 and a
//     ticket_state object (id, category, internal_label, external_label)
//     from 2.12 on, as the 2.11 and 2.12 descriptions define.
//   - Search: POST /conversations/search and POST /tickets/search with the
//     documented query objects (AND/OR groups of at most 15 filters, nested
//     at most 2 deep) and operators (=, !=, IN, NIN, <, >, ~, !~, ^, $;
//     dates take only =, < and >, the tickets search also <= and >= on
//     created_at), unix-second dates sent as numbers or strings, per_page
//     (default 20, capped at 150) and starting_after. The order of results
//     is not documented: the fake serves them in an index order unrelated
//     to time or id, redrawn when a record changes, and shuffled within a
//     page. ">" is strict at the second (the documentation calls it
//     "greater (or equal)"; the fake takes the unkinder reading). Results
//     carry no conversation_parts or ticket_parts (the schema says parts
//     come only with a read by id; the 2.14 ticket search example shows
//     some, so a client must not count on either). Deleted records leave
//     search. A change reaches the search index Options.IndexLag later
//     (SetIndexLag); until then searches match and return the record as it
//     was. Intercom documents no lag for these searches: the option lets a
//     test show what an eventually consistent index does.
//   - Reads: GET /conversations/{id} (the id must be an integer) and
//     GET /tickets/{id} return the record with its parts, at most the 500
//     most recent ("Hard limit of 500 parts"), oldest first, with
//     total_count the number of parts in all; 404 error.list for deleted or
//     unknown records. Bodies are HTML. A conversation's first message is
//     its source; admin_assignee_id is an integer (null when unassigned) on
//     conversations and a string ("0" when unassigned) on tickets, as in the
//     spec's examples. Tickets carry ticket_attributes with
//     _default_title_ and _default_description_, a ticket_type, a category
//     (Customer, Back-office, Tracker) and ticket_id, the Inbox number,
//     distinct from id. Conversations and tickets are numbered
//     independently, so both kinds have an id 1.
//   - Contacts and admins: POST /contacts/search (fields id, email,
//     external_id, role, name), which finds a new contact only
//     Options.ContactSearchLag (three minutes unless set) after its
//     creation (the spec's "Contact Creation Delay": "a few minutes"), GET /contacts/{id}, GET /admins and
//     GET /admins/{id}.
//   - Rate limits: Options.RateLimit a minute (10,000, the per-app limit,
//     unless set), enforced in 10-second windows of a sixth each, with
//     X-RateLimit-Limit (the window's budget), X-RateLimit-Remaining and
//     X-RateLimit-Reset (unix seconds) on every answer, and 429
//     rate_limit_exceeded without Retry-After (Intercom documents none).
//     RateLimited injects such 429s.
//   - Faults: InjectFault (fakeapi.Fault: 5xx, delays, cut bodies, HTML
//     pages) answered before auth and rate limiting, with Intercom's
//     error.list body. Requests lists what the fake received.
//   - Webhooks: every change records a Notification (TakeNotifications)
//     with the topic Intercom sends (conversation.user.created,
//     conversation.user.replied, conversation.admin.replied,
//     conversation.admin.noted, conversation.admin.assigned,
//     conversation.admin.opened, .closed, .snoozed,
//     conversation.priority.updated, conversation.deleted, ticket.created,
//     ticket.state.updated, ticket.admin.replied, ticket.contact.replied,
//     ticket.note.created, ticket.attribute.updated, ticket.deleted); Ping
//     is the Developer Hub's test. Body renders the notification_event
//     envelope (app_id, id, topic, created_at, data.item) with the item in
//     the app's default version and its thread trimmed to the newest part;
//     *.deleted items carry only type and id. WebhookRequest signs it as
//     Intercom does: X-Hub-Signature "sha1=" + hex HMAC-SHA1 of the body
//     keyed with the client secret (Sign).
//
// # Not modelled
//
// Writes through the API (the fake changes only through its Go methods),
// the list endpoints (GET /conversations), companies, teams as resources,
// attachments, the sort object of the searches, the workspace-wide limit
// of 25,000 a minute across apps, and webhook retries and pausing.
package intercomtest
