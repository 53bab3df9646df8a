package zendesk_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// Example_registerWebhook sets up real-time sync with no visit to Admin
// Center: the Syncer has Zendesk create the webhook for the connector and
// accepts its signing secret; a ticket changed in Zendesk then reaches the
// store by webhook. Removing the connector deletes the webhook.
func Example_registerWebhook() {
	ctx := context.Background()
	fake := zendesktest.New(nil)
	defer fake.Close()
	fake.SetNow(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	ticket, _ := fake.CreateTicket(zendesktest.Ticket{Subject: "VPN drops every hour", Status: "open"})

	// The host application: a Syncer whose webhook handler is public.
	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, nil)
	mux := http.NewServeMux()
	mux.Handle("/api/webhooks/tickets", syncer.WebhookHandler())
	public := httptest.NewServer(mux) // https://sync.example.com in production
	defer public.Close()

	zd, err := zendesk.New(zendesk.Config{
		Subdomain: "acme",
		BaseURL:   fake.URL, // omit for https://acme.zendesk.com
		Email:     fake.Email,
		APIToken:  fake.Token,
		Now:       fake.Now, // the fake's clock signs the deliveries
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := syncer.Add("acme", zd, ticketsync.ModeWebhook); err != nil {
		log.Fatal(err)
	}
	reg, err := syncer.RegisterWebhook(ctx, "acme", public.URL+"/api/webhooks/tickets")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("webhooks in Zendesk:", len(fake.Webhooks()), "events:", len(reg.Events))

	// An agent solves the ticket in Zendesk.
	if _, err := fake.UpdateTicket(ticket.ID, func(t *zendesktest.Ticket) { t.Status = "solved" }); err != nil {
		log.Fatal(err)
	}
	fake.WaitWebhooks()
	stored, err := store.Ticket(ctx, "acme", fmt.Sprint(ticket.ID))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(stored.Subject, "is", stored.Status)

	if err := syncer.RemoveWithWebhook(ctx, "acme"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("webhooks in Zendesk after removal:", len(fake.Webhooks()))
	// Output:
	// webhooks in Zendesk: 1 events: 18
	// VPN drops every hour is solved
	// webhooks in Zendesk after removal: 0
}
