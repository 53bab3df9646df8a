package ticketsync

import (
	"context"
	"fmt"
	"time"

	"github.com/ticketsync/ticketsync/internal/hookctx"
)

// Hooks observe a Syncer, for metrics and traces: package ticketsyncotel
// makes Hooks that report to OpenTelemetry, and a host may set its own
// (Options.Hooks). Any field may be nil. Hooks are called synchronously, on
// the goroutine of the run, delivery or request they report, so they must
// be quick and safe for concurrent use; a panic in one is recovered and
// logged. They never receive a credential or a payload.
type Hooks struct {
	// RunStart is called when a poll run starts, once its lease (with a
	// Leaser store) is taken. The context it returns, unless nil, is the
	// run's context from then on: a span put in it is the parent of the
	// run's platform requests.
	RunStart func(ctx context.Context, run RunInfo) context.Context
	// RunEnd is called when the run has ended and been recorded, with the
	// context RunStart returned, the run as recorded and its error (nil on
	// success).
	RunEnd func(ctx context.Context, run RunInfo, result SyncRun, err error)
	// Webhook is called when a webhook delivery has been answered.
	Webhook func(ctx context.Context, d WebhookDelivery)
	// Request is called after each HTTP attempt of a platform package,
	// with the request's context. The platform packages' HTTP stack finds
	// the Hooks in the context: the Syncer puts them in the context of its
	// runs and webhook deliveries, and WithHooks in any other (a "Test &
	// Connect" call, say). No platform package needs configuring.
	Request func(ctx context.Context, r PlatformRequest)
	// Wait is called after the HTTP stack has waited before an attempt,
	// for a rate limit or before a retry.
	Wait func(ctx context.Context, w PlatformWait)
}

// RunInfo names a poll run, for Hooks.
type RunInfo struct {
	ConnectorID string
	Platform    string
	Trigger     string // TriggerPoll or TriggerManual
	Attempt     int
	RunID       string // SyncRun.ID; empty in RunStart
}

// WebhookDelivery is one webhook delivery as the handler answered it, for
// Hooks.Webhook.
type WebhookDelivery struct {
	// ConnectorID is the connectorId of the request; Platform is empty when
	// no connector receives webhooks under it.
	ConnectorID, Platform string
	StatusCode            int           // the handler's answer
	Events                int           // events parsed from the delivery
	Tickets               int           // distinct tickets stored
	Duration              time.Duration // from the request to the answer
}

// PlatformRequest is one HTTP attempt to a platform's API, for
// Hooks.Request.
type PlatformRequest struct {
	Platform string // "zendesk"
	Method   string
	// Endpoint is the request path with its ids replaced by "{id}"
	// ("/api/v2/tickets/{id}/comments.json"): a short list of values, fit
	// for a metric attribute.
	Endpoint   string
	StatusCode int // 0 when no answer came
	Start      time.Time
	Duration   time.Duration
	// Err is the transport's error when no answer came; nil otherwise, also
	// for an answer other than 2xx.
	Err error
}

// Reasons of a PlatformWait.
const (
	// WaitRateLimit: the HTTP stack paced a request to the platform's
	// published limit or to what its rate-limit headers said was left.
	WaitRateLimit = "rate_limit"
	// WaitRetry: the HTTP stack waited before retrying a request, as the
	// platform's Retry-After asked or by its own backoff.
	WaitRetry = "retry"
)

// PlatformWait is time the HTTP stack spent waiting before an attempt, for
// Hooks.Wait.
type PlatformWait struct {
	Platform, Endpoint string
	Reason             string // WaitRateLimit or WaitRetry
	Duration           time.Duration
}

// WithHooks returns a context under which the platform packages' HTTP
// requests are reported to h.Request and h.Wait. The Syncer does this for
// its runs and webhook deliveries; a host uses it for calls it makes itself,
// such as Connector.Test.
func WithHooks(ctx context.Context, h *Hooks) context.Context {
	if h == nil || (h.Request == nil && h.Wait == nil) {
		return ctx
	}
	return context.WithValue(ctx, hookctx.Key{}, h)
}

// runStart reports the start of a poll run to Hooks.RunStart and returns the
// run's context.
func (s *Syncer) runStart(ctx context.Context, e *entry, spec runSpec) (rctx context.Context) {
	rctx = WithHooks(ctx, s.opts.Hooks)
	h := s.opts.Hooks
	if h == nil || h.RunStart == nil {
		return rctx
	}
	defer s.recoverHook("RunStart")
	if c := h.RunStart(rctx, RunInfo{ConnectorID: e.id, Platform: e.platform, Trigger: spec.trigger, Attempt: spec.attempt}); c != nil {
		rctx = c
	}
	return rctx
}

// runEnd reports the end of a poll run to Hooks.RunEnd.
func (s *Syncer) runEnd(ctx context.Context, e *entry, spec runSpec, run SyncRun, err error) {
	h := s.opts.Hooks
	if h == nil || h.RunEnd == nil {
		return
	}
	defer s.recoverHook("RunEnd")
	h.RunEnd(ctx, RunInfo{ConnectorID: e.id, Platform: e.platform, Trigger: spec.trigger, Attempt: spec.attempt, RunID: run.ID}, run, err)
}

// webhookDone reports a delivery to Hooks.Webhook.
func (s *Syncer) webhookDone(ctx context.Context, d WebhookDelivery) {
	defer s.recoverHook("Webhook")
	s.opts.Hooks.Webhook(ctx, d)
}

// recoverHook logs a panic of hook, deferred.
func (s *Syncer) recoverHook(hook string) {
	if r := recover(); r != nil {
		s.log.Error("ticketsync: Hooks."+hook+" panicked", "panic", fmt.Sprint(r))
	}
}
