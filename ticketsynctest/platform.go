package ticketsynctest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/incremental"
	"github.com/ticketsync/ticketsync/memstore"
)

// The interfaces below are optional: an Account that implements one (or
// Capabilities that set CursorChecks) opts into the rules that need it;
// the others are skipped. They describe what a platform does that the next
// connector is likely to get wrong.

// QueryCapper is an Account whose platform caps one changed-since query
// (HubSpot search: 10,000 results; Freshdesk: 300 pages of 100).
type QueryCapper interface {
	// CapQuery makes the fake refuse, as the platform does past its cap,
	// every page of one query beyond its first results results (a
	// platform that caps pages rounds down to whole pages). The kit sets a
	// cap smaller than the account, so a connector that pages on past it
	// fails, and one that restarts its query from the newest change it
	// read loses nothing.
	CapQuery(results int)
}

// LaggedUpdater is an Account whose platform's changed-since query is
// eventually consistent (HubSpot and Jira search, Intercom search).
type LaggedUpdater interface {
	// UpdateTicketLate changes a ticket as UpdateTicket does, but the
	// change stays invisible to the changed-since query until Settle,
	// while changes made after it are visible at once: its modification
	// time is older than theirs when it shows up.
	UpdateTicketLate(id string) error
}

// TimedWebhooks is an Account whose platform signs a timestamp with each
// webhook delivery (Zendesk, HubSpot v3, Standard Webhooks).
type TimedWebhooks interface {
	// WebhookAt builds a delivery as Webhook does, signed correctly but
	// with the signed timestamp at.
	WebhookAt(target string, kind ticketsync.EventKind, id string, at time.Time) (*http.Request, error)
	// Now is the time the account's connectors check timestamps against.
	Now() time.Time
}

// ForbiddenConnectors is an Account whose fake can tell valid credentials
// that lack a role or scope the sync needs (an agent without ticket access,
// a token without the tickets scope).
type ForbiddenConnectors interface {
	// NewForbiddenConnector returns a connector with such credentials.
	NewForbiddenConnector() (ticketsync.Connector, error)
}

// MissingAccountConnectors is an Account whose fake can tell an account
// that does not exist (a mistyped subdomain or workspace).
type MissingAccountConnectors interface {
	// NewMissingAccountConnector returns a connector, with otherwise valid
	// settings, for an account the platform does not have.
	NewMissingAccountConnector() (ticketsync.Connector, error)
}

// webhookTolerance is how far the kit dates its stale and future-dated
// deliveries: past every platform's tolerance.
const webhookTolerance = time.Hour

func platformRules() []connRule {
	return []connRule{
		{"QueryCapCrossed", "a sync of more tickets than one platform query returns loses nothing", checkQueryCap},
		{"IndexLagCaught", "a change that becomes visible to the platform's query late still arrives", checkIndexLag},
		{"WebhookTimestampsChecked", "a delivery whose signed timestamp is stale or in the future is rejected with ErrInvalidSignature", checkWebhookTimestamps},
		{"TestForbidden", "Test returns an error matching ErrForbidden for credentials that lack a needed role or scope", checkTestForbidden},
		{"TestNotFound", "Test returns an error matching ErrNotFound for an account that does not exist", checkTestNotFound},
		{"ForeignCursorRefused", "Fetch returns an error matching ErrInvalidCursor for a cursor of another account or connector", checkForeignCursor},
	}
}

func checkQueryCap(c *connCheck) {
	qc, ok := c.acct.(QueryCapper)
	if !ok {
		c.t.Skipf("the account does not implement QueryCapper")
	}
	limit := 2 * c.caps.PageSize
	qc.CapQuery(limit)
	store := memstore.New()
	c.sync(c.poller(), store)
	c.expectStore(store, fmt.Sprintf("after a full sync with queries capped at %d results", limit))
	// An incremental sync after more changes than the cap, too.
	want := c.want()
	for i := 0; i < limit+c.caps.PageSize/2+1 && i < len(want); i++ {
		if want[i].Deleted {
			continue
		}
		if err := c.acct.UpdateTicket(want[i].ID); err != nil {
			c.fatalf("UpdateTicket(%q): %v", want[i].ID, err)
		}
	}
	c.acct.Settle()
	c.sync(c.poller(), store)
	c.expectStore(store, fmt.Sprintf("after an incremental sync of more changes than the cap of %d", limit))
}

func checkIndexLag(c *connCheck) {
	lu, ok := c.acct.(LaggedUpdater)
	if !ok {
		c.t.Skipf("the account does not implement LaggedUpdater")
	}
	store := memstore.New()
	c.sync(c.poller(), store)
	want := c.want()
	late, prompt := want[len(want)/3].ID, want[2*len(want)/3].ID
	if err := lu.UpdateTicketLate(late); err != nil {
		c.fatalf("UpdateTicketLate(%q): %v", late, err)
	}
	if err := c.acct.UpdateTicket(prompt); err != nil {
		c.fatalf("UpdateTicket(%q): %v", prompt, err)
	}
	// The prompt change is read, the late one is not visible yet.
	c.sync(c.poller(), store)
	c.acct.Settle()
	c.sync(c.poller(), store)
	got, err := store.Ticket(c.ctx, kitConnectorID, late)
	if err != nil {
		c.fatalf("ticket %q: %v", late, err)
	}
	for _, w := range c.want() {
		if w.ID == late {
			if d := diffProjected(c.project(w), c.project(got)); len(d) > 0 {
				c.errorf("ticket %q, changed before ticket %q but visible after it, never arrived: %v", late, prompt, d)
			}
		}
	}
	c.expectStore(store, "after a change visible late")
}

func checkWebhookTimestamps(c *connCheck) {
	tw, ok := c.acct.(TimedWebhooks)
	if !ok {
		c.t.Skipf("the account does not implement TimedWebhooks")
	}
	s, store, rc, id := c.webhookSetup()
	before, _ := store.Ticket(c.ctx, kitConnectorID, id)
	if err := c.acct.UpdateTicket(id); err != nil {
		c.fatalf("UpdateTicket(%q): %v", id, err)
	}
	now := tw.Now()
	// The kit's own check: a delivery signed now is accepted, so the
	// refusals below are about the time alone.
	req, err := tw.WebhookAt(webhookTarget, ticketsync.EventUpdated, id, now)
	if err != nil {
		c.fatalf("WebhookAt: %v", err)
	}
	body, _ := io.ReadAll(req.Body)
	if err := rc.VerifyWebhook(req, body); err != nil {
		c.fatalf("VerifyWebhook of a delivery signed now: %v", err)
	}
	for _, tc := range []struct {
		what string
		at   time.Time
	}{
		{"stale", now.Add(-webhookTolerance)},
		{"future-dated", now.Add(webhookTolerance)},
	} {
		req, err := tw.WebhookAt(webhookTarget, ticketsync.EventUpdated, id, tc.at)
		if err != nil {
			c.fatalf("WebhookAt: %v", err)
		}
		body, _ := io.ReadAll(req.Body)
		verr := rc.VerifyWebhook(req, body)
		switch {
		case verr == nil:
			c.errorf("VerifyWebhook accepted a %s delivery (signed %s from now)", tc.what, tc.at.Sub(now))
		case !errors.Is(verr, ticketsync.ErrInvalidSignature):
			c.errorf("VerifyWebhook of a %s delivery: %v; want an error matching ErrInvalidSignature", tc.what, verr)
		default:
			c.noSecrets("the error of VerifyWebhook", verr.Error())
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		if code := c.deliver(s, req); code != http.StatusUnauthorized {
			c.errorf("a %s delivery was answered %d, want 401", tc.what, code)
		}
	}
	after, _ := store.Ticket(c.ctx, kitConnectorID, id)
	if !after.UpdatedAt.Equal(before.UpdatedAt) || after.Subject != before.Subject {
		c.errorf("a stale or future-dated delivery changed stored ticket %q", id)
	}
}

func checkTestForbidden(c *connCheck) {
	fc, ok := c.acct.(ForbiddenConnectors)
	if !ok {
		c.t.Skipf("the account does not implement ForbiddenConnectors")
	}
	conn, err := fc.NewForbiddenConnector()
	if err != nil {
		c.fatalf("NewForbiddenConnector: %v", err)
	}
	c.expectTestError(conn, ticketsync.ErrForbidden, "credentials without the needed role or scope")
}

func checkTestNotFound(c *connCheck) {
	mc, ok := c.acct.(MissingAccountConnectors)
	if !ok {
		c.t.Skipf("the account does not implement MissingAccountConnectors")
	}
	conn, err := mc.NewMissingAccountConnector()
	if err != nil {
		c.fatalf("NewMissingAccountConnector: %v", err)
	}
	c.expectTestError(conn, ticketsync.ErrNotFound, "an account that does not exist")
}

func (c *connCheck) expectTestError(conn ticketsync.Connector, want error, what string) {
	c.t.Helper()
	err := conn.Test(c.ctx)
	switch {
	case err == nil:
		c.errorf("Test for %s returned nil", what)
	case !errors.Is(err, want):
		c.errorf("Test for %s: %v; want an error matching %v", what, err, want)
	default:
		c.noSecrets("the error of Test", err.Error())
	}
}

func checkForeignCursor(c *connCheck) {
	if !c.caps.CursorChecks {
		c.t.Skipf("Capabilities.CursorChecks is not set")
	}
	// A cursor of another account of the same platform.
	other := c.h.NewAccount(c.tb, c.caps.PageSize+1)
	oc, err := other.NewConnector(true)
	if err != nil {
		c.fatalf("NewConnector of a second account: %v", err)
	}
	op, ok := oc.(ticketsync.Poller)
	if !ok {
		c.fatalf("the connector does not implement ticketsync.Poller")
	}
	page, err := op.Fetch(c.ctx, "")
	if err != nil {
		c.fatalf("Fetch on a second account: %v", err)
	}
	// A cursor of another connector, in the shared codec's format.
	otherKind := incremental.Codec{Connector: "ticketsynctest-other", Version: 1}.Encode(struct{}{})
	p := c.poller()
	for _, tc := range []struct{ what, cursor string }{
		{"a cursor of another account", page.Cursor},
		{"a cursor of another connector", otherKind},
	} {
		if tc.cursor == "" {
			c.errorf("the second account's first page has an empty cursor")
			continue
		}
		pg, err := safeFetch(c.ctx, p, tc.cursor)
		switch {
		case err == nil:
			c.errorf("Fetch of %s = %d tickets and no error; want ErrInvalidCursor", tc.what, len(pg.Tickets))
		case !errors.Is(err, ticketsync.ErrInvalidCursor):
			c.errorf("Fetch of %s: %v; want an error matching ErrInvalidCursor", tc.what, err)
		}
	}
}
