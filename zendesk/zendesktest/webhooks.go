package zendesktest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The webhook management API (developer.zendesk.com/api-reference/webhooks/
// webhooks-api/webhooks): create, list, show and delete webhooks, and show or
// reset a webhook's signing secret. A webhook subscribed to ticket events
// is delivered to, signed with its secret, whenever CreateTicket,
// UpdateTicket, AddComment or DeleteTicket change a ticket.

// maxWebhookPage is the largest page[size] of the webhook list, as of every
// cursor-paginated endpoint.
const maxWebhookPage = 100

// DeliveryTimeout is how long a delivery may take before the fake gives up
// on it, as Zendesk does after about 12 seconds.
const DeliveryTimeout = 12 * time.Second

// ticketEventTypes are the ticket event subscriptions the fake knows: the
// ticket event-type reference's list. A subscription outside it and other
// than conditional_ticket_events is refused.
var ticketEventTypes = []string{
	"ticket.created", "ticket.agent_assignment_changed", "ticket.attachment_linked_to_comment",
	"ticket.attachment_redacted_from_comment", "ticket.brand_changed", "ticket.comment_added",
	"ticket.comment_made_private", "ticket.comment_redacted", "ticket.custom_field_changed",
	"ticket.custom_status_changed", "ticket.description_changed", "ticket.email_ccs_changed",
	"ticket.external_id_changed", "ticket.followers_changed", "ticket.form_changed",
	"ticket.group_assignment_changed", "ticket.marked_as_spam", "ticket.merged",
	"ticket.organization_changed", "ticket.permanently_deleted", "ticket.priority_changed",
	"ticket.problem_link_changed", "ticket.requester_changed", "ticket.soft_deleted",
	"ticket.status_changed", "ticket.subject_changed", "ticket.submitter_changed",
	"ticket.tags_changed", "ticket.task_due_at_changed", "ticket.undeleted",
}

// Webhook is a webhook of the fake account, as the API shows it (without
// its signing secret).
type Webhook struct {
	ID            string
	Name          string
	Endpoint      string
	HTTPMethod    string
	RequestFormat string
	Status        string // "active" or "inactive"
	Subscriptions []string
	CreatedAt     time.Time
	CreatedBy     int64
}

type webhookRecord struct {
	Webhook
	description string
	secret      string
}

// Delivery is one webhook request the fake made (or could not make).
type Delivery struct {
	WebhookID string
	EventType string // "zen:event-type:ticket.status_changed"
	TicketID  int64
	// Status is the endpoint's HTTP status, 0 when there was no answer.
	Status int
	// Err says why there was no answer.
	Err string
}

// hookState is the fake's webhook state, guarded by Server.mu except
// where noted.
type hookState struct {
	webhooks map[string]*webhookRecord
	order    []string // ids in creation order
	nextHook int64

	wg         sync.WaitGroup // deliveries in flight
	deliveryMu sync.Mutex
	deliveries []Delivery
	client     *http.Client
}

// notice collects what a mutator changed, to be delivered after it has
// released the lock.
type notice struct {
	ticket int64
	types  []string
}

func (n *notice) set(ticket int64, types ...string) { n.ticket, n.types = ticket, types }

// changedEvents names the ticket events an update from before to after
// makes.
func changedEvents(before, after Ticket) []string {
	var out []string
	add := func(changed bool, typ string) {
		if changed {
			out = append(out, typ)
		}
	}
	add(before.Status != after.Status, "ticket.status_changed")
	add(before.Priority != after.Priority, "ticket.priority_changed")
	add(before.Subject != after.Subject, "ticket.subject_changed")
	add(before.AssigneeID != after.AssigneeID, "ticket.agent_assignment_changed")
	add(before.GroupID != after.GroupID, "ticket.group_assignment_changed")
	add(before.RequesterID != after.RequesterID, "ticket.requester_changed")
	add(!slices.Equal(before.Tags, after.Tags), "ticket.tags_changed")
	add(before.ExternalID != after.ExternalID, "ticket.external_id_changed")
	add(before.Description != after.Description, "ticket.description_changed")
	return out
}

// notify delivers n's events to every active webhook subscribed to them.
// Deliveries run in the background, as Zendesk's do; WaitWebhooks waits
// for them. s.mu must not be held.
func (s *Server) notify(n *notice) {
	if len(n.types) == 0 {
		return
	}
	type target struct{ id, endpoint, secret string }
	s.mu.Lock()
	var targets []target
	for _, id := range s.hooks.order {
		h := s.hooks.webhooks[id]
		if h.Status != "active" {
			continue
		}
		for _, typ := range n.types {
			if slices.Contains(h.Subscriptions, eventTypePrefix+typ) {
				targets = append(targets, target{h.ID, h.Endpoint, h.secret})
				break
			}
		}
	}
	s.mu.Unlock()
	for _, t := range targets {
		for _, typ := range n.types {
			body, err := s.EventPayload(typ, n.ticket)
			if err != nil {
				s.record(Delivery{WebhookID: t.id, EventType: eventTypePrefix + typ, TicketID: n.ticket, Err: err.Error()})
				continue
			}
			h := s.webhookHeaders(t.secret, body, s.Now())
			h.Set(WebhookIDHeader, t.id)
			d := Delivery{WebhookID: t.id, EventType: eventTypePrefix + typ, TicketID: n.ticket}
			s.hooks.wg.Add(1)
			go func() {
				defer s.hooks.wg.Done()
				s.record(s.send(t.endpoint, h, body, d))
			}()
		}
	}
}

// send makes one delivery. The fake delivers only to loopback addresses,
// so that a test never sends anything off the machine.
func (s *Server) send(endpoint string, h http.Header, body []byte, d Delivery) Delivery {
	u, err := url.Parse(endpoint)
	if err != nil {
		d.Err = "endpoint is not a URL"
		return d
	}
	if !isLoopback(u.Hostname()) {
		d.Err = "not delivered: the fake delivers only to loopback addresses"
		return d
	}
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		d.Err = err.Error()
		return d
	}
	req.Header = h
	resp, err := s.hooks.client.Do(req)
	if err != nil {
		d.Err = "no answer: " + err.Error()
		return d
	}
	defer resp.Body.Close()
	d.Status = resp.StatusCode
	return d
}

func (s *Server) record(d Delivery) {
	s.hooks.deliveryMu.Lock()
	defer s.hooks.deliveryMu.Unlock()
	s.hooks.deliveries = append(s.hooks.deliveries, d)
}

// WaitWebhooks waits until every delivery started so far has been answered
// or has failed.
func (s *Server) WaitWebhooks() { s.hooks.wg.Wait() }

// Deliveries returns the webhook deliveries made so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.hooks.deliveryMu.Lock()
	defer s.hooks.deliveryMu.Unlock()
	return slices.Clone(s.hooks.deliveries)
}

// Webhooks returns the account's webhooks, oldest first.
func (s *Server) Webhooks() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Webhook, 0, len(s.hooks.order))
	for _, id := range s.hooks.order {
		w := s.hooks.webhooks[id].Webhook
		w.Subscriptions = slices.Clone(w.Subscriptions)
		out = append(out, w)
	}
	return out
}

// WebhookSecret returns webhook id's signing secret, for tests that sign
// deliveries themselves.
func (s *Server) WebhookSecret(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hooks.webhooks[id]
	if !ok {
		return "", false
	}
	return h.secret, true
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// webhookErrors is the error body of the Webhooks API, which differs from
// the Support API's: {"errors":[{"code","title","detail"}]}.
func webhookErrors(status int, code, title, detail string) response {
	return jsonResponse(status, map[string]any{"errors": []map[string]string{{"code": code, "title": title, "detail": detail}}})
}

// webhooksLocked serves /api/v2/webhooks and below, for p, who has
// authenticated and passed the plan limit.
func (s *Server) webhooksLocked(r *http.Request, p principal, now time.Time) response {
	rest := strings.TrimPrefix(strings.TrimSuffix(r.URL.Path, ".json"), "/api/v2/webhooks")
	if p.user.Role != "admin" {
		return webhookErrors(http.StatusForbidden, "Forbidden", "Forbidden", "You do not have access to this resource")
	}
	id, sub, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	switch {
	case id == "" && r.Method == http.MethodGet:
		return s.listWebhooksLocked(r.URL.Query())
	case id == "" && r.Method == http.MethodPost:
		return s.createWebhookLocked(r, p, now)
	case id == "":
		return errorResponse(http.StatusNotFound, "InvalidEndpoint", "Not found")
	}
	h, ok := s.hooks.webhooks[id]
	if !ok {
		return webhookErrors(http.StatusNotFound, "WebhookNotFound", "Webhook not found", "Webhook "+id+" not found")
	}
	switch {
	case sub == "" && r.Method == http.MethodGet:
		return jsonResponse(http.StatusOK, map[string]any{"webhook": h.json()})
	case sub == "" && r.Method == http.MethodDelete:
		delete(s.hooks.webhooks, id)
		s.hooks.order = slices.DeleteFunc(s.hooks.order, func(x string) bool { return x == id })
		return response{status: http.StatusNoContent, header: http.Header{}}
	case sub == "signing_secret" && r.Method == http.MethodGet:
		return jsonResponse(http.StatusOK, map[string]any{"signing_secret": map[string]string{"algorithm": "SHA256", "secret": h.secret}})
	case sub == "signing_secret" && r.Method == http.MethodPost:
		h.secret = newSecret()
		return jsonResponse(http.StatusOK, map[string]any{"signing_secret": map[string]string{"algorithm": "SHA256", "secret": h.secret}})
	}
	return errorResponse(http.StatusNotFound, "InvalidEndpoint", "Not found")
}

func (h *webhookRecord) json() map[string]any {
	return map[string]any{
		"id": h.ID, "name": h.Name, "description": h.description, "endpoint": h.Endpoint,
		"http_method": h.HTTPMethod, "request_format": h.RequestFormat, "status": h.Status,
		"subscriptions": h.Subscriptions, "created_at": h.CreatedAt.UTC().Format(time.RFC3339),
		"created_by": strconv.FormatInt(h.CreatedBy, 10),
	}
}

func (s *Server) listWebhooksLocked(q url.Values) response {
	size := maxWebhookPage
	if v := q.Get("page[size]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxWebhookPage {
			return webhookErrors(http.StatusBadRequest, "InvalidPaginationParameter", "Invalid pagination parameter", "page[size] must be between 1 and 100")
		}
		size = n
	}
	start := 0
	if after := q.Get("page[after]"); after != "" {
		i := slices.Index(s.hooks.order, after)
		if i < 0 {
			return webhookErrors(http.StatusBadRequest, "InvalidPaginationParameter", "Invalid pagination parameter", "page[after] is not a cursor of this list")
		}
		start = i + 1
	}
	// The cursor is the id of the last webhook of a page.
	nameContains := strings.ToLower(q.Get("filter[name_contains]"))
	var matched []string
	for _, id := range s.hooks.order[start:] {
		if nameContains == "" || strings.Contains(strings.ToLower(s.hooks.webhooks[id].Name), nameContains) {
			matched = append(matched, id)
		}
	}
	from := 0
	end := min(from+size, len(matched))
	page := make([]map[string]any, 0, end-from)
	for _, id := range matched[from:end] {
		page = append(page, s.hooks.webhooks[id].json())
	}
	more := end < len(matched)
	meta := map[string]any{"has_more": more, "after_cursor": nil, "before_cursor": nil}
	links := map[string]any{"next": nil, "prev": nil}
	if len(page) > 0 {
		meta["before_cursor"] = matched[from]
		meta["after_cursor"] = matched[end-1]
	}
	if more {
		nq := url.Values{"page[size]": {strconv.Itoa(size)}, "page[after]": {matched[end-1]}}
		links["next"] = s.apiURL("/api/v2/webhooks", nq)
	}
	return jsonResponse(http.StatusOK, map[string]any{"webhooks": page, "meta": meta, "links": links})
}

func (s *Server) createWebhookLocked(r *http.Request, p principal, now time.Time) response {
	var in struct {
		Webhook struct {
			Name          string   `json:"name"`
			Description   string   `json:"description"`
			Endpoint      string   `json:"endpoint"`
			HTTPMethod    string   `json:"http_method"`
			RequestFormat string   `json:"request_format"`
			Status        string   `json:"status"`
			Subscriptions []string `json:"subscriptions"`
		} `json:"webhook"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20)).Decode(&in); err != nil {
		return webhookErrors(http.StatusBadRequest, "InvalidInput", "Invalid input", "The request body is not a JSON object")
	}
	w := in.Webhook
	invalid := func(field, detail string) response {
		return webhookErrors(http.StatusBadRequest, "InvalidValue", "Invalid "+field, detail)
	}
	switch {
	case strings.TrimSpace(w.Name) == "":
		return invalid("name", "name is required")
	case w.Endpoint == "":
		return invalid("endpoint", "endpoint is required")
	case !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, w.HTTPMethod):
		return invalid("http_method", "http_method must be one of GET, POST, PUT, PATCH, DELETE")
	case !slices.Contains([]string{"json", "xml", "form_encoded"}, w.RequestFormat):
		return invalid("request_format", "request_format must be one of json, xml, form_encoded")
	case !slices.Contains([]string{"active", "inactive"}, w.Status):
		return invalid("status", "status must be active or inactive")
	case len(w.Subscriptions) == 0:
		return invalid("subscriptions", "subscriptions is required")
	}
	u, err := url.Parse(w.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return invalid("endpoint", "endpoint must be an absolute http or https URL without credentials")
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && (ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()) {
		return invalid("endpoint", "endpoint must not be a private or internal address")
	}
	events := false
	for _, sub := range w.Subscriptions {
		if sub == "conditional_ticket_events" {
			continue
		}
		typ, ok := strings.CutPrefix(sub, eventTypePrefix)
		if !ok || !slices.Contains(ticketEventTypes, typ) {
			return invalid("subscriptions", "unknown subscription "+strconv.Quote(sub))
		}
		events = true
	}
	if events && (w.HTTPMethod != http.MethodPost || w.RequestFormat != "json") {
		return invalid("subscriptions", "webhooks subscribed to Zendesk events must use POST and json")
	}
	if events && slices.Contains(w.Subscriptions, "conditional_ticket_events") {
		return invalid("subscriptions", "a webhook connects to triggers and automations or subscribes to events, not both")
	}
	s.hooks.nextHook++
	h := &webhookRecord{
		Webhook: Webhook{
			ID:   fmt.Sprintf("01HZ%010d%012X", now.Unix()%1e10, s.hooks.nextHook),
			Name: w.Name, Endpoint: w.Endpoint, HTTPMethod: w.HTTPMethod, RequestFormat: w.RequestFormat,
			Status: w.Status, Subscriptions: slices.Clone(w.Subscriptions), CreatedAt: now, CreatedBy: p.user.ID,
		},
		description: w.Description,
		secret:      newSecret(),
	}
	if s.hooks.webhooks == nil {
		s.hooks.webhooks = map[string]*webhookRecord{}
	}
	s.hooks.webhooks[h.ID] = h
	s.hooks.order = append(s.hooks.order, h.ID)
	resp := jsonResponse(http.StatusCreated, map[string]any{"webhook": h.json()})
	resp.header.Set("Location", s.apiURL("/api/v2/webhooks/"+h.ID, nil))
	return resp
}

// newSecret makes a signing secret like Zendesk's: random bytes in base64.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
