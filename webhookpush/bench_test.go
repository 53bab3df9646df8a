package webhookpush

import (
	"encoding/json"
	"testing"
	"time"
)

// benchPayload is a typical push of about 2 KB: one ticket with people,
// tags, custom fields and a longer description, in the documented format.
const benchPayload = `{
  "event": "ticket.updated",
  "ticket": {
    "id": "84213",
    "url": "https://support.example.com/tickets/84213",
    "subject": "Invoice PDF export fails for accounts with more than 500 line items",
    "description": "Since the release on Monday our finance team cannot export invoices as PDF when the invoice has more than 500 line items. The export spinner runs for about a minute and then the page shows 'Something went wrong'. Smaller invoices export fine. We tried Chrome and Firefox, cleared caches, and tried from two different offices. This blocks our month-end close, which is on Friday, so we would appreciate an update today. Invoice numbers affected so far: INV-2026-0612, INV-2026-0618, INV-2026-0631. Steps: open the invoice, click Export, choose PDF, wait. The same invoices export to CSV without trouble, and the PDF preview opens.",
    "status": "Waiting on Customer",
    "priority": "High",
    "channel": "email",
    "requester": {"id": 99812, "name": "Dana Whitfield", "email": "dana.whitfield@customer.example.com"},
    "assignee": {"id": 4411, "name": "Sam Ortega", "email": "sam.ortega@support.example.com"},
    "tags": ["billing", "export", "pdf", "month-end", "enterprise"],
    "custom_fields": {"plan": "Enterprise", "region": "EU-West", "account_id": "ACME-00042", "sla": "gold", "product_area": "Invoicing", "version": "2026.6.3", "browser": "Chrome 138", "seats": 420},
    "created_at": "2026-06-29T08:14:22Z",
    "updated_at": "2026-07-01T09:41:07Z",
    "organization": {"id": 2201, "name": "Acme Industrial GmbH", "domain": "customer.example.com"},
    "via": {"source": "email", "to": "support@example.com", "message_id": "<CAF8x1@mail.customer.example.com>"},
    "satisfaction": null, "brand_id": 7, "is_public": true, "has_incidents": false,
    "followers": [{"id": 4412, "email": "lee.chen@support.example.com"}, {"id": 4413, "email": "ana.silva@support.example.com"}]
  }
}`

// benchTicket is what a hand-written receiver would decode the same fields
// into with encoding/json: the baseline.
type benchTicket struct {
	Event  string `json:"event"`
	Ticket struct {
		ID          string `json:"id"`
		URL         string `json:"url"`
		Subject     string `json:"subject"`
		Description string `json:"description"`
		Status      string `json:"status"`
		Priority    string `json:"priority"`
		Channel     string `json:"channel"`
		Requester   struct {
			ID    int64  `json:"id"`
			Name  string `json:"name"`
			Email string `json:"email"`
		} `json:"requester"`
		Assignee struct {
			ID    int64  `json:"id"`
			Name  string `json:"name"`
			Email string `json:"email"`
		} `json:"assignee"`
		Tags         []string       `json:"tags"`
		CustomFields map[string]any `json:"custom_fields"`
		CreatedAt    time.Time      `json:"created_at"`
		UpdatedAt    time.Time      `json:"updated_at"`
	} `json:"ticket"`
}

// BenchmarkParse compares ParseWebhook, with auto-detection and with a
// Mapping, against json.Unmarshal of the same bytes into benchTicket. Run:
//
//	go test -run '^$' -bench BenchmarkParse -benchmem ./webhookpush/
func BenchmarkParse(b *testing.B) {
	body := []byte(benchPayload)
	if len(body) < 1800 || len(body) > 2400 {
		b.Fatalf("payload is %d bytes, want about 2 KB", len(body))
	}
	autoConn, err := New(Config{AllowUnsigned: true, Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	mapped, err := New(Config{AllowUnsigned: true, Now: clock, Mapping: Mapping{
		"ID": "ticket.id", "URL": "ticket.url", "Subject": "ticket.subject", "Description": "ticket.description",
		"Status": "ticket.status", "Priority": "ticket.priority", "Channel": "ticket.channel",
		"Requester.ID": "ticket.requester.id", "Requester.Name": "ticket.requester.name", "Requester.Email": "ticket.requester.email",
		"Assignee.ID": "ticket.assignee.id", "Assignee.Name": "ticket.assignee.name", "Assignee.Email": "ticket.assignee.email",
		"Tags": "ticket.tags", "CreatedAt": "ticket.created_at", "UpdatedAt": "ticket.updated_at", "Kind": "event",
		"Fields.plan": "ticket.custom_fields.plan", "Fields.region": "ticket.custom_fields.region", "Fields.seats": "ticket.custom_fields.seats",
	}})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []*Connector{autoConn, mapped} {
		evs, err := c.ParseWebhook(body)
		if err != nil || len(evs) != 1 || evs[0].Ticket.Requester.Email == "" || len(evs[0].Ticket.Tags) != 5 {
			b.Fatalf("payload does not parse fully: %v", err)
		}
	}
	b.Run("auto", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := autoConn.ParseWebhook(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mapping", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mapped.ParseWebhook(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var t benchTicket
			if err := json.Unmarshal(body, &t); err != nil {
				b.Fatal(err)
			}
		}
	})
}
