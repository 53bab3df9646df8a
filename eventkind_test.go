package ticketsync_test

import (
	"fmt"
	"testing"

	"github.com/ticketsync/ticketsync"
)

func TestParseEventKind(t *testing.T) {
	cases := map[string]ticketsync.EventKind{
		// Bare words.
		"created": ticketsync.EventCreated, "Creation": ticketsync.EventCreated, "create": ticketsync.EventCreated,
		"updated": ticketsync.EventUpdated, "propertyChange": ticketsync.EventUpdated, "changed": ticketsync.EventUpdated,
		"deleted": ticketsync.EventDeleted, "deletion": ticketsync.EventDeleted, "destroyed": ticketsync.EventDeleted,
		"commented": ticketsync.EventCommented, "replied": ticketsync.EventCommented, "noted": ticketsync.EventCommented,
		" Comment Added ": ticketsync.EventCommented,
		// Zendesk event subscriptions.
		"zen:event-type:ticket.created":             ticketsync.EventCreated,
		"zen:event-type:ticket.comment_added":       ticketsync.EventCommented,
		"zen:event-type:ticket.soft_deleted":        ticketsync.EventDeleted,
		"zen:event-type:ticket.permanently_deleted": ticketsync.EventDeleted,
		"zen:event-type:ticket.status_changed":      ticketsync.EventUpdated,
		// HubSpot subscription types.
		"ticket.creation": ticketsync.EventCreated, "ticket.propertyChange": ticketsync.EventUpdated,
		"ticket.deletion": ticketsync.EventDeleted, "ticket.privacyDeletion": ticketsync.EventDeleted,
		"ticket.restore": ticketsync.EventUpdated, "ticket.merge": ticketsync.EventUpdated,
		"ticket.associationChange": ticketsync.EventUpdated,
		// Jira webhook events: a comment's deletion is not the issue's.
		"jira:issue_created": ticketsync.EventCreated, "jira:issue_updated": ticketsync.EventUpdated,
		"jira:issue_deleted": ticketsync.EventDeleted, "comment_created": ticketsync.EventCommented,
		"comment_updated": ticketsync.EventCommented, "comment_deleted": ticketsync.EventCommented,
		// Intercom topics.
		"conversation.user.created": ticketsync.EventCreated, "conversation.user.replied": ticketsync.EventCommented,
		"conversation.admin.replied": ticketsync.EventCommented, "conversation.admin.noted": ticketsync.EventCommented,
		"conversation.deleted": ticketsync.EventDeleted,
		// Generic senders.
		"ticket_updated": ticketsync.EventUpdated, "ticket.reopened": ticketsync.EventUpdated, "ticket.opened": ticketsync.EventCreated,
	}
	for word, want := range cases {
		got, ok := ticketsync.ParseEventKind(word)
		if !ok || got != want {
			t.Errorf("ParseEventKind(%q) = %q, %v; want %q", word, got, ok, want)
		}
	}
	for _, word := range []string{"", "  ", "ping", "conversation.admin.snoozed", "ticket.assigned", "test"} {
		if got, ok := ticketsync.ParseEventKind(word); ok {
			t.Errorf("ParseEventKind(%q) = %q, true; want false", word, got)
		}
	}
}

func ExampleParseEventKind() {
	for _, w := range []string{"ticket.creation", "jira:issue_updated", "comment_deleted", "conversation.admin.noted", "ping"} {
		k, ok := ticketsync.ParseEventKind(w)
		fmt.Println(w, k, ok)
	}
	// Output:
	// ticket.creation created true
	// jira:issue_updated updated true
	// comment_deleted commented true
	// conversation.admin.noted commented true
	// ping  false
}
