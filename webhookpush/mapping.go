package webhookpush

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Mapping says where each Ticket field is in the pushed JSON. Its keys are
// Ticket fields:
//
//	ID, URL, Subject, Description, Status, Priority, Channel,
//	Requester.ID, Requester.Name, Requester.Email,
//	Assignee.ID, Assignee.Name, Assignee.Email,
//	Tags, CreatedAt, UpdatedAt, Kind, Fields.<name>
//
// Its values are paths in the syntax described in the package
// documentation: "ticket.id", "data.items[0].subject", "requester.email",
// "$.event". A non-empty Mapping replaces the auto-detection entirely, so it
// must map ID; fields it does not map stay empty.
type Mapping map[string]string

// mappingKeys are the keys a Mapping may use, besides "Fields.<name>".
var mappingKeys = map[string]target{
	"ID":              tID,
	"URL":             tURL,
	"Subject":         tSubject,
	"Description":     tDescription,
	"Status":          tStatus,
	"Priority":        tPriority,
	"Channel":         tChannel,
	"Requester.ID":    tRequesterID,
	"Requester.Name":  tRequesterName,
	"Requester.Email": tRequesterEmail,
	"Assignee.ID":     tAssigneeID,
	"Assignee.Name":   tAssigneeName,
	"Assignee.Email":  tAssigneeEmail,
	"Tags":            tTags,
	"CreatedAt":       tCreatedAt,
	"UpdatedAt":       tUpdatedAt,
	"Kind":            tKind,
}

// target is a Ticket field (or the event kind) a value is written to.
type target int

const (
	tID target = iota
	tURL
	tSubject
	tDescription
	tStatus
	tPriority
	tChannel
	tRequesterID
	tRequesterName
	tRequesterEmail
	tAssigneeID
	tAssigneeName
	tAssigneeEmail
	tTags
	tCreatedAt
	tUpdatedAt
	tKind
	tField
)

// segment is one step of a path: a member name, or an array index when
// index >= 0.
type segment struct {
	key   string
	index int
}

// path is a parsed mapping path.
type path struct {
	text string
	// fromRoot: the path started with "$" and is read from the delivery's
	// root rather than from the item.
	fromRoot bool
	segs     []segment
}

// maxIndex bounds array indexes in paths.
const maxIndex = 1_000_000

// parsePath parses the path syntax: member names separated by dots, each
// optionally followed by array indexes in brackets ("items[0]", "[2][1]"),
// optionally preceded by "$." to read from the delivery's root.
func parsePath(s string) (path, error) {
	p := path{text: s}
	if s == "" {
		return p, errors.New("empty path")
	}
	rest := s
	if rest == "$" {
		p.fromRoot = true
		return p, nil
	}
	if strings.HasPrefix(rest, "$.") || strings.HasPrefix(rest, "$[") {
		p.fromRoot = true
		rest = strings.TrimPrefix(rest[1:], ".")
	}
	for first := true; ; first = false {
		// A member name, unless the path (or this step) starts with an index.
		if !(first && strings.HasPrefix(rest, "[")) {
			end := strings.IndexAny(rest, ".[]")
			if end < 0 {
				end = len(rest)
			}
			key := rest[:end]
			if key == "" {
				return p, fmt.Errorf("empty name at offset %d", len(s)-len(rest))
			}
			if strings.TrimSpace(key) != key {
				return p, fmt.Errorf("name %q has surrounding spaces", key)
			}
			p.segs = append(p.segs, segment{key: key, index: -1})
			rest = rest[end:]
		}
		for strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return p, errors.New("unclosed [")
			}
			digits := rest[1:end]
			n, err := strconv.Atoi(digits)
			if err != nil || n < 0 || n > maxIndex || digits != strconv.Itoa(n) {
				return p, fmt.Errorf("index [%s] is not a whole number from 0 to %d", digits, maxIndex)
			}
			p.segs = append(p.segs, segment{index: n})
			rest = rest[end+1:]
		}
		if rest == "" {
			return p, nil
		}
		if rest[0] != '.' {
			return p, fmt.Errorf("unexpected %q at offset %d", rest[0], len(s)-len(rest))
		}
		rest = rest[1:]
		if rest == "" {
			return p, errors.New("path ends with a dot")
		}
		if rest[0] == '[' {
			return p, fmt.Errorf("unexpected \".[\" at offset %d", len(s)-len(rest)-1)
		}
	}
}

// mustPath parses a path known to be valid.
func mustPath(s string) path {
	p, err := parsePath(s)
	if err != nil {
		panic("webhookpush: bad built-in path " + s + ": " + err.Error())
	}
	return p
}

// eval returns the value at p, starting from item (or from the delivery's
// root when p starts with "$").
func (d *doc) eval(root, item []byte, p path, fold bool) ([]byte, bool) {
	v := item
	if p.fromRoot {
		v = root
	}
	for _, s := range p.segs {
		if len(v) == 0 {
			return nil, false
		}
		if s.index >= 0 {
			if v[0] != '[' {
				return nil, false
			}
			var ok bool
			if v, ok = element(v, s.index); !ok {
				return nil, false
			}
			continue
		}
		var ok bool
		if v, ok = d.lookup(v, s.key, fold); !ok {
			return nil, false
		}
	}
	return v, len(v) > 0
}

// fieldSpec is one mapped field: where to read it and what it fills.
type fieldSpec struct {
	target target
	name   string // the Mapping key, or "Fields.<name>"
	field  string // for tField, the key in Ticket.Fields
	path   path
}

// compileMapping validates m and returns its fields in a stable order.
func compileMapping(m Mapping) ([]fieldSpec, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	specs := make([]fieldSpec, 0, len(m))
	hasID := false
	for _, k := range keys {
		spec := fieldSpec{name: k}
		if t, ok := mappingKeys[k]; ok {
			spec.target = t
		} else if name, ok := strings.CutPrefix(k, "Fields."); ok && strings.TrimSpace(name) != "" {
			spec.target, spec.field = tField, name
		} else {
			return nil, fmt.Errorf("webhookpush: Mapping key %q is not a Ticket field (want one of %s, or Fields.<name>)", k, strings.Join(sortedKeys(), ", "))
		}
		p, err := parsePath(strings.TrimSpace(m[k]))
		if err != nil {
			return nil, fmt.Errorf("webhookpush: Mapping[%q] = %q: %v", k, m[k], err)
		}
		spec.path = p
		if spec.target == tID {
			hasID = true
		}
		specs = append(specs, spec)
	}
	if !hasID {
		return nil, errors.New(`webhookpush: Mapping must map "ID" (the ticket's id); leave Mapping empty to auto-detect fields`)
	}
	return specs, nil
}

func sortedKeys() []string {
	ks := make([]string, 0, len(mappingKeys))
	for k := range mappingKeys {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return mappingKeys[ks[i]] < mappingKeys[ks[j]] })
	return ks
}

// rootKeys are the member names under which the documented push format
// carries the ticket, in the order they are looked for. A delivery without
// Mapping or ItemsPath may also carry an array under the plural of one of
// them ("tickets"), be an array of tickets, or be the ticket itself.
var rootKeys = []string{"ticket", "issue", "case", "conversation"}

// autoCandidates lists, for each Ticket field, the names auto-detection
// looks for in the ticket object, first match wins. Names are compared
// without regard to case; a dotted name is a nested object.
func autoCandidates() []fieldSpec {
	table := []struct {
		t     target
		name  string
		paths []string
	}{
		{tID, "ID", []string{"id", "number", "key", "ticket_id", "ticketId"}},
		{tSubject, "Subject", []string{"subject", "title", "summary", "name"}},
		{tDescription, "Description", []string{"description", "body", "content", "text"}},
		{tStatus, "Status", []string{"status", "state"}},
		{tPriority, "Priority", []string{"priority"}},
		{tChannel, "Channel", []string{"channel"}},
		{tRequesterEmail, "Requester.Email", []string{"requester_email", "requesterEmail", "requester.email", "customer_email", "customer.email", "email"}},
		{tRequesterName, "Requester.Name", []string{"requester_name", "requesterName", "requester.name", "customer_name", "customer.name"}},
		{tRequesterID, "Requester.ID", []string{"requester_id", "requesterId", "requester.id", "customer_id", "customer.id"}},
		{tAssigneeEmail, "Assignee.Email", []string{"assignee_email", "assigneeEmail", "assignee.email"}},
		{tAssigneeName, "Assignee.Name", []string{"assignee_name", "assigneeName", "assignee.name"}},
		{tAssigneeID, "Assignee.ID", []string{"assignee_id", "assigneeId", "assignee.id"}},
		{tTags, "Tags", []string{"tags", "labels"}},
		{tCreatedAt, "CreatedAt", []string{"created_at", "createdAt", "created"}},
		{tUpdatedAt, "UpdatedAt", []string{"updated_at", "updatedAt", "updated", "modified_at", "modifiedAt"}},
		{tURL, "URL", []string{"url", "link", "html_url"}},
	}
	var specs []fieldSpec
	for _, row := range table {
		for _, p := range row.paths {
			specs = append(specs, fieldSpec{target: row.t, name: row.name, path: mustPath(p)})
		}
	}
	return specs
}

// kindNames are the envelope members auto-detection reads the event kind
// from, next to the root key ("event": "ticket.created").
var kindNames = []string{"event", "event_type", "eventType", "action", "type", "kind", "topic"}

// flatKindNames are the members read for the event kind when the ticket is
// the root object itself; "type" and "kind" are left out there, since a
// ticket's own type ("incident", "question") often goes by those names.
var flatKindNames = []string{"event", "event_type", "eventType", "action"}
