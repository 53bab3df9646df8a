package sqlstore_test

import (
	"context"
	"errors"
	"reflect"
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

		// An older copy changes nothing but brings its new comment and
		// its edit of comment b.
		mustUpsert(t, s, ticket("1", 5, comment("b", "b2", 2), comment("c", "c1", 3)))
		got := mustTicket(t, s, "c1", "1")
		if got.Subject != "v10" || !got.UpdatedAt.Equal(at(10)) {
			t.Errorf("after older copy: subject %q updated %v, want v10 at %v", got.Subject, got.UpdatedAt, at(10))
		}
		if g, w := commentBodies(got.Comments), "a=a1 b=b2 c=c1"; g != w {
			t.Errorf("after older copy: comments %q, want %q", g, w)
		}

		// An equal UpdatedAt replaces the fields.
		eq := ticket("1", 10)
		eq.Subject = "same time"
		mustUpsert(t, s, eq)
		if got := mustTicket(t, s, "c1", "1"); got.Subject != "same time" || len(got.Comments) != 3 {
			t.Errorf("after equal copy: subject %q with %d comments, want %q with 3", got.Subject, len(got.Comments), "same time")
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
		// Oldest first; among equal times, in order of arrival.
		want := []string{"early", "z", "tie1", "tie0", "late"}
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
		if got.Subject != "v9" || commentBodies(got.Comments) != "a=a2 b=b1" {
			t.Errorf("ticket 1: %q %q, want v9 %q", got.Subject, commentBodies(got.Comments), "a=a2 b=b1")
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
		noComment := ticket("3", 1, ticketsync.Comment{Body: "no id"})
		for _, bad := range []ticketsync.Ticket{noID, noComment} {
			if err := s.UpsertTickets(context.Background(), []ticketsync.Ticket{ticket("1", 1), bad}); err == nil {
				t.Errorf("upsert with %#v: no error", bad)
			}
		}
		if _, err := s.Ticket(context.Background(), "c1", "1"); !errors.Is(err, ticketsync.ErrNotFound) {
			t.Errorf("ticket of a failed call: err = %v, want ErrNotFound", err)
		}
	})
}
