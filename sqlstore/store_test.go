package sqlstore_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/sqlstore"
)

func TestRoundTrip(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		s := newStore(t, d, nil)
		full := ticketsync.Ticket{
			ConnectorID: "c1", Platform: "zendesk", ID: "35436", URL: "https://x.zendesk.com/agent/tickets/35436",
			Subject: "Printer on fire 🔥", Description: "It's <b>really</b> \"burning\"\n\ttab",
			Status: ticketsync.StatusOnHold, RawStatus: "hold",
			Priority: ticketsync.PriorityUrgent, RawPriority: "P1", Channel: "email",
			Requester: ticketsync.Person{ID: "u1", Name: "Ann", Email: "ann@example.com"},
			Assignee:  ticketsync.Person{ID: "u2", Name: "Bob", Email: "bob@example.com"},
			Tags:      []string{"vip", "fire", "ünïcode"},
			Fields:    map[string]string{"plan": "gold", "région": "EU", "empty": ""},
			CreatedAt: at(-5000).Add(123 * 1000), // microseconds survive
			UpdatedAt: at(7).Add(456 * 1000),
			Deleted:   true,
			Comments: []ticketsync.Comment{
				{ID: "9", Author: ticketsync.Person{ID: "u1", Name: "Ann", Email: "ann@example.com"}, Body: "first", Public: true, CreatedAt: at(1)},
				{ID: "10", Author: ticketsync.Person{ID: "u2"}, Body: "note", Public: false, CreatedAt: at(2)},
			},
		}
		bare := ticketsync.Ticket{ConnectorID: "c1", ID: "bare"}
		empty := ticketsync.Ticket{ConnectorID: "c2", ID: "empty", Tags: []string{}, Fields: map[string]string{}, UpdatedAt: at(1)}
		mustUpsert(t, s, full, bare, empty)
		for _, want := range []ticketsync.Ticket{full, bare, empty} {
			got := mustTicket(t, s, want.ConnectorID, want.ID)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ticket %s:\n got %#v\nwant %#v", want.ID, got, want)
			}
		}
		_, err := s.Ticket(context.Background(), "c1", "absent")
		if !errors.Is(err, ticketsync.ErrNotFound) {
			t.Errorf("absent ticket: err = %v, want ErrNotFound", err)
		}
		_, err = s.Ticket(context.Background(), "c2", "35436")
		if !errors.Is(err, ticketsync.ErrNotFound) {
			t.Errorf("ticket of another connector: err = %v, want ErrNotFound", err)
		}
	})
}

func TestNewestWins(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		s := newStore(t, d, nil)
		mustUpsert(t, s, ticket("1", 10, comment("a", "a1", 1), comment("b", "b1", 2)))

		// An older copy changes nothing but adds its new comment; its
		// stale copy of comment b does not replace the stored one.
		mustUpsert(t, s, ticket("1", 5, comment("b", "b-stale", 2), comment("c", "c1", 3)))
		got := mustTicket(t, s, "c1", "1")
		if got.Subject != "v10" || !got.UpdatedAt.Equal(at(10)) {
			t.Errorf("after older copy: subject %q updated %v, want v10 at %v", got.Subject, got.UpdatedAt, at(10))
		}
		if g, w := commentBodies(got.Comments), "a=a1 b=b1 c=c1"; g != w {
			t.Errorf("after older copy: comments %q, want %q", g, w)
		}

		// An equal UpdatedAt replaces the fields, and its comments edit.
		eq := ticket("1", 10, comment("b", "b2", 2))
		eq.Subject = "same time"
		mustUpsert(t, s, eq)
		got = mustTicket(t, s, "c1", "1")
		if got.Subject != "same time" || commentBodies(got.Comments) != "a=a1 b=b2 c=c1" {
			t.Errorf("after equal copy: %q %q, want %q %q", got.Subject, commentBodies(got.Comments), "same time", "a=a1 b=b2 c=c1")
		}

		// A newer copy without comments keeps the stored ones.
		mustUpsert(t, s, ticket("1", 11))
		got = mustTicket(t, s, "c1", "1")
		if got.Subject != "v11" || commentBodies(got.Comments) != "a=a1 b=b2 c=c1" {
			t.Errorf("after newer copy: %q %q", got.Subject, commentBodies(got.Comments))
		}

		// Idempotent.
		mustUpsert(t, s, ticket("1", 11))
		mustUpsert(t, s, ticket("1", 11))
		if again := mustTicket(t, s, "c1", "1"); !reflect.DeepEqual(again, got) {
			t.Errorf("repeated upsert changed the ticket:\n got %#v\nwant %#v", again, got)
		}
	})
}

func TestCommentsOldestFirst(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		s := newStore(t, d, nil)
		mustUpsert(t, s, ticket("1", 1, comment("late", "x", 50), comment("z", "x", 5)))
		mustUpsert(t, s, ticket("1", 2, comment("early", "x", 1), comment("tie1", "x", 5), comment("tie0", "x", 5)))
		got := mustTicket(t, s, "c1", "1")
		var ids []string
		for _, c := range got.Comments {
			ids = append(ids, c.ID)
		}
		// Oldest first; among equal times, by ID.
		want := []string{"early", "tie0", "tie1", "z", "late"}
		if !reflect.DeepEqual(ids, want) {
			t.Errorf("comment order %v, want %v", ids, want)
		}
	})
}

func TestDuplicatesInOneCall(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		s := newStore(t, d, nil)
		mustUpsert(t, s,
			ticket("1", 5, comment("a", "a1", 1)),
			ticket("1", 9, comment("b", "b1", 2)),
			ticket("1", 7, comment("a", "a2", 1)),
			ticket("2", 3),
			ticket("2", 3, comment("c", "c1", 1)),
		)
		got := mustTicket(t, s, "c1", "1")
		// As if applied in order: v7 is older than v9, so its copy of
		// comment a does not replace v5's.
		if got.Subject != "v9" || commentBodies(got.Comments) != "a=a1 b=b1" {
			t.Errorf("ticket 1: %q %q, want v9 %q", got.Subject, commentBodies(got.Comments), "a=a1 b=b1")
		}
		if got := mustTicket(t, s, "c1", "2"); commentBodies(got.Comments) != "c=c1" {
			t.Errorf("ticket 2 comments %q", commentBodies(got.Comments))
		}
	})
}

func TestInvalidCallStoresNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		s := newStore(t, d, nil)
		noID := ticket("", 1)
		noConnector := ticket("2", 1)
		noConnector.ConnectorID = ""
		for _, bad := range []ticketsync.Ticket{noID, noConnector} {
			if err := s.UpsertTickets(context.Background(), []ticketsync.Ticket{ticket("1", 1), bad}); err == nil {
				t.Errorf("upsert with %#v: no error", bad)
			}
		}
		if _, err := s.Ticket(context.Background(), "c1", "1"); !errors.Is(err, ticketsync.ErrNotFound) {
			t.Errorf("ticket of a failed call: err = %v, want ErrNotFound", err)
		}
	})
}

func TestCommentsWithoutID(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		s := newStore(t, d, nil)
		a, b := comment("", "first", 1), comment("", "second", 1)
		mustUpsert(t, s, ticket("1", 1, a, b))
		mustUpsert(t, s, ticket("1", 2, a, b), ticket("1", 1, b))
		edited := a
		edited.Body = "first, edited"
		mustUpsert(t, s, ticket("1", 3, edited))
		got := mustTicket(t, s, "c1", "1")
		var bodies []string
		for _, c := range got.Comments {
			bodies = append(bodies, c.Body)
		}
		slices.Sort(bodies) // the order of ID-less comments of one time is open
		if g, w := strings.Join(bodies, "|"), "first|first, edited|second"; g != w {
			t.Errorf("comment bodies %q, want %q", g, w)
		}
	})
}

func TestTombstoneWinsTie(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		s := newStore(t, d, nil)
		live := ticket("1", 5)
		tomb := ticket("1", 5)
		tomb.Deleted = true
		mustUpsert(t, s, live)
		mustUpsert(t, s, tomb)
		mustUpsert(t, s, live)
		if got := mustTicket(t, s, "c1", "1"); !got.Deleted {
			t.Error("a live copy with the tombstone's UpdatedAt brought the ticket back")
		}
		mustUpsert(t, s, ticket("1", 6))
		if got := mustTicket(t, s, "c1", "1"); got.Deleted {
			t.Error("a newer live copy did not replace the tombstone")
		}
	})
}
