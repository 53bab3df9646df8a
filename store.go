package ticketsync

import (
	"context"
	"time"
)

// Store is where synced tickets, cursors and the sync history live. The host
// application supplies it: memstore for tests and small services, sqlstore
// for PostgreSQL and SQLite, or its own. ticketsynctest.RunStoreTests checks
// an implementation against every rule below.
//
// All methods must be safe for concurrent use: poll runs of different
// connectors and webhook deliveries call them at the same time.
type Store interface {
	// UpsertTickets stores tickets, keyed by (ConnectorID, ID). It is
	// idempotent. A ticket never replaces a stored one whose UpdatedAt is
	// newer; one with a newer UpdatedAt replaces all its fields, and so
	// does one with an equal UpdatedAt, except that a live copy never
	// replaces a tombstone (Deleted) of the same time, so a re-delivered
	// page cannot bring a deleted ticket back.
	//
	// Comments are merged by Comment.ID: the stored comments and the
	// incoming ones are united, and a stored comment is never dropped, also
	// when the rest of the incoming ticket is older and ignored. An incoming
	// comment replaces the stored comment with the same ID (an edit) when
	// its ticket is not older than the stored one; a late, older copy adds
	// its new comments but cannot undo an edit. Comments without an ID are
	// the same comment when their author's ID, CreatedAt and Body are equal.
	// Comments are kept oldest first (CreatedAt, then ID).
	//
	// The Syncer passes only connector and ticket ids that CheckID accepts;
	// a Store refuses other ids with an error matching ErrInvalidID rather
	// than change them, which could merge two tickets. It may replace text
	// it cannot hold (invalid UTF-8 by U+FFFD, say) in other fields.
	//
	// The Store must not keep a reference to the slice or to the tickets'
	// slices and maps. Either all tickets of the call are stored or an error
	// is returned (a retry of the same call is harmless).
	UpsertTickets(ctx context.Context, tickets []Ticket) error
	// Ticket returns one stored ticket with all its comments, or an error
	// matching ErrNotFound. The caller owns the result.
	Ticket(ctx context.Context, connectorID, id string) (Ticket, error)
	// Cursor returns the connector's saved cursor, "" when none was saved.
	Cursor(ctx context.Context, connectorID string) (string, error)
	// SetCursor saves the connector's cursor, replacing the previous one.
	SetCursor(ctx context.Context, connectorID, cursor string) error
	// SaveSyncRun inserts run, or updates the stored run with the same ID,
	// every field of it. The Syncer saves a poll run when it starts, now
	// and then while it lasts and when it ends, and a webhook run (one per
	// connector per minute) after each delivery.
	SaveSyncRun(ctx context.Context, run SyncRun) error
	// SyncRuns returns the connector's runs, newest StartedAt first, at most
	// limit of them (all when limit <= 0).
	//
	// A store may keep a bounded history, dropping the oldest runs; it then
	// bounds each Trigger's runs apart, so that a connector's webhook runs,
	// however many, never push its poll, manual and import runs out of the
	// history. A store that also implements HistoryFilter lists one
	// trigger's runs without reading the others.
	SyncRuns(ctx context.Context, connectorID string, limit int) ([]SyncRun, error)
}

// HistoryFilter is an optional interface of a Store that lists the runs of
// one trigger: the "last sync" of a connector that also receives webhooks
// is its latest poll run, not its latest webhook run. Syncer.History uses it
// when the Store has it, and otherwise filters what SyncRuns returns.
type HistoryFilter interface {
	// SyncRunsByTrigger returns the connector's runs whose Trigger is
	// trigger, as SyncRuns orders and limits them.
	SyncRunsByTrigger(ctx context.Context, connectorID, trigger string, limit int) ([]SyncRun, error)
}

// Leaser is an optional interface of a Store shared by several replicas of a
// host service. When the Store implements it, the Syncer polls a connector
// only while it holds the connector's lease, so that each connector is polled
// by one replica at a time. Webhook deliveries take no lease.
//
// Each replica schedules every connector, so that a surviving replica goes
// on polling when another dies. For the replicas together to poll a
// connector about once per interval, not once each, a scheduled poll reads
// the connector's latest poll run once it holds the lease: when that run
// succeeded less than Options.Interval × (1 − Options.Jitter) ago, another
// replica has just polled, and this one gives the lease up, records no run,
// calls no platform and plans its next poll an interval (with jitter) after
// that run ended; its ConnectorStatus then reports that run. A replica's own schedule never brings its next poll that
// close to its last, so a lone replica never skips. A retry, a failed or
// unfinished latest run, an error reading the history, SyncNow, a poll a
// webhook asked for, a reset cursor and a replaced connector always poll.
// A skipped poll runs no backfill slice either: the replica that polled
// runs it until the next live run is due. So while a connector's backfill
// lane still walks history, a replica that gets the lease has found the
// slice cut short (its replica stopped or died) and polls, going on with
// the backfill at once. The replicas' clocks should agree to well within
// the jitter's spread, and with Jitter above a third two replicas may
// still both poll in one interval.
type Leaser interface {
	// AcquireLease takes or renews the lease on connectorID for holder,
	// until ttl from now. It reports false, without error, when another
	// holder has an unexpired lease.
	AcquireLease(ctx context.Context, connectorID, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives up holder's lease on connectorID; it does nothing
	// when holder does not hold it.
	ReleaseLease(ctx context.Context, connectorID, holder string) error
}

// LeaseTimer is an optional interface of a Leaser that tells how long a
// lease has left. Refused a connector's lease, the Syncer tries again when
// that lease lapses (or after the connector's interval, when that comes
// first), so that the connectors of a replica that died are taken over as
// soon as its leases expire. Without LeaseTimer it tries again after
// Options.LeaseTTL, as long as any lease can last unrenewed when every
// replica uses the same LeaseTTL.
type LeaseTimer interface {
	// LeaseLeft reports how long the lease on connectorID lasts from now
	// unless its holder renews it, 0 when there is none or it has expired.
	// The Store's clock measures it, the one AcquireLease decides expiry
	// by, so that replicas need not agree on the time.
	LeaseLeft(ctx context.Context, connectorID string) (time.Duration, error)
}

// PageStorer is an optional interface of a Store that can store a page of
// tickets and the cursor after it in one transaction. When the Store
// implements it, a poll run uses StorePage instead of UpsertTickets followed
// by SetCursor, so that the cursor and its tickets are saved together or not
// at all. Without it the two writes are separate, which is also safe: a
// crash between them makes the next run fetch that page again.
type PageStorer interface {
	// StorePage does what UpsertTickets(ctx, tickets) followed by
	// SetCursor(ctx, connectorID, cursor) does, atomically. tickets may be
	// empty.
	StorePage(ctx context.Context, connectorID string, tickets []Ticket, cursor string) error
}
