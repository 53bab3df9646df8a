package incremental_test

import (
	"fmt"
	"time"

	"github.com/ticketsync/ticketsync/internal/incremental"
)

// A Freshdesk-like API: updated_since at second granularity, ascending, at
// most 2 pages per query here (300 in Freshdesk), 2 results per page.
func Example() {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	records := []struct {
		id string
		at time.Time
	}{
		{"1", start}, {"2", start.Add(time.Second)}, {"3", start.Add(time.Second)},
		{"4", start.Add(time.Second)}, {"5", start.Add(2 * time.Second)}, {"6", start.Add(3 * time.Second)},
	}
	// list answers updated_since=from&page=page&per_page=2.
	list := func(from time.Time, page string) (ids []int, next string) {
		var match []int
		for i, r := range records {
			if !r.at.Before(from) {
				match = append(match, i)
			}
		}
		p := 1
		if page == "2" {
			p = 2
		}
		lo, hi := (p-1)*2, min(p*2, len(match))
		if lo >= len(match) {
			return nil, ""
		}
		if hi < len(match) {
			next = fmt.Sprint(p + 1)
		}
		return match[lo:hi], next
	}

	policy := incremental.Policy{Start: start, Granularity: time.Second, Ordered: true, MaxPages: 2}
	codec := incremental.Codec{Connector: "example", Version: 1, Fingerprint: "acme.freshdesk.com"}
	type cursor struct {
		W incremental.Window `json:"w"`
	}
	text := ""
	for more := true; more; {
		var cur cursor
		if err := codec.Decode(text, &cur); err != nil {
			fmt.Println(err)
			return
		}
		q := cur.W.Query(policy)
		ids, next := list(q.From, q.Page)
		var delivered []string
		for _, i := range ids {
			if cur.W.Observe(records[i].id, records[i].at) {
				delivered = append(delivered, records[i].id)
			}
		}
		var err error
		if more, err = cur.W.Next(policy, next); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("from %s page %q: %v\n", q.From.Format("15:04:05"), q.Page, delivered)
		text = codec.Encode(cur)
	}
	// The second query restarts before the page cap, from the newest second
	// seen; the records of that second already delivered are skipped.
	// Output:
	// from 00:00:00 page "": [1 2]
	// from 00:00:00 page "2": [3 4]
	// from 00:00:01 page "": []
	// from 00:00:01 page "2": [5]
	// from 00:00:02 page "": [6]
}
