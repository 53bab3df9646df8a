package zendesk_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// Example checks the credentials and polls an account, here the fake one:
// the first Fetch starts from Config.StartTime (everything), and the
// cursor it returns is where the next poll resumes.
func Example() {
	// The fake's export budget is raised from Zendesk's 10 a minute so
	// that the example does not wait between the two exports.
	fake := zendesktest.New(&zendesktest.Options{ExportRateLimit: 120})
	defer fake.Close()
	fake.SetNow(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	fake.Seed(3)

	zd, err := zendesk.New(zendesk.Config{
		Subdomain: "acme",
		BaseURL:   fake.URL, // omit for https://acme.zendesk.com
		Email:     fake.Email,
		APIToken:  fake.Token,

		ExportRequestsPerMinute: 120,
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := zd.Test(ctx); err != nil {
		log.Fatal(err)
	}
	page, err := zd.Fetch(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range page.Tickets {
		fmt.Printf("#%s %s %q by %s, %d comments\n", t.ID, t.Status, t.Subject, t.Requester.Email, len(t.Comments))
	}
	fmt.Println("more:", page.More)
	// Output:
	// #1 new "Cannot log in after password reset" by farah.5@example.com, 1 comments
	// #2 open "Invoice 10001 shows the wrong VAT rate" by farah.5@example.com, 2 comments
	// #3 open "Export to CSV times out" by farah.5@example.com, 3 comments
	// more: false
}
