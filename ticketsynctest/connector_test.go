package ticketsynctest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/incremental"
	"github.com/ticketsync/ticketsync/internal/webhooksig"
)

// TestRunConnectorTests runs the kit against a small, correct platform.
func TestRunConnectorTests(t *testing.T) {
	RunConnectorTests(t, toyHarness{})
}

// TestConnectorKitCatchesBrokenConnectors runs every rule against
// connectors that each break the contract in one known way, and checks that
// exactly the rules they break fail, each with a message naming its rule.
func TestConnectorKitCatchesBrokenConnectors(t *testing.T) {
	cases := []struct {
		name string
		flaw toyFlaw
		fail []string
	}{
		{"correct", toyCorrect, nil},
		{"skipsPageBoundary", toySkipsBoundary,
			[]string{"FullSync", "IncrementalSync", "SurvivesFaults", "ResumeFromEveryPage", "DeletesSeen", "CommentsArrive", "QueryCapCrossed", "IndexLagCaught", "LanesLiveDuringBackfill"}},
		{"acceptsTampered", toyAcceptsTampered, []string{"WebhookTamperedRejected", "WebhookTimestampsChecked"}},
		{"blanksOnComment", toyBlanksOnComment, []string{"IncrementalSync", "CommentsArrive"}},
		{"leaksToken", toyLeaksToken, []string{"BadCredentials"}},
		{"restartsOnBadCursor", toyRestartsOnBadCursor, []string{"CorruptCursorRejected", "ForeignCursorRefused"}},
		{"inventsTickets", toyInventsTickets, []string{"GetTicketsByID"}},
		{"pagesPastCap", toyPagesPastCap, []string{"QueryCapCrossed"}},
		{"lagBlind", toyLagBlind, []string{"IndexLagCaught"}},
		{"ignoresTimestamp", toyIgnoresTimestamp, []string{"WebhookTimestampsChecked"}},
		{"hidesAccessErrors", toyHidesAccessErrors, []string{"TestForbidden", "TestNotFound"}},
		{"acceptsForeignCursor", toyAcceptsForeignCursor, []string{"ForeignCursorRefused"}},
		{"liveFromStart", toyLiveFromStart, []string{"LanesLiveDuringBackfill"}},
		{"liveForgetsStart", toyLiveForgetsStart, []string{"LanesLiveDuringBackfill"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := toyHarness{flaw: tc.flaw}
			caps := h.Capabilities()
			var failed []string
			for _, r := range connectorRules() {
				rec := runConnRecorded(t, r, h, h.NewAccount(t, accountSize(caps)), caps)
				for _, m := range rec.errors {
					if !strings.HasPrefix(m, "rule: "+r.rule+": ") {
						t.Errorf("%s: failure message %q does not start with %q", r.name, m, "rule: "+r.rule+": ")
					}
				}
				if rec.skipped {
					t.Errorf("%s was skipped", r.name)
				}
				if len(rec.errors) > 0 {
					failed = append(failed, r.name)
					t.Logf("%s reported:\n\t%s", r.name, strings.Join(rec.errors, "\n\t"))
				}
			}
			slices.Sort(failed)
			want := slices.Sorted(slices.Values(tc.fail))
			if !slices.Equal(failed, want) {
				t.Errorf("failed rules = %q\nwant %q", failed, want)
			}
		})
	}
}

// TestConnectorRuleNames checks that rules have distinct names and texts.
func TestConnectorRuleNames(t *testing.T) {
	names, texts := map[string]bool{}, map[string]bool{}
	for _, r := range connectorRules() {
		if r.name == "" || r.rule == "" || names[r.name] || texts[r.rule] {
			t.Errorf("rule %q (%q): empty or repeated name or text", r.name, r.rule)
		}
		names[r.name], texts[r.rule] = true, true
	}
}

// connRecorder is a connT that records what a rule reports. Fatalf and
// Skipf end the calling goroutine, as they do for a *testing.T.
type connRecorder struct {
	ctx     context.Context
	mu      sync.Mutex
	errors  []string
	skipped bool
}

func (r *connRecorder) Helper()                  {}
func (r *connRecorder) Context() context.Context { return r.ctx }
func (r *connRecorder) Logf(string, ...any)      {}

func (r *connRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *connRecorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *connRecorder) Skipf(string, ...any) {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	runtime.Goexit()
}

func runConnRecorded(t *testing.T, r connRule, h Harness, acct Account, caps Capabilities) *connRecorder {
	rec := &connRecorder{ctx: t.Context()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(rec, t, h, acct, caps)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec
}

// toyFlaw is a way in which the toy connector breaks the contracts.
type toyFlaw int

const (
	toyCorrect              toyFlaw = iota
	toySkipsBoundary                // drops the first ticket of every page after the first
	toyAcceptsTampered              // VerifyWebhook accepts anything
	toyBlanksOnComment              // a ticket changed by a comment comes with only its comments, as newest
	toyLeaksToken                   // its errors quote the token
	toyRestartsOnBadCursor          // a cursor it cannot read means "from the start"
	toyInventsTickets               // GetTickets returns a live ticket for an id it does not have
	toyPagesPastCap                 // pages one query on past the platform's cap
	toyLagBlind                     // starts each run where the last ended, with no overlap
	toyIgnoresTimestamp             // VerifyWebhook checks the signature but not its timestamp's age
	toyHidesAccessErrors            // Test answers 403 and 404 as if the credentials were wrong
	toyAcceptsForeignCursor         // its cursors do not name the account
	toyLiveFromStart                // StartCursor ignores since: the live lane walks the history
	toyLiveForgetsStart             // a live lane's pass that read nothing starts the next from the configured start
)

const (
	toyPageSize = 5
	toyToken    = "toy-token-0123456789"
	toyROToken  = "toy-read-only-token-0123456789"
	toyTSHead   = "X-Toy-Timestamp"
	toyBadToken = "toy-wrong-token-9876543210"
	toySecret   = "toy-webhook-secret"
	toySigHead  = "X-Toy-Signature"
)

// toyHarness is a Harness over toyAccount, a platform kept in memory.
type toyHarness struct{ flaw toyFlaw }

func (h toyHarness) Capabilities() Capabilities {
	return Capabilities{Platform: "toy", PageSize: toyPageSize,
		Fields: []string{"Subject", "Status", "UpdatedAt"}, Webhooks: true, DeletesByPoll: true, CursorChecks: true}
}

func (h toyHarness) NewAccount(tb testing.TB, n int) Account {
	a := &toyAccount{flaw: h.flaw, tickets: map[int]*toyTicket{}, id: toyAccounts.Add(1)}
	for range n {
		if _, err := a.CreateTicket(); err != nil {
			tb.Fatal(err)
		}
	}
	return a
}

type toyTicket struct {
	id       int
	subject  string
	status   ticketsync.Status
	updated  int // logical clock
	deleted  bool
	comments []ticketsync.Comment
	byNote   bool // last change was a comment
	hidden   bool // the last change is not visible to Fetch yet (index lag)
}

// toyAccount is the toy platform: tickets changed at a logical clock.
type toyAccount struct {
	flaw toyFlaw

	id int64 // tells accounts apart in cursors

	mu       sync.Mutex
	clock    int
	nextID   int
	tickets  map[int]*toyTicket
	faults   []int
	queryCap int // results one query may return; 0 is no cap
}

var toyAccounts atomic.Int64

var toyEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func (a *toyAccount) tick() int { a.clock++; return a.clock }

func (a *toyAccount) NewConnector(valid bool) (ticketsync.Connector, error) {
	token := toyToken
	if !valid {
		token = toyBadToken
	}
	return &toyConn{a: a, token: token}, nil
}

func (a *toyAccount) CreateTicket() (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nextID++
	t := &toyTicket{id: a.nextID, subject: fmt.Sprintf("ticket %d", a.nextID), status: ticketsync.StatusOpen, updated: a.tick()}
	t.comments = []ticketsync.Comment{{ID: fmt.Sprintf("c%d-1", t.id), Body: "first", Public: true, CreatedAt: toyEpoch.Add(time.Duration(t.updated) * time.Second)}}
	a.tickets[t.id] = t
	return strconv.Itoa(t.id), nil
}

func (a *toyAccount) get(id string) (*toyTicket, error) {
	n, _ := strconv.Atoi(id)
	t, ok := a.tickets[n]
	if !ok || t.deleted {
		return nil, fmt.Errorf("toy: ticket %s: %w", id, ticketsync.ErrNotFound)
	}
	return t, nil
}

func (a *toyAccount) UpdateTicket(id string) error { return a.update(id, false) }

// UpdateTicketLate implements LaggedUpdater.
func (a *toyAccount) UpdateTicketLate(id string) error { return a.update(id, true) }

func (a *toyAccount) update(id string, hidden bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, err := a.get(id)
	if err != nil {
		return err
	}
	t.subject += " (updated)"
	t.status = ticketsync.StatusPending
	t.updated, t.byNote, t.hidden = a.tick(), false, hidden
	return nil
}

// CapQuery implements QueryCapper.
func (a *toyAccount) CapQuery(results int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.queryCap = results
}

// Now implements TimedWebhooks and Clocked: the toy's clock is its logical
// clock, in seconds after toyEpoch.
func (a *toyAccount) Now() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return toyEpoch.Add(time.Duration(a.clock) * time.Second)
}

// Advance implements Clocked.
func (a *toyAccount) Advance(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.clock += int((d + time.Second - 1) / time.Second)
}

// NewForbiddenConnector implements ForbiddenConnectors.
func (a *toyAccount) NewForbiddenConnector() (ticketsync.Connector, error) {
	return &toyConn{a: a, token: toyROToken}, nil
}

// NewMissingAccountConnector implements MissingAccountConnectors.
func (a *toyAccount) NewMissingAccountConnector() (ticketsync.Connector, error) {
	return &toyConn{a: a, token: toyToken, missing: true}, nil
}

func (a *toyAccount) DeleteTicket(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, err := a.get(id)
	if err != nil {
		return err
	}
	t.deleted, t.updated, t.byNote = true, a.tick(), false
	return nil
}

func (a *toyAccount) AddComment(id string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, err := a.get(id)
	if err != nil {
		return "", err
	}
	t.updated, t.byNote = a.tick(), true
	c := ticketsync.Comment{ID: fmt.Sprintf("c%d-%d", t.id, len(t.comments)+1), Body: "more", Public: true,
		CreatedAt: toyEpoch.Add(time.Duration(t.updated) * time.Second)}
	t.comments = append(t.comments, c)
	return c.ID, nil
}

func (a *toyAccount) Settle() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, t := range a.tickets {
		t.hidden = false
	}
}

func (a *toyAccount) InjectFault(status, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for range n {
		a.faults = append(a.faults, status)
	}
}

// toyBodyFaults counts the body faults the toy accounts took, for
// TestRunSoak.
var toyBodyFaults atomic.Int64

// InjectBodyFault: the toy has no bodies to break, so a broken body is the
// error a connector makes of one, a 502 (Truncated, HTMLPage) or a 429.
func (a *toyAccount) InjectBodyFault(kind BodyFault, n int) bool {
	status := http.StatusBadGateway
	switch kind {
	case Truncated, HTMLPage:
	case RateLimitedNoRetryAfter:
		status = http.StatusTooManyRequests
	default:
		return false
	}
	a.InjectFault(status, n)
	toyBodyFaults.Add(int64(n))
	return true
}

func (a *toyAccount) Secrets() []string {
	return []string{toyToken, toyBadToken, toySecret, toyROToken}
}

func (t *toyTicket) ticket() ticketsync.Ticket {
	return ticketsync.Ticket{Platform: "toy", ID: strconv.Itoa(t.id), Subject: t.subject, Status: t.status,
		UpdatedAt: toyEpoch.Add(time.Duration(t.updated) * time.Second), Deleted: t.deleted, Comments: slices.Clone(t.comments)}
}

func (a *toyAccount) Want() ([]ticketsync.Ticket, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []ticketsync.Ticket
	for _, t := range a.tickets {
		out = append(out, t.ticket())
	}
	sort.Slice(out, func(i, j int) bool { n, _ := strconv.Atoi(out[i].ID); m, _ := strconv.Atoi(out[j].ID); return n < m })
	return out, nil
}

// toyVerifier signs the toy's deliveries: hex HMAC-SHA256 of
// timestamp "." body.
var toyVerifier = webhooksig.Verifier{Algorithm: webhooksig.HMACSHA256, Encoding: webhooksig.Hex, Secrets: []string{toySecret}}

func toySign(ts string, body []byte) string {
	return toyVerifier.Sign(toySecret, webhooksig.Message(ts, ".", string(body)))
}

func (a *toyAccount) Webhook(target string, kind ticketsync.EventKind, id string, tampered bool) (*http.Request, error) {
	return a.webhook(target, kind, id, tampered, a.Now())
}

// WebhookAt implements TimedWebhooks.
func (a *toyAccount) WebhookAt(target string, kind ticketsync.EventKind, id string, at time.Time) (*http.Request, error) {
	return a.webhook(target, kind, id, false, at)
}

func (a *toyAccount) webhook(target string, kind ticketsync.EventKind, id string, tampered bool, at time.Time) (*http.Request, error) {
	body, _ := json.Marshal(map[string]string{"id": id, "kind": string(kind)})
	ts := strconv.FormatInt(at.Unix(), 10)
	sig := toySign(ts, body)
	if tampered {
		body = bytes.Replace(body, []byte(id), []byte(id+"0"), 1)
	}
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set(toySigHead, sig)
	req.Header.Set(toyTSHead, ts)
	return req, nil
}

// toyConn is the toy platform's connector: pages ordered by (updated, id).
type toyConn struct {
	a       *toyAccount
	token   string
	missing bool // configured for an account that does not exist
}

func (c *toyConn) Platform() string { return "toy" }

// String keeps the token out of prints, unless the connector leaks it.
func (c *toyConn) String() string {
	if c.a.flaw == toyLeaksToken {
		return "toyConn{token: " + c.token + "}"
	}
	return "toyConn{}"
}

// GoString is String, for %#v.
func (c *toyConn) GoString() string { return c.String() }

// call is one request: it fails with an injected fault or wrong credentials.
func (c *toyConn) call(what string) error {
	c.a.mu.Lock()
	defer c.a.mu.Unlock()
	if len(c.a.faults) > 0 {
		status := c.a.faults[0]
		c.a.faults = c.a.faults[1:]
		return &ticketsync.APIError{Platform: "toy", StatusCode: status, Path: what}
	}
	if c.a.flaw == toyHidesAccessErrors && (c.missing || c.token == toyROToken) {
		return &ticketsync.APIError{Platform: "toy", StatusCode: http.StatusUnauthorized, Path: what}
	}
	if c.missing {
		return &ticketsync.APIError{Platform: "toy", StatusCode: http.StatusNotFound, Path: what, Message: "no such account"}
	}
	if c.token == toyROToken {
		return &ticketsync.APIError{Platform: "toy", StatusCode: http.StatusForbidden, Path: what, Message: "the token lacks the tickets scope"}
	}
	if c.token != toyToken {
		err := &ticketsync.APIError{Platform: "toy", StatusCode: http.StatusUnauthorized, Path: what}
		if c.a.flaw == toyLeaksToken {
			return fmt.Errorf("toy: %s with token %s: %w", what, c.token, err)
		}
		return err
	}
	return nil
}

func (c *toyConn) Test(ctx context.Context) error { return c.call("/me") }

// toyPolicy is the toy platform's changed-since query: ascending by
// change time, each page a new query, ties read by id, and an overlap for
// its index lag.
var toyPolicy = incremental.Policy{Ordered: true, MaxPages: 1, TieBreak: true, Overlap: 3 * time.Second}

type toyCursor struct {
	W incremental.Window `json:"w"`
	// Since is where a live lane's cursor starts (StartCursor): its
	// window's passes never go back before it, as they never go back
	// before the configured start.
	Since time.Time `json:"s,omitzero"`
}

func (c *toyConn) codec() incremental.Codec {
	cd := incremental.Codec{Connector: "toy", Version: 1, Fingerprint: strconv.FormatInt(c.a.id, 10)}
	if c.a.flaw == toyAcceptsForeignCursor {
		cd.Fingerprint = ""
	}
	return cd
}

// query answers one page of a changed-since query as the toy platform
// does: a page offset in q.Page, refused past the query cap.
func (a *toyAccount) query(q incremental.Query) ([]*toyTicket, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var list []*toyTicket
	after, _ := strconv.Atoi(q.AfterID)
	for _, t := range a.tickets {
		at := toyEpoch.Add(time.Duration(t.updated) * time.Second)
		switch {
		case t.hidden:
		case q.Tie && at.Equal(q.TieAt) && t.id > after:
			list = append(list, t)
		case !q.Tie && !at.Before(q.From):
			list = append(list, t)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].updated < list[j].updated || list[i].updated == list[j].updated && list[i].id < list[j].id
	})
	offset, _ := strconv.Atoi(q.Page)
	if a.queryCap > 0 && offset+toyPageSize > a.queryCap {
		return nil, "", &ticketsync.APIError{Platform: "toy", StatusCode: http.StatusBadRequest, Path: "/tickets/search",
			Message: fmt.Sprintf("a query returns at most %d results", a.queryCap)}
	}
	list = list[min(offset, len(list)):]
	next := ""
	if len(list) > toyPageSize {
		list, next = list[:toyPageSize], strconv.Itoa(offset+toyPageSize)
	}
	return list, next, nil
}

func (c *toyConn) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	if err := c.call("/tickets"); err != nil {
		return ticketsync.Page{}, err
	}
	var cur toyCursor
	if err := c.codec().Decode(cursor, &cur); err != nil {
		if c.a.flaw != toyRestartsOnBadCursor {
			return ticketsync.Page{}, fmt.Errorf("toy: fetch: %w", err)
		}
		cur = toyCursor{}
	}
	policy := toyPolicy
	if c.a.flaw != toyLiveForgetsStart {
		policy.Start = cur.Since
	}
	switch c.a.flaw {
	case toyPagesPastCap:
		policy.MaxPages = 0
	case toyLagBlind:
		policy.Overlap = 0
	}
	q := cur.W.Query(policy)
	list, next, err := c.a.query(q)
	if err != nil {
		return ticketsync.Page{}, fmt.Errorf("toy: fetch: %w", err)
	}
	var page ticketsync.Page
	skip := cursor != "" && c.a.flaw == toySkipsBoundary
	c.a.mu.Lock()
	for _, t := range list {
		tk := t.ticket()
		if !cur.W.Observe(tk.ID, tk.UpdatedAt) {
			continue
		}
		if skip {
			skip = false
			continue
		}
		if t.byNote && c.a.flaw == toyBlanksOnComment {
			tk = ticketsync.Ticket{ID: tk.ID, UpdatedAt: tk.UpdatedAt, Comments: tk.Comments[len(tk.Comments)-1:]}
		}
		page.Tickets = append(page.Tickets, tk)
	}
	c.a.mu.Unlock()
	if page.More, err = cur.W.Next(policy, next); err != nil {
		return ticketsync.Page{}, fmt.Errorf("toy: fetch: %w", err)
	}
	page.Cursor = c.codec().Encode(cur)
	return page, nil
}

// StartCursor implements ticketsync.LaneStarter: a window whose first
// query starts at since.
func (c *toyConn) StartCursor(since time.Time) (string, error) {
	cur := toyCursor{Since: since.UTC()}
	if c.a.flaw == toyLiveFromStart {
		cur.Since = time.Time{}
	}
	return c.codec().Encode(cur), nil
}

func (c *toyConn) VerifyWebhook(r *http.Request, body []byte) error {
	if c.a.flaw == toyAcceptsTampered {
		return nil
	}
	ts := r.Header.Get(toyTSHead)
	if c.a.flaw != toyIgnoresTimestamp {
		at, err := webhooksig.ParseUnix(ts)
		if err != nil {
			return fmt.Errorf("toy: %w", err)
		}
		if err := webhooksig.CheckTimestamp(at, c.a.Now(), 5*time.Minute); err != nil {
			return fmt.Errorf("toy: %w", err)
		}
	}
	if err := toyVerifier.Verify(webhooksig.Message(ts, ".", string(body)), r.Header.Get(toySigHead)); err != nil {
		return fmt.Errorf("toy: %w", err)
	}
	return nil
}

func (c *toyConn) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	var m map[string]string
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("toy: not JSON")
	}
	return []ticketsync.Event{{Kind: ticketsync.EventKind(m["kind"]), TicketID: m["id"]}}, nil
}

func (c *toyConn) GetTickets(ctx context.Context, ids []string) ([]ticketsync.Ticket, error) {
	if err := c.call("/tickets/show"); err != nil {
		return nil, err
	}
	c.a.mu.Lock()
	defer c.a.mu.Unlock()
	var out []ticketsync.Ticket
	for _, id := range ids {
		if t, err := c.a.get(id); err == nil {
			out = append(out, t.ticket())
		} else if c.a.flaw == toyInventsTickets {
			out = append(out, ticketsync.Ticket{ID: id, Subject: "?"})
		}
	}
	return out, nil
}
