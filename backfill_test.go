package ticketsync_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// lanePlatform is a changed-since API in memory: Fetch lists tickets in
// (UpdatedAt, ID) order after the cursor's position, a page at a time, each
// call taking latency; it refuses a second request while one is in flight
// (the account's budget is one request at a time), and it can start a
// cursor at any time.
type lanePlatform struct {
	mu          sync.Mutex
	start       time.Time
	tickets     map[string]ticketsync.Ticket
	pageSize    int
	latency     time.Duration
	inflight    int
	overBudget  int
	calls       []string
	startCalled int
	order       []lanePos // the tickets in (UpdatedAt, ID) order; nil until the first Fetch
}

func (p *lanePlatform) Platform() string               { return "lanes" }
func (p *lanePlatform) Test(ctx context.Context) error { return nil }

func (p *lanePlatform) put(t ticketsync.Ticket) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old, had := p.tickets[t.ID]
	p.tickets[t.ID] = t
	if p.order == nil {
		return
	}
	// Move the ticket to its place in the order.
	if had {
		if i, ok := p.find(lanePos{old.UpdatedAt, old.ID}); ok {
			p.order = slices.Delete(p.order, i, i+1)
		}
	}
	i, _ := p.find(lanePos{t.UpdatedAt, t.ID})
	p.order = slices.Insert(p.order, i, lanePos{t.UpdatedAt, t.ID})
}

// find returns pos's index in p.order, or where it would be inserted.
func (p *lanePlatform) find(pos lanePos) (int, bool) {
	return slices.BinarySearchFunc(p.order, pos, func(a, b lanePos) int {
		return cmp.Or(a.at.Compare(b.at), strings.Compare(a.id, b.id))
	})
}

type lanePos struct {
	at time.Time
	id string
}

func (l lanePos) String() string { return strconv.FormatInt(l.at.UnixNano(), 10) + ":" + l.id }

func parseLanePos(s string) (lanePos, error) {
	n, id, ok := strings.Cut(s, ":")
	if !ok {
		return lanePos{}, ticketsync.ErrInvalidCursor
	}
	ns, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return lanePos{}, ticketsync.ErrInvalidCursor
	}
	return lanePos{time.Unix(0, ns).UTC(), id}, nil
}

func (p *lanePlatform) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	p.mu.Lock()
	p.inflight++
	if p.inflight > 1 {
		p.overBudget++
	}
	p.calls = append(p.calls, cursor)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inflight--
		p.mu.Unlock()
	}()
	time.Sleep(p.latency)
	from := lanePos{at: p.start.Add(-time.Nanosecond)}
	if cursor != "" {
		var err error
		if from, err = parseLanePos(cursor); err != nil {
			return ticketsync.Page{}, err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.order == nil {
		p.order = make([]lanePos, 0, len(p.tickets))
		for _, t := range p.tickets {
			p.order = append(p.order, lanePos{t.UpdatedAt, t.ID})
		}
		slices.SortFunc(p.order, func(a, b lanePos) int {
			return cmp.Or(a.at.Compare(b.at), strings.Compare(a.id, b.id))
		})
	}
	if from.at.Before(p.start) {
		from = lanePos{at: p.start.Add(-time.Nanosecond)}
	}
	i, _ := slices.BinarySearchFunc(p.order, from, func(a, b lanePos) int {
		if a.after(b) {
			return 1
		}
		return -1
	})
	rest := p.order[i:]
	if len(rest) == 0 {
		return ticketsync.Page{Cursor: cursor}, nil
	}
	page := rest[:min(p.pageSize, len(rest))]
	out := make([]ticketsync.Ticket, len(page))
	for i, pos := range page {
		out[i] = p.tickets[pos.id].Clone()
	}
	return ticketsync.Page{Tickets: out, Cursor: page[len(page)-1].String(), More: len(rest) > len(page)}, nil
}

func (l lanePos) after(o lanePos) bool {
	return l.at.After(o.at) || l.at.Equal(o.at) && l.id > o.id
}

func (p *lanePlatform) GetTickets(ctx context.Context, ids []string) ([]ticketsync.Ticket, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []ticketsync.Ticket
	for _, id := range ids {
		if t, ok := p.tickets[id]; ok {
			out = append(out, t.Clone())
		}
	}
	return out, nil
}

func (p *lanePlatform) StartCursor(since time.Time) (string, error) {
	p.mu.Lock()
	p.startCalled++
	p.mu.Unlock()
	return lanePos{at: since.Add(-time.Nanosecond)}.String(), nil
}

func (p *lanePlatform) DescribeCursor(cursor string) (ticketsync.CursorInfo, error) {
	info := ticketsync.CursorInfo{Start: p.start}
	if cursor == "" {
		return info, nil
	}
	pos, err := parseLanePos(cursor)
	if err != nil {
		return info, err
	}
	info.Checkpoint = pos.at
	return info, nil
}

// newLanePlatform holds n tickets changed over the 30 days before now, the
// last few within the live lane's overlap.
func newLanePlatform(n int, now time.Time) *lanePlatform {
	p := &lanePlatform{start: now.AddDate(0, 0, -31), tickets: map[string]ticketsync.Ticket{}, pageSize: 50, latency: 5 * time.Millisecond}
	step := 30 * 24 * time.Hour / time.Duration(n)
	for i := range n {
		at := now.Add(-30 * 24 * time.Hour).Add(time.Duration(i) * step)
		if i >= n-5 {
			at = now.Add(-time.Duration(n-i) * time.Minute) // inside the overlap
		}
		id := "h" + strconv.Itoa(i)
		p.tickets[id] = ticketsync.Ticket{ID: id, Subject: "history " + id, CreatedAt: at, UpdatedAt: at}
	}
	return p
}

// firstUnstored returns the first history ticket (h0, h1, ...) of
// connector "big" that store does not hold: one the backfill lane has not
// reached.
func firstUnstored(t *testing.T, store *memstore.Store) string {
	t.Helper()
	for i := range 3000 {
		id := "h" + strconv.Itoa(i)
		if _, err := store.Ticket(context.Background(), "big", id); err != nil {
			return id
		}
	}
	t.Fatal("every history ticket is stored")
	return ""
}

func storeEqualsPlatform(t *testing.T, store *memstore.Store, p *lanePlatform) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, want := range p.tickets {
		got, err := store.Ticket(context.Background(), "big", id)
		if !assert.NoError(t, err, id) {
			continue
		}
		assert.True(t, got.UpdatedAt.Equal(want.UpdatedAt), "ticket %s: stored %s, platform %s", id, got.UpdatedAt, want.UpdatedAt)
		assert.Equal(t, want.Subject, got.Subject)
	}
}

func TestBackfillLaneKeepsTheLiveLaneCurrent(t *testing.T) {
	const interval = 150 * time.Millisecond
	now := time.Now().UTC()
	p := newLanePlatform(3000, now) // 60 pages of 5ms+: several intervals of backfill
	store := memstore.New()

	var mu sync.Mutex
	deliveries := map[string]int{}
	arrived := make(chan string, 16)
	opts := &ticketsync.Options{Interval: interval, Jitter: -1, OnTickets: func(ctx context.Context, id string, tickets []ticketsync.Ticket) {
		mu.Lock()
		defer mu.Unlock()
		for _, tk := range tickets {
			deliveries[tk.ID]++
			if strings.HasPrefix(tk.ID, "live") {
				arrived <- tk.ID
			}
		}
	}}
	s := ticketsync.NewSyncer(store, opts)
	require.NoError(t, s.Add("big", p, ticketsync.ModePoll))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	// The first backfill slice has begun: a ticket created now must come
	// in through the live lane, long before the backfill ends.
	require.Eventually(t, func() bool {
		st, _ := s.Status("big")
		return st.Backfill != nil && st.Backfill.Progress > 0
	}, 10*time.Second, 5*time.Millisecond)
	created := time.Now().UTC()
	p.put(ticketsync.Ticket{ID: "live1", Subject: "furious customer", CreatedAt: created, UpdatedAt: created})
	waitFor(t, arrived, "the live ticket")
	st, _ := s.Status("big")
	require.NotNil(t, st.Backfill)
	assert.False(t, st.Backfill.Done, "the live ticket arrived only after the backfill: no second lane")
	assert.Less(t, st.Backfill.Progress, 1.0)

	// Restart mid-backfill: both lanes resume from their saved cursors.
	cancel()
	require.NoError(t, <-done)
	st, _ = s.Status("big")
	require.False(t, st.Backfill.Done, "the backfill ended before the restart; make the history larger")

	// Explain names the backfill lane for a history ticket it has not
	// reached yet.
	pending := firstUnstored(t, store)
	x, err := s.Explain(context.Background(), "big", pending)
	require.NoError(t, err)
	t.Log(x)
	assert.Equal(t, ticketsync.VerdictStoreBehind, x.Verdict)
	assert.Contains(t, x.Summary, "backfill lane has not reached")
	require.Len(t, x.Cursors, 2)
	assert.False(t, x.Cursors[0].Behind, "the live lane is not expected to read history")
	assert.True(t, x.Cursors[1].Behind)
	p.mu.Lock()
	callsBefore, startsBefore := len(p.calls), p.startCalled
	p.mu.Unlock()
	require.Equal(t, 1, startsBefore)

	s2 := ticketsync.NewSyncer(store, opts)
	require.NoError(t, s2.Add("big", p, ticketsync.ModePoll))
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	done2 := make(chan error, 1)
	go func() { done2 <- s2.Run(ctx2) }()
	require.Eventually(t, func() bool {
		st, _ := s2.Status("big")
		return st.Backfill != nil && st.Backfill.Done
	}, 30*time.Second, 10*time.Millisecond)
	cancel2()
	require.NoError(t, <-done2)

	p.mu.Lock()
	after := slices.Clone(p.calls[callsBefore:])
	assert.Equal(t, 1, p.startCalled, "the live lane was started again after the restart")
	assert.Zero(t, p.overBudget, "the lanes sent requests at the same time")
	p.mu.Unlock()
	for i, c := range after[:2] {
		assert.NotEmpty(t, c, "call %d after the restart started over from the configured start", i)
	}

	storeEqualsPlatform(t, store, p)
	// The overlap was read by both lanes, harmlessly.
	mu.Lock()
	twice := 0
	for id, n := range deliveries {
		if n > 1 && strings.HasPrefix(id, "h") {
			twice++
		}
	}
	mu.Unlock()
	assert.Positive(t, twice, "no ticket was read by both lanes: the overlap is not exercised")

	runs, err := s2.History(context.Background(), "big", ticketsync.TriggerBackfill, 0)
	require.NoError(t, err)
	require.NotEmpty(t, runs)
	// The newest backfill run finished the lane; a slice stopped by the
	// restart may have failed with the cancellation, and only with it.
	assert.Equal(t, ticketsync.RunSucceeded, runs[0].Status, fmt.Sprint(runs[0].Errors))
	for _, r := range runs[1:] {
		if r.Status != ticketsync.RunSucceeded {
			assert.Contains(t, strings.Join(r.Errors, " "), "context canceled")
		}
	}
}

func TestSingleLaneWithoutLaneStarter(t *testing.T) {
	// scripted cannot start a cursor at a time: one lane, from the start.
	c := newScripted(makePages(3, 2)...)
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("one", c, ticketsync.ModePoll))
	_, err := s.SyncNow(context.Background(), "one")
	require.NoError(t, err)
	assert.Equal(t, "", c.cursors()[0])
	st, _ := s.Status("one")
	assert.Nil(t, st.Backfill)
	bf, err := store.Cursor(context.Background(), "one"+ticketsync.BackfillCursorSuffix)
	require.NoError(t, err)
	assert.Empty(t, bf)
}

// gatedLanes holds the backfill lane's Fetch number at at the gate: it
// signals reached, then waits for proceed. A Fetch is the backfill's when
// its cursor is before the live lane's start.
type gatedLanes struct {
	*lanePlatform
	liveFrom         time.Time
	at               int
	reached, proceed chan struct{}

	mu       sync.Mutex
	backfill int // backfill Fetches begun
}

// newGatedLanes returns a platform of 1,000 tickets of history (20 pages)
// on clock, without latency, and its gatedLanes, which holds the backfill
// lane at its third page until proceed is closed.
func newGatedLanes(clock *fakeClock) (*lanePlatform, *gatedLanes) {
	p := newLanePlatform(1000, clock.Now())
	p.latency = 0
	return p, &gatedLanes{lanePlatform: p, liveFrom: clock.Now().Add(-ticketsync.DefaultLaneOverlap), at: 3,
		reached: make(chan struct{}), proceed: make(chan struct{})}
}

// runUntilCleanup runs s's scheduler until the test ends.
func runUntilCleanup(t *testing.T, s *ticketsync.Syncer) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (g *gatedLanes) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	back := cursor == ""
	if !back {
		pos, err := parseLanePos(cursor)
		back = err == nil && pos.at.Before(g.liveFrom)
	}
	if back {
		g.mu.Lock()
		g.backfill++
		n := g.backfill
		g.mu.Unlock()
		if n == g.at {
			close(g.reached)
			<-g.proceed
		}
	}
	return g.lanePlatform.Fetch(ctx, cursor)
}

func (g *gatedLanes) backfills() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.backfill
}

// TestSyncNowEndsTheBackfillSlice: on a clock that stands still, a
// backfill slice would run to the end of the history; a SyncNow made
// while it runs ends it after its current page, runs the live lane at
// once, and the backfill then goes on to the end.
func TestSyncNowEndsTheBackfillSlice(t *testing.T) {
	clock := newFakeClock()
	p, g := newGatedLanes(clock) // 20 pages of history, held at the third backfill page
	store := memstore.New()
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Interval: time.Hour, Jitter: -1, Now: clock.Now})
	ticketsync.SetWakeAt(s, clock.WakeAt)
	require.NoError(t, s.Add("big", g, ticketsync.ModePoll))
	runUntilCleanup(t, s)

	waitFor(t, g.reached, "the backfill's third page")
	now := clock.Now()
	p.put(ticketsync.Ticket{ID: "live1", Subject: "furious customer", CreatedAt: now, UpdatedAt: now})
	type result struct {
		run       ticketsync.SyncRun
		err       error
		backfills int
	}
	got := make(chan result, 1)
	go func() {
		run, err := s.SyncNow(context.Background(), "big")
		got <- result{run, err, g.backfills()}
	}()
	// SyncNow waits for the page in flight, and only for it.
	select {
	case r := <-got:
		t.Fatalf("SyncNow returned while the backfill's page was in flight: %+v, %v", r.run, r.err)
	case <-time.After(20 * time.Millisecond):
	}
	close(g.proceed)
	r := waitFor(t, got, "SyncNow")
	require.NoError(t, r.err)
	assert.Equal(t, ticketsync.TriggerManual, r.run.Trigger)
	assert.Equal(t, 3, r.backfills, "backfill pages fetched by the time SyncNow returned: the slice went on past its page")
	_, err := store.Ticket(context.Background(), "big", "live1")
	require.NoError(t, err, "SyncNow's live run did not store the new ticket")
	st, _ := s.Status("big")
	require.NotNil(t, st.Backfill)
	assert.False(t, st.Backfill.Done)

	// The backfill goes on after the live run, to the end.
	require.Eventually(t, func() bool {
		st, _ := s.Status("big")
		return st.Backfill != nil && st.Backfill.Done
	}, 10*time.Second, 5*time.Millisecond, "the backfill did not resume")
	storeEqualsPlatform(t, store, p)
	runs, err := s.History(context.Background(), "big", ticketsync.TriggerBackfill, 0)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(runs), 2, "one backfill run: the slice was not ended by SyncNow")
	for _, run := range runs {
		assert.Equal(t, ticketsync.RunSucceeded, run.Status, "%+v", run)
	}
}

// TestSingleLaneOptOut: with Options.SingleLane, a connector that can
// start a cursor at a time is polled in one lane from its start.
func TestSingleLaneOptOut(t *testing.T) {
	now := time.Now().UTC()
	p := newLanePlatform(200, now)
	p.latency = 0
	store := memstore.New()
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Interval: time.Hour, SingleLane: true})
	require.NoError(t, s.Add("big", p, ticketsync.ModePoll))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	require.Eventually(t, func() bool {
		runs, _ := s.History(context.Background(), "big", ticketsync.TriggerPoll, 1)
		return len(runs) == 1 && runs[0].Status == ticketsync.RunSucceeded
	}, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	p.mu.Lock()
	assert.Zero(t, p.startCalled, "StartCursor was called with SingleLane")
	assert.Equal(t, "", p.calls[0])
	p.mu.Unlock()
	st, _ := s.Status("big")
	assert.Nil(t, st.Backfill)
	storeEqualsPlatform(t, store, p)
}

// TestSetIntervalEndsTheBackfillSlice: a slice's deadline was set by the
// old interval; SetInterval ends the slice after its current page, and the
// next live run, then the backfill, come at the new interval.
func TestSetIntervalEndsTheBackfillSlice(t *testing.T) {
	clock := newFakeClock()
	p, g := newGatedLanes(clock)
	store := memstore.New()
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Interval: time.Hour, Jitter: -1, Now: clock.Now})
	ticketsync.SetWakeAt(s, clock.WakeAt)
	require.NoError(t, s.Add("big", g, ticketsync.ModePoll))
	runUntilCleanup(t, s)

	waitFor(t, g.reached, "the backfill's third page")
	require.NoError(t, s.SetInterval("big", time.Minute))
	close(g.proceed)
	// On a clock that stands still, the slice would otherwise run to the
	// end of the history.
	require.Eventually(t, func() bool { return ticketsync.Idle(s) }, 10*time.Second, time.Millisecond)
	assert.Equal(t, 3, g.backfills(), "the slice went on past the page it was on")
	st, _ := s.Status("big")
	require.NotNil(t, st.Backfill)
	assert.False(t, st.Backfill.Done)
	assert.Equal(t, clock.Now().Add(time.Minute), st.NextRun, "the next live run is not planned at the new interval")

	clock.Advance(time.Minute)
	require.Eventually(t, func() bool {
		st, _ := s.Status("big")
		return st.Backfill != nil && st.Backfill.Done
	}, 10*time.Second, 5*time.Millisecond, "the backfill did not resume at the new interval")
	storeEqualsPlatform(t, store, p)
}

// hookLanes is a gatedLanes that receives webhooks naming tickets only,
// and cannot load tickets by id: a delivery asks for a poll.
type hookLanes struct{ g *gatedLanes }

func (h hookLanes) Platform() string               { return "lanes" }
func (h hookLanes) Test(ctx context.Context) error { return nil }
func (h hookLanes) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	return h.g.Fetch(ctx, cursor)
}
func (h hookLanes) StartCursor(since time.Time) (string, error) { return h.g.StartCursor(since) }
func (h hookLanes) DescribeCursor(c string) (ticketsync.CursorInfo, error) {
	return h.g.DescribeCursor(c)
}
func (h hookLanes) VerifyWebhook(r *http.Request, body []byte) error { return nil }
func (h hookLanes) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	return []ticketsync.Event{{Kind: ticketsync.EventCreated, TicketID: string(body)}}, nil
}

// TestWebhookPollRequestEndsTheBackfillSlice: a delivery that asks for a
// poll while a backfill slice runs ends the slice after its page; the live
// run stores the ticket before the backfill's next page.
func TestWebhookPollRequestEndsTheBackfillSlice(t *testing.T) {
	clock := newFakeClock()
	p, g := newGatedLanes(clock)
	stored := make(chan int, 1)
	store := memstore.New()
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Interval: time.Hour, Jitter: -1, Now: clock.Now,
		OnTickets: func(ctx context.Context, id string, tickets []ticketsync.Ticket) {
			for _, tk := range tickets {
				if tk.ID == "live1" {
					select {
					case stored <- g.backfills():
					default:
					}
				}
			}
		}})
	ticketsync.SetWakeAt(s, clock.WakeAt)
	require.NoError(t, s.Add("big", hookLanes{g}, ticketsync.ModeBoth))
	runUntilCleanup(t, s)

	waitFor(t, g.reached, "the backfill's third page")
	now := clock.Now()
	p.put(ticketsync.Ticket{ID: "live1", Subject: "furious customer", CreatedAt: now, UpdatedAt: now})
	req := httptest.NewRequest(http.MethodPost, "/webhooks?connectorId=big", strings.NewReader("live1"))
	w := httptest.NewRecorder()
	s.WebhookHandler().ServeHTTP(w, req)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	close(g.proceed)
	assert.Equal(t, 3, waitFor(t, stored, "the ticket the webhook named"),
		"backfill pages begun before the live run stored the ticket: the slice went on past its page")
	require.Eventually(t, func() bool {
		st, _ := s.Status("big")
		return st.Backfill != nil && st.Backfill.Done
	}, 10*time.Second, 5*time.Millisecond, "the backfill did not resume")
	storeEqualsPlatform(t, store, p)
}
