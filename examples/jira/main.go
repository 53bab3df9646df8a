// Command jira syncs a Jira Service Management site into an in-memory
// store, by polling and by webhooks at once. With no settings it runs
// against the fake site of package jiratest, in-process, and shows a
// signed webhook delivery arriving; with these environment variables it
// syncs a real site:
//
//	JIRA_SUBDOMAIN       acme, for https://acme.atlassian.net
//	JIRA_EMAIL           the Atlassian account email of an agent
//	JIRA_API_TOKEN       id.atlassian.com → Security → API tokens
//	JIRA_PROJECTS        optional: service desk project keys, comma-separated;
//	                     default every service desk the agent sees
//	JIRA_WEBHOOK_SECRET  optional: the secret of the admin webhook (Jira settings →
//	                     System → WebHooks)
//	ADDR                 optional: where to serve webhooks; default localhost:8080
//
//	go run ./examples/jira
//
// Against a real site it checks the credentials, syncs the last 7 days at
// once and every 15 minutes, and serves the webhook handler at
// http://ADDR/api/webhooks/tickets?connectorId=jira until Ctrl-C, then
// prints the sync history.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/jira"
	"github.com/ticketsync/ticketsync/jira/jiratest"
	"github.com/ticketsync/ticketsync/memstore"
)

const connectorID = "jira"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	if os.Getenv("JIRA_SUBDOMAIN") == "" && os.Getenv("JIRA_API_TOKEN") == "" {
		err = runFake(ctx, os.Stdout)
	} else {
		err = runSite(ctx)
	}
	if err != nil {
		log.SetFlags(0)
		log.Fatal(err)
	}
}

// runFake syncs the fake site: a poll, then a comment and a deletion
// pushed by webhook.
func runFake(ctx context.Context, w io.Writer) error {
	const secret = "example-webhook-secret"
	site := jiratest.New(&jiratest.Options{TimeZone: "America/Los_Angeles"})
	defer site.Close()
	issues := site.Seed(25, 3)
	fmt.Fprintf(w, "fake Jira site at %s with %d issues (set JIRA_SUBDOMAIN to sync a real site)\n", site.URL, len(issues))

	conn, err := jira.New(jira.Config{BaseURL: site.URL, Email: site.Email(), APIToken: site.Token(), WebhookSecret: secret})
	if err != nil {
		return err
	}
	if err := conn.Test(ctx); err != nil {
		return err
	}
	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, nil)
	if err := syncer.Add(connectorID, conn, ticketsync.ModeBoth); err != nil {
		return err
	}
	run, err := syncer.SyncNow(ctx, connectorID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "poll: %s, %d tickets\n", run.Status, run.Tickets)
	for _, is := range issues[:3] {
		t, _ := store.Ticket(ctx, connectorID, fmt.Sprint(is.ID))
		fmt.Fprintf(w, "  %s %-8s %-20q %s, %d comments\n", t.Fields[jira.FieldKey], t.Status, t.RawStatus, t.Subject, len(t.Comments))
	}

	// An agent adds an internal note, another issue is deleted: Jira
	// pushes both.
	handler := httptest.NewServer(syncer.WebhookHandler())
	defer handler.Close()
	target := handler.URL + "/api/webhooks/tickets?connectorId=" + connectorID
	site.AddComment(issues[0].ID, jiratest.Comment{Body: jiratest.Doc("Escalated to the network team."), Public: false})
	site.DeleteIssue(issues[1].ID)
	for _, d := range []struct {
		event string
		id    int64
	}{{jiratest.CommentCreated, issues[0].ID}, {jiratest.IssueDeleted, issues[1].ID}} {
		delivery, _ := site.Webhook(d.event, d.id, 0)
		req, err := delivery.Request(target, secret)
		if err != nil {
			return err
		}
		resp, err := handler.Client().Do(req.WithContext(ctx))
		if err != nil {
			return err
		}
		resp.Body.Close()
		fmt.Fprintf(w, "webhook %s about %d: %s\n", d.event, d.id, resp.Status)
	}
	t, _ := store.Ticket(ctx, connectorID, fmt.Sprint(issues[0].ID))
	last := t.Comments[len(t.Comments)-1]
	fmt.Fprintf(w, "  %s now has %d comments, the last internal (public %t): %q\n", t.Fields[jira.FieldKey], len(t.Comments), last.Public, last.Body)
	gone, _ := store.Ticket(ctx, connectorID, fmt.Sprint(issues[1].ID))
	fmt.Fprintf(w, "  %s deleted: %t (a tombstone keeps %q)\n", gone.Fields[jira.FieldKey], gone.Deleted, gone.Subject)
	return nil
}

// runSite syncs a real site until Ctrl-C.
func runSite(ctx context.Context) error {
	var missing []string
	env := func(name string) string {
		v := strings.TrimSpace(os.Getenv(name))
		if v == "" {
			missing = append(missing, name)
		}
		return v
	}
	cfg := jira.Config{
		Subdomain:     env("JIRA_SUBDOMAIN"),
		Email:         env("JIRA_EMAIL"),
		APIToken:      env("JIRA_API_TOKEN"),
		WebhookSecret: os.Getenv("JIRA_WEBHOOK_SECRET"),
		StartTime:     time.Now().Add(-7 * 24 * time.Hour),
	}
	if len(missing) > 0 {
		return fmt.Errorf("jira example: set %s (see go doc ./examples/jira); nothing was sent", strings.Join(missing, ", "))
	}
	if p := os.Getenv("JIRA_PROJECTS"); p != "" {
		cfg.Projects = strings.Split(p, ",")
	}
	conn, err := jira.New(cfg)
	if err != nil {
		return err
	}
	if err := conn.Test(ctx); err != nil {
		return err
	}
	fmt.Println("credentials ok:", cfg.Subdomain)
	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, &ticketsync.Options{
		OnTickets: func(_ context.Context, _ string, tickets []ticketsync.Ticket) {
			for _, t := range tickets {
				fmt.Printf("  stored %s %-8s %s\n", t.Fields[jira.FieldKey], t.Status, t.Subject)
			}
		},
	})
	mode := ticketsync.ModeBoth
	if cfg.WebhookSecret == "" {
		mode = ticketsync.ModePoll
		fmt.Println("JIRA_WEBHOOK_SECRET is not set: polling only")
	}
	if err := syncer.Add(connectorID, conn, mode); err != nil {
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

	err = syncer.Run(ctx)
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
	var b bytes.Buffer
	fmt.Fprintf(&b, "\n%d tickets synced; sync history, newest first:\n", store.Len(connectorID))
	for _, r := range runs {
		fmt.Fprintf(&b, "  %s  %-7s %-9s %5d tickets  attempt %d  %s\n", r.StartedAt.Format(time.RFC3339), r.Trigger, r.Status,
			r.Tickets, r.Attempt, strings.Join(r.Errors, "; "))
	}
	fmt.Print(b.String())
	return nil
}
