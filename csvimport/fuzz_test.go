package csvimport_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ticketsync/ticketsync/csvimport"
)

// FuzzImport feeds arbitrary bytes to Import: it must not panic, and every
// row it counts is either imported (handed to the Store) or reported.
// Seeds: testdata/fuzz/FuzzImport, and the realistic exports in testdata.
func FuzzImport(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.csv"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, generate bool) {
		st := &discardStore{}
		rep, err := csvimport.Import(context.Background(), bytes.NewReader(data), st,
			csvimport.Options{ConnectorID: "c", GenerateIDs: generate, BatchSize: 3, MaxListedErrors: -1})
		if rep.Imported+rep.Skipped != rep.Rows {
			t.Fatalf("Imported %d + Skipped %d != Rows %d (err %v)", rep.Imported, rep.Skipped, rep.Rows, err)
		}
		if len(rep.Errors) != rep.Skipped {
			t.Fatalf("%d rows skipped, %d reported", rep.Skipped, len(rep.Errors))
		}
		if st.tickets != rep.Imported {
			t.Fatalf("store got %d tickets, report says %d imported", st.tickets, rep.Imported)
		}
		for _, e := range rep.Errors {
			if e.Line < 2 || e.Reason == "" {
				t.Fatalf("row error without line or reason: %+v", e)
			}
		}
		if err == nil && len(st.runs) == 0 {
			t.Fatal("no SyncRun recorded")
		}
	})
}
