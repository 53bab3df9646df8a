package zendesktest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

func Example() {
	s := zendesktest.New(nil)
	defer s.Close()
	s.SetNow(time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC))
	s.Seed(2500)

	// Export every ticket changed in the last day, 1000 at a time.
	start := s.Now().Add(-24 * time.Hour).Unix()
	next := s.URL + "/api/v2/incremental/tickets/cursor.json?per_page=1000&start_time=" + strconv.FormatInt(start, 10)
	for page := 1; ; page++ {
		req, _ := http.NewRequest(http.MethodGet, next, nil)
		req.Header.Set("Authorization", s.Basic())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		var body struct {
			Tickets     []struct{ ID int64 } `json:"tickets"`
			AfterURL    string               `json:"after_url"`
			EndOfStream bool                 `json:"end_of_stream"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			panic(err)
		}
		fmt.Printf("page %d: %d tickets, end_of_stream %v\n", page, len(body.Tickets), body.EndOfStream)
		if body.EndOfStream {
			break
		}
		next = body.AfterURL
	}
	fmt.Println("export requests:", s.RequestCount("GET", "/api/v2/incremental/tickets/cursor.json"))
	// Output:
	// page 1: 1000 tickets, end_of_stream false
	// page 2: 1000 tickets, end_of_stream false
	// page 3: 500 tickets, end_of_stream true
	// export requests: 3
}

func ExampleServer_SignedWebhook() {
	s := zendesktest.New(nil)
	defer s.Close()
	s.SetNow(time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC))
	tk, _ := s.CreateTicket(zendesktest.Ticket{Subject: "Printer on fire", Priority: "urgent"})

	body, _ := s.EventPayload("ticket.created", tk.ID)
	req, _ := s.SignedWebhook("http://localhost:8080/api/webhooks/tickets?connectorId=zendesk", "webhook-secret", body)

	ts := req.Header.Get(zendesktest.SignatureTimestampHeader)
	fmt.Println(ts)
	fmt.Println(req.Header.Get(zendesktest.SignatureHeader) == zendesktest.Sign("webhook-secret", ts, body))
	// Output:
	// 2025-03-03T12:00:00Z
	// true
}
