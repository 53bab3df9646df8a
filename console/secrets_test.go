package console_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ticketsync/ticketsync/console"
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
