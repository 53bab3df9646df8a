package ticketsync_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// A ticket whose id no Store can keep distinct ("n1\x00" would become "n1"
// on PostgreSQL) is skipped and recorded; the rest of its page is stored
// and the cursor moves on, so one such ticket cannot stop a connector.
func TestPollSkipsTicketsWithInvalidIDs(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	pages := makePages(2, 3)
	pages[0][1].ID = "n1\x00"
	pages[1][0].ID = "n2\xff"
	conn := newScripted(pages...)
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("acme", conn, ticketsync.ModePoll))

	run, err := s.SyncNow(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, ticketsync.RunSucceeded, run.Status)
	assert.Equal(t, []string{"1", "3", "5", "6"}, ids(store.Tickets("acme")))
	assert.Equal(t, 4, run.Tickets)
	require.Len(t, run.Errors, 2)
	assert.Contains(t, run.Errors[0], "NUL")
	assert.Contains(t, run.Errors[1], "UTF-8")
	cursor, err := store.Cursor(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, "2", cursor)
}

func TestWebhookSkipsTicketsWithInvalidIDs(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	s := ticketsync.NewSyncer(store, nil)
	require.NoError(t, s.Add("hook", testReceiver{}, ticketsync.ModeWebhook))
	srv := httptest.NewServer(s.WebhookHandler())
	defer srv.Close()

	code, reply := deliver(t, srv.URL, "hook", payload(
		testEvent{Kind: "updated", ID: "n1", Full: true, UpdatedAt: t0},
		testEvent{Kind: "updated", ID: "n1\x00", Full: true, UpdatedAt: t0},
		testEvent{Kind: "deleted", ID: "n1\x00", UpdatedAt: t0},
	))
	require.Equal(t, http.StatusOK, code, "reply %v", reply)
	assert.Equal(t, []string{"n1"}, ids(store.Tickets("hook")))
	runs, err := store.SyncRuns(ctx, "hook", 1)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	require.Len(t, runs[0].Errors, 2)
	assert.Contains(t, strings.Join(runs[0].Errors, " "), "NUL")
}

func TestCheckID(t *testing.T) {
	for _, id := range []string{"1", "ABC-12", "ünïcode", strings.Repeat("x", ticketsync.MaxIDLen)} {
		assert.NoError(t, ticketsync.CheckID(id), "id %q", id)
	}
	for _, id := range []string{"", "n1\x00", "\x00", "n\xff1", strings.Repeat("x", ticketsync.MaxIDLen+1)} {
		err := ticketsync.CheckID(id)
		assert.True(t, errors.Is(err, ticketsync.ErrInvalidID), "id %q: %v", id, err)
	}
}
