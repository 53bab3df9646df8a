package jira_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/jira"
	"github.com/ticketsync/ticketsync/jira/jiratest"
	"github.com/ticketsync/ticketsync/ticketsynctest"
)

// TestConnectorKit runs the conformance kit against the fake.
func TestConnectorKit(t *testing.T) {
	ticketsynctest.RunConnectorTests(t, harness{})
}

// harness is the Jira ticketsynctest.Harness over jiratest. Its accounts
// have a search index lag, JSM request types and participants, internal
// notes, customers with hidden emails and issues with more comments than
// search returns.
type harness struct{}

const (
	kitPageSize  = 20
	kitLag       = 5 * time.Minute // the longest index lag of the accounts
	kitPromptLag = 0               // the usual one: other changes show at once
	kitSecret    = "kit-webhook-secret-0123"
	kitBadToken  = "ATATT-wrong-token-9876543210"
	kitDevToken  = "ATATT-developer-token-5555"
)

func (harness) Capabilities() ticketsynctest.Capabilities {
	return ticketsynctest.Capabilities{
		Platform: "jira",
		PageSize: kitPageSize,
		Fields: []string{"URL", "Subject", "Description", "Status", "RawStatus", "Priority", "RawPriority",
			"Requester", "Assignee", "Tags", "Fields", "CreatedAt", "UpdatedAt"},
		Webhooks:      true,
		DeletesByPoll: false, // Jira's search never shows deleted issues
		CursorChecks:  true,
	}
}

func (harness) NewAccount(tb testing.TB, n int) ticketsynctest.Account {
	return newAccount(tb, n, 0)
}

// NewRateLimitedAccount is NewAccount on a fake that answers 429 past
// jira.DefaultRequestsPerMinute a minute, and connectors that keep to
// their default pace on the fake's clock. Atlassian publishes no request
// rate for API tokens, so the fake holds the connector to the pace its
// documentation promises: the lanes of one connector must share it.
func (harness) NewRateLimitedAccount(tb testing.TB, n int) ticketsynctest.Account {
	return newAccount(tb, n, jira.DefaultRequestsPerMinute)
}

// newAccount makes an account of n issues whose fake allows perMinute
// requests a minute (no limit when zero), to which its connectors then
// keep.
func newAccount(tb testing.TB, n, perMinute int) *account {
	f := jiratest.NewServer(tb, &jiratest.Options{IndexLag: kitPromptLag, SearchComments: 3, RateLimit: perMinute})
	a := &account{f: f, paced: perMinute > 0}
	a.customer = f.AddUser(jiratest.User{DisplayName: "Carla Customer", Email: "carla@example.com", Customer: true})
	a.hidden = f.AddUser(jiratest.User{DisplayName: "Hans Hidden", Email: "hans@example.com", Customer: true, HideEmail: true})
	for range n {
		if _, err := a.CreateTicket(); err != nil {
			tb.Fatal(err)
		}
	}
	a.Settle()
	return a
}

type account struct {
	f                *jiratest.Server
	customer, hidden string
	// paced: the fake enforces a rate limit, and the connectors keep to
	// their default pace.
	paced bool
	mu    sync.Mutex
	n     int
}

func (a *account) NewConnector(valid bool) (ticketsync.Connector, error) {
	token := a.f.Token()
	if !valid {
		token = kitBadToken
	}
	cfg := jira.Config{
		BaseURL: a.f.URL, Email: a.f.Email(), APIToken: token,
		PageSize: kitPageSize, RequestsPerMinute: -1, SearchLag: 2 * kitLag,
		WebhookSecret: kitSecret,
	}
	if a.paced {
		cfg.RequestsPerMinute = 0 // the default
	}
	return jira.NewWithClock(cfg, a.f.Now, a.f.Sleep)
}

// Now is the fake's clock, on which the connectors pace themselves and
// wait.
func (a *account) Now() time.Time { return a.f.Now() }

// Advance moves the fake's clock forward.
func (a *account) Advance(d time.Duration) { a.f.Advance(d) }

// Throttled counts the answers 429 in the fake's request log that its
// rate limit gave, not its injected faults.
func (a *account) Throttled() int {
	return a.f.Throttled()
}

var (
	kitStatuses   = []string{"Waiting for support", "In Progress", "Waiting for customer", "Resolved", "Closed", "Canceled", "To Do", "Escalated"}
	kitPriorities = []string{"Highest", "High", "Medium", "Low", "Lowest", ""}
)

func (a *account) CreateTicket() (string, error) {
	a.mu.Lock()
	i := a.n
	a.n++
	a.mu.Unlock()
	in := jiratest.Issue{
		Summary:     fmt.Sprintf("Ticket %d", i),
		Description: jiratest.Doc(fmt.Sprintf("Body of ticket %d", i), "Second paragraph"),
		Status:      kitStatuses[i%len(kitStatuses)],
		Priority:    kitPriorities[i%len(kitPriorities)],
		Reporter:    []string{a.customer, a.hidden}[i%2],
		Labels:      []string{"kit", fmt.Sprintf("n%d", i%3)},
		Comments:    []jiratest.Comment{{Body: jiratest.Doc(fmt.Sprintf("First reply on %d", i)), Public: true}},
	}
	if i%4 != 0 {
		in.Assignee = jiratest.DefaultAccountID
	}
	if i%3 != 0 {
		in.RequestType = "Get IT help"
		in.Participants = []string{a.hidden}
	}
	is := a.f.CreateIssue(in)
	if i%7 == 3 {
		// More comments than search embeds, some of them internal.
		for j := range 5 {
			a.f.AddComment(is.ID, jiratest.Comment{Body: jiratest.Doc(fmt.Sprintf("Note %d", j)), Public: j%2 == 0})
		}
	}
	a.f.Advance(13 * time.Second) // several issues a minute
	return strconv.FormatInt(is.ID, 10), nil
}

func parseID(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

func (a *account) UpdateTicket(id string) error {
	if !a.f.UpdateIssue(parseID(id), func(is *jiratest.Issue) { is.Summary += " (updated)"; is.Status = "Waiting for customer" }) {
		return fmt.Errorf("no issue %s", id)
	}
	a.f.Advance(time.Second)
	return nil
}

// UpdateTicketLate changes a ticket as UpdateTicket does, with the index
// showing the change only after kitLag; later changes show after
// kitPromptLag.
func (a *account) UpdateTicketLate(id string) error {
	a.f.SetIndexLag(kitLag)
	defer a.f.SetIndexLag(kitPromptLag)
	err := a.UpdateTicket(id)
	// Past the minute a JQL date literal rounds to, so that only the
	// connector's overlap can find the change.
	a.f.Advance(2 * time.Minute)
	return err
}

// NewForbiddenConnector returns a connector for an agent who may browse
// only the software project: no service desk.
func (a *account) NewForbiddenConnector() (ticketsync.Connector, error) {
	a.f.AddAgent(jiratest.User{DisplayName: "Dev Only", Email: "dev@acme.example"}, kitDevToken, "DEV")
	return jira.NewWithClock(jira.Config{BaseURL: a.f.URL, Email: "dev@acme.example", APIToken: kitDevToken,
		RequestsPerMinute: -1, WebhookSecret: kitSecret}, a.f.Now, a.f.Sleep)
}

// NewMissingAccountConnector returns a connector for an address where no
// Jira site answers.
func (a *account) NewMissingAccountConnector() (ticketsync.Connector, error) {
	return jira.NewWithClock(jira.Config{BaseURL: a.f.URL + "/no-such-site", Email: a.f.Email(), APIToken: a.f.Token(),
		RequestsPerMinute: -1, WebhookSecret: kitSecret}, a.f.Now, a.f.Sleep)
}

func (a *account) DeleteTicket(id string) error {
	if !a.f.DeleteIssue(parseID(id)) {
		return fmt.Errorf("no issue %s", id)
	}
	a.f.Advance(time.Second)
	return nil
}

func (a *account) AddComment(id string) (string, error) {
	cid := a.f.AddComment(parseID(id), jiratest.Comment{Author: a.customer, Body: jiratest.Doc("A later reply"), Public: true})
	if cid == 0 {
		return "", fmt.Errorf("no issue %s", id)
	}
	a.f.Advance(time.Second)
	return strconv.FormatInt(cid, 10), nil
}

func (a *account) Settle() { a.f.Advance(kitLag + time.Second) }

// wantStatus is what the package documentation promises for the fake's
// workflow, written out rather than computed.
var wantStatus = map[string]ticketsync.Status{
	"Waiting for support": "open", "In Progress": "open", "Waiting for customer": "pending", "Resolved": "solved",
	"Closed": "closed", "Canceled": "closed", "To Do": "new", "Escalated": "open", "Open": "open", "Done": "solved",
}

var wantPriority = map[string]ticketsync.Priority{"Highest": "urgent", "High": "high", "Medium": "normal", "Low": "low", "Lowest": "low"}

// Want maps the fake's state on its own.
func (a *account) Want() ([]ticketsync.Ticket, error) {
	var out []ticketsync.Ticket
	for _, id := range a.f.IssueIDs() {
		is, _ := a.f.Issue(id)
		t := ticketsync.Ticket{
			ID:          strconv.FormatInt(id, 10),
			URL:         a.f.URL + "/browse/" + is.Key,
			Subject:     is.Summary,
			Description: docText(is.Description),
			Status:      wantStatus[is.Status],
			RawStatus:   is.Status,
			Priority:    wantPriority[is.Priority],
			RawPriority: is.Priority,
			Requester:   a.person(is.Reporter),
			Assignee:    a.person(is.Assignee),
			Tags:        is.Labels,
			Fields:      map[string]string{"key": is.Key, "project": is.Project, "issuetype": is.IssueType},
			CreatedAt:   apiTime(is.Created),
			UpdatedAt:   apiTime(is.Updated),
		}
		if is.RequestType != "" {
			t.Fields["requestType"] = is.RequestType
		}
		if len(is.Participants) > 0 {
			t.Fields["participants"] = strings.Join(is.Participants, ",")
		}
		for _, c := range is.Comments {
			t.Comments = append(t.Comments, ticketsync.Comment{ID: strconv.FormatInt(c.ID, 10), Author: ticketsync.Person{ID: c.Author},
				Body: docText(c.Body), Public: c.Public, CreatedAt: apiTime(c.Created)})
		}
		out = append(out, t)
	}
	return out, nil
}

// apiTime is t as Jira writes it: UTC, to the millisecond. A connector
// that paces itself moves the fake's clock by fractions of one.
func apiTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func (a *account) person(accountID string) ticketsync.Person {
	if accountID == "" {
		return ticketsync.Person{}
	}
	u, _ := a.f.User(accountID)
	p := ticketsync.Person{ID: u.AccountID, Name: u.DisplayName, Email: u.Email}
	if u.HideEmail {
		p.Email = ""
	}
	return p
}

// docText reads the paragraphs jiratest.Doc writes.
func docText(doc json.RawMessage) string {
	var d struct {
		Content []struct {
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"content"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return ""
	}
	var paras []string
	for _, p := range d.Content {
		var b strings.Builder
		for _, t := range p.Content {
			b.WriteString(t.Text)
		}
		paras = append(paras, b.String())
	}
	return strings.Join(paras, "\n\n")
}

func (a *account) InjectFault(status, n int) {
	if status == http.StatusTooManyRequests {
		a.f.InjectFault(jiratest.RateLimited(n, time.Second))
		return
	}
	a.f.InjectFault(jiratest.Fault{Status: status, Count: n})
}

// InjectBodyFault makes the fake answer the next n requests with a broken
// body or a 429 without Retry-After. Jira's X-RateLimit headers come without a reset time.
func (a *account) InjectBodyFault(kind ticketsynctest.BodyFault, n int) bool {
	var f jiratest.Fault
	switch kind {
	case ticketsynctest.Truncated:
		f = jiratest.Fault{Truncate: true}
	case ticketsynctest.HTMLPage:
		f = jiratest.Fault{HTMLBody: true, Status: http.StatusBadGateway}
	case ticketsynctest.RateLimitedNoRetryAfter:
		f = jiratest.RateLimited(n, 0)
	default:
		return false
	}
	f.Count = n
	a.f.InjectFault(f)
	return true
}

func (a *account) Webhook(target string, kind ticketsync.EventKind, id string, tampered bool) (*http.Request, error) {
	event := map[ticketsync.EventKind]string{
		ticketsync.EventCreated: jiratest.IssueCreated, ticketsync.EventUpdated: jiratest.IssueUpdated,
		ticketsync.EventDeleted: jiratest.IssueDeleted, ticketsync.EventCommented: jiratest.CommentCreated,
	}[kind]
	d, ok := a.f.Webhook(event, parseID(id), 0)
	if !ok {
		return nil, fmt.Errorf("no issue %s", id)
	}
	req, err := d.Request(target, kitSecret)
	if err != nil || !tampered {
		return req, err
	}
	forged := bytes.Replace(d.Body, []byte(`"id":"`+id+`"`), []byte(`"id":"`+strconv.FormatInt(parseID(id)+1, 10)+`"`), 1)
	out, err := http.NewRequest(req.Method, req.URL.String(), bytes.NewReader(forged))
	if err != nil {
		return nil, err
	}
	out.Header = req.Header.Clone()
	return out, nil
}

func (a *account) Secrets() []string {
	return []string{a.f.Token(), kitBadToken, kitDevToken, kitSecret}
}
