package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/webhookpush"
	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// syncedZendesk adds the fake account as "acme", polls it once, and
// returns the id of one of its tickets, now in the Store.
func (e *env) syncedZendesk() int64 {
	e.t.Helper()
	e.addZendesk("acme", ticketsync.ModePoll)
	if _, err := e.syncer.SyncNow(context.Background(), "acme"); err != nil {
		e.t.Fatal(err)
	}
	id := e.fake.Tickets()[0].ID
	if _, err := e.store.Ticket(context.Background(), "acme", strconv.FormatInt(id, 10)); err != nil {
		e.t.Fatalf("ticket %d not stored by the first sync: %v", id, err)
	}
	return id
}

// explain opens the explanation of ticket on connector.
func (e *env) explain(connector, ticket string) response {
	e.t.Helper()
	return e.get("/connectors/" + url.PathEscape(connector) + "/explain?" + url.Values{"ticket": {ticket}}.Encode())
}

// mustContain fails the test for each of wants that body lacks.
func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
	if t.Failed() {
		t.Logf("%s:\n%s", what, body)
	}
}

const repairAction = `action="/admin/support/connectors/acme/repair"`

func TestConnectorPageHasTheExplainBox(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("acme", ticketsync.ModePoll)
	r := e.get("/connectors/acme")
	mustContain(t, "connector page", r.body,
		`<form method="get" action="/admin/support/connectors/acme/explain"`,
		`<label for="explain-ticket">Ticket id</label>`, `name="ticket"`, "Why is a ticket missing or stale?")

	// A connector that is only history cannot be explained: no box.
	run := ticketsync.SyncRun{ID: "r1", ConnectorID: "gone", Trigger: ticketsync.TriggerPoll, Status: ticketsync.RunSucceeded,
		StartedAt: time.Now().Add(-time.Hour), FinishedAt: time.Now().Add(-time.Hour), Attempt: 1}
	if err := e.store.SaveSyncRun(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	if r := e.get("/connectors/gone"); r.status != http.StatusOK || strings.Contains(r.body, "/explain") {
		t.Errorf("the page of a removed connector: %d, with an explain box: %v", r.status, strings.Contains(r.body, "/explain"))
	}
	if r := e.explain("gone", "1"); r.status != http.StatusNotFound {
		t.Errorf("explain on a removed connector: %d", r.status)
	}
}

func TestExplainInSync(t *testing.T) {
	e := newEnv(t, nil)
	id := e.syncedZendesk()
	r := e.explain("acme", strconv.FormatInt(id, 10))
	if r.status != http.StatusOK {
		t.Fatalf("explain: %d %s", r.status, r.body)
	}
	mustContain(t, "in-sync explanation", r.body,
		"Why is ticket "+strconv.FormatInt(id, 10)+" missing or stale?",
		`class="conclusion conclusion-ok"`, "in sync: the Store has the platform",
		"None: the Store's copy is the platform's.",
		"Read up to ", // the live cursor's checkpoint
		`<span class="state state-succeeded">succeeded</span>`,
		"No webhook delivery naming this ticket",
	)
	if strings.Contains(r.body, repairAction) {
		t.Error("a ticket in sync is offered a repair")
	}
}

func TestExplainStoreBehindWithAFailingRun(t *testing.T) {
	e := newEnv(t, nil)
	id := e.syncedZendesk()
	if _, err := e.fake.UpdateTicket(id, func(tk *zendesktest.Ticket) { tk.Subject = "Printer still on fire" }); err != nil {
		t.Fatal(err)
	}
	e.fake.SetRole("agent") // the exports answer 403; show_many still works
	if _, err := e.syncer.SyncNow(context.Background(), "acme"); err == nil {
		t.Fatal("the sync as an agent succeeded")
	}
	r := e.explain("acme", strconv.FormatInt(id, 10))
	if r.status != http.StatusOK {
		t.Fatalf("explain: %d %s", r.status, r.body)
	}
	mustContain(t, "store-behind explanation", r.body,
		`class="conclusion conclusion-bad"`, "store-behind", "the Store is behind", "run failed",
		`<th scope="row" data-label="Field">Subject</th><td data-label="On the platform">Printer still on fire</td>`,
		"Yes: no poll has read its last change yet",
		`<span class="state state-failed">failed</span>`, "403",
		repairAction, "Repair: store the platform's copy now",
	)
	// Explaining changed nothing.
	st, err := e.store.Ticket(context.Background(), "acme", strconv.FormatInt(id, 10))
	if err != nil || st.Subject == "Printer still on fire" {
		t.Fatalf("the explanation changed the Store: %q %v", st.Subject, err)
	}
}

func TestExplainOnlyInTheStoreAndRepairIt(t *testing.T) {
	e := newEnv(t, nil)
	id := e.syncedZendesk()
	ticket := strconv.FormatInt(id, 10)
	if err := e.fake.DeleteTicket(id); err != nil {
		t.Fatal(err)
	}
	r := e.explain("acme", ticket)
	mustContain(t, "only-in-store explanation", r.body,
		"only-in-store", "only in the Store", "The platform has no such ticket", repairAction)

	r = e.follow(e.post("/connectors/acme/repair", url.Values{"ticket": {ticket}}))
	mustContain(t, "page after the repair", r.body,
		"the Store&#39;s copy is marked deleted", `class="conclusion conclusion-ok"`, "the Store holds its tombstone")
	st, err := e.store.Ticket(context.Background(), "acme", ticket)
	if err != nil || !st.Deleted {
		t.Fatalf("after the repair the Store holds %+v, %v; want a tombstone", st, err)
	}
}

func TestExplainNotFound(t *testing.T) {
	e := newEnv(t, nil)
	e.syncedZendesk()
	r := e.explain("acme", "987654321")
	if r.status != http.StatusOK {
		t.Fatalf("explain: %d %s", r.status, r.body)
	}
	mustContain(t, "not-found explanation", r.body,
		"not-found", "neither the platform nor the Store has this ticket",
		"The platform has no such ticket", "The Store has no such ticket.")
	if strings.Contains(r.body, repairAction) {
		t.Error("a ticket nobody has is offered a repair")
	}
}

func TestExplainRefusesBadRequests(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("acme", ticketsync.ModePoll)
	for _, c := range []struct {
		ticket string
		want   string
	}{
		{"", "Enter the id of a ticket"},
		{"   ", "Enter the id of a ticket"},
		{"12\x003", "This cannot be a ticket id"},
		{strings.Repeat("7", ticketsync.MaxIDLen+1), "This cannot be a ticket id"},
	} {
		r := e.explain("acme", c.ticket)
		if r.status != http.StatusBadRequest {
			t.Errorf("ticket %q: %d, want 400", c.ticket, r.status)
		}
		mustContain(t, "refusal of "+strconv.Quote(c.ticket), r.body, c.want, `id="form-error"`, `aria-invalid="true"`)
		r = e.post("/connectors/acme/repair", url.Values{"ticket": {c.ticket}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, c.want) {
			t.Errorf("repair of ticket %q: %d, want 400 with %q", c.ticket, r.status, c.want)
		}
	}
	for _, p := range []string{"/connectors/nobody/explain?ticket=1"} {
		if r := e.get(p); r.status != http.StatusNotFound || !strings.Contains(r.body, "There is no connector") {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	if r := e.post("/connectors/nobody/repair", url.Values{"ticket": {"1"}}); r.status != http.StatusNotFound {
		t.Errorf("repair on an unknown connector: %d", r.status)
	}
}

func TestExplainWithoutTicketGetter(t *testing.T) {
	e := newEnv(t, nil)
	push, err := webhookpush.New(webhookpush.Config{Platform: "internal-desk", BearerTokens: []string{"push-token-do-not-show"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.syncer.Add("pushed", push, ticketsync.ModeWebhook); err != nil {
		t.Fatal(err)
	}
	r := e.explain("pushed", "T-1")
	if r.status != http.StatusOK {
		t.Fatalf("explain: %d %s", r.status, r.body)
	}
	mustContain(t, "explanation without a TicketGetter", r.body,
		"unknown", "cannot compare", "Not asked: internal-desk connector cannot load tickets by id",
		"None: this connector does not poll.")
	if strings.Contains(r.body, "/repair") {
		t.Error("a connector that cannot load tickets is offered a repair")
	}
	r = e.post("/connectors/pushed/repair", url.Values{"ticket": {"T-1"}})
	if r.status != http.StatusConflict {
		t.Errorf("repair without a TicketGetter: %d, want 409", r.status)
	}
	mustContain(t, "failed repair", r.body, `id="form-error"`, "Not repaired:", "cannot load tickets by id")
}

func TestExplainPlatformError(t *testing.T) {
	e := newEnv(t, nil)
	const wrong = "wrong-token-never-shown"
	zd, err := zendesk.New(zendesk.Config{BaseURL: e.fake.URL, Email: e.fake.Email, APIToken: wrong,
		ExportRequestsPerMinute: -1, RequestsPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.syncer.Add("acme", zd, ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}
	ticket := strconv.FormatInt(e.fake.Tickets()[0].ID, 10)
	r := e.explain("acme", ticket)
	if r.status != http.StatusOK {
		t.Fatalf("explain: %d %s", r.status, r.body)
	}
	mustContain(t, "explanation with a platform error", r.body,
		"cannot compare", "The platform could not be asked:", "401", repairAction)
	r = e.post("/connectors/acme/repair", url.Values{"ticket": {ticket}})
	if r.status != http.StatusBadGateway {
		t.Errorf("repair against a platform that refuses: %d, want 502", r.status)
	}
	mustContain(t, "failed repair", r.body, "Not repaired:", "401")
	for _, body := range []string{r.body, e.explain("acme", ticket).body} {
		if strings.Contains(body, wrong) {
			t.Fatal("the page shows the token")
		}
	}
	if n := e.store.Len("acme"); n != 0 {
		t.Fatalf("a failed repair stored %d tickets", n)
	}
}

func TestRepairStoresThePlatformsCopy(t *testing.T) {
	e := newEnv(t, nil)
	id := e.syncedZendesk()
	ticket := strconv.FormatInt(id, 10)
	if _, err := e.fake.UpdateTicket(id, func(tk *zendesktest.Ticket) { tk.Subject = "Printer still on fire" }); err != nil {
		t.Fatal(err)
	}
	subject := func() string {
		st, err := e.store.Ticket(context.Background(), "acme", ticket)
		if err != nil {
			t.Fatal(err)
		}
		return st.Subject
	}
	before := subject()

	// Never on a GET, nor from another origin.
	if r := e.get("/connectors/acme/repair?ticket=" + ticket); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET repair: %d, want 405", r.status)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+prefix+"/connectors/acme/repair", strings.NewReader(url.Values{"ticket": {ticket}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := e.do(req); r.status != http.StatusForbidden {
		t.Errorf("cross-origin repair: %d, want 403", r.status)
	}
	if got := subject(); got != before {
		t.Fatalf("a refused repair changed the Store: %q", got)
	}

	r := e.post("/connectors/acme/repair", url.Values{"ticket": {ticket}})
	if want := prefix + "/connectors/acme/explain?done=repaired&ticket=" + ticket; r.status != http.StatusSeeOther || r.header.Get("Location") != want {
		t.Fatalf("repair: %d to %q, want 303 to %q", r.status, r.header.Get("Location"), want)
	}
	if got := subject(); got != "Printer still on fire" {
		t.Fatalf("after the repair the Store has %q", got)
	}
	page := e.follow(r)
	mustContain(t, "page after the repair", page.body,
		"Repaired: the platform&#39;s copy is stored.", `class="conclusion conclusion-ok"`, "in sync")
}

func TestExplainShowsTheWebhookSighting(t *testing.T) {
	e := newEnv(t, nil)
	e.addZendesk("acme", ticketsync.ModeBoth)
	id := e.fake.Tickets()[0].ID
	if _, err := e.fake.UpdateTicket(id, func(tk *zendesktest.Ticket) { tk.Status = "pending" }); err != nil {
		t.Fatal(err)
	}
	body, err := e.fake.EventPayload("ticket.status_changed", id)
	if err != nil {
		t.Fatal(err)
	}
	req, err := e.fake.SignedWebhook("http://support.example.com/api/webhooks/tickets?connectorId=acme", "whsec-do-not-show", body)
	if err != nil {
		t.Fatal(err)
	}
	var signature []string
	for k, v := range req.Header {
		if strings.HasSuffix(strings.ToLower(k), "signature") { // not its timestamp
			signature = append(signature, v...)
		}
	}
	if len(signature) == 0 {
		t.Fatalf("no signature header in %v", req.Header)
	}
	rec := httptest.NewRecorder()
	e.syncer.WebhookHandler().ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		t.Fatalf("webhook delivery: %d %s", rec.Code, rec.Body)
	}
	r := e.explain("acme", strconv.FormatInt(id, 10))
	mustContain(t, "explanation after a webhook", r.body,
		"The latest delivery naming this ticket, <code>", "and was stored.", `class="conclusion conclusion-ok"`)
	for _, s := range append(signature, "whsec-do-not-show", e.fake.Token) {
		if strings.Contains(r.body, s) {
			t.Errorf("the explanation shows the secret or signature %q", s)
		}
	}
}

// TestExplainPrintsTimesAsTheConsoleDoes: the conclusion's times read as
// the rest of the console's ("2006-01-02 15:04:05 UTC"), and the next run
// of a Syncer whose Run is not running is said not to be scheduled.
func TestExplainPrintsTimesAsTheConsoleDoes(t *testing.T) {
	e := newEnv(t, nil)
	id := e.syncedZendesk()
	if _, err := e.fake.UpdateTicket(id, func(tk *zendesktest.Ticket) { tk.Subject = "Printer still on fire" }); err != nil {
		t.Fatal(err)
	}
	r := e.explain("acme", strconv.FormatInt(id, 10))
	if r.status != http.StatusOK {
		t.Fatalf("explain: %d %s", r.status, r.body)
	}
	m := regexp.MustCompile(`(?s)<p class="conclusion[^>]*>(.*?)</p>`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no conclusion:\n%s", r.body)
	}
	conclusion := m[1]
	if !regexp.MustCompile(`the platform updated it at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC`).MatchString(conclusion) {
		t.Errorf("the conclusion does not print its times as the console does: %s", conclusion)
	}
	if regexp.MustCompile(`\d\d:\d\dZ|\dT\d`).MatchString(conclusion) {
		t.Errorf("the conclusion prints an RFC 3339 time: %s", conclusion)
	}
	mustContain(t, "explanation", r.body, "Next poll not scheduled: the syncer is not running.")
	if strings.Contains(r.body, "due now") {
		t.Errorf("the explanation says a run is due now while the Syncer is not running:\n%s", r.body)
	}
}
