package ticketsynctest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
)

// RunStoreTests checks the Store that newStore returns against every rule of
// the ticketsync.Store contract, in one subtest per rule, and against the
// ticketsync.Leaser contract when the store implements it. newStore is
// called once per subtest and must return an empty store, or one in which
// the connector ids the kit makes up are unused; it may register cleanups
// with t.Cleanup.
//
// Lease expiry is checked with a one-second lease, so the whole kit takes a
// little more than a second for a Leaser.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) ticketsync.Store) {
	t.Helper()
	for _, r := range storeRules() {
		t.Run(r.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned a nil Store")
			}
			r.run(t, s)
		})
	}
}

// storeT is what the store rules need of *testing.T.
type storeT = kitT

// storeRule is one rule of the Store contract and the check of it.
type storeRule struct {
	name   string // the subtest's name
	rule   string // the rule, as failure messages state it
	leaser bool   // the rule is about ticketsync.Leaser
	check  func(c *storeCheck)
}

// run checks rule r against s, reporting to t.
func (r storeRule) run(t storeT, s ticketsync.Store) {
	t.Helper()
	c := &storeCheck{t: t, s: s, ctx: t.Context(), rule: r.rule, suffix: storeSuffix()}
	if r.leaser {
		l, ok := s.(ticketsync.Leaser)
		if !ok {
			t.Skipf("%T does not implement ticketsync.Leaser", s)
		}
		c.l = l
	}
	r.check(c)
}

// storeSuffix returns a random suffix for connector ids.
func storeSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// storeCheck is what a rule's check works with: the store under test and
// failure reporting that names the rule.
type storeCheck struct {
	t      storeT
	s      ticketsync.Store
	l      ticketsync.Leaser // nil unless the rule is about leases
	ctx    context.Context
	rule   string
	suffix string
}

func (c *storeCheck) errorf(format string, args ...any) {
	c.t.Helper()
	c.t.Errorf("rule: %s: %s", c.rule, fmt.Sprintf(format, args...))
}

func (c *storeCheck) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf("rule: %s: %s", c.rule, fmt.Sprintf(format, args...))
}

// conn returns the connector id for name in this check.
func (c *storeCheck) conn(name string) string { return name + "-" + c.suffix }

func (c *storeCheck) upsert(tickets ...ticketsync.Ticket) {
	c.t.Helper()
	if err := c.s.UpsertTickets(c.ctx, tickets); err != nil {
		c.fatalf("UpsertTickets(%d tickets): %v", len(tickets), err)
	}
}

func (c *storeCheck) get(connectorID, id string) ticketsync.Ticket {
	c.t.Helper()
	t, err := c.s.Ticket(c.ctx, connectorID, id)
	if err != nil {
		c.fatalf("Ticket(%q, %q): %v", connectorID, id, err)
	}
	return t
}

// expect reports the differences between the stored ticket and want.
func (c *storeCheck) expect(want ticketsync.Ticket) {
	c.t.Helper()
	got := c.get(want.ConnectorID, want.ID)
	if d := diffTicket(want, got); len(d) > 0 {
		c.errorf("ticket %q: %s", want.ID, strings.Join(d, "; "))
	}
}

// expectComments reports unless the stored ticket's comments are want,
// field by field, in any order.
func (c *storeCheck) expectComments(connectorID, id string, want ...ticketsync.Comment) {
	c.t.Helper()
	c.expectCommentsIn(false, connectorID, id, want...)
}

// expectCommentsIn is expectComments that also checks the order when
// ordered.
func (c *storeCheck) expectCommentsIn(ordered bool, connectorID, id string, want ...ticketsync.Comment) {
	c.t.Helper()
	got := c.get(connectorID, id)
	if d := diffComments(want, got.Comments, ordered); len(d) > 0 {
		c.errorf("ticket %q: %s", id, strings.Join(d, "; "))
	}
}

func (c *storeCheck) cursor(connectorID string) string {
	c.t.Helper()
	cur, err := c.s.Cursor(c.ctx, connectorID)
	if err != nil {
		c.fatalf("Cursor(%q): %v", connectorID, err)
	}
	return cur
}

func (c *storeCheck) setCursor(connectorID, cursor string) {
	c.t.Helper()
	if err := c.s.SetCursor(c.ctx, connectorID, cursor); err != nil {
		c.fatalf("SetCursor(%q, %q): %v", connectorID, cursor, err)
	}
}

func (c *storeCheck) saveRun(run ticketsync.SyncRun) {
	c.t.Helper()
	if err := c.s.SaveSyncRun(c.ctx, run); err != nil {
		c.fatalf("SaveSyncRun(%q): %v", run.ID, err)
	}
}

func (c *storeCheck) runs(connectorID string, limit int) []ticketsync.SyncRun {
	c.t.Helper()
	runs, err := c.s.SyncRuns(c.ctx, connectorID, limit)
	if err != nil {
		c.fatalf("SyncRuns(%q, %d): %v", connectorID, limit, err)
	}
	return runs
}

// expectRunIDs reports unless runs holds the runs with the given ids, in order.
func (c *storeCheck) expectRunIDs(call string, runs []ticketsync.SyncRun, want ...string) {
	c.t.Helper()
	got := make([]string, len(runs))
	for i, r := range runs {
		got[i] = r.ID
	}
	if !slices.Equal(got, want) {
		c.errorf("%s returned runs %q, want %q", call, got, want)
	}
}

func (c *storeCheck) acquire(connectorID, holder string, ttl time.Duration) bool {
	c.t.Helper()
	ok, err := c.l.AcquireLease(c.ctx, connectorID, holder, ttl)
	if err != nil {
		c.fatalf("AcquireLease(%q, %q, %s): %v", connectorID, holder, ttl, err)
	}
	return ok
}

func (c *storeCheck) release(connectorID, holder string) {
	c.t.Helper()
	if err := c.l.ReleaseLease(c.ctx, connectorID, holder); err != nil {
		c.fatalf("ReleaseLease(%q, %q): %v", connectorID, holder, err)
	}
}

// storeT0 is the kit's epoch: UTC, whole milliseconds.
var storeT0 = time.Date(2024, 5, 6, 7, 8, 9, 123_000_000, time.UTC)

// storeAt returns storeT0 plus n minutes.
func storeAt(n int) time.Time { return storeT0.Add(time.Duration(n) * time.Minute) }

// storeTicket returns version v of ticket id on connectorID: every field set,
// differing from version to version, UpdatedAt storeAt(v), no comments.
func storeTicket(connectorID, id string, v int) ticketsync.Ticket {
	statuses := []ticketsync.Status{ticketsync.StatusNew, ticketsync.StatusOpen, ticketsync.StatusPending, ticketsync.StatusSolved}
	priorities := []ticketsync.Priority{ticketsync.PriorityLow, ticketsync.PriorityNormal, ticketsync.PriorityHigh, ticketsync.PriorityUrgent}
	return ticketsync.Ticket{
		ConnectorID: connectorID,
		Platform:    "kit",
		ID:          id,
		URL:         fmt.Sprintf("https://help.example.com/tickets/%s?v=%d", id, v),
		Subject:     fmt.Sprintf("subject v%d", v),
		Description: fmt.Sprintf("description v%d\nsecond line, ünïcode ✓", v),
		Status:      statuses[v%len(statuses)],
		RawStatus:   fmt.Sprintf("raw status v%d", v),
		Priority:    priorities[v%len(priorities)],
		RawPriority: fmt.Sprintf("P%d", v),
		Channel:     "email",
		Requester:   ticketsync.Person{ID: "req-1", Name: "Ada Requester", Email: "ada@example.com"},
		Assignee:    ticketsync.Person{ID: fmt.Sprintf("agent-%d", v), Name: "Grace Agent", Email: "grace@example.com"},
		Tags:        []string{"billing", fmt.Sprintf("v%d", v)},
		Fields:      map[string]string{"plan": "pro", "version": fmt.Sprint(v)},
		CreatedAt:   storeT0.Add(-24 * time.Hour),
		UpdatedAt:   storeAt(v),
	}
}

// storeComment returns comment id, written storeAt(n).
func storeComment(id string, n int) ticketsync.Comment {
	return ticketsync.Comment{
		ID:        id,
		Author:    ticketsync.Person{ID: "author-" + id, Name: "Author " + id, Email: id + "@example.com"},
		Body:      "body of " + id,
		Public:    n%2 == 0,
		CreatedAt: storeAt(n),
	}
}

func storeRules() []storeRule {
	return []storeRule{
		{
			name: "RoundTrip",
			rule: "a stored ticket reads back with every field",
			check: func(c *storeCheck) {
				a := storeTicket(c.conn("a"), "rt-1", 1)
				a.Comments = []ticketsync.Comment{storeComment("c1", 1), storeComment("c2", 2)}
				a.Comments[1].Author = ticketsync.Person{ID: "req-1", Name: "Ada Requester"}
				tomb := storeTicket(c.conn("a"), "rt-2", 2)
				tomb.Assignee, tomb.Tags, tomb.Fields, tomb.Priority, tomb.RawPriority = ticketsync.Person{}, nil, nil, ticketsync.PriorityNone, ""
				tomb.Deleted = true
				c.upsert(a.Clone(), tomb.Clone())
				c.expect(a)
				c.expect(tomb)
			},
		},
		{
			name: "MissingIsNotFound",
			rule: "Ticket of a ticket that is not stored returns an error matching ErrNotFound",
			check: func(c *storeCheck) {
				_, err := c.s.Ticket(c.ctx, c.conn("a"), "absent")
				if !errors.Is(err, ticketsync.ErrNotFound) {
					c.errorf("Ticket on an empty store: error %v, want one matching ticketsync.ErrNotFound", err)
				}
				c.upsert(storeTicket(c.conn("a"), "present", 1))
				_, err = c.s.Ticket(c.ctx, c.conn("a"), "absent")
				if !errors.Is(err, ticketsync.ErrNotFound) {
					c.errorf("Ticket of an absent id: error %v, want one matching ticketsync.ErrNotFound", err)
				}
			},
		},
		{
			name: "KeyedByConnectorAndID",
			rule: "tickets are keyed by (ConnectorID, ID): the same ID in two connectors is two tickets",
			check: func(c *storeCheck) {
				a := storeTicket(c.conn("a"), "same-id", 1)
				b := storeTicket(c.conn("b"), "same-id", 2)
				b.UpdatedAt = a.UpdatedAt.Add(-time.Hour) // older, so a key by ID alone would keep only a
				c.upsert(a.Clone(), b.Clone())
				c.expect(a)
				c.expect(b)
				if _, err := c.s.Ticket(c.ctx, c.conn("c"), "same-id"); !errors.Is(err, ticketsync.ErrNotFound) {
					c.errorf("Ticket of the ID in a third connector: error %v, want one matching ticketsync.ErrNotFound", err)
				}
			},
		},
		{
			name: "Idempotent",
			rule: "UpsertTickets is idempotent",
			check: func(c *storeCheck) {
				tk := storeTicket(c.conn("a"), "idem", 3)
				tk.Comments = []ticketsync.Comment{storeComment("c1", 1), storeComment("c2", 2), storeComment("c3", 3)}
				batch := []ticketsync.Ticket{tk.Clone(), storeTicket(c.conn("a"), "other", 1)}
				for range 3 {
					c.upsert(batch...)
				}
				c.expect(tk)
			},
		},
		{
			name: "NewerReplacesAllFields",
			rule: "a ticket with a newer UpdatedAt replaces all the stored ticket's fields",
			check: func(c *storeCheck) {
				v1 := storeTicket(c.conn("a"), "newer", 1)
				v1.Tags = append(v1.Tags, "removed-later")
				v1.Fields["dropped"] = "yes"
				v2 := storeTicket(c.conn("a"), "newer", 2)
				v2.Assignee = ticketsync.Person{} // unassigned
				v2.Channel = ""
				c.upsert(v1)
				c.upsert(v2.Clone())
				c.expect(v2)
			},
		},
		{
			name: "EqualReplacesAllFields",
			rule: "a ticket with an equal UpdatedAt replaces all the stored ticket's fields",
			check: func(c *storeCheck) {
				v1 := storeTicket(c.conn("a"), "equal", 1)
				again := storeTicket(c.conn("a"), "equal", 2)
				again.UpdatedAt = v1.UpdatedAt
				c.upsert(v1)
				c.upsert(again.Clone())
				c.expect(again)
			},
		},
		{
			name: "OlderNeverReplacesNewer",
			rule: "a ticket never replaces a stored one whose UpdatedAt is newer",
			check: func(c *storeCheck) {
				v2 := storeTicket(c.conn("a"), "older", 2)
				c.upsert(v2.Clone())
				c.upsert(storeTicket(c.conn("a"), "older", 1))
				c.expect(v2)
			},
		},
		{
			name: "CommentsUnited",
			rule: "comments are merged by Comment.ID: the stored and the incoming comments are united",
			check: func(c *storeCheck) {
				v1 := storeTicket(c.conn("a"), "union", 1)
				v1.Comments = []ticketsync.Comment{storeComment("c1", 1), storeComment("c2", 2)}
				v2 := storeTicket(c.conn("a"), "union", 3)
				v2.Comments = []ticketsync.Comment{storeComment("c3", 3)}
				c.upsert(v1)
				c.upsert(v2)
				c.expectComments(v1.ConnectorID, v1.ID, storeComment("c1", 1), storeComment("c2", 2), storeComment("c3", 3))
			},
		},
		{
			name: "EditedCommentReplaced",
			rule: "an incoming comment replaces the stored comment with the same ID",
			check: func(c *storeCheck) {
				v1 := storeTicket(c.conn("a"), "edit", 1)
				v1.Comments = []ticketsync.Comment{storeComment("c1", 1), storeComment("c2", 2)}
				edited := storeComment("c1", 1)
				edited.Body = "edited body of c1"
				edited.Public = !edited.Public
				v2 := storeTicket(c.conn("a"), "edit", 3)
				v2.Comments = []ticketsync.Comment{edited, storeComment("c2", 2)}
				c.upsert(v1)
				c.upsert(v2)
				c.expectComments(v1.ConnectorID, v1.ID, edited, storeComment("c2", 2))
			},
		},
		{
			name: "OlderCopyCommentsMerged",
			rule: "comments are merged also when the rest of the incoming ticket is older and ignored",
			check: func(c *storeCheck) {
				v2 := storeTicket(c.conn("a"), "late", 5)
				v2.Comments = []ticketsync.Comment{storeComment("c2", 2)}
				v1 := storeTicket(c.conn("a"), "late", 1)
				v1.Comments = []ticketsync.Comment{storeComment("c1", 1)}
				c.upsert(v2)
				c.upsert(v1)
				c.expectComments(v2.ConnectorID, v2.ID, storeComment("c1", 1), storeComment("c2", 2))
			},
		},
		{
			name: "CommentsNeverDropped",
			rule: "a stored comment is never dropped, also by a newer ticket that carries no comments",
			check: func(c *storeCheck) {
				v1 := storeTicket(c.conn("a"), "keep", 1)
				v1.Comments = []ticketsync.Comment{storeComment("c1", 1), storeComment("c2", 2)}
				v2 := storeTicket(c.conn("a"), "keep", 2) // Comments nil
				v3 := storeTicket(c.conn("a"), "keep", 3)
				v3.Comments = []ticketsync.Comment{}
				c.upsert(v1)
				c.upsert(v2)
				c.expectComments(v1.ConnectorID, v1.ID, storeComment("c1", 1), storeComment("c2", 2))
				c.upsert(v3)
				c.expectComments(v1.ConnectorID, v1.ID, storeComment("c1", 1), storeComment("c2", 2))
			},
		},
		{
			name: "CommentsOldestFirst",
			rule: "comments are kept oldest first",
			check: func(c *storeCheck) {
				v2 := storeTicket(c.conn("a"), "order", 9)
				v2.Comments = []ticketsync.Comment{storeComment("c3", 3), storeComment("c1", 1), storeComment("c2", 2)}
				c.upsert(v2)
				c.expectCommentsIn(true, v2.ConnectorID, v2.ID, storeComment("c1", 1), storeComment("c2", 2), storeComment("c3", 3))
				v1 := storeTicket(c.conn("a"), "order", 1)
				v1.Comments = []ticketsync.Comment{storeComment("c4", 4), storeComment("c0", 0)}
				c.upsert(v1)
				c.expectCommentsIn(true, v2.ConnectorID, v2.ID, storeComment("c0", 0), storeComment("c1", 1), storeComment("c2", 2), storeComment("c3", 3), storeComment("c4", 4))
			},
		},
		{
			name: "CommentsWithoutID",
			rule: "comments without an ID are kept, and not duplicated when delivered again",
			check: func(c *storeCheck) {
				tk := storeTicket(c.conn("a"), "no-ids", 3)
				x, y := storeComment("", 1), storeComment("", 2)
				x.Body, y.Body = "first note", "second note"
				tk.Comments = []ticketsync.Comment{x, y}
				c.upsert(tk.Clone())
				c.upsert(tk.Clone())
				c.expectComments(tk.ConnectorID, tk.ID, x, y)
			},
		},
		{
			name: "TombstoneSticks",
			rule: "a newer tombstone (Deleted) replaces the ticket, and an older live copy does not bring it back",
			check: func(c *storeCheck) {
				v1 := storeTicket(c.conn("a"), "tomb", 1)
				v1.Comments = []ticketsync.Comment{storeComment("c1", 1)}
				tomb := storeTicket(c.conn("a"), "tomb", 2)
				tomb.Deleted = true
				tomb.Comments = v1.Comments
				c.upsert(v1.Clone())
				c.upsert(tomb.Clone())
				c.expect(tomb)
				c.upsert(v1.Clone())
				c.expect(tomb)
			},
		},
		{
			name: "TombstoneTieKept",
			rule: "a live copy never replaces a tombstone with the same UpdatedAt",
			check: func(c *storeCheck) {
				tomb := storeTicket(c.conn("a"), "tie", 4)
				tomb.Deleted = true
				live := storeTicket(c.conn("a"), "tie", 4)
				live.Subject = "live copy of the same time"
				c.upsert(tomb.Clone())
				c.upsert(live.Clone())
				c.expect(tomb)
			},
		},
		{
			name: "OlderCopyCannotUndoEdit",
			rule: "an older copy of a ticket adds its new comments but does not replace a stored comment with its ID",
			check: func(c *storeCheck) {
				edited := storeComment("c1", 1)
				edited.Body = "edited body of c1"
				v2 := storeTicket(c.conn("a"), "undo", 5)
				v2.Comments = []ticketsync.Comment{edited}
				v1 := storeTicket(c.conn("a"), "undo", 1)
				v1.Comments = []ticketsync.Comment{storeComment("c1", 1), storeComment("c2", 2)}
				c.upsert(v2.Clone())
				c.upsert(v1.Clone())
				c.expectComments(v2.ConnectorID, v2.ID, edited, storeComment("c2", 2))
			},
		},
		{
			name: "CommentsWithoutIDByContent",
			rule: "comments without an ID are the same comment when author ID, CreatedAt and Body are equal",
			check: func(c *storeCheck) {
				tk := storeTicket(c.conn("a"), "by-content", 3)
				x := storeComment("", 1)
				x.Body = "a note"
				otherAuthor := x
				otherAuthor.Author.ID = "someone-else"
				otherTime := x
				otherTime.CreatedAt = storeAt(2)
				tk.Comments = []ticketsync.Comment{x}
				c.upsert(tk.Clone())
				again := tk.Clone()
				again.Comments = []ticketsync.Comment{x, otherAuthor, otherTime}
				c.upsert(again)
				c.expectComments(tk.ConnectorID, tk.ID, x, otherAuthor, otherTime)
			},
		},
		{
			name: "SameTicketTwiceInOneBatch",
			rule: "when one call holds the same ticket twice, the newest copy is kept and the comments of both are merged",
			check: func(c *storeCheck) {
				a1, a2 := storeTicket(c.conn("a"), "dup-a", 1), storeTicket(c.conn("a"), "dup-a", 2)
				b1, b2 := storeTicket(c.conn("a"), "dup-b", 1), storeTicket(c.conn("a"), "dup-b", 2)
				a1.Comments = []ticketsync.Comment{storeComment("c1", 1)}
				b1.Comments = a1.Comments
				a2.Comments = []ticketsync.Comment{storeComment("c2", 2)}
				b2.Comments = a2.Comments
				c.upsert(a2.Clone(), b1.Clone(), a1.Clone(), b2.Clone())
				for _, want := range []ticketsync.Ticket{a2, b2} {
					want.Comments = []ticketsync.Comment{storeComment("c1", 1), storeComment("c2", 2)}
					c.expect(want)
				}
			},
		},
		{
			name: "EmptyBatch",
			rule: "UpsertTickets of no tickets succeeds",
			check: func(c *storeCheck) {
				if err := c.s.UpsertTickets(c.ctx, nil); err != nil {
					c.errorf("UpsertTickets(nil): %v", err)
				}
				if err := c.s.UpsertTickets(c.ctx, []ticketsync.Ticket{}); err != nil {
					c.errorf("UpsertTickets(empty slice): %v", err)
				}
			},
		},
		{
			name: "LargeBatch",
			rule: "UpsertTickets stores every ticket of a batch of 1,000",
			check: func(c *storeCheck) {
				batch := make([]ticketsync.Ticket, 1000)
				for i := range batch {
					batch[i] = storeTicket(c.conn("a"), fmt.Sprintf("big-%04d", i), i%7)
					batch[i].Comments = []ticketsync.Comment{storeComment(fmt.Sprintf("c%d", i), 0)}
				}
				c.upsert(batch...)
				missing := 0
				for _, want := range batch {
					got, err := c.s.Ticket(c.ctx, want.ConnectorID, want.ID)
					switch {
					case err != nil:
						missing++
						if missing <= 3 {
							c.errorf("Ticket(%q): %v", want.ID, err)
						}
					case got.Subject != want.Subject || len(got.Comments) != 1:
						c.errorf("ticket %q: Subject %q with %d comments, want %q with 1", want.ID, got.Subject, len(got.Comments), want.Subject)
					}
				}
				if missing > 0 {
					c.errorf("%d of 1000 tickets missing", missing)
				}
			},
		},
		{
			name: "CursorEmptyWhenNone",
			rule: `Cursor returns "" when none was saved`,
			check: func(c *storeCheck) {
				if cur := c.cursor(c.conn("a")); cur != "" {
					c.errorf("Cursor of a new connector = %q, want \"\"", cur)
				}
			},
		},
		{
			name: "CursorPerConnector",
			rule: "each connector has its own cursor",
			check: func(c *storeCheck) {
				c.setCursor(c.conn("a"), "cursor-a")
				c.setCursor(c.conn("b"), "cursor-b")
				for name, want := range map[string]string{"a": "cursor-a", "b": "cursor-b", "c": ""} {
					if got := c.cursor(c.conn(name)); got != want {
						c.errorf("Cursor(%q) = %q, want %q", c.conn(name), got, want)
					}
				}
			},
		},
		{
			name: "CursorOverwritten",
			rule: "SetCursor replaces the connector's previous cursor",
			check: func(c *storeCheck) {
				c.setCursor(c.conn("a"), "first")
				c.setCursor(c.conn("a"), "second")
				if got := c.cursor(c.conn("a")); got != "second" {
					c.errorf("Cursor after two SetCursor calls = %q, want \"second\"", got)
				}
			},
		},
		{
			name: "BackfillCursorApart",
			rule: "the cursor saved under a connector's id plus ticketsync.BackfillCursorSuffix is apart from the connector's own",
			check: func(c *storeCheck) {
				live, back := c.conn("a"), c.conn("a")+ticketsync.BackfillCursorSuffix
				c.setCursor(live, "live-1")
				if got := c.cursor(back); got != "" {
					c.errorf("Cursor(%q) = %q after SetCursor of the connector's own cursor, want \"\"", back, got)
				}
				c.setCursor(back, "backfill-1")
				c.setCursor(live, "live-2")
				for key, want := range map[string]string{live: "live-2", back: "backfill-1", c.conn("b") + ticketsync.BackfillCursorSuffix: ""} {
					if got := c.cursor(key); got != want {
						c.errorf("Cursor(%q) = %q, want %q", key, got, want)
					}
				}
				c.setCursor(back, "")
				if got := c.cursor(live); got != "live-2" {
					c.errorf("clearing the backfill cursor changed the connector's own: Cursor(%q) = %q, want \"live-2\"", live, got)
				}
			},
		},
		{
			name: "SyncRunProgress",
			rule: "a backfill run's Progress, known or -1, reads back as saved and as updated",
			check: func(c *storeCheck) {
				runs := []ticketsync.SyncRun{
					{ID: "bf-1", ConnectorID: c.conn("a"), Trigger: ticketsync.TriggerBackfill, Status: ticketsync.RunRunning,
						StartedAt: storeAt(1), Attempt: 1, Progress: 0.125},
					{ID: "bf-2", ConnectorID: c.conn("a"), Trigger: ticketsync.TriggerBackfill, Status: ticketsync.RunRunning,
						StartedAt: storeAt(2), Attempt: 1, Progress: -1},
				}
				for _, r := range runs {
					c.saveRun(cloneSyncRun(r))
				}
				runs[0].Status, runs[0].FinishedAt, runs[0].Progress = ticketsync.RunSucceeded, storeAt(2), 0.6875
				c.saveRun(cloneSyncRun(runs[0]))
				got := c.runs(c.conn("a"), 0)
				c.expectRunIDs("SyncRuns", got, "bf-2", "bf-1")
				if len(got) == 2 {
					for i, want := range []ticketsync.SyncRun{runs[1], runs[0]} {
						if d := diffSyncRun(want, got[i]); len(d) > 0 {
							c.errorf("run %q: %s", want.ID, strings.Join(d, "; "))
						}
					}
				}
			},
		},
		{
			name: "SyncRunRoundTrip",
			rule: "SaveSyncRun inserts a run that SyncRuns returns with every field",
			check: func(c *storeCheck) {
				want := storeRun(c.conn("a"), "run-1")
				c.saveRun(cloneSyncRun(want))
				runs := c.runs(want.ConnectorID, 0)
				if len(runs) != 1 {
					c.fatalf("SyncRuns returned %d runs, want 1", len(runs))
				}
				if d := diffSyncRun(want, runs[0]); len(d) > 0 {
					c.errorf("run %q: %s", want.ID, strings.Join(d, "; "))
				}
			},
		},
		{
			name: "SyncRunUpdatedByID",
			rule: "SaveSyncRun updates the stored run with the same ID",
			check: func(c *storeCheck) {
				started := ticketsync.SyncRun{
					ID: "run-1", ConnectorID: c.conn("a"), Trigger: ticketsync.TriggerPoll,
					Status: ticketsync.RunRunning, StartedAt: storeAt(1), Attempt: 1,
				}
				c.saveRun(started)
				done := storeRun(started.ConnectorID, started.ID)
				c.saveRun(cloneSyncRun(done))
				runs := c.runs(started.ConnectorID, 0)
				if len(runs) != 1 {
					c.fatalf("after saving run %q twice, SyncRuns returned %d runs, want 1", started.ID, len(runs))
				}
				if d := diffSyncRun(done, runs[0]); len(d) > 0 {
					c.errorf("run %q: %s", done.ID, strings.Join(d, "; "))
				}
			},
		},
		{
			name: "SyncRunsNewestFirst",
			rule: "SyncRuns returns the runs newest StartedAt first",
			check: func(c *storeCheck) {
				for _, n := range []int{3, 1, 4, 0, 2} {
					c.saveRun(ticketsync.SyncRun{ID: fmt.Sprint("run-", n), ConnectorID: c.conn("a"), Status: ticketsync.RunSucceeded, StartedAt: storeAt(n), FinishedAt: storeAt(n).Add(time.Second), Attempt: 1})
				}
				c.expectRunIDs("SyncRuns(limit 0)", c.runs(c.conn("a"), 0), "run-4", "run-3", "run-2", "run-1", "run-0")
			},
		},
		{
			name: "SyncRunsLimit",
			rule: "SyncRuns returns at most limit runs, all when limit <= 0",
			check: func(c *storeCheck) {
				for _, n := range []int{3, 1, 4, 0, 2} {
					c.saveRun(ticketsync.SyncRun{ID: fmt.Sprint("run-", n), ConnectorID: c.conn("a"), Status: ticketsync.RunSucceeded, StartedAt: storeAt(n), Attempt: 1})
				}
				for _, limit := range []int{-1, 0, 5, 6} {
					if runs := c.runs(c.conn("a"), limit); len(runs) != 5 {
						c.errorf("SyncRuns(limit %d) returned %d runs, want 5", limit, len(runs))
					}
				}
				c.expectRunIDs("SyncRuns(limit 2)", c.runs(c.conn("a"), 2), "run-4", "run-3")
				c.expectRunIDs("SyncRuns(limit 1)", c.runs(c.conn("a"), 1), "run-4")
			},
		},
		{
			name: "SyncRunsPerConnector",
			rule: "SyncRuns returns only the connector's own runs",
			check: func(c *storeCheck) {
				c.saveRun(ticketsync.SyncRun{ID: "run-a", ConnectorID: c.conn("a"), StartedAt: storeAt(1), Attempt: 1})
				c.saveRun(ticketsync.SyncRun{ID: "run-b", ConnectorID: c.conn("b"), StartedAt: storeAt(2), Attempt: 1})
				c.expectRunIDs("SyncRuns of connector a", c.runs(c.conn("a"), 0), "run-a")
				c.expectRunIDs("SyncRuns of connector b", c.runs(c.conn("b"), 0), "run-b")
				c.expectRunIDs("SyncRuns of a connector without runs", c.runs(c.conn("c"), 0))
			},
		},
		{
			name: "WebhookRunUpdatedByID",
			rule: "SaveSyncRun updates every field of a run, Deliveries included",
			check: func(c *storeCheck) {
				run := ticketsync.SyncRun{
					ID: "webhook-" + c.suffix, ConnectorID: c.conn("a"), Trigger: ticketsync.TriggerWebhook,
					Status: ticketsync.RunSucceeded, StartedAt: storeAt(1), FinishedAt: storeAt(1), Tickets: 1, Deliveries: 1, Attempt: 1,
				}
				c.saveRun(run)
				run.Deliveries, run.Tickets, run.FinishedAt = 250, 240, storeAt(1).Add(59*time.Second)
				run.Status, run.Errors = ticketsync.RunFailed, []string{"store 2 tickets: database is down"}
				c.saveRun(cloneSyncRun(run))
				runs := c.runs(run.ConnectorID, 0)
				if len(runs) != 1 {
					c.fatalf("after saving run %q twice, SyncRuns returned %d runs, want 1", run.ID, len(runs))
				}
				if d := diffSyncRun(run, runs[0]); len(d) > 0 {
					c.errorf("run %q: %s", run.ID, strings.Join(d, "; "))
				}
			},
		},
		{
			name: "SyncRunsTriggersKeptApart",
			rule: "a bounded history bounds each trigger apart: webhook runs never push poll runs out",
			check: func(c *storeCheck) {
				const polls, webhooks = 100, 2000
				id := c.conn("busy")
				want := make([]string, polls)
				for i := range polls {
					want[polls-1-i] = fmt.Sprintf("poll-%s-%d", c.suffix, i)
					c.saveRun(ticketsync.SyncRun{ID: want[polls-1-i], ConnectorID: id, Trigger: ticketsync.TriggerPoll,
						Status: ticketsync.RunSucceeded, StartedAt: storeAt(i), FinishedAt: storeAt(i), Attempt: 1})
				}
				for i := range webhooks {
					at := storeAt(polls).Add(time.Duration(i) * time.Second)
					c.saveRun(ticketsync.SyncRun{ID: fmt.Sprintf("webhook-%s-%d", c.suffix, i), ConnectorID: id, Trigger: ticketsync.TriggerWebhook,
						Status: ticketsync.RunSucceeded, StartedAt: at, FinishedAt: at, Deliveries: 1, Attempt: 1})
				}
				all := c.runs(id, 0)
				var got []string
				for i, r := range all {
					if i > 0 && r.StartedAt.After(all[i-1].StartedAt) {
						c.fatalf("SyncRuns(limit 0) is not newest first at %d", i)
					}
					if r.Trigger == ticketsync.TriggerPoll {
						got = append(got, r.ID)
					}
				}
				if !slices.Equal(got, want) {
					c.fatalf("after %d poll runs and %d webhook runs, SyncRuns holds %d poll runs, want all %d", polls, webhooks, len(got), polls)
				}
				f, ok := c.s.(ticketsync.HistoryFilter)
				if !ok {
					return
				}
				runs, err := f.SyncRunsByTrigger(c.ctx, id, ticketsync.TriggerPoll, polls)
				if err != nil {
					c.fatalf("SyncRunsByTrigger: %v", err)
				}
				c.expectRunIDs("SyncRunsByTrigger(poll, 100)", runs, want...)
				runs, err = f.SyncRunsByTrigger(c.ctx, id, ticketsync.TriggerWebhook, 2)
				if err != nil {
					c.fatalf("SyncRunsByTrigger: %v", err)
				}
				c.expectRunIDs("SyncRunsByTrigger(webhook, 2)", runs,
					fmt.Sprintf("webhook-%s-%d", c.suffix, webhooks-1), fmt.Sprintf("webhook-%s-%d", c.suffix, webhooks-2))
				runs, err = f.SyncRunsByTrigger(c.ctx, id, ticketsync.TriggerImport, 0)
				if err != nil {
					c.fatalf("SyncRunsByTrigger: %v", err)
				}
				c.expectRunIDs("SyncRunsByTrigger(import, 0)", runs)
			},
		},
		{
			name:  "ConcurrentUpserts",
			rule:  "concurrent UpsertTickets calls keep the newest copy of each ticket and every comment",
			check: checkConcurrentUpserts,
		},
		{
			name: "InputNotRetained",
			rule: "the Store keeps no reference to the caller's tickets, slices and maps",
			check: func(c *storeCheck) {
				tk := storeTicket(c.conn("a"), "input", 1)
				tk.Comments = []ticketsync.Comment{storeComment("c1", 1)}
				want := tk.Clone()
				batch := []ticketsync.Ticket{tk}
				c.upsert(batch...)
				batch[0].Subject = "changed by the caller"
				tk.Tags[0] = "changed"
				tk.Fields["plan"] = "changed"
				tk.Fields["added"] = "by the caller"
				tk.Comments[0].Body = "changed"
				c.expect(want)

				run := storeRun(c.conn("a"), "run-1")
				c.saveRun(run)
				run.Errors[0] = "changed by the caller"
				if runs := c.runs(run.ConnectorID, 0); len(runs) == 1 && runs[0].Errors[0] == "changed by the caller" {
					c.errorf("changing a saved SyncRun's Errors changed the stored run")
				}
			},
		},
		{
			name: "ResultsOwnedByCaller",
			rule: "the caller owns the tickets and runs the Store returns",
			check: func(c *storeCheck) {
				tk := storeTicket(c.conn("a"), "owned", 1)
				tk.Comments = []ticketsync.Comment{storeComment("c1", 1), storeComment("c2", 2)}
				c.upsert(tk.Clone())
				got := c.get(tk.ConnectorID, tk.ID)
				got.Tags[0] = "changed"
				got.Fields["plan"] = "changed"
				got.Fields["added"] = "by the caller"
				got.Comments[0].Body = "changed"
				_ = append(got.Comments[:1], storeComment("c9", 9))
				c.expect(tk)

				c.saveRun(storeRun(c.conn("a"), "run-1"))
				runs := c.runs(c.conn("a"), 0)
				if len(runs) != 1 {
					c.fatalf("SyncRuns returned %d runs, want 1", len(runs))
				}
				runs[0].Errors[0] = "changed by the caller"
				if again := c.runs(c.conn("a"), 0); len(again) == 1 && again[0].Errors[0] == "changed by the caller" {
					c.errorf("changing the Errors of a run SyncRuns returned changed the stored run")
				}
			},
		},
		{
			name:   "LeaseExclusive",
			rule:   "AcquireLease reports false while another holder has an unexpired lease",
			leaser: true,
			check: func(c *storeCheck) {
				conn := c.conn("a")
				if !c.acquire(conn, "holder-1", time.Minute) {
					c.fatalf("the first AcquireLease on a free connector reported false")
				}
				if c.acquire(conn, "holder-2", time.Minute) {
					c.errorf("holder-2 acquired the lease that holder-1 holds for another minute")
				}
			},
		},
		{
			name:   "LeaseRenewed",
			rule:   "the holder of a lease can renew it",
			leaser: true,
			check: func(c *storeCheck) {
				conn := c.conn("a")
				if !c.acquire(conn, "holder-1", time.Minute) {
					c.fatalf("the first AcquireLease on a free connector reported false")
				}
				if !c.acquire(conn, "holder-1", time.Minute) {
					c.errorf("holder-1 could not renew its own lease")
				}
				if c.acquire(conn, "holder-2", time.Minute) {
					c.errorf("holder-2 acquired the lease that holder-1 renewed")
				}
			},
		},
		{
			name:   "LeaseReleased",
			rule:   "after ReleaseLease by its holder another holder can acquire the lease; a release by another holder does nothing",
			leaser: true,
			check: func(c *storeCheck) {
				conn := c.conn("a")
				if !c.acquire(conn, "holder-1", time.Minute) {
					c.fatalf("the first AcquireLease on a free connector reported false")
				}
				c.release(conn, "holder-2")
				if c.acquire(conn, "holder-2", time.Minute) {
					c.errorf("holder-2 acquired holder-1's lease after releasing a lease it did not hold")
				}
				c.release(conn, "holder-1")
				if !c.acquire(conn, "holder-2", time.Minute) {
					c.errorf("holder-2 could not acquire the lease that holder-1 released")
				}
			},
		},
		{
			name:   "LeasePerConnector",
			rule:   "each connector has its own lease",
			leaser: true,
			check: func(c *storeCheck) {
				if !c.acquire(c.conn("a"), "holder-1", time.Minute) {
					c.fatalf("the first AcquireLease on a free connector reported false")
				}
				if !c.acquire(c.conn("b"), "holder-2", time.Minute) {
					c.errorf("holder-2 could not acquire connector b's lease while holder-1 held connector a's")
				}
			},
		},
		{
			name:   "LeaseExpires",
			rule:   "a lease expires after its ttl",
			leaser: true,
			check: func(c *storeCheck) {
				const ttl, patience = time.Second, 3 * time.Second
				conn := c.conn("a")
				start := time.Now()
				if !c.acquire(conn, "holder-1", ttl) {
					c.fatalf("the first AcquireLease on a free connector reported false")
				}
				if c.acquire(conn, "holder-2", ttl) {
					c.fatalf("holder-2 acquired holder-1's %s lease at once", ttl)
				}
				for !c.acquire(conn, "holder-2", ttl) {
					if time.Since(start) > patience {
						c.fatalf("holder-2 could not acquire holder-1's %s lease %s later", ttl, patience)
					}
					select {
					case <-time.After(50 * time.Millisecond):
					case <-c.ctx.Done():
						c.fatalf("context done while waiting for the lease to expire: %v", c.ctx.Err())
					}
				}
			},
		},
	}
}

// checkConcurrentUpserts stores many versions of the same tickets from
// several goroutines at once, each version with a comment of its own, every
// ticket's versions in an order of its own. A store that reads the stored
// copy and writes the merge in two steps, without a lock or a transaction
// that serializes them, loses versions and comments here.
func checkConcurrentUpserts(c *storeCheck) {
	const (
		workers  = 8
		versions = 64
		tickets  = 16
	)
	conn := c.conn("a")
	id := func(j int) string { return fmt.Sprint("conc-", j) }
	version := func(j, v int) ticketsync.Ticket {
		t := storeTicket(conn, id(j), v)
		t.Comments = []ticketsync.Comment{storeComment(fmt.Sprint("c", v), v)}
		return t
	}
	// order[j][k] is the version of ticket j in the k-th write of it.
	order := make([][]int, tickets)
	for j := range order {
		order[j] = mrand.Perm(versions)
	}
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < versions; k += workers {
				batch := make([]ticketsync.Ticket, tickets)
				for j := range batch {
					batch[j] = version(j, order[j][k]+1)
				}
				if err := c.s.UpsertTickets(c.ctx, batch); err != nil {
					errs <- fmt.Errorf("UpsertTickets: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		c.fatalf("%v", err)
	}
	var wrong []string
	for j := range tickets {
		got := c.get(conn, id(j))
		var problems []string
		if want := version(j, versions); !got.UpdatedAt.Equal(want.UpdatedAt) || got.Subject != want.Subject {
			problems = append(problems, fmt.Sprintf("kept %q of %s, want the newest, %q of %s", got.Subject, got.UpdatedAt, want.Subject, want.UpdatedAt))
		}
		lost := 0
		for v := 1; v <= versions; v++ {
			if !slices.ContainsFunc(got.Comments, func(cm ticketsync.Comment) bool { return cm.ID == fmt.Sprint("c", v) }) {
				lost++
			}
		}
		if lost > 0 {
			problems = append(problems, fmt.Sprintf("lost %d of %d comments", lost, versions))
		}
		if len(problems) > 0 {
			wrong = append(wrong, fmt.Sprintf("ticket %q %s", id(j), strings.Join(problems, " and ")))
		}
	}
	if len(wrong) > 0 {
		more := ""
		if len(wrong) > 3 {
			more = fmt.Sprintf("; and %d more tickets", len(wrong)-3)
			wrong = wrong[:3]
		}
		c.errorf("after %d versions of %d tickets from %d goroutines: %s%s", versions, tickets, workers, strings.Join(wrong, "; "), more)
	}
}

// storeRun returns a finished, retrying run with every field set.
func storeRun(connectorID, id string) ticketsync.SyncRun {
	return ticketsync.SyncRun{
		ID:          id,
		ConnectorID: connectorID,
		Trigger:     ticketsync.TriggerManual,
		Status:      ticketsync.RunRetrying,
		StartedAt:   storeAt(1),
		FinishedAt:  storeAt(1).Add(1500 * time.Millisecond),
		Tickets:     42,
		Errors:      []string{"fetch tickets: 503 Service Unavailable", "second error ✓"},
		Attempt:     3,
		NextRetryAt: storeAt(3),
	}
}

func cloneSyncRun(r ticketsync.SyncRun) ticketsync.SyncRun {
	r.Errors = slices.Clone(r.Errors)
	return r
}

// diffSyncRun describes how got differs from want.
func diffSyncRun(want, got ticketsync.SyncRun) []string {
	var d []string
	str := func(name, w, g string) {
		if w != g {
			d = append(d, fmt.Sprintf("%s = %q, want %q", name, g, w))
		}
	}
	tm := func(name string, w, g time.Time) {
		if !w.Equal(g) {
			d = append(d, fmt.Sprintf("%s = %s, want %s", name, g, w))
		}
	}
	num := func(name string, w, g int) {
		if w != g {
			d = append(d, fmt.Sprintf("%s = %d, want %d", name, g, w))
		}
	}
	str("ID", want.ID, got.ID)
	str("ConnectorID", want.ConnectorID, got.ConnectorID)
	str("Trigger", want.Trigger, got.Trigger)
	str("Status", string(want.Status), string(got.Status))
	tm("StartedAt", want.StartedAt, got.StartedAt)
	tm("FinishedAt", want.FinishedAt, got.FinishedAt)
	num("Tickets", want.Tickets, got.Tickets)
	num("Deliveries", want.Deliveries, got.Deliveries)
	if !slices.Equal(want.Errors, got.Errors) {
		d = append(d, fmt.Sprintf("Errors = %q, want %q", got.Errors, want.Errors))
	}
	num("Attempt", want.Attempt, got.Attempt)
	tm("NextRetryAt", want.NextRetryAt, got.NextRetryAt)
	if want.Progress != got.Progress {
		d = append(d, fmt.Sprintf("Progress = %g, want %g", got.Progress, want.Progress))
	}
	return d
}

// diffTicket describes how got differs from want. Times are compared with
// Equal, Tags as a set (the contract does not say a store keeps their order),
// Comments as a set (their order has a rule of its own), nil and empty slices
// and maps alike.
func diffTicket(want, got ticketsync.Ticket) []string {
	var d []string
	str := func(name, w, g string) {
		if w != g {
			d = append(d, fmt.Sprintf("%s = %q, want %q", name, g, w))
		}
	}
	str("ConnectorID", want.ConnectorID, got.ConnectorID)
	str("Platform", want.Platform, got.Platform)
	str("ID", want.ID, got.ID)
	d = append(d, diffFields(want, got)...)
	return append(d, diffComments(want.Comments, got.Comments, false)...)
}

// diffComments describes how got differs from want. Only when ordered is
// the order checked; otherwise comments are matched by ID (and, without ID,
// by body), so that a rule about merging does not report a wrong order,
// which is the business of its own rule.
func diffComments(want, got []ticketsync.Comment, ordered bool) []string {
	ids := func(cs []ticketsync.Comment) string {
		s := make([]string, len(cs))
		for i, c := range cs {
			s[i] = fmt.Sprintf("%q", c.ID)
			if c.ID == "" {
				s[i] = fmt.Sprintf("(no ID, %q)", c.Body)
			}
		}
		return "[" + strings.Join(s, " ") + "]"
	}
	if !ordered {
		byID := func(a, b ticketsync.Comment) int {
			return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Body, b.Body),
				cmp.Compare(a.Author.ID, b.Author.ID), a.CreatedAt.Compare(b.CreatedAt))
		}
		want, got = slices.Clone(want), slices.Clone(got)
		slices.SortStableFunc(want, byID)
		slices.SortStableFunc(got, byID)
	}
	if len(want) != len(got) {
		return []string{fmt.Sprintf("Comments %s, want %s", ids(got), ids(want))}
	}
	var d []string
	for i := range want {
		w, g := want[i], got[i]
		if w.ID != g.ID {
			return []string{fmt.Sprintf("Comments %s, want %s", ids(got), ids(want))}
		}
		if w.Author != g.Author || w.Body != g.Body || w.Public != g.Public || !w.CreatedAt.Equal(g.CreatedAt) {
			d = append(d, fmt.Sprintf("comment %q = %+v, want %+v", w.ID, g, w))
		}
	}
	return d
}
