package webhookpush

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ticketsync/ticketsync"
)

// FuzzParseWebhook checks that no body makes ParseWebhook panic, that what
// it accepts is valid JSON and gives complete events, that its errors are
// short and never echo the payload, and that it reads the same subject as
// encoding/json does. The seed corpus is in testdata/fuzz/FuzzParseWebhook.
func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(documented))
	f.Add([]byte(`{"event": "ticket.deleted", "tickets": [{"id": 1}, {"ticket": {"id": "2"}}]}`))
	f.Add([]byte(`{"data": {"items": [{"number": 981, "fields": {"summary": "x", "labels": "a,b"}}]}, "meta": {"action": "create"}}`))
	autoConn, err := New(Config{AllowUnsigned: true, Now: clock})
	if err != nil {
		f.Fatal(err)
	}
	mapped, err := New(Config{AllowUnsigned: true, Now: clock, ItemsPath: "data.items", Mapping: Mapping{
		"ID": "number", "Subject": "fields.summary", "Tags": "fields.labels", "UpdatedAt": "fields.at",
		"Kind": "$.meta.action", "Fields.Plan": "fields.plan", "Status": "fields.state[0]",
	}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, c := range []*Connector{autoConn, mapped} {
			evs, err := c.ParseWebhook(body)
			if err != nil {
				msg := err.Error()
				if !strings.HasPrefix(msg, "webhookpush: ") || len(msg) > 300 {
					t.Fatalf("error of %d bytes: %q", len(msg), msg)
				}
				if len(body) > 64 && strings.Contains(msg, string(body)) {
					t.Fatalf("error echoes the payload")
				}
				continue
			}
			if !json.Valid(body) {
				t.Fatalf("accepted a body that is not JSON")
			}
			if len(evs) > MaxItems {
				t.Fatalf("%d events, more than MaxItems", len(evs))
			}
			for _, ev := range evs {
				tk := ev.Ticket
				if tk == nil || ev.TicketID == "" || ev.TicketID != tk.ID || len(tk.ID) > maxIDLen || !utf8.ValidString(tk.ID) {
					t.Fatalf("incomplete event %+v", ev)
				}
				switch ev.Kind {
				case ticketsync.EventCreated, ticketsync.EventUpdated, ticketsync.EventDeleted, ticketsync.EventCommented:
				default:
					t.Fatalf("kind %q", ev.Kind)
				}
				if !ev.At.Equal(tk.UpdatedAt) || tk.UpdatedAt.After(testNow.Add(MaxFutureSkew)) || (!tk.UpdatedAt.IsZero() && tk.UpdatedAt.Year() < 1970) {
					t.Fatalf("UpdatedAt %s, At %s", tk.UpdatedAt, ev.At)
				}
				if tk.Status == "" || len(tk.Tags) > MaxTags || tk.Platform != DefaultPlatform {
					t.Fatalf("ticket %+v", *tk)
				}
			}
			if c == autoConn {
				checkSubjectAgainstStdlib(t, body, evs)
			}
		}
	})
}

// checkSubjectAgainstStdlib compares the subject of {"ticket": {...,
// "subject": "..."}} with what encoding/json reads.
func checkSubjectAgainstStdlib(t *testing.T, body []byte, evs []ticketsync.Event) {
	var root map[string]json.RawMessage
	if json.Unmarshal(body, &root) != nil {
		return
	}
	var tk map[string]json.RawMessage
	if json.Unmarshal(root["ticket"], &tk) != nil || tk == nil {
		return
	}
	var subject string
	if raw := strings.TrimSpace(string(tk["subject"])); raw == "null" || json.Unmarshal(tk["subject"], &subject) != nil {
		return
	}
	if len(evs) != 1 {
		t.Fatalf("%d events for one ticket", len(evs))
	}
	if got, want := evs[0].Ticket.Subject, strings.TrimSpace(subject); got != want {
		t.Fatalf("Subject %q, encoding/json reads %q", got, want)
	}
}
