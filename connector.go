package ticketsync

import (
	"context"
	"net/http"
)

// Connector is one account on one platform, as configured by a platform
// package's New. A connector does not loop, retry runs, store or schedule:
// the Syncer does. Platform packages implement Connector and whichever of
// the optional interfaces Poller, WebhookReceiver and TicketGetter their
// platform supports; the Syncer finds them by type assertion.
//
// All methods may be called concurrently from several goroutines, for
// example a webhook delivery while a poll run is in progress. The Syncer
// never runs two Fetch calls of one connector at once.
type Connector interface {
	// Platform names the platform in lower case ("zendesk"). It is stamped
	// on every ticket as Ticket.Platform.
	Platform() string
	// Test checks credentials and reachability with one cheap call: the
	// "Test & Connect" button. It returns nil when a sync would be allowed,
	// else an error matching ErrUnauthorized (wrong credentials),
	// ErrForbidden (valid credentials without the needed role or scope) or
	// ErrNotFound (wrong account or subdomain), or a network error, whose
	// message tells a person what to fix. It never includes a credential.
	Test(ctx context.Context) error
}

// Poller is a connector that can be asked what changed since a checkpoint.
type Poller interface {
	Connector
	// Fetch returns one page of tickets changed at or after cursor.
	//
	// The cursor is opaque to the engine: the connector encodes in it
	// whatever it needs to resume (a platform cursor, a timestamp, an
	// overlap window, a restart point before a page cap). The empty cursor
	// means "from the configured start". Page.Cursor is where the next call
	// resumes; the Syncer saves it only after Page.Tickets are stored, so
	// Fetch may be called again with any cursor it returned before (after a
	// crash, an error or a retry) and must then return the same tickets or
	// newer copies of them. Fetch returning an error moves nothing: the next
	// run calls Fetch with the same cursor. A cursor Fetch cannot read (it
	// did not write it, or it was damaged) is an error that says so and
	// wraps ErrInvalidCursor, never a silent restart from the configured
	// start: the Syncer then fails the run without retrying it early, and
	// the host decides whether to call Syncer.ResetCursor.
	//
	// A page may hold the same ticket twice, tickets out of order, or tickets
	// already delivered: the Store keeps the newest copy by UpdatedAt. A
	// ticket's Comments may hold only the comments new since the last page.
	// Page.More is false once the connector has caught up; the Syncer then
	// stops until the next interval. Errors should match the sentinels of
	// this package (ErrUnauthorized, ErrRateLimited, ...) so that the engine
	// can tell a retry from a configuration problem.
	Fetch(ctx context.Context, cursor string) (Page, error)
}

// Page is one answer of Poller.Fetch.
type Page struct {
	// Tickets changed at or after the cursor Fetch was called with. It may
	// be empty, for example on a page of only filtered-out records.
	Tickets []Ticket
	// Cursor is where the next Fetch resumes: opaque, saved by the Syncer
	// only after Tickets are stored. It must not be empty when More is true.
	Cursor string
	// More is true when the connector has more to deliver now; false once
	// it is caught up.
	More bool
}

// WebhookReceiver is a connector whose platform pushes events.
type WebhookReceiver interface {
	Connector
	// VerifyWebhook checks that r, whose raw body is body, was sent by the
	// platform: a signature, a shared secret or a token, compared in
	// constant time, with a replay window where the platform signs a
	// timestamp. It returns an error matching ErrInvalidSignature when the
	// delivery is not authentic. It must not read r.Body (the Syncer has
	// read it into body) and must not log or return the secret or the
	// signature.
	VerifyWebhook(r *http.Request, body []byte) error
	// ParseWebhook turns one verified delivery into events. A delivery the
	// platform sends only to test the endpoint parses to no events and no
	// error. Event.Ticket is set only when the payload holds the ticket as
	// completely as the REST API would; otherwise the Syncer loads it
	// through TicketGetter. An error means the body cannot be understood and
	// is answered 400; its text is shown to the sender, so it must be short
	// and must not echo the payload.
	ParseWebhook(body []byte) ([]Event, error)
}

// TicketGetter is a connector that can load tickets by id. The Syncer uses it
// to complete webhook events that carry only an id, with all the ids of one
// delivery in one call.
type TicketGetter interface {
	// GetTickets returns the tickets with the given ids, as complete as
	// Fetch would return them, with their comments. A ticket that no longer
	// exists is left out of the result (the caller sees it missing) or
	// returned as a tombstone with Deleted set; it is not an error. The
	// connector batches the ids as its platform allows.
	GetTickets(ctx context.Context, ids []string) ([]Ticket, error)
}
