package freshdesktest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/ticketsync/ticketsync/freshdesk/freshdesktest"
)

// Example lists tickets as Freshdesk does: without updated_since only those
// created in the last 30 days, with it every ticket, a page at a time.
func Example() {
	fake := freshdesktest.New(nil)
	defer fake.Close()
	fake.SetNow(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	fake.GenerateTickets(3, nil) // created 90 days ago
	if _, err := fake.CreateTicket(freshdesktest.Ticket{Subject: "Created today"}); err != nil {
		panic(err)
	}
	for _, query := range []string{"", "?updated_since=2020-01-01T00:00:00Z&per_page=2"} {
		req, _ := http.NewRequest(http.MethodGet, fake.URL+"/api/v2/tickets"+query, nil)
		req.Header.Set("Authorization", fake.Basic())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		var tickets []struct {
			Subject string `json:"subject"`
		}
		err = json.NewDecoder(resp.Body).Decode(&tickets)
		resp.Body.Close()
		if err != nil {
			panic(err)
		}
		fmt.Printf("%d: %d tickets, next page: %t, credits left: %s\n", resp.StatusCode, len(tickets),
			resp.Header.Get("Link") != "", resp.Header.Get("X-RateLimit-Remaining"))
	}
	// Output:
	// 200: 1 tickets, next page: false, credits left: 199
	// 200: 2 tickets, next page: true, credits left: 198
}
