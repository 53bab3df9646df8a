// Package intercom connects ticketsync to an Intercom workspace: it syncs
// both of Intercom's kinds of support record, conversations (the Inbox)
// and tickets (Customer, Back-office and Tracker tickets), into
// ticketsync.Tickets. Its Connector polls the conversation and ticket
// searches (ticketsync.Poller), receives Intercom's webhook notifications
// (ticketsync.WebhookReceiver) and reads records by id
// (ticketsync.TicketGetter), so it serves ModePoll, ModeWebhook and
// ModeBoth.
//
//	ic, err := intercom.New(intercom.Config{
//		AccessToken:  os.Getenv("INTERCOM_ACCESS_TOKEN"),
//		Region:       "EU", // where the workspace is hosted: US (default), EU or AU
//		ClientSecret: os.Getenv("INTERCOM_CLIENT_SECRET"),
//	})
//	if err != nil { ... }
//	if err := ic.Test(ctx); err != nil { ... } // "Test & Connect"
//	err = syncer.Add("acme-intercom", ic, ticketsync.ModeBoth)
//
// Every request sends Intercom-Version (Config.APIVersion, 2.14 unless
// set): without it the app's default version applies, and shapes differ
// between versions (ticket_state is a string before 2.12 and an object
// from 2.12 on; the connector reads both).
//
// # Credentials
//
//   - AccessToken: Settings → Integrations → Developer Hub → your app →
//     Authentication → Access token. The app needs the permissions "Read
//     conversations" and "Read tickets" (Test fails with
//     ticketsync.ErrForbidden naming the missing one in the error's
//     APIError.Hint), and "Read and list users and companies" and "Read
//     admins" for requesters' and assignees' names (without them people
//     keep only their ids, and a warning is logged once). After changing
//     permissions, regenerate the token.
//   - TokenSource instead of AccessToken, for a public app installed by
//     OAuth.
//   - Region: "US" (api.intercom.io), "EU" (api.eu.intercom.io) or "AU"
//     (api.au.intercom.io). A token works only on its workspace's host:
//     when this host refuses it and another region's accepts it, Test's
//     error says which Region to set (ErrUnauthorized); when GET /me
//     reports another app.region, it says so too (ErrNotFound).
//   - AppID: the workspace id (the code in the Inbox address,
//     app.intercom.com/a/inbox/<AppID>/...); learned from GET /me when
//     empty. It builds Ticket.URL and filters webhooks of other workspaces.
//   - ClientSecret: Developer Hub → your app → Basic information → Client
//     secret; it signs webhook notifications. During a rotation put the
//     old one in ClientSecrets too.
//
// # Webhooks
//
// In the Developer Hub, open the app → Webhooks, set the endpoint URL of
// the host's ticketsync.Syncer.WebhookHandler, such as
// https://example.com/api/webhooks/tickets?connectorId=acme-intercom, and
// subscribe to the conversation topics (conversation.user.created,
// conversation.user.replied, conversation.admin.replied,
// conversation.admin.single.created, conversation.admin.noted,
// conversation.admin.assigned, conversation.admin.closed,
// conversation.admin.opened, conversation.admin.snoozed,
// conversation.admin.unsnoozed, conversation.priority.updated,
// conversation.deleted) and the ticket topics (ticket.created,
// ticket.state.updated, ticket.admin.assigned, ticket.team.assigned,
// ticket.admin.replied, ticket.contact.replied, ticket.note.created,
// ticket.attribute.updated, ticket.deleted); the app needs the matching
// read permissions. "Send a test request" sends a ping, which is answered
// 200 and stores nothing.
//
// Each notification is a notification_event whose X-Hub-Signature is
// "sha1=" and the hex HMAC-SHA1 of the raw body keyed with the client
// secret; VerifyWebhook checks it in constant time against ClientSecret
// and ClientSecrets. Intercom signs no timestamp, so there is no replay
// window; a replay only makes the Syncer read the record again.
//
// The notification's data.item is trimmed (the thread holds only its
// latest parts), is written in the webhook API version set in the
// Developer Hub rather than Config.APIVersion, and from 2.15 on holds
// plain text instead of HTML, so ParseWebhook returns id-only events and
// the Syncer reads each record through GetTickets. conversation.deleted
// and ticket.deleted carry only the id: they become tombstones.
//
// Intercom expects an answer within a few seconds. After many failed
// deliveries (over 1000 errors within 15 minutes) it pauses the topic for
// 15 minutes, and it suspends a private app's subscription after a week of
// failures: the host should answer from the Syncer's handler (which stores
// before it answers, and answers 503 only when its Store fails) and keep
// ModeBoth, so that polling catches what a paused topic missed.
//
// # How a poll works, and what it costs
//
// A poll runs two searches, conversations first, then tickets:
// POST /conversations/search and POST /tickets/search, with
// updated_at > checkpoint (unix seconds; the operator is strict, so the
// connector sends the second before it), per_page 150 (the most the search
// allows) and starting_after paging. Search results carry no parts, so
// each result whose updated_at moved is read with GET /conversations/{id}
// or GET /tickets/{id}, Config.Concurrency at a time, and its contacts are
// resolved in bulk, 150 a request, through POST /contacts/search with id
// IN [...] (contacts the search does not see yet, as Intercom indexes new
// contacts late, are read with GET /contacts/{id}); admins come from one
// GET /admins, cached for ten minutes like the contacts. A page of Fetch is
// one search page, read by id.
//
// Intercom does not document the searches' order, so the connector relies
// on none: the positions of both searches live in one opaque cursor, each
// an internal/incremental Window that remembers the records delivered near
// its checkpoint and skips them while their updated_at is unchanged. A
// record's updated_at has second granularity and a record read in the
// second it changed may change again within that second, so a record is
// skipped next time only when its second was over before the pass began;
// the checkpoint never passes the second before the pass began (a record
// changed while the pass pages may move to a page already read), and each
// pass searches again from five seconds before its newest change, for
// changes that reach the search index late. Nothing changed at a boundary
// is lost, whatever the order or how many records share one second.
//
// Intercom's searches do not return deleted records: deletions arrive by
// webhook only (or show as a 404 when GetTickets reads the record, which
// leaves it out).
//
// # Two lanes, and how far a cursor has read
//
// The Connector is a ticketsync.LaneStarter: unless
// ticketsync.Options.SingleLane is set, a new connector's live lane starts from
// StartCursor(since), whose two searches ask for updated_at from five
// seconds (the index's allowed lag) before the second of since, and never
// go back further, while the backfill lane walks the history from
// Config.StartTime. Each record is read by id with its parts, as in any
// sync.
//
// It is also a ticketsync.CursorDescriber, for Syncer.Explain and the
// backfill's progress: a search has read up to where its last finished
// pass began, less those five seconds, since its results come in no order
// and a pass in progress may yet return older changes; the cursor's
// Checkpoint is the lesser of the two searches' positions, zero until both
// have finished a pass (a live lane's cursor stands at since from the
// first). The backfill lane's progress therefore shows 0 until its one long
// pass of each search ends, when the lane is done.
//
// A first sync of N conversations costs N/150 searches, N reads by id, and
// about N/150 contact searches, one ticket search, one GET /admins and one
// GET /me: 1,017 requests for 1,000 conversations with their parts,
// against the API's minimum of 1,007 (BenchmarkSync1000Conversations). At
// nine tenths of 10,000 calls a minute that is about seven seconds of the
// budget, which other integrations share. An incremental sync
// costs one search of each kind plus one read per changed record. GET
// /conversations/{id} returns at most the 500 most recent parts: a longer
// thread is delivered with those 500 and Fields[FieldPartsTruncated]
// "true"; a Store that kept older comments from earlier syncs keeps them.
//
// # Limits
//
// A private app may make 10,000 calls a minute, a workspace 25,000 across
// its apps, enforced in 10-second windows of a sixth each.
// Config.RequestsPerMinute is the app's limit (10,000 unless set; lower it
// when other integrations share the workspace's budget); the connector
// uses nine tenths of it, and slows down when X-RateLimit-Remaining says
// the window is running out. A 429 carries no Retry-After: the connector
// waits until X-RateLimit-Reset (unix seconds) and retries. Webhook
// deliveries do not count against the limit.
//
// # Mapping
//
// Ticket.ID is the kind and Intercom's id, "conversation:515" or
// "ticket:633" (TicketID, ParseTicketID): the two kinds are numbered
// independently and share numbers. Fields[FieldKind] names the kind.
//
// A conversation's first message is its source: its title (else the
// source's subject) is the Subject, the source's body the Description and
// its channel (source.type) the Channel (conversation → chat, email,
// phone_call and phone_switch → phone, and sms, push, facebook, instagram,
// twitter, whatsapp as they are). State open → StatusOpen, snoozed →
// StatusOnHold, closed → StatusSolved (a closed conversation opens again
// when the customer replies), kept in RawStatus; priority "priority" →
// PriorityHigh and "not_priority" → PriorityNormal, kept in RawPriority.
// The first contact is the Requester, the admin assignee the Assignee,
// tag names the Tags and custom attributes the Fields, as text (numbers
// and booleans as JSON writes them, null left out).
//
// A ticket's _default_title_ and _default_description_ attributes are its
// Subject and Description, its other attributes Fields; its state's
// category maps submitted → StatusNew, in_progress → StatusOpen,
// waiting_on_customer → StatusPending, resolved → StatusSolved, kept in
// RawStatus, with the state's label in Fields[FieldStateLabel], the Inbox
// number in Fields[FieldTicketNumber], the category and type name in
// Fields[FieldCategory] and Fields[FieldTicketType]. Tickets have no
// priority, tags or channel.
//
// Parts of type comment (public) and note (private) become Comments, oldest
// first, authored by the admin or contact; assignments, state changes,
// snoozes and other events are left out. Bodies are HTML converted to
// plain text. URL is the Inbox link,
// https://app.intercom.com/a/inbox/<AppID>/inbox/conversation/<id>
// (app.eu.intercom.com and app.au.intercom.com in the other regions), for
// tickets too, which the Inbox opens as conversations.
//
// # What Intercom does not document
//
// Where the documentation is silent the connector takes the safe reading,
// and the fake (intercomtest) the unkind one:
//
//   - The searches' result order: not relied on (see above).
//   - Whether ">" on updated_at is strict (the operator table says
//     "greater (or equal)"): the connector sends the second before its
//     checkpoint, which is right either way.
//   - How late the search index sees a change: five seconds of overlap.
//   - per_page above 150 on the ticket search (documented for
//     conversations only): the connector asks for 150.
//   - How long an IN list the contact search takes: 150 ids; a 400 makes
//     the connector read those contacts one by one.
//   - Whether a starting_after token expires during a long pass: a 400 for
//     one makes the connector page again from the first page of the pass.
//   - The status of a token_unauthorized answer (403 or 401): both are
//     ErrForbidden in Test once GET /me accepted the token.
//   - The Inbox link of a ticket: the conversation route, which the Inbox
//     opens for tickets too.
//   - Whether tickets and Customer-ticket conversations are the same
//     records: the connector syncs each kind under its own ids.
//
// # Errors
//
// Errors are *ticketsync.APIError values (Op names what the connector was
// doing, Code is Intercom's error code such as "unauthorized" or
// "token_unauthorized", Hint what to check) or network errors prefixed
// "intercom: ", and match ticketsync.ErrUnauthorized, ErrForbidden,
// ErrNotFound and ErrRateLimited; a cursor the connector did not write is
// ticketsync.ErrInvalidCursor, from Fetch and DescribeCursor alike. They
// never hold a token or secret.
package intercom
