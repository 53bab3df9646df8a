package csvimport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/csvimport"
	"github.com/ticketsync/ticketsync/memstore"
)

var importTime = time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return importTime }

// importString imports s into a new memstore under connector "c".
func importString(t *testing.T, s string, opts csvimport.Options) (*memstore.Store, csvimport.Report, error) {
	t.Helper()
	st := memstore.New()
	if opts.ConnectorID == "" {
		opts.ConnectorID = "c"
	}
	if opts.Now == nil {
		opts.Now = clock
	}
	rep, err := csvimport.Import(context.Background(), strings.NewReader(s), st, opts)
	checkReport(t, rep)
	if !opts.DryRun {
		if got := len(st.Tickets(opts.ConnectorID)); got > rep.Imported {
			t.Errorf("store holds %d tickets, the report says %d imported", got, rep.Imported)
		}
	}
	return st, rep, err
}

// checkReport checks what every report must satisfy.
func checkReport(t *testing.T, rep csvimport.Report) {
	t.Helper()
	if rep.Imported+rep.Skipped != rep.Rows {
		t.Errorf("Imported %d + Skipped %d != Rows %d", rep.Imported, rep.Skipped, rep.Rows)
	}
	if len(rep.Errors)+rep.ErrorsNotListed != rep.Skipped {
		t.Errorf("%d errors listed + %d not listed != %d skipped", len(rep.Errors), rep.ErrorsNotListed, rep.Skipped)
	}
	for _, e := range rep.Errors {
		if e.Line < 2 || e.Reason == "" {
			t.Errorf("row error without line or reason: %+v", e)
		}
	}
}

func ticket(t *testing.T, st *memstore.Store, id string) ticketsync.Ticket {
	t.Helper()
	tk, err := st.Ticket(context.Background(), "c", id)
	if err != nil {
		t.Fatalf("ticket %s: %v", id, err)
	}
	return tk
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPresets(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		file   string
		opts   csvimport.Options
		preset string
		rows   int
		want   ticketsync.Ticket
	}{
		{
			file: "zendesk.csv", preset: "zendesk", rows: 4,
			want: ticketsync.Ticket{
				ID: "4103", Subject: `Export to "Accounts" stops at 10,000 rows`,
				Status: ticketsync.StatusOnHold, RawStatus: "Hold",
				Priority: ticketsync.PriorityUrgent, RawPriority: "Urgent", Channel: "api",
				Requester: ticketsync.Person{ID: "381055", Name: "Ines Carvalho", Email: "ines@northwind-tiles.example"},
				Assignee:  ticketsync.Person{Name: "Oskar Lind"},
				Tags:      []string{"export", "bug"},
				CreatedAt: time.Date(2024, 3, 5, 13, 55, 0, 0, time.UTC),
				UpdatedAt: time.Date(2024, 3, 6, 7, 15, 31, 0, time.UTC),
			},
		},
		{
			file: "freshdesk.csv", preset: "freshdesk", rows: 5,
			opts: csvimport.Options{TimeZone: cet},
			want: ticketsync.Ticket{
				ID: "814", Subject: "Warehouse API returns 500",
				Description: "Since this morning every call to /stock returns 500.\nOur sync is down.",
				Status:      ticketsync.StatusOpen, RawStatus: "Open",
				Priority: ticketsync.PriorityUrgent, RawPriority: "Urgent", Channel: "phone",
				Requester: ticketsync.Person{ID: "9003", Name: "Omar Haddad", Email: "omar@fernhill.example"},
				Tags:      []string{"api", "outage"},
				CreatedAt: time.Date(2024, 5, 3, 11, 30, 0, 0, time.UTC),
				UpdatedAt: time.Date(2024, 5, 3, 11, 45, 10, 0, time.UTC),
			},
		},
		{
			file: "jira.csv", preset: "jira", rows: 4,
			want: ticketsync.Ticket{
				ID: "HELP-304", Subject: "Payroll system down", Description: "Nobody can open payroll.",
				Status: ticketsync.StatusOpen, RawStatus: "In Progress",
				Priority: ticketsync.PriorityUrgent, RawPriority: "Highest",
				Requester: ticketsync.Person{Name: "Anna Wolff"},
				Assignee:  ticketsync.Person{Name: "Mia Fischer"},
				Tags:      []string{"payroll", "outage", "p1"},
				CreatedAt: time.Date(2024, 2, 15, 7, 58, 0, 0, time.UTC),
				UpdatedAt: time.Date(2024, 2, 15, 8, 20, 0, 0, time.UTC),
			},
		},
		{
			file: "hubspot.csv", preset: "hubspot", rows: 4,
			want: ticketsync.Ticket{
				ID: "5120333", Subject: "Data import stuck at 80%",
				Description: "Import has been at 80% for two hours; file is 12 MB.",
				Status:      ticketsync.StatusOpen, RawStatus: "Waiting on us",
				Priority: ticketsync.PriorityNormal, RawPriority: "Medium", Channel: "form",
				Assignee:  ticketsync.Person{Name: "Grace Liu"},
				CreatedAt: time.Date(2024, 6, 11, 13, 22, 0, 0, time.UTC),
				UpdatedAt: time.Date(2024, 6, 11, 15, 47, 0, 0, time.UTC),
			},
		},
		{
			file: "generic.csv", preset: "generic", rows: 3,
			want: ticketsync.Ticket{
				ID: "A-1002", Subject: "Key fob stopped working",
				Status: ticketsync.StatusSolved, RawStatus: "resolved",
				Priority: ticketsync.PriorityLow, RawPriority: "low",
				Requester: ticketsync.Person{Name: "Jonas Eriksen", Email: "jonas@mailbox.example"},
				Assignee:  ticketsync.Person{Name: "Luis Romero"},
				Tags:      []string{"access"},
				// 03/02/2024 is 3 February: 14/01/2024 in the file shows day-first dates.
				CreatedAt: time.Date(2024, 2, 3, 17, 45, 0, 0, time.UTC),
				UpdatedAt: time.Date(2024, 2, 5, 10, 0, 0, 0, time.UTC),
			},
		},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			st, rep, err := importString(t, readFile(t, tc.file), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Preset != tc.preset || rep.Rows != tc.rows || rep.Imported != tc.rows || len(rep.Errors) != 0 {
				t.Fatalf("report: preset %s, %d rows, %d imported, errors %v", rep.Preset, rep.Rows, rep.Imported, rep.Errors)
			}
			if got := len(st.Tickets("c")); got != tc.rows {
				t.Errorf("store holds %d tickets, want %d", got, tc.rows)
			}
			got := ticket(t, st, tc.want.ID)
			if len(got.Fields) == 0 {
				t.Error("no custom fields kept")
			}
			got.Fields = nil
			want := tc.want
			want.ConnectorID, want.Platform = "c", "csv"
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ticket %s:\n got %+v\nwant %+v", want.ID, got, want)
			}
		})
	}
}

func TestPresetDetails(t *testing.T) {
	st, rep, err := importString(t, readFile(t, "jira.csv"), csvimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tk := ticket(t, st, "HELP-301")
	if tk.Fields["Issue id"] != "10601" || tk.Fields["Custom field (Request Type)"] != "Get IT help" {
		t.Errorf("Fields = %v", tk.Fields)
	}
	if rep.Columns[csvimport.FieldID] != "Issue key" || rep.Columns[csvimport.FieldTags] != "Labels" {
		t.Errorf("Columns = %v", rep.Columns)
	}
	if !contains(rep.Unmapped, "Issue id") || contains(rep.Unmapped, "Labels") {
		t.Errorf("Unmapped = %v", rep.Unmapped)
	}
	n := 0
	for _, w := range rep.Warnings {
		if strings.Contains(w, "Ticket.Fields") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("unmapped columns reported %d times, want once: %q", n, rep.Warnings)
	}

	// Zendesk's times carry their offset: no time zone is assumed.
	_, rep, err = importString(t, readFile(t, "zendesk.csv"), csvimport.Options{})
	if err != nil || hasWarning(rep, "without a UTC offset") {
		t.Errorf("zendesk: %v, warnings %q", err, rep.Warnings)
	}
	// HubSpot's are local: the report says which zone they were read in.
	_, rep, err = importString(t, readFile(t, "hubspot.csv"), csvimport.Options{})
	if err != nil || !hasWarning(rep, "without a UTC offset were read in UTC") {
		t.Errorf("hubspot: %v, warnings %q", err, rep.Warnings)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hasWarning(rep csvimport.Report, part string) bool {
	for _, w := range rep.Warnings {
		if strings.Contains(w, part) {
			return true
		}
	}
	return false
}

func TestColumnsOverrideAndPlatform(t *testing.T) {
	in := "Ref,Headline,Team,When\nR1,Printer on fire,Ops,2024-01-02 10:00\n"
	st, rep, err := importString(t, in, csvimport.Options{
		Platform: "facilities",
		Columns:  map[string]string{csvimport.FieldID: "ref", csvimport.FieldSubject: "HEADLINE", csvimport.FieldUpdatedAt: "when"},
	})
	if err != nil || rep.Imported != 1 {
		t.Fatalf("%v, %+v", err, rep)
	}
	tk := ticket(t, st, "R1")
	if tk.Subject != "Printer on fire" || tk.Platform != "facilities" || tk.Fields["Team"] != "Ops" ||
		!tk.UpdatedAt.Equal(time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("ticket = %+v", tk)
	}
}

func TestSyncRunRecorded(t *testing.T) {
	st, rep, err := importString(t, "id,subject,updated\n1,a,2024-01-01\n,b,2024-01-01\n", csvimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	runs, err := st.SyncRuns(context.Background(), "c", 0)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs = %v, %v", runs, err)
	}
	r := runs[0]
	if r.ID != rep.RunID || r.Trigger != ticketsync.TriggerImport || r.Status != ticketsync.RunSucceeded ||
		r.Tickets != 1 || !r.StartedAt.Equal(importTime) || r.FinishedAt.IsZero() || r.Attempt != 1 {
		t.Errorf("run = %+v", r)
	}
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0], "line 3") {
		t.Errorf("run errors = %q", r.Errors)
	}

	// A dry run stores neither tickets nor a run, and needs no store.
	rep, err = csvimport.Import(context.Background(), strings.NewReader("id,subject\n1,a\n"), nil,
		csvimport.Options{ConnectorID: "c", DryRun: true})
	if err != nil || rep.Imported != 1 || rep.RunID != "" {
		t.Errorf("dry run: %v, %+v", err, rep)
	}
	st = memstore.New()
	if _, err := csvimport.Import(context.Background(), strings.NewReader("id\n1\n"), st, csvimport.Options{ConnectorID: "c", DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if runs, _ := st.SyncRuns(context.Background(), "c", 0); len(runs) != 0 || st.Len("c") != 0 {
		t.Errorf("dry run stored %d runs, %d tickets", len(runs), st.Len("c"))
	}
	if _, err := csvimport.Import(context.Background(), strings.NewReader("id\n1\n"), st, csvimport.Options{}); err == nil {
		t.Error("no ConnectorID: no error")
	}
}

func TestReimportIsIdempotent(t *testing.T) {
	in := readFile(t, "freshdesk.csv")
	st := memstore.New()
	opts := csvimport.Options{ConnectorID: "c", Now: clock}
	if _, err := csvimport.Import(context.Background(), strings.NewReader(in), st, opts); err != nil {
		t.Fatal(err)
	}
	first := st.Tickets("c")
	rep, err := csvimport.Import(context.Background(), strings.NewReader(in), st, opts)
	if err != nil || rep.Imported != 5 {
		t.Fatalf("second import: %v, %+v", err, rep)
	}
	if second := st.Tickets("c"); !reflect.DeepEqual(first, second) {
		t.Errorf("a second import changed the store:\n%v\n%v", first, second)
	}

	// An older export imported later does not overwrite newer tickets.
	older := strings.Replace(in, "Waiting on Customer,Low,Portal,Problem,Hana Kobayashi,Support,2024-05-03 10:01:55,2024-05-06 10:01:55,,,2024-05-03 11:20:40",
		"Open,Low,Portal,Problem,Hana Kobayashi,Support,2024-05-03 10:01:55,2024-05-06 10:01:55,,,2024-05-03 10:01:55", 1)
	if older == in {
		t.Fatal("test data changed")
	}
	if _, err := csvimport.Import(context.Background(), strings.NewReader(older), st, opts); err != nil {
		t.Fatal(err)
	}
	if tk := ticket(t, st, "813"); tk.RawStatus != "Waiting on Customer" {
		t.Errorf("older copy replaced the newer: status %q", tk.RawStatus)
	}
}

func TestStoreFailure(t *testing.T) {
	st := &failingStore{Store: memstore.New(), failAfter: 1}
	var in strings.Builder
	in.WriteString("id,subject\n")
	for i := range 25 {
		fmt.Fprintf(&in, "%d,s\n", i)
	}
	rep, err := csvimport.Import(context.Background(), strings.NewReader(in.String()), st,
		csvimport.Options{ConnectorID: "c", BatchSize: 10})
	checkReport(t, rep)
	if !errors.Is(err, errStore) {
		t.Fatalf("err = %v", err)
	}
	// The second batch is reported row by row; the rows after it, though
	// read ahead, were never handled.
	if rep.Imported != 10 || rep.Skipped != 10 || st.Len("c") != 10 || rep.Errors[0].Line != 12 {
		t.Errorf("imported %d, skipped %d, stored %d", rep.Imported, rep.Skipped, st.Len("c"))
	}
	runs, _ := st.SyncRuns(context.Background(), "c", 0)
	if len(runs) != 1 || runs[0].Status != ticketsync.RunFailed || runs[0].Tickets != 10 {
		t.Errorf("runs = %+v", runs)
	}
}

var errStore = errors.New("disk full")

type failingStore struct {
	*memstore.Store
	failAfter int
	calls     int
}

func (s *failingStore) UpsertTickets(ctx context.Context, ts []ticketsync.Ticket) error {
	s.calls++
	if s.calls > s.failAfter {
		return errStore
	}
	return s.Store.UpsertTickets(ctx, ts)
}

func TestProgress(t *testing.T) {
	var in strings.Builder
	in.WriteString("id,subject\n")
	for i := range 1200 {
		fmt.Fprintf(&in, "%d,s\n", i)
	}
	var got []csvimport.Progress
	_, rep, err := importString(t, in.String(), csvimport.Options{BatchSize: 500, Progress: func(p csvimport.Progress) { got = append(got, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 3 {
		t.Fatalf("progress called %d times", len(got))
	}
	last := got[len(got)-1]
	if last.Rows != rep.Rows || last.Imported != 1200 || last.BytesRead != int64(in.Len()) || last.TotalBytes != int64(in.Len()) {
		t.Errorf("last progress = %+v", last)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Rows < got[i-1].Rows || got[i].BytesRead < got[i-1].BytesRead {
			t.Errorf("progress went backwards: %+v then %+v", got[i-1], got[i])
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st := memstore.New()
	rep, err := csvimport.Import(ctx, strings.NewReader("id\n1\n2\n"), st, csvimport.Options{ConnectorID: "c"})
	checkReport(t, rep)
	if !errors.Is(err, context.Canceled) || st.Len("c") != 0 {
		t.Errorf("err = %v, stored %d", err, st.Len("c"))
	}
}

func TestRowErrorText(t *testing.T) {
	e := csvimport.RowError{Line: 12, Column: "Created at", Value: "31/02/2024", Reason: "no such day"}
	if got, want := e.Error(), `line 12: column "Created at": "31/02/2024": no such day`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (csvimport.RowError{Line: 3, Reason: "r"}).Error(), "line 3: r"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

var _ = bytes.MinRead
