package csvimport_test

import (
	"strings"
	"testing"

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
