// Command zendesk syncs a real Zendesk account into an in-memory store, by
// polling and by webhooks at once, as examples/quickstart does against the
// fake. It reads its settings from the environment:
//
//	ZENDESK_SUBDOMAIN       acmecorp, for https://acmecorp.zendesk.com
//	ZENDESK_EMAIL           an admin's sign-in email
//	ZENDESK_API_TOKEN       Admin Center → Apps and integrations → APIs → Zendesk API
//	ZENDESK_WEBHOOK_SECRET  optional: the webhook's signing secret (Admin Center →
//	                        Apps and integrations → Webhooks → the webhook → Reveal)
//	ZENDESK_START_TIME      optional: RFC 3339 time to sync from; default the last 7 days
//	ADDR                    optional: where to serve webhooks; default localhost:8080
//
//	go run ./examples/zendesk
//
// It checks the credentials, polls at once and every 15 minutes, and serves
// the webhook handler at http://ADDR/api/webhooks/tickets?connectorId=zendesk
// (expose it with a tunnel and set it as the webhook's endpoint URL). Stop
// it with Ctrl-C: it prints the sync history and exits. It is not run in CI.
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
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/zendesk"
)

const connectorID = "zendesk"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		log.SetFlags(0)
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	var missing []string
	env := func(name string) string {
		v := strings.TrimSpace(os.Getenv(name))
		if v == "" {
			missing = append(missing, name)
		}
		return v
	}
	cfg := zendesk.Config{
		Subdomain:     env("ZENDESK_SUBDOMAIN"),
		Email:         env("ZENDESK_EMAIL"),
		APIToken:      env("ZENDESK_API_TOKEN"),
		WebhookSecret: os.Getenv("ZENDESK_WEBHOOK_SECRET"),
		StartTime:     time.Now().Add(-7 * 24 * time.Hour),
	}
	if len(missing) > 0 {
		return fmt.Errorf("zendesk example: set %s (see go doc ./examples/zendesk); nothing was sent", strings.Join(missing, ", "))
	}
	if v := os.Getenv("ZENDESK_START_TIME"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("zendesk example: ZENDESK_START_TIME %q is not an RFC 3339 time such as 2026-01-31T00:00:00Z", v)
		}
		cfg.StartTime = t
	}
	zd, err := zendesk.New(cfg)
	if err != nil {
		return err
	}
	if err := zd.Test(ctx); err != nil {
		return err
	}
	fmt.Println("credentials ok:", cfg.Subdomain)

	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, &ticketsync.Options{
		OnTickets: func(_ context.Context, _ string, tickets []ticketsync.Ticket) {
			for _, t := range tickets {
				if t.Subject != "" {
					fmt.Printf("  stored #%s %-8s %s\n", t.ID, t.Status, t.Subject)
				}
			}
		},
	})
	mode := ticketsync.ModeBoth
	if cfg.WebhookSecret == "" {
		mode = ticketsync.ModePoll
		fmt.Println("ZENDESK_WEBHOOK_SECRET is not set: polling only")
	}
	if err := syncer.Add(connectorID, zd, mode); err != nil {
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
	// Timeouts keep slow or stalled senders from holding connections:
	// the Syncer also bounds each delivery's body (WebhookReadTimeout).
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
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
