// Command freshdesk syncs a real Freshdesk account into an in-memory store,
// by polling and by webhooks at once, as examples/quickstart does against a
// fake. It reads its settings from the environment:
//
//	FRESHDESK_DOMAIN         acme, for https://acme.freshdesk.com
//	FRESHDESK_API_KEY        Profile icon → Profile Settings → View API Key, of an
//	                         agent whose ticket scope is "All tickets"
//	FRESHDESK_WEBHOOK_TOKEN  optional: the token the automation's "Trigger webhook"
//	                         action sends in the X-Ticketsync-Token header
//	FRESHDESK_PLAN           optional: growth (default), pro or enterprise, for the
//	                         API limits
//	FRESHDESK_START_TIME     optional: RFC 3339 time to sync from; default the last 7 days
//	ADDR                     optional: where to serve webhooks; default localhost:8080
//
//	go run ./examples/freshdesk
//
// It checks the API key, polls at once and every 15 minutes, and serves the
// webhook handler at http://ADDR/api/webhooks/tickets?connectorId=freshdesk
// (expose it with a tunnel and use it as the action's URL, with
// freshdesk.RecommendedWebhookTemplate as its JSON body). Stop it with
// Ctrl-C: it prints the sync history and exits. It is not run in CI.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/freshdesk"
	"github.com/ticketsync/ticketsync/memstore"
)

const connectorID = "freshdesk"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		log.SetFlags(0)
		log.Fatal(err)
	}
}

// plans are the API limits of Freshdesk's plans: credits a minute and the
// Tickets List sub-limit.
var plans = map[string][2]int{"growth": {200, 20}, "pro": {400, 100}, "enterprise": {700, 200}}

func run(ctx context.Context) error {
	var missing []string
	env := func(name string) string {
		v := strings.TrimSpace(os.Getenv(name))
		if v == "" {
			missing = append(missing, name)
		}
		return v
	}
	cfg := freshdesk.Config{
		Domain:       env("FRESHDESK_DOMAIN"),
		APIKey:       env("FRESHDESK_API_KEY"),
		WebhookToken: os.Getenv("FRESHDESK_WEBHOOK_TOKEN"),
		StartTime:    time.Now().Add(-7 * 24 * time.Hour),
	}
	if len(missing) > 0 {
		return fmt.Errorf("freshdesk example: set %s (see go doc ./examples/freshdesk); nothing was sent", strings.Join(missing, ", "))
	}
	if v := os.Getenv("FRESHDESK_START_TIME"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("freshdesk example: FRESHDESK_START_TIME %q is not an RFC 3339 time such as 2026-01-31T00:00:00Z", v)
		}
		cfg.StartTime = t
	}
	if v := strings.ToLower(os.Getenv("FRESHDESK_PLAN")); v != "" {
		limits, ok := plans[v]
		if !ok {
			return fmt.Errorf("freshdesk example: FRESHDESK_PLAN %q is not growth, pro or enterprise", v)
		}
		cfg.RequestsPerMinute, cfg.ListRequestsPerMinute = limits[0], limits[1]
	}
	fd, err := freshdesk.New(cfg)
	if err != nil {
		return err
	}
	if err := fd.Test(ctx); err != nil {
		return err
	}
	fmt.Println("API key ok:", cfg.Domain)

	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, &ticketsync.Options{
		OnTickets: func(_ context.Context, _ string, tickets []ticketsync.Ticket) {
			for _, t := range tickets {
				fmt.Printf("  stored #%s %-8s %-20s %s\n", t.ID, t.Status, t.RawStatus, t.Subject)
			}
		},
	})
	mode := ticketsync.ModeBoth
	if cfg.WebhookToken == "" {
		mode = ticketsync.ModePoll
		fmt.Println("FRESHDESK_WEBHOOK_TOKEN is not set: polling only")
	}
	if err := syncer.Add(connectorID, fd, mode); err != nil {
		return err
	}

	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "localhost:8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/webhooks/tickets", syncer.WebhookHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("webhooks: http://%s/api/webhooks/tickets?connectorId=%s\n", ln.Addr(), connectorID)

	err = syncer.Run(ctx) // polls at once, then every 15 minutes, until Ctrl-C
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}

	runs, err := store.SyncRuns(context.Background(), connectorID, 20)
	if err != nil {
		return err
	}
	fmt.Printf("\n%d tickets synced; sync history, newest first:\n", store.Len(connectorID))
	for _, r := range runs {
		fmt.Printf("  %s  %-7s %-9s %5d tickets  attempt %d  %s\n", r.StartedAt.Format(time.RFC3339), r.Trigger, r.Status,
			r.Tickets, r.Attempt, strings.Join(r.Errors, "; "))
	}
	return nil
}
