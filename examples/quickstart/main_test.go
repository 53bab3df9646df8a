package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestQuickstart runs the example and checks what it prints: the whole
// account synced by the first sync (the backfill lane walks the history,
// the live lane finds nothing newer), both webhooks accepted and applied,
// and the history of the runs without errors.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, "", ""); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"first sync: 300 tickets in the store",
		"webhook ticket.priority_changed about ticket #1: HTTP 200",
		"webhook ticket.comment_added about ticket #2: HTTP 200",
		"synced 300 tickets",
		"Printer on fire (escalated)",
		`"It works again, thanks!"`,
		"backfill succeeded  300 tickets  attempt 1  errors 0",
		"poll     succeeded    0 tickets  attempt 1  errors 0",
		"last sync: ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if n := deliveries(got); n != 2 {
		t.Errorf("%d successful webhook deliveries in the history, want 2:\n%s", n, got)
	}
	if !strings.Contains(got, "last sync: ") || !strings.Contains(got[strings.Index(got, "last sync: "):], "(poll, succeeded)") {
		t.Errorf("the last sync is not the poll:\n%s", got)
	}
	if strings.Contains(got, "error:") || strings.Contains(got, "zendesktest-api-token") {
		t.Errorf("output shows an error or the token:\n%s", got)
	}
}

// TestQuickstartKeepsStateInSQLite runs the example twice over one SQLite
// file: the second run finds the first run's tickets and history.
func TestQuickstartKeepsStateInSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tickets.db")
	var first, second bytes.Buffer
	if err := run(context.Background(), &first, db, ""); err != nil {
		t.Fatalf("first run: %v\n%s", err, first.String())
	}
	if strings.Contains(first.String(), "earlier run") {
		t.Fatalf("a new database claims earlier state:\n%s", first.String())
	}
	if err := run(context.Background(), &second, db, ""); err != nil {
		t.Fatalf("second run: %v\n%s", err, second.String())
	}
	got := second.String()
	if !strings.Contains(got, "the store already holds 300 tickets from an earlier run") {
		t.Errorf("the second run did not find the first run's tickets:\n%s", got)
	}
	if n := deliveries(got); n != 4 {
		t.Errorf("the history shows %d webhook deliveries, want the 2 of each run:\n%s", n, got)
	}
}

// deliveries adds up the deliveries of the successful webhook runs the
// output lists (one run per minute).
func deliveries(out string) int {
	n := 0
	for _, m := range regexp.MustCompile(`webhook +succeeded .* deliveries (\d+)`).FindAllStringSubmatch(out, -1) {
		d, _ := strconv.Atoi(m[1])
		n += d
	}
	return n
}

// syncBuffer is an output several goroutines share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestQuickstartServesTheConsole runs the example with -console and reads
// the console's pages: the connector with its first poll, and its history.
func TestQuickstartServesTheConsole(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, &out, "", "127.0.0.1:0") }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	re := regexp.MustCompile(`console: (http://\S+/support/)`)
	var base string
	deadline := time.Now().Add(60 * time.Second)
	for base == "" {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no console address in the output:\n%s", out.String())
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	if page := get(""); !strings.Contains(page, `href="/support/connectors/acme-zendesk"`) {
		t.Fatalf("connectors page:\n%s", page)
	}
	page := get("connectors/acme-zendesk")
	for _, want := range []string{"poll", "succeeded", ">300</td>", "/api/webhooks/tickets?connectorId=acme-zendesk"} {
		if !strings.Contains(page, want) {
			t.Errorf("history page lacks %q", want)
		}
	}
	if strings.Contains(page, "zendesktest-api-token") || strings.Contains(page, webhookSecret) {
		t.Error("the console shows a secret")
	}
}
