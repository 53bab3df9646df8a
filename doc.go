// Package ticketsync pulls support tickets out of help desks — Zendesk,
// Freshdesk, Jira Service Management, Intercom, HubSpot Service Hub, any
// platform that can push JSON or export CSV — normalizes them into one
// Ticket type, and hands them to a Store that the host application supplies.
//
// # Connectors
//
// Each platform package (zendesk, hubspot, webhookpush, ...) returns a
// Connector configured for one account. A connector implements the small
// interfaces its platform supports: Poller to be asked what changed,
// WebhookReceiver to take pushed events, TicketGetter to load tickets by id.
// Connector.Test is the "Test & Connect" check: one cheap call that says
// whether the credentials work, and what to fix if not.
//
// # The Syncer
//
// A Syncer holds the connectors and the Store. Tickets arrive three ways:
//
//   - ModePoll: Run polls every connector at once when added, then every
//     Options.Interval (15 minutes by default), spread by jitter, with at
//     most Options.MaxConcurrent runs at a time. A failed run is retried
//     with exponential backoff and recorded as RunRetrying.
//   - ModeWebhook: WebhookHandler receives the platform's deliveries at
//     /api/webhooks/tickets?connectorId=ID.
//   - ModeBoth: webhooks for latency, polling as the safety net. Both write
//     the same rows; Ticket.UpdatedAt decides which copy is newer.
//
// Connectors are managed while the Syncer runs: AddWithOptions sets a
// per-connector interval or adds a connector paused; SetInterval, Pause and
// Resume change them; Replace swaps in new credentials or a new mode
// atomically, never letting two polls of one connector overlap; Connectors
// and Status report each connector's state from memory, cheaply; ResetCursor
// starts a connector over after ErrInvalidCursor. A platform's stated wait
// (APIError.RetryAfter) holds the next attempt back, up to
// Options.MaxRetryAfter.
//
// # Nothing lost
//
// A poll run repeats Fetch, UpsertTickets, SetCursor until the connector
// is caught up, and the cursor moves only after its page is stored, so an
// error or a crash at any point loses nothing and the next run resumes
// where the last stored page ended. A webhook delivery is answered 2xx only
// after its tickets are stored; otherwise the handler answers 503 and the
// platform delivers again.
//
// # History and errors
//
// Every poll run and import is recorded as a SyncRun: when it ran, how many
// tickets it stored, its errors, and its retry status. Webhook deliveries
// are one SyncRun per connector per minute, and stores bound each trigger's
// history apart, so a busy webhook never hides the last poll; History lists
// one trigger's runs.
// Errors match the sentinels of this package through errors.Is
// (ErrUnauthorized, ErrForbidden, ErrNotFound, ErrRateLimited,
// ErrInvalidSignature, ...); a platform's answer is an *APIError. No error,
// log line or history entry holds a credential.
//
// # Backfill lane
//
// A new connector whose Poller implements LaneStarter is polled in two
// lanes (unless Options.SingleLane): a live lane from DefaultLaneOverlap
// before its first scheduled run, and a backfill lane from its configured
// start up to there. The backfill lane runs after the live run of each
// interval, for the rest of that interval, on the same connector (and so
// within its rate limits); a live poll asked for meanwhile (SyncNow, a
// webhook's request for a poll, SetInterval) ends the backfill's slice
// after its current page, and the backfill goes on after the live run. Its
// runs are recorded with TriggerBackfill and its progress is in
// ConnectorStatus.Backfill. A Poller without LaneStarter is polled in one
// lane from its configured start.
//
// # Explain
//
// Syncer.Explain tells why one ticket is missing from the Store or stale:
// it compares the platform's copy (TicketGetter) with the Store's field by
// field, reads how far the cursor has got (CursorDescriber), the poll runs
// that could have delivered the change and the webhook deliveries this
// process remembers for the ticket, and concludes with a Verdict and a
// one-line Summary. Syncer.Repair stores the platform's copy on request.
//
// # Metrics and traces
//
// Options.Hooks observes runs, webhook deliveries and, through the context
// (WithHooks), every HTTP attempt and rate-limit wait of the platform
// packages. Package ticketsyncotel makes Hooks that report to
// OpenTelemetry; this package does not import it.
//
// # Stores
//
// memstore is an in-memory Store for tests and small services; sqlstore
// keeps tickets in PostgreSQL or SQLite and lets several replicas share the
// polling through leases (see Leaser). Any other Store can be checked
// against the contract with ticketsynctest.RunStoreTests.
package ticketsync
