package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"time"

	_ "modernc.org/sqlite"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/sqlstore"
)

func Example() {
	ctx := context.Background()
	// A file path keeps the tickets across restarts; ":memory:" with one
	// connection keeps this example self-contained.
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	store, err := sqlstore.New(ctx, db, nil) // dialect detected, schema created
	if err != nil {
		log.Fatal(err)
	}
	t0 := time.Date(2024, 5, 6, 7, 0, 0, 0, time.UTC)
	err = store.UpsertTickets(ctx, []ticketsync.Ticket{
		{ConnectorID: "acme-zendesk", ID: "1", Subject: "Printer on fire", Status: ticketsync.StatusOpen, UpdatedAt: t0},
		{ConnectorID: "acme-zendesk", ID: "2", Subject: "Password reset", Status: ticketsync.StatusSolved, UpdatedAt: t0},
	})
	if err != nil {
		log.Fatal(err)
	}
	// An older copy arriving late changes nothing.
	err = store.UpsertTickets(ctx, []ticketsync.Ticket{
		{ConnectorID: "acme-zendesk", ID: "1", Subject: "stale", UpdatedAt: t0.Add(-time.Hour)},
	})
	if err != nil {
		log.Fatal(err)
	}
	t, err := store.Ticket(ctx, "acme-zendesk", "1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.Subject)
	counts, err := store.CountByStatus(ctx, "acme-zendesk")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(counts[ticketsync.StatusOpen], "open,", counts[ticketsync.StatusSolved], "solved")
	// Output:
	// Printer on fire
	// 1 open, 1 solved
}
