// Command quickstart syncs tickets from a small in-process help desk into an
// in-memory store and prints what it synced and the sync history. It needs
// no credentials and no network:
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// desk is an in-process help desk with 250 tickets, served 100 per page.
// Its cursor is the offset of the next page.
type desk struct{ tickets []ticketsync.Ticket }

func newDesk(n int) *desk {
	d := &desk{}
	start := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	statuses := []ticketsync.Status{ticketsync.StatusNew, ticketsync.StatusOpen, ticketsync.StatusPending, ticketsync.StatusSolved}
	for i := 1; i <= n; i++ {
		d.tickets = append(d.tickets, ticketsync.Ticket{
			ID:        strconv.Itoa(i),
			Subject:   "Ticket number " + strconv.Itoa(i),
			Status:    statuses[i%len(statuses)],
			Requester: ticketsync.Person{Email: fmt.Sprintf("customer%d@example.com", i)},
			CreatedAt: start.Add(time.Duration(i) * time.Minute),
			UpdatedAt: start.Add(time.Duration(i) * time.Minute),
		})
	}
	return d
}

func (d *desk) Platform() string           { return "quickstart" }
func (d *desk) Test(context.Context) error { return nil }

func (d *desk) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	offset := 0
	if cursor != "" {
		var err error
		if offset, err = strconv.Atoi(cursor); err != nil {
			return ticketsync.Page{}, fmt.Errorf("quickstart: bad cursor %q", cursor)
		}
	}
	end := min(offset+100, len(d.tickets))
	if offset > end {
		offset = end
	}
	return ticketsync.Page{
		Tickets: append([]ticketsync.Ticket(nil), d.tickets[offset:end]...),
		Cursor:  strconv.Itoa(end),
		More:    end < len(d.tickets),
	}, nil
}

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx := context.Background()
	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, nil)
	if err := syncer.Add("acme", newDesk(250), ticketsync.ModePoll); err != nil {
		return err
	}
	if _, err := syncer.SyncNow(ctx, "acme"); err != nil {
		return err
	}

	tickets := store.Tickets("acme")
	fmt.Printf("synced %d tickets; the first three:\n", len(tickets))
	for _, t := range tickets[:3] {
		fmt.Printf("  #%s %-8s %s <%s>\n", t.ID, t.Status, t.Subject, t.Requester.Email)
	}
	runs, err := store.SyncRuns(ctx, "acme", 10)
	if err != nil {
		return err
	}
	fmt.Println("sync history:")
	for _, r := range runs {
		fmt.Fprintf(os.Stdout, "  %s %s %s: %d tickets, attempt %d, errors %v\n",
			r.StartedAt.Format(time.RFC3339), r.Trigger, r.Status, r.Tickets, r.Attempt, r.Errors)
	}
	return nil
}
