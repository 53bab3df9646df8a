package csvimport_test

import (
	"context"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync/csvimport"
)

// TestStreamingBoundsHeap imports 200,000 generated rows of about 600 bytes
// (some 120 MB, made as they are read) and checks that the live heap stays
// far below the size of the input: Import holds a batch, not the file.
func TestStreamingBoundsHeap(t *testing.T) {
	const rows = 200_000
	const limit = 64 << 20
	src := &repeatReader{n: rows, header: zendeskHeader, row: ",%d,Customer,301,,c@example.com,example.com,Customer,Agent,Tier 1," +
		"\"Order, item " + strings.Repeat("x", 300) + "\",billing vip,Open,High,Mail,Incident," +
		"2024-03-04 09:12:44 +0100,2024-03-05 16:40:02 +0100,2024-03-04 09:30:10 +0100,Org,,,,31,Good,1,1,0,2,18\n"}
	st := &discardStore{}
	var peak uint64
	var ms runtime.MemStats
	calls := 0
	progress := func(p csvimport.Progress) {
		calls++
		if calls%20 != 0 {
			return
		}
		runtime.GC() // measure what is live, not garbage not yet collected
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	rep, err := csvimport.Import(context.Background(), src, st, csvimport.Options{ConnectorID: "c", Progress: progress})
	if err != nil || rep.Imported != rows || st.tickets != rows {
		t.Fatalf("%v: imported %d, stored %d, errors %v", err, rep.Imported, st.tickets, rep.Errors)
	}
	if src.i != rows {
		t.Fatalf("generated %d rows", src.i)
	}
	if peak == 0 {
		t.Fatal("heap never measured")
	}
	t.Logf("peak live heap %.1f MiB while importing %d rows", float64(peak)/(1<<20), rows)
	if peak > limit {
		t.Errorf("peak live heap %d MiB, want under %d MiB", peak>>20, limit>>20)
	}
}

// repeatReader generates header then n copies of row, its %d replaced by
// the row's number, as it is read: cheap enough for -race.
type repeatReader struct {
	n, i        int
	header, row string
	buf         []byte
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.header != "" {
		r.buf, r.header = append(r.buf, r.header...), ""
	}
	pre, post, _ := strings.Cut(r.row, "%d")
	for len(r.buf) < len(p) && r.i < r.n {
		r.buf = append(r.buf, pre...)
		r.buf = strconv.AppendInt(r.buf, int64(r.i), 10)
		r.buf = append(r.buf, post...)
		r.i++
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
	return n, nil
}
