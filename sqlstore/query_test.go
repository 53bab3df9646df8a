package sqlstore_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/sqlstore"
)

func TestListTickets(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newStore(t, d, nil)
		// 25 tickets; three share a time, to check the order by ID.
		var all []ticketsync.Ticket
		for i := range 25 {
			v := i
			if i >= 10 && i < 13 {
				v = 10
			}
			all = append(all, ticket(fmt.Sprintf("t%02d", i), v, comment("c", fmt.Sprint(i), 1)))
		}
		other := ticket("other", 5)
		other.ConnectorID = "c2"
		mustUpsert(t, s, append(all, other)...)

		list := func(opts sqlstore.ListOptions) []string {
			t.Helper()
			var ids []string
			for pages := 0; ; pages++ {
				page, err := s.ListTickets(ctx, "c1", &opts)
				if err != nil {
					t.Fatal(err)
				}
				for _, tk := range page.Tickets {
					if len(tk.Comments) != 1 {
						t.Errorf("ticket %s listed with %d comments, want 1", tk.ID, len(tk.Comments))
					}
					ids = append(ids, tk.ID)
				}
				if page.NextPageToken == "" {
					return ids
				}
				if pages > 30 {
					t.Fatal("listing does not end")
				}
				opts.PageToken = page.NextPageToken
			}
		}
		var want []string
		for i := range 25 {
			want = append(want, fmt.Sprintf("t%02d", i))
		}
		if got := list(sqlstore.ListOptions{PageSize: 4}); !reflect.DeepEqual(got, want) {
			t.Errorf("all, 4 a page: %v\nwant %v", got, want)
		}
		if got := list(sqlstore.ListOptions{Since: at(10), PageSize: 2}); !reflect.DeepEqual(got, want[10:]) {
			t.Errorf("since 10, 2 a page: %v\nwant %v", got, want[10:])
		}
		if got := list(sqlstore.ListOptions{Since: at(100)}); len(got) != 0 {
			t.Errorf("since after the last change: %v", got)
		}
		if _, err := s.ListTickets(ctx, "c1", &sqlstore.ListOptions{PageToken: "%%%"}); err == nil {
			t.Error("bad page token: no error")
		}
		page, err := s.ListTickets(ctx, "c1", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Tickets) != 25 || !reflect.DeepEqual(page.Tickets[3], mustTicket(t, s, "c1", "t03")) {
			t.Errorf("default page: %d tickets, or ticket t03 differs from Ticket's", len(page.Tickets))
		}
	})
}

func TestCountByStatus(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		ctx := context.Background()
		s := newStore(t, d, nil)
		mk := func(conn, id string, st ticketsync.Status, deleted bool) ticketsync.Ticket {
			tk := ticket(id, 1)
			tk.ConnectorID, tk.Status, tk.Deleted = conn, st, deleted
			return tk
		}
		mustUpsert(t, s,
			mk("c1", "1", ticketsync.StatusOpen, false),
			mk("c1", "2", ticketsync.StatusOpen, false),
			mk("c1", "3", ticketsync.StatusSolved, false),
			mk("c1", "4", ticketsync.StatusOpen, true),
			mk("c2", "1", ticketsync.StatusPending, false),
		)
		got, err := s.CountByStatus(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if want := map[ticketsync.Status]int{"open": 2, "solved": 1}; !reflect.DeepEqual(got, want) {
			t.Errorf("c1: %v, want %v", got, want)
		}
		got, err = s.CountByStatus(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if want := map[ticketsync.Status]int{"open": 2, "solved": 1, "pending": 1}; !reflect.DeepEqual(got, want) {
			t.Errorf("all connectors: %v, want %v", got, want)
		}
	})
}
