package csvimport_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/csvimport"
	"github.com/ticketsync/ticketsync/memstore"
)

// flakyStore fails some UpsertTickets calls, and cancels the import (a
// process stopped half-way) on others.
type flakyStore struct {
	*memstore.Store
	mu      sync.Mutex
	rng     *rand.Rand
	cancel  context.CancelFunc
	failed  int
	stopped int
}

func (f *flakyStore) UpsertTickets(ctx context.Context, ts []ticketsync.Ticket) error {
	f.mu.Lock()
	n := f.rng.IntN(20)
	switch n {
	case 0:
		f.failed++
	case 1:
		f.stopped++
	}
	cancel := f.cancel
	f.mu.Unlock()
	switch n {
	case 0:
		return errors.New("soak: database unavailable")
	case 1:
		cancel()
		return ctx.Err()
	}
	return f.Store.UpsertTickets(ctx, ts)
}

// TestSoakCSVImport imports an export whose rows repeat tickets in random
// order, older copies after newer ones, with CRLF line ends, into a Store
// that fails or stops the import now and then; the import is run again
// until it succeeds, as a person would. The Store must then hold each
// ticket's newest row exactly.
func TestSoakCSVImport(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	type row struct {
		id, subject string
		at          time.Time
	}
	base := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	var rows []row
	newest := map[string]row{}
	for i := range 3000 {
		r := row{id: fmt.Sprint(1 + rng.IntN(800)), subject: fmt.Sprintf("subject %d", i), at: base.Add(time.Duration(rng.IntN(1e6)) * time.Second)}
		rows = append(rows, r)
		if old, ok := newest[r.id]; !ok || r.at.After(old.at) || (r.at.Equal(old.at)) {
			newest[r.id] = r
		}
	}
	var b strings.Builder
	b.WriteString("Id,Subject,Status,Updated at,Notes\r\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%q,open,%s,\"multi\r\nline, with comma\"\r\n", r.id, r.subject, r.at.Format(time.RFC3339))
	}
	file := b.String()

	store := &flakyStore{Store: memstore.New(), rng: rand.New(rand.NewPCG(seed, 4))}
	attempts := 0
	for ; ; attempts++ {
		if attempts == 200 {
			t.Fatal("no import succeeded in 200 attempts")
		}
		ctx, cancel := context.WithCancel(context.Background())
		store.mu.Lock()
		store.cancel = cancel
		store.mu.Unlock()
		_, err := csvimport.Import(ctx, strings.NewReader(file), store, csvimport.Options{ConnectorID: "c", BatchSize: 200})
		cancel()
		if err == nil {
			break
		}
	}
	got := store.Tickets("c")
	if len(got) != len(newest) {
		t.Errorf("%d tickets stored, the file has %d", len(got), len(newest))
	}
	for _, g := range got {
		w := newest[g.ID]
		if !g.UpdatedAt.Equal(w.at) {
			t.Errorf("ticket %s at %s, want the newest row's %s", g.ID, g.UpdatedAt, w.at)
		}
	}
	t.Logf("%d rows of %d tickets imported after %d failed attempts; the Store failed %d times and stopped the import %d times",
		len(rows), len(newest), attempts, store.failed, store.stopped)
}
