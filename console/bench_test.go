package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
	"github.com/ticketsync/ticketsync/memstore"
)

// benchHistory is a connector with a long history: five runs an hour for
// two weeks.
func benchHistory(b *testing.B) (*ticketsync.Syncer, http.Handler) {
	st := memstore.New()
	now := time.Now()
	for i := range 5 * 24 * 14 {
		start := now.Add(-time.Duration(i) * 12 * time.Minute)
		if err := st.SaveSyncRun(context.Background(), ticketsync.SyncRun{ID: fmt.Sprint(i), ConnectorID: "acme", Trigger: ticketsync.TriggerPoll,
			Status: ticketsync.RunSucceeded, StartedAt: start, FinishedAt: start.Add(time.Second), Tickets: i % 50, Attempt: 1}); err != nil {
			b.Fatal(err)
		}
	}
	s := ticketsync.NewSyncer(st, nil)
	return s, console.Handler(s, st, &console.Options{Authorize: func(*http.Request) bool { return true }})
}

// BenchmarkHistoryPage renders a connector's history page: one page of
// runs, and the chart over 1,680 runs.
func BenchmarkHistoryPage(b *testing.B) {
	_, h := benchHistory(b)
	req := httptest.NewRequest(http.MethodGet, "/connectors/acme", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkHistoryRead is the baseline of BenchmarkHistoryPage: reading the
// same runs from the Syncer, without rendering anything.
func BenchmarkHistoryRead(b *testing.B) {
	s, _ := benchHistory(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.History(ctx, "acme", "", console.HistoryPageSize+1); err != nil {
			b.Fatal(err)
		}
		if _, err := s.History(ctx, "acme", "", 5000); err != nil {
			b.Fatal(err)
		}
	}
}
