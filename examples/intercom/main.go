// Command intercom syncs an Intercom workspace's conversations and tickets
// into an in-memory store, by polling and by webhooks at once. With -fake
// it runs against intercomtest's fake workspace, with no credentials and
// no network; otherwise it reads its settings from the environment:
//
//	INTERCOM_ACCESS_TOKEN   Developer Hub → your app → Authentication → Access token
//	INTERCOM_REGION         optional: US (default), EU or AU, where the workspace is hosted
//	INTERCOM_CLIENT_SECRET  optional: Developer Hub → your app → Basic information → Client secret
//	INTERCOM_START_TIME     optional: RFC 3339 time to sync from; default the last 7 days
//	ADDR                    optional: where to serve webhooks; default localhost:8080
//
//	go run ./examples/intercom -fake
//	go run ./examples/intercom
//
// It checks the token, polls at once and every 15 minutes, and serves the
// webhook handler at http://ADDR/api/webhooks/tickets?connectorId=intercom
// (expose it with a tunnel and set it as the app's webhook endpoint). With
// -fake it also sends one signed notification to that handler, then stops;
// otherwise stop it with Ctrl-C. It prints the sync history and exits.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/intercom"
	"github.com/ticketsync/ticketsync/intercom/intercomtest"
	"github.com/ticketsync/ticketsync/memstore"
)

const connectorID = "intercom"

func main() {
	fake := flag.Bool("fake", false, "run against a fake workspace in this process")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *fake); err != nil {
		log.SetFlags(0)
		log.Fatal(err)
	}
}

func run(ctx context.Context, useFake bool) error {
	cfg := intercom.Config{
		AccessToken:  strings.TrimSpace(os.Getenv("INTERCOM_ACCESS_TOKEN")),
		Region:       os.Getenv("INTERCOM_REGION"),
		ClientSecret: os.Getenv("INTERCOM_CLIENT_SECRET"),
		StartTime:    time.Now().Add(-7 * 24 * time.Hour),
	}
	var ws *intercomtest.Server
	if useFake {
		ws = intercomtest.New(nil)
		defer ws.Close()
		if _, _, err := ws.Seed(8, 4, 3); err != nil {
			return err
		}
		cfg = intercom.Config{AccessToken: ws.Token(), ClientSecret: ws.ClientSecret(), BaseURL: ws.URL, HTTPClient: ws.Client()}
	} else if cfg.AccessToken == "" {
		return errors.New("intercom example: set INTERCOM_ACCESS_TOKEN (see go doc ./examples/intercom), or run with -fake; nothing was sent")
	}
	if v := os.Getenv("INTERCOM_START_TIME"); v != "" && !useFake {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("intercom example: INTERCOM_START_TIME %q is not an RFC 3339 time such as 2026-01-31T00:00:00Z", v)
		}
		cfg.StartTime = t
	}
	ic, err := intercom.New(cfg)
	if err != nil {
		return err
	}
	if err := ic.Test(ctx); err != nil {
		return err
	}
	fmt.Println("token ok")

	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, &ticketsync.Options{
		OnTickets: func(_ context.Context, _ string, tickets []ticketsync.Ticket) {
			for _, t := range tickets {
				fmt.Printf("  stored %-16s %-8s %q, %d comments\n", t.ID, t.Status, t.Subject, len(t.Comments))
			}
		},
	})
	mode := ticketsync.ModeBoth
	if cfg.ClientSecret == "" {
		mode = ticketsync.ModePoll
		fmt.Println("INTERCOM_CLIENT_SECRET is not set: polling only")
	}
	if err := syncer.Add(connectorID, ic, mode); err != nil {
		return err
	}

	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "localhost:8080"
	}
	if useFake {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/webhooks/tickets", syncer.WebhookHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	hook := fmt.Sprintf("http://%s/api/webhooks/tickets?connectorId=%s", ln.Addr(), connectorID)
	fmt.Println("webhooks:", hook)

	if useFake {
		if _, err := syncer.SyncNow(ctx, connectorID); err != nil {
			return err
		}
		// A customer replies; Intercom notifies the endpoint.
		ws.TakeNotifications()
		ct := ws.AddContact(intercomtest.Contact{Name: "Late Customer", Email: "late@example.com"})
		id, err := ws.CreateConversation(intercomtest.NewConversation{Subject: "Arrived by webhook", Body: "<p>Hello <b>again</b></p>", ContactID: ct})
		if err != nil {
			return err
		}
		_, body := ws.WebhookRequest(hook, ws.NotificationFor("conversation.user.created", "conversation", id))
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(intercom.SignatureHeader, intercomtest.Sign(ws.ClientSecret(), body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println("webhook answered", resp.Status)
	} else {
		err = syncer.Run(ctx) // polls at once, then every 15 minutes, until Ctrl-C
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)

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
