// Command quickstart syncs a Zendesk account into an in-memory store, by
// polling and by webhooks at once, and prints what it synced and the sync
// history. The account is the zendesktest fake, started in-process with a
// few hundred tickets, so the program needs no credentials and no network:
//
//	go run ./examples/quickstart
//
// It starts a Syncer in ModeBoth with memstore, lets the first sync run (a live lane and a backfill lane),
// changes two tickets on the fake, sends the webhooks Zendesk would send for
// those changes to the Syncer's webhook handler over HTTP, and prints the
// result. It finishes on its own in a few seconds. examples/zendesk does
// the same against a real account.
//
// With -db the tickets, cursor and history are kept in a database instead,
// and survive restarts: a SQLite file path, or a PostgreSQL URL.
//
//	go run ./examples/quickstart -db tickets.db
//	go run ./examples/quickstart -db postgres://user@localhost/tickets
//
// With -console it then keeps running and serves the connector console
// (package console) at http://localhost:8080/support/, with the Syncer's
// webhook handler next to it, until interrupted: the connector, its sync
// history, "Connect a platform" (against the fake account) and CSV import,
// in a browser. Only requests from this machine are let in.
//
//	go run ./examples/quickstart -console :8080
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite", pure Go

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/sqlstore"
	"github.com/ticketsync/ticketsync/zendesk"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

const (
	connectorID   = "acme-zendesk"
	webhookSecret = "demo-webhook-signing-secret"
	seedTickets   = 300
)

func main() {
	dsn := flag.String("db", "", "keep state in this SQLite file or PostgreSQL URL (default: in memory)")
	consoleAddr := flag.String("console", "", "then serve the connector console on this address, such as :8080, until interrupted")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *dsn, *consoleAddr); err != nil {
		log.Fatal(err)
	}
}

// store is what the example needs of a Store: the contract, and a listing.
type store interface {
	ticketsync.Store
	list(ctx context.Context) ([]ticketsync.Ticket, error)
}

type memStore struct{ *memstore.Store }

func (m memStore) list(context.Context) ([]ticketsync.Ticket, error) {
	return m.Tickets(connectorID), nil
}

type sqlStore struct{ *sqlstore.Store }

func (s sqlStore) list(ctx context.Context) ([]ticketsync.Ticket, error) {
	var all []ticketsync.Ticket
	opts := &sqlstore.ListOptions{PageSize: sqlstore.MaxPageSize}
	for {
		page, err := s.ListTickets(ctx, connectorID, opts)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Tickets...)
		if page.NextPageToken == "" {
			return all, nil
		}
		opts.PageToken = page.NextPageToken
	}
}

// openStore returns memstore for an empty dsn, else sqlstore over PostgreSQL
// (a postgres:// URL) or a SQLite file.
func openStore(ctx context.Context, dsn string) (store, func(), error) {
	if dsn == "" {
		return memStore{memstore.New()}, func() {}, nil
	}
	driver := "sqlite"
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver = "pgx"
	} else {
		dsn = "file:" + dsn + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, err
	}
	s, err := sqlstore.New(ctx, db, nil)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return sqlStore{s}, func() { db.Close() }, nil
}

func run(ctx context.Context, out io.Writer, dsn, consoleAddr string) error {
	// A fake Zendesk account. Its export budget is raised from Zendesk's 10
	// requests a minute so that the demo does not wait between pages.
	fake := zendesktest.New(&zendesktest.Options{Subdomain: "acme", ExportRateLimit: 120})
	defer fake.Close()
	// Its history was last changed over the day before: the backfill lane
	// walks it while the live lane reads what changes from now on.
	fake.GenerateTickets(seedTickets, &zendesktest.GenerateOptions{Newest: time.Hour, Spacing: 4 * time.Minute})

	zd, err := zendesk.New(zendesk.Config{
		Subdomain:               "acme",
		BaseURL:                 fake.URL, // leave empty for https://acme.zendesk.com
		Email:                   fake.Email,
		APIToken:                fake.Token,
		ExportRequestsPerMinute: 120,
		WebhookSecret:           webhookSecret,
	})
	if err != nil {
		return err
	}
	if err := zd.Test(ctx); err != nil {
		return err
	}

	store, closeStore, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer closeStore()
	if before, err := store.list(ctx); err != nil {
		return err
	} else if len(before) > 0 {
		fmt.Fprintf(out, "the store already holds %d tickets from an earlier run\n", len(before))
	}
	syncer := ticketsync.NewSyncer(store, nil)
	if err := syncer.Add(connectorID, zd, ticketsync.ModeBoth); err != nil {
		return err
	}
	if cursor, err := store.Cursor(ctx, connectorID); err != nil {
		return err
	} else if cursor != "" {
		// The fake is a new Zendesk account on each run, which the saved
		// cursor, tied to its account, does not fit: start over from the
		// beginning. The stored tickets stay, and the poll finds them again.
		if err := syncer.ResetCursor(ctx, connectorID); err != nil {
			return err
		}
		fmt.Fprintln(out, "the earlier run's cursor belongs to another fake account: reset")
	}
	began := time.Now()
	hooks := httptest.NewUnstartedServer(syncer.WebhookHandler())
	// A real server sets these too, so that slow senders cannot hold
	// connections open.
	hooks.Config.ReadHeaderTimeout = 10 * time.Second
	hooks.Config.ReadTimeout = time.Minute
	hooks.Config.IdleTimeout = 2 * time.Minute
	hooks.Start()
	defer hooks.Close()

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- syncer.Run(runCtx) }()
	defer func() {
		stop()
		<-done
	}()

	if err := waitForFirstSync(ctx, syncer, began); err != nil {
		return err
	}
	tickets, err := store.list(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "first sync: %d tickets in the store, %d requests to Zendesk\n", len(tickets), fake.RequestCount("", ""))

	// Two changes on Zendesk, pushed by webhooks a poll would see only in
	// 15 minutes.
	first, second := int64(1), int64(2)
	if _, err := fake.UpdateTicket(first, func(t *zendesktest.Ticket) {
		t.Subject = "Printer on fire (escalated)"
		t.Status, t.Priority = "open", "urgent"
	}); err != nil {
		return err
	}
	if _, err := fake.AddComment(second, zendesktest.Comment{Body: "It works again, thanks!", Public: true}); err != nil {
		return err
	}
	for _, ev := range []struct {
		typ string
		id  int64
	}{{"ticket.priority_changed", first}, {"ticket.comment_added", second}} {
		body, err := fake.EventPayload(ev.typ, ev.id)
		if err != nil {
			return err
		}
		req, err := fake.SignedWebhook(hooks.URL+"/api/webhooks/tickets?connectorId="+connectorID, webhookSecret, body)
		if err != nil {
			return err
		}
		resp, err := hooks.Client().Do(req.WithContext(ctx))
		if err != nil {
			return err
		}
		resp.Body.Close()
		fmt.Fprintf(out, "webhook %s about ticket #%d: HTTP %d\n", ev.typ, ev.id, resp.StatusCode)
	}

	if tickets, err = store.list(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nsynced %d tickets; the first five:\n", len(tickets))
	byID := make(map[string]ticketsync.Ticket, len(tickets))
	for _, t := range tickets {
		byID[t.ID] = t
	}
	for i := 1; i <= 5; i++ {
		t := byID[strconv.Itoa(i)]
		last := ""
		if n := len(t.Comments); n > 0 {
			last = t.Comments[n-1].Body
		}
		fmt.Fprintf(out, "  #%-3s %-8s %-7s %-40.40s %-28s %d comments, last: %.40q\n",
			t.ID, t.Status, t.Priority, t.Subject, t.Requester.Email, len(t.Comments), last)
	}

	runs, err := store.SyncRuns(ctx, connectorID, 10)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nsync history, newest first:")
	for _, r := range runs {
		line := fmt.Sprintf("  %s  %-8s %-9s %4d tickets  attempt %d  errors %d",
			r.StartedAt.Format("15:04:05.000"), r.Trigger, r.Status, r.Tickets, r.Attempt, len(r.Errors))
		if r.Trigger == ticketsync.TriggerWebhook {
			// One webhook run holds a minute of deliveries.
			line += fmt.Sprintf("  deliveries %d", r.Deliveries)
		}
		if !r.NextRetryAt.IsZero() {
			line += "  retry at " + r.NextRetryAt.Format("15:04:05")
		}
		for _, e := range r.Errors {
			line += "\n      error: " + e
		}
		fmt.Fprintln(out, line)
	}
	// The last poll, whatever the webhooks did since.
	polls, err := syncer.History(ctx, connectorID, ticketsync.TriggerPoll, 1)
	if err != nil {
		return err
	}
	if len(polls) > 0 {
		fmt.Fprintf(out, "last sync: %s (%s, %s)\n", polls[0].FinishedAt.Format(time.RFC3339), polls[0].Trigger, polls[0].Status)
	}
	if consoleAddr == "" {
		return nil
	}
	return serveConsole(ctx, out, consoleAddr, syncer, store, fake)
}

// consolePrefix is where the quickstart mounts the console.
const consolePrefix = "/support"

// serveConsole serves the connector console and the webhook handler on
// addr until ctx ends.
func serveConsole(ctx context.Context, out io.Writer, addr string, syncer *ticketsync.Syncer, store ticketsync.Store, fake *zendesktest.Server) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/webhooks/tickets", syncer.WebhookHandler())
	mux.Handle(consolePrefix+"/", console.Handler(syncer, store, &console.Options{
		// A real host checks its own session here. The demo lets in
		// only requests from this machine.
		Authorize: fromLoopback,
		Prefix:    consolePrefix,
		// "Connect a platform" connects more Zendesk accounts, all
		// served by the fake: subdomain acme, email admin@example.com
		// and the fake's token, zendesktest.DefaultToken.
		Platforms: []console.Platform{
			console.PlatformOf(zendesk.Form(), zendesk.New, func(c *zendesk.Config) {
				c.BaseURL = fake.URL
				c.ExportRequestsPerMinute = 120
			}),
		},
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); host == "" || ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	fmt.Fprintf(out, "\nconsole: http://%s%s/ (Ctrl-C to stop)\n", net.JoinHostPort(host, port), consolePrefix)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// fromLoopback lets in requests from this machine only.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// waitForFirstSync waits for the first poll run that started at or after
// began to end, and for the backfill lane, when the connector has one, to
// have walked the history.
func waitForFirstSync(ctx context.Context, syncer *ticketsync.Syncer, began time.Time) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		runs, err := syncer.History(ctx, connectorID, ticketsync.TriggerPoll, 1)
		if err != nil {
			return err
		}
		if len(runs) == 1 && !runs[0].StartedAt.Before(began) && runs[0].Status != ticketsync.RunRunning {
			if runs[0].Status != ticketsync.RunSucceeded {
				return fmt.Errorf("first poll %s: %v", runs[0].Status, runs[0].Errors)
			}
			if st, _ := syncer.Status(connectorID); st.Backfill == nil || st.Backfill.Done {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("the first sync did not finish within 2 minutes")
}
