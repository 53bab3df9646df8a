package intercom_test

import (
	"context"
	"fmt"
	"log"
	"slices"
	"strings"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/intercom"
	"github.com/ticketsync/ticketsync/intercom/intercomtest"
	"github.com/ticketsync/ticketsync/memstore"
)

// Example checks the token and syncs a workspace, here the fake one, into
// a memstore through a Syncer: conversations and tickets, each read with
// its replies and notes.
func Example() {
	fake := intercomtest.New(nil)
	defer fake.Close()
	if _, _, err := fake.Seed(3, 2, 2); err != nil {
		log.Fatal(err)
	}

	ic, err := intercom.New(intercom.Config{
		AccessToken: fake.Token(),
		BaseURL:     fake.URL, // omit for https://api.intercom.io (Region "US")
		HTTPClient:  fake.Client(),
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := ic.Test(ctx); err != nil {
		log.Fatal(err)
	}
	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, nil)
	if err := syncer.Add("acme-intercom", ic, ticketsync.ModePoll); err != nil {
		log.Fatal(err)
	}
	run, err := syncer.SyncNow(ctx, "acme-intercom")
	if err != nil {
		log.Fatal(err)
	}
	tickets := store.Tickets("acme-intercom")
	slices.SortFunc(tickets, func(a, b ticketsync.Ticket) int { return strings.Compare(a.ID, b.ID) })
	for _, t := range tickets {
		fmt.Printf("%-14s %-7s %-8s %q by %s, %d comments\n", t.ID, t.Status, t.Channel, t.Subject, t.Requester.Email, len(t.Comments))
	}
	fmt.Println(run.Status, run.Tickets, "tickets")
	// Output:
	// conversation:1 open    chat     "Question 0" by customer0@example.com, 2 comments
	// conversation:2 solved  email    "Question 1" by customer1@example.com, 2 comments
	// conversation:3 on_hold chat     "Question 2" by customer2@example.com, 2 comments
	// ticket:1       new              "Ticket 0" by requester0@example.com, 2 comments
	// ticket:2       open             "Ticket 1" by requester1@example.com, 2 comments
	// succeeded 5 tickets
}
