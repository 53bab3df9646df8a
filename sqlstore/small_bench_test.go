package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ticketsync/ticketsync/sqlstore"
)

// BenchmarkUpsertSmall stores small batches of stored tickets, newer than
// the stored copies, on PostgreSQL: what a webhook delivery (one ticket) or
// a short incremental page writes. It compares the COPY path with the
// one-statement parameter path, measured in the same run.
func BenchmarkUpsertSmall(b *testing.B) {
	const stored = 10
	for _, size := range []int{1, 10, 50} {
		for _, copyPath := range []bool{true, false} {
			name := fmt.Sprintf("tickets=%d/params", size)
			if copyPath {
				name = fmt.Sprintf("tickets=%d/copy", size)
			}
			b.Run(name, func(b *testing.B) {
				s := newStore(b, sqlstore.Postgres, nil)
				sqlstore.SetBulkCopy(s, copyPath)
				sqlstore.SetCopyMin(s, 1)
				ctx := context.Background()
				for n := range stored {
					if err := s.UpsertTickets(ctx, benchPage(n, size)); err != nil {
						b.Fatal(err)
					}
				}
				call := 0
				for b.Loop() {
					b.StopTimer()
					page := updatePage(call%stored, size, call)
					call++
					b.StartTimer()
					if err := s.UpsertTickets(ctx, page); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(call)/1000, "ms/call")
			})
		}
	}
}
