package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// A late, older copy of a ticket does not undo a newer one, but the comment
// it carries is kept.
func Example() {
	ctx := context.Background()
	store := memstore.New()

	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	newer := ticketsync.Ticket{
		ConnectorID: "acme-zendesk", Platform: "zendesk", ID: "35436",
		Subject: "Printer on fire", Status: ticketsync.StatusSolved,
		UpdatedAt: t0.Add(time.Hour),
		Comments: []ticketsync.Comment{
			{ID: "c2", Body: "Extinguished.", CreatedAt: t0.Add(time.Hour)},
		},
	}
	older := ticketsync.Ticket{
		ConnectorID: "acme-zendesk", Platform: "zendesk", ID: "35436",
		Subject: "Printer smoking", Status: ticketsync.StatusOpen,
		UpdatedAt: t0,
		Comments: []ticketsync.Comment{
			{ID: "c1", Body: "It smells of smoke.", CreatedAt: t0},
		},
	}
	if err := store.UpsertTickets(ctx, []ticketsync.Ticket{newer}); err != nil {
		panic(err)
	}
	if err := store.UpsertTickets(ctx, []ticketsync.Ticket{older}); err != nil {
		panic(err)
	}

	got, err := store.Ticket(ctx, "acme-zendesk", "35436")
	if err != nil {
		panic(err)
	}
	fmt.Println(got.Subject, got.Status)
	for _, c := range got.Comments {
		fmt.Println(c.ID, c.Body)
	}
	fmt.Println(store.Len("acme-zendesk"), "ticket")
	// Output:
	// Printer on fire solved
	// c1 It smells of smoke.
	// c2 Extinguished.
	// 1 ticket
}
