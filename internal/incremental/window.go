package incremental

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// DefaultMaxSeen is Policy.MaxSeen when it is zero.
const DefaultMaxSeen = 1000

// ErrStuck is returned by Window.Next when more records than one query may
// return share one instant and the platform cannot be asked for them by id
// (Policy.TieBreak is false), or when an unordered query reaches its cap:
// going on would loop or lose records.
var ErrStuck = errors.New("incremental: cannot page past the platform's query cap")

// Policy describes how a platform's changed-since query behaves. It is the
// connector's, not the cursor's: it is passed to every Window method that
// needs it.
type Policy struct {
	// Start is where the first pass starts (Config.StartTime); zero means
	// the epoch.
	Start time.Time
	// Granularity is the precision of the query's time filter: a
	// millisecond for HubSpot, a second for Freshdesk and Intercom, a
	// minute for Jira's date literals. Query times are truncated to it.
	// Zero means a millisecond.
	Granularity time.Duration
	// Ordered says results come sorted by change time, oldest first, so
	// that a query can be restarted from the newest time seen.
	Ordered bool
	// MaxPages, when positive, is how many pages one query may read; the
	// query is restarted before it would read more (Freshdesk: 300).
	MaxPages int
	// MaxResults, when positive, is how many results one query may return
	// (HubSpot search: 10,000); with PageSize, the query is restarted
	// before the next page would pass it.
	MaxResults int
	// PageSize is the results asked for per page; zero means the size of
	// the last page.
	PageSize int
	// RestartEvery, when positive, restarts an ordered query from the
	// newest change time seen after that many pages, before any cap, as
	// long as the query has moved past its start; otherwise it pages on.
	// Page-number paging over records that change while it pages shifts
	// them between pages (a record updated mid-query moves to the end and
	// the one after it slides onto a page already read): RestartEvery: 1
	// reads each page as the first page of a fresh query (Freshdesk).
	RestartEvery int
	// TieBreak says the platform can be asked for the records changed at
	// exactly one instant with an id greater than a given one, in id
	// order (Query.Tie). It needs millisecond Granularity.
	TieBreak bool
	// Overlap is how far before the newest change seen each pass starts
	// again: the search index's usual lag. For an unordered query it must
	// also exceed how long one pass takes, since a record changed while
	// the pass pages may move to a page already read.
	Overlap time.Duration
	// Settle, when positive, re-reads changes once they are Settle old:
	// when the newest change seen is more than twice Settle past the
	// settled point, a pass starts from that point instead, and the point
	// moves to Settle before the newest change. Every change is read once
	// more after it is Settle old; a lag longer than Overlap but shorter
	// than Settle loses nothing. The re-read may deliver records again.
	Settle time.Duration
	// Skew is how far the platform's clock may lag the times passed to
	// Window.ReadAt; only ReadAt uses it.
	Skew time.Duration
	// MaxSeen bounds the ids remembered to skip re-read records; zero means
	// DefaultMaxSeen. Past it, the oldest are forgotten, which can only
	// deliver a record twice.
	MaxSeen int
}

func (p Policy) gran() int64 {
	if p.Granularity <= 0 {
		return 1
	}
	return max(1, p.Granularity.Milliseconds())
}

// floor truncates ms to the granularity.
func (p Policy) floor(ms int64) int64 {
	g := p.gran()
	r := ms % g
	if r < 0 {
		r += g
	}
	return ms - r
}

func (p Policy) start() int64 {
	if p.Start.IsZero() {
		return 0
	}
	return p.floor(p.Start.UnixMilli())
}

// Query is what to ask the platform for next.
type Query struct {
	// From is the inclusive lower bound: records changed at or after From,
	// truncated to the Policy's Granularity. A platform whose filter is
	// strict (Intercom's updated_at >) sends After instead.
	From time.Time
	// Page is the platform's token for the next page of the query, as
	// passed to Window.Next; "" for the first page.
	Page string
	// Tie, when true, asks for the records changed at exactly TieAt with an
	// id greater than AfterID ("" meaning any), in id order, instead of
	// From and Page.
	Tie     bool
	TieAt   time.Time
	AfterID string
	// Settling says this pass is a settled re-read (Policy.Settle); for
	// logs.
	Settling bool
	// Granularity is the Policy's, for After.
	Granularity time.Duration
}

// After is the exclusive lower bound equal to From: one granularity step
// before it, for platforms whose filter is ">" (Intercom: updated_at >
// After().Unix()).
func (q Query) After() time.Time {
	g := q.Granularity
	if g <= 0 {
		g = time.Millisecond
	}
	return q.From.Add(-g)
}

// Window is a changed-since sync's position. Its zero value starts at
// Policy.Start. It encodes as JSON, to be kept in a cursor; its fields are
// managed by its methods.
type Window struct {
	st state
	// per page, not encoded
	pageN    int
	pageMax  int64
	lastID   string
	observed bool
	// open, when hasOpen, is the first instant that had not ended when
	// the page was read (Window.ReadAt).
	open    int64
	hasOpen bool
}

// state is what a Window encodes.
type state struct {
	Begun    bool             `json:"b,omitempty"`
	From     int64            `json:"f"`
	Page     string           `json:"p,omitempty"`
	Pages    int              `json:"n,omitempty"`
	Results  int              `json:"r,omitempty"`
	Tie      *tie             `json:"t,omitempty"`
	Max      int64            `json:"m,omitempty"`
	HasMax   bool             `json:"hm,omitempty"`
	Settled  int64            `json:"sd,omitempty"`
	Settling bool             `json:"sg,omitempty"`
	SettleTo int64            `json:"st,omitempty"`
	Seen     map[string]int64 `json:"seen,omitempty"`
}

type tie struct {
	At    int64  `json:"at"`
	After string `json:"id,omitempty"`
}

// MarshalJSON encodes the Window's state.
func (w Window) MarshalJSON() ([]byte, error) { return json.Marshal(w.st) }

// UnmarshalJSON decodes a state MarshalJSON wrote.
func (w *Window) UnmarshalJSON(b []byte) error {
	*w = Window{}
	return json.Unmarshal(b, &w.st)
}

func (w *Window) begin(p Policy) {
	if !w.st.Begun {
		w.st = state{Begun: true, From: p.start(), Settled: p.start()}
	}
}

// Query returns the query to send for the next page.
func (w *Window) Query(p Policy) Query {
	w.begin(p)
	w.pageN, w.pageMax, w.lastID, w.observed, w.hasOpen = 0, 0, "", false, false
	q := Query{From: time.UnixMilli(w.st.From).UTC(), Page: w.st.Page, Settling: w.st.Settling, Granularity: p.Granularity}
	if w.st.Tie != nil {
		q = Query{Tie: true, TieAt: time.UnixMilli(w.st.Tie.At).UTC(), AfterID: w.st.Tie.After,
			From: time.UnixMilli(w.st.Tie.At).UTC(), Settling: w.st.Settling, Granularity: p.Granularity}
	}
	return q
}

// ReadAt tells the Window when the page the last Query asked for was
// requested, on the caller's clock; call it after Query and before
// Observe. A change time has the Policy's Granularity, so a record can
// change again within the instant it was read at and keep the same
// change time (Freshdesk's updated_at has whole seconds): Observe then
// remembers a record whose instant had not ended at t minus Policy.Skew
// as not final, and delivers it again when a later query returns it at
// the same instant. Without ReadAt, a record re-read at the time it was
// delivered with is taken as unchanged.
func (w *Window) ReadAt(p Policy, t time.Time) {
	w.open, w.hasOpen = p.floor(t.Add(-p.Skew).UnixMilli()), true
}

// Observe records one result of the page, in the order the platform
// returned it, and reports whether to deliver it: false when this version
// of the record (or a newer one) was delivered already. A zero changed
// time is always delivered and moves nothing.
func (w *Window) Observe(id string, changed time.Time) bool {
	w.pageN++
	w.lastID = id
	if changed.IsZero() {
		return true
	}
	ms := changed.UnixMilli()
	if !w.observed || ms > w.pageMax {
		w.pageMax = ms
	}
	w.observed = true
	if !w.st.HasMax || ms > w.st.Max {
		w.st.Max, w.st.HasMax = ms, true
	}
	if w.st.Seen == nil {
		w.st.Seen = map[string]int64{}
	}
	if prev, ok := w.st.Seen[id]; ok && prev >= ms {
		return false
	}
	w.st.Seen[id] = ms
	if w.hasOpen && ms >= w.open {
		// Its instant was not over when read: a change later within it
		// would come back with the same time.
		w.st.Seen[id] = ms - 1
	}
	return true
}

// Next records the end of the page, given the platform's token for the
// next page ("" when the query has no more), and reports whether the pass
// has more pages. When it has none, the next Query starts the next pass;
// the caller ends the sync run (Page.More false). It returns ErrStuck
// (wrapped, with the instant) when it cannot go on without looping or
// losing records.
func (w *Window) Next(p Policy, nextPage string) (more bool, err error) {
	more, err = w.next(p, nextPage)
	w.prune(p)
	return more, err
}

func (w *Window) next(p Policy, nextPage string) (more bool, err error) {
	w.begin(p)
	w.st.Pages++
	w.st.Results += w.pageN
	if t := w.st.Tie; t != nil {
		if w.pageN > 0 {
			t.After = w.lastID
		}
		if nextPage == "" || w.pageN == 0 {
			// Every record at that instant is read: go on after it.
			w.restart(p, t.At+p.gran())
			w.st.Tie = nil
			return true, nil
		}
		// A tie query is keyed by id: start it again after the last one,
		// which never nears a cap.
		w.st.Page, w.st.Pages, w.st.Results = "", 0, 0
		return true, nil
	}
	if nextPage == "" {
		w.endPass(p)
		return false, nil
	}
	pageSize := p.PageSize
	if pageSize <= 0 {
		pageSize = w.pageN
	}
	capped := (p.MaxPages > 0 && w.st.Pages >= p.MaxPages) ||
		(p.MaxResults > 0 && w.st.Results+pageSize > p.MaxResults)
	due := capped || (p.Ordered && p.RestartEvery > 0 && w.st.Pages >= p.RestartEvery)
	if !due {
		w.st.Page = nextPage
		return true, nil
	}
	if !p.Ordered {
		return false, fmt.Errorf("%w: an unordered query from %s reached its cap of %s",
			ErrStuck, fmtMillis(w.st.From), capText(p))
	}
	if w.observed && p.floor(w.pageMax) > w.st.From {
		w.restart(p, p.floor(w.pageMax))
		return true, nil
	}
	if p.TieBreak && p.gran() == 1 {
		w.st.Tie = &tie{At: w.st.From}
		w.st.Page, w.st.Pages, w.st.Results = "", 0, 0
		return true, nil
	}
	if !capped {
		// No progress yet, and room before the cap: page on.
		w.st.Page = nextPage
		return true, nil
	}
	return false, fmt.Errorf("%w: more records than its cap of %s changed within %s of %s",
		ErrStuck, capText(p), time.Duration(p.gran())*time.Millisecond, fmtMillis(w.st.From))
}

func capText(p Policy) string {
	var parts []string
	if p.MaxPages > 0 {
		parts = append(parts, fmt.Sprintf("%d pages", p.MaxPages))
	}
	if p.MaxResults > 0 {
		parts = append(parts, fmt.Sprintf("%d results", p.MaxResults))
	}
	return strings.Join(parts, " or ")
}

func fmtMillis(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }

// restart starts a new query of the same pass from `from`.
func (w *Window) restart(p Policy, from int64) {
	w.st.From, w.st.Page, w.st.Pages, w.st.Results = from, "", 0, 0
}

// endPass sets up the next pass.
func (w *Window) endPass(p Policy) {
	if w.st.Settling {
		w.st.Settled = max(w.st.Settled, w.st.SettleTo)
		w.st.Settling = false
	}
	from := p.start()
	if w.st.HasMax {
		from = max(from, p.floor(w.st.Max-p.Overlap.Milliseconds()))
	}
	if p.Settle > 0 && w.st.HasMax && w.st.Max-w.st.Settled > 2*p.Settle.Milliseconds() {
		w.st.Settling = true
		w.st.SettleTo = w.st.Max - p.Settle.Milliseconds()
		from = max(p.start(), p.floor(w.st.Settled))
	}
	w.restart(p, from)
}

// prune forgets the ids that neither a restart of this query nor the next
// pass's overlap can return again, and keeps the newest MaxSeen.
func (w *Window) prune(p Policy) {
	cut := w.st.From
	if p.Ordered && w.st.Tie == nil && w.observed {
		cut = max(cut, p.floor(w.pageMax))
	}
	if w.st.HasMax {
		lag := p.floor(w.st.Max - p.Overlap.Milliseconds())
		if p.Ordered {
			cut = min(cut, lag)
		} else {
			cut = lag
		}
	}
	for id, at := range w.st.Seen {
		if at < cut {
			delete(w.st.Seen, id)
		}
	}
	limit := p.MaxSeen
	if limit <= 0 {
		limit = DefaultMaxSeen
	}
	if len(w.st.Seen) <= limit {
		return
	}
	ids := slices.Collect(maps.Keys(w.st.Seen))
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(w.st.Seen[b], w.st.Seen[a]), strings.Compare(a, b))
	})
	for _, id := range ids[limit:] {
		delete(w.st.Seen, id)
	}
}

// Checkpoint returns the newest change time observed, and false when none
// has been.
func (w *Window) Checkpoint() (time.Time, bool) {
	if !w.st.HasMax {
		return time.Time{}, false
	}
	return time.UnixMilli(w.st.Max).UTC(), true
}

// Refused tells the Window that the platform refused the page the last
// Query asked for as past its query cap, when the cap is lower than
// Policy says (Freshdesk answering 400 for a page it served before): the
// query restarts from the newest change seen, as Next does at Policy's
// cap. It returns an error matching ErrStuck when the query has seen no
// change newer than its start, or its results are not ordered.
func (w *Window) Refused(p Policy) error {
	w.begin(p)
	if p.Ordered && w.st.Tie == nil && w.st.HasMax && p.floor(w.st.Max) > w.st.From {
		w.restart(p, p.floor(w.st.Max))
		return nil
	}
	return fmt.Errorf("%w: the platform refused page %q of the query from %s as past its cap, and no newer change was seen to restart from",
		ErrStuck, w.st.Page, fmtMillis(w.st.From))
}
