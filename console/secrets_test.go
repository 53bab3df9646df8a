package console_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
	"github.com/ticketsync/ticketsync/zendesk"
)

// lockedBuffer is a log sink for several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestNoSecretInAnyPageOrLog(t *testing.T) {
	var logs lockedBuffer
	e := newEnv(t, func(o *console.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	const wrongToken, webhookSecret = "wrong-token-never-shown", "whsec-typed-in-the-form"
	secrets := []string{e.fake.Token, wrongToken, webhookSecret}

	var pages []response
	pages = append(pages, e.post("/connect/zendesk", e.connectForm("acme-zendesk", wrongToken)))
	f := e.connectForm("acme-zendesk", e.fake.Token)
	f.Set("id", "bad id") // fails before the test: the token must not come back either
	pages = append(pages, e.post("/connect/zendesk", f))
	pages = append(pages, e.post("/connect/zendesk", e.connectForm("acme-zendesk", e.fake.Token)))
	pages = append(pages, e.post("/connect/zendesk", e.connectForm("acme-zendesk", e.fake.Token))) // taken
	pages = append(pages, e.follow(e.post("/connectors/acme-zendesk/sync", url.Values{})))
	for _, p := range []string{"/", "/connect", "/connect/zendesk", "/connectors/acme-zendesk", "/connectors/acme-zendesk/remove", "/import"} {
		pages = append(pages, e.get(p))
	}
	// Explain and Repair show the platform's tickets and errors: one
	// connector with the good token, one with the wrong token, whose 401 the
	// explanation shows.
	ticket := strconv.FormatInt(e.fake.Tickets()[0].ID, 10)
	zd, err := zendesk.New(zendesk.Config{BaseURL: e.fake.URL, Email: e.fake.Email, APIToken: wrongToken,
		ExportRequestsPerMinute: -1, RequestsPerMinute: -1, WebhookSecret: webhookSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.syncer.Add("wrong-token", zd, ticketsync.ModeBoth); err != nil {
		t.Fatal(err)
	}
	pages = append(pages, e.explain("acme-zendesk", ticket), e.explain("wrong-token", ticket),
		e.follow(e.post("/connectors/acme-zendesk/repair", url.Values{"ticket": {ticket}})),
		e.post("/connectors/wrong-token/repair", url.Values{"ticket": {ticket}}))
	if n := len(pages); !strings.Contains(pages[n-3].body, "The platform could not be asked") || !strings.Contains(pages[n-1].body, "Not repaired") {
		t.Fatal("the explanation or repair against the wrong token shows no platform error, so this test proves little")
	}
	if len(e.conns.List()) != 1 {
		t.Fatal("the connection was not made, so this test proves little")
	}
	for i, p := range pages {
		for _, s := range secrets {
			if strings.Contains(p.body, s) {
				t.Errorf("page %d (%d) shows the secret %q", i, p.status, s)
			}
		}
	}
	out := logs.String()
	if !strings.Contains(out, "console: connected") || !strings.Contains(out, "console: test failed") {
		t.Fatalf("the logs do not cover the connection, so this test proves little:\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the log shows the secret %q", s)
		}
	}
	// Nor does the history the sync wrote.
	runs, _ := e.store.SyncRuns(context.Background(), "acme-zendesk", 0)
	for _, r := range runs {
		for _, s := range secrets {
			if strings.Contains(strings.Join(r.Errors, " "), s) {
				t.Errorf("run errors show %q", s)
			}
		}
	}
}
