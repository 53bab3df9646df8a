package ticketsync

import (
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		word string
		want Status
	}{
		// Zendesk
		{"new", StatusNew}, {"open", StatusOpen}, {"pending", StatusPending}, {"hold", StatusOnHold},
		{"on-hold", StatusOnHold}, {"On Hold", StatusOnHold}, {"solved", StatusSolved}, {"closed", StatusClosed},
		{"OPEN", StatusOpen}, {"SOLVED", StatusSolved},
		// Freshdesk, with a common custom status and the numeric codes
		{"Open", StatusOpen}, {"Pending", StatusPending}, {"Resolved", StatusSolved}, {"Closed", StatusClosed},
		{"Waiting on Customer", StatusPending}, {"Waiting on Third Party", StatusOnHold},
		{"2", StatusOpen}, {"3", StatusPending}, {"4", StatusSolved}, {"5", StatusClosed},
		// Jira and Jira Service Management
		{"To Do", StatusNew}, {"In Progress", StatusOpen}, {"Done", StatusSolved},
		{"Waiting for support", StatusOpen}, {"Waiting for customer", StatusPending}, {"Resolved", StatusSolved},
		{"Won't Do", StatusClosed}, {"Canceled", StatusClosed},
		// Intercom conversations and tickets
		{"snoozed", StatusOnHold}, {"submitted", StatusNew}, {"in_progress", StatusOpen},
		{"waiting_on_customer", StatusPending}, {"resolved", StatusSolved},
		// HubSpot's default pipeline labels
		{"New", StatusNew}, {"Waiting on contact", StatusPending}, {"Waiting on us", StatusOpen}, {"Closed", StatusClosed},
		// spacing and punctuation are ignored
		{"  waiting-on_customer ", StatusPending}, {"ON_HOLD", StatusOnHold},
		// service-desk workflow words, and a trailing note
		{"Awaiting approval", StatusOnHold}, {"Implementing", StatusOpen}, {"Pending closure", StatusPending},
		{"Closed (no response)", StatusClosed}, {"Unresolved", StatusOpen}, {"Customer replied", StatusOpen}, {"Merged", StatusClosed}, {"Resolved (auto)", StatusSolved},
	}
	for _, tt := range tests {
		got, ok := ParseStatus(tt.word)
		if !ok || got != tt.want {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q, true", tt.word, got, ok, tt.want)
		}
	}
	for _, word := range []string{"", "banana", "6", "open sesame", "(closed)", "banana (closed)"} {
		if got, ok := ParseStatus(word); ok {
			t.Errorf("ParseStatus(%q) = %q, true; want false", word, got)
		}
	}
}

func TestParsePriority(t *testing.T) {
	tests := []struct {
		word string
		want Priority
	}{
		{"", PriorityNone}, {"none", PriorityNone}, {"not_priority", PriorityNone},
		{"low", PriorityLow}, {"LOW", PriorityLow}, {"Lowest", PriorityLow}, {"P4", PriorityLow},
		{"medium", PriorityNormal}, {"Normal", PriorityNormal}, {"MEDIUM", PriorityNormal}, {"p3", PriorityNormal},
		{"high", PriorityHigh}, {"High", PriorityHigh}, {"P2", PriorityHigh}, {"priority", PriorityHigh},
		{"urgent", PriorityUrgent}, {"URGENT", PriorityUrgent}, {"Highest", PriorityUrgent}, {"P1", PriorityUrgent},
		{"Critical", PriorityUrgent}, {"Very high", PriorityUrgent}, {"Very low", PriorityLow}, {"High (P2)", PriorityHigh},
		{"High priority", PriorityHigh}, {"Priority: urgent", PriorityUrgent}, {"severity 1", PriorityUrgent}, {"med", PriorityNormal},
		// Freshdesk's numeric codes
		{"1", PriorityLow}, {"2", PriorityNormal}, {"3", PriorityHigh}, {"4", PriorityUrgent},
	}
	for _, tt := range tests {
		got, ok := ParsePriority(tt.word)
		if !ok || got != tt.want {
			t.Errorf("ParsePriority(%q) = %q, %v; want %q, true", tt.word, got, ok, tt.want)
		}
	}
	for _, word := range []string{"whenever", "9", "p9", "priority priority", "banana priority"} {
		if got, ok := ParsePriority(word); ok {
			t.Errorf("ParsePriority(%q) = %q, true; want false", word, got)
		}
	}
}

func TestTicketCloneSharesNothing(t *testing.T) {
	orig := Ticket{
		ID:       "1",
		Tags:     []string{"a"},
		Comments: []Comment{{ID: "c1", Body: "hi", CreatedAt: time.Unix(1, 0)}},
		Fields:   map[string]string{"k": "v"},
	}
	c := orig.Clone()
	c.Tags[0] = "changed"
	c.Comments[0].Body = "changed"
	c.Fields["k"] = "changed"
	if orig.Tags[0] != "a" || orig.Comments[0].Body != "hi" || orig.Fields["k"] != "v" {
		t.Fatalf("Clone shares memory with the original: %+v", orig)
	}
	if z := (Ticket{}).Clone(); z.Tags != nil || z.Comments != nil || z.Fields != nil {
		t.Fatalf("Clone of a zero Ticket allocated: %+v", z)
	}
}
