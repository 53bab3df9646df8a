package incremental_test

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/internal/incremental"
)

// platform is an in-memory changed-since API with a platform's rules:
// time filter granularity, order, page size, page and result caps
// (exceeding one is an error, as the real APIs answer 400), tie queries by
// id, and index lag (a change is visible only from a later instant).
type platform struct {
	t          *testing.T
	gran       time.Duration
	ordered    bool
	pageSize   int
	maxPages   int
	maxResults int
	now        time.Time
	at         map[string]time.Time // each record's current change time
	visible    map[string]time.Time // when that change shows in search
	requests   int
	// beforeQuery, when set, runs before each query with its number.
	beforeQuery func(n int)
}

func newPlatform(t *testing.T) *platform {
	return &platform{t: t, gran: time.Millisecond, ordered: true, pageSize: 100,
		at: map[string]time.Time{}, visible: map[string]time.Time{}, now: t0.Add(24 * time.Hour)}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// change sets a record's change time, visible after lag.
func (pl *platform) change(id string, at time.Time, lag time.Duration) {
	pl.at[id] = at
	pl.visible[id] = at.Add(lag)
}

type rec struct {
	id string
	at time.Time
}

func (pl *platform) query(q incremental.Query) ([]rec, string, error) {
	if pl.beforeQuery != nil {
		pl.beforeQuery(pl.requests)
	}
	pl.requests++
	var all []rec
	for id, at := range pl.at {
		if pl.visible[id].After(pl.now) {
			continue
		}
		if q.Tie {
			if at.Equal(q.TieAt) && id > q.AfterID {
				all = append(all, rec{id, at})
			}
			continue
		}
		if !at.Truncate(pl.gran).Before(q.From) {
			all = append(all, rec{id, at})
		}
	}
	switch {
	case q.Tie:
		slices.SortFunc(all, func(a, b rec) int { return strings.Compare(a.id, b.id) })
	case pl.ordered:
		slices.SortFunc(all, func(a, b rec) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return strings.Compare(a.id, b.id)
		})
	default:
		slices.SortFunc(all, func(a, b rec) int { return int(hash(a.id)) - int(hash(b.id)) })
	}
	page := 1
	if q.Page != "" {
		page, _ = strconv.Atoi(q.Page)
	}
	if pl.maxPages > 0 && page > pl.maxPages {
		return nil, "", fmt.Errorf("400: you cannot access results beyond page %d", pl.maxPages)
	}
	off := (page - 1) * pl.pageSize
	if pl.maxResults > 0 && off+pl.pageSize > pl.maxResults {
		return nil, "", fmt.Errorf("400: results beyond %d", pl.maxResults)
	}
	if off >= len(all) {
		return nil, "", nil
	}
	end := min(off+pl.pageSize, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(page + 1)
	}
	return all[off:end], next, nil
}

func hash(s string) uint16 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return uint16(h.Sum32())
}

type cursor struct {
	W incremental.Window `json:"w"`
}

var codec = incremental.Codec{Connector: "sim", Version: 1, Fingerprint: "acct-1"}

// sync runs one sync run as the engine would: Fetch until More is false,
// the cursor going through the codec between pages. It returns the
// deliveries and the new cursor.
func (pl *platform) sync(p incremental.Policy, cursorText string) ([]rec, string, error) {
	var got []rec
	for i := 0; ; i++ {
		if i > 10000 {
			pl.t.Fatal("the sync loops")
		}
		var cur cursor
		if err := codec.Decode(cursorText, &cur); err != nil {
			return got, cursorText, err
		}
		q := cur.W.Query(p)
		items, next, err := pl.query(q)
		if err != nil {
			return got, cursorText, err
		}
		for _, it := range items {
			if cur.W.Observe(it.id, it.at) {
				got = append(got, it)
			}
		}
		more, err := cur.W.Next(p, next)
		if err != nil {
			return got, cursorText, err
		}
		cursorText = codec.Encode(cur)
		if !more {
			return got, cursorText, nil
		}
	}
}

// checkAll fails unless every record's current version was delivered.
func checkAll(t *testing.T, pl *platform, delivered map[string]time.Time) {
	t.Helper()
	missing := 0
	for id, at := range pl.at {
		if d, ok := delivered[id]; !ok || d.Before(at) {
			missing++
			if missing <= 3 {
				t.Errorf("record %s changed at %s not delivered (last delivered %s)", id, at.Format(time.RFC3339Nano), d.Format(time.RFC3339Nano))
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d records missing", missing, len(pl.at))
	}
}

func record(into map[string]time.Time, got []rec) {
	for _, r := range got {
		if r.at.After(into[r.id]) {
			into[r.id] = r.at
		}
	}
}

func id(i int) string { return fmt.Sprintf("r%06d", i) }
