package csvimport_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/ticketsync/ticketsync/csvimport"
	"github.com/ticketsync/ticketsync/memstore"
)

func ExampleImport() {
	export := `Ticket ID,Subject,Status,Priority,Source,Agent,Created time,Last update time,Tags,Resolution status
101,Refund for double charge,Resolved,Medium,Email,Hana,2024-05-02 08:14:09,2024-05-02 15:40:00,"refund,billing",Within SLA
102,Tracking link broken,Waiting on Customer,Low,Portal,Hana,2024-05-03 10:01:55,2024-05-03 11:20:40,shipping,
1.03006E+13,Lost its digits,Open,High,Phone,,2024-05-03 12:30:00,2024-05-03 12:45:10,,
`
	store := memstore.New()
	rep, err := csvimport.Import(context.Background(), strings.NewReader(export), store,
		csvimport.Options{ConnectorID: "helpdesk-export"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("preset %s: %d rows, %d imported, %d skipped\n", rep.Preset, rep.Rows, rep.Imported, rep.Skipped)
	for _, e := range rep.Errors {
		fmt.Println(e.Line, e.Column, e.Value)
	}
	t, _ := store.Ticket(context.Background(), "helpdesk-export", "102")
	fmt.Println(t.Subject, "|", t.Status, "|", t.RawStatus, "|", t.Priority, "|", t.Channel, "|", t.UpdatedAt)
	t, _ = store.Ticket(context.Background(), "helpdesk-export", "101")
	fmt.Println(t.Tags, t.Fields["Resolution status"])
	// Output:
	// preset freshdesk: 3 rows, 2 imported, 1 skipped
	// 4 Ticket ID 1.03006E+13
	// Tracking link broken | pending | Waiting on Customer | low | portal | 2024-05-03 11:20:40 +0000 UTC
	// [refund billing] Within SLA
}
