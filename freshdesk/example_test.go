package freshdesk_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/ticketsync/ticketsync/freshdesk"
	"github.com/ticketsync/ticketsync/freshdesk/freshdesktest"
)

// Example checks the API key and polls an account, here the fake one: the
// first Fetch starts from Config.StartTime (everything), and the cursor it
// returns is where the next Fetch resumes.
func Example() {
	// The fake's rate limits are off, and so are the connector's, so that
	// the example does not wait.
	fake := freshdesktest.New(&freshdesktest.Options{RateLimit: -1, ListRateLimit: -1})
	defer fake.Close()
	fake.SetNow(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	fake.AddStatus("Waiting on Customer", "Awaiting your reply")
	fake.GenerateTickets(5, nil)

	fd, err := freshdesk.New(freshdesk.Config{
		Domain:  "acme",
		BaseURL: fake.URL, // omit for https://acme.freshdesk.com
		APIKey:  fake.APIKey,

		RequestsPerMinute: -1, ListRequestsPerMinute: -1,
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := fd.Test(ctx); err != nil {
		log.Fatal(err)
	}
	cursor := ""
	for {
		page, err := fd.Fetch(ctx, cursor)
		if err != nil {
			log.Fatal(err)
		}
		for _, t := range page.Tickets {
			fmt.Printf("#%s %s (%s) via %s: %q, %d comments\n", t.ID, t.Status, t.RawStatus, t.Channel, t.Subject, len(t.Comments))
		}
		if cursor = page.Cursor; !page.More {
			break
		}
	}
	// Output:
	// #1 open (Open) via email: "Cannot log in after password reset", 1 comments
	// #2 pending (Pending) via portal: "Invoice 1001 shows the wrong VAT rate", 2 comments
	// #3 solved (Resolved) via phone: "Export to CSV times out", 3 comments
	// #4 closed (Closed) via chat: "Refund for order 1003", 1 comments
	// #5 pending (Waiting on Customer) via feedback_widget: "App crashes when uploading a photo", 2 comments
}
