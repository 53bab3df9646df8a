package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestQuickstart runs the example and checks what it prints: the whole
// account synced by the first poll, both webhooks accepted and applied,
// and the history of all three runs without errors.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"first poll: 300 tickets in the store",
		"webhook ticket.priority_changed about ticket #1: HTTP 200",
		"webhook ticket.comment_added about ticket #2: HTTP 200",
		"synced 300 tickets",
		"Printer on fire (escalated)",
		`"It works again, thanks!"`,
		"poll    succeeded  300 tickets  attempt 1  errors 0",
		"last sync: ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "webhook succeeded    1 tickets"); n != 2 {
		t.Errorf("%d successful webhook runs in the history, want 2:\n%s", n, got)
	}
	if strings.Contains(got, "error:") || strings.Contains(got, "zendesktest-api-token") {
		t.Errorf("output shows an error or the token:\n%s", got)
	}
}
