package csvimport_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"runtime"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/csvimport"
	"github.com/ticketsync/ticketsync/memstore"
)

const benchRows = 100_000

// BenchmarkImport compares, over the same generated 100,000-row, 30-column
// export: reading it with encoding/csv alone; importing it into memstore;
// and importing it into a Store that keeps nothing, which is the importer's
// own cost. Each reports ns/row, allocs/row and rows/s.
func BenchmarkImport(b *testing.B) {
	data := export(benchRows, 0)
	b.Run("encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		measure(b, func() {
			r := csv.NewReader(bytes.NewReader(data))
			r.FieldsPerRecord = -1
			r.ReuseRecord = true
			n := 0
			for {
				_, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != benchRows+1 {
				b.Fatalf("read %d records", n)
			}
		})
	})
	b.Run("memstore", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		measure(b, func() {
			st := memstore.New()
			importBench(b, bytes.NewReader(data), st, benchRows)
			if st.Len("c") != benchRows {
				b.Fatalf("stored %d", st.Len("c"))
			}
		})
	})
	b.Run("discard", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		measure(b, func() { importBench(b, bytes.NewReader(data), &discardStore{}, benchRows) })
	})
}

// BenchmarkImportMillion streams a generated 1,000,000-row export, made as
// it is read, into a Store that keeps nothing.
func BenchmarkImportMillion(b *testing.B) {
	const rows = 1_000_000
	measureRows(b, rows, func() { importBench(b, newExport(rows, 0), &discardStore{}, rows) })
}

func importBench(b *testing.B, r io.Reader, st ticketsync.Store, rows int) {
	rep, err := csvimport.Import(context.Background(), r, st, csvimport.Options{ConnectorID: "c"})
	if err != nil || rep.Imported != rows {
		b.Fatalf("%v: imported %d, errors %v", err, rep.Imported, rep.Errors)
	}
}

func measure(b *testing.B, f func()) { measureRows(b, benchRows, f) }

// measureRows runs f b.N times and reports per-row figures.
func measureRows(b *testing.B, rows int, f func()) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		f()
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	total := float64(rows) * float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/row")
	b.ReportMetric(total/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/row")
}

// discardStore counts what it is given and keeps nothing.
type discardStore struct {
	tickets int
	runs    []ticketsync.SyncRun
}

func (s *discardStore) UpsertTickets(_ context.Context, ts []ticketsync.Ticket) error {
	s.tickets += len(ts)
	return nil
}
func (s *discardStore) Ticket(context.Context, string, string) (ticketsync.Ticket, error) {
	return ticketsync.Ticket{}, ticketsync.ErrNotFound
}
func (s *discardStore) Cursor(context.Context, string) (string, error)  { return "", nil }
func (s *discardStore) SetCursor(context.Context, string, string) error { return nil }
func (s *discardStore) SaveSyncRun(_ context.Context, r ticketsync.SyncRun) error {
	s.runs = append(s.runs, r)
	return nil
}
func (s *discardStore) SyncRuns(context.Context, string, int) ([]ticketsync.SyncRun, error) {
	return s.runs, nil
}
