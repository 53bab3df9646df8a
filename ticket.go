package ticketsync

import (
	"strings"
	"time"
)

// Status is the normalized state of a ticket. Every platform's own status
// (Zendesk's "hold", Freshdesk's code 4, Jira's "Waiting for customer",
// HubSpot's pipeline stages...) maps onto one of these six; the platform's own
// name is kept in Ticket.RawStatus.
type Status string

// The normalized statuses, from first contact to the end of a ticket's life.
const (
	StatusNew     Status = "new"     // received, nobody has worked on it yet
	StatusOpen    Status = "open"    // the support team owes the next step
	StatusPending Status = "pending" // waiting on the requester
	StatusOnHold  Status = "on_hold" // waiting on a third party, or snoozed
	StatusSolved  Status = "solved"  // answered; may still be reopened
	StatusClosed  Status = "closed"  // finished for good
)

// Priority is the normalized urgency of a ticket. The platform's own word is
// kept in Ticket.RawPriority.
type Priority string

// The normalized priorities. PriorityNone means the platform set none.
const (
	PriorityNone   Priority = ""
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// statusWords is the one table from people's words to a Status. Keys are
// folded by foldWord: lower case, without spaces, hyphens, underscores, dots
// and apostrophes.
var statusWords = map[string]Status{
	// new
	"new": StatusNew, "submitted": StatusNew, "todo": StatusNew, "backlog": StatusNew,
	"unassigned": StatusNew, "received": StatusNew, "triage": StatusNew, "untriaged": StatusNew,
	// open
	"open": StatusOpen, "opened": StatusOpen, "reopened": StatusOpen, "inprogress": StatusOpen,
	"active": StatusOpen, "assigned": StatusOpen, "escalated": StatusOpen, "investigating": StatusOpen,
	"waitingforsupport": StatusOpen, "waitingonus": StatusOpen, "waitingonsupport": StatusOpen,
	"waitingonagent": StatusOpen, "workinprogress": StatusOpen, "inreview": StatusOpen,
	"underreview": StatusOpen, "acknowledged": StatusOpen, "awaitingimplementation": StatusOpen,
	"implementing": StatusOpen, "planning": StatusOpen, "unresolved": StatusOpen, "unsolved": StatusOpen,
	"ongoing": StatusOpen, "reopen": StatusOpen, "customerreplied": StatusOpen, "customerreply": StatusOpen,
	"needsreply": StatusOpen, "awaitingagent": StatusOpen,
	// pending: waiting on the requester
	"pending": StatusPending, "waitingoncustomer": StatusPending, "waitingforcustomer": StatusPending,
	"waitingoncontact": StatusPending, "waitingforcontact": StatusPending, "waitingonrequester": StatusPending,
	"waitingforrequester": StatusPending, "awaitingcustomer": StatusPending, "awaitingreply": StatusPending,
	"awaitingresponse": StatusPending, "waitingforreply": StatusPending, "waitingonreply": StatusPending,
	"waitingforresponse": StatusPending, "waitingonuser": StatusPending, "pendingcustomer": StatusPending,
	"waitingforinfo": StatusPending, "needsinfo": StatusPending, "moreinforequired": StatusPending,
	"awaitingcustomerresponse": StatusPending, "waitingoncustomerresponse": StatusPending,
	"waitingforcustomerresponse": StatusPending, "pendingclosure": StatusPending,
	// on hold: waiting on a third party, or put aside
	"hold": StatusOnHold, "onhold": StatusOnHold, "snoozed": StatusOnHold, "paused": StatusOnHold,
	"blocked": StatusOnHold, "waitingonthirdparty": StatusOnHold, "waitingforthirdparty": StatusOnHold,
	"waitingforvendor": StatusOnHold, "waitingonvendor": StatusOnHold, "waitingforapproval": StatusOnHold,
	"awaitingapproval": StatusOnHold, "awaitingthirdparty": StatusOnHold, "scheduled": StatusOnHold,
	"deferred": StatusOnHold,
	// solved
	"solved": StatusSolved, "resolved": StatusSolved, "done": StatusSolved, "fixed": StatusSolved,
	"completed": StatusSolved, "complete": StatusSolved, "answered": StatusSolved,
	// closed
	"closed": StatusClosed, "archived": StatusClosed, "cancelled": StatusClosed, "canceled": StatusClosed,
	"wontdo": StatusClosed, "wontfix": StatusClosed, "rejected": StatusClosed, "declined": StatusClosed,
	"duplicate": StatusClosed, "spam": StatusClosed, "merged": StatusClosed,
	// Freshdesk's numeric status codes, as its API and some exports write them.
	"2": StatusOpen, "3": StatusPending, "4": StatusSolved, "5": StatusClosed,
}

// priorityWords is the one table from people's words to a Priority, folded
// like statusWords.
var priorityWords = map[string]Priority{
	"": PriorityNone, "none": PriorityNone, "nopriority": PriorityNone, "unset": PriorityNone,
	"notset": PriorityNone, "notprioritized": PriorityNone, "notpriority": PriorityNone,
	"low": PriorityLow, "lowest": PriorityLow, "verylow": PriorityLow, "minor": PriorityLow, "trivial": PriorityLow,
	"p4": PriorityLow, "p5": PriorityLow, "sev4": PriorityLow, "s4": PriorityLow, "severity4": PriorityLow,
	"normal": PriorityNormal, "medium": PriorityNormal, "moderate": PriorityNormal, "standard": PriorityNormal,
	"p3": PriorityNormal, "sev3": PriorityNormal, "s3": PriorityNormal, "severity3": PriorityNormal,
	"med": PriorityNormal, "mid": PriorityNormal,
	"high": PriorityHigh, "priority": PriorityHigh, "major": PriorityHigh, "important": PriorityHigh, "p2": PriorityHigh, "sev2": PriorityHigh,
	"s2": PriorityHigh, "severity2": PriorityHigh,
	"urgent": PriorityUrgent, "highest": PriorityUrgent, "veryhigh": PriorityUrgent, "critical": PriorityUrgent, "blocker": PriorityUrgent,
	"emergency": PriorityUrgent, "p1": PriorityUrgent, "p0": PriorityUrgent,
	"sev1": PriorityUrgent, "sev0": PriorityUrgent, "s1": PriorityUrgent, "severity1": PriorityUrgent,
	"crit": PriorityUrgent, "asap": PriorityUrgent,
	// Freshdesk's numeric priority codes, as its API writes them.
	"1": PriorityLow, "2": PriorityNormal, "3": PriorityHigh, "4": PriorityUrgent,
}

// foldWord lowers word and drops the characters people vary freely in status
// names: spaces, hyphens, underscores, dots, slashes and apostrophes.
func foldWord(word string) string {
	var b strings.Builder
	b.Grow(len(word))
	for _, r := range strings.ToLower(strings.TrimSpace(word)) {
		switch r {
		case ' ', '\t', '-', '_', '.', '/', '\'', '\u2019':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ParseStatus maps a person's or a platform's word for a ticket state to a
// Status: "Solved", "Resolved", "Waiting on Customer", "On-hold", "hold",
// "Done", "In Progress", "snoozed", Freshdesk's codes "2" to "5", and so on.
// Case, spaces, hyphens and underscores are ignored, and so is a trailing
// note in parentheses ("Closed (no response)"). It reports false for a
// word it does not know; callers keep such words in Ticket.RawStatus and
// choose a fallback (usually StatusOpen).
//
// It is the one table in ticketsync: csvimport, webhookpush and the platform
// packages' webhook templates use it rather than keeping their own.
func ParseStatus(word string) (Status, bool) {
	s, ok := statusWords[foldWord(word)]
	if !ok {
		if w := withoutNote(word); w != "" {
			s, ok = statusWords[foldWord(w)]
		}
	}
	return s, ok
}

// withoutNote drops a trailing parenthesized note, as in "Closed (no
// response)", or returns "" when there is none.
func withoutNote(word string) string {
	if i := strings.IndexByte(word, '('); i > 0 && strings.HasSuffix(strings.TrimSpace(word), ")") {
		return word[:i]
	}
	return ""
}

// ParsePriority maps a word for a ticket's urgency to a Priority: "Low",
// "Medium", "Normal", "High", "Urgent", Jira's "Highest" and "Lowest", "P1"
// to "P4", "Critical", Freshdesk's codes "1" to "4", and so on. An empty word
// or "none" is PriorityNone; "High priority" is PriorityHigh. It reports
// false for a word it does not know.
func ParsePriority(word string) (Priority, bool) {
	folded := foldWord(word)
	p, ok := priorityWords[folded]
	if !ok {
		if w := withoutNote(word); w != "" {
			folded = foldWord(w)
			p, ok = priorityWords[folded]
		}
	}
	if !ok && len(folded) > len("priority") {
		// "High priority", "Priority: high"
		trimmed := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(folded, "priority"), ":"), "priority")
		if trimmed != folded && trimmed != "" {
			p, ok = priorityWords[trimmed]
		}
	}
	return p, ok
}

// Person is a requester, an assignee or a comment's author. Any field may be
// empty when the platform does not say; ID is the platform's own id as text.
type Person struct {
	ID    string
	Name  string
	Email string
}

// IsZero reports whether p holds nothing, as an unassigned Assignee does.
func (p Person) IsZero() bool { return p == Person{} }

// Comment is one message in a ticket's conversation: a public reply or an
// internal note.
type Comment struct {
	// ID is the platform's own id of the comment, stable across edits. The
	// Store merges comments by it.
	ID     string
	Author Person
	// Body is plain text: HTML and Atlassian Document Format are converted.
	Body string
	// Public is false for an internal note that the requester cannot see.
	Public    bool
	CreatedAt time.Time
}

// Ticket is one support ticket, normalized across platforms.
//
// A connector fills what its platform knows; the Syncer sets ConnectorID and
// Platform. Times are the platform's own, in UTC where the platform says
// which zone it uses.
type Ticket struct {
	// ConnectorID is the id the connector was added under (Syncer.Add); the
	// Syncer sets it, connectors leave it empty.
	ConnectorID string
	// Platform names the source: "zendesk", "freshdesk", "jira", "intercom",
	// "hubspot", "csv", or what a webhookpush connector was configured with.
	Platform string
	// ID is the platform's own stable id, as text ("35436", "SUP-12").
	ID string
	// URL is where an agent opens the ticket in the platform's web app (not
	// the API URL).
	URL string
	// Subject is the ticket's title.
	Subject string
	// Description is the first message, as plain text.
	Description string
	// Status is the normalized state; RawStatus is the platform's own name
	// for it ("hold", "Waiting for customer", a pipeline stage's label).
	Status    Status
	RawStatus string
	// Priority is the normalized urgency; RawPriority is the platform's word.
	Priority    Priority
	RawPriority string
	// Channel is where the ticket came in, where the platform says: "email",
	// "web", "chat", "phone", "api", ... (lower case, the platform's word).
	Channel string
	// Requester is who asked; Assignee is the agent working on it, the zero
	// Person when unassigned.
	Requester Person
	Assignee  Person
	Tags      []string
	// Comments holds the conversation, oldest first. A connector may deliver
	// only the comments that are new since its last page: the Store keeps
	// the union by Comment.ID.
	Comments []Comment
	// Fields holds custom fields, keyed by the platform's field name or id.
	Fields    map[string]string
	CreatedAt time.Time
	// UpdatedAt is the platform's last-modified time. It decides which of two
	// copies of a ticket is newer: a Store never replaces a stored ticket
	// with one whose UpdatedAt is older. A connector that does not know it
	// leaves it zero, never the time of receipt: such a copy then never
	// replaces one with a real time, so a late, older copy cannot undo a
	// newer one.
	UpdatedAt time.Time
	// Deleted marks a tombstone: the ticket was deleted on the platform. The
	// other fields keep what was last known of it.
	Deleted bool
}

// Clone returns a deep copy of t: its Tags, Comments and Fields are new
// slices and maps that share nothing with t.
func (t Ticket) Clone() Ticket {
	c := t
	if t.Tags != nil {
		c.Tags = append(make([]string, 0, len(t.Tags)), t.Tags...)
	}
	if t.Comments != nil {
		c.Comments = append(make([]Comment, 0, len(t.Comments)), t.Comments...)
	}
	if t.Fields != nil {
		c.Fields = make(map[string]string, len(t.Fields))
		for k, v := range t.Fields {
			c.Fields[k] = v
		}
	}
	return c
}

// EventKind says what happened to a ticket in a webhook delivery.
type EventKind string

// The kinds of webhook events.
const (
	EventCreated   EventKind = "created"
	EventUpdated   EventKind = "updated"
	EventDeleted   EventKind = "deleted"
	EventCommented EventKind = "commented"
)

// Event is one change that a platform pushed, as parsed by a
// WebhookReceiver.
type Event struct {
	Kind EventKind
	// TicketID is the platform's id of the ticket; always set.
	TicketID string
	// Ticket is set only when the payload holds the ticket as completely as
	// the platform's REST API would. Otherwise it is nil and the Syncer
	// loads the ticket through the connector's TicketGetter.
	Ticket *Ticket
	// At is when the change happened on the platform, when the payload says;
	// a delete event's tombstone takes it as its UpdatedAt, so that a late or
	// replayed delete older than the stored copy loses to it. A delete
	// without At (and without Ticket.UpdatedAt) is placed just past the
	// stored copy, so leave At zero rather than guess it.
	At time.Time
}
