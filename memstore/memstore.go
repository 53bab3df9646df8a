// Package memstore is an in-memory ticketsync.Store: the embedded default for
// tests, examples and small services that do not need the tickets to outlive
// the process.
//
// A Store keeps tickets keyed by (ConnectorID, ID), one cursor per connector
// and a bounded sync history per connector and trigger. It also implements
// ticketsync.Leaser and ticketsync.LeaseTimer, so a Syncer's lease logic can be exercised without a
// database; leases only coordinate Syncers of one process, since nothing is
// shared across processes.
//
// # Merging
//
// UpsertTickets follows the ticketsync.Store contract: an incoming ticket
// replaces the stored one when its UpdatedAt is equal or newer and is
// otherwise ignored, while its comments are always merged into the stored
// ones by Comment.ID. Three details that the contract leaves open are settled
// here:
//
//   - A comment with an empty ID is identified by its content: the author's
//     ID, its CreatedAt and its Body. Delivering it twice stores it once; an
//     edited copy of it is a second comment.
//   - When the incoming ticket is older than the stored one, its comments
//     that the store already holds (same ID) do not replace the stored
//     copies, which came with a newer ticket; its new comments are added.
//   - When a tombstone (Deleted) and a live copy have the same UpdatedAt,
//     the tombstone stays: a re-delivered page cannot bring a deleted ticket
//     back.
//
// Comments are kept oldest first: by CreatedAt, then by ID.
package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ticketsync/ticketsync"
)

// DefaultHistoryLimit is how many sync runs a Store keeps per connector and
// trigger unless Options.HistoryLimit says otherwise. The oldest runs (by
// StartedAt) are dropped first.
const DefaultHistoryLimit = 1000

// Options configure a Store made by NewWithOptions. The zero value means the
// defaults.
type Options struct {
	// Now is the clock used for lease expiry; time.Now when nil.
	Now func() time.Time
	// HistoryLimit is how many sync runs are kept per connector and
	// trigger, so that webhook runs never push poll runs out:
	// DefaultHistoryLimit when 0, no limit when negative.
	HistoryLimit int
}

// Store is an in-memory ticketsync.Store and ticketsync.Leaser. Its methods
// are safe for concurrent use. The zero value is not usable; call New or
// NewWithOptions.
type Store struct {
	now          func() time.Time
	historyLimit int

	mu         sync.RWMutex
	connectors map[string]*connector
	runOwner   map[string]runKey // SyncRun.ID -> where the run is kept
}

// runKey says whose history holds a run.
type runKey struct{ connectorID, trigger string }

// connector holds what the Store keeps for one connector id.
type connector struct {
	tickets map[string]ticketsync.Ticket
	cursor  string
	runs    map[string][]ticketsync.SyncRun // by Trigger, oldest StartedAt first; the newest is appended
	lease   lease
}

// lease is one connector's lease; the zero value is no lease.
type lease struct {
	holder  string
	expires time.Time
}

var (
	_ ticketsync.Store         = (*Store)(nil)
	_ ticketsync.Leaser        = (*Store)(nil)
	_ ticketsync.LeaseTimer    = (*Store)(nil)
	_ ticketsync.HistoryFilter = (*Store)(nil)
)

// New returns an empty Store with the default options.
func New() *Store { return NewWithOptions(Options{}) }

// NewWithOptions returns an empty Store configured by opts.
func NewWithOptions(opts Options) *Store {
	s := &Store{
		now:          opts.Now,
		historyLimit: opts.HistoryLimit,
		connectors:   make(map[string]*connector),
		runOwner:     make(map[string]runKey),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.historyLimit == 0 {
		s.historyLimit = DefaultHistoryLimit
	}
	return s
}

// conn returns the data of connectorID, creating it. s.mu must be held for
// writing.
func (s *Store) conn(connectorID string) *connector {
	c := s.connectors[connectorID]
	if c == nil {
		c = &connector{tickets: make(map[string]ticketsync.Ticket), runs: make(map[string][]ticketsync.SyncRun)}
		s.connectors[connectorID] = c
	}
	return c
}

// UpsertTickets stores copies of tickets, keyed by (ConnectorID, ID), merging
// each with the stored copy as the package documentation describes. A ticket
// with an empty ID is an error, and then nothing of the call is stored.
func (s *Store) UpsertTickets(ctx context.Context, tickets []ticketsync.Ticket) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range tickets {
		if tickets[i].ID == "" {
			return fmt.Errorf("memstore: upsert tickets: ticket %d of %d (connector %q) has an empty ID", i, len(tickets), tickets[i].ConnectorID)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var c *connector
	for i := range tickets {
		in := &tickets[i]
		if c == nil || in.ConnectorID != tickets[i-1].ConnectorID {
			c = s.conn(in.ConnectorID)
		}
		stored, ok := c.tickets[in.ID]
		if !ok {
			t := in.Clone()
			t.Comments = normalizeComments(t.Comments)
			c.tickets[in.ID] = t
			continue
		}
		if replaces(in, &stored) {
			t := in.Clone()
			t.Comments = mergeComments(normalizeComments(t.Comments), stored.Comments)
			c.tickets[in.ID] = t
			continue
		}
		if len(in.Comments) > 0 {
			// stored.Comments is the store's own slice, never handed out,
			// so it may grow in place.
			stored.Comments = mergeComments(stored.Comments, in.Comments)
			c.tickets[in.ID] = stored
		}
	}
	return nil
}

// replaces reports whether in replaces the fields of stored: its UpdatedAt is
// newer, or equal unless that would turn a tombstone back into a live ticket.
func replaces(in, stored *ticketsync.Ticket) bool {
	switch in.UpdatedAt.Compare(stored.UpdatedAt) {
	case 1:
		return true
	case 0:
		return in.Deleted || !stored.Deleted
	}
	return false
}

// sameComment reports whether a and b are copies of one comment: the same
// ID, or for comments without an ID the same author, time and body.
func sameComment(a, b *ticketsync.Comment) bool {
	if a.ID != "" || b.ID != "" {
		return a.ID == b.ID
	}
	return a.Author.ID == b.Author.ID && a.Body == b.Body && a.CreatedAt.Equal(b.CreatedAt)
}

// commentKey identifies a comment in a map, as sameComment does.
type commentKey struct {
	id, author, body string
	sec              int64
	nsec             int
}

func keyOf(c *ticketsync.Comment) commentKey {
	if c.ID != "" {
		return commentKey{id: c.ID}
	}
	return commentKey{author: c.Author.ID, body: c.Body, sec: c.CreatedAt.Unix(), nsec: c.CreatedAt.Nanosecond()}
}

// lastRun returns the index of the run with id in runs, searching from the
// end, or -1.
func lastRun(runs []ticketsync.SyncRun, id string) int {
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].ID == id {
			return i
		}
	}
	return -1
}

// smallMerge bounds the comparisons done pairwise before a merge builds a map.
const smallMerge = 64

// normalizeComments drops earlier copies of a comment that appears twice in
// cs (the last copy wins) and sorts cs oldest first. It reuses cs.
func normalizeComments(cs []ticketsync.Comment) []ticketsync.Comment {
	if len(cs) > 1 {
		cs = dedupe(cs)
		sortComments(cs)
	}
	return cs
}

// dedupe removes from cs, in place, every comment that a later one in cs
// replaces.
func dedupe(cs []ticketsync.Comment) []ticketsync.Comment {
	n := len(cs)
	if n*n <= smallMerge {
		out := cs[:0]
	outer:
		for i := range cs {
			for j := i + 1; j < n; j++ {
				if sameComment(&cs[i], &cs[j]) {
					continue outer
				}
			}
			out = append(out, cs[i])
		}
		clear(cs[len(out):])
		return out
	}
	last := make(map[commentKey]int, n)
	for i := range cs {
		last[keyOf(&cs[i])] = i
	}
	if len(last) == n {
		return cs
	}
	out := cs[:0]
	for i := range cs {
		if last[keyOf(&cs[i])] == i {
			out = append(out, cs[i])
		}
	}
	clear(cs[len(out):])
	return out
}

// mergeComments returns the union of base and extra, sorted oldest first.
// base is owned by the store, has no duplicates, and wins over extra for a
// comment both hold; extra is not modified. base may be reused.
func mergeComments(base, extra []ticketsync.Comment) []ticketsync.Comment {
	if len(extra) == 0 {
		return base
	}
	n := len(base)
	if n*len(extra) <= smallMerge*smallMerge/4 {
	outer:
		for i := range extra {
			for j := range base {
				if sameComment(&extra[i], &base[j]) {
					continue outer
				}
			}
			base = append(base, extra[i])
		}
	} else {
		seen := make(map[commentKey]struct{}, n+len(extra))
		for i := range base {
			seen[keyOf(&base[i])] = struct{}{}
		}
		for i := range extra {
			k := keyOf(&extra[i])
			if _, ok := seen[k]; !ok {
				seen[k] = struct{}{}
				base = append(base, extra[i])
			}
		}
	}
	if len(base) != n {
		sortComments(base)
	}
	return base
}

// sortComments sorts cs oldest first: by CreatedAt, then ID, then the fields
// that identify a comment without an ID.
func sortComments(cs []ticketsync.Comment) {
	if !slices.IsSortedFunc(cs, compareComments) {
		slices.SortStableFunc(cs, compareComments)
	}
}

func compareComments(a, b ticketsync.Comment) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ID, b.ID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Author.ID, b.Author.ID); c != 0 {
		return c
	}
	return cmp.Compare(a.Body, b.Body)
}

// Ticket returns a copy of the stored ticket, or an error matching
// ticketsync.ErrNotFound.
func (s *Store) Ticket(ctx context.Context, connectorID, id string) (ticketsync.Ticket, error) {
	if err := ctx.Err(); err != nil {
		return ticketsync.Ticket{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c := s.connectors[connectorID]; c != nil {
		if t, ok := c.tickets[id]; ok {
			return t.Clone(), nil
		}
	}
	return ticketsync.Ticket{}, fmt.Errorf("memstore: ticket %q of connector %q: %w", id, connectorID, ticketsync.ErrNotFound)
}

// Tickets returns copies of the connector's stored tickets, tombstones
// included, sorted by ID.
func (s *Store) Tickets(connectorID string) []ticketsync.Ticket {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.connectors[connectorID]
	if c == nil {
		return nil
	}
	out := make([]ticketsync.Ticket, 0, len(c.tickets))
	for _, t := range c.tickets {
		out = append(out, t.Clone())
	}
	slices.SortFunc(out, func(a, b ticketsync.Ticket) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Len returns how many tickets, tombstones included, are stored for the
// connector.
func (s *Store) Len(connectorID string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c := s.connectors[connectorID]; c != nil {
		return len(c.tickets)
	}
	return 0
}

// Cursor returns the connector's saved cursor, "" when none was saved.
func (s *Store) Cursor(ctx context.Context, connectorID string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c := s.connectors[connectorID]; c != nil {
		return c.cursor, nil
	}
	return "", nil
}

// SetCursor saves the connector's cursor, replacing the previous one.
func (s *Store) SetCursor(ctx context.Context, connectorID, cursor string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn(connectorID).cursor = cursor
	return nil
}

// SaveSyncRun inserts a copy of run, or updates the stored run with the same
// ID. When the connector's history of run's trigger grows past its limit,
// its oldest runs of that trigger are dropped. A run with an empty ID is an
// error.
func (s *Store) SaveSyncRun(ctx context.Context, run ticketsync.SyncRun) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if run.ID == "" {
		return fmt.Errorf("memstore: save sync run of connector %q: empty run ID", run.ConnectorID)
	}
	run.Errors = slices.Clone(run.Errors)
	key := runKey{run.ConnectorID, run.Trigger}
	s.mu.Lock()
	defer s.mu.Unlock()
	if owner, ok := s.runOwner[run.ID]; ok {
		oc := s.connectors[owner.connectorID]
		runs := oc.runs[owner.trigger]
		// Runs are updated soon after they are saved: look from the end.
		if i := lastRun(runs, run.ID); i >= 0 {
			if owner == key && runs[i].StartedAt.Equal(run.StartedAt) {
				runs[i] = run
				return nil
			}
			// Re-inserted below at the place its new StartedAt belongs.
			oc.runs[owner.trigger] = slices.Delete(runs, i, i+1)
		}
	}
	c := s.conn(run.ConnectorID)
	runs := c.runs[run.Trigger]
	// runs is oldest first: insert after every run that did not start
	// after run, so that among equal StartedAt the latest saved is last. A
	// new run is usually the newest, and is appended.
	i := sort.Search(len(runs), func(i int) bool { return runs[i].StartedAt.After(run.StartedAt) })
	runs = slices.Insert(runs, i, run)
	s.runOwner[run.ID] = key
	if s.historyLimit > 0 && len(runs) > s.historyLimit {
		drop := len(runs) - s.historyLimit
		for _, r := range runs[:drop] {
			delete(s.runOwner, r.ID)
		}
		// Reslicing from the front costs nothing; the next append that
		// outgrows the array copies only the kept runs.
		clear(runs[:drop])
		runs = runs[drop:]
	}
	c.runs[run.Trigger] = runs
	return nil
}

// SyncRuns returns copies of the connector's runs, newest StartedAt first, at
// most limit of them (all when limit <= 0).
func (s *Store) SyncRuns(ctx context.Context, connectorID string, limit int) ([]ticketsync.SyncRun, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.connectors[connectorID]
	if c == nil {
		return nil, nil
	}
	// Merge the triggers' histories from their newest ends.
	lists := make([][]ticketsync.SyncRun, 0, len(c.runs))
	total := 0
	for _, trigger := range slices.Sorted(maps.Keys(c.runs)) {
		if runs := c.runs[trigger]; len(runs) > 0 {
			lists = append(lists, runs)
			total += len(runs)
		}
	}
	if limit > 0 && limit < total {
		total = limit
	}
	out := make([]ticketsync.SyncRun, 0, total)
	for len(out) < total {
		best := -1
		for j, runs := range lists {
			if len(runs) > 0 && (best < 0 || runs[len(runs)-1].StartedAt.After(lists[best][len(lists[best])-1].StartedAt)) {
				best = j
			}
		}
		runs := lists[best]
		out = append(out, cloneRun(runs[len(runs)-1]))
		lists[best] = runs[:len(runs)-1]
	}
	return out, nil
}

// SyncRunsByTrigger returns copies of the connector's runs whose Trigger is
// trigger, newest StartedAt first, at most limit of them (all when limit <=
// 0).
func (s *Store) SyncRunsByTrigger(ctx context.Context, connectorID, trigger string, limit int) ([]ticketsync.SyncRun, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.connectors[connectorID]
	if c == nil {
		return nil, nil
	}
	runs := c.runs[trigger]
	n := len(runs)
	if limit > 0 && limit < n {
		n = limit
	}
	out := make([]ticketsync.SyncRun, n)
	for i := range out {
		out[i] = cloneRun(runs[len(runs)-1-i]) // newest first
	}
	return out, nil
}

func cloneRun(r ticketsync.SyncRun) ticketsync.SyncRun {
	r.Errors = slices.Clone(r.Errors)
	return r
}

// errBadTTL is returned by AcquireLease for a ttl that is not positive.
var errBadTTL = errors.New("lease ttl must be positive")

// AcquireLease takes or renews holder's lease on connectorID until ttl from
// now (by Options.Now). It reports false when another holder has an
// unexpired lease.
func (s *Store) AcquireLease(ctx context.Context, connectorID, holder string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, fmt.Errorf("memstore: acquire lease on connector %q: %w (got %s)", connectorID, errBadTTL, ttl)
	}
	if holder == "" {
		return false, fmt.Errorf("memstore: acquire lease on connector %q: empty holder", connectorID)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conn(connectorID)
	if c.lease.holder != "" && c.lease.holder != holder && now.Before(c.lease.expires) {
		return false, nil
	}
	c.lease = lease{holder: holder, expires: now.Add(ttl)}
	return true, nil
}

// LeaseLeft reports how long the lease on connectorID lasts from now (by
// Options.Now) unless renewed, 0 when there is none or it has expired.
func (s *Store) LeaseLeft(ctx context.Context, connectorID string) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.connectors[connectorID]
	if c == nil || c.lease.holder == "" || !now.Before(c.lease.expires) {
		return 0, nil
	}
	return c.lease.expires.Sub(now), nil
}

// ReleaseLease gives up holder's lease on connectorID; it does nothing when
// holder does not hold it.
func (s *Store) ReleaseLease(ctx context.Context, connectorID, holder string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.connectors[connectorID]; c != nil && c.lease.holder == holder {
		c.lease = lease{}
	}
	return nil
}
