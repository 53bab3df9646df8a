package hubspot_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/hubspot"
	"github.com/ticketsync/ticketsync/hubspot/hubspottest"
	"github.com/ticketsync/ticketsync/ticketsynctest"
)

func TestConnectorKit(t *testing.T) {
	ticketsynctest.RunConnectorTests(t, harness{})
}

// harness runs the conformance kit over the fake. Its accounts use the
// default pipeline, a search index lag, owners, requesters and notes.
type harness struct{}

const harnessLag = 20 * time.Second

func (harness) Capabilities() ticketsynctest.Capabilities {
	return ticketsynctest.Capabilities{
		Platform: "hubspot",
		PageSize: 200, // HubSpot's search limit; the connector always asks for it
		Fields: []string{"URL", "Subject", "Description", "Status", "RawStatus", "Priority", "RawPriority", "Channel",
			"Requester", "Assignee", "Tags", "Fields", "CreatedAt", "UpdatedAt"},
		Webhooks:      true,
		DeletesByPoll: true,
		CursorChecks:  true,
	}
}

func (harness) NewAccount(tb testing.TB, n int) ticketsynctest.Account {
	fake := hubspottest.NewServer(tb, &hubspottest.Options{IndexLag: harnessLag, RateLimit: -1, SearchRateLimit: -1, DailyLimit: -1})
	a := &account{tb: tb, fake: fake}
	a.owner = fake.AddOwner(hubspottest.Owner{Email: "agent@example.com", FirstName: "Agnes", LastName: "Agent"})
	for range n {
		if _, err := a.CreateTicket(); err != nil {
			tb.Fatal(err)
		}
	}
	a.Settle()
	return a
}

type account struct {
	tb    testing.TB
	fake  *hubspottest.Server
	owner string
	mu    sync.Mutex
	n     int
}

const wrongToken = "pat-na1-99999999-wrong-token-0000"

func (a *account) NewConnector(valid bool) (ticketsync.Connector, error) {
	token := hubspottest.DefaultToken
	if !valid {
		token = wrongToken
	}
	return hubspot.NewWithClock(hubspot.Config{
		PrivateAppToken: token, BaseURL: a.fake.URL, HTTPClient: a.fake.Client(), ClientSecret: a.fake.ClientSecret(),
		RequestsPerMinute: 6000000, SearchRequestsPerSecond: 100000, SearchLag: 2 * harnessLag,
		ArchivedScanInterval: time.Nanosecond, // the kit checks deletions on the next poll
	}, a.fake.Now, a.fake.Sleep, 0)
}

var stages = []string{"1", "2", "3", "4"}
var prios = []string{"LOW", "MEDIUM", "HIGH", "URGENT", ""}

func (a *account) CreateTicket() (string, error) {
	a.mu.Lock()
	i := a.n
	a.n++
	a.mu.Unlock()
	props := map[string]string{
		"subject": fmt.Sprintf("Ticket %d", i), "content": fmt.Sprintf("<p>Body of ticket %d</p>", i),
		"hs_pipeline_stage": stages[i%len(stages)], "source_type": []string{"EMAIL", "CHAT", "FORM"}[i%3],
		"hs_ticket_category": "PRODUCT_ISSUE",
	}
	if p := prios[i%len(prios)]; p != "" {
		props["hs_ticket_priority"] = p
	}
	if i%5 != 0 {
		props["hubspot_owner_id"] = a.owner
	}
	id := a.fake.CreateTicket(props)
	c := a.fake.AddContact(hubspottest.Contact{Email: fmt.Sprintf("customer%d@example.com", i), FirstName: "Cus", LastName: fmt.Sprint(i)})
	a.fake.AssociateContact(id, c)
	a.fake.AddNote(id, hubspottest.Note{Body: fmt.Sprintf("<p>First note on %d</p>", i), OwnerID: a.owner})
	a.fake.Advance(time.Second)
	return id, nil
}

func (a *account) UpdateTicket(id string) error {
	a.fake.UpdateTicket(id, map[string]string{"subject": "Changed " + id})
	a.fake.Advance(time.Second)
	return nil
}

func (a *account) DeleteTicket(id string) error {
	a.fake.ArchiveTicket(id)
	a.fake.Advance(time.Second)
	return nil
}

func (a *account) AddComment(id string) (string, error) {
	nid := a.fake.AddNote(id, hubspottest.Note{Body: "A later note", OwnerID: a.owner})
	a.fake.Advance(time.Second)
	return "note-" + nid, nil
}

// Advance moves the fake's clock forward.
func (a *account) Advance(d time.Duration) { a.fake.Advance(d) }

func (a *account) Settle() { a.fake.Advance(harnessLag + time.Second) }

// Want maps the fake's state on its own: the default pipeline's stages,
// HubSpot's priority options, and what the package doc promises.
func (a *account) Want() ([]ticketsync.Ticket, error) {
	status := map[string][2]string{"1": {"new", "New"}, "2": {"pending", "Waiting on contact"}, "3": {"open", "Waiting on us"}, "4": {"closed", "Closed"}}
	prio := map[string]ticketsync.Priority{"LOW": "low", "MEDIUM": "normal", "HIGH": "high", "URGENT": "urgent"}
	channel := map[string]string{"EMAIL": "email", "CHAT": "chat", "FORM": "web"}
	var out []ticketsync.Ticket
	for _, archived := range []bool{false, true} {
		for _, id := range a.fake.TicketIDs(archived) {
			st, _ := a.fake.Ticket(id)
			p := func(k string) string {
				if v := st.Properties[k]; v != nil {
					return *v
				}
				return ""
			}
			t := ticketsync.Ticket{
				ID:          id,
				URL:         fmt.Sprintf("https://app.hubspot.com/contacts/%d/record/0-5/%s", a.fake.PortalID(), id),
				Subject:     p("subject"),
				Description: strings.TrimSuffix(strings.TrimPrefix(p("content"), "<p>"), "</p>"),
				Status:      ticketsync.Status(status[p("hs_pipeline_stage")][0]),
				RawStatus:   status[p("hs_pipeline_stage")][1],
				Priority:    prio[p("hs_ticket_priority")],
				RawPriority: p("hs_ticket_priority"),
				Channel:     channel[p("source_type")],
				Tags:        []string{p("hs_ticket_category")},
				Fields:      map[string]string{"hs_pipeline": p("hs_pipeline"), "hs_ticket_category": p("hs_ticket_category")},
				// HubSpot's dates have milliseconds.
				CreatedAt: st.CreatedAt.Truncate(time.Millisecond),
				UpdatedAt: st.UpdatedAt.Truncate(time.Millisecond),
				Deleted:   st.Archived,
			}
			if o := p("hubspot_owner_id"); o != "" {
				t.Assignee = ticketsync.Person{ID: o, Name: "Agnes Agent", Email: "agent@example.com"}
			}
			// A tombstone from the recycle bin carries the ticket's own
			// properties only; the Syncer keeps the requester it stored
			// before the ticket was deleted.
			if len(st.Contacts) > 0 {
				n := strings.TrimPrefix(p("content"), "<p>Body of ticket ")
				n = strings.TrimSuffix(n, "</p>")
				t.Requester = ticketsync.Person{ID: st.Contacts[0], Name: "Cus " + n, Email: "customer" + n + "@example.com"}
			}
			for i, nid := range st.Notes {
				body := "A later note"
				if i == 0 {
					body = strings.TrimSuffix(strings.TrimPrefix(p("content"), "<p>Body of"), "</p>")
					body = "First note on" + strings.TrimPrefix(body, " ticket")
				}
				t.Comments = append(t.Comments, ticketsync.Comment{ID: "note-" + nid, Author: ticketsync.Person{ID: a.owner},
					Body: body, Public: false, CreatedAt: a.noteTime(nid)})
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// noteTime reads a note's hs_timestamp through the fake's API, as the
// harness has no other view of it.
func (a *account) noteTime(id string) time.Time {
	req, _ := http.NewRequest("GET", a.fake.URL+"/crm/v3/objects/notes/"+id+"?properties=hs_timestamp", nil)
	req.Header.Set("Authorization", "Bearer "+hubspottest.DefaultToken)
	resp, err := a.fake.Client().Do(req)
	if err != nil {
		a.tb.Fatalf("read note %s: %v", id, err)
	}
	defer resp.Body.Close()
	var o struct {
		Properties map[string]string `json:"properties"`
	}
	if err := decodeJSON(resp, &o); err != nil {
		a.tb.Fatalf("read note %s: %v", id, err)
	}
	t, err := time.Parse(time.RFC3339Nano, o.Properties["hs_timestamp"])
	if err != nil {
		a.tb.Fatalf("note %s hs_timestamp: %v", id, err)
	}
	return t
}

func (a *account) InjectFault(status, n int) {
	f := hubspottest.Fault{Status: status, Count: n}
	if status == http.StatusTooManyRequests {
		f.RetryAfter = time.Second
	}
	a.fake.InjectFault(f)
}

// InjectBodyFault makes the fake answer the next n requests with a broken
// body or a 429 without Retry-After. HubSpot sends no reset header; X-HubSpot-RateLimit-Remaining says the window is spent.
func (a *account) InjectBodyFault(kind ticketsynctest.BodyFault, n int) bool {
	var f hubspottest.Fault
	switch kind {
	case ticketsynctest.Truncated:
		f = hubspottest.Fault{Truncate: true}
	case ticketsynctest.HTMLPage:
		f = hubspottest.Fault{HTMLBody: true, Status: http.StatusBadGateway}
	case ticketsynctest.RateLimitedNoRetryAfter:
		h := http.Header{}
		h.Set("X-HubSpot-RateLimit-Remaining", "0")
		f = hubspottest.Fault{Status: http.StatusTooManyRequests, Header: h}
	default:
		return false
	}
	f.Count = n
	a.fake.InjectFault(f)
	return true
}

func (a *account) Webhook(target string, kind ticketsync.EventKind, id string, tampered bool) (*http.Request, error) {
	var e hubspottest.WebhookEvent
	switch kind {
	case ticketsync.EventCreated:
		e = a.fake.TicketEvent("creation", id)
	case ticketsync.EventDeleted:
		e = a.fake.TicketEvent("deletion", id)
	case ticketsync.EventCommented:
		e = a.fake.ObjectEvent("associationChange", "0-5", id)
	default:
		e = a.fake.TicketEvent("propertyChange", id)
		e.PropertyName, e.PropertyValue = "subject", "Changed "+id
	}
	req, body := a.fake.WebhookRequest(target, []hubspottest.WebhookEvent{e})
	if !tampered {
		return req, nil
	}
	n, _ := strconv.ParseInt(id, 10, 64)
	forged := bytes.Replace(body, []byte(`"objectId":`+id), []byte(`"objectId":`+strconv.FormatInt(n+1, 10)), 1)
	out, err := http.NewRequest(req.Method, req.URL.String(), bytes.NewReader(forged))
	if err != nil {
		return nil, err
	}
	out.Header = req.Header.Clone()
	return out, nil
}

func (a *account) Secrets() []string {
	return []string{hubspottest.DefaultToken, wrongToken, a.fake.ClientSecret()}
}

// CapQuery makes the fake's search refuse pages past results, as HubSpot
// does past 10,000.
func (a *account) CapQuery(results int) { a.fake.SetSearchResultCap(results) }

// UpdateTicketLate changes a ticket with an index lag of its own, so that
// the changes after it show up in search first.
func (a *account) UpdateTicketLate(id string) error {
	a.fake.SetIndexLag(harnessLag)
	a.fake.UpdateTicket(id, map[string]string{"subject": "Changed late " + id})
	a.fake.SetIndexLag(0)
	a.fake.Advance(time.Second)
	return nil
}

// WebhookAt is Webhook signed at the given time.
func (a *account) WebhookAt(target string, kind ticketsync.EventKind, id string, at time.Time) (*http.Request, error) {
	req, err := a.Webhook(target, kind, id, false)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(req.Body)
	return a.fake.SignedRequest(target, body, at), nil
}

// Now is the fake's clock, which the harness's connectors check webhook
// timestamps against.
func (a *account) Now() time.Time { return a.fake.Now() }

// NewForbiddenConnector has a token without the tickets scope.
func (a *account) NewForbiddenConnector() (ticketsync.Connector, error) {
	const token = "pat-na1-no-tickets-scope-0000"
	a.fake.AddToken(token, hubspottest.ScopeContactsRead, hubspottest.ScopeOwnersRead)
	return hubspot.NewWithClock(hubspot.Config{PrivateAppToken: token, BaseURL: a.fake.URL, HTTPClient: a.fake.Client()},
		a.fake.Now, a.fake.Sleep, 0)
}
