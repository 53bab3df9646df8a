package ticketsynctest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ticketsync/ticketsync"
)

// kitT is the part of *testing.T that the kits' rules use, so that the
// kits' own tests can run a rule against a deliberately broken store or
// connector and record what it reports.
type kitT interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Logf(format string, args ...any)
	Context() context.Context
}

// diffFields describes how the fields of got other than its keys
// (ConnectorID, Platform, ID) and Comments differ from want's. Times are
// compared with Equal, Tags as a set, nil and empty maps alike.
func diffFields(want, got ticketsync.Ticket) []string {
	var d []string
	str := func(name, w, g string) {
		if w != g {
			d = append(d, fmt.Sprintf("%s = %q, want %q", name, g, w))
		}
	}
	person := func(name string, w, g ticketsync.Person) {
		if w != g {
			d = append(d, fmt.Sprintf("%s = %+v, want %+v", name, g, w))
		}
	}
	tm := func(name string, w, g time.Time) {
		if !w.Equal(g) {
			d = append(d, fmt.Sprintf("%s = %s, want %s", name, g, w))
		}
	}
	str("URL", want.URL, got.URL)
	str("Subject", want.Subject, got.Subject)
	str("Description", want.Description, got.Description)
	str("Status", string(want.Status), string(got.Status))
	str("RawStatus", want.RawStatus, got.RawStatus)
	str("Priority", string(want.Priority), string(got.Priority))
	str("RawPriority", want.RawPriority, got.RawPriority)
	str("Channel", want.Channel, got.Channel)
	person("Requester", want.Requester, got.Requester)
	person("Assignee", want.Assignee, got.Assignee)
	if w, g := slices.Sorted(slices.Values(want.Tags)), slices.Sorted(slices.Values(got.Tags)); !slices.Equal(w, g) {
		d = append(d, fmt.Sprintf("Tags = %q, want %q", got.Tags, want.Tags))
	}
	if !maps.Equal(want.Fields, got.Fields) {
		d = append(d, fmt.Sprintf("Fields = %v, want %v", got.Fields, want.Fields))
	}
	tm("CreatedAt", want.CreatedAt, got.CreatedAt)
	tm("UpdatedAt", want.UpdatedAt, got.UpdatedAt)
	if want.Deleted != got.Deleted {
		d = append(d, fmt.Sprintf("Deleted = %t, want %t", got.Deleted, want.Deleted))
	}
	return d
}
