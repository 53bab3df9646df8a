// Package ticketsyncotel reports a ticketsync.Syncer, and the platform
// requests made for it, to OpenTelemetry: the host hands in its
// MeterProvider and TracerProvider, as with otelhttp or pgx's tracer, and
// sets the Hooks this package makes on the Syncer's Options. The root
// package does not import OpenTelemetry; only this one does.
//
//	tel, err := ticketsyncotel.New(ticketsyncotel.Config{MeterProvider: mp, TracerProvider: tp})
//	if err != nil { ... }
//	syncer := ticketsync.NewSyncer(store, &ticketsync.Options{Hooks: tel.Hooks()})
//	stop, err := tel.ObserveConnectors(syncer) // the ticketsync.connectors gauge
//
// # The HTTP stack
//
// Nothing is configured on the platform packages: their HTTP stack finds
// the Hooks in the context of each request, which the Syncer sets for its
// poll runs and webhook deliveries (loading tickets by id). For calls a host
// makes itself, such as Connector.Test, it wraps the context with
// ticketsync.WithHooks(ctx, tel.Hooks()). Each HTTP attempt, retries
// included, is one request in the metrics and one client span, child of the
// run's span.
//
// # Metrics
//
// Attributes are kept to few values: the platform, the trigger, the run's
// outcome, the endpoint with its ids replaced by {id}; never the connector
// id, which a host with thousands of accounts would see explode its series
// (spans carry it).
//
//   - ticketsync.runs {run}: poll runs ended, by ticketsync.platform,
//     ticketsync.trigger (poll, manual) and ticketsync.outcome (succeeded,
//     failed, retrying).
//   - ticketsync.run.duration (s): their duration, same attributes.
//   - ticketsync.tickets.stored {ticket}: tickets stored, by
//     ticketsync.platform and ticketsync.trigger (poll, manual, webhook).
//   - ticketsync.webhook.duration (s): webhook handling latency, by
//     ticketsync.platform and http.response.status_code.
//   - ticketsync.connectors {connector}: connectors by ticketsync.platform
//     and ticketsync.state (running, paused, retrying, failed, idle), read
//     from Syncer.Connectors at each collection (ObserveConnectors).
//   - ticketsync.platform.requests {request}: HTTP attempts to platforms, by
//     ticketsync.platform, http.request.method, url.template and
//     http.response.status_code (error.type when no answer came).
//   - ticketsync.platform.rate_limited {request}: the attempts answered 429,
//     by ticketsync.platform and url.template.
//   - ticketsync.platform.request.duration (s): attempt latency, as
//     ticketsync.platform.requests.
//   - ticketsync.platform.wait (s): time spent waiting before attempts, by
//     ticketsync.platform, url.template and ticketsync.wait.reason
//     (rate_limit: pacing to the platform's limits; retry: Retry-After or
//     backoff).
//
// # Spans
//
// "ticketsync.run" per poll run (ticketsync.connector.id,
// ticketsync.platform, ticketsync.trigger, ticketsync.attempt, and at its
// end ticketsync.run.id and ticketsync.tickets; status Error with the run's
// error when it failed), and a client span per platform request named
// "METHOD url.template", its child when made during a run.
package ticketsyncotel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/ticketsync/ticketsync"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/ticketsync/ticketsync/ticketsyncotel"

// Attribute keys.
const (
	keyPlatform  = attribute.Key("ticketsync.platform")
	keyTrigger   = attribute.Key("ticketsync.trigger")
	keyOutcome   = attribute.Key("ticketsync.outcome")
	keyState     = attribute.Key("ticketsync.state")
	keyReason    = attribute.Key("ticketsync.wait.reason")
	keyConnector = attribute.Key("ticketsync.connector.id")
	keyAttempt   = attribute.Key("ticketsync.attempt")
	keyRunID     = attribute.Key("ticketsync.run.id")
	keyTickets   = attribute.Key("ticketsync.tickets")
	keyMethod    = attribute.Key("http.request.method")
	keyStatus    = attribute.Key("http.response.status_code")
	keyTemplate  = attribute.Key("url.template")
	keyErrorType = attribute.Key("error.type")
)

// Config says where Telemetry reports. Nil providers mean OpenTelemetry's
// global ones (otel.GetMeterProvider, otel.GetTracerProvider).
type Config struct {
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
}

// Telemetry makes the ticketsync.Hooks that report to OpenTelemetry. It is
// safe for concurrent use; one Telemetry may serve several Syncers.
type Telemetry struct {
	meter  metric.Meter
	tracer trace.Tracer
	hooks  *ticketsync.Hooks

	runs, tickets, requests, rateLimited metric.Int64Counter
	runDuration, webhookDuration         metric.Float64Histogram
	requestDuration                      metric.Float64Histogram
	wait                                 metric.Float64Counter
	connectors                           metric.Int64ObservableGauge

	// The attribute sets of measurements, cached by a comparable key of
	// their values, so that a measurement allocates nothing: the values are
	// few by design (no connector ids).
	runSets     optionCache[runKey]
	ticketSets  optionCache[ticketsKey]
	webhookSets optionCache[webhookKey]
	requestSets optionCache[requestKey]
	limitedSets optionCache[limitedKey]
	waitSets    optionCache[waitKey]
}

// options are one attribute set as the arguments of Add and Record.
type options struct {
	add []metric.AddOption
	rec []metric.RecordOption
}

// optionCache holds measurement options by key.
type optionCache[K comparable] struct {
	mu sync.RWMutex
	m  map[K]*options
}

// get returns the options cached under k, making them from the attributes
// attrs returns when absent; attrs is only called on a miss.
func (c *optionCache[K]) get(k K, attrs func() []attribute.KeyValue) *options {
	c.mu.RLock()
	o, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return o
	}
	set := metric.WithAttributeSet(attribute.NewSet(attrs()...))
	o = &options{add: []metric.AddOption{set}, rec: []metric.RecordOption{set}}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[K]*options)
	}
	if prev, ok := c.m[k]; ok {
		return prev
	}
	c.m[k] = o
	return o
}

// Keys of cached attribute sets, one type per attribute list.
type (
	runKey     struct{ platform, trigger, outcome string }
	ticketsKey struct{ platform, trigger string }
	webhookKey struct {
		platform string
		status   int
	}
	requestKey struct {
		platform, method, endpoint, errType string
		status                              int
	}
	limitedKey struct{ platform, endpoint string }
	waitKey    struct{ platform, endpoint, reason string }
)

// durationBuckets suit runs and requests alike: 5 ms to 10 minutes.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// New returns a Telemetry reporting to cfg's providers, or an error when an
// instrument cannot be made.
func New(cfg Config) (*Telemetry, error) {
	mp, tp := cfg.MeterProvider, cfg.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	t := &Telemetry{
		meter:  mp.Meter(ScopeName),
		tracer: tp.Tracer(ScopeName),
	}
	m := t.meter
	var err, e error
	t.runs, e = m.Int64Counter("ticketsync.runs", metric.WithUnit("{run}"),
		metric.WithDescription("Poll runs ended, by outcome."))
	err = errors.Join(err, e)
	t.runDuration, e = m.Float64Histogram("ticketsync.run.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of poll runs."), metric.WithExplicitBucketBoundaries(durationBuckets...))
	err = errors.Join(err, e)
	t.tickets, e = m.Int64Counter("ticketsync.tickets.stored", metric.WithUnit("{ticket}"),
		metric.WithDescription("Tickets stored by poll runs and webhook deliveries."))
	err = errors.Join(err, e)
	t.webhookDuration, e = m.Float64Histogram("ticketsync.webhook.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from a webhook delivery to its answer."), metric.WithExplicitBucketBoundaries(durationBuckets...))
	err = errors.Join(err, e)
	t.connectors, e = m.Int64ObservableGauge("ticketsync.connectors", metric.WithUnit("{connector}"),
		metric.WithDescription("Connectors by state."))
	err = errors.Join(err, e)
	t.requests, e = m.Int64Counter("ticketsync.platform.requests", metric.WithUnit("{request}"),
		metric.WithDescription("HTTP attempts to platform APIs, retries included."))
	err = errors.Join(err, e)
	t.rateLimited, e = m.Int64Counter("ticketsync.platform.rate_limited", metric.WithUnit("{request}"),
		metric.WithDescription("HTTP attempts to platform APIs answered 429."))
	err = errors.Join(err, e)
	t.requestDuration, e = m.Float64Histogram("ticketsync.platform.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP attempts to platform APIs."), metric.WithExplicitBucketBoundaries(durationBuckets...))
	err = errors.Join(err, e)
	t.wait, e = m.Float64Counter("ticketsync.platform.wait", metric.WithUnit("s"),
		metric.WithDescription("Time spent waiting before HTTP attempts: rate limits and retries."))
	err = errors.Join(err, e)
	if err != nil {
		return nil, fmt.Errorf("ticketsyncotel: %w", err)
	}
	t.hooks = &ticketsync.Hooks{
		RunStart: t.runStart,
		RunEnd:   t.runEnd,
		Webhook:  t.webhook,
		Request:  t.request,
		Wait:     t.waited,
	}
	return t, nil
}

// Hooks returns the hooks to set as ticketsync.Options.Hooks, or to pass to
// ticketsync.WithHooks.
func (t *Telemetry) Hooks() *ticketsync.Hooks { return t.hooks }

// ObserveConnectors reports the ticketsync.connectors gauge of s at each
// collection, from s.Connectors. stop ends the reporting.
func (t *Telemetry) ObserveConnectors(s *ticketsync.Syncer) (stop func() error, err error) {
	reg, err := t.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		type key struct{ platform, state string }
		counts := make(map[key]int64)
		for _, st := range s.Connectors() {
			counts[key{st.Platform, State(st)}]++
		}
		for k, n := range counts {
			o.ObserveInt64(t.connectors, n, metric.WithAttributes(keyPlatform.String(k.platform), keyState.String(k.state)))
		}
		return nil
	}, t.connectors)
	if err != nil {
		return nil, fmt.Errorf("ticketsyncotel: observe connectors: %w", err)
	}
	return reg.Unregister, nil
}

// State names a connector's state for the ticketsync.connectors gauge:
// "paused", "running", "retrying" (its last run failed and a retry is
// planned), "failed" (its last run failed and waits for its interval) or
// "idle".
func State(st ticketsync.ConnectorStatus) string {
	switch {
	case st.Paused:
		return "paused"
	case st.Running:
		return "running"
	case st.Attempt > 1:
		return "retrying"
	case st.LastStatus == ticketsync.RunFailed:
		return "failed"
	}
	return "idle"
}

func (t *Telemetry) runStart(ctx context.Context, run ticketsync.RunInfo) context.Context {
	ctx, _ = t.tracer.Start(ctx, "ticketsync.run", trace.WithAttributes(
		keyConnector.String(run.ConnectorID), keyPlatform.String(run.Platform),
		keyTrigger.String(run.Trigger), keyAttempt.Int(run.Attempt)))
	return ctx
}

func (t *Telemetry) runEnd(ctx context.Context, run ticketsync.RunInfo, result ticketsync.SyncRun, err error) {
	outcome := string(result.Status)
	set := t.runSets.get(runKey{run.Platform, run.Trigger, outcome}, func() []attribute.KeyValue {
		return []attribute.KeyValue{keyPlatform.String(run.Platform), keyTrigger.String(run.Trigger), keyOutcome.String(outcome)}
	})
	t.runs.Add(ctx, 1, set.add...)
	if !result.FinishedAt.IsZero() {
		t.runDuration.Record(ctx, result.FinishedAt.Sub(result.StartedAt).Seconds(), set.rec...)
	}
	if result.Tickets > 0 {
		t.tickets.Add(ctx, int64(result.Tickets), t.ticketSet(run.Platform, run.Trigger).add...)
	}
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(keyRunID.String(result.ID), keyTickets.Int(result.Tickets), keyOutcome.String(outcome))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// ticketSet returns the attributes of ticketsync.tickets.stored.
func (t *Telemetry) ticketSet(platform, trigger string) *options {
	return t.ticketSets.get(ticketsKey{platform, trigger}, func() []attribute.KeyValue {
		return []attribute.KeyValue{keyPlatform.String(platform), keyTrigger.String(trigger)}
	})
}

func (t *Telemetry) webhook(ctx context.Context, d ticketsync.WebhookDelivery) {
	set := t.webhookSets.get(webhookKey{d.Platform, d.StatusCode}, func() []attribute.KeyValue {
		return []attribute.KeyValue{keyPlatform.String(d.Platform), keyStatus.Int(d.StatusCode)}
	})
	t.webhookDuration.Record(ctx, d.Duration.Seconds(), set.rec...)
	if d.Tickets > 0 {
		t.tickets.Add(ctx, int64(d.Tickets), t.ticketSet(d.Platform, ticketsync.TriggerWebhook).add...)
	}
}

func (t *Telemetry) request(ctx context.Context, r ticketsync.PlatformRequest) {
	attrs := []attribute.KeyValue{keyPlatform.String(r.Platform), keyMethod.String(r.Method), keyTemplate.String(r.Endpoint)}
	key := requestKey{platform: r.Platform, method: r.Method, endpoint: r.Endpoint, status: r.StatusCode}
	if r.StatusCode > 0 {
		attrs = append(attrs, keyStatus.Int(r.StatusCode))
	} else {
		key.errType = errorType(r.Err)
		attrs = append(attrs, keyErrorType.String(key.errType))
	}
	set := t.requestSets.get(key, func() []attribute.KeyValue { return attrs })
	t.requests.Add(ctx, 1, set.add...)
	t.requestDuration.Record(ctx, r.Duration.Seconds(), set.rec...)
	if r.StatusCode == http.StatusTooManyRequests {
		t.rateLimited.Add(ctx, 1, t.limitedSets.get(limitedKey{r.Platform, r.Endpoint}, func() []attribute.KeyValue {
			return []attribute.KeyValue{keyPlatform.String(r.Platform), keyTemplate.String(r.Endpoint)}
		}).add...)
	}
	_, span := t.tracer.Start(ctx, r.Method+" "+r.Endpoint, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(r.Start), trace.WithAttributes(attrs...))
	switch {
	case r.Err != nil:
		span.RecordError(r.Err)
		span.SetStatus(codes.Error, r.Err.Error())
	case r.StatusCode >= 400:
		span.SetStatus(codes.Error, strconv.Itoa(r.StatusCode))
	}
	span.End(trace.WithTimestamp(r.Start.Add(r.Duration)))
}

func (t *Telemetry) waited(ctx context.Context, w ticketsync.PlatformWait) {
	t.wait.Add(ctx, w.Duration.Seconds(), t.waitSets.get(waitKey{w.Platform, w.Endpoint, w.Reason}, func() []attribute.KeyValue {
		return []attribute.KeyValue{keyPlatform.String(w.Platform), keyTemplate.String(w.Endpoint), keyReason.String(w.Reason)}
	}).add...)
}

// errorType names a transport error for error.type: "timeout" or
// "network".
func errorType(err error) string {
	var timeout interface{ Timeout() bool }
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &timeout) && timeout.Timeout()) {
		return "timeout"
	}
	return "network"
}
