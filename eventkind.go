package ticketsync

import "strings"

// ParseEventKind maps a platform's word for what happened to a ticket to an
// EventKind, as ParseStatus does for statuses. It reads bare words
// ("created", "creation", "create", "propertyChange", "deletion",
// "destroyed", "replied", "noted") and the dotted or prefixed event names
// platforms send ("ticket.created", "jira:issue_updated",
// "zen:event-type:ticket.comment_added", "conversation.admin.replied",
// "ticket.propertyChange"), ignoring case and separators. A comment's own
// creation, change or deletion ("comment_created", "comment_deleted") is
// EventCommented, not a change to the ticket's existence. "opened" is
// EventCreated and "reopened" EventUpdated.
//
// It reports false for a word it does not know; callers usually take such
// an event as EventUpdated, which makes the Syncer load the ticket.
//
// It is the one table in ticketsync: platform packages check the few words
// whose meaning is their own (Intercom's "conversation.admin.opened" is a
// reopening) before calling it.
func ParseEventKind(word string) (EventKind, bool) {
	w := foldEventWord(word)
	if w == "" {
		return "", false
	}
	if k, ok := eventWords[w]; ok {
		return k, true
	}
	for _, s := range eventSuffixes {
		if strings.HasSuffix(w, s.suffix) {
			return s.kind, true
		}
	}
	return "", false
}

// foldEventWord lowercases word and drops the separators platforms put in
// event names.
func foldEventWord(word string) string {
	var b strings.Builder
	b.Grow(len(word))
	for _, r := range strings.ToLower(strings.TrimSpace(word)) {
		switch r {
		case ' ', '\t', '-', '_', '.', '/', ':':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// eventWords are whole words.
var eventWords = map[string]EventKind{
	"create": EventCreated, "created": EventCreated, "creation": EventCreated, "new": EventCreated,
	"add": EventCreated, "added": EventCreated, "insert": EventCreated, "opened": EventCreated, "open": EventCreated,
	"update": EventUpdated, "updated": EventUpdated, "change": EventUpdated, "changed": EventUpdated,
	"propertychange": EventUpdated, "modified": EventUpdated, "edit": EventUpdated, "edited": EventUpdated,
	"restore": EventUpdated, "restored": EventUpdated, "merge": EventUpdated, "merged": EventUpdated,
	"reopen": EventUpdated, "reopened": EventUpdated,
	"delete": EventDeleted, "deleted": EventDeleted, "deletion": EventDeleted, "destroy": EventDeleted,
	"destroyed": EventDeleted, "remove": EventDeleted, "removed": EventDeleted, "trashed": EventDeleted,
	"purged": EventDeleted, "privacydeletion": EventDeleted,
	"comment": EventCommented, "commented": EventCommented, "reply": EventCommented, "replied": EventCommented,
	"note": EventCommented, "noted": EventCommented,
}

// eventSuffixes end event names, checked in order: a comment's events
// first, so that "commentdeleted" is a comment, and "reopened" before
// "opened".
var eventSuffixes = []struct {
	suffix string
	kind   EventKind
}{
	{"commentcreated", EventCommented},
	{"commentadded", EventCommented},
	{"commentupdated", EventCommented},
	{"commentdeleted", EventCommented},
	{"commented", EventCommented},
	{"replycreated", EventCommented},
	{"replyadded", EventCommented},
	{"replied", EventCommented},
	{"notecreated", EventCommented},
	{"noteadded", EventCommented},
	{"noted", EventCommented},
	{"privacydeletion", EventDeleted},
	{"softdeleted", EventDeleted},
	{"permanentlydeleted", EventDeleted},
	{"deleted", EventDeleted},
	{"deletion", EventDeleted},
	{"destroyed", EventDeleted},
	{"removed", EventDeleted},
	{"trashed", EventDeleted},
	{"purged", EventDeleted},
	{"creation", EventCreated},
	{"created", EventCreated},
	{"reopened", EventUpdated},
	{"opened", EventCreated},
	{"propertychange", EventUpdated},
	{"updated", EventUpdated},
	{"changed", EventUpdated},
	{"modified", EventUpdated},
	{"edited", EventUpdated},
	{"restored", EventUpdated},
	{"restore", EventUpdated},
	{"merged", EventUpdated},
	{"merge", EventUpdated},
	{"associationchange", EventUpdated},
}
