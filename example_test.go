package ticketsync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// exampleDesk is a tiny in-process help desk with two pages of tickets. Its
// cursor is the number of pages already delivered.
type exampleDesk struct{}

func (exampleDesk) Platform() string           { return "exampledesk" }
func (exampleDesk) Test(context.Context) error { return nil }

func (exampleDesk) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	at := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	switch cursor {
	case "":
		return ticketsync.Page{Cursor: "1", More: true, Tickets: []ticketsync.Ticket{
			{ID: "101", Subject: "Login not working", Status: ticketsync.StatusOpen, UpdatedAt: at},
			{ID: "102", Subject: "Invoice missing", Status: ticketsync.StatusPending, UpdatedAt: at},
		}}, nil
	case "1":
		return ticketsync.Page{Cursor: "2", Tickets: []ticketsync.Ticket{
			{ID: "103", Subject: "Printer on fire", Status: ticketsync.StatusNew, Priority: ticketsync.PriorityUrgent, UpdatedAt: at},
		}}, nil
	}
	return ticketsync.Page{Cursor: cursor}, nil
}

func Example() {
	ctx := context.Background()
	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, nil)
	if err := syncer.Add("acme", exampleDesk{}, ticketsync.ModePoll); err != nil {
		fmt.Println(err)
		return
	}

	// Run(ctx) would poll every 15 minutes; SyncNow polls once.
	run, err := syncer.SyncNow(ctx, "acme")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("run:", run.Status, run.Tickets, "tickets")
	for _, t := range store.Tickets("acme") {
		fmt.Println(t.ID, t.Status, t.Subject)
	}
	cursor, _ := store.Cursor(ctx, "acme")
	fmt.Println("cursor:", cursor)
	// Output:
	// run: succeeded 3 tickets
	// 101 open Login not working
	// 102 pending Invoice missing
	// 103 new Printer on fire
	// cursor: 2
}

func ExampleParseStatus() {
	for _, word := range []string{"Waiting on Customer", "hold", "Done", "In Progress", "4"} {
		s, ok := ticketsync.ParseStatus(word)
		fmt.Printf("%q -> %s %v\n", word, s, ok)
	}
	// Output:
	// "Waiting on Customer" -> pending true
	// "hold" -> on_hold true
	// "Done" -> solved true
	// "In Progress" -> open true
	// "4" -> solved true
}
