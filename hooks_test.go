package ticketsync_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

type spanKey struct{}

// hookLog keeps what the hooks report.
type hookLog struct {
	mu       sync.Mutex
	starts   []ticketsync.RunInfo
	ends     []ticketsync.SyncRun
	endInfo  []ticketsync.RunInfo
	endErrs  []error
	endSpans []any
	webhooks []ticketsync.WebhookDelivery
}

func (l *hookLog) hooks() *ticketsync.Hooks {
	return &ticketsync.Hooks{
		RunStart: func(ctx context.Context, run ticketsync.RunInfo) context.Context {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.starts = append(l.starts, run)
			return context.WithValue(ctx, spanKey{}, "span-"+run.ConnectorID)
		},
		RunEnd: func(ctx context.Context, run ticketsync.RunInfo, result ticketsync.SyncRun, err error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.endInfo = append(l.endInfo, run)
			l.ends = append(l.ends, result)
			l.endErrs = append(l.endErrs, err)
			l.endSpans = append(l.endSpans, ctx.Value(spanKey{}))
		},
		Webhook: func(ctx context.Context, d ticketsync.WebhookDelivery) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.webhooks = append(l.webhooks, d)
		},
	}
}

// ctxPoller records the value under spanKey in the context of each Fetch.
type ctxPoller struct {
	*scripted
	seen chan any
}

func (p *ctxPoller) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	p.seen <- ctx.Value(spanKey{})
	return p.scripted.Fetch(ctx, cursor)
}

func TestHooksReportRuns(t *testing.T) {
	var log hookLog
	store := memstore.New()
	s, _ := newClockedSyncer(store, ticketsync.Options{Hooks: log.hooks()})
	p := &ctxPoller{scripted: newScripted(makePages(2, 3)...), seen: make(chan any, 10)}
	require.NoError(t, s.Add("acme", p, ticketsync.ModePoll))
	run, err := s.SyncNow(context.Background(), "acme")
	require.NoError(t, err)
	assert.Equal(t, "span-acme", <-p.seen, "the context RunStart returned is the run's")

	fail := newCountingPoller()
	fail.failWith(errors.New("502 bad gateway"))
	require.NoError(t, s.Add("broken", fail, ticketsync.ModePoll))
	_, err = s.SyncNow(context.Background(), "broken")
	require.Error(t, err)

	log.mu.Lock()
	defer log.mu.Unlock()
	require.Len(t, log.starts, 2)
	assert.Equal(t, ticketsync.RunInfo{ConnectorID: "acme", Platform: "scripted", Trigger: ticketsync.TriggerManual, Attempt: 1}, log.starts[0])
	require.Len(t, log.ends, 2)
	assert.Equal(t, run, log.ends[0], "RunEnd gets the run as recorded")
	assert.Equal(t, 6, log.ends[0].Tickets)
	assert.Equal(t, run.ID, log.endInfo[0].RunID)
	assert.NoError(t, log.endErrs[0])
	assert.Equal(t, "span-acme", log.endSpans[0])
	assert.Equal(t, ticketsync.RunFailed, log.ends[1].Status)
	assert.ErrorContains(t, log.endErrs[1], "502 bad gateway")
	assert.Equal(t, "counting", log.endInfo[1].Platform)
}

func TestHooksReportWebhooks(t *testing.T) {
	var log hookLog
	s := ticketsync.NewSyncer(memstore.New(), &ticketsync.Options{Hooks: log.hooks()})
	require.NoError(t, s.Add("acme", testReceiver{}, ticketsync.ModeWebhook))
	h := s.WebhookHandler()
	assert.Equal(t, http.StatusOK, serve(h, "acme", payload(
		testEvent{Kind: "updated", ID: "1", Full: true, UpdatedAt: t0},
		testEvent{Kind: "updated", ID: "2", Full: true, UpdatedAt: t0},
		testEvent{Kind: "updated", ID: "2", Full: true, UpdatedAt: t0.Add(time.Second)})))
	assert.Equal(t, http.StatusBadRequest, serve(h, "acme", []byte("{nope")))
	assert.Equal(t, http.StatusNotFound, serve(h, "nobody", payload()))

	log.mu.Lock()
	defer log.mu.Unlock()
	require.Len(t, log.webhooks, 3)
	ok := log.webhooks[0]
	assert.Equal(t, "acme", ok.ConnectorID)
	assert.Equal(t, "test", ok.Platform)
	assert.Equal(t, http.StatusOK, ok.StatusCode)
	assert.Equal(t, 3, ok.Events)
	assert.Equal(t, 2, ok.Tickets)
	assert.Positive(t, ok.Duration)
	assert.Equal(t, http.StatusBadRequest, log.webhooks[1].StatusCode)
	assert.Equal(t, ticketsync.WebhookDelivery{ConnectorID: "nobody", StatusCode: http.StatusNotFound, Duration: log.webhooks[2].Duration}, log.webhooks[2])
}

func TestPanickingHooksAreContained(t *testing.T) {
	boom := func() { panic("hook bug") }
	s := ticketsync.NewSyncer(memstore.New(), &ticketsync.Options{Hooks: &ticketsync.Hooks{
		RunStart: func(ctx context.Context, _ ticketsync.RunInfo) context.Context { boom(); return ctx },
		RunEnd:   func(context.Context, ticketsync.RunInfo, ticketsync.SyncRun, error) { boom() },
		Webhook:  func(context.Context, ticketsync.WebhookDelivery) { boom() },
	}})
	require.NoError(t, s.Add("acme", newScripted(makePages(1, 1)...), ticketsync.ModePoll))
	run, err := s.SyncNow(context.Background(), "acme")
	require.NoError(t, err)
	assert.Equal(t, 1, run.Tickets)
	require.NoError(t, s.Add("push", testReceiver{}, ticketsync.ModeWebhook))
	assert.Equal(t, http.StatusOK, serve(s.WebhookHandler(), "push", payload()))
}
