package intercomtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Search limits, from the search endpoints' documentation.
const (
	// MaxPerPage is the largest page a search returns; larger per_page
	// values are capped.
	MaxPerPage = 150
	// DefaultPerPage is the page size when per_page is not given.
	DefaultPerPage = 20
	// maxGroupFilters is the limit of filters in one AND or OR group.
	maxGroupFilters = 15
	// maxNesting is the limit of nested groups.
	maxNesting = 2
)

// searchRequest is the body of POST /conversations/search, /tickets/search
// and /contacts/search.
type searchRequest struct {
	Query      *filter `json:"query"`
	Pagination *struct {
		PerPage       *int    `json:"per_page"`
		StartingAfter *string `json:"starting_after"`
	} `json:"pagination"`
}

// filter is a single filter (Field set) or a group (Operator AND/OR over
// Value, a list of filters).
type filter struct {
	Field    string          `json:"field"`
	Operator string          `json:"operator"`
	Value    json.RawMessage `json:"value"`
	group    []*filter
	in       []string // the values of IN and NIN, as text
}

// fieldKind is what a search field holds, which decides its operators.
type fieldKind int

const (
	kindString fieldKind = iota
	kindDate
	kindInteger
	kindBool
	kindList // a list of ids: contact_ids, tag_ids
)

// searchable describes one searchable field of a record kind.
type searchable struct {
	kind fieldKind
	// get returns the record's value: a string, an int64, a bool or a
	// []string.
	get func(rec any) any
}

// parse checks the filter tree: its shape, nesting, group sizes, fields,
// operators and value types. fields lists what may be searched.
func (f *filter) parse(fields map[string]searchable, depth int) error {
	if f == nil {
		return fmt.Errorf("query is required")
	}
	if f.Field == "" {
		if f.Operator != "AND" && f.Operator != "OR" {
			return fmt.Errorf("operator %q is not AND or OR", f.Operator)
		}
		if depth >= maxNesting+1 {
			return fmt.Errorf("nested filters are limited to %d levels", maxNesting)
		}
		if err := json.Unmarshal(f.Value, &f.group); err != nil || len(f.group) == 0 {
			return fmt.Errorf("value of an %s group must be a list of filters", f.Operator)
		}
		if len(f.group) > maxGroupFilters {
			return fmt.Errorf("an %s group may hold at most %d filters", f.Operator, maxGroupFilters)
		}
		for _, g := range f.group {
			if err := g.parse(fields, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	sf, ok := fields[f.Field]
	if !ok {
		return fmt.Errorf("%s is not a searchable field", f.Field)
	}
	ops := map[fieldKind][]string{
		kindString:  {"=", "!=", "IN", "NIN", "~", "!~", "^", "$"},
		kindList:    {"=", "!=", "IN", "NIN"},
		kindBool:    {"=", "!=", "IN", "NIN"},
		kindInteger: {"=", "!=", "IN", "NIN", "<", ">", "<=", ">="},
		// Dates take =, < and >; the tickets search also takes <= and >=
		// on created_at, which its fields table marks with kindInteger.
		kindDate: {"=", "<", ">"},
	}
	if !slices.Contains(ops[sf.kind], f.Operator) {
		return fmt.Errorf("operator %q is not supported for field %s", f.Operator, f.Field)
	}
	if f.Operator == "IN" || f.Operator == "NIN" {
		var list []json.RawMessage
		if json.Unmarshal(f.Value, &list) != nil {
			return fmt.Errorf("value of %s %s must be a list", f.Field, f.Operator)
		}
		f.in = make([]string, len(list))
		for i, v := range list {
			f.in[i] = strings.ToLower(text(v))
		}
		return nil
	}
	switch sf.kind {
	case kindDate, kindInteger:
		if _, ok := number(f.Value); !ok {
			return fmt.Errorf("value of %s must be a unix timestamp or an integer", f.Field)
		}
	case kindBool:
		var b bool
		if json.Unmarshal(f.Value, &b) != nil {
			return fmt.Errorf("value of %s must be true or false", f.Field)
		}
	}
	return nil
}

// number reads a JSON number or a string of digits, as Intercom's examples
// send both.
func number(raw json.RawMessage) (int64, bool) {
	var n json.Number
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return 0, false
	}
	switch x := v.(type) {
	case json.Number:
		n = x
	case string:
		n = json.Number(x)
	default:
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if n, ok := number(raw); ok {
		return strconv.FormatInt(n, 10)
	}
	return strings.Trim(string(raw), `"`)
}

// match evaluates the filter on rec.
func (f *filter) match(fields map[string]searchable, rec any) bool {
	if f.Field == "" {
		for _, g := range f.group {
			m := g.match(fields, rec)
			if f.Operator == "OR" && m {
				return true
			}
			if f.Operator == "AND" && !m {
				return false
			}
		}
		return f.Operator == "AND"
	}
	sf := fields[f.Field]
	got := sf.get(rec)
	if f.Operator == "IN" || f.Operator == "NIN" {
		var have []string
		switch g := got.(type) {
		case string:
			have = []string{strings.ToLower(g)}
		case int64:
			have = []string{strconv.FormatInt(g, 10)}
		case bool:
			have = []string{strconv.FormatBool(g)}
		case []string:
			have = g
		}
		in := false
		for _, h := range have {
			if slices.Contains(f.in, h) {
				in = true
				break
			}
		}
		return in == (f.Operator == "IN")
	}
	switch f.Operator {
	case "=":
		return equal(got, f.Value)
	case "!=":
		return !equal(got, f.Value)
	case ">", "<", ">=", "<=":
		have, ok := got.(int64)
		want, _ := number(f.Value)
		if !ok {
			return false
		}
		// Strict at second granularity: a record updated in the second
		// of the value is not "> value".
		switch f.Operator {
		case ">":
			return have > want
		case "<":
			return have < want
		case ">=":
			return have >= want
		default:
			return have <= want
		}
	}
	hay, _ := got.(string)
	hay, needle := strings.ToLower(hay), strings.ToLower(text(f.Value))
	switch f.Operator {
	case "~":
		return strings.Contains(hay, needle)
	case "!~":
		return !strings.Contains(hay, needle)
	case "^":
		return strings.HasPrefix(hay, needle)
	case "$":
		return strings.HasSuffix(hay, needle)
	}
	return false
}

func equal(got any, raw json.RawMessage) bool {
	switch g := got.(type) {
	case int64:
		n, ok := number(raw)
		return ok && n == g
	case bool:
		var b bool
		return json.Unmarshal(raw, &b) == nil && b == g
	case []string:
		return slices.Contains(g, text(raw))
	case string:
		return strings.EqualFold(g, text(raw))
	}
	return false
}

// pageToken is the opaque starting_after of a search: where the last page
// ended in the index's order, and that page's number.
type pageToken struct {
	Rank uint64 `json:"r"`
	ID   string `json:"i"`
	Page int    `json:"p"`
}

func encodeToken(t pageToken) string {
	b, _ := json.Marshal([]any{strconv.FormatUint(t.Rank, 36), t.ID, t.Page})
	return base64.StdEncoding.EncodeToString(b)
}

func decodeToken(s string) (pageToken, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return pageToken{}, false
	}
	var parts []json.RawMessage
	if json.Unmarshal(b, &parts) != nil || len(parts) != 3 {
		return pageToken{}, false
	}
	var rank, id string
	var page int
	if json.Unmarshal(parts[0], &rank) != nil || json.Unmarshal(parts[1], &id) != nil || json.Unmarshal(parts[2], &page) != nil {
		return pageToken{}, false
	}
	r, err := strconv.ParseUint(rank, 36, 64)
	if err != nil || page < 1 {
		return pageToken{}, false
	}
	return pageToken{Rank: r, ID: id, Page: page}, true
}

// ranked is a record with its place in the search index's order.
type ranked struct {
	rank uint64
	id   string
	rec  any
}

// pageOf returns one page of hits in the index's order, which is neither
// the id nor the time order, and is shuffled within the page; the next
// token is nil on the last page.
func pageOf(hits []ranked, after *pageToken, perPage int, rng *rand.Rand) (page []ranked, next *pageToken, number, total int) {
	slices.SortFunc(hits, func(a, b ranked) int {
		switch {
		case a.rank < b.rank:
			return -1
		case a.rank > b.rank:
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	start := 0
	number = 1
	if after != nil {
		number = after.Page + 1
		start, _ = slices.BinarySearchFunc(hits, *after, func(h ranked, t pageToken) int {
			switch {
			case h.rank < t.Rank:
				return -1
			case h.rank > t.Rank:
				return 1
			}
			return strings.Compare(h.id, t.ID)
		})
		if start < len(hits) && hits[start].rank == after.Rank && hits[start].id == after.ID {
			start++
		}
	}
	total = (len(hits) + perPage - 1) / perPage
	end := min(start+perPage, len(hits))
	page = slices.Clone(hits[start:end])
	if end < len(hits) && len(page) > 0 {
		last := page[len(page)-1]
		next = &pageToken{Rank: last.rank, ID: last.id, Page: number}
	}
	rng.Shuffle(len(page), func(i, j int) { page[i], page[j] = page[j], page[i] })
	return page, next, number, total
}

// conversationFields are the searchable fields of conversations that the
// fake models.
var conversationFields = map[string]searchable{
	"id":                {kindString, func(r any) any { return r.(*Conversation).ID }},
	"created_at":        {kindDate, func(r any) any { return r.(*Conversation).CreatedAt.Unix() }},
	"updated_at":        {kindDate, func(r any) any { return r.(*Conversation).UpdatedAt.Unix() }},
	"source.type":       {kindString, func(r any) any { return r.(*Conversation).SourceType }},
	"source.subject":    {kindString, func(r any) any { return r.(*Conversation).Subject }},
	"source.body":       {kindString, func(r any) any { return r.(*Conversation).Body }},
	"source.author.id":  {kindString, func(r any) any { return r.(*Conversation).SourceAuthor.ID }},
	"contact_ids":       {kindList, func(r any) any { return r.(*Conversation).ContactIDs }},
	"tag_ids":           {kindList, func(r any) any { return r.(*Conversation).tagIDs }},
	"admin_assignee_id": {kindInteger, func(r any) any { n, _ := strconv.ParseInt(r.(*Conversation).AdminAssigneeID, 10, 64); return n }},
	"open":              {kindBool, func(r any) any { return r.(*Conversation).State != "closed" }},
	"read":              {kindBool, func(r any) any { return r.(*Conversation).Read }},
	"state":             {kindString, func(r any) any { return r.(*Conversation).State }},
	"priority":          {kindString, func(r any) any { return r.(*Conversation).Priority }},
	"snoozed_until":     {kindDate, func(r any) any { return r.(*Conversation).SnoozedUntil.Unix() }},
}

// ticketCategoryTerms are the words the tickets search takes for
// categories.
var ticketCategoryTerms = map[string]string{CategoryCustomer: "request", CategoryBackOffice: "task", CategoryTracker: "tracker"}

// ticketFields are the searchable fields of tickets that the fake models.
var ticketFields = map[string]searchable{
	"id": {kindString, func(r any) any { return r.(*Ticket).ID }},
	// created_at also takes <= and >=, as the tickets search documents.
	"created_at":        {kindInteger, func(r any) any { return r.(*Ticket).CreatedAt.Unix() }},
	"updated_at":        {kindDate, func(r any) any { return r.(*Ticket).UpdatedAt.Unix() }},
	"title":             {kindString, func(r any) any { return r.(*Ticket).Title }},
	"description":       {kindString, func(r any) any { return r.(*Ticket).Description }},
	"category":          {kindString, func(r any) any { return ticketCategoryTerms[r.(*Ticket).Category] }},
	"ticket_type_id":    {kindString, func(r any) any { return r.(*Ticket).TypeID }},
	"contact_ids":       {kindList, func(r any) any { return r.(*Ticket).ContactIDs }},
	"admin_assignee_id": {kindString, func(r any) any { return r.(*Ticket).AdminAssigneeID }},
	"open":              {kindBool, func(r any) any { return r.(*Ticket).Open }},
	"state":             {kindString, func(r any) any { return r.(*Ticket).State }},
}

// contactFields are the searchable fields of contacts that the fake models.
var contactFields = map[string]searchable{
	"id":          {kindString, func(r any) any { return r.(*Contact).ID }},
	"email":       {kindString, func(r any) any { return r.(*Contact).Email }},
	"external_id": {kindString, func(r any) any { return r.(*Contact).ExternalID }},
	"role":        {kindString, func(r any) any { return r.(*Contact).Role }},
	"name":        {kindString, func(r any) any { return r.(*Contact).Name }},
}

// The kinds of record the search index holds.
const (
	KindConversation = "conversation"
	KindTicket       = "ticket"
)

// indexEntry is one record in the search index: the copy searches see,
// and copies waiting to become visible.
type indexEntry struct {
	visible any // *Conversation or *Ticket; nil until first indexed
	pending []pendingCopy
}

type pendingCopy struct {
	rec any
	at  time.Time
}

// SetIndexLag sets how long, on the fake's clock, a change takes to reach
// the search index from now on: until then searches match and return the
// record as it was. Reads by id always see the current record.
func (s *Server) SetIndexLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.indexLag = d
}

// indexLocked queues a copy of the record for the search index.
func (s *Server) indexLocked(kind, id string) {
	var rec any
	switch kind {
	case KindConversation:
		c := *s.conversations[id]
		c.Tags, c.tagIDs, c.ContactIDs = slices.Clone(c.Tags), slices.Clone(c.tagIDs), slices.Clone(c.ContactIDs)
		c.CustomAttrs = maps.Clone(c.CustomAttrs)
		c.Parts = nil // search results carry no parts
		rec = &c
	default:
		t := *s.tickets[id]
		t.ContactIDs, t.Attributes, t.Parts = slices.Clone(t.ContactIDs), maps.Clone(t.Attributes), nil
		rec = &t
	}
	idx := s.index[kind]
	e := idx[id]
	if e == nil {
		e = &indexEntry{}
		idx[id] = e
	}
	e.pending = append(e.pending, pendingCopy{rec: rec, at: s.nowLocked().Add(s.indexLag)})
}

// searchableLocked returns the records of kind the index holds now.
func (s *Server) searchableLocked(kind string) []any {
	now := s.nowLocked()
	var out []any
	for _, e := range s.index[kind] {
		keep := e.pending[:0]
		for _, p := range e.pending {
			if p.at.After(now) {
				keep = append(keep, p)
			} else {
				e.visible = p.rec
			}
		}
		e.pending = keep
		switch r := e.visible.(type) {
		case *Conversation:
			if !r.Deleted {
				out = append(out, r)
			}
		case *Ticket:
			if !r.Deleted {
				out = append(out, r)
			}
		}
	}
	return out
}
