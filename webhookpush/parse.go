package webhookpush

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
)

// maxIDLen bounds a ticket id.
const maxIDLen = 256

// item is one ticket's object in a delivery.
type item struct {
	raw []byte
	// envelope is the object around the ticket's root key, where the event
	// kind is looked for; nil when the ticket is not wrapped.
	envelope []byte
	// label prefixes the paths named in errors: "ticket.", "tickets[2].".
	label string
}

// ParseWebhook turns one delivery into events, one per ticket, each with
// the full Ticket as the sender pushed it. Kind comes from the mapped (or
// auto-detected) event field: created, updated, deleted or commented words,
// and updated when absent or not recognised. At is the ticket's UpdatedAt.
//
// A ticket without a status is StatusOpen; an unknown status word is kept
// in RawStatus and also becomes StatusOpen. An unknown priority word is kept
// in RawPriority and becomes PriorityNone. A ticket without an updated time
// keeps UpdatedAt (and At) zero: its time is unknown, so it never replaces a
// stored copy that has a real time, and among copies without one the last
// to arrive wins. A delete without a time is placed just past the stored
// copy by the Syncer.
//
// A delivery of "{}", "[]", or whose event word is "ping" or "test" and
// holds no ticket, parses to no events and no error. Otherwise the error
// says what is wrong and where ("ticket: no id field (looked for id, number,
// key, ...)", "ticket.created_at: not a time"), in a few words that hold no
// secret and never the whole payload.
func (c *Connector) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	body = trimValue(body)
	if len(body) == 0 {
		return nil, errors.New("webhookpush: empty body: want a JSON object")
	}
	if !json.Valid(body) {
		return nil, syntaxError(body)
	}
	if tooDeep(body, MaxDepth) {
		return nil, fmt.Errorf("webhookpush: body nests deeper than %d levels", MaxDepth)
	}
	if body[0] != '{' && body[0] != '[' {
		return nil, fmt.Errorf("webhookpush: body is %s, want a JSON object or array", typeName(body))
	}
	d := &doc{body: body}
	items, err := c.items(d)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, nil
	}
	events := make([]ticketsync.Event, 0, len(items))
	now := c.now()
	for _, it := range items {
		ev, err := c.event(d, it, now)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// syntaxError describes why body is not JSON, by offset, without quoting it.
func syntaxError(body []byte) error {
	var se *json.SyntaxError
	if err := json.Unmarshal(body, new(json.RawMessage)); errors.As(err, &se) {
		msg := se.Error()
		if i := strings.Index(msg, " after top-level value"); i >= 0 {
			msg = "more data after the JSON value"
		}
		return fmt.Errorf("webhookpush: body is not valid JSON: %s at offset %d", msg, se.Offset)
	}
	return errors.New("webhookpush: body is not valid JSON")
}

// items finds the tickets' objects of one delivery.
func (c *Connector) items(d *doc) ([]item, error) {
	root := d.body
	switch {
	case c.itemsPath != nil:
		v, ok := d.eval(root, root, *c.itemsPath, false)
		if !ok || v[0] == 'n' {
			return nil, fmt.Errorf("webhookpush: nothing at ItemsPath %q", c.itemsPath.text)
		}
		return c.list(d, v, nil, c.itemsPath.text, false)
	case c.fields != nil:
		return c.list(d, root, nil, "", false)
	}
	if root[0] == '[' {
		return c.list(d, root, nil, "", true)
	}
	for _, k := range rootKeys {
		if v, ok := d.lookup(root, k, true); ok && v[0] == '{' {
			return []item{{raw: v, envelope: root, label: k + "."}}, nil
		}
		if v, ok := d.lookup(root, k+"s", true); ok && v[0] == '[' {
			return c.list(d, v, root, k+"s", true)
		}
	}
	for _, k := range rootKeys {
		if v, ok := d.lookup(root, k, true); ok {
			return nil, fmt.Errorf("webhookpush: %s is %s, want an object", k, typeName(v))
		}
	}
	for _, s := range c.auto {
		if s.target != tID {
			continue
		}
		if v, ok := d.eval(root, root, s.path, true); ok && v[0] != 'n' {
			return []item{{raw: root}}, nil
		}
	}
	if len(d.members(root)) == 0 || c.isPing(d, root) {
		return nil, nil
	}
	return nil, errors.New(`webhookpush: no ticket in payload: want a root object "ticket", "issue", "case" or "conversation", or an "id" at the root`)
}

// isPing reports whether the envelope's event word says it only tests the
// endpoint.
func (c *Connector) isPing(d *doc, env []byte) bool {
	for _, k := range kindNames {
		if v, ok := d.lookup(env, k, true); ok {
			if w, ok := decodeString(v); ok {
				switch fold(w) {
				case "ping", "test", "webhooktest", "testwebhook", "webhookping", "endpointtest":
					return true
				}
			}
		}
	}
	return false
}

// list returns the items of v: its elements when it is an array, else v.
// auto unwraps elements that wrap the ticket in a root key.
func (c *Connector) list(d *doc, v, envelope []byte, label string, auto bool) ([]item, error) {
	if v[0] == '{' {
		if label != "" {
			label += "."
		}
		return []item{{raw: v, envelope: envelope, label: label}}, nil
	}
	if v[0] != '[' {
		return nil, fmt.Errorf("webhookpush: %s is %s, want an array or object of tickets", orRoot(label), typeName(v))
	}
	es := elements(v, MaxItems)
	if len(es) > MaxItems {
		return nil, fmt.Errorf("webhookpush: more than %d tickets in one delivery", MaxItems)
	}
	items := make([]item, 0, len(es))
	for i, e := range es {
		l := fmt.Sprintf("%s[%d]", label, i)
		if e[0] != '{' {
			return nil, fmt.Errorf("webhookpush: %s is %s, want a ticket object", l, typeName(e))
		}
		it := item{raw: e, envelope: envelope, label: l + "."}
		if auto {
			for _, k := range rootKeys {
				if w, ok := d.lookup(e, k, true); ok && w[0] == '{' {
					it = item{raw: w, envelope: e, label: l + "." + k + "."}
					break
				}
			}
		}
		items = append(items, it)
	}
	return items, nil
}

func orRoot(label string) string {
	if label == "" {
		return "the body"
	}
	return label
}

// event builds the event of one item.
func (c *Connector) event(d *doc, it item, now time.Time) (ticketsync.Event, error) {
	t := ticketsync.Ticket{Platform: c.platform}
	kind := ticketsync.EventUpdated
	var have [tField]bool
	specs := c.fields
	auto := specs == nil
	if auto {
		specs = c.auto
	}
	for i := range specs {
		s := &specs[i]
		if auto && have[s.target] {
			continue
		}
		v, ok := d.eval(d.body, it.raw, s.path, auto)
		if !ok || v[0] == 'n' { // absent or null
			continue
		}
		label := s.path.text
		if !s.path.fromRoot {
			label = it.label + label
		}
		if err := c.set(&t, &kind, s, v, label, now); err != nil {
			return ticketsync.Event{}, err
		}
		if s.target < tField {
			have[s.target] = true
		}
	}
	if !have[tID] {
		if auto {
			return ticketsync.Event{}, fmt.Errorf("webhookpush: %s: no id field (looked for id, number, key, ticket_id, ticketId)", orRoot(strings.TrimSuffix(it.label, ".")))
		}
		return ticketsync.Event{}, fmt.Errorf("webhookpush: %sID: nothing at %q", it.label, idPath(c.fields))
	}
	if auto && !have[tKind] {
		names, env := kindNames, it.envelope
		if env == nil {
			names, env = flatKindNames, it.raw
		}
		for _, k := range names {
			if v, ok := d.lookup(env, k, true); ok && v[0] == '"' {
				if w, ok := decodeString(v); ok {
					kind = parseKind(w)
					break
				}
			}
		}
	}
	if !have[tStatus] {
		t.Status = ticketsync.StatusOpen
	}
	if kind == ticketsync.EventDeleted {
		t.Deleted = true
	}
	return ticketsync.Event{Kind: kind, TicketID: t.ID, Ticket: &t, At: t.UpdatedAt}, nil
}

func idPath(specs []fieldSpec) string {
	for _, s := range specs {
		if s.target == tID {
			return s.path.text
		}
	}
	return ""
}

// set converts v and writes it to the spec's target.
func (c *Connector) set(t *ticketsync.Ticket, kind *ticketsync.EventKind, s *fieldSpec, v []byte, label string, now time.Time) error {
	switch s.target {
	case tID:
		id, err := idText(v)
		if err != nil {
			return fmt.Errorf("webhookpush: %s: %v", label, err)
		}
		t.ID = id
		return nil
	case tTags:
		tags, err := tagList(v)
		if err != nil {
			return fmt.Errorf("webhookpush: %s: %v", label, err)
		}
		t.Tags = tags
		return nil
	case tCreatedAt, tUpdatedAt:
		tm, err := parseTime(v, now)
		if err != nil {
			return fmt.Errorf("webhookpush: %s: %v", label, err)
		}
		if s.target == tCreatedAt {
			t.CreatedAt = tm
		} else {
			t.UpdatedAt = tm
		}
		return nil
	case tField:
		if t.Fields == nil {
			t.Fields = make(map[string]string)
		}
		if v[0] == '{' || v[0] == '[' {
			t.Fields[s.field] = string(v)
			return nil
		}
	}
	text, err := scalarText(v)
	if err != nil {
		return fmt.Errorf("webhookpush: %s: %v", label, err)
	}
	text = strings.TrimSpace(text)
	switch s.target {
	case tURL:
		t.URL = text
	case tSubject:
		t.Subject = text
	case tDescription:
		t.Description = text
	case tChannel:
		t.Channel = strings.ToLower(text)
	case tRequesterID:
		t.Requester.ID = text
	case tRequesterName:
		t.Requester.Name = text
	case tRequesterEmail:
		t.Requester.Email = text
	case tAssigneeID:
		t.Assignee.ID = text
	case tAssigneeName:
		t.Assignee.Name = text
	case tAssigneeEmail:
		t.Assignee.Email = text
	case tStatus:
		t.RawStatus = text
		t.Status = c.status(text)
	case tPriority:
		t.RawPriority = text
		t.Priority = c.priority(text)
	case tKind:
		*kind = parseKind(text)
	case tField:
		t.Fields[s.field] = text
	}
	return nil
}

// status maps a status word through StatusMap, then ParseStatus; StatusOpen
// when neither knows it.
func (c *Connector) status(word string) ticketsync.Status {
	if s, ok := c.statusMap[mapKey(word)]; ok {
		return s
	}
	if s, ok := ticketsync.ParseStatus(word); ok {
		return s
	}
	return ticketsync.StatusOpen
}

// priority maps a priority word through PriorityMap, then ParsePriority;
// PriorityNone when neither knows it.
func (c *Connector) priority(word string) ticketsync.Priority {
	if p, ok := c.prioMap[mapKey(word)]; ok {
		return p
	}
	if p, ok := ticketsync.ParsePriority(word); ok {
		return p
	}
	return ticketsync.PriorityNone
}

// scalarText returns a string's text, or a number's or boolean's literal.
func scalarText(v []byte) (string, error) {
	switch v[0] {
	case '"':
		s, ok := decodeString(v)
		if !ok {
			return "", errors.New("malformed string")
		}
		return s, nil
	case '{', '[':
		return "", fmt.Errorf("want a string, got %s", typeName(v))
	}
	return string(v), nil // number or boolean
}

// idText converts an id: a non-empty string, or an integer.
func idText(v []byte) (string, error) {
	var id string
	switch v[0] {
	case '"':
		s, ok := decodeString(v)
		if !ok {
			return "", errors.New("malformed string")
		}
		id = strings.TrimSpace(s)
		if id == "" {
			return "", errors.New("id is empty")
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		for i, b := range v {
			if (b < '0' || b > '9') && !(i == 0 && b == '-') {
				return "", errors.New("id is a number with a fraction or exponent, want an integer or a string")
			}
		}
		id = string(v)
	default:
		return "", fmt.Errorf("want a string or an integer id, got %s", typeName(v))
	}
	if len(id) > maxIDLen {
		return "", fmt.Errorf("id is longer than %d bytes", maxIDLen)
	}
	return id, nil
}

// tagList converts tags: an array of strings (or numbers), or one string of
// comma-separated tags.
func tagList(v []byte) ([]string, error) {
	var tags []string
	add := func(s string) error {
		if s = strings.TrimSpace(s); s != "" {
			if len(tags) == MaxTags {
				return fmt.Errorf("more than %d tags", MaxTags)
			}
			tags = append(tags, s)
		}
		return nil
	}
	switch v[0] {
	case '"':
		s, ok := decodeString(v)
		if !ok {
			return nil, errors.New("malformed string")
		}
		for _, part := range strings.Split(s, ",") {
			if err := add(part); err != nil {
				return nil, err
			}
		}
		return tags, nil
	case '[':
		es := elements(v, MaxTags)
		if len(es) > MaxTags {
			return nil, fmt.Errorf("more than %d tags", MaxTags)
		}
		for i, e := range es {
			if e[0] == 'n' {
				continue
			}
			s, err := scalarText(e)
			if err != nil {
				return nil, fmt.Errorf("tag %d: %v", i, err)
			}
			if err := add(s); err != nil {
				return nil, err
			}
		}
		return tags, nil
	}
	return nil, fmt.Errorf("want an array of tags or a comma-separated string, got %s", typeName(v))
}

// timeLayouts are the string forms of times accepted besides unix time.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// minTime is the earliest time accepted: no ticket is older than unix time.
var minTime = time.Unix(0, 0).UTC()

// parseTime converts a time: an RFC 3339 string (a time without zone is
// UTC), or unix seconds or milliseconds as a number or a string of digits.
func parseTime(v []byte, now time.Time) (time.Time, error) {
	var t time.Time
	switch v[0] {
	case '"':
		s, ok := decodeString(v)
		if !ok {
			return t, errors.New("malformed string")
		}
		s = strings.TrimSpace(s)
		if s != "" && (s[0] >= '0' && s[0] <= '9') && strings.Trim(s, "0123456789.") == "" {
			var err error
			if t, err = unixTime(s); err != nil {
				return t, err
			}
			break
		}
		parsed := false
		for _, layout := range timeLayouts {
			if tm, err := time.Parse(layout, s); err == nil {
				t, parsed = tm, true
				break
			}
		}
		if !parsed {
			return t, errors.New("not a time: want RFC 3339 (2026-07-01T09:00:00Z), or unix seconds or milliseconds")
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var err error
		if t, err = unixTime(string(v)); err != nil {
			return t, err
		}
	default:
		return t, fmt.Errorf("want a time, got %s", typeName(v))
	}
	t = t.UTC()
	if t.Before(minTime) {
		return time.Time{}, fmt.Errorf("time %s is before 1970", t.Format(time.RFC3339))
	}
	if t.After(now.Add(MaxFutureSkew)) {
		return time.Time{}, fmt.Errorf("time %s is in the future", t.Format(time.RFC3339))
	}
	return t, nil
}

// unixTime converts unix seconds, or milliseconds when the number is too
// large to be seconds of a plausible date (from 1e11, that is after 5138).
func unixTime(s string) (time.Time, error) {
	const msFrom = 1e11
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n > -msFrom && n < msFrom:
			return time.Unix(n, 0), nil
		case n > -1e15 && n < 1e15:
			return time.UnixMilli(n), nil
		}
		return time.Time{}, errors.New("not a unix time")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) >= 1e15 {
		return time.Time{}, errors.New("not a unix time")
	}
	if math.Abs(f) >= msFrom {
		f /= 1000
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))), nil
}

// fold lowers word and drops separators, for comparing event words.
func fold(word string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(word)) {
		switch r {
		case ' ', '_', '-', '.', ':', '/':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// parseKind maps an event word ("created", "ticket.deleted",
// "ticket_updated", "Comment Added") to an EventKind; EventUpdated when it
// is not recognised.
func parseKind(word string) ticketsync.EventKind {
	w := fold(word)
	for _, k := range kindSuffixes {
		if strings.HasSuffix(w, k.suffix) {
			return k.kind
		}
	}
	switch w {
	case "create", "new", "add", "insert":
		return ticketsync.EventCreated
	case "delete", "remove", "destroy":
		return ticketsync.EventDeleted
	case "comment", "reply":
		return ticketsync.EventCommented
	}
	return ticketsync.EventUpdated
}

// kindSuffixes are checked in order: "commentcreated" is a comment.
var kindSuffixes = []struct {
	suffix string
	kind   ticketsync.EventKind
}{
	{"commented", ticketsync.EventCommented},
	{"commentadded", ticketsync.EventCommented},
	{"commentcreated", ticketsync.EventCommented},
	{"replied", ticketsync.EventCommented},
	{"replyadded", ticketsync.EventCommented},
	{"deleted", ticketsync.EventDeleted},
	{"removed", ticketsync.EventDeleted},
	{"destroyed", ticketsync.EventDeleted},
	{"trashed", ticketsync.EventDeleted},
	{"purged", ticketsync.EventDeleted},
	{"created", ticketsync.EventCreated},
	{"reopened", ticketsync.EventUpdated},
	{"opened", ticketsync.EventCreated},
	{"added", ticketsync.EventCreated},
	{"updated", ticketsync.EventUpdated},
	{"changed", ticketsync.EventUpdated},
	{"modified", ticketsync.EventUpdated},
	{"edited", ticketsync.EventUpdated},
}
