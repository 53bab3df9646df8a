package ticketsync

import "time"

// RunStatus is the state of one sync run.
type RunStatus string

// The states of a sync run.
const (
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	// RunFailed: the run ended with an error and no early retry is planned;
	// the connector runs again at its next interval. Errors that retrying
	// cannot fix (wrong credentials, missing permission) end here.
	RunFailed RunStatus = "failed"
	// RunRetrying: the run ended with an error and another attempt is
	// planned at NextRetryAt.
	RunRetrying RunStatus = "retrying"
)

// The triggers of a sync run, for SyncRun.Trigger.
const (
	TriggerPoll    = "poll"    // the scheduler's interval, or a retry
	TriggerWebhook = "webhook" // webhook deliveries, one run per connector per minute
	TriggerImport  = "import"  // a CSV import
	TriggerManual  = "manual"  // Syncer.SyncNow
)

// SyncRun is one entry of a connector's sync history: what a poll run, a
// minute of webhook deliveries or an import did, for the "last sync, tickets
// synced, errors, retry status" view.
//
// Webhook deliveries are many and small, so the Syncer does not record each
// one: the deliveries a connector receives within one minute (by the
// Syncer's clock) are one run with Trigger TriggerWebhook, saved again after
// each delivery. Its StartedAt is the first delivery's time, FinishedAt the
// last one's end, Deliveries their number and Tickets the sum of the
// distinct tickets each delivery stored; its Status is RunFailed when a
// delivery of that minute failed (Errors keeps the latest few reasons) and
// RunSucceeded otherwise. Each replica keeps its own runs. Stores bound the
// history of each trigger apart (see Store.SyncRuns), so that webhook
// activity never pushes the poll runs out of it.
type SyncRun struct {
	ID          string
	ConnectorID string
	Trigger     string // TriggerPoll, TriggerWebhook, TriggerImport, TriggerManual or TriggerBackfill
	Status      RunStatus
	StartedAt   time.Time
	FinishedAt  time.Time // zero while running
	// Tickets counts the distinct tickets this run stored: a ticket
	// delivered twice in one run, or once with its fields and once with
	// only new comments, counts once. For a webhook run, it is the sum over
	// its deliveries.
	Tickets int
	// Deliveries is the number of webhook deliveries a webhook run records;
	// 0 for the other triggers.
	Deliveries int
	// Errors says what went wrong, in words a person can act on. It never
	// holds a credential.
	Errors []string
	// Attempt is 1 for the first try, 2 for the first retry after a failed
	// run, and so on; it returns to 1 after a success.
	Attempt int
	// NextRetryAt is when the next attempt is planned, set while Status is
	// RunRetrying.
	NextRetryAt time.Time
	// Progress is, for a run with Trigger TriggerBackfill, the estimated
	// share of the history the backfill lane had read when the run was
	// last saved, from 0 to 1 (1 once the lane is done), or -1 when the
	// connector cannot tell (see BackfillStatus.Progress). It is 0 for the
	// other triggers.
	Progress float64
}
