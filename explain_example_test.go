package ticketsync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// Explain says why a ticket is missing from the Store; Repair fixes it.
// The platform here is an in-memory one whose connector loads tickets by id
// and describes its cursor, as the platform packages do.
func ExampleSyncer_Explain() {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	platform := newPlatform(start,
		ticketAt("1", "printer on fire", start.Add(time.Hour)),
		ticketAt("2", "from last year", start.AddDate(-1, 0, 0)),
	)
	syncer := ticketsync.NewSyncer(memstore.New(), &ticketsync.Options{
		Now: func() time.Time { return start.Add(2 * time.Hour) },
	})
	if err := syncer.Add("acme", platform, ticketsync.ModePoll); err != nil {
		panic(err)
	}
	ctx := context.Background()
	if _, err := syncer.SyncNow(ctx, "acme"); err != nil {
		panic(err)
	}
	platform.put(ticketAt("1", "printer still on fire", start.Add(90*time.Minute)))

	for _, id := range []string{"1", "2"} {
		x, err := syncer.Explain(ctx, "acme", id)
		if err != nil {
			panic(err)
		}
		fmt.Println(x.Verdict+":", x.Summary)
	}
	t, _ := syncer.Repair(ctx, "acme", "1")
	fmt.Println("repaired:", t.Subject)
	// Output:
	// store-behind: the Store is behind: the platform updated it at 2026-01-01 01:30:00 UTC, the last poll read up to 2026-01-01 01:00:00 UTC; no run has read it yet; next run 2026-01-01 02:00:00 UTC
	// before-start: missing from the Store: never synced because it last changed at 2025-01-01 00:00:00 UTC, before the connector's start 2026-01-01 00:00:00 UTC
	// repaired: printer still on fire
}
