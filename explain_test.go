package ticketsync_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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

// platformConn is a small platform in memory: Fetch reads the tickets
// changed after its cursor (unix nanoseconds of the newest change read) and
// at or after start, in one page; GetTickets reads by id; webhooks are
// testReceiver's. It describes its cursor.
type platformConn struct {
	testReceiver
	mu       sync.Mutex
	start    time.Time
	tickets  map[string]ticketsync.Ticket
	fetchErr error
	getErr   error
}

func newPlatform(start time.Time, tickets ...ticketsync.Ticket) *platformConn {
	p := &platformConn{start: start, tickets: map[string]ticketsync.Ticket{}}
	for _, t := range tickets {
		p.tickets[t.ID] = t
	}
	return p
}

func (p *platformConn) put(t ticketsync.Ticket) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tickets[t.ID] = t
}

func (p *platformConn) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	from, err := p.readCursor(cursor)
	if err != nil {
		return ticketsync.Page{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fetchErr != nil {
		return ticketsync.Page{}, p.fetchErr
	}
	next := from
	var page []ticketsync.Ticket
	for _, t := range p.tickets {
		if t.UpdatedAt.After(from) && !t.UpdatedAt.Before(p.start) {
			page = append(page, t.Clone())
			if t.UpdatedAt.After(next) {
				next = t.UpdatedAt
			}
		}
	}
	return ticketsync.Page{Tickets: page, Cursor: strconv.FormatInt(next.UnixNano(), 10)}, nil
}

func (p *platformConn) readCursor(cursor string) (time.Time, error) {
	if cursor == "" {
		return p.start.Add(-time.Nanosecond), nil
	}
	n, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil {
		return time.Time{}, ticketsync.ErrInvalidCursor
	}
	return time.Unix(0, n).UTC(), nil
}

func (p *platformConn) DescribeCursor(cursor string) (ticketsync.CursorInfo, error) {
	info := ticketsync.CursorInfo{Start: p.start}
	if cursor != "" {
		at, err := p.readCursor(cursor)
		if err != nil {
			return info, err
		}
		info.Checkpoint = at
	}
	return info, nil
}

func (p *platformConn) GetTickets(ctx context.Context, ids []string) ([]ticketsync.Ticket, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.getErr != nil {
		return nil, p.getErr
	}
	var out []ticketsync.Ticket
	for _, id := range ids {
		if t, ok := p.tickets[id]; ok {
			out = append(out, t.Clone())
		}
	}
	return out, nil
}

func ticketAt(id, subject string, at time.Time) ticketsync.Ticket {
	return ticketsync.Ticket{ID: id, Subject: subject, Status: ticketsync.StatusOpen, CreatedAt: at, UpdatedAt: at}
}

// explainSetup adds p under "acme" in a Syncer over a memstore whose clock
// is fixed at t0+1h.
func explainSetup(t *testing.T, p *platformConn) (*ticketsync.Syncer, *memstore.Store) {
	t.Helper()
	store := memstore.New()
	now := t0.Add(time.Hour)
	s := ticketsync.NewSyncer(store, &ticketsync.Options{Now: func() time.Time { return now }})
	require.NoError(t, s.Add("acme", p, ticketsync.ModeBoth))
	return s, store
}

func explain(t *testing.T, s *ticketsync.Syncer, id string) *ticketsync.Explanation {
	t.Helper()
	x, err := s.Explain(context.Background(), "acme", id)
	require.NoError(t, err)
	require.NotEmpty(t, x.String())
	t.Log(x.String())
	return x
}

func TestExplainInSync(t *testing.T) {
	p := newPlatform(t0, ticketAt("1", "printer on fire", t0.Add(time.Minute)))
	s, _ := explainSetup(t, p)
	_, err := s.SyncNow(context.Background(), "acme")
	require.NoError(t, err)

	x := explain(t, s, "1")
	assert.Equal(t, ticketsync.VerdictInSync, x.Verdict)
	assert.Empty(t, x.Diffs)
	require.Len(t, x.Cursors, 1)
	assert.True(t, x.Cursors[0].Saved)
	assert.False(t, x.Cursors[0].Behind)
	assert.True(t, x.Cursors[0].Checkpoint.Equal(t0.Add(time.Minute)))
	require.NotNil(t, x.OnPlatform)
	require.NotNil(t, x.InStore)
	assert.Contains(t, x.String(), "in sync")
}

func TestExplainStoreBehindWithAFailingRun(t *testing.T) {
	p := newPlatform(t0, ticketAt("1", "printer on fire", t0.Add(time.Minute)))
	s, _ := explainSetup(t, p)
	ctx := context.Background()
	_, err := s.SyncNow(ctx, "acme")
	require.NoError(t, err)

	p.put(ticketAt("1", "printer still on fire", t0.Add(30*time.Minute)))
	p.mu.Lock()
	p.fetchErr = &ticketsync.APIError{StatusCode: http.StatusTooManyRequests, Message: "too many requests"}
	p.mu.Unlock()
	_, err = s.SyncNow(ctx, "acme")
	require.Error(t, err)

	x := explain(t, s, "1")
	assert.Equal(t, ticketsync.VerdictStoreBehind, x.Verdict)
	assert.Contains(t, x.Summary, "failed")
	assert.Contains(t, x.Summary, "429")
	require.Len(t, x.Cursors, 1)
	assert.True(t, x.Cursors[0].Behind, "the platform's copy is newer than the cursor's checkpoint")
	assert.Contains(t, fieldsOf(x.Diffs), "Subject")
	require.NotEmpty(t, x.Runs)
	assert.Equal(t, ticketsync.RunFailed, x.Runs[0].Status)

	// Repair stores the platform's copy, after which all is in sync.
	got, err := s.Repair(ctx, "acme", "1")
	require.NoError(t, err)
	assert.Equal(t, "printer still on fire", got.Subject)
	assert.Equal(t, ticketsync.VerdictInSync, explain(t, s, "1").Verdict)
}

func TestExplainNeverSyncedBeforeStart(t *testing.T) {
	p := newPlatform(t0, ticketAt("old", "from last year", t0.Add(-365*24*time.Hour)), ticketAt("new", "today", t0.Add(time.Minute)))
	s, store := explainSetup(t, p)
	_, err := s.SyncNow(context.Background(), "acme")
	require.NoError(t, err)
	_, err = store.Ticket(context.Background(), "acme", "old")
	require.ErrorIs(t, err, ticketsync.ErrNotFound)

	x := explain(t, s, "old")
	assert.Equal(t, ticketsync.VerdictBeforeStart, x.Verdict)
	assert.Contains(t, x.Summary, "before the connector's start")
	assert.Nil(t, x.InStore)
	assert.False(t, x.Cursors[0].Behind, "a ticket before the start is not behind the cursor")
}

func TestExplainDeletedOnThePlatform(t *testing.T) {
	p := newPlatform(t0, ticketAt("1", "spam", t0.Add(time.Minute)))
	s, _ := explainSetup(t, p)
	_, err := s.SyncNow(context.Background(), "acme")
	require.NoError(t, err)
	gone := ticketAt("1", "spam", t0.Add(2*time.Minute))
	gone.Deleted = true
	gone.Fields = map[string]string{ticketsync.FieldMergedInto: "7"}
	p.put(gone)

	x := explain(t, s, "1")
	assert.Equal(t, ticketsync.VerdictDeleted, x.Verdict)
	assert.True(t, x.Deleted)
	assert.Equal(t, "7", x.MergedInto)
	assert.Contains(t, x.Summary, "merged into 7")
}

func TestExplainOnlyInTheStore(t *testing.T) {
	p := newPlatform(t0, ticketAt("1", "short-lived", t0.Add(time.Minute)))
	s, _ := explainSetup(t, p)
	ctx := context.Background()
	_, err := s.SyncNow(ctx, "acme")
	require.NoError(t, err)
	p.mu.Lock()
	delete(p.tickets, "1")
	p.mu.Unlock()

	x := explain(t, s, "1")
	assert.Equal(t, ticketsync.VerdictOnlyInStore, x.Verdict)
	assert.Nil(t, x.OnPlatform)
	assert.True(t, x.Deleted)

	// Repair records the deletion as a tombstone.
	got, err := s.Repair(ctx, "acme", "1")
	require.NoError(t, err)
	assert.True(t, got.Deleted)
	assert.Equal(t, "short-lived", got.Subject, "the tombstone keeps what was known")
	assert.Equal(t, ticketsync.VerdictInSync, explain(t, s, "1").Verdict)

	_, err = s.Repair(ctx, "acme", "nope")
	assert.ErrorIs(t, err, ticketsync.ErrNotFound)
	x = explain(t, s, "nope")
	assert.Equal(t, ticketsync.VerdictNotFound, x.Verdict)
}

func TestExplainWebhookReceivedButNotStored(t *testing.T) {
	p := newPlatform(t0)
	s, store := explainSetup(t, p)
	srv := httptest.NewServer(s.WebhookHandler())
	defer srv.Close()

	// The delivery names the ticket by id only; loading it fails, so it is
	// answered 503 and nothing is stored.
	p.put(ticketAt("9", "angry customer", t0.Add(50*time.Minute)))
	p.mu.Lock()
	p.getErr = errors.New("connection reset by peer")
	p.mu.Unlock()
	code, _ := deliver(t, srv.URL, "acme", payload(testEvent{Kind: "created", ID: "9", UpdatedAt: t0.Add(50 * time.Minute)}))
	require.Equal(t, http.StatusServiceUnavailable, code)
	_, err := store.Ticket(context.Background(), "acme", "9")
	require.ErrorIs(t, err, ticketsync.ErrNotFound)

	p.mu.Lock()
	p.getErr = nil
	p.mu.Unlock()
	x := explain(t, s, "9")
	assert.Equal(t, ticketsync.VerdictWebhookNotStored, x.Verdict)
	require.NotNil(t, x.Webhook)
	assert.False(t, x.Webhook.Stored)
	assert.Contains(t, x.Webhook.Error, "connection reset")
	assert.True(t, x.Webhook.ReceivedAt.Equal(t0.Add(time.Hour)))
	assert.Contains(t, x.Summary, "webhook")

	// A later delivery that is stored replaces the sighting.
	code, _ = deliver(t, srv.URL, "acme", payload(testEvent{Kind: "updated", ID: "9", UpdatedAt: t0.Add(50 * time.Minute)}))
	require.Equal(t, http.StatusOK, code)
	x = explain(t, s, "9")
	assert.Equal(t, ticketsync.VerdictInSync, x.Verdict)
	assert.True(t, x.Webhook.Stored)
}

func TestExplainUnknownConnectorAndPlatformError(t *testing.T) {
	p := newPlatform(t0, ticketAt("1", "x", t0.Add(time.Minute)))
	s, _ := explainSetup(t, p)
	_, err := s.Explain(context.Background(), "nobody", "1")
	assert.ErrorIs(t, err, ticketsync.ErrUnknownConnector)

	p.mu.Lock()
	p.getErr = errors.New("dial tcp: i/o timeout")
	p.mu.Unlock()
	x := explain(t, s, "1")
	assert.Equal(t, ticketsync.VerdictUnknown, x.Verdict)
	assert.True(t, strings.Contains(x.Summary, "i/o timeout"))
}

func fieldsOf(d []ticketsync.FieldDiff) []string {
	out := make([]string, len(d))
	for i, f := range d {
		out[i] = f.Field
	}
	return out
}
