package jiratest

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// How a parsed JQL query matches and orders issues.

func (c *clause) match(ctx *evalContext, is *Issue) bool {
	switch c.field {
	case "updated", "created":
		t := is.Updated
		if c.field == "created" {
			t = is.Created
		}
		// Jira compares to the minute.
		t = t.Truncate(time.Minute)
		v := c.times[0].Truncate(time.Minute)
		switch c.op {
		case "=":
			return t.Equal(v)
		case "!=":
			return !t.Equal(v)
		case "<":
			return t.Before(v)
		case "<=":
			return !t.After(v)
		case ">":
			return t.After(v)
		case ">=":
			return !t.Before(v)
		}
	case "project":
		return c.set(func(v string) bool {
			p := ctx.s.projectLocked(v)
			return p != nil && p.Key == is.Project
		})
	case "status":
		return c.set(func(v string) bool { return strings.EqualFold(v, is.Status) })
	case "issuetype":
		return c.set(func(v string) bool { return strings.EqualFold(v, is.IssueType) })
	case "labels":
		return c.set(func(v string) bool {
			return slices.ContainsFunc(is.Labels, func(l string) bool { return strings.EqualFold(l, v) })
		})
	case "key", "id":
		var cmpTo func(v string) int
		if c.field == "id" {
			cmpTo = func(v string) int {
				n, _ := strconv.ParseInt(v, 10, 64)
				return cmp.Compare(is.ID, n)
			}
		} else {
			cmpTo = func(v string) int { return compareKeys(is.Key, strings.ToUpper(v)) }
		}
		switch c.op {
		case "=", "in", "!=", "not in":
			return c.set(func(v string) bool { return cmpTo(v) == 0 })
		case "<":
			return cmpTo(c.values[0].text) < 0
		case "<=":
			return cmpTo(c.values[0].text) <= 0
		case ">":
			return cmpTo(c.values[0].text) > 0
		case ">=":
			return cmpTo(c.values[0].text) >= 0
		}
	}
	return false
}

// set evaluates =, !=, IN and NOT IN.
func (c *clause) set(eq func(string) bool) bool {
	hit := slices.ContainsFunc(c.values, func(t token) bool { return eq(t.text) })
	if c.op == "!=" || c.op == "not in" {
		return !hit
	}
	return hit
}

// compareKeys orders issue keys as Jira does: by project key, then by
// number.
func compareKeys(a, b string) int {
	pa, na := splitKey(a)
	pb, nb := splitKey(b)
	return cmp.Or(strings.Compare(pa, pb), cmp.Compare(na, nb))
}

func splitKey(k string) (string, int) {
	i := strings.LastIndexByte(k, '-')
	if i < 0 {
		return k, 0
	}
	n, _ := strconv.Atoi(k[i+1:])
	return k[:i], n
}

// projectsNamed returns the project values of project clauses, for the
// check that they exist.
func projectsNamed(e expr) []token {
	switch e := e.(type) {
	case andExpr:
		return append(projectsNamed(e.a), projectsNamed(e.b)...)
	case orExpr:
		return append(projectsNamed(e.a), projectsNamed(e.b)...)
	case *clause:
		if e.field == "project" {
			return e.values
		}
	}
	return nil
}

// compareIssues orders two issues by the query's ORDER BY, then by id.
func (q *query) compareIssues(a, b *Issue) int {
	for _, k := range q.orderBy {
		var c int
		switch k.field {
		case "updated":
			c = a.Updated.Compare(b.Updated)
		case "created":
			c = a.Created.Compare(b.Created)
		case "key":
			c = compareKeys(a.Key, b.Key)
		case "id":
			c = cmp.Compare(a.ID, b.ID)
		}
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	if len(q.orderBy) == 0 {
		return cmp.Compare(b.ID, a.ID) // newest first, Jira's default
	}
	return cmp.Compare(a.ID, b.ID)
}
