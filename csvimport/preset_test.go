package csvimport

import (
	"testing"
	"time"
)

func TestNormalizeHeader(t *testing.T) {
	for in, want := range map[string]string{
		"Created at":                   "createdat",
		"  CREATED_AT ":                "createdat",
		"First response time (in hrs)": "firstresponsetime",
		"Ticket #":                     "ticket",
		"E-mail":                       "email",
		"Requester e-mail address":     "requesteremailaddress",
		"Custom field (Request Type)":  "customfield",
		"Größe":                        "größe",
	} {
		if got := normalizeHeader(in); got != want {
			t.Errorf("normalizeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		header []string
		want   Preset
	}{
		{[]string{"Id", "Subject", "Status", "Requester email", "Via", "Created at", "Updated at"}, Zendesk},
		{[]string{"Ticket ID", "Subject", "Status", "Created time", "Last update time", "Tags"}, Freshdesk},
		{[]string{"Summary", "Issue key", "Issue id", "Status", "Created", "Updated"}, Jira},
		{[]string{"Ticket ID", "Ticket name", "Ticket status", "Create date", "Last modified date"}, HubSpot},
		// Names any tool might write are not a platform's export.
		{[]string{"id", "subject", "status", "priority", "created at", "updated at"}, Generic},
		// One distinctive column is not enough.
		{[]string{"Id", "Subject", "Via"}, Generic},
	} {
		norm := make([]string, len(tc.header))
		for i, h := range tc.header {
			norm[i] = normalizeHeader(h)
		}
		if got := detect(norm).name; got != tc.want {
			t.Errorf("detect(%q) = %s, want %s", tc.header, got, tc.want)
		}
	}
}

func TestResolveOverrides(t *testing.T) {
	header := []string{"Key", "Custom field (Team)", "Custom field (Channel)", "Opened"}
	m, err := resolve(Generic, header, map[string]string{
		FieldChannel:   "Custom field (Channel)",
		FieldCreatedAt: "",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.columns(header); got[FieldChannel] != "Custom field (Channel)" || got[FieldID] != "Key" || got[FieldCreatedAt] != "" {
		t.Errorf("columns = %v", got)
	}
	if len(m.extra) != 2 || header[m.extra[0]] != "Custom field (Team)" || header[m.extra[1]] != "Opened" {
		t.Errorf("extra columns = %v", m.extra)
	}
	if _, err := resolve(Generic, header, map[string]string{"Colour": "Key"}); err == nil {
		t.Error("unknown field in Columns: no error")
	}
	if _, err := resolve(Generic, header, map[string]string{FieldSubject: "Title"}); err == nil {
		t.Error("absent header in Columns: no error")
	}
	if _, err := resolve("excel", header, nil); err == nil {
		t.Error("unknown preset: no error")
	}
}

func TestScanNumeric(t *testing.T) {
	for _, tc := range []struct {
		in    string
		ok    bool
		order dateOrder
	}{
		{"25/12/2024", true, orderDayFirst},
		{"12/25/2024 3:04 PM", true, orderMonthFirst},
		{"03/04/2024", true, orderUnknown},
		{"3.4.24 14:22:10", true, orderUnknown},
		{"31-01-2024T08:00", true, orderDayFirst},
		{"2024-01-31", false, 0},
		{"13/13/2024", true, orderUnknown},
		{"03/04/202", false, 0},
		{"03/04-2024", false, 0},
		{"03/04/2024 25:00", false, 0},
		{"03/04/2024 13:00 PM", false, 0},
		{"03/04/2024 noon", false, 0},
	} {
		n, ok := scanNumeric(tc.in)
		if ok != tc.ok || ok && n.classify() != tc.order {
			t.Errorf("scanNumeric(%q) = %+v, %v; want ok %v, order %v", tc.in, n, ok, tc.ok, tc.order)
		}
	}
}

func TestParseDates(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	d := dates{loc: berlin, order: orderMonthFirst, last: 0}
	for in, want := range map[string]time.Time{
		"2024-03-05T14:22:10Z":      time.Date(2024, 3, 5, 14, 22, 10, 0, time.UTC),
		"2024-03-05 14:22:10 +0100": time.Date(2024, 3, 5, 13, 22, 10, 0, time.UTC),
		"2024-03-05 14:22:10":       time.Date(2024, 3, 5, 13, 22, 10, 0, time.UTC),
		"2024-03-05 14:22":          time.Date(2024, 3, 5, 13, 22, 0, 0, time.UTC),
		"2024-03-05 14:22:10 UTC":   time.Date(2024, 3, 5, 14, 22, 10, 0, time.UTC),
		"05/Mar/24 2:22 PM":         time.Date(2024, 3, 5, 13, 22, 0, 0, time.UTC),
		"12/25/2024 3:04 PM":        time.Date(2024, 12, 25, 14, 4, 0, 0, time.UTC),
		"2024-03-05":                time.Date(2024, 3, 4, 23, 0, 0, 0, time.UTC),
	} {
		got, err := d.parse(in, 2)
		if err != nil || !got.Equal(want) {
			t.Errorf("parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"31/02/2024", "yesterday", "2024-13-01", "1.03006E+13"} {
		if got, err := d.parse(in, 2); err == nil {
			t.Errorf("parse(%q) = %v, want an error", in, got)
		}
	}
}

func TestIsExponent(t *testing.T) {
	for in, want := range map[string]bool{
		"1.03006E+13": true, "1,03006E+13": false, "2E+05": true, "1.5e-3": true,
		"10300612345678": false, "12E4": false, "SUP-12": false, "E+13": false, "1.2E+": false, "": false,
	} {
		if got := isExponent(in); got != want {
			t.Errorf("isExponent(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseISO(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2024-03-05":                      time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC),
		"2024-03-05 14:22":                time.Date(2024, 3, 5, 14, 22, 0, 0, time.UTC),
		"2024-03-05T14:22:10":             time.Date(2024, 3, 5, 14, 22, 10, 0, time.UTC),
		"2024-03-05T14:22:10.5Z":          time.Date(2024, 3, 5, 14, 22, 10, 5e8, time.UTC),
		"2024-03-05 14:22:10 +0100":       time.Date(2024, 3, 5, 13, 22, 10, 0, time.UTC),
		"2024-03-05T14:22:10-05:30":       time.Date(2024, 3, 5, 19, 52, 10, 0, time.UTC),
		"2024-03-05 14:22:10 UTC":         time.Date(2024, 3, 5, 14, 22, 10, 0, time.UTC),
		"2024-03-05T14:22:10.123456789Z":  time.Date(2024, 3, 5, 14, 22, 10, 123456789, time.UTC),
		"2024-03-05T14:22:10.1234567891Z": time.Date(2024, 3, 5, 14, 22, 10, 123456789, time.UTC),
	} {
		got, _, ok := parseISO(in, time.UTC)
		if !ok || !got.Equal(want) {
			t.Errorf("parseISO(%q) = %v, %v; want %v", in, got, ok, want)
		}
		// time.Parse agrees wherever it reads the value.
		for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 -0700", "2006-01-02 15:04", "2006-01-02"} {
			if std, err := time.Parse(l, in); err == nil && !std.Equal(got) {
				t.Errorf("parseISO(%q) = %v, time.Parse says %v", in, got, std)
			}
		}
	}
	for _, in := range []string{"2024-02-30", "2024-13-01", "2024-03-05 25:00", "2024-03-05 14:22 +01", "2024-03-05x", "2024-03-05 14:22:10 CET", "2024-3-5"} {
		if got, _, ok := parseISO(in, time.UTC); ok {
			t.Errorf("parseISO(%q) = %v, want failure", in, got)
		}
	}
}
