package csvimport_test

import (
	"context"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/csvimport"
)

// Excel's "CSV (Macintosh)" ends lines with CR alone. Such a file is read
// as lines, quoted line breaks included, not as one header of many columns.
func TestCROnlyLineEnds(t *testing.T) {
	lines := []string{
		"Id,Subject,Status,Description",
		`1,Printer jam,open,"first` + "\r" + `second"`,
		"2,Login broken,solved,plain",
	}
	for name, file := range map[string]string{
		"CR":            strings.Join(lines, "\r") + "\r",
		"CR, no last":   strings.Join(lines, "\r"),
		"CR with a BOM": "\xEF\xBB\xBF" + strings.Join(lines, "\r"),
		"CR, no quotes": strings.Join([]string{lines[0], "1,Printer jam,open,first", lines[2]}, "\r"),
	} {
		t.Run(name, func(t *testing.T) {
			st, rep, err := importString(t, file, csvimport.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rows != 2 || rep.Imported != 2 {
				t.Fatalf("rows %d imported %d, want 2 and 2 (columns %v)", rep.Rows, rep.Imported, rep.Columns)
			}
			if got := ticket(t, st, "2"); got.Subject != "Login broken" {
				t.Errorf("ticket 2 subject %q", got.Subject)
			}
			if got := ticket(t, st, "1"); got.Description != "first\nsecond" && name != "CR, no quotes" {
				t.Errorf("ticket 1 description %q: the quoted line break was lost", got.Description)
			}
		})
	}
}

// heapStore discards tickets and records the live heap at every call,
// when the batch is at its fullest.
type heapStore struct {
	discardStore
	peak uint64
}

func (s *heapStore) UpsertTickets(ctx context.Context, ts []ticketsync.Ticket) error {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.peak = max(s.peak, ms.HeapAlloc)
	return s.discardStore.UpsertTickets(ctx, ts)
}

// The heap stays bounded whatever the file's shape: wide rows of empty
// cells (whose cells the read-ahead did not count, and whose batch slots
// sized a map to every column) and big rows (a batch of which kept every
// row's text).
func TestHeapBoundedForWideAndBigRows(t *testing.T) {
	const limit = 48 << 20
	wideHeader := "Id" + strings.Repeat(",Extra", 20000) + "\n"
	cases := []struct {
		name string
		rows int
		src  io.Reader
	}{
		// 1,000 rows of 20,000 mostly empty cells: 20 MB.
		{"wide", 1000, &repeatReader{n: 1000, header: wideHeader, row: "%d" + strings.Repeat(",", 19990) + ",a,b,c,d,e,f,g,h,i,j\n"}},
		// 80 rows of 1 MiB each: 80 MB.
		{"big rows", 80, &repeatReader{n: 80, header: "Id,Subject,Description\n", row: "%d,big," + strings.Repeat("x", 1<<20) + "\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			st := &heapStore{}
			rep, err := csvimport.Import(context.Background(), tc.src, st, csvimport.Options{ConnectorID: "c"})
			if err != nil || rep.Imported != tc.rows || st.tickets != tc.rows {
				t.Fatalf("%v: imported %d, stored %d, errors %v", err, rep.Imported, st.tickets, rep.Errors)
			}
			grew := int64(st.peak) - int64(base.HeapAlloc)
			t.Logf("live heap grew by %.1f MiB at most", float64(grew)/(1<<20))
			if grew > limit {
				t.Errorf("live heap grew by %d MiB, want under %d MiB", grew>>20, limit>>20)
			}
		})
	}
}
