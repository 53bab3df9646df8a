package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunSample(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"testdata/sample.csv"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"Preset:   freshdesk",
		"ID               <- Ticket ID",
		"Rows:     9 read, 7 imported, 2 skipped, 1 duplicate IDs",
		`line 8: column "Ticket ID": "1.03006E+13"`,
		`line 9: column "Last update time": "not yet"`,
		`line 10: duplicate ID "2002"`,
		"The store holds 6 tickets:",
		"2002     solved   low     Where is my parcel?",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// Not a terminal: one plain progress line, no bar.
	if got := errOut.String(); got != "progress: 9 rows read, 7 imported, 2 skipped, 2072 of 2072 bytes\n" {
		t.Errorf("progress output %q", got)
	}
}

func TestRunDryRun(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-dry-run", "-preset", "freshdesk", "testdata/sample.csv"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "7 imported") || strings.Contains(out.String(), "The store holds") {
		t.Errorf("dry run output:\n%s", out.String())
	}
}

func TestRunErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{}, 2, "usage"},
		{[]string{"testdata/no-such-file.csv"}, 1, "no such file"},
		{[]string{"-tz", "Mars/Olympus", "testdata/sample.csv"}, 2, "-tz"},
		{[]string{"-comma", ";;", "testdata/sample.csv"}, 2, "-comma"},
		{[]string{"-preset", "excel", "testdata/sample.csv"}, 1, "unknown preset"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errOut); code != tc.code || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tc.args, code, errOut.String(), tc.code, tc.want)
		}
	}
}
