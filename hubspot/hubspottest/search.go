package hubspottest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync/internal/wire"
)

type searchFilter struct {
	PropertyName string    `json:"propertyName"`
	Operator     string    `json:"operator"`
	Value        wire.ID   `json:"value"`
	HighValue    wire.ID   `json:"highValue"`
	Values       []wire.ID `json:"values"`
}

type searchRequest struct {
	FilterGroups []struct {
		Filters []searchFilter `json:"filters"`
	} `json:"filterGroups"`
	Sorts      []json.RawMessage `json:"sorts"`
	Properties []string          `json:"properties"`
	Limit      *int              `json:"limit"`
	After      wire.ID           `json:"after"`
	Query      string            `json:"query"`
}

type searchSort struct {
	property string
	desc     bool
}

func parseSort(raw json.RawMessage) (searchSort, error) {
	var name string
	if json.Unmarshal(raw, &name) == nil {
		if p, ok := strings.CutPrefix(name, "-"); ok {
			return searchSort{property: p, desc: true}, nil
		}
		return searchSort{property: name}, nil
	}
	var obj struct {
		PropertyName string `json:"propertyName"`
		Direction    string `json:"direction"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.PropertyName == "" {
		return searchSort{}, errors.New("invalid sort")
	}
	switch obj.Direction {
	case "", "ASCENDING":
		return searchSort{property: obj.PropertyName}, nil
	case "DESCENDING":
		return searchSort{property: obj.PropertyName, desc: true}, nil
	}
	return searchSort{}, fmt.Errorf("invalid sort direction %q", obj.Direction)
}

// searchObjects serves POST /crm/v3/objects/tickets/search.
func (s *Server) searchObjects(w http.ResponseWriter, r *http.Request) {
	typ := objectType(r.PathValue("type"))
	if typ == "" || typ == typeContacts {
		badRequest(w, "the fake searches tickets, emails and notes only")
		return
	}
	var req searchRequest
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&req); err != nil {
		badRequest(w, "Invalid input JSON on line 1")
		return
	}
	if len(req.Query) > 3000 {
		badRequest(w, "query is longer than 3000 characters")
		return
	}
	total := 0
	if len(req.FilterGroups) > 5 {
		badRequest(w, "Too many filter groups; the limit is 5")
		return
	}
	for _, g := range req.FilterGroups {
		if len(g.Filters) > 10 {
			badRequest(w, "Too many filters in a filter group; the limit is 10")
			return
		}
		total += len(g.Filters)
		for _, f := range g.Filters {
			if err := checkFilter(f); err != nil {
				badRequest(w, err.Error())
				return
			}
		}
	}
	if total > 25 {
		badRequest(w, "Too many filters; the limit is 25")
		return
	}
	if len(req.Sorts) > 1 {
		badRequest(w, "Only one sort is supported")
		return
	}
	var sort *searchSort
	if len(req.Sorts) == 1 {
		ss, err := parseSort(req.Sorts[0])
		if err != nil {
			badRequest(w, err.Error())
			return
		}
		sort = &ss
	}
	limit := 10
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit < 0 || limit > 200 {
		badRequest(w, "limit must be between 0 and 200")
		return
	}
	after := 0
	if req.After != "" {
		n, err := strconv.Atoi(string(req.After))
		if err != nil || n < 0 {
			badRequest(w, "after must be a non-negative integer")
			return
		}
		after = n
	}
	s.mu.Lock()
	resultCap := s.resultCap
	s.mu.Unlock()
	if after+limit > resultCap {
		// HubSpot refuses any page that reaches past the 10,000th result,
		// whether or not that many results exist.
		writeError(w, http.StatusBadRequest,
			fmt.Sprintf("Paging past %d results is not supported; narrow the search with filters.", resultCap),
			"VALIDATION_ERROR", nil)
		return
	}
	if epochFilter(req) {
		writeError(w, http.StatusInternalServerError, "internal error", "INTERNAL_ERROR", nil)
		return
	}

	groups := compileGroups(req)
	s.mu.Lock()
	defer s.mu.Unlock()
	type hit struct {
		rec record
		key value
	}
	var hits []hit
	for _, o := range s.objects[typ] {
		v, ok := o.searchView(s.Now())
		if typ != typeTickets { // engagements are searchable at once
			v, ok = version{props: o.props, updatedAt: o.updatedAt, archived: o.archived}, true
		}
		if !ok || v.archived {
			continue
		}
		rec := record{o: o, v: v}
		if matchGroups(groups, &rec) {
			h := hit{rec: rec}
			if sort != nil {
				h.key = rec.get(sort.property)
			}
			hits = append(hits, h)
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if sort != nil {
			c := compareSortKeys(a.key, b.key)
			if sort.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
			// HubSpot orders ties as it likes; the fake scrambles them so
			// that nobody relies on the id order.
			return cmp.Compare(scramble(a.rec.o.id), scramble(b.rec.o.id))
		}
		return cmp.Compare(a.rec.o.id, b.rec.o.id)
	})
	end := min(after+limit, len(hits), resultCap)
	results := []publicObject{}
	if after < end {
		for _, h := range hits[after:end] {
			results = append(results, s.render(h.rec.o, h.rec.v.props, h.rec.v.updatedAt, false, req.Properties))
		}
	}
	resp := map[string]any{"total": len(hits), "results": results}
	if next := after + len(results); next < len(hits) && len(results) > 0 {
		resp["paging"] = paging{Next: &nextPage{After: strconv.Itoa(next)}}
	}
	writeJSON(w, http.StatusOK, resp)
}

// epochFilter reports whether a date filter of req asks about the first day
// of the epoch, which HubSpot is reported to answer with a 500.
func epochFilter(req searchRequest) bool {
	for _, g := range req.FilterGroups {
		for _, f := range g.Filters {
			if !isDateProp(f.PropertyName) {
				continue
			}
			for _, v := range append([]wire.ID{f.Value, f.HighValue}, f.Values...) {
				if ms, ok := parseDateMillis(string(v)); ok && v != "" && ms < epochDay {
					return true
				}
			}
		}
	}
	return false
}

const epochDay = 24 * 60 * 60 * 1000

// value is a property value as search compares it: text, and a number
// (an instant in milliseconds for dates) when it reads as one.
type value struct {
	set   bool
	text  string
	num   float64
	isNum bool
}

func makeValue(prop, text string) value {
	v := value{set: text != "", text: text}
	if isDateProp(prop) {
		if ms, ok := parseDateMillis(text); ok {
			v.num, v.isNum = float64(ms), true
		}
		return v
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		v.num, v.isNum = f, true
	}
	return v
}

// record is a ticket as search sees it.
type record struct {
	o *object
	v version
}

func (r *record) get(prop string) value {
	switch prop {
	case "hs_object_id":
		return value{set: true, text: idString(r.o.id), num: float64(r.o.id), isNum: true}
	case "createdate":
		return value{set: true, num: float64(r.o.createdAt.UnixMilli()), isNum: true}
	case "hs_lastmodifieddate":
		return value{set: true, num: float64(r.v.updatedAt.UnixMilli()), isNum: true}
	}
	p := r.v.props[prop]
	if p == nil {
		return value{}
	}
	return makeValue(prop, *p)
}

func compare(a, b value) int {
	if a.isNum && b.isNum {
		return cmp.Compare(a.num, b.num)
	}
	return strings.Compare(strings.ToLower(a.text), strings.ToLower(b.text))
}

// compareSortKeys orders values for a sort, unset ones last.
func compareSortKeys(a, b value) int {
	switch {
	case !a.set && !b.set:
		return 0
	case !a.set:
		return 1
	case !b.set:
		return -1
	}
	return compare(a, b)
}

type compiledFilter struct {
	prop, op  string
	val, high value
	vals      []value
}

func compileGroups(req searchRequest) [][]compiledFilter {
	var groups [][]compiledFilter
	for _, g := range req.FilterGroups {
		var cg []compiledFilter
		for _, f := range g.Filters {
			c := compiledFilter{prop: f.PropertyName, op: f.Operator,
				val: makeValue(f.PropertyName, string(f.Value)), high: makeValue(f.PropertyName, string(f.HighValue))}
			for _, x := range f.Values {
				c.vals = append(c.vals, makeValue(f.PropertyName, string(x)))
			}
			cg = append(cg, c)
		}
		groups = append(groups, cg)
	}
	return groups
}

// matchGroups reports whether r matches any group whose filters all match.
// No groups match everything.
func matchGroups(groups [][]compiledFilter, r *record) bool {
	if len(groups) == 0 {
		return true
	}
	for _, g := range groups {
		all := true
		for i := range g {
			if !matchFilter(&g[i], r.get(g[i].prop)) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func matchFilter(f *compiledFilter, v value) bool {
	switch f.op {
	case "HAS_PROPERTY":
		return v.set
	case "NOT_HAS_PROPERTY":
		return !v.set
	case "NEQ":
		return !v.set || compare(v, f.val) != 0
	case "NOT_IN":
		if !v.set {
			return true
		}
		for _, x := range f.vals {
			if compare(v, x) == 0 {
				return false
			}
		}
		return true
	case "NOT_CONTAINS_TOKEN":
		return !v.set || !containsToken(v.text, f.val.text)
	}
	if !v.set {
		return false
	}
	switch f.op {
	case "EQ":
		return compare(v, f.val) == 0
	case "LT":
		return compare(v, f.val) < 0
	case "LTE":
		return compare(v, f.val) <= 0
	case "GT":
		return compare(v, f.val) > 0
	case "GTE":
		return compare(v, f.val) >= 0
	case "BETWEEN":
		return compare(v, f.val) >= 0 && compare(v, f.high) <= 0
	case "IN":
		for _, x := range f.vals {
			if compare(v, x) == 0 {
				return true
			}
		}
		return false
	case "CONTAINS_TOKEN":
		return containsToken(v.text, f.val.text)
	}
	return false
}

func scramble(id int64) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(strconv.FormatInt(id, 10)))
	return h.Sum64()
}

var operators = []string{"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
	"HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}

func checkFilter(f searchFilter) error {
	if f.PropertyName == "" {
		return errors.New("filter without propertyName")
	}
	if !slices.Contains(operators, f.Operator) {
		return fmt.Errorf("unknown filter operator %q", f.Operator)
	}
	switch f.Operator {
	case "IN", "NOT_IN":
		if len(f.Values) == 0 {
			return fmt.Errorf("operator %s needs values", f.Operator)
		}
	case "BETWEEN":
		if f.Value == "" || f.HighValue == "" {
			return errors.New("operator BETWEEN needs value and highValue")
		}
	case "HAS_PROPERTY", "NOT_HAS_PROPERTY":
	default:
		if f.Value == "" && f.Operator != "EQ" && f.Operator != "NEQ" {
			return fmt.Errorf("operator %s needs a value", f.Operator)
		}
	}
	if isDateProp(f.PropertyName) {
		vals := []wire.ID{f.Value, f.HighValue}
		vals = append(vals, f.Values...)
		for _, v := range vals {
			if v == "" {
				continue
			}
			if _, ok := parseDateMillis(string(v)); !ok {
				return fmt.Errorf("%q is not a valid date for %s", string(v), f.PropertyName)
			}
		}
	}
	return nil
}

func containsToken(v, token string) bool {
	token = strings.ToLower(strings.Trim(token, "*"))
	for _, word := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool {
		return r == ' ' || r == ',' || r == ';' || r == '.' || r == '\n' || r == '\t'
	}) {
		if strings.Contains(word, token) {
			return true
		}
	}
	return false
}

// isDateProp reports whether a property holds dates, compared as instants.
func isDateProp(name string) bool {
	switch name {
	case "createdate", "hs_lastmodifieddate", "lastmodifieddate", "hs_createdate", "closed_date", "hs_timestamp":
		return true
	}
	return strings.HasSuffix(name, "_date") || strings.HasSuffix(name, "date") && strings.HasPrefix(name, "hs_")
}

// parseDateMillis reads a date as HubSpot accepts it: epoch milliseconds or
// ISO-8601 (a date-time with a zone, or a date, meaning its UTC midnight).
func parseDateMillis(v string) (int64, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}
