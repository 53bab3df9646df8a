package jira

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/jira/jiratest"
)

// benchSync syncs a fake site of 1,000 issues from the start with a new
// connector per iteration (a first sync: the field list is read once, as
// by a new Connector) and reports the requests it took and the fewest the
// API allows: one search per 100 issues and, for each issue with more
// comments than search embeds, one comment request per 100 comments.
func benchSync(b *testing.B, commentsEach int) {
	f := jiratest.New(&jiratest.Options{IndexLag: time.Minute})
	defer f.Close()
	issues := f.Seed(1000, commentsEach)
	f.Advance(time.Hour)
	minimum := 10
	comments := 0
	for _, is := range issues {
		comments += len(is.Comments)
		if n := len(is.Comments); n > jiratest.DefaultSearchComments {
			minimum += (n + commentPageSize - 1) / commentPageSize
		}
	}
	b.ReportAllocs()
	var requests int
	for b.Loop() {
		c, err := newConnector(Config{BaseURL: f.URL, Email: f.Email(), APIToken: f.Token(), RequestsPerMinute: -1}, f.Now, f.Sleep)
		if err != nil {
			b.Fatal(err)
		}
		f.ResetRequests()
		cursor, n := "", 0
		for {
			page, err := c.Fetch(context.Background(), cursor)
			if err != nil {
				b.Fatal(err)
			}
			n += len(page.Tickets)
			if !page.More {
				break
			}
			cursor = page.Cursor
		}
		if n != 1000 {
			b.Fatalf("synced %d issues, want 1000", n)
		}
		requests = len(f.Requests())
	}
	b.ReportMetric(float64(requests), "requests/1000issues")
	b.ReportMetric(float64(minimum), "minimum/1000issues")
	b.ReportMetric(float64(requests)/float64(minimum), "ratio")
	b.ReportMetric(float64(comments)/1000, "comments/issue")
}

// BenchmarkSync1000Issues: every issue has one comment, every tenth four
// more: search embeds them all.
func BenchmarkSync1000Issues(b *testing.B) { benchSync(b, 4) }

// BenchmarkSync1000IssuesLongThreads: every tenth issue has 40 more
// comments, past the 20 search embeds.
func BenchmarkSync1000IssuesLongThreads(b *testing.B) { benchSync(b, 40) }

// BenchmarkADFText converts a realistic description; the baseline decodes
// the same bytes with encoding/json into an empty interface, the least any
// client does with it.
func BenchmarkADFText(b *testing.B) {
	doc := []byte(richDoc)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ADFText(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkADFDecodeBaseline(b *testing.B) {
	doc := []byte(richDoc)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			b.Fatal(err)
		}
	}
}
