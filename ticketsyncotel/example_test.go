package ticketsyncotel_test

import (
	"context"
	"fmt"
	"log"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
	"github.com/ticketsync/ticketsync/ticketsyncotel"
)

// onePage is a connector with one page of two tickets.
type onePage struct{}

func (onePage) Platform() string           { return "example" }
func (onePage) Test(context.Context) error { return nil }
func (onePage) Fetch(ctx context.Context, cursor string) (ticketsync.Page, error) {
	return ticketsync.Page{Cursor: "end", Tickets: []ticketsync.Ticket{
		{ID: "1", UpdatedAt: time.Unix(1, 0)}, {ID: "2", UpdatedAt: time.Unix(1, 0)},
	}}, nil
}

// The host passes its own providers; here, in-memory ones stand for the
// exporters a service would configure (OTLP, Prometheus, ...).
func Example() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))

	tel, err := ticketsyncotel.New(ticketsyncotel.Config{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		log.Fatal(err)
	}
	syncer := ticketsync.NewSyncer(memstore.New(), &ticketsync.Options{Hooks: tel.Hooks()})
	stop, err := tel.ObserveConnectors(syncer)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

	if err := syncer.Add("acme", onePage{}, ticketsync.ModePoll); err != nil {
		log.Fatal(err)
	}
	if _, err := syncer.SyncNow(context.Background(), "acme"); err != nil {
		log.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range d.DataPoints {
				fmt.Println(m.Name, p.Value)
			}
		case metricdata.Gauge[int64]:
			for _, p := range d.DataPoints {
				state, _ := p.Attributes.Value("ticketsync.state")
				fmt.Println(m.Name, state.AsString(), p.Value)
			}
		}
	}
	fmt.Println("spans:", spans.Ended()[0].Name())
	// Output:
	// ticketsync.runs 1
	// ticketsync.tickets.stored 2
	// ticketsync.connectors idle 1
	// spans: ticketsync.run
}
