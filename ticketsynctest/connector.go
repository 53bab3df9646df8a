package ticketsynctest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// Harness is what a platform package implements over its fake so that
// RunConnectorTests can check its connector. It is written once per
// platform, in that package's tests.
type Harness interface {
	// Capabilities says what the platform and its connector do, and which
	// Ticket fields the platform fills.
	Capabilities() Capabilities
	// NewAccount starts a fresh fake account holding n tickets, each with
	// at least one comment, all visible to a poll at once. It registers
	// its cleanup with tb.Cleanup and fails tb when it cannot start.
	NewAccount(tb testing.TB, n int) Account
}

// Account is one fake account of a Harness. Its methods change the fake the
// way agents and customers would, and build what the platform would send.
// They may be called from several goroutines.
type Account interface {
	// NewConnector returns a new connector for the account, configured
	// with the page size of Capabilities.PageSize and with webhook
	// secrets. With valid false its credentials are wrong for an account
	// that exists.
	NewConnector(valid bool) (ticketsync.Connector, error)
	// CreateTicket creates a ticket with one comment and returns its id.
	CreateTicket() (string, error)
	// UpdateTicket changes one of the compared fields of a ticket (its
	// subject, say) and its last-modified time.
	UpdateTicket(id string) error
	// DeleteTicket deletes a ticket.
	DeleteTicket(id string) error
	// AddComment adds a comment to a ticket and returns the comment's id.
	AddComment(id string) (string, error)
	// Settle makes every change so far visible to a poll, moving the
	// fake's clock past the platform's hold-backs and index lags.
	Settle()
	// Want returns the account's tickets as the connector must deliver
	// them: every field the platform fills (see Capabilities.Fields), all
	// comments, and deleted tickets as tombstones when
	// Capabilities.DeletesByPoll (else left out). The harness maps the fake's
	// state on its own, not through the connector's code.
	Want() ([]ticketsync.Ticket, error)
	// InjectFault makes the fake answer the next n requests with status
	// (500, 503 or 429; a 429 says to retry after a second).
	InjectFault(status, n int)
	// Webhook builds a delivery to target about ticket id, as the platform
	// would send it, signed with the connector's secret. With tampered true
	// the delivery is changed after signing (its body or its signature), so
	// that it must be rejected.
	Webhook(target string, kind ticketsync.EventKind, id string, tampered bool) (*http.Request, error)
	// Secrets returns the credentials and webhook secrets of the account's
	// connectors, which must never appear in an error text.
	Secrets() []string
}

// BodyFault is a kind of broken answer a BodyFaulter makes its fake give.
type BodyFault int

const (
	// Truncated is a 200 whose JSON body is cut short of what its
	// Content-Length promised.
	Truncated BodyFault = iota + 1
	// HTMLPage is an HTML error page (a 502 or 503 from a proxy or a
	// maintenance page) instead of the platform's JSON.
	HTMLPage
	// RateLimitedNoRetryAfter is a 429 without Retry-After, carrying the
	// platform's own reset header when it has one.
	RateLimitedNoRetryAfter
)

// String names the kind.
func (b BodyFault) String() string {
	switch b {
	case Truncated:
		return "truncated body"
	case HTMLPage:
		return "HTML error page"
	case RateLimitedNoRetryAfter:
		return "429 without Retry-After"
	}
	return fmt.Sprintf("BodyFault(%d)", int(b))
}

// BodyFaulter is an Account that can also break the bodies and headers of
// its fake's answers. It is optional: RunSoak finds it by type assertion
// and injects these faults only into harnesses that implement it.
type BodyFaulter interface {
	// InjectBodyFault makes the fake answer the next n requests with a
	// fault of kind. It reports false, injecting nothing, for a kind the
	// harness does not support (or keeps out of its soak).
	InjectBodyFault(kind BodyFault, n int) bool
}

// Capabilities describe a platform for RunConnectorTests.
type Capabilities struct {
	// Platform is what Connector.Platform returns.
	Platform string
	// PageSize is the most tickets a Fetch page of the harness's
	// connectors holds; the kit creates accounts of several pages.
	PageSize int
	// Fields names the Ticket fields the platform fills and the kit
	// compares: any of URL, Subject, Description, Status, RawStatus,
	// Priority, RawPriority, Channel, Requester, Assignee, Tags, Fields,
	// CreatedAt, UpdatedAt. ID, Deleted and the comments (their ID, Body,
	// Public, CreatedAt and Author.ID) are always compared.
	Fields []string
	// Webhooks: the connector is a ticketsync.WebhookReceiver and
	// Account.Webhook builds deliveries.
	Webhooks bool
	// DeletesByPoll: a poll delivers deleted tickets as tombstones.
	DeletesByPoll bool
	// CursorChecks: Fetch refuses a cursor written for another account of
	// the platform, or by another connector, with an error matching
	// ticketsync.ErrInvalidCursor (as internal/incremental's Codec does).
	CursorChecks bool
}

// RunConnectorTests checks a platform package's connector against its fake
// account, one subtest per rule of the ticketsync.Poller, WebhookReceiver and
// TicketGetter contracts: a full sync through a Syncer equals the account;
// an incremental sync picks up the changes and little else; injected 5xx and
// 429 answers lose nothing; a sync resumed from any saved cursor ends equal;
// deletes are seen; new comments arrive without blanking other fields; a
// signed webhook is accepted and a tampered one rejected; GetTickets loads
// tickets by id and invents none; a cursor Fetch did not write is an error;
// wrong credentials fail Test with ticketsync.ErrUnauthorized; no error text
// holds a secret.
//
// Optional rules run when the Account implements QueryCapper (a sync across
// the platform's query cap loses nothing), LaggedUpdater (a change visible
// late still arrives), TimedWebhooks (stale and future-dated deliveries are
// rejected), ForbiddenConnectors and MissingAccountConnectors (Test returns
// ErrForbidden and ErrNotFound), and when Capabilities.CursorChecks is set
// (a cursor of another account or connector is ErrInvalidCursor); they are
// skipped otherwise.
//
// When the connector implements ticketsync.LaneStarter, the lane rule runs a
// Syncer's scheduler with a backfill lane on an account of several pages of
// history, on the account's clock (the Account must implement Clocked): a
// ticket created while the backfill lane is part-way through is stored by
// the next live run, the live lane reads none of the history, the backfill
// ends with the Store equal to the account, a restart in the middle of the
// backfill resumes both lanes, and, when the Account implements Throttler,
// the fake never had to answer 429.
// Each subtest gets an account of its own from h.NewAccount.
func RunConnectorTests(t *testing.T, h Harness) {
	t.Helper()
	caps := h.Capabilities()
	if caps.PageSize <= 0 {
		t.Fatal("Capabilities.PageSize must be positive")
	}
	for _, r := range connectorRules() {
		t.Run(r.name, func(t *testing.T) {
			acct := h.NewAccount(t, accountSize(caps))
			r.run(t, t, h, acct, caps)
		})
	}
}

// accountSize is the number of tickets the kit's accounts start with: a
// little over three pages.
func accountSize(caps Capabilities) int { return 3*caps.PageSize + caps.PageSize/2 + 1 }

// connT is what the connector rules need of *testing.T.
type connT = kitT

// connRule is one rule of the connector contracts and its check.
type connRule struct {
	name  string
	rule  string
	check func(c *connCheck)
}

func (r connRule) run(t connT, tb testing.TB, h Harness, acct Account, caps Capabilities) {
	t.Helper()
	c := &connCheck{t: t, tb: tb, h: h, acct: acct, caps: caps, ctx: t.Context(), rule: r.rule}
	r.check(c)
}

// connCheck is what a rule's check works with.
type connCheck struct {
	t    connT
	tb   testing.TB // for Harness.NewAccount, which needs a real one
	h    Harness
	acct Account
	caps Capabilities
	ctx  context.Context
	rule string
}

func (c *connCheck) errorf(format string, args ...any) {
	c.t.Helper()
	c.t.Errorf("rule: %s: %s", c.rule, fmt.Sprintf(format, args...))
}

func (c *connCheck) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("rule: %s: %s", c.rule, fmt.Sprintf(format, args...))
}

// kitConnectorID is the id the kit adds connectors under. It holds
// characters that a webhook URL must percent-encode, so that a platform
// signing the request URI (HubSpot) is checked on an encoded one.
const kitConnectorID = "kit:acme/1"

func (c *connCheck) connector(valid bool) ticketsync.Connector {
	c.t.Helper()
	conn, err := c.acct.NewConnector(valid)
	if err != nil {
		c.fatalf("NewConnector(%t): %v", valid, err)
	}
	return conn
}

func (c *connCheck) poller() ticketsync.Poller {
	c.t.Helper()
	p, ok := c.connector(true).(ticketsync.Poller)
	if !ok {
		c.fatalf("the connector does not implement ticketsync.Poller")
	}
	return p
}

// sync runs one poll of p through a Syncer into store and fails unless it
// succeeds.
func (c *connCheck) sync(p ticketsync.Poller, store ticketsync.Store) ticketsync.SyncRun {
	c.t.Helper()
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add(kitConnectorID, pollOnly{p}, ticketsync.ModePoll); err != nil {
		c.fatalf("Syncer.Add: %v", err)
	}
	run, err := s.SyncNow(c.ctx, kitConnectorID)
	if err != nil {
		c.noSecrets("a sync error", err.Error())
		c.fatalf("sync failed: %v", err)
	}
	return run
}

// want returns the account's tickets as the connector must deliver them.
func (c *connCheck) want() []ticketsync.Ticket {
	c.t.Helper()
	w, err := c.acct.Want()
	if err != nil {
		c.fatalf("Account.Want: %v", err)
	}
	return w
}

// expectStore reports every difference between the stored tickets and the
// account's, on the compared fields.
func (c *connCheck) expectStore(store *memstore.Store, what string) {
	c.t.Helper()
	want := c.want()
	got := store.Tickets(kitConnectorID)
	byID := make(map[string]ticketsync.Ticket, len(got))
	for _, t := range got {
		byID[t.ID] = t
	}
	var diffs []string
	for _, w := range want {
		g, ok := byID[w.ID]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("ticket %q missing", w.ID))
			continue
		}
		delete(byID, w.ID)
		if d := diffProjected(c.project(w), c.project(g)); len(d) > 0 {
			diffs = append(diffs, fmt.Sprintf("ticket %q: %s", w.ID, strings.Join(d, "; ")))
		}
	}
	extra := make([]string, 0, len(byID))
	for id := range byID {
		extra = append(extra, id)
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		diffs = append(diffs, fmt.Sprintf("tickets %q stored but not in the account", extra))
	}
	if len(diffs) > 0 {
		n := len(diffs)
		if n > 5 {
			diffs = append(diffs[:5], fmt.Sprintf("and %d more", n-5))
		}
		c.errorf("%s: %d of %d tickets differ from the account: %s", what, n, len(want), strings.Join(diffs, "; "))
	}
}

// project keeps the fields the kit compares.
func (c *connCheck) project(t ticketsync.Ticket) ticketsync.Ticket {
	p := ticketsync.Ticket{ID: t.ID, Deleted: t.Deleted}
	for _, f := range c.caps.Fields {
		switch f {
		case "URL":
			p.URL = t.URL
		case "Subject":
			p.Subject = t.Subject
		case "Description":
			p.Description = t.Description
		case "Status":
			p.Status = t.Status
		case "RawStatus":
			p.RawStatus = t.RawStatus
		case "Priority":
			p.Priority = t.Priority
		case "RawPriority":
			p.RawPriority = t.RawPriority
		case "Channel":
			p.Channel = t.Channel
		case "Requester":
			p.Requester = t.Requester
		case "Assignee":
			p.Assignee = t.Assignee
		case "Tags":
			p.Tags = t.Tags
		case "Fields":
			p.Fields = t.Fields
		case "CreatedAt":
			p.CreatedAt = t.CreatedAt
		case "UpdatedAt":
			p.UpdatedAt = t.UpdatedAt
		}
	}
	for _, cm := range t.Comments {
		cm.Author = ticketsync.Person{ID: cm.Author.ID}
		p.Comments = append(p.Comments, cm)
	}
	return p
}

// noSecrets reports any of the account's secrets in text.
func (c *connCheck) noSecrets(what, text string) {
	c.t.Helper()
	for _, s := range c.acct.Secrets() {
		if len(s) >= 6 && strings.Contains(text, s) {
			c.errorf("%s holds a credential or secret", what)
		}
	}
}

// pollOnly hides every method of a Poller but those of ticketsync.Poller.
type pollOnly struct{ ticketsync.Poller }

// recorder wraps a Poller: before is called ahead of each Fetch with its
// number (from 0), and the ids of the tickets delivered are kept.
type recordingPoller struct {
	ticketsync.Poller
	before    func(n int)
	n         int
	delivered map[string]bool
}

func (r *recordingPoller) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	if r.before != nil {
		r.before(r.n)
	}
	r.n++
	page, err := r.Poller.Fetch(ctx, cursor)
	if r.delivered == nil {
		r.delivered = map[string]bool{}
	}
	for _, t := range page.Tickets {
		r.delivered[t.ID] = true
	}
	return page, err
}

func connectorRules() []connRule {
	return append([]connRule{
		{"TestAcceptsValidCredentials", "Test returns nil for valid credentials", checkTestValid},
		{"BadCredentials", "Test returns an error matching ErrUnauthorized for wrong credentials, without the credentials in its text", checkBadCredentials},
		{"FullSync", "a full sync stores every ticket of the account as the platform holds it", checkFullSync},
		{"IncrementalSync", "an incremental sync picks up every change and few unchanged tickets", checkIncremental},
		{"SurvivesFaults", "a sync through 5xx and 429 answers loses nothing", checkFaults},
		{"ResumeFromEveryPage", "a sync resumed from any cursor Fetch returned ends equal to the account", checkResume},
		{"DeletesSeen", "a poll delivers a deleted ticket as a tombstone", checkDeletes},
		{"CommentsArrive", "a new comment arrives and the ticket's other fields stay as they are", checkComments},
		{"WebhookAccepted", "a signed webhook delivery is accepted and its ticket stored as the platform holds it", checkWebhookAccepted},
		{"WebhookTamperedRejected", "a tampered webhook delivery is rejected with ErrInvalidSignature and stores nothing", checkWebhookTampered},
		{"GetTicketsByID", "GetTickets returns the tickets asked for as the platform holds them, and leaves out ids it does not have", checkGetTickets},
		{"CorruptCursorRejected", "Fetch returns an error for a cursor it did not write, rather than panicking or starting over", checkCorruptCursor},
	}, append(platformRules(), laneRules()...)...)
}

// unknownTicketID is an id no fake account holds: numeric, since several
// platforms refuse other ids outright.
const unknownTicketID = "987654321987"

func checkGetTickets(c *connCheck) {
	g, ok := c.connector(true).(ticketsync.TicketGetter)
	if !ok {
		c.t.Skipf("the connector does not implement ticketsync.TicketGetter")
	}
	var live []ticketsync.Ticket
	for _, t := range c.want() {
		if !t.Deleted {
			live = append(live, t)
		}
	}
	if len(live) < 3 {
		c.fatalf("the account holds %d live tickets, too few", len(live))
	}
	asked := []ticketsync.Ticket{live[0], live[len(live)/2], live[len(live)-1]}
	ids := []string{asked[0].ID, unknownTicketID, asked[1].ID, asked[2].ID}
	got, err := g.GetTickets(c.ctx, ids)
	if err != nil {
		c.noSecrets("a GetTickets error", err.Error())
		c.fatalf("GetTickets(%q): %v", ids, err)
	}
	byID := make(map[string]ticketsync.Ticket, len(got))
	for _, t := range got {
		byID[t.ID] = t
	}
	for _, w := range asked {
		g, ok := byID[w.ID]
		if !ok {
			c.errorf("GetTickets left out ticket %q, which the account holds", w.ID)
			continue
		}
		if d := diffProjected(c.project(w), c.project(g)); len(d) > 0 {
			c.errorf("GetTickets: ticket %q: %s", w.ID, strings.Join(d, "; "))
		}
	}
	if t, ok := byID[unknownTicketID]; ok && !t.Deleted {
		c.errorf("GetTickets returned ticket %q, which the account does not hold, as a live ticket", unknownTicketID)
	}
	if len(got) > len(ids) {
		c.errorf("GetTickets returned %d tickets for %d ids", len(got), len(ids))
	}
}

func checkCorruptCursor(c *connCheck) {
	p := c.poller()
	for _, cursor := range []string{"not a cursor written by this connector", "e30", "%%%"} {
		page, err := safeFetch(c.ctx, p, cursor)
		switch {
		case err == nil:
			c.errorf("Fetch(%q) = %d tickets, more %t, and no error; want an error", cursor, len(page.Tickets), page.More)
		case strings.Contains(err.Error(), "panic"):
			c.errorf("Fetch(%q) panicked: %v", cursor, err)
		default:
			c.noSecrets("a Fetch error", err.Error())
		}
	}
}

// safeFetch calls p.Fetch, turning a panic into an error.
func safeFetch(ctx context.Context, p ticketsync.Poller, cursor string) (page ticketsync.Page, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return p.Fetch(ctx, cursor)
}

func checkTestValid(c *connCheck) {
	if err := c.connector(true).Test(c.ctx); err != nil {
		c.errorf("Test: %v", err)
	}
}

func checkBadCredentials(c *connCheck) {
	conn := c.connector(false)
	err := conn.Test(c.ctx)
	switch {
	case err == nil:
		c.errorf("Test with wrong credentials returned nil")
		return
	case !errors.Is(err, ticketsync.ErrUnauthorized):
		c.errorf("Test with wrong credentials: %v; want an error matching ErrUnauthorized", err)
	}
	c.noSecrets("the error of Test", err.Error())
	c.noSecrets("the connector printed with %+v", fmt.Sprintf("%+v %#v", conn, conn))
	if p, ok := conn.(ticketsync.Poller); ok {
		if _, err := p.Fetch(c.ctx, ""); err == nil {
			c.errorf("Fetch with wrong credentials returned no error")
		} else {
			if !errors.Is(err, ticketsync.ErrUnauthorized) {
				c.errorf("Fetch with wrong credentials: %v; want an error matching ErrUnauthorized", err)
			}
			c.noSecrets("the error of Fetch", err.Error())
		}
	}
}

func checkFullSync(c *connCheck) {
	store := memstore.New()
	run := c.sync(c.poller(), store)
	if run.Status != ticketsync.RunSucceeded {
		c.errorf("run status %q, want %q", run.Status, ticketsync.RunSucceeded)
	}
	c.expectStore(store, "after a full sync")
}

func checkIncremental(c *connCheck) {
	store := memstore.New()
	c.sync(c.poller(), store)
	want := c.want()
	if len(want) < 6 {
		c.fatalf("the account holds %d tickets, too few to change", len(want))
	}
	changed := map[string]bool{}
	created, err := c.acct.CreateTicket()
	if err != nil {
		c.fatalf("CreateTicket: %v", err)
	}
	changed[created] = true
	for _, i := range []int{1, len(want) / 2} {
		if err := c.acct.UpdateTicket(want[i].ID); err != nil {
			c.fatalf("UpdateTicket(%q): %v", want[i].ID, err)
		}
		changed[want[i].ID] = true
	}
	for _, i := range []int{2, len(want) - 2} {
		if _, err := c.acct.AddComment(want[i].ID); err != nil {
			c.fatalf("AddComment(%q): %v", want[i].ID, err)
		}
		changed[want[i].ID] = true
	}
	c.acct.Settle()
	rec := &recordingPoller{Poller: c.poller()}
	c.sync(rec, store)
	c.expectStore(store, "after an incremental sync")
	var missed, unchanged []string
	for id := range changed {
		if !rec.delivered[id] {
			missed = append(missed, id)
		}
	}
	for id := range rec.delivered {
		if !changed[id] {
			unchanged = append(unchanged, id)
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		c.errorf("the incremental sync did not deliver the changed tickets %q", missed)
	}
	if limit := max(3, len(want)/10); len(unchanged) > limit {
		c.errorf("the incremental sync delivered %d unchanged tickets (of %d), more than %d: it does not resume where the last sync ended",
			len(unchanged), len(want), limit)
	}
}

func checkFaults(c *connCheck) {
	store := memstore.New()
	faults := map[int]int{1: http.StatusServiceUnavailable, 2: http.StatusTooManyRequests, 3: http.StatusInternalServerError}
	rec := &recordingPoller{Poller: c.poller(), before: func(n int) {
		if status, ok := faults[n]; ok {
			c.acct.InjectFault(status, 1)
		}
	}}
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add(kitConnectorID, rec, ticketsync.ModePoll); err != nil {
		c.fatalf("Syncer.Add: %v", err)
	}
	// A run may fail when the connector does not retry; the next run must
	// then resume and lose nothing.
	for attempt := 1; ; attempt++ {
		run, err := s.SyncNow(c.ctx, kitConnectorID)
		if err == nil {
			break
		}
		c.noSecrets("a sync error", err.Error())
		if attempt == 5 {
			c.fatalf("5 runs failed through injected faults; the last: %v (%+v)", err, run)
		}
	}
	if rec.n < 4 {
		c.t.Logf("the sync took %d pages; faults were injected before pages 2 to 4 only", rec.n)
	}
	c.expectStore(store, "after a sync through 503, 429 and 500 answers")
}

func checkResume(c *connCheck) {
	p := c.poller()
	type page struct {
		cursor  string // the cursor the page was fetched with
		tickets []ticketsync.Ticket
	}
	var pages []page
	cursor := ""
	for {
		pg, err := p.Fetch(c.ctx, cursor)
		if err != nil {
			c.fatalf("Fetch after %d pages: %v", len(pages), err)
		}
		pages = append(pages, page{cursor, pg.Tickets})
		if !pg.More {
			break
		}
		if pg.Cursor == "" || pg.Cursor == cursor {
			c.fatalf("Fetch page %d: More is true but the cursor did not move", len(pages))
		}
		if len(pages) > 10000 {
			c.fatalf("more than 10000 pages: the cursor never ends")
		}
		cursor = pg.Cursor
	}
	if len(pages) < 3 {
		c.errorf("a full sync of %d tickets took %d pages, want at least 3 with pages of %d", accountSize(c.caps), len(pages), c.caps.PageSize)
	}
	for k := 1; k < len(pages); k++ {
		store := memstore.New()
		for _, pg := range pages[:k] {
			upsert(c, store, pg.tickets)
		}
		// A new connector, as after a restart: only the cursor is kept.
		q := c.poller()
		cur := pages[k].cursor
		for n := 0; ; n++ {
			pg, err := q.Fetch(c.ctx, cur)
			if err != nil {
				c.fatalf("Fetch resumed at page %d: %v", k, err)
			}
			upsert(c, store, pg.Tickets)
			if !pg.More || n > 10000 {
				break
			}
			cur = pg.Cursor
		}
		c.expectStore(store, fmt.Sprintf("after resuming at page %d of %d", k+1, len(pages)))
	}
}

func upsert(c *connCheck, store *memstore.Store, tickets []ticketsync.Ticket) {
	c.t.Helper()
	in := make([]ticketsync.Ticket, len(tickets))
	for i, t := range tickets {
		in[i] = t.Clone()
		in[i].ConnectorID = kitConnectorID
	}
	if err := store.UpsertTickets(c.ctx, in); err != nil {
		c.fatalf("UpsertTickets: %v", err)
	}
}

func checkDeletes(c *connCheck) {
	if !c.caps.DeletesByPoll {
		c.t.Skipf("the platform's poll does not show deletes")
	}
	store := memstore.New()
	c.sync(c.poller(), store)
	want := c.want()
	id := want[len(want)/3].ID
	if err := c.acct.DeleteTicket(id); err != nil {
		c.fatalf("DeleteTicket(%q): %v", id, err)
	}
	c.acct.Settle()
	c.sync(c.poller(), store)
	got, err := store.Ticket(c.ctx, kitConnectorID, id)
	switch {
	case err != nil:
		c.errorf("deleted ticket %q: %v", id, err)
	case !got.Deleted:
		c.errorf("ticket %q was deleted on the platform but is stored with Deleted false", id)
	}
	c.expectStore(store, "after a delete")
}

func checkComments(c *connCheck) {
	store := memstore.New()
	c.sync(c.poller(), store)
	want := c.want()
	id := want[len(want)/4].ID
	before, err := store.Ticket(c.ctx, kitConnectorID, id)
	if err != nil {
		c.fatalf("ticket %q not stored by the first sync: %v", id, err)
	}
	commentID, err := c.acct.AddComment(id)
	if err != nil {
		c.fatalf("AddComment(%q): %v", id, err)
	}
	c.acct.Settle()
	c.sync(c.poller(), store)
	got, err := store.Ticket(c.ctx, kitConnectorID, id)
	if err != nil {
		c.fatalf("ticket %q: %v", id, err)
	}
	if !slices.ContainsFunc(got.Comments, func(cm ticketsync.Comment) bool { return cm.ID == commentID }) {
		c.errorf("comment %q on ticket %q did not arrive", commentID, id)
	}
	if got.Subject != before.Subject || got.Requester != before.Requester || got.CreatedAt != before.CreatedAt {
		c.errorf("ticket %q lost fields when its comment arrived: Subject %q, Requester %+v, CreatedAt %s; before %q, %+v, %s",
			id, got.Subject, got.Requester, got.CreatedAt, before.Subject, before.Requester, before.CreatedAt)
	}
	c.expectStore(store, "after a comment")
}

// webhookTarget is where the kit's deliveries are addressed, the connector
// id percent-encoded as a host would write it.
var webhookTarget = "http://webhooks.example.test/api/webhooks/tickets?connectorId=" + url.QueryEscape(kitConnectorID)

// deliver sends req to a Syncer's webhook handler and returns the status.
func (c *connCheck) deliver(s *ticketsync.Syncer, req *http.Request) int {
	c.t.Helper()
	w := httptest.NewRecorder()
	s.WebhookHandler().ServeHTTP(w, req.WithContext(c.ctx))
	return w.Code
}

// webhookSetup syncs the account and returns a Syncer receiving webhooks
// for a new connector, the store and the ticket the kit changes.
func (c *connCheck) webhookSetup() (*ticketsync.Syncer, *memstore.Store, ticketsync.WebhookReceiver, string) {
	c.t.Helper()
	if !c.caps.Webhooks {
		c.t.Skipf("the platform has no webhooks")
	}
	conn := c.connector(true)
	rc, ok := conn.(ticketsync.WebhookReceiver)
	if !ok {
		c.fatalf("Capabilities.Webhooks is set but the connector is not a ticketsync.WebhookReceiver")
	}
	store := memstore.New()
	if p, ok := conn.(ticketsync.Poller); ok {
		c.sync(p, store)
	}
	s := ticketsync.NewSyncer(store, nil)
	if err := s.Add(kitConnectorID, rc, ticketsync.ModeWebhook); err != nil {
		c.fatalf("Syncer.Add: %v", err)
	}
	want := c.want()
	return s, store, rc, want[len(want)/2].ID
}

func checkWebhookAccepted(c *connCheck) {
	s, store, _, id := c.webhookSetup()
	if err := c.acct.UpdateTicket(id); err != nil {
		c.fatalf("UpdateTicket(%q): %v", id, err)
	}
	req, err := c.acct.Webhook(webhookTarget, ticketsync.EventUpdated, id, false)
	if err != nil {
		c.fatalf("Account.Webhook: %v", err)
	}
	if code := c.deliver(s, req); code != http.StatusOK {
		c.fatalf("a signed delivery about ticket %q was answered %d, want 200", id, code)
	}
	got, err := store.Ticket(c.ctx, kitConnectorID, id)
	if err != nil {
		c.fatalf("ticket %q after its webhook: %v", id, err)
	}
	for _, w := range c.want() {
		if w.ID == id {
			if d := diffProjected(c.project(w), c.project(got)); len(d) > 0 {
				c.errorf("ticket %q after its webhook: %s", id, strings.Join(d, "; "))
			}
		}
	}
}

func checkWebhookTampered(c *connCheck) {
	s, store, rc, id := c.webhookSetup()
	before, _ := store.Ticket(c.ctx, kitConnectorID, id)
	if err := c.acct.UpdateTicket(id); err != nil {
		c.fatalf("UpdateTicket(%q): %v", id, err)
	}
	req, err := c.acct.Webhook(webhookTarget, ticketsync.EventUpdated, id, true)
	if err != nil {
		c.fatalf("Account.Webhook: %v", err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		c.fatalf("read the delivery's body: %v", err)
	}
	verr := rc.VerifyWebhook(req, body)
	switch {
	case verr == nil:
		c.errorf("VerifyWebhook accepted a tampered delivery")
	case !errors.Is(verr, ticketsync.ErrInvalidSignature):
		c.errorf("VerifyWebhook of a tampered delivery: %v; want an error matching ErrInvalidSignature", verr)
	default:
		c.noSecrets("the error of VerifyWebhook", verr.Error())
		for _, h := range req.Header {
			for _, v := range h {
				if len(v) >= 16 && strings.Contains(verr.Error(), v) {
					c.errorf("the error of VerifyWebhook repeats a header of the delivery")
				}
			}
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	if code := c.deliver(s, req); code != http.StatusUnauthorized {
		c.errorf("a tampered delivery was answered %d, want 401", code)
	}
	after, _ := store.Ticket(c.ctx, kitConnectorID, id)
	if !after.UpdatedAt.Equal(before.UpdatedAt) || after.Subject != before.Subject {
		c.errorf("a tampered delivery changed stored ticket %q", id)
	}
}

// diffProjected describes how got differs from want, both projected on the
// compared fields: Tags as a set, comments matched by ID.
func diffProjected(want, got ticketsync.Ticket) []string {
	d := diffFields(want, got)
	byID := func(cs []ticketsync.Comment) map[string]ticketsync.Comment {
		m := make(map[string]ticketsync.Comment, len(cs))
		for _, c := range cs {
			m[c.ID] = c
		}
		return m
	}
	wc, gc := byID(want.Comments), byID(got.Comments)
	var missing, extra []string
	for id, w := range wc {
		g, ok := gc[id]
		switch {
		case !ok:
			missing = append(missing, id)
		case w.Author.ID != g.Author.ID || w.Body != g.Body || w.Public != g.Public || !w.CreatedAt.Equal(g.CreatedAt):
			d = append(d, fmt.Sprintf("comment %q = %+v, want %+v", id, g, w))
		}
	}
	for id := range gc {
		if _, ok := wc[id]; !ok {
			extra = append(extra, id)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		d = append(d, fmt.Sprintf("comments %q missing", missing))
	}
	if len(extra) > 0 {
		d = append(d, fmt.Sprintf("comments %q not on the platform", extra))
	}
	return d
}
