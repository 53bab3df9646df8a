package ticketsyncotel_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/ticketsyncotel"
)

// deskConnector is a small platform connector on the project's HTTP stack:
// page N of tickets is GET /api/tickets/page/N.json, which answers
// {"ids":[...],"more":bool}; a webhook delivery is a JSON list of ids.
type deskConnector struct{ c *httpx.Client }

func newDesk(t *testing.T, url string) *deskConnector {
	c, err := httpx.New(httpx.Config{
		Platform: "desk", BaseURL: url + "/api", MaxRetries: 2,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &deskConnector{c: c}
}

func (d *deskConnector) Platform() string           { return "desk" }
func (d *deskConnector) Test(context.Context) error { return nil }
func (d *deskConnector) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	if cursor == "" {
		cursor = "1001"
	}
	var page struct {
		IDs  []string `json:"ids"`
		More bool     `json:"more"`
	}
	if _, err := d.c.GetJSON(ctx, "tickets/page/"+cursor+".json", nil, &page); err != nil {
		return ticketsync.Page{}, err
	}
	n, _ := strconv.Atoi(cursor)
	out := ticketsync.Page{Cursor: strconv.Itoa(n + 1), More: page.More}
	for _, id := range page.IDs {
		out.Tickets = append(out.Tickets, ticketsync.Ticket{ID: id, UpdatedAt: time.Unix(1, 0)})
	}
	return out, nil
}
func (d *deskConnector) VerifyWebhook(*http.Request, []byte) error { return nil }
func (d *deskConnector) ParseWebhook(body []byte) ([]ticketsync.Event, error) {
	var ids []string
	if err := json.Unmarshal(body, &ids); err != nil {
		return nil, err
	}
	var events []ticketsync.Event
	for _, id := range ids {
		events = append(events, ticketsync.Event{Kind: ticketsync.EventUpdated, TicketID: id, Ticket: &ticketsync.Ticket{ID: id, UpdatedAt: time.Unix(2, 0)}})
	}
	return events, nil
}

// deskServer serves two pages of tickets, the first after one 429; any
// other path is a 500.
func deskServer(t *testing.T) *httptest.Server {
	var first atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/tickets/page/1001.json":
			if !first.Swap(true) {
				w.Header().Set("Retry-After", "3")
				w.WriteHeader(http.StatusTooManyRequests)
				w.Write([]byte(`{"error":"slow down"}`))
				return
			}
			w.Write([]byte(`{"ids":["1","2"],"more":true}`))
		case "/api/tickets/page/1002.json":
			w.Write([]byte(`{"ids":["3"],"more":false}`))
		default:
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"error":"down"}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTelemetryReportsTheRightFigures(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	tel, err := ticketsyncotel.New(ticketsyncotel.Config{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	s := ticketsync.NewSyncer(memstore.New(), &ticketsync.Options{Hooks: tel.Hooks()})
	stop, err := tel.ObserveConnectors(s)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	srv := deskServer(t)
	if err := s.Add("acme", newDesk(t, srv.URL), ticketsync.ModeBoth); err != nil {
		t.Fatal(err)
	}
	if err := s.AddWithOptions("paused", newDesk(t, srv.URL), ticketsync.ModePoll, &ticketsync.ConnectorOptions{Paused: true}); err != nil {
		t.Fatal(err)
	}
	broken := newDesk(t, srv.URL+"/broken")
	if err := s.Add("broken", broken, ticketsync.ModePoll); err != nil {
		t.Fatal(err)
	}
	if run, err := s.SyncNow(ctx, "acme"); err != nil || run.Tickets != 3 {
		t.Fatalf("SyncNow(acme) = %+v, %v", run, err)
	}
	if _, err := s.SyncNow(ctx, "broken"); err == nil {
		t.Fatal("SyncNow(broken) succeeded")
	}
	req := httptest.NewRequest(http.MethodPost, "/hooks?connectorId=acme", strings.NewReader(`["7","8"]`))
	rec := httptest.NewRecorder()
	s.WebhookHandler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("webhook answered %d", rec.Code)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	m := metricsByName(rm)
	pageTemplate := attribute.String("url.template", "/api/tickets/page/{id}.json")
	desk := attribute.String("ticketsync.platform", "desk")
	manual := attribute.String("ticketsync.trigger", "manual")
	checks := []struct {
		name  string
		attrs []attribute.KeyValue
		want  float64
	}{
		{"ticketsync.runs", []attribute.KeyValue{desk, manual, attribute.String("ticketsync.outcome", "succeeded")}, 1},
		{"ticketsync.runs", []attribute.KeyValue{desk, manual, attribute.String("ticketsync.outcome", "failed")}, 1},
		{"ticketsync.tickets.stored", []attribute.KeyValue{desk, manual}, 3},
		{"ticketsync.tickets.stored", []attribute.KeyValue{desk, attribute.String("ticketsync.trigger", "webhook")}, 2},
		{"ticketsync.platform.requests", []attribute.KeyValue{desk, pageTemplate, attribute.Int("http.response.status_code", 200)}, 2},
		{"ticketsync.platform.requests", []attribute.KeyValue{desk, pageTemplate, attribute.Int("http.response.status_code", 429)}, 1},
		// The broken connector's 500s: the first try and 2 retries.
		{"ticketsync.platform.requests", []attribute.KeyValue{desk, attribute.String("url.template", "/broken/api/tickets/page/{id}.json"), attribute.Int("http.response.status_code", 500)}, 3},
		{"ticketsync.platform.rate_limited", []attribute.KeyValue{desk, pageTemplate}, 1},
		{"ticketsync.platform.wait", []attribute.KeyValue{desk, pageTemplate, attribute.String("ticketsync.wait.reason", "retry")}, 3},
		{"ticketsync.connectors", []attribute.KeyValue{desk, attribute.String("ticketsync.state", "paused")}, 1},
		{"ticketsync.connectors", []attribute.KeyValue{desk, attribute.String("ticketsync.state", "idle")}, 1},
		{"ticketsync.connectors", []attribute.KeyValue{desk, attribute.String("ticketsync.state", "failed")}, 1},
		// Histograms: the count of recordings.
		{"ticketsync.run.duration", []attribute.KeyValue{desk, manual}, 2},
		{"ticketsync.webhook.duration", []attribute.KeyValue{desk, attribute.Int("http.response.status_code", 200)}, 1},
		{"ticketsync.platform.request.duration", []attribute.KeyValue{desk, pageTemplate}, 3},
	}
	for _, c := range checks {
		data, ok := m[c.name]
		if !ok {
			t.Errorf("no metric %s", c.name)
			continue
		}
		if got := sumWhere(data, c.attrs); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.attrs, got, c.want)
		}
	}

	// A run span, parent of its three requests' spans.
	var run sdktrace.ReadOnlySpan
	var children []sdktrace.ReadOnlySpan
	for _, sp := range spans.Ended() {
		if sp.Name() == "ticketsync.run" && hasAttr(sp.Attributes(), attribute.String("ticketsync.connector.id", "acme")) {
			run = sp
		}
	}
	if run == nil {
		t.Fatal("no span for the run of acme")
	}
	if !hasAttr(run.Attributes(), attribute.Int("ticketsync.tickets", 3)) || run.Status().Code == codes.Error {
		t.Errorf("run span %v, %v: want 3 tickets and no error", run.Attributes(), run.Status())
	}
	for _, sp := range spans.Ended() {
		if sp.Parent().SpanID() == run.SpanContext().SpanID() {
			children = append(children, sp)
		}
	}
	if len(children) != 3 {
		t.Fatalf("%d request spans under the run, want 3", len(children))
	}
	for _, sp := range children {
		if sp.Name() != "GET /api/tickets/page/{id}.json" {
			t.Errorf("request span named %q", sp.Name())
		}
	}
	var failed int
	for _, sp := range spans.Ended() {
		if sp.Name() == "ticketsync.run" && sp.Status().Code == codes.Error {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d failed run spans, want the broken connector's", failed)
	}
}

func metricsByName(rm metricdata.ResourceMetrics) map[string]metricdata.Aggregation {
	out := make(map[string]metricdata.Aggregation)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// sumWhere adds the values (or, for histograms, the counts) of the data
// points that carry every attribute of want.
func sumWhere(data metricdata.Aggregation, want []attribute.KeyValue) float64 {
	var sum float64
	match := func(set attribute.Set) bool {
		for _, kv := range want {
			if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
				return false
			}
		}
		return true
	}
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes) {
				sum += float64(p.Value)
			}
		}
	case metricdata.Sum[float64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes) {
				sum += p.Value
			}
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes) {
				sum += float64(p.Value)
			}
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			if match(p.Attributes) {
				sum += float64(p.Count)
			}
		}
	}
	return sum
}

func hasAttr(attrs []attribute.KeyValue, want attribute.KeyValue) bool {
	for _, kv := range attrs {
		if kv == want {
			return true
		}
	}
	return false
}
