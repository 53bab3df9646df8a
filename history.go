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
	TriggerWebhook = "webhook" // one webhook delivery
	TriggerImport  = "import"  // a CSV import
	TriggerManual  = "manual"  // Syncer.SyncNow
)

// SyncRun is one entry of a connector's sync history: what a poll run, a
// webhook delivery or an import did, for the "last sync, tickets synced,
// errors, retry status" view.
type SyncRun struct {
	ID          string
	ConnectorID string
	Trigger     string // TriggerPoll, TriggerWebhook, TriggerImport or TriggerManual
	Status      RunStatus
	StartedAt   time.Time
	FinishedAt  time.Time // zero while running
	// Tickets counts the distinct tickets this run stored: a ticket
	// delivered twice in one run, or once with its fields and once with
	// only new comments, counts once.
	Tickets int
	// Errors says what went wrong, in words a person can act on. It never
	// holds a credential.
	Errors []string
	// Attempt is 1 for the first try, 2 for the first retry after a failed
	// run, and so on; it returns to 1 after a success.
	Attempt int
	// NextRetryAt is when the next attempt is planned, set while Status is
	// RunRetrying.
	NextRetryAt time.Time
}
