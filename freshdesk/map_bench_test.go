package freshdesk

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/freshdesk/freshdesktest"
)

// listPageBytes returns a 100-ticket list page with the connector's
// embeds, as the fake serves it.
func listPageBytes(tb testing.TB) []byte {
	f := freshdesktest.NewServer(tb, &freshdesktest.Options{RateLimit: -1, ListRateLimit: -1})
	f.AddStatus("Waiting on Customer", "")
	f.AddCustomField(freshdesktest.CustomField{Name: "cf_product", Label: "Product", Type: "custom_text"})
	f.GenerateTickets(100, nil)
	req, _ := http.NewRequest(http.MethodGet, f.URL+"/api/v2/tickets?updated_since=1970-01-01T00:00:00Z&order_by=updated_at&order_type=asc&per_page=100&include=requester,description", nil)
	req.Header.Set("Authorization", f.Basic())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("list page: %d %v", resp.StatusCode, err)
	}
	return data
}

// BenchmarkListPage decodes and normalizes a 100-ticket list page, against
// plain encoding/json into a struct of the same fields, without mapping.
func BenchmarkListPage(b *testing.B) {
	data := listPageBytes(b)
	c, err := New(Config{Domain: "acme", APIKey: "k"})
	if err != nil {
		b.Fatal(err)
	}
	tf := &ticketFields{statuses: map[int]string{2: "Open", 3: "Pending", 4: "Resolved", 5: "Closed", 6: "Waiting on Customer"}}
	b.Run("connector", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var page []wireTicket
			if err := json.Unmarshal(data, &page); err != nil {
				b.Fatal(err)
			}
			for i := range page {
				_ = c.ticket(&page[i], tf)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		type plain struct {
			ID              int64                      `json:"id"`
			Subject         string                     `json:"subject"`
			Description     string                     `json:"description"`
			DescriptionText string                     `json:"description_text"`
			Status          int                        `json:"status"`
			Priority        int                        `json:"priority"`
			Source          int                        `json:"source"`
			Type            string                     `json:"type"`
			RequesterID     int64                      `json:"requester_id"`
			ResponderID     int64                      `json:"responder_id"`
			GroupID         int64                      `json:"group_id"`
			CompanyID       int64                      `json:"company_id"`
			ProductID       int64                      `json:"product_id"`
			Tags            []string                   `json:"tags"`
			CustomFields    map[string]json.RawMessage `json:"custom_fields"`
			Spam            bool                       `json:"spam"`
			Deleted         bool                       `json:"deleted"`
			CreatedAt       time.Time                  `json:"created_at"`
			UpdatedAt       time.Time                  `json:"updated_at"`
			Requester       *struct {
				ID    int64  `json:"id"`
				Name  string `json:"name"`
				Email string `json:"email"`
			} `json:"requester"`
		}
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var page []plain
			if err := json.Unmarshal(data, &page); err != nil {
				b.Fatal(err)
			}
		}
	})
}
