package jira

import (
	"testing"

	"github.com/ticketsync/ticketsync"
)

func TestMapStatusAndPriority(t *testing.T) {
	st := func(name, cat string) *wireStatus {
		s := &wireStatus{Name: name}
		s.StatusCategory.Key = cat
		return s
	}
	for _, tc := range []struct {
		in   *wireStatus
		want ticketsync.Status
	}{
		{st("Waiting for customer", "indeterminate"), ticketsync.StatusPending},
		{st("Waiting for support", "new"), ticketsync.StatusOpen},
		{st("Resolved", "done"), ticketsync.StatusSolved},
		{st("Closed", "done"), ticketsync.StatusClosed},
		{st("Canceled", "done"), ticketsync.StatusClosed},
		{st("To Do", "new"), ticketsync.StatusNew},
		{st("Triage queue 3", "new"), ticketsync.StatusNew},        // unknown name: by category
		{st("With legal", "indeterminate"), ticketsync.StatusOpen}, // unknown name: by category
		{st("Shipped", "done"), ticketsync.StatusSolved},           // unknown name: by category
		{st("Open", "done"), ticketsync.StatusSolved},              // done is never unfinished
		{st("Waiting for customer", "done"), ticketsync.StatusSolved},
		{st("Mystery", "undefined"), ticketsync.StatusOpen},
		{nil, ticketsync.StatusOpen},
	} {
		got, raw := mapStatus(tc.in)
		if got != tc.want {
			t.Errorf("mapStatus(%+v) = %q, want %q", tc.in, got, tc.want)
		}
		if tc.in != nil && raw != tc.in.Name {
			t.Errorf("raw status %q, want %q", raw, tc.in.Name)
		}
	}
	for name, want := range map[string]ticketsync.Priority{
		"Highest": ticketsync.PriorityUrgent, "High": ticketsync.PriorityHigh, "Medium": ticketsync.PriorityNormal,
		"Low": ticketsync.PriorityLow, "Lowest": ticketsync.PriorityLow, "P1 - Critical": ticketsync.PriorityNone,
		"Blocker": ticketsync.PriorityUrgent,
	} {
		if got, raw := mapPriority(&wireNamed{Name: name}); got != want || raw != name {
			t.Errorf("mapPriority(%q) = %q, %q; want %q", name, got, raw, want)
		}
	}
	if got, raw := mapPriority(nil); got != ticketsync.PriorityNone || raw != "" {
		t.Errorf("mapPriority(nil) = %q, %q", got, raw)
	}
}
