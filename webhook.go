package ticketsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// webhookRetryAfter is what a 503 asks the platform to wait before
// delivering again. Some platforms retry only when it is under a minute.
const webhookRetryAfter = 10 * time.Second

// maxReasonLen bounds the error text a 400 answer shows the sender.
const maxReasonLen = 200

// WebhookHandler returns the http.Handler that receives the platforms'
// webhooks. Mount it at any path; it routes each delivery by its
// connectorId query parameter, as in /api/webhooks/tickets?connectorId=ID,
// to a connector added with ModeWebhook or ModeBoth.
//
// For each delivery it reads the body (at most Options.MaxBodyBytes), has
// the connector verify and parse it, loads tickets that the payload names
// only by id through the connector's TicketGetter (all ids of the delivery in
// one call), turns delete events into tombstones (at the event's own time,
// so that a delete older than the stored copy loses; an event without a
// time is placed just past the stored copy), stores the tickets, records
// the delivery in the connector's webhook SyncRun of the minute (see
// SyncRun), calls Options.OnTickets, and only then
// answers 200 with {"ok":true,"status":"received","connector":ID,"tickets":N}.
// A delivery is never answered 2xx unless what it carried is stored, so the
// platform delivers again after any failure.
//
// Its answers: 405 for a method other than POST; 400 without a connectorId
// or for a payload the connector cannot parse (with a short reason); 404 for
// an unknown connector or one added without a webhook mode (the body does not
// say which ids exist); 413 for a body over the limit; 408 for a body not
// received within Options.WebhookReadTimeout; 401 for a bad
// signature; 503 with Retry-After when a ticket could not be loaded or
// stored; 500 when the connector fails otherwise. Error bodies are
// {"ok":false,"error":"..."}.
//
// An event carrying only an id, on a connector without TicketGetter, makes
// the connector due for an immediate poll (run by Run) instead of being
// dropped. Deliveries to one connector may run concurrently and arrive out
// of order: the Store's newest-wins rule keeps the newest copy of each
// ticket.
//
// The handler never logs secrets, signature headers or payloads: at debug
// level it logs the connector id, the event count and the outcome.
func (s *Syncer) WebhookHandler() http.Handler {
	return &webhookHandler{s: s}
}

type webhookHandler struct{ s *Syncer }

// webhookReply is the JSON body of every answer.
type webhookReply struct {
	OK        bool   `json:"ok"`
	Status    string `json:"status,omitempty"`
	Connector string `json:"connector,omitempty"`
	Tickets   *int   `json:"tickets,omitempty"`
	Error     string `json:"error,omitempty"`
}

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if hk := h.s.opts.Hooks; hk != nil && hk.Webhook != nil {
		h.observed(w, r)
		return
	}
	h.serve(w, r, nil)
}

// observed serves r and reports the delivery to Hooks.Webhook.
func (h *webhookHandler) observed(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	cw := &codeWriter{ResponseWriter: w}
	h.serve(cw, r, &cw.d)
	cw.d.StatusCode = cw.code
	cw.d.Duration = time.Since(start)
	h.s.webhookDone(r.Context(), cw.d)
}

// codeWriter records the status code of an answer, and what the hooks
// report of the delivery (one allocation for both).
type codeWriter struct {
	http.ResponseWriter
	code int
	d    WebhookDelivery
}

func (w *codeWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *codeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serve handles one delivery; d, when not nil, receives what the hooks
// report.
func (h *webhookHandler) serve(w http.ResponseWriter, r *http.Request, d *WebhookDelivery) {
	s := h.s
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		replyError(w, http.StatusMethodNotAllowed, "method not allowed: use POST")
		return
	}
	id := r.URL.Query().Get("connectorId")
	if d != nil {
		d.ConnectorID = id
	}
	if id == "" {
		replyError(w, http.StatusBadRequest, "missing connectorId query parameter")
		return
	}
	e, ok := s.lookup(id)
	if !ok || !e.mode.receives() {
		replyError(w, http.StatusNotFound, "unknown connector")
		return
	}
	log := s.log.With("connector", id)
	if d != nil {
		d.Platform = e.platform
	}
	limit := s.opts.MaxBodyBytes
	if r.ContentLength > limit {
		log.Debug("ticketsync: webhook rejected", "outcome", "too large", "bytes", r.ContentLength)
		replyError(w, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	lift := func() {}
	if d := s.opts.WebhookReadTimeout; d > 0 {
		// Not every ResponseWriter supports deadlines (a recorder in
		// tests does not); the server's own timeouts then apply.
		rc := http.NewResponseController(w)
		if rc.SetReadDeadline(time.Now().Add(d)) == nil {
			// Lifted once the body is in: the server's background read
			// must not end the request's context while it is stored.
			lift = func() { _ = rc.SetReadDeadline(time.Time{}) }
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		lift()
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			log.Debug("ticketsync: webhook rejected", "outcome", "too large")
			replyError(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		var timeout interface{ Timeout() bool }
		if errors.As(err, &timeout) && timeout.Timeout() {
			log.Debug("ticketsync: webhook rejected", "outcome", "body read timed out")
			w.Header().Set("Connection", "close")
			replyError(w, http.StatusRequestTimeout, "body not received in time")
			return
		}
		log.Debug("ticketsync: webhook rejected", "outcome", "body read failed")
		replyError(w, http.StatusBadRequest, "could not read body")
		return
	}

	if err := safeVerify(e.receiver, r, body); err != nil {
		if errors.Is(err, ErrInvalidSignature) {
			log.Debug("ticketsync: webhook rejected", "outcome", "invalid signature")
			replyError(w, http.StatusUnauthorized, "invalid signature")
			return
		}
		log.Error("ticketsync: webhook verification failed", "err", err)
		replyError(w, http.StatusInternalServerError, "could not verify the delivery")
		return
	}

	started := s.now()
	events, err := safeParse(e.receiver, body)
	if err != nil {
		reason := truncate(err.Error(), maxReasonLen)
		s.recordWebhook(r.Context(), e, started, 0, fmt.Errorf("parse delivery: %s", reason))
		log.Debug("ticketsync: webhook rejected", "outcome", "unparseable")
		replyError(w, http.StatusBadRequest, "cannot parse payload: "+reason)
		return
	}

	ctx := r.Context()
	if e.getter != nil {
		// Only loading tickets by id makes platform requests.
		ctx = WithHooks(ctx, s.opts.Hooks)
	}
	if d != nil {
		d.Events = len(events)
	}
	var (
		stored []Ticket
		polled bool
		notes  SyncRun // collects the notes of skipped tickets
	)
	err = guard("store", func() (err error) {
		stored, polled, err = s.storeEvents(ctx, e, events, &notes)
		return err
	})
	s.hooks.note(id, events, started, err)
	if err != nil {
		s.recordWebhook(r.Context(), e, started, 0, err, notes.Errors...)
		log.Warn("ticketsync: webhook not stored; asking the platform to deliver again", "events", len(events), "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(int(webhookRetryAfter/time.Second)))
		if errors.Is(err, errCannotLoad) {
			replyError(w, http.StatusInternalServerError, "connector cannot load tickets by id")
			return
		}
		replyError(w, http.StatusServiceUnavailable, "tickets not stored; deliver again")
		return
	}
	n := countDistinct(stored)
	if d != nil {
		d.Tickets = n
	}
	s.recordWebhook(r.Context(), e, started, n, nil, notes.Errors...)
	if len(stored) > 0 {
		s.onTickets(r.Context(), id, stored)
	}
	log.Debug("ticketsync: webhook stored", "outcome", "stored", "events", len(events), "tickets", len(stored), "poll_requested", polled)
	writeReply(w, http.StatusOK, webhookReply{OK: true, Status: "received", Connector: id, Tickets: &n})
}

// errCannotLoad: an id-only event on a connector that can neither load
// tickets by id nor poll.
var errCannotLoad = errors.New("connector can neither load tickets by id nor poll")

// storeEvents turns events into tickets and stores them. It returns the
// stored tickets and whether a poll was requested for id-only events.
// Tickets whose ids CheckID refuses are skipped, with a note in run.Errors.
func (s *Syncer) storeEvents(ctx context.Context, e *entry, events []Event, run *SyncRun) (stored []Ticket, polled bool, err error) {
	var (
		tickets []Ticket
		need    []string
		seen    map[string]bool
	)
	for _, ev := range events {
		id := ev.TicketID
		if id == "" && ev.Ticket != nil {
			id = ev.Ticket.ID
		}
		if id == "" {
			continue
		}
		if err := CheckID(id); err != nil {
			run.Errors = append(run.Errors, fmt.Sprintf("ticket skipped: %v", err))
			continue
		}
		switch {
		case ev.Kind == EventDeleted:
			t, err := s.tombstone(ctx, e.id, id, ev)
			if err != nil {
				return nil, false, err
			}
			tickets = append(tickets, t)
		case ev.Ticket != nil:
			t := *ev.Ticket
			if t.ID == "" {
				t.ID = id
			}
			tickets = append(tickets, t)
		default:
			if seen == nil {
				seen = make(map[string]bool)
			}
			if !seen[id] {
				seen[id] = true
				need = append(need, id)
			}
		}
	}
	if len(need) > 0 {
		switch {
		case e.getter != nil:
			loaded, err := safeGet(ctx, e.getter, need)
			if err != nil {
				return nil, false, fmt.Errorf("load %d tickets by id: %w", len(need), err)
			}
			tickets = append(tickets, loaded...)
		case s.requestPoll(e):
			polled = true
		default:
			return nil, false, errCannotLoad
		}
	}
	tickets, notes := dropInvalidIDs(tickets)
	run.Errors = append(run.Errors, notes...)
	if len(tickets) == 0 {
		return nil, polled, nil
	}
	platform := e.conn.Platform()
	for i := range tickets {
		tickets[i].ConnectorID = e.id
		tickets[i].Platform = platform
	}
	if err := s.store.UpsertTickets(ctx, tickets); err != nil {
		return nil, polled, fmt.Errorf("store %d tickets: %w", len(tickets), err)
	}
	return tickets, polled, nil
}

// tombstone builds the deleted copy of ticket id: the stored ticket's fields
// kept, Deleted set, UpdatedAt the event's own time, so that newest-wins
// decides: a late or replayed delete older than the stored copy loses. Only
// an event without a time of its own is placed at the time of receipt, and
// then later than the stored copy, so that a poll delivering an older copy
// cannot bring it back.
func (s *Syncer) tombstone(ctx context.Context, connectorID, id string, ev Event) (Ticket, error) {
	at := ev.At
	var t Ticket
	if ev.Ticket != nil {
		t = *ev.Ticket
		if t.UpdatedAt.After(at) {
			at = t.UpdatedAt
		}
	}
	untimed := at.IsZero()
	if untimed {
		at = s.now()
	}
	stored, err := s.store.Ticket(ctx, connectorID, id)
	switch {
	case err == nil:
		fillEmpty(&t, &stored)
		if untimed && !at.After(stored.UpdatedAt) {
			at = stored.UpdatedAt.Add(time.Millisecond)
		}
	case !errors.Is(err, ErrNotFound):
		return Ticket{}, fmt.Errorf("load ticket %q for its tombstone: %w", id, err)
	}
	t.ID = id
	t.Deleted = true
	t.UpdatedAt = at
	return t, nil
}

// maxWebhookErrors bounds the errors a webhook run keeps: the latest ones.
const maxWebhookErrors = 10

// webhookRuns gathers a connector's webhook deliveries into one SyncRun per
// minute.
type webhookRuns struct {
	mu      sync.Mutex
	run     SyncRun   // the run of the current minute; ID "" before the first delivery
	minute  time.Time // the current minute
	pending []SyncRun // final copies of the runs of past minutes, to save
	version uint64    // counts the deliveries recorded

	// saveMu serializes saves, so that an older copy of a run never
	// overwrites a newer one. saved is the version last saved.
	saveMu sync.Mutex
	saved  uint64
}

// recordWebhook records one delivery to e, started at started, that stored
// tickets distinct tickets or failed with err, with notes of what it
// skipped, in e's webhook run of the
// minute, and saves that run. Concurrent deliveries each wait for at most
// the save in progress and one more: a save writes every delivery recorded
// before it.
func (s *Syncer) recordWebhook(ctx context.Context, e *entry, started time.Time, tickets int, err error, notes ...string) {
	now := s.now()
	w := &e.webhooks
	w.mu.Lock()
	if minute := now.Truncate(time.Minute); w.run.ID == "" || !minute.Equal(w.minute) {
		if w.run.ID != "" {
			w.pending = append(w.pending, cloneRun(w.run))
		}
		w.minute = minute
		w.run = SyncRun{ID: newRunID(), ConnectorID: e.id, Trigger: TriggerWebhook, Status: RunSucceeded, StartedAt: started, Attempt: 1}
	}
	r := &w.run
	r.Deliveries++
	r.Tickets += tickets
	if now.After(r.FinishedAt) {
		r.FinishedAt = now
	}
	// Notes (skipped tickets) are kept with the errors; only an error
	// fails the run.
	r.Errors = append(r.Errors, notes...)
	if err != nil {
		r.Status = RunFailed
		r.Errors = append(r.Errors, err.Error())
	}
	if n := len(r.Errors) - maxWebhookErrors; n > 0 {
		r.Errors = slices.Delete(r.Errors, 0, n)
	}
	w.version++
	mine := w.version
	w.mu.Unlock()

	if err == nil {
		s.mu.Lock()
		e.last.webhook = now
		s.mu.Unlock()
	}

	w.saveMu.Lock()
	defer w.saveMu.Unlock()
	if w.saved >= mine {
		return // saved by a delivery that came later
	}
	w.mu.Lock()
	runs := append(w.pending, cloneRun(w.run))
	w.pending = nil
	version := w.version
	w.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	for _, run := range runs {
		if serr := guard("store", func() error { return s.store.SaveSyncRun(sctx, run) }); serr != nil {
			s.log.Error("ticketsync: record webhook run", "connector", run.ConnectorID, "err", serr)
		}
	}
	w.saved = version
}

// cloneRun returns a copy of run that shares no slice with it.
func cloneRun(run SyncRun) SyncRun {
	run.Errors = slices.Clone(run.Errors)
	return run
}

func safeVerify(rc WebhookReceiver, r *http.Request, body []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s connector panicked verifying a webhook: %v", rc.Platform(), p)
		}
	}()
	return rc.VerifyWebhook(r, body)
}

func safeParse(rc WebhookReceiver, body []byte) (events []Event, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("connector failed to parse the payload")
		}
	}()
	return rc.ParseWebhook(body)
}

func safeGet(ctx context.Context, g TicketGetter, ids []string) (tickets []Ticket, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("connector panicked loading tickets: %v", p)
		}
	}()
	return g.GetTickets(ctx, ids)
}

// countDistinct counts the distinct ticket ids in tickets.
func countDistinct(tickets []Ticket) int {
	if len(tickets) < 2 {
		return len(tickets)
	}
	seen := make(map[string]struct{}, len(tickets))
	for i := range tickets {
		seen[tickets[i].ID] = struct{}{}
	}
	return len(seen)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a rune boundary.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

func replyError(w http.ResponseWriter, code int, msg string) {
	writeReply(w, code, webhookReply{OK: false, Error: msg})
}

func writeReply(w http.ResponseWriter, code int, reply webhookReply) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(reply)
}
