package csvimport_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/csvimport"
)

func TestEmptyInput(t *testing.T) {
	for _, in := range []string{"", "\n\n\r\n", "\xEF\xBB\xBF"} {
		_, rep, err := importString(t, in, csvimport.Options{})
		if !errors.Is(err, csvimport.ErrNoHeader) || rep.Rows != 0 {
			t.Errorf("%q: err = %v, rows %d", in, err, rep.Rows)
		}
	}
}

func TestHeaderOnly(t *testing.T) {
	st, rep, err := importString(t, "Id,Subject,Status,Updated at\r\n", csvimport.Options{})
	if err != nil || rep.Rows != 0 || rep.Imported != 0 || rep.Columns[csvimport.FieldID] != "Id" {
		t.Fatalf("%v, %+v", err, rep)
	}
	runs, _ := st.SyncRuns(t.Context(), "c", 0)
	if len(runs) != 1 || runs[0].Status != ticketsync.RunSucceeded || runs[0].Tickets != 0 {
		t.Errorf("runs = %+v", runs)
	}
}

func TestNotCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", csvimport.ErrNotCSV},
		{"zip", "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", csvimport.ErrNotCSV},
		{"json array", `[{"id": 1, "subject": "a"}]`, csvimport.ErrNotCSV},
		{"json object", "\n  {\"tickets\": []}", csvimport.ErrNotCSV},
		{"utf-16", "\xFF\xFEI\x00d\x00\n\x001\x00", csvimport.ErrNotCSV},
		{"prose", "Dear support team,\nplease find attached the tickets.\n", csvimport.ErrNoIDColumn},
		{"latin-1 header", "Id,Pri\xf6rit\xe4t\n1,hoch\n", csvimport.ErrNotCSV},
		{"broken header", "id,\"sub\"ject\n1,a\n", csvimport.ErrNotCSV},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, rep, err := importString(t, tc.in, csvimport.Options{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if rep.Imported != 0 || st.Len("c") != 0 {
				t.Errorf("imported %d", rep.Imported)
			}
			runs, _ := st.SyncRuns(t.Context(), "c", 0)
			if len(runs) != 1 || runs[0].Status != ticketsync.RunFailed || len(runs[0].Errors) == 0 {
				t.Errorf("runs = %+v", runs)
			}
		})
	}
}

func TestMixedDelimiters(t *testing.T) {
	in := "Id;Subject;Status\n" +
		"1;Printer jams;open\n" +
		"2,Screen flickers,open\n" + // one field: the separator is ';'
		"3;Mouse, keyboard and screen;solved\n" +
		"4;Late;open;;\n" + // trailing empty fields are harmless
		"5;Too;many;fields\n" +
		"6;Too few\n"
	st, rep, err := importString(t, in, csvimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Comma != ';' || rep.Rows != 6 || rep.Imported != 3 {
		t.Fatalf("report: comma %q, %+v", rep.Comma, rep)
	}
	wantLines := []int{3, 6, 7}
	for i, e := range rep.Errors {
		if e.Line != wantLines[i] || !strings.Contains(e.Reason, "fields") {
			t.Errorf("error %d = %v, want line %d about fields", i, e, wantLines[i])
		}
	}
	if tk := ticket(t, st, "3"); tk.Subject != "Mouse, keyboard and screen" {
		t.Errorf("subject = %q", tk.Subject)
	}
}

func TestUnterminatedQuoteAtEOF(t *testing.T) {
	in := "id,subject\r\n1,fine\r\n2,\"never closed\r\n3,swallowed\r\n4,too\r\n"
	st, rep, err := importString(t, in, csvimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported != 1 || rep.Skipped != 1 || st.Len("c") != 1 {
		t.Fatalf("report: %+v", rep)
	}
	if e := rep.Errors[0]; e.Line != 3 || !strings.Contains(e.Reason, "lines 3 to 5") {
		t.Errorf("error = %v", e)
	}
}

func TestQuotingAndLineEnds(t *testing.T) {
	in := "\xEF\xBB\xBFTicket ID,Subject,Description\r\n" +
		"1,\"Comma, inside\",\"Two\r\nlines, \"\"quoted\"\"\"\r\n" +
		"\r\n" + // a blank line is not a row
		"2,bad \"quote,x\r\n" +
		"3,\"closed\"early,x\r\n" +
		"4,last,no newline at the end"
	st, rep, err := importString(t, in, csvimport.Options{Preset: csvimport.Generic})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 4 || rep.Imported != 2 || rep.Errors[0].Line != 5 || rep.Errors[1].Line != 6 {
		t.Fatalf("report: %+v", rep)
	}
	if tk := ticket(t, st, "1"); tk.Subject != "Comma, inside" || tk.Description != "Two\nlines, \"quoted\"" {
		t.Errorf("ticket 1 = %q / %q", tk.Subject, tk.Description)
	}
	ticket(t, st, "4")
}

func TestHugeField(t *testing.T) {
	big := strings.Repeat("All work and no play. ", 1<<20/22+1)
	in := "id,subject,description\n1,big,\"" + big + "\"\n2,small,x\n"
	st, rep, err := importString(t, in, csvimport.Options{})
	if err != nil || rep.Imported != 2 {
		t.Fatalf("%v, %+v", err, rep)
	}
	if tk := ticket(t, st, "1"); len(tk.Description) != len(strings.TrimSpace(big)) {
		t.Errorf("description has %d bytes, want %d", len(tk.Description), len(big))
	}

	// A quote that is never closed in a large file is bounded by MaxRowBytes.
	var b strings.Builder
	b.WriteString("id,subject\n1,\"open\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "%d,row that the open quote swallows\n", i)
	}
	_, rep, err = importString(t, b.String(), csvimport.Options{MaxRowBytes: 128 << 10})
	if !errors.Is(err, csvimport.ErrRowTooLarge) || rep.Imported != 0 {
		t.Errorf("err = %v, report %+v", err, rep)
	}
}

func TestDateOrder(t *testing.T) {
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name     string
		rows     string
		dayFirst bool
		want     time.Time // of ticket 1
		warning  string
	}{
		{"DD-MM-YYYY decided by the file", "1,03-04-2024\n2,25-12-2024\n", false, at(2024, 4, 3), "read day first, as other dates in the file say"},
		{"MM/DD/YYYY decided by the file", "1,03/04/2024\n2,12/25/2024\n", true, at(2024, 3, 4), "read month first, as other dates in the file say"},
		{"ambiguous, DayFirst", "1,03/04/2024\n2,05/06/2024\n", true, at(2024, 4, 3), "read day first, as Options.DayFirst say"},
		{"ambiguous, month first", "1,03/04/2024\n2,05/06/2024\n", false, at(2024, 3, 4), "read month first, as Options.DayFirst say"},
		{"mixed", "1,03/04/2024\n2,25/12/2024\n3,12/25/2024\n", false, at(2024, 3, 4), "mix day-first and month-first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, rep, err := importString(t, "id,updated\n"+tc.rows, csvimport.Options{DayFirst: tc.dayFirst})
			if err != nil || rep.Skipped != 0 {
				t.Fatalf("%v, %+v", err, rep)
			}
			if got := ticket(t, st, "1").UpdatedAt; !got.Equal(tc.want) {
				t.Errorf("ticket 1 updated %v, want %v", got, tc.want)
			}
			if !hasWarning(rep, tc.warning) {
				t.Errorf("no warning %q in %q", tc.warning, rep.Warnings)
			}
		})
	}

	// A day above 12 only after the read-ahead: the rest follows it, and
	// the report counts the ambiguous dates read before.
	var b strings.Builder
	b.WriteString("id,updated\n")
	for i := range csvimport.SampleRows + 10 {
		fmt.Fprintf(&b, "%d,03/04/2024\n", i)
	}
	b.WriteString("late,25/12/2024\nafter,05/06/2024\n")
	st, rep, err := importString(t, b.String(), csvimport.Options{})
	if err != nil || rep.Skipped != 0 {
		t.Fatalf("%v, %+v", err, rep)
	}
	if got := ticket(t, st, "0").UpdatedAt; !got.Equal(at(2024, 3, 4)) {
		t.Errorf("early ambiguous date read as %v", got)
	}
	if got := ticket(t, st, "after").UpdatedAt; !got.Equal(at(2024, 6, 5)) {
		t.Errorf("later ambiguous date read as %v", got)
	}
	if !hasWarning(rep, fmt.Sprintf("%d ambiguous dates from line 2 were read month first before line %d", csvimport.SampleRows+10, csvimport.SampleRows+12)) {
		t.Errorf("warnings %q", rep.Warnings)
	}
}

func TestBadDates(t *testing.T) {
	st, rep, err := importString(t, "id,created,updated\n1,31/02/2024,\n2,yesterday,\n3,,2024-02-01\n", csvimport.Options{})
	if err != nil || rep.Imported != 1 || rep.Skipped != 2 {
		t.Fatalf("%v, %+v", err, rep)
	}
	if e := rep.Errors[0]; e.Line != 2 || e.Column != "created" || e.Value != "31/02/2024" {
		t.Errorf("error = %v", e)
	}
	if e := rep.Errors[1]; e.Line != 3 || !strings.Contains(e.Reason, "DateLayouts") {
		t.Errorf("error = %v", e)
	}
	ticket(t, st, "3")

	// A layout of the caller's own.
	st, _, err = importString(t, "id,updated\n1,2024|02|01\n", csvimport.Options{DateLayouts: []string{"2006|01|02"}})
	if err != nil || !ticket(t, st, "1").UpdatedAt.Equal(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("custom layout: %v", err)
	}
}

func TestTimeZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	st, rep, err := importString(t, "id,updated\n1,2024-07-01 09:00\n2,2024-07-01T09:00:00+02:00\n", csvimport.Options{TimeZone: ny})
	if err != nil {
		t.Fatal(err)
	}
	if got := ticket(t, st, "1").UpdatedAt; !got.Equal(time.Date(2024, 7, 1, 13, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("local time read as %v", got)
	}
	if got := ticket(t, st, "2").UpdatedAt; !got.Equal(time.Date(2024, 7, 1, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("time with offset read as %v", got)
	}
	if !hasWarning(rep, "read in America/New_York") {
		t.Errorf("warnings %q", rep.Warnings)
	}
}

func TestExcelExponentIDs(t *testing.T) {
	in := "Id,Subject,Requester id\n" +
		"10300612345678,kept,55\n" +
		"1.03006E+13,mangled,55\n" +
		"10300612345679,mangled requester,5.5E+11\n"
	st, rep, err := importString(t, in, csvimport.Options{})
	if err != nil || rep.Imported != 1 || rep.Skipped != 2 {
		t.Fatalf("%v, %+v", err, rep)
	}
	if e := rep.Errors[0]; e.Line != 3 || e.Column != "Id" || e.Value != "1.03006E+13" || !strings.Contains(e.Reason, "exponent") {
		t.Errorf("error = %v", e)
	}
	if e := rep.Errors[1]; e.Line != 4 || e.Column != "Requester id" {
		t.Errorf("error = %v", e)
	}
	for _, tk := range st.Tickets("c") {
		if tk.ID != "10300612345678" {
			t.Errorf("imported ticket %q", tk.ID)
		}
	}
}

func TestDuplicateIDs(t *testing.T) {
	in := "id,subject,updated\n" +
		"7,newest,2024-03-02\n" +
		"8,only,2024-03-01\n" +
		"7,older copy later in the file,2024-03-01\n" +
		"9,first,2024-03-01\n" +
		"9,newer copy later in the file,2024-03-05\n"
	st, rep, err := importString(t, in, csvimport.Options{})
	if err != nil || rep.Imported != 5 || rep.Duplicates != 2 {
		t.Fatalf("%v, %+v", err, rep)
	}
	if got := ticket(t, st, "7").Subject; got != "newest" {
		t.Errorf("ticket 7 = %q", got)
	}
	if got := ticket(t, st, "9").Subject; got != "newer copy later in the file" {
		t.Errorf("ticket 9 = %q", got)
	}
	if !hasWarning(rep, `line 4: duplicate ID "7" (first on line 2)`) || !hasWarning(rep, `line 6: duplicate ID "9" (first on line 5)`) {
		t.Errorf("warnings %q", rep.Warnings)
	}
}

func TestWindows1252Bytes(t *testing.T) {
	in := "id,subject,requester\n" +
		"1,Caf\xe9 order missing,Zo\xeb\n" + // Windows-1252 é and ë
		"2,Fine,Zoë\n" +
		"3,\x93Smart quotes\x94,Ann\n"
	st, rep, err := importString(t, in, csvimport.Options{})
	if err != nil || rep.Imported != 1 || rep.Skipped != 2 {
		t.Fatalf("%v, %+v", err, rep)
	}
	if e := rep.Errors[0]; e.Line != 2 || e.Column != "subject" || !strings.Contains(e.Reason, "UTF-8") || e.Value != "Caf\uFFFD order missing" {
		t.Errorf("error = %v", e)
	}
	if e := rep.Errors[1]; e.Line != 4 {
		t.Errorf("error = %v", e)
	}
	if got := ticket(t, st, "2").Requester.Name; got != "Zoë" {
		t.Errorf("requester = %q", got)
	}
}

func TestMissingIDs(t *testing.T) {
	in := "id,subject,requester,created\n,No id,Ann,2024-01-01\n5,Has id,Bo,2024-01-01\n"
	_, rep, err := importString(t, in, csvimport.Options{})
	if err != nil || rep.Imported != 1 || rep.Errors[0].Line != 2 || rep.Errors[0].Column != "id" {
		t.Fatalf("%v, %+v", err, rep)
	}

	// Generated IDs are stable: a second import finds the same tickets.
	st, rep, err := importString(t, in, csvimport.Options{GenerateIDs: true})
	if err != nil || rep.Imported != 2 {
		t.Fatalf("%v, %+v", err, rep)
	}
	var generated string
	for _, tk := range st.Tickets("c") {
		if strings.HasPrefix(tk.ID, "csv-") {
			generated = tk.ID
		}
	}
	st2, _, _ := importString(t, strings.Replace(in, "2024-01-01\n5", "2024-01-01\n6", 1), csvimport.Options{GenerateIDs: true})
	if generated == "" || ticket(t, st2, generated).Subject != "No id" {
		t.Errorf("generated ID %q not stable", generated)
	}

	// No ID column at all.
	st, rep, err = importString(t, "subject,requester\nHello,Ann\n", csvimport.Options{GenerateIDs: true})
	if err != nil || rep.Imported != 1 || st.Len("c") != 1 {
		t.Errorf("%v, %+v", err, rep)
	}
}

func TestMissingTimes(t *testing.T) {
	st, rep, err := importString(t, "id,created,updated\n1,2024-01-01,\n2,,\n3,2024-01-01,2024-01-02\n", csvimport.Options{})
	if err != nil || rep.Imported != 3 {
		t.Fatalf("%v, %+v", err, rep)
	}
	if tk := ticket(t, st, "1"); !tk.UpdatedAt.Equal(tk.CreatedAt) || tk.UpdatedAt.IsZero() {
		t.Errorf("ticket 1: %v %v", tk.CreatedAt, tk.UpdatedAt)
	}
	if tk := ticket(t, st, "2"); !tk.UpdatedAt.Equal(importTime) {
		t.Errorf("ticket 2: %v", tk.UpdatedAt)
	}
	if !hasWarning(rep, "1 row (first on line 2) had no update time") || !hasWarning(rep, "1 row (first on line 3) had neither") {
		t.Errorf("warnings %q", rep.Warnings)
	}
}

func TestUnknownWords(t *testing.T) {
	in := "id,status,priority\n1,Parked by legal,Meh\n2,Parked by legal,High\n3,Solved,Meh\n"
	st, rep, err := importString(t, in, csvimport.Options{})
	if err != nil || rep.Imported != 3 {
		t.Fatalf("%v, %+v", err, rep)
	}
	tk := ticket(t, st, "1")
	if tk.Status != ticketsync.StatusOpen || tk.RawStatus != "Parked by legal" || tk.Priority != ticketsync.PriorityNone || tk.RawPriority != "Meh" {
		t.Errorf("ticket 1 = %+v", tk)
	}
	if !hasWarning(rep, `unknown status "Parked by legal" on 2 rows (first on line 2)`) || !hasWarning(rep, `unknown priority "Meh" on 2 rows`) {
		t.Errorf("warnings %q", rep.Warnings)
	}
}

func TestErrorLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,subject\n")
	for i := range 50 {
		fmt.Fprintf(&b, "%d,fine\n,no id\n", i)
	}
	_, rep, err := importString(t, b.String(), csvimport.Options{MaxListedErrors: 10})
	if err != nil || rep.Skipped != 50 || len(rep.Errors) != 10 || rep.ErrorsNotListed != 40 {
		t.Errorf("%v, skipped %d, listed %d, not listed %d", err, rep.Skipped, len(rep.Errors), rep.ErrorsNotListed)
	}
	st, rep, err := importString(t, b.String(), csvimport.Options{MaxErrors: 5, BatchSize: 3})
	if !errors.Is(err, csvimport.ErrTooManyErrors) || rep.Skipped != 5 || rep.Imported != 5 || st.Len("c") != 5 {
		t.Errorf("%v, %+v", err, rep)
	}
}
