package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/sqlstore"
)

// benchPage returns page n of a benchmark: size new tickets, each with
// three comments, shaped like a help desk's tickets.
func benchPage(n, size int) []ticketsync.Ticket {
	page := make([]ticketsync.Ticket, size)
	for i := range page {
		id := fmt.Sprintf("%d-%d", n, i)
		page[i] = ticketsync.Ticket{
			ConnectorID: "bench",
			Platform:    "zendesk",
			ID:          id,
			URL:         "https://acme.zendesk.com/agent/tickets/" + id,
			Subject:     "Cannot log in after password reset " + id,
			Description: "Hello, since this morning I cannot log in. I reset my password twice and still get an error page. Please help.",
			Status:      ticketsync.StatusOpen,
			RawStatus:   "open",
			Priority:    ticketsync.PriorityNormal,
			RawPriority: "normal",
			Channel:     "email",
			Requester:   ticketsync.Person{ID: "u" + id, Name: "Ann Example", Email: "ann@example.com"},
			Assignee:    ticketsync.Person{ID: "agent-7", Name: "Bob Agent", Email: "bob@acme.example"},
			Tags:        []string{"login", "vip"},
			Fields:      map[string]string{"plan": "enterprise", "region": "eu"},
			CreatedAt:   at(i),
			UpdatedAt:   at(n*size + i),
		}
		for c := range 3 {
			page[i].Comments = append(page[i].Comments, ticketsync.Comment{
				ID:        fmt.Sprintf("%s-c%d", id, c),
				Author:    ticketsync.Person{ID: "agent-7", Name: "Bob Agent", Email: "bob@acme.example"},
				Body:      "Thanks for reaching out. Could you tell us which browser you use and send a screenshot of the error?",
				Public:    c != 1,
				CreatedAt: at(i + c),
			})
		}
	}
	return page
}

// BenchmarkUpsert writes pages of 1,000 new tickets with 3 comments each,
// one UpsertTickets call per page, on PostgreSQL, SQLite and memstore, and
// reports tickets/s.
func BenchmarkUpsert(b *testing.B) {
	const size = 1000
	stores := []struct {
		name string
		open func(b *testing.B) ticketsync.Store
	}{
		{"postgres", func(b *testing.B) ticketsync.Store { return newStore(b, sqlstore.Postgres, nil) }},
		{"sqlite", func(b *testing.B) ticketsync.Store { return newStore(b, sqlstore.SQLite, nil) }},
		{"memstore", func(b *testing.B) ticketsync.Store { return memstore.New() }},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			ctx := context.Background()
			n := 0
			for b.Loop() {
				b.StopTimer()
				page := benchPage(n, size)
				n++
				b.StartTimer()
				if err := s.UpsertTickets(ctx, page); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*size)/b.Elapsed().Seconds(), "tickets/s")
		})
	}
}
