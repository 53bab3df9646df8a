package ticketsynctest

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// TestRunStoreTests runs the kit the way a host application does.
func TestRunStoreTests(t *testing.T) {
	RunStoreTests(t, func(t *testing.T) ticketsync.Store { return memstore.New() })
}

// TestStoreKitCatchesBrokenStores runs every rule against stores that each
// break the contract in one known way, and checks that exactly the rules
// they break fail, each with a message naming its rule.
func TestStoreKitCatchesBrokenStores(t *testing.T) {
	leaseRules := []string{"LeaseExclusive", "LeaseRenewed", "LeaseReleased", "LeasePerConnector", "LeaseExpires"}
	cases := []struct {
		name     string
		newStore func() ticketsync.Store
		fail     []string // rules that must fail; all others must pass
		skip     []string // rules that must be skipped
	}{
		{"memstore", func() ticketsync.Store { return memstore.New() }, nil, nil},
		{"tinyStore", func() ticketsync.Store { return newTinyStore(noFlaw) }, nil, nil},
		{"storeWithoutLeaser", func() ticketsync.Store { return storeOnly{memstore.New()} }, nil, leaseRules},
		{"olderOverwrites", func() ticketsync.Store { return newTinyStore(olderOverwrites) },
			[]string{"OlderNeverReplacesNewer", "TombstoneSticks", "OlderCopyCannotUndoEdit", "SameTicketTwiceInOneBatch", "ConcurrentUpserts"}, nil},
		{"dropsComments", func() ticketsync.Store { return newTinyStore(dropsComments) },
			[]string{"CommentsUnited", "CommentsNeverDropped", "SameTicketTwiceInOneBatch", "ConcurrentUpserts"}, nil},
		{"oneCursor", func() ticketsync.Store { return newTinyStore(oneCursor) },
			[]string{"CursorPerConnector", "BackfillCursorApart"}, nil},
		{"cursorKeyTrimmed", func() ticketsync.Store { return newTinyStore(cursorKeyTrimmed) },
			[]string{"BackfillCursorApart"}, nil},
		{"dropsProgress", func() ticketsync.Store { return newTinyStore(dropsProgress) },
			[]string{"SyncRunProgress"}, nil},
		{"readThenWrite", func() ticketsync.Store { return newTinyStore(readThenWrite) },
			[]string{"ConcurrentUpserts"}, nil},
		{"keyedByIDOnly", func() ticketsync.Store { return newTinyStore(keyedByIDOnly) },
			[]string{"KeyedByConnectorAndID"}, nil},
		{"keepsCallerSlices", func() ticketsync.Store { return newTinyStore(keepsCallerSlices) },
			[]string{"InputNotRetained", "ResultsOwnedByCaller"}, nil},
		{"appendsEdits", func() ticketsync.Store { return newTinyStore(appendsEdits) },
			[]string{"EditedCommentReplaced", "Idempotent", "CommentsWithoutID", "TombstoneSticks", "OlderCopyCannotUndoEdit", "CommentsWithoutIDByContent"}, nil},
		{"tieRevives", func() ticketsync.Store { return newTinyStore(tieRevives) },
			[]string{"TombstoneTieKept"}, nil},
		{"olderUndoesEdits", func() ticketsync.Store { return newTinyStore(olderUndoesEdits) },
			[]string{"OlderCopyCannotUndoEdit"}, nil},
		{"unsortedComments", func() ticketsync.Store { return newTinyStore(unsortedComments) },
			[]string{"CommentsOldestFirst"}, nil},
		{"runsIgnoreLimit", func() ticketsync.Store { return newTinyStore(runsIgnoreLimit) },
			[]string{"SyncRunsLimit"}, nil},
		{"runsInsertOnly", func() ticketsync.Store { return newTinyStore(runsInsertOnly) },
			[]string{"SyncRunUpdatedByID", "WebhookRunUpdatedByID", "SyncRunProgress"}, nil},
		{"runsBoundedTogether", func() ticketsync.Store { return newTinyStore(runsBoundedTogether) },
			[]string{"SyncRunsTriggersKeptApart"}, nil},
		{"leaseNeverExpires", func() ticketsync.Store { return newTinyStore(leaseNeverExpires) },
			[]string{"LeaseExpires"}, nil},
		{"leaseIgnoresHolder", func() ticketsync.Store { return newTinyStore(leaseIgnoresHolder) },
			[]string{"LeaseExclusive", "LeaseRenewed", "LeaseReleased", "LeaseExpires"}, nil},
	}
	// Every rule gets a store of its own, so all of them run at once: the
	// lease rules wait for expiry, and the whole takes about as long as the
	// slowest rule.
	rules := storeRules()
	results := make([][]*recorder, len(cases))
	var wg sync.WaitGroup
	for i, tc := range cases {
		results[i] = make([]*recorder, len(rules))
		for j, r := range rules {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i][j] = runRecorded(t, r, tc.newStore())
			}()
		}
	}
	wg.Wait()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var failed, skipped []string
			for j, r := range rules {
				rec := results[i][j]
				for _, m := range rec.errors {
					if !strings.HasPrefix(m, "rule: "+r.rule+": ") {
						t.Errorf("%s: failure message %q does not start with %q", r.name, m, "rule: "+r.rule+": ")
					}
				}
				switch {
				case rec.skipped:
					skipped = append(skipped, r.name)
				case len(rec.errors) > 0:
					failed = append(failed, r.name)
					t.Logf("%s reported:\n\t%s", r.name, strings.Join(rec.errors, "\n\t"))
				}
			}
			if !sameNames(failed, tc.fail) {
				t.Errorf("failed rules = %q\nwant %q", failed, tc.fail)
			}
			if !sameNames(skipped, tc.skip) {
				t.Errorf("skipped rules = %q\nwant %q", skipped, tc.skip)
			}
		})
	}
}

// TestStoreRuleNames checks that rules have distinct names and texts, since
// a failure is known by them.
func TestStoreRuleNames(t *testing.T) {
	names, texts := map[string]bool{}, map[string]bool{}
	for _, r := range storeRules() {
		if r.name == "" || r.rule == "" || names[r.name] || texts[r.rule] {
			t.Errorf("rule %q (%q): empty or repeated name or text", r.name, r.rule)
		}
		names[r.name], texts[r.rule] = true, true
	}
}

func sameNames(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// recorder is a storeT that records what a rule reports. Fatalf and Skipf
// end the calling goroutine, as they do for a *testing.T, so runRecorded
// runs each rule in a goroutine of its own.
type recorder struct {
	ctx context.Context

	mu      sync.Mutex
	errors  []string
	skipped bool
}

func (r *recorder) Helper()                  {}
func (r *recorder) Context() context.Context { return r.ctx }
func (r *recorder) Logf(string, ...any)      {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	runtime.Goexit()
}

// runRecorded runs rule r against s and returns what it reported.
func runRecorded(t *testing.T, r storeRule, s ticketsync.Store) *recorder {
	rec := &recorder{ctx: t.Context()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(rec, s)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec
}

// storeOnly hides every method of a Store but those of ticketsync.Store.
type storeOnly struct{ ticketsync.Store }

// flaw is a way in which tinyStore breaks the Store contract.
type flaw int

const (
	noFlaw              flaw = iota
	olderOverwrites          // an older ticket replaces a newer one
	dropsComments            // a newer ticket's comments replace the stored ones
	oneCursor                // one cursor shared by all connectors
	readThenWrite            // reads and writes a ticket in two steps, unlocked between them
	keyedByIDOnly            // tickets keyed by ID, whatever their connector
	keepsCallerSlices        // keeps and hands out the caller's Tags and Fields
	appendsEdits             // an edited comment is added next to its earlier copy
	unsortedComments         // comments kept in the order they arrived
	runsIgnoreLimit          // SyncRuns returns all runs, whatever the limit
	runsInsertOnly           // SaveSyncRun keeps the first copy of a run
	leaseNeverExpires        // a lease lasts until released
	leaseIgnoresHolder       // anyone acquires a lease, held or not
	tieRevives               // a live copy replaces a tombstone of the same time
	olderUndoesEdits         // an older copy's comments replace the stored ones
	runsBoundedTogether      // keeps a connector's newest 1,000 runs, whatever their trigger
	cursorKeyTrimmed         // keys cursors by the connector id up to a '#'
	dropsProgress            // SaveSyncRun keeps no Progress
)

// tinyStore is a small, plain Store and Leaser, correct unless given a flaw.
// It is kept independent of memstore so that the kit is checked against two
// implementations.
type tinyStore struct {
	flaw flaw

	mu      sync.Mutex
	tickets map[[2]string]ticketsync.Ticket
	cursors map[string]string
	runs    map[string]ticketsync.SyncRun
	leases  map[string]tinyLease
}

type tinyLease struct {
	holder  string
	expires time.Time
}

func newTinyStore(f flaw) *tinyStore {
	return &tinyStore{
		flaw:    f,
		tickets: map[[2]string]ticketsync.Ticket{},
		cursors: map[string]string{},
		runs:    map[string]ticketsync.SyncRun{},
		leases:  map[string]tinyLease{},
	}
}

func (s *tinyStore) key(connectorID, id string) [2]string {
	if s.flaw == keyedByIDOnly {
		return [2]string{"", id}
	}
	return [2]string{connectorID, id}
}

func (s *tinyStore) UpsertTickets(ctx context.Context, tickets []ticketsync.Ticket) error {
	if s.flaw == readThenWrite {
		for _, t := range tickets {
			k := s.key(t.ConnectorID, t.ID)
			s.mu.Lock()
			old, ok := s.tickets[k]
			s.mu.Unlock()
			merged := s.merge(old, ok, t)
			time.Sleep(50 * time.Microsecond) // a database round trip
			s.mu.Lock()
			s.tickets[k] = merged
			s.mu.Unlock()
		}
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range tickets {
		k := s.key(t.ConnectorID, t.ID)
		old, ok := s.tickets[k]
		s.tickets[k] = s.merge(old, ok, t)
	}
	return nil
}

// merge returns what the store keeps when in arrives while old is stored (ok).
// It changes neither old nor in.
func (s *tinyStore) merge(old ticketsync.Ticket, ok bool, in ticketsync.Ticket) ticketsync.Ticket {
	if s.flaw != keepsCallerSlices {
		in = in.Clone()
	}
	older := in.UpdatedAt.Before(old.UpdatedAt) && s.flaw != olderOverwrites
	tie := in.UpdatedAt.Equal(old.UpdatedAt) && old.Deleted && !in.Deleted && s.flaw != tieRevives
	switch {
	case !ok:
		in.Comments = s.unite(nil, in.Comments, true)
		return in
	case older || tie:
		old.Comments = s.unite(old.Comments, in.Comments, s.flaw == olderUndoesEdits)
		return old
	case s.flaw == dropsComments:
		in.Comments = s.unite(nil, in.Comments, true)
		return in
	}
	in.Comments = s.unite(old.Comments, in.Comments, true)
	return in
}

// unite returns a new slice: stored and incoming comments, oldest first. An
// incoming comment with the ID of a stored one (or, without ID, the same
// author, time and body) replaces it when replace is set, else is dropped.
func (s *tinyStore) unite(stored, incoming []ticketsync.Comment, replace bool) []ticketsync.Comment {
	out := slices.Clone(stored)
	for _, c := range incoming {
		i := slices.IndexFunc(out, func(o ticketsync.Comment) bool {
			if o.ID != "" || c.ID != "" {
				return o.ID == c.ID
			}
			return o.Author.ID == c.Author.ID && o.Body == c.Body && o.CreatedAt.Equal(c.CreatedAt)
		})
		switch {
		case i < 0 || s.flaw == appendsEdits:
			out = append(out, c)
		case replace:
			out[i] = c
		}
	}
	if s.flaw != unsortedComments {
		slices.SortStableFunc(out, func(a, b ticketsync.Comment) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		})
	}
	return out
}

func (s *tinyStore) Ticket(ctx context.Context, connectorID, id string) (ticketsync.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[s.key(connectorID, id)]
	if !ok {
		return ticketsync.Ticket{}, fmt.Errorf("tiny: ticket %q: %w", id, ticketsync.ErrNotFound)
	}
	if s.flaw == keepsCallerSlices {
		return t, nil
	}
	return t.Clone(), nil
}

func (s *tinyStore) cursorKey(connectorID string) string {
	if s.flaw == oneCursor {
		return ""
	}
	if s.flaw == cursorKeyTrimmed {
		id, _, _ := strings.Cut(connectorID, "#")
		return id
	}
	return connectorID
}

func (s *tinyStore) Cursor(ctx context.Context, connectorID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursors[s.cursorKey(connectorID)], nil
}

func (s *tinyStore) SetCursor(ctx context.Context, connectorID, cursor string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cursors[s.cursorKey(connectorID)] = cursor
	return nil
}

func (s *tinyStore) SaveSyncRun(ctx context.Context, run ticketsync.SyncRun) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.runs[run.ID]; ok && s.flaw == runsInsertOnly {
		return nil
	}
	run.Errors = slices.Clone(run.Errors)
	if s.flaw == dropsProgress {
		run.Progress = 0
	}
	s.runs[run.ID] = run
	if s.flaw == runsBoundedTogether {
		var mine []ticketsync.SyncRun
		for _, r := range s.runs {
			if r.ConnectorID == run.ConnectorID {
				mine = append(mine, r)
			}
		}
		if len(mine) > 1000 {
			slices.SortFunc(mine, func(a, b ticketsync.SyncRun) int { return b.StartedAt.Compare(a.StartedAt) })
			for _, r := range mine[1000:] {
				delete(s.runs, r.ID)
			}
		}
	}
	return nil
}

func (s *tinyStore) SyncRuns(ctx context.Context, connectorID string, limit int) ([]ticketsync.SyncRun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ticketsync.SyncRun
	for _, r := range s.runs {
		if r.ConnectorID == connectorID {
			r.Errors = slices.Clone(r.Errors)
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b ticketsync.SyncRun) int { return b.StartedAt.Compare(a.StartedAt) })
	if limit > 0 && len(out) > limit && s.flaw != runsIgnoreLimit {
		out = out[:limit]
	}
	return out, nil
}

func (s *tinyStore) AcquireLease(ctx context.Context, connectorID, holder string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	l, held := s.leases[connectorID]
	held = held && (now.Before(l.expires) || s.flaw == leaseNeverExpires)
	if held && l.holder != holder && s.flaw != leaseIgnoresHolder {
		return false, nil
	}
	s.leases[connectorID] = tinyLease{holder: holder, expires: now.Add(ttl)}
	return true, nil
}

func (s *tinyStore) ReleaseLease(ctx context.Context, connectorID, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leases[connectorID].holder == holder {
		delete(s.leases, connectorID)
	}
	return nil
}
