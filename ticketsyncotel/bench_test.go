package ticketsyncotel_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/ticketsyncotel"
)

// These benchmarks repeat the root package's SyncPage and WebhookHandler
// benchmarks without ("plain") and with ("otel") the OpenTelemetry wiring,
// in one run, so that their ratio is the wiring's cost. The providers are
// the SDK's, with a manual reader and every span sampled: what a service
// pays before its exporters.

func newTelemetry(b *testing.B) *ticketsyncotel.Telemetry {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()); _ = tp.Shutdown(context.Background()) })
	tel, err := ticketsyncotel.New(ticketsyncotel.Config{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		b.Fatal(err)
	}
	return tel
}

// pages serves prebuilt pages.
type pages [][]ticketsync.Ticket

func (p pages) Platform() string           { return "bench" }
func (p pages) Test(context.Context) error { return nil }
func (p pages) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	i, _ := strconv.Atoi(cursor)
	if i >= len(p) {
		return ticketsync.Page{Cursor: cursor}, nil
	}
	return ticketsync.Page{Tickets: p[i], Cursor: strconv.Itoa(i + 1), More: i+1 < len(p)}, nil
}

// BenchmarkSyncPage is one poll run of 100 pages × 1,000 tickets into
// memstore.
func BenchmarkSyncPage(b *testing.B) {
	const n, size = 100, 1000
	conn := make(pages, n)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for p := range conn {
		for i := range size {
			id := strconv.Itoa(p*size + i + 1)
			conn[p] = append(conn[p], ticketsync.Ticket{ID: id, Subject: "ticket " + id, Status: ticketsync.StatusOpen,
				Tags: []string{"billing", "vip"}, Requester: ticketsync.Person{ID: "42", Name: "Ada", Email: "ada@example.com"},
				Description: "The printer is on fire.", CreatedAt: at, UpdatedAt: at.Add(time.Duration(i) * time.Second)})
		}
	}
	run := func(b *testing.B, opts *ticketsync.Options) {
		b.ReportAllocs()
		cpu := cpuClock()
		for b.Loop() {
			b.StopTimer()
			s := ticketsync.NewSyncer(memstore.New(), opts)
			if err := s.Add("bench", conn, ticketsync.ModePoll); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if r, err := s.SyncNow(context.Background(), "bench"); err != nil || r.Tickets != n*size {
				b.Fatalf("run: %v, %d tickets", err, r.Tickets)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n*size), "ns/ticket")
		reportCPU(b, cpu, n*size, "ticket")
	}
	b.Run("plain", func(b *testing.B) { run(b, nil) })
	b.Run("otel", func(b *testing.B) { run(b, &ticketsync.Options{Hooks: newTelemetry(b).Hooks()}) })
}

const secret = "bench-secret"

func sign(body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// receiver takes {"id":..,"subject":..} deliveries signed with hex HMAC in
// X-Signature.
type receiver struct{}

func (receiver) Platform() string           { return "bench" }
func (receiver) Test(context.Context) error { return nil }
func (receiver) VerifyWebhook(r *http.Request, body []byte) error {
	got, err := hex.DecodeString(r.Header.Get("X-Signature"))
	if err != nil || !hmac.Equal(got, sign(body)) {
		return ticketsync.ErrInvalidSignature
	}
	return nil
}
func (receiver) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	var t struct{ ID, Subject string }
	if err := json.Unmarshal(body, &t); err != nil || t.ID == "" {
		return nil, errors.New("not a bench payload")
	}
	tk := ticketsync.Ticket{ID: t.ID, Subject: t.Subject, UpdatedAt: time.Unix(1, 0)}
	return []ticketsync.Event{{Kind: ticketsync.EventUpdated, TicketID: t.ID, Ticket: &tk}}, nil
}

// BenchmarkWebhookHandler sends ~2 KB signed deliveries through the whole
// handler into memstore, in parallel.
func BenchmarkWebhookHandler(b *testing.B) {
	const distinct = 1000
	bodies := make([][]byte, distinct)
	sigs := make([]string, distinct)
	for i := range bodies {
		bodies[i], _ = json.Marshal(map[string]string{"ID": strconv.Itoa(i), "Subject": "Printer on fire " + strings.Repeat("and smoking ", 150)})
		sigs[i] = hex.EncodeToString(sign(bodies[i]))
	}
	b.SetBytes(int64(len(bodies[0])))
	run := func(b *testing.B, opts *ticketsync.Options) {
		s := ticketsync.NewSyncer(memstore.New(), opts)
		if err := s.Add("acme", receiver{}, ticketsync.ModeWebhook); err != nil {
			b.Fatal(err)
		}
		h := s.WebhookHandler()
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuClock()
		defer reportCPU(b, cpu, 1, "")
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1)) % distinct
				req := httptest.NewRequest(http.MethodPost, "/hooks?connectorId=acme", bytes.NewReader(bodies[i]))
				req.Header.Set("X-Signature", sigs[i])
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
	b.Run("plain", func(b *testing.B) { run(b, nil) })
	b.Run("otel", func(b *testing.B) { run(b, &ticketsync.Options{Hooks: newTelemetry(b).Hooks()}) })
}

// BenchmarkHooks measures each hook of the OpenTelemetry wiring alone, per
// call, so that its cost can be set against the operation it observes
// without the noise of measuring that operation twice.
func BenchmarkHooks(b *testing.B) {
	h := newTelemetry(b).Hooks()
	ctx := context.Background()
	start := time.Now()
	b.Run("webhook", func(b *testing.B) {
		b.ReportAllocs()
		d := ticketsync.WebhookDelivery{ConnectorID: "acme", Platform: "bench", StatusCode: 200, Events: 1, Tickets: 1, Duration: 30 * time.Microsecond}
		for b.Loop() {
			h.Webhook(ctx, d)
		}
	})
	b.Run("run", func(b *testing.B) {
		b.ReportAllocs()
		info := ticketsync.RunInfo{ConnectorID: "acme", Platform: "bench", Trigger: ticketsync.TriggerPoll, Attempt: 1}
		run := ticketsync.SyncRun{ID: "r", Status: ticketsync.RunSucceeded, StartedAt: start, FinishedAt: start.Add(time.Second), Tickets: 100000}
		for b.Loop() {
			h.RunEnd(h.RunStart(ctx, info), info, run, nil)
		}
	})
	b.Run("request", func(b *testing.B) {
		b.ReportAllocs()
		r := ticketsync.PlatformRequest{Platform: "bench", Method: "GET", Endpoint: "/api/v2/tickets/{id}.json", StatusCode: 200, Start: start, Duration: 80 * time.Millisecond}
		for b.Loop() {
			h.Request(ctx, r)
		}
	})
}
