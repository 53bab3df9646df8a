package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync/jira/jiratest"
)

// TestRunFake runs the example against the fake and checks what it prints:
// the whole site synced, both webhooks accepted, the internal note and the
// tombstone stored.
func TestRunFake(t *testing.T) {
	var out bytes.Buffer
	if err := runFake(context.Background(), &out); err != nil {
		t.Fatalf("runFake: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"poll: succeeded, 25 tickets",
		"webhook comment_created about 10001: 200 OK",
		"webhook jira:issue_deleted about 10002: 200 OK",
		`the last internal (public false): "Escalated to the network team."`,
		`SUP-2 deleted: true (a tombstone keeps "Request 2")`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, jiratest.DefaultToken) {
		t.Error("the output shows the token")
	}
}
