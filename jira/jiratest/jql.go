package jiratest

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The JQL the fake understands: clauses on project, updated, created, key
// (issuekey), id, status, labels and issuetype with =, !=, <, <=, >, >=, IN
// and NOT IN, joined by AND and OR with parentheses, then ORDER BY up to
// seven of updated, created, key, id with ASC or DESC. Anything else is
// refused with a 400 naming what it could not read, as Jira refuses what
// it does not know. Date values are the literals Jira documents
// ("yyyy/MM/dd HH:mm", "yyyy-MM-dd HH:mm", "yyyy/MM/dd", "yyyy-MM-dd"),
// relative offsets ("-5m", "-2h", "-1d", "-1w", plain numbers in minutes)
// and unquoted numbers as epoch milliseconds, read in the user's time zone.

// jqlError is a query Jira would refuse with 400.
type jqlError struct{ msg string }

func (e *jqlError) Error() string { return e.msg }

func jqlErrorf(format string, args ...any) error {
	return &jqlError{msg: fmt.Sprintf(format, args...)}
}

type token struct {
	kind string // "word", "string", "op", "(", ")", ",", "eof"
	text string
	pos  int
}

func tokenize(q string) ([]token, error) {
	var out []token
	i := 0
	for i < len(q) {
		r := rune(q[i])
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(' || r == ')' || r == ',':
			out = append(out, token{kind: string(r), text: string(r), pos: i})
			i++
		case r == '"' || r == '\'':
			quote := q[i]
			var b strings.Builder
			j := i + 1
			for ; j < len(q) && q[j] != quote; j++ {
				if q[j] == '\\' && j+1 < len(q) {
					j++
				}
				b.WriteByte(q[j])
			}
			if j >= len(q) {
				return nil, jqlErrorf("Error in the JQL Query: The quoted string '%s' has not been completed. (line 1, character %d)", q[i+1:], i+1)
			}
			out = append(out, token{kind: "string", text: b.String(), pos: i})
			i = j + 1
		case strings.ContainsRune("=!<>~", r):
			j := i + 1
			if j < len(q) && q[j] == '=' {
				j++
			}
			op := q[i:j]
			if op == "!" {
				return nil, jqlErrorf("Error in the JQL Query: The character '!' is a reserved JQL character. (line 1, character %d)", i+1)
			}
			out = append(out, token{kind: "op", text: op, pos: i})
			i = j
		default:
			j := i
			for j < len(q) && !unicode.IsSpace(rune(q[j])) && !strings.ContainsRune("()=!<>~,\"'", rune(q[j])) {
				j++
			}
			out = append(out, token{kind: "word", text: q[i:j], pos: i})
			i = j
		}
	}
	return append(out, token{kind: "eof", pos: len(q)}), nil
}

// query is a parsed JQL query.
type query struct {
	where   expr // nil when the query has no condition
	orderBy []sortKey
}

type sortKey struct {
	field string // "updated", "created", "key", "id"
	desc  bool
}

// expr is a condition over an issue.
type expr interface {
	match(ctx *evalContext, is *Issue) bool
}

type andExpr struct{ a, b expr }
type orExpr struct{ a, b expr }

func (e andExpr) match(c *evalContext, is *Issue) bool { return e.a.match(c, is) && e.b.match(c, is) }
func (e orExpr) match(c *evalContext, is *Issue) bool  { return e.a.match(c, is) || e.b.match(c, is) }

// clause is field op value(s).
type clause struct {
	field  string
	op     string // =, !=, <, <=, >, >=, in, not in
	values []token
	// resolved values
	times []time.Time
}

type evalContext struct {
	s *Server
}

type parser struct {
	toks []token
	i    int
	loc  *time.Location
	now  time.Time
	// earlier picks the earlier reading of an ambiguous wall time.
	earlier bool
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != "eof" {
		p.i++
	}
	return t
}

func isWord(t token, w string) bool { return t.kind == "word" && strings.EqualFold(t.text, w) }

// parseJQL parses q, reading dates in loc at now.
func parseJQL(q string, loc *time.Location, now time.Time, earlier bool) (*query, error) {
	toks, err := tokenize(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, loc: loc, now: now, earlier: earlier}
	var out query
	if !isWord(p.peek(), "order") && p.peek().kind != "eof" {
		if out.where, err = p.or(); err != nil {
			return nil, err
		}
	}
	if isWord(p.peek(), "order") {
		p.next()
		if !isWord(p.next(), "by") {
			return nil, jqlErrorf("Error in the JQL Query: Expecting 'by' after 'order'. (line 1, character %d)", p.peek().pos+1)
		}
		for {
			f := p.next()
			if f.kind != "word" && f.kind != "string" {
				return nil, jqlErrorf("Error in the JQL Query: Expecting a field name in the ORDER BY clause. (line 1, character %d)", f.pos+1)
			}
			name := strings.ToLower(f.text)
			switch name {
			case "issuekey":
				name = "key"
			case "updated", "created", "key", "id", "updateddate", "createddate":
				name = strings.TrimSuffix(name, "date")
			default:
				return nil, jqlErrorf("Not able to sort using field '%s'.", f.text)
			}
			k := sortKey{field: name}
			if isWord(p.peek(), "asc") {
				p.next()
			} else if isWord(p.peek(), "desc") {
				p.next()
				k.desc = true
			}
			out.orderBy = append(out.orderBy, k)
			if p.peek().kind != "," {
				break
			}
			p.next()
		}
		if len(out.orderBy) > 7 {
			return nil, jqlErrorf("The ORDER BY clause can contain a maximum of 7 fields.")
		}
	}
	if t := p.peek(); t.kind != "eof" {
		return nil, jqlErrorf("Error in the JQL Query: Expecting either 'OR' or 'AND' but got '%s'. (line 1, character %d)", t.text, t.pos+1)
	}
	return &out, nil
}

func (p *parser) or() (expr, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for isWord(p.peek(), "or") {
		p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = orExpr{left, right}
	}
	return left, nil
}

func (p *parser) and() (expr, error) {
	left, err := p.primary()
	if err != nil {
		return nil, err
	}
	for isWord(p.peek(), "and") {
		p.next()
		right, err := p.primary()
		if err != nil {
			return nil, err
		}
		left = andExpr{left, right}
	}
	return left, nil
}

var knownOps = map[string][]string{
	"project":   {"=", "!=", "in", "not in"},
	"status":    {"=", "!=", "in", "not in"},
	"labels":    {"=", "!=", "in", "not in"},
	"issuetype": {"=", "!=", "in", "not in"},
	"key":       {"=", "!=", "in", "not in", "<", "<=", ">", ">="},
	"id":        {"=", "!=", "in", "not in", "<", "<=", ">", ">="},
	"updated":   {"=", "!=", "<", "<=", ">", ">="},
	"created":   {"=", "!=", "<", "<=", ">", ">="},
}

func (p *parser) primary() (expr, error) {
	t := p.next()
	if t.kind == "(" {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next().kind != ")" {
			return nil, jqlErrorf("Error in the JQL Query: Expecting ')' before the end of the query.")
		}
		return e, nil
	}
	if t.kind != "word" && t.kind != "string" {
		return nil, jqlErrorf("Error in the JQL Query: Expecting a field name but got '%s'. (line 1, character %d)", t.text, t.pos+1)
	}
	field := strings.ToLower(t.text)
	switch field {
	case "issuekey":
		field = "key"
	case "updateddate":
		field = "updated"
	case "createddate":
		field = "created"
	case "type":
		field = "issuetype"
	}
	ops, ok := knownOps[field]
	if !ok {
		return nil, jqlErrorf("Field '%s' does not exist or you do not have permission to view it.", t.text)
	}
	opTok := p.next()
	op := ""
	switch {
	case opTok.kind == "op":
		op = opTok.text
	case isWord(opTok, "in"):
		op = "in"
	case isWord(opTok, "not") && isWord(p.peek(), "in"):
		p.next()
		op = "not in"
	case isWord(opTok, "is") || isWord(opTok, "was") || isWord(opTok, "changed"):
		return nil, jqlErrorf("The operator '%s' is not supported by this fake for the '%s' field.", strings.ToUpper(opTok.text), t.text)
	default:
		return nil, jqlErrorf("Error in the JQL Query: Expecting operator but got '%s'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character %d)", opTok.text, opTok.pos+1)
	}
	if !slices.Contains(ops, op) {
		return nil, jqlErrorf("The operator '%s' is not supported by the '%s' field.", strings.ToUpper(op), t.text)
	}
	c := &clause{field: field, op: op}
	if op == "in" || op == "not in" {
		if p.next().kind != "(" {
			return nil, jqlErrorf("Operator '%s' does not support the non-list value.", strings.ToUpper(op))
		}
		for {
			v := p.next()
			if v.kind != "word" && v.kind != "string" {
				return nil, jqlErrorf("Error in the JQL Query: Expecting a value but got '%s'. (line 1, character %d)", v.text, v.pos+1)
			}
			c.values = append(c.values, v)
			sep := p.next()
			if sep.kind == ")" {
				break
			}
			if sep.kind != "," {
				return nil, jqlErrorf("Error in the JQL Query: Expecting ',' or ')' but got '%s'. (line 1, character %d)", sep.text, sep.pos+1)
			}
		}
	} else {
		v := p.next()
		if v.kind != "word" && v.kind != "string" {
			return nil, jqlErrorf("Error in the JQL Query: Expecting either a value, list or function but got '%s'. (line 1, character %d)", v.text, v.pos+1)
		}
		c.values = []token{v}
	}
	if field == "updated" || field == "created" {
		for _, v := range c.values {
			tm, err := p.dateValue(v, field)
			if err != nil {
				return nil, err
			}
			c.times = append(c.times, tm)
		}
	}
	if field == "id" {
		for _, v := range c.values {
			if _, err := strconv.ParseInt(v.text, 10, 64); err != nil {
				return nil, jqlErrorf("The issue id '%s' for field 'id' is invalid.", v.text)
			}
		}
	}
	return c, nil
}

var (
	absDateRE = regexp.MustCompile(`^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?: (\d{1,2}):(\d{2}))?$`)
	relDateRE = regexp.MustCompile(`^([+-]?)(\d+)([wdhm]?)$`)
)

// dateValue reads a date value as Jira does: absolute literals in the
// user's zone to the minute, relative offsets from now, unquoted numbers as
// epoch milliseconds.
func (p *parser) dateValue(v token, field string) (time.Time, error) {
	s := strings.TrimSpace(v.text)
	if v.kind == "word" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.UnixMilli(n), nil
		}
	}
	if m := absDateRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		h, mi := 0, 0
		if m[4] != "" {
			h, _ = strconv.Atoi(m[4])
			mi, _ = strconv.Atoi(m[5])
		}
		if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 {
			return time.Time{}, p.badDate(v, field)
		}
		return wallTime(y, time.Month(mo), d, h, mi, p.loc, p.earlier), nil
	}
	if m := relDateRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		unit := map[string]time.Duration{"w": 7 * 24 * time.Hour, "d": 24 * time.Hour, "h": time.Hour, "m": time.Minute, "": time.Minute}[m[3]]
		d := time.Duration(n) * unit
		if m[1] == "-" {
			d = -d
		}
		return p.now.Add(d).Truncate(time.Minute), nil
	}
	return time.Time{}, p.badDate(v, field)
}

func (p *parser) badDate(v token, field string) error {
	return jqlErrorf("Date value '%s' for field '%s' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.", v.text, field)
}

// wallTime is the instant a wall time names in loc. A wall time named twice
// (clocks set back) is the later instant unless earlier; one that does not
// exist (clocks set forward) is moved forward by the gap, as lenient
// calendars do.
func wallTime(y int, mo time.Month, d, h, mi int, loc *time.Location, earlier bool) time.Time {
	wall := time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
	var readings []time.Time
	seen := map[int]bool{}
	for _, probe := range []time.Duration{-30 * time.Hour, -6 * time.Hour, 0, 6 * time.Hour, 30 * time.Hour} {
		_, off := wall.Add(probe).In(loc).Zone()
		if seen[off] {
			continue
		}
		seen[off] = true
		cand := wall.Add(-time.Duration(off) * time.Second)
		lt := cand.In(loc)
		if lt.Year() == y && lt.Month() == mo && lt.Day() == d && lt.Hour() == h && lt.Minute() == mi {
			readings = append(readings, cand)
		}
	}
	if len(readings) == 0 {
		// In a gap: read with the offset before it, which lands after it.
		_, off := wall.Add(-6 * time.Hour).In(loc).Zone()
		return wall.Add(-time.Duration(off) * time.Second)
	}
	slices.SortFunc(readings, func(a, b time.Time) int { return a.Compare(b) })
	if earlier {
		return readings[0]
	}
	return readings[len(readings)-1]
}
