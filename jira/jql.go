package jira

import (
	"strings"
	"time"
)

// jqlDateLayout is the JQL date literal the connector writes. Jira reads it
// in the searching user's profile time zone, to the minute.
const jqlDateLayout = "2006/01/02 15:04"

// jqlDate returns the latest JQL date literal that, read in loc to the
// minute, is not after from. Around a daylight-saving change a wall time can
// name two instants; Jira's choice between them is not documented, so the
// literal is moved back until both readings are at or before from.
func jqlDate(from time.Time, loc *time.Location) string {
	t := from.In(loc)
	t = t.Add(-time.Duration(t.Second())*time.Second - time.Duration(t.Nanosecond()))
	for range 48 {
		lit := t.Format(jqlDateLayout)
		if latestReading(t, loc).After(from) {
			t = t.Add(-15 * time.Minute)
			continue
		}
		return lit
	}
	// Unreachable: a daylight-saving change moves clocks by at most a few
	// hours. Twelve hours early is safe in every zone.
	return from.UTC().Add(-12 * time.Hour).Format(jqlDateLayout)
}

// latestReading returns the latest instant whose wall clock in loc equals
// t's (minute precision): t itself, or the second occurrence of the same
// wall time when clocks were set back around it.
func latestReading(t time.Time, loc *time.Location) time.Time {
	latest := t
	y, mo, d := t.Date()
	h, mi, _ := t.Clock()
	wall := time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
	seen := map[int]bool{}
	for _, probe := range []time.Duration{-26 * time.Hour, -3 * time.Hour, 0, 3 * time.Hour, 26 * time.Hour} {
		_, off := t.Add(probe).Zone()
		if seen[off] {
			continue
		}
		seen[off] = true
		cand := wall.Add(-time.Duration(off) * time.Second)
		cy, cmo, cd := cand.In(loc).Date()
		ch, cmi, _ := cand.In(loc).Clock()
		if cy == y && cmo == mo && cd == d && ch == h && cmi == mi && cand.After(latest) {
			latest = cand
		}
	}
	return latest
}

// quoteJQL writes s as a JQL string literal.
func quoteJQL(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// buildJQL is the connector's query: the projects' issues updated at or
// after since (a quoted date literal or epoch milliseconds), oldest first,
// ties by key.
func buildJQL(projects []string, since string, extra string) string {
	var b strings.Builder
	b.WriteString("project in (")
	for i, p := range projects {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteJQL(p))
	}
	b.WriteString(")")
	if since != "" {
		b.WriteString(` AND updated >= `)
		b.WriteString(since)
	}
	if extra = strings.TrimSpace(extra); extra != "" {
		b.WriteString(" AND (")
		b.WriteString(extra)
		b.WriteString(")")
	}
	b.WriteString(" ORDER BY updated ASC, key ASC")
	return b.String()
}
