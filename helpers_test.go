package ticketsync_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// scripted is a Poller over a fixed list of pages: the cursor is the index of
// the next page as text. Hooks let a test fail, block or panic at a page.
type scripted struct {
	platform string
	mu       sync.Mutex
	pages    [][]ticketsync.Ticket
	calls    []string // cursors Fetch was called with
	failAt   map[int]error
	panicAt  int // 1-based page that panics; 0 for none
	block    chan struct{}
	started  chan string
}

func newScripted(pages ...[]ticketsync.Ticket) *scripted {
	return &scripted{platform: "scripted", pages: pages, failAt: map[int]error{}}
}

func (c *scripted) Platform() string               { return c.platform }
func (c *scripted) Test(ctx context.Context) error { return nil }

func (c *scripted) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	c.mu.Lock()
	c.calls = append(c.calls, cursor)
	started, block := c.started, c.block
	c.mu.Unlock()
	if started != nil {
		started <- cursor
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ticketsync.Page{}, ctx.Err()
		}
	}
	i := 0
	if cursor != "" {
		var err error
		if i, err = strconv.Atoi(cursor); err != nil {
			return ticketsync.Page{}, fmt.Errorf("bad cursor %q", cursor)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.failAt[i+1]; err != nil {
		delete(c.failAt, i+1)
		return ticketsync.Page{}, err
	}
	if c.panicAt == i+1 {
		c.panicAt = 0
		panic("boom at page " + strconv.Itoa(i+1))
	}
	if i >= len(c.pages) {
		return ticketsync.Page{Cursor: cursor}, nil
	}
	page := make([]ticketsync.Ticket, len(c.pages[i]))
	for j, t := range c.pages[i] {
		page[j] = t.Clone()
	}
	return ticketsync.Page{Tickets: page, Cursor: strconv.Itoa(i + 1), More: i+1 < len(c.pages)}, nil
}

func (c *scripted) cursors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// makePages returns n pages of size tickets with ids "1".."n*size".
func makePages(n, size int) [][]ticketsync.Ticket {
	pages := make([][]ticketsync.Ticket, n)
	id := 0
	for p := range pages {
		for range size {
			id++
			pages[p] = append(pages[p], ticketsync.Ticket{
				ID:        strconv.Itoa(id),
				Subject:   "ticket " + strconv.Itoa(id),
				Status:    ticketsync.StatusOpen,
				CreatedAt: t0,
				UpdatedAt: t0.Add(time.Duration(id) * time.Second),
			})
		}
	}
	return pages
}

// failingStore wraps a Store and fails UpsertTickets while failUpsert is set.
type failingStore struct {
	ticketsync.Store
	mu         sync.Mutex
	failUpsert error
}

func (s *failingStore) UpsertTickets(ctx context.Context, tickets []ticketsync.Ticket) error {
	s.mu.Lock()
	err := s.failUpsert
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Store.UpsertTickets(ctx, tickets)
}

var errStoreDown = errors.New("database is down")

func ids(tickets []ticketsync.Ticket) []string {
	out := make([]string, len(tickets))
	for i, t := range tickets {
		out[i] = t.ID
	}
	sort.Strings(out)
	return out
}

func wantIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i + 1)
	}
	sort.Strings(out)
	return out
}

// waitFor fails the test if ch yields nothing within a generous bound; the
// bound only guards against a hang, it does not measure speed.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
