package hubspot_test

import (
	"context"
	"fmt"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/hubspot"
	"github.com/ticketsync/ticketsync/hubspot/hubspottest"
	"github.com/ticketsync/ticketsync/memstore"
)

// A connector for a HubSpot account, here the fake, synced into a Store.
// With a real account, leave BaseURL and HTTPClient unset and paste the
// private app's token.
func Example() {
	fake := hubspottest.New(nil)
	defer fake.Close()
	id := fake.CreateTicket(map[string]string{"subject": "Printer on fire", "hs_ticket_priority": "URGENT"})
	fake.AddNote(id, hubspottest.Note{Body: "<p>Called the <b>fire brigade</b>.</p>"})

	conn, err := hubspot.New(hubspot.Config{
		PrivateAppToken: hubspottest.DefaultToken, // pat-na1-...
		BaseURL:         fake.URL,
		HTTPClient:      fake.Client(),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := conn.Test(ctx); err != nil {
		panic(err)
	}
	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, nil)
	if err := syncer.Add("acme-hubspot", conn, ticketsync.ModeBoth); err != nil {
		panic(err)
	}
	run, err := syncer.SyncNow(ctx, "acme-hubspot")
	if err != nil {
		panic(err)
	}
	t, _ := store.Ticket(ctx, "acme-hubspot", id)
	fmt.Println(run.Status, run.Tickets)
	fmt.Println(t.Subject, t.Status, t.Priority)
	fmt.Println(t.Comments[0].Body)
	// Output:
	// succeeded 1
	// Printer on fire new urgent
	// Called the fire brigade.
}
