package sqlstore_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/sqlstore"
)

const crashPages = 6

// crashPage returns page n (0-based) of the crash tests' source: new
// tickets, newer copies of tickets from earlier pages carrying only their
// new comments, and one ticket deleted on the last page.
func crashPage(n int) []ticketsync.Ticket {
	var page []ticketsync.Ticket
	for i := range 4 {
		id := fmt.Sprintf("p%d-%d", n, i)
		page = append(page, ticketsync.Ticket{
			ID: id, Subject: "new " + id, Status: ticketsync.StatusNew,
			Tags: []string{"crash"}, CreatedAt: at(n * 100), UpdatedAt: at(n*100 + i),
			Comments: []ticketsync.Comment{{ID: id + "-c0", Body: "first", CreatedAt: at(n * 100)}},
		})
	}
	if n > 0 {
		// Ticket 0 of the previous page moves on, with one new comment.
		id := fmt.Sprintf("p%d-0", n-1)
		page = append(page, ticketsync.Ticket{
			ID: id, Subject: "updated " + id, Status: ticketsync.StatusOpen,
			CreatedAt: at((n - 1) * 100), UpdatedAt: at(n*100 + 50),
			Comments: []ticketsync.Comment{{ID: fmt.Sprintf("%s-c%d", id, n), Body: "reply", CreatedAt: at(n*100 + 50)}},
		})
	}
	if n == crashPages-1 {
		page = append(page, ticketsync.Ticket{ID: "p0-1", Subject: "new p0-1", Deleted: true, UpdatedAt: at(n*100 + 60)})
	}
	return page
}

// crashSource is a Poller over the crash pages; cursor "k" means k pages
// delivered. before, when set, runs at the start of every Fetch.
type crashSource struct {
	before  func(ctx context.Context, cursor string) error
	cursors []string // the cursors Fetch was called with
}

func (s *crashSource) Platform() string           { return "test" }
func (s *crashSource) Test(context.Context) error { return nil }

func (s *crashSource) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	s.cursors = append(s.cursors, cursor)
	if s.before != nil {
		if err := s.before(ctx, cursor); err != nil {
			return ticketsync.Page{}, err
		}
	}
	n, _ := strconv.Atoi(cursor)
	if n >= crashPages {
		return ticketsync.Page{Cursor: cursor}, nil
	}
	return ticketsync.Page{Tickets: crashPage(n), Cursor: strconv.Itoa(n + 1), More: n+1 < crashPages}, nil
}

// expectSourceTickets checks that s holds exactly the source's tickets for
// connector "crash", no more, no less: what a Syncer stores in memstore in
// one uninterrupted sync.
func expectSourceTickets(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	ctx := context.Background()
	ref := memstore.New()
	syncer := ticketsync.NewSyncer(ref, nil)
	if err := syncer.Add("crash", &crashSource{}, ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}
	if _, err := syncer.SyncNow(ctx, "crash"); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for n := range crashPages {
		for _, tk := range crashPage(n) {
			want[tk.ID] = true
		}
	}
	page, err := s.ListTickets(ctx, "crash", &sqlstore.ListOptions{PageSize: sqlstore.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tickets) != len(want) {
		t.Errorf("store holds %d tickets, want the source's %d", len(page.Tickets), len(want))
	}
	for _, got := range page.Tickets {
		w, err := ref.Ticket(ctx, "crash", got.ID)
		if err != nil {
			t.Errorf("store holds ticket %s, which the source does not have", got.ID)
			continue
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("ticket %s:\n got %+v\nwant %+v", got.ID, got, w)
		}
	}
	if cur, _ := s.Cursor(ctx, "crash"); cur != strconv.Itoa(crashPages) {
		t.Errorf("cursor %q after a complete sync, want %q", cur, strconv.Itoa(crashPages))
	}
}

// cancelAfterUpsert cancels a context once UpsertTickets has stored page
// `page`, so that the Syncer stops between storing a page and saving its
// cursor. It embeds the Store interface, not *sqlstore.Store, so that the
// Syncer does not see StorePage and writes tickets and cursor separately:
// the boundary between the two writes is what this test cuts.
type cancelAfterUpsert struct {
	ticketsync.Store
	page, calls int
	cancel      context.CancelFunc
}

func (s *cancelAfterUpsert) UpsertTickets(ctx context.Context, tickets []ticketsync.Ticket) error {
	err := s.Store.UpsertTickets(ctx, tickets)
	if s.calls++; s.calls == s.page {
		s.cancel()
	}
	return err
}

// TestCrashAtEveryPageBoundary stops a sync at each page boundary in turn
// (before fetching page k, and after storing page k but before saving its
// cursor), then resumes it with a new Syncer: it continues from the stored
// cursor and ends with exactly the source's tickets.
func TestCrashAtEveryPageBoundary(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		db := openDB(t, d)
		for k := 1; k <= crashPages; k++ {
			for _, cut := range []string{"before-fetch", "after-store"} {
				t.Run(fmt.Sprintf("page%d-%s", k, cut), func(t *testing.T) {
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					s := newStoreOn(t, db, d, nil)
					var store ticketsync.Store = s
					src := &crashSource{}
					wantCursor := strconv.Itoa(k - 1) // stored before the stop
					switch cut {
					case "before-fetch":
						src.before = func(ctx context.Context, cursor string) error {
							if cursor == wantCursor || (k == 1 && cursor == "") {
								cancel()
								return ctx.Err()
							}
							return nil
						}
					case "after-store":
						store = &cancelAfterUpsert{Store: s, page: k, cancel: cancel}
					}
					if k == 1 {
						wantCursor = ""
					}
					syncer := ticketsync.NewSyncer(store, nil)
					if err := syncer.Add("crash", src, ticketsync.ModePoll); err != nil {
						t.Fatal(err)
					}
					if _, err := syncer.SyncNow(ctx, "crash"); err == nil {
						t.Fatal("the stopped sync reported no error")
					}
					if cur, _ := s.Cursor(context.Background(), "crash"); cur != wantCursor {
						t.Fatalf("cursor after stopping at page %d: %q, want %q", k, cur, wantCursor)
					}

					resumed := &crashSource{}
					syncer = ticketsync.NewSyncer(s, nil)
					if err := syncer.Add("crash", resumed, ticketsync.ModePoll); err != nil {
						t.Fatal(err)
					}
					if _, err := syncer.SyncNow(context.Background(), "crash"); err != nil {
						t.Fatal(err)
					}
					if resumed.cursors[0] != wantCursor {
						t.Errorf("resumed at cursor %q, want the stored %q", resumed.cursors[0], wantCursor)
					}
					expectSourceTickets(t, s)
				})
			}
		}
	})
}

// Environment of the child process of TestCrashKill.
const (
	crashChildEnv  = "SQLSTORE_CRASH_CHILD" // dialect
	crashDSNEnv    = "SQLSTORE_CRASH_DSN"
	crashPrefixEnv = "SQLSTORE_CRASH_PREFIX"
	crashKillPage  = 3 // the child is killed after storing this many pages
	crashHolder    = "crash-replica"
)

// TestCrashKill runs a sync in a child process (this test binary again)
// and kills it with SIGKILL between two pages; the parent then resumes from
// the stored cursor and ends with exactly the source's tickets.
func TestCrashKill(t *testing.T) {
	if d := os.Getenv(crashChildEnv); d != "" {
		crashChild(t, sqlstore.Dialect(d))
		return
	}
	forEachDialect(t, func(t *testing.T, d sqlstore.Dialect) {
		var dsn string
		var db *sql.DB
		switch d {
		case sqlstore.Postgres:
			db = openDB(t, d)
			dsn = os.Getenv(dsnEnv)
		case sqlstore.SQLite:
			dsn = sqliteDSN(t.TempDir() + "/crash.db")
			var err error
			if db, err = sql.Open("sqlite", dsn); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
		}
		prefix := uniquePrefix(t, db, d)
		// The child creates the tables; the parent opens them after.

		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKill$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+string(d), crashDSNEnv+"="+dsn, crashPrefixEnv+"="+prefix)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := false
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if strings.TrimSpace(lines.Text()) == "crash-child: between pages" {
				ready = true
				break
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		if !ready {
			t.Fatalf("child ended before reaching page %d: %v", crashKillPage+1, err)
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("child was not killed by SIGKILL: %v", err)
		}

		s := newStoreOn(t, db, d, &sqlstore.Options{TablePrefix: prefix})
		if cur, _ := s.Cursor(context.Background(), "crash"); cur != strconv.Itoa(crashKillPage) {
			t.Fatalf("cursor after the kill %q, want %q", cur, strconv.Itoa(crashKillPage))
		}
		// The killed child still holds the connector's lease; a restarted
		// replica with the same Holder takes it back at once.
		resumed := &crashSource{}
		syncer := ticketsync.NewSyncer(s, &ticketsync.Options{Holder: crashHolder})
		if err := syncer.Add("crash", resumed, ticketsync.ModePoll); err != nil {
			t.Fatal(err)
		}
		if _, err := syncer.SyncNow(context.Background(), "crash"); err != nil {
			t.Fatal(err)
		}
		if resumed.cursors[0] != strconv.Itoa(crashKillPage) {
			t.Errorf("resumed at cursor %q, want %q", resumed.cursors[0], strconv.Itoa(crashKillPage))
		}
		expectSourceTickets(t, s)
	})
}

// crashChild syncs until page crashKillPage is stored, says so on stdout
// and waits in the next Fetch to be killed.
func crashChild(t *testing.T, d sqlstore.Dialect) {
	driver := "pgx"
	if d == sqlstore.SQLite {
		driver = "sqlite"
	}
	db, err := sql.Open(driver, os.Getenv(crashDSNEnv))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.New(context.Background(), db, &sqlstore.Options{TablePrefix: os.Getenv(crashPrefixEnv)})
	if err != nil {
		t.Fatal(err)
	}
	var said atomic.Bool
	src := &crashSource{before: func(ctx context.Context, cursor string) error {
		if cursor == strconv.Itoa(crashKillPage) && !said.Swap(true) {
			fmt.Println("crash-child: between pages")
			select {} // killed here
		}
		return nil
	}}
	syncer := ticketsync.NewSyncer(s, &ticketsync.Options{Holder: crashHolder})
	if err := syncer.Add("crash", src, ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}
	_, err = syncer.SyncNow(context.Background(), "crash")
	t.Fatalf("child sync ended instead of being killed: %v", err)
}
