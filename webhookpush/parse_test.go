package webhookpush

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
)

func parseOne(t *testing.T, c *Connector, body string) ticketsync.Event {
	t.Helper()
	evs, err := c.ParseWebhook([]byte(body))
	if err != nil {
		t.Fatalf("ParseWebhook: %v", err)
	}
	if len(evs) != 1 {
		t.Fatalf("ParseWebhook gave %d events, want 1", len(evs))
	}
	if evs[0].Ticket == nil || evs[0].TicketID != evs[0].Ticket.ID {
		t.Fatalf("event without its ticket, or with another id: %+v", evs[0])
	}
	return evs[0]
}

func parseErr(t *testing.T, c *Connector, body, want string) {
	t.Helper()
	evs, err := c.ParseWebhook([]byte(body))
	if err == nil {
		t.Fatalf("ParseWebhook accepted a bad body, gave %d events; want error %q", len(evs), want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("ParseWebhook error %q does not say %q", err, want)
	}
	if !strings.HasPrefix(err.Error(), "webhookpush: ") {
		t.Errorf("error %q does not start with the package name", err)
	}
	if len(body) > 40 && strings.Contains(err.Error(), body) {
		t.Errorf("error echoes the payload")
	}
	if len(err.Error()) > 300 {
		t.Errorf("error is %d bytes long, want a short reason", len(err.Error()))
	}
}

func auto(t *testing.T) *Connector { return mustNew(t, Config{AllowUnsigned: true}) }

func TestParseDocumentedFormat(t *testing.T) {
	ev := parseOne(t, auto(t), documented)
	want := ticketsync.Ticket{
		Platform:    DefaultPlatform,
		ID:          "12345",
		Subject:     "Login not working",
		Description: "Users unable to login since update",
		Status:      ticketsync.StatusOpen,
		RawStatus:   "open",
		Priority:    ticketsync.PriorityHigh,
		RawPriority: "high",
		Requester:   ticketsync.Person{Email: "cfo@customer.com"},
		CreatedAt:   time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC),
		// no updated_at: unknown, not the time of receipt
	}
	if !reflect.DeepEqual(*ev.Ticket, want) {
		t.Errorf("ticket\n got %+v\nwant %+v", *ev.Ticket, want)
	}
	if ev.Kind != ticketsync.EventUpdated || !ev.At.IsZero() {
		t.Errorf("Kind %q At %s, want updated at an unknown (zero) time", ev.Kind, ev.At)
	}
}

func TestParseAutoDetectsNames(t *testing.T) {
	body := `{"event": "issue.created", "issue": {
		"key": "SUP-12", "Title": "Printer on fire", "body": "Smoke", "state": "Waiting on Customer",
		"priority": "P1", "requester": {"email": "a@example.com", "name": "Ann", "id": 7},
		"assignee": {"email": "bob@example.com", "name": "Bob", "id": "u9"},
		"labels": ["hardware", "  fire ", ""], "createdAt": 1782896400, "updatedAt": 1782900000000,
		"link": "https://desk.example.com/SUP-12", "channel": "Email"}}`
	ev := parseOne(t, auto(t), body)
	tk := ev.Ticket
	checks := []struct {
		field     string
		got, want any
	}{
		{"Kind", ev.Kind, ticketsync.EventCreated},
		{"ID", tk.ID, "SUP-12"},
		{"Subject", tk.Subject, "Printer on fire"},
		{"Description", tk.Description, "Smoke"},
		{"Status", tk.Status, ticketsync.StatusPending},
		{"RawStatus", tk.RawStatus, "Waiting on Customer"},
		{"Priority", tk.Priority, ticketsync.PriorityUrgent},
		{"Requester", tk.Requester, ticketsync.Person{ID: "7", Name: "Ann", Email: "a@example.com"}},
		{"Assignee", tk.Assignee, ticketsync.Person{ID: "u9", Name: "Bob", Email: "bob@example.com"}},
		{"Tags", tk.Tags, []string{"hardware", "fire"}},
		{"CreatedAt", tk.CreatedAt, time.Unix(1782896400, 0).UTC()},
		{"UpdatedAt", tk.UpdatedAt, time.UnixMilli(1782900000000).UTC()},
		{"At", ev.At, time.UnixMilli(1782900000000).UTC()},
		{"URL", tk.URL, "https://desk.example.com/SUP-12"},
		{"Channel", tk.Channel, "email"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.field, c.got, c.want)
		}
	}
}

func TestParseRoots(t *testing.T) {
	c := auto(t)
	for _, body := range []string{
		`{"ticket": {"id": "1"}}`,
		`{"issue": {"id": "1"}}`,
		`{"case": {"number": 1}}`,
		`{"conversation": {"id": 1}}`,
		`{"Ticket": {"ID": "1"}}`,
		`{"id": "1", "subject": "flat"}`,
		`[{"id": "1"}]`,
		`[{"ticket": {"id": "1"}}]`,
		`{"tickets": [{"id": "1"}]}`,
	} {
		t.Run(body, func(t *testing.T) {
			if ev := parseOne(t, c, body); ev.TicketID != "1" {
				t.Errorf("TicketID = %q, want 1", ev.TicketID)
			}
		})
	}
}

func TestParseSeveralTickets(t *testing.T) {
	evs, err := auto(t).ParseWebhook([]byte(`{"event": "ticket.deleted", "tickets": [{"id": "1"}, {"id": "2", "status": "solved"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].TicketID != "1" || evs[1].TicketID != "2" {
		t.Fatalf("events %+v, want tickets 1 and 2", evs)
	}
	for _, ev := range evs {
		if ev.Kind != ticketsync.EventDeleted || !ev.Ticket.Deleted {
			t.Errorf("ticket %s: Kind %q Deleted %v, want a deletion", ev.TicketID, ev.Kind, ev.Ticket.Deleted)
		}
	}
	if evs[1].Ticket.Status != ticketsync.StatusSolved {
		t.Errorf("Status = %q, want solved", evs[1].Ticket.Status)
	}
}

func TestParseKind(t *testing.T) {
	c := auto(t)
	tests := []struct {
		body string
		want ticketsync.EventKind
	}{
		{`{"event": "created", "ticket": {"id": "1"}}`, ticketsync.EventCreated},
		{`{"type": "ticket.created", "data": 1, "ticket": {"id": "1"}}`, ticketsync.EventCreated},
		{`{"action": "ticket_deleted", "ticket": {"id": "1"}}`, ticketsync.EventDeleted},
		{`{"event": "Ticket Removed", "ticket": {"id": "1"}}`, ticketsync.EventDeleted},
		{`{"event": "ticket.comment.created", "ticket": {"id": "1"}}`, ticketsync.EventCommented},
		{`{"event": "ticket.reopened", "ticket": {"id": "1"}}`, ticketsync.EventUpdated},
		{`{"event": "ticket.assigned", "ticket": {"id": "1"}}`, ticketsync.EventUpdated},
		{`{"ticket": {"id": "1"}}`, ticketsync.EventUpdated},
		{`{"id": "1", "event": "delete"}`, ticketsync.EventDeleted},
		// A flat ticket's own "type" is its ticket type, not the event.
		{`{"id": "1", "type": "deleted"}`, ticketsync.EventUpdated},
	}
	for _, tt := range tests {
		if ev := parseOne(t, c, tt.body); ev.Kind != tt.want {
			t.Errorf("%s: Kind %q, want %q", tt.body, ev.Kind, tt.want)
		}
	}
}

func TestParseNoEvents(t *testing.T) {
	c := auto(t)
	for _, body := range []string{`{}`, `[]`, ` {} `, `{"event": "ping"}`, `{"type": "webhook.test", "zen": "x"}`, `{"tickets": []}`} {
		evs, err := c.ParseWebhook([]byte(body))
		if err != nil || len(evs) != 0 {
			t.Errorf("%s: %d events, error %v; want none", body, len(evs), err)
		}
	}
}

func TestParseConversions(t *testing.T) {
	c := mustNew(t, Config{AllowUnsigned: true,
		StatusMap:   map[string]ticketsync.Status{"With Engineering": ticketsync.StatusOnHold, "open": ticketsync.StatusNew},
		PriorityMap: map[string]ticketsync.Priority{"Sev A": ticketsync.PriorityUrgent},
	})
	tests := []struct {
		name  string
		field string // JSON member of the ticket
		value string // its JSON value
		check func(ticketsync.Ticket) any
		want  any
	}{
		{"integer id", "id", `12345`, func(t ticketsync.Ticket) any { return t.ID }, "12345"},
		{"big integer id", "id", `123456789012345678901234567890`, func(t ticketsync.Ticket) any { return t.ID }, "123456789012345678901234567890"},
		{"string id trimmed", "id", `" 77 "`, func(t ticketsync.Ticket) any { return t.ID }, "77"},
		{"escaped string", "subject", `"Caf\u00e9 \"menu\""`, func(t ticketsync.Ticket) any { return t.Subject }, `Café "menu"`},
		{"number subject", "subject", `42`, func(t ticketsync.Ticket) any { return t.Subject }, "42"},
		{"RFC 3339 with offset", "updated_at", `"2026-07-01T11:00:00+02:00"`, func(t ticketsync.Ticket) any { return t.UpdatedAt }, time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)},
		{"RFC 3339 nano", "updated_at", `"2026-07-01T09:00:00.123Z"`, func(t ticketsync.Ticket) any { return t.UpdatedAt }, time.Date(2026, 7, 1, 9, 0, 0, 123e6, time.UTC)},
		{"no zone is UTC", "updated_at", `"2026-07-01 09:00:00"`, func(t ticketsync.Ticket) any { return t.UpdatedAt }, time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)},
		{"date only", "created_at", `"2026-06-30"`, func(t ticketsync.Ticket) any { return t.CreatedAt }, time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)},
		{"unix seconds", "updated_at", `1782896400`, func(t ticketsync.Ticket) any { return t.UpdatedAt }, time.Unix(1782896400, 0).UTC()},
		{"unix seconds as string", "updated_at", `"1782896400"`, func(t ticketsync.Ticket) any { return t.UpdatedAt }, time.Unix(1782896400, 0).UTC()},
		{"unix milliseconds", "updated_at", `1782896400123`, func(t ticketsync.Ticket) any { return t.UpdatedAt }, time.UnixMilli(1782896400123).UTC()},
		{"fractional seconds", "updated_at", `1782896400.5`, func(t ticketsync.Ticket) any { return t.UpdatedAt }, time.Unix(1782896400, 5e8).UTC()},
		{"a little ahead of our clock", "updated_at", `"2026-07-01T12:10:00Z"`, func(t ticketsync.Ticket) any { return t.UpdatedAt }, time.Date(2026, 7, 1, 12, 10, 0, 0, time.UTC)},
		{"tags as string", "tags", `"billing, vip,,refund "`, func(t ticketsync.Ticket) any { return t.Tags }, []string{"billing", "vip", "refund"}},
		{"tags with numbers and null", "tags", `["a", 2, null]`, func(t ticketsync.Ticket) any { return t.Tags }, []string{"a", "2"}},
		{"status through ParseStatus", "status", `"Resolved"`, func(t ticketsync.Ticket) any { return t.Status }, ticketsync.StatusSolved},
		{"StatusMap before ParseStatus", "status", `"OPEN"`, func(t ticketsync.Ticket) any { return t.Status }, ticketsync.StatusNew},
		{"StatusMap new word", "status", `"with engineering"`, func(t ticketsync.Ticket) any { return t.Status }, ticketsync.StatusOnHold},
		{"unknown status is open", "status", `"Quarantined"`, func(t ticketsync.Ticket) any { return [2]string{string(t.Status), t.RawStatus} }, [2]string{"open", "Quarantined"}},
		{"numeric status code", "status", `4`, func(t ticketsync.Ticket) any { return t.Status }, ticketsync.StatusSolved},
		{"PriorityMap", "priority", `"sev a"`, func(t ticketsync.Ticket) any { return t.Priority }, ticketsync.PriorityUrgent},
		{"unknown priority is none", "priority", `"whenever"`, func(t ticketsync.Ticket) any { return [2]string{string(t.Priority), t.RawPriority} }, [2]string{"", "whenever"}},
		{"null is absent", "subject", `null`, func(t ticketsync.Ticket) any { return t.Subject }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"ticket": {"id": "1", "` + tt.field + `": ` + tt.value + `}}`
			if tt.field == "id" {
				body = `{"ticket": {"id": ` + tt.value + `}}`
			}
			ev := parseOne(t, c, body)
			if got := tt.check(*ev.Ticket); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseMapping(t *testing.T) {
	c := mustNew(t, Config{AllowUnsigned: true, Platform: "internal-desk", Mapping: Mapping{
		"ID":              "data.items[0].number",
		"Subject":         "data.items[0].fields.summary",
		"Status":          "data.items[0].fields.state.name",
		"Requester.Email": "data.items[0].people[1].email",
		"Tags":            "data.items[0].fields.labels",
		"UpdatedAt":       "data.items[0].modified",
		"Kind":            "meta.action",
		"Fields.Plan":     "data.items[0].fields.plan",
		"Fields.Raw":      "data.items[0].fields.extra",
	}})
	body := `{"meta": {"action": "CREATE"}, "data": {"items": [{"number": 981, "modified": "2026-07-01T10:00:00Z",
		"fields": {"summary": "Export fails", "state": {"name": "In Progress"}, "labels": "export,csv", "plan": "Gold", "extra": {"a": [1, 2]}},
		"people": [{"email": "agent@example.com"}, {"email": "user@example.com"}]}]}}`
	ev := parseOne(t, c, body)
	tk := ev.Ticket
	if ev.Kind != ticketsync.EventCreated || tk.ID != "981" || tk.Subject != "Export fails" || tk.Status != ticketsync.StatusOpen ||
		tk.RawStatus != "In Progress" || tk.Requester.Email != "user@example.com" || !reflect.DeepEqual(tk.Tags, []string{"export", "csv"}) ||
		!tk.UpdatedAt.Equal(time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)) || tk.Platform != "internal-desk" {
		t.Errorf("mapped ticket %+v, kind %q", *tk, ev.Kind)
	}
	if want := map[string]string{"Plan": "Gold", "Raw": `{"a": [1, 2]}`}; !reflect.DeepEqual(tk.Fields, want) {
		t.Errorf("Fields = %v, want %v", tk.Fields, want)
	}
	// A Mapping replaces auto-detection: unmapped fields stay empty.
	if tk.Description != "" || tk.Priority != "" {
		t.Errorf("unmapped fields filled: %+v", *tk)
	}
	parseErr(t, c, `{"data": {"items": []}}`, `ID: nothing at "data.items[0].number"`)
	parseErr(t, c, `{"data": {"items": [{"number": {"n": 1}}]}}`, `data.items[0].number: want a string or an integer id, got an object`)
	parseErr(t, c, `{"data": {"items": [{"number": 1, "fields": {"summary": ["x"]}}]}}`, `data.items[0].fields.summary: want a string, got an array`)
}

func TestParseItemsPath(t *testing.T) {
	c := mustNew(t, Config{AllowUnsigned: true, ItemsPath: "payload.records", Mapping: Mapping{
		"ID":        "ref",
		"Subject":   "title",
		"Kind":      "$.payload.op",
		"CreatedAt": "opened",
	}})
	evs, err := c.ParseWebhook([]byte(`{"payload": {"op": "deleted", "records": [
		{"ref": "A-1", "title": "one", "opened": 1782896400},
		{"ref": "A-2", "title": "two"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].TicketID != "A-1" || evs[1].Ticket.Subject != "two" || evs[0].Kind != ticketsync.EventDeleted || !evs[1].Ticket.Deleted {
		t.Fatalf("events %+v", evs)
	}
	// One object at ItemsPath is one ticket.
	if ev := parseOne(t, c, `{"payload": {"records": {"ref": "B"}}}`); ev.TicketID != "B" {
		t.Errorf("TicketID %q, want B", ev.TicketID)
	}
	parseErr(t, c, `{"payload": {}}`, `nothing at ItemsPath "payload.records"`)
	parseErr(t, c, `{"payload": {"records": "x"}}`, `payload.records is a string, want an array or object of tickets`)
	parseErr(t, c, `{"payload": {"records": [{"ref": "1"}, 7]}}`, `payload.records[1] is a number, want a ticket object`)
	parseErr(t, c, `{"payload": {"records": [{"ref": "1"}, {"title": "no ref"}]}}`, `payload.records[1].ID: nothing at "ref"`)
	parseErr(t, c, `{"payload": {"records": [{"ref": "1", "opened": "soon"}]}}`, `payload.records[0].opened: not a time`)
}

func TestParseBadInput(t *testing.T) {
	c := auto(t)
	many := func(n int, item string) string {
		return `{"tickets": [` + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + `]}`
	}
	deep := strings.Repeat(`{"a":`, MaxDepth) + `{"ticket": {"id": "1"}}` + strings.Repeat(`}`, MaxDepth)
	tests := []struct {
		name, body, want string
	}{
		{"empty", ``, "empty body"},
		{"spaces", " \n ", "empty body"},
		{"not JSON", `subject=x&id=1`, "body is not valid JSON: invalid character 's' looking for beginning of value at offset 1"},
		{"truncated", `{"ticket": {"id": "1"`, "body is not valid JSON"},
		{"two values", `{"ticket": {"id": "1"}} {}`, "more data after the JSON value"},
		{"string", `"ticket"`, "body is a string, want a JSON object or array"},
		{"number", `12`, "body is a number, want a JSON object or array"},
		{"null", `null`, "body is null, want a JSON object or array"},
		{"no root", `{"data": {"ticket_number": 1}}`, `no ticket in payload: want a root object "ticket", "issue", "case" or "conversation"`},
		{"root not object", `{"ticket": "12345"}`, "ticket is a string, want an object"},
		{"no id", `{"ticket": {"subject": "x"}}`, "ticket: no id field (looked for id, number, key"},
		{"null id", `{"ticket": {"id": null}}`, "ticket: no id field"},
		{"empty id", `{"ticket": {"id": ""}}`, "ticket.id: id is empty"},
		{"float id", `{"ticket": {"id": 1.0e3}}`, "ticket.id: id is a number with a fraction or exponent"},
		{"fraction id", `{"ticket": {"id": 12.5}}`, "ticket.id: id is a number with a fraction or exponent"},
		{"bool id", `{"ticket": {"id": true}}`, "ticket.id: want a string or an integer id, got a boolean"},
		{"long id", `{"ticket": {"id": "` + strings.Repeat("9", 300) + `"}}`, "ticket.id: id is longer than 256 bytes"},
		{"object for string", `{"ticket": {"id": "1", "subject": {"text": "x"}}}`, "ticket.subject: want a string, got an object"},
		{"object for status", `{"ticket": {"id": "1", "status": {"name": "open"}}}`, "ticket.status: want a string, got an object"},
		{"object for tags", `{"ticket": {"id": "1", "tags": {"a": 1}}}`, "ticket.tags: want an array of tags or a comma-separated string, got an object"},
		{"nested tag", `{"ticket": {"id": "1", "tags": ["a", ["b"]]}}`, "ticket.tags: tag 1: want a string, got an array"},
		{"year 0", `{"ticket": {"id": "1", "created_at": "0000-01-01T00:00:00Z"}}`, "ticket.created_at: time 0000-01-01T00:00:00Z is before 1970"},
		{"negative unix", `{"ticket": {"id": "1", "created_at": -5}}`, "ticket.created_at: time 1969-12-31T23:59:55Z is before 1970"},
		{"future", `{"ticket": {"id": "1", "updated_at": "2099-01-01T00:00:00Z"}}`, "ticket.updated_at: time 2099-01-01T00:00:00Z is in the future"},
		{"future millis", `{"ticket": {"id": "1", "updated_at": 4102444800000}}`, "ticket.updated_at: time 2100-01-01T00:00:00Z is in the future"},
		{"huge number time", `{"ticket": {"id": "1", "updated_at": 1e300}}`, "ticket.updated_at: not a unix time"},
		{"bad time", `{"ticket": {"id": "1", "created_at": "yesterday"}}`, "ticket.created_at: not a time"},
		{"bool time", `{"ticket": {"id": "1", "created_at": true}}`, "ticket.created_at: want a time, got a boolean"},
		{"deep", deep, fmt.Sprintf("body nests deeper than %d levels", MaxDepth)},
		{"too many tickets", many(MaxItems+1, `{"id": "1"}`), fmt.Sprintf("more than %d tickets in one delivery", MaxItems)},
		{"too many tags", `{"ticket": {"id": "1", "tags": [` + strings.TrimSuffix(strings.Repeat(`"t",`, MaxTags+1), ",") + `]}}`, fmt.Sprintf("ticket.tags: more than %d tags", MaxTags)},
		{"too many tags in a string", `{"ticket": {"id": "1", "tags": "` + strings.Repeat("t,", MaxTags+1) + `"}}`, fmt.Sprintf("more than %d tags", MaxTags)},
		{"array element not object", `[{"id": "1"}, "2"]`, "[1] is a string, want a ticket object"},
		{"second ticket without id", `{"tickets": [{"id": "1"}, {"subject": "x"}]}`, "tickets[1]: no id field"},
		{"wrapped array element", `[{"ticket": {"id": "1", "created_at": "soon"}}]`, "[0].ticket.created_at: not a time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parseErr(t, c, tt.body, tt.want)
		})
	}
	// The limits are limits, not off by one.
	if evs, err := c.ParseWebhook([]byte(many(MaxItems, `{"id": "1"}`))); err != nil || len(evs) != MaxItems {
		t.Errorf("%d tickets: %d events, error %v", MaxItems, len(evs), err)
	}
	okDeep := strings.Repeat(`{"a":`, MaxDepth-3) + `{"ticket": {"id": "1"}}` + strings.Repeat(`}`, MaxDepth-3)
	if _, err := c.ParseWebhook([]byte(okDeep)); err == nil || !strings.Contains(err.Error(), "no ticket in payload") {
		t.Errorf("nesting within the limit: %v, want the no-ticket error", err)
	}
}

func TestParseInvalidUTF8(t *testing.T) {
	ev := parseOne(t, auto(t), "{\"ticket\": {\"id\": \"1\", \"subject\": \"bad \xff byte\"}}")
	if ev.Ticket.Subject != "bad \uFFFD byte" {
		t.Errorf("Subject = %q, want the bad byte replaced", ev.Ticket.Subject)
	}
}

func TestParseEscapedKeys(t *testing.T) {
	ev := parseOne(t, auto(t), `{"tick\u0065t": {"\u0069d": "1", "subj\u0065ct": "esc"}}`)
	if ev.TicketID != "1" || ev.Ticket.Subject != "esc" {
		t.Errorf("got %+v", *ev.Ticket)
	}
}

func TestParseDoesNotShareBody(t *testing.T) {
	body := []byte(`{"ticket": {"id": "1", "subject": "original", "tags": ["a"]}}`)
	ev := parseOne(t, auto(t), string(body))
	evs, err := auto(t).ParseWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'x'
	}
	if evs[0].Ticket.Subject != "original" || evs[0].Ticket.Tags[0] != "a" || ev.Ticket.Subject != "original" {
		t.Errorf("the ticket changed with the body: %+v", *evs[0].Ticket)
	}
}
