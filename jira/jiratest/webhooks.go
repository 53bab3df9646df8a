package jiratest

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The admin webhooks API, /rest/webhooks/1.0/webhook: list, create, show,
// update and delete webhooks, for users with the Administer Jira global
// permission. A webhook's events about issues it matches (its JQL filter)
// are delivered, signed with its secret, whenever CreateIssue,
// UpdateIssue, MoveIssue, AddComment or DeleteIssue change an issue.

// DeliveryTimeout is how long a delivery may take before the fake gives up.
const DeliveryTimeout = 20 * time.Second

// adminEvents are the events an admin webhook may subscribe to that the
// fake knows.
var adminEvents = []string{
	IssueCreated, IssueUpdated, IssueDeleted, CommentCreated, CommentUpdated, CommentDeleted,
	"worklog_created", "worklog_updated", "worklog_deleted", "issuelink_created", "issuelink_deleted",
	"project_created", "project_updated", "project_deleted", "attachment_created", "attachment_deleted",
}

// AdminWebhook is an admin webhook of the site, as the fake holds it.
type AdminWebhook struct {
	ID      string
	Name    string
	URL     string
	Events  []string
	JQL     string // the issue-related events filter, "" for none
	Enabled bool
	secret  string
}

// Sent is one delivery the fake made (or could not make) to a webhook.
type Sent struct {
	WebhookID string
	Event     string
	IssueID   int64
	// Status is the endpoint's HTTP status, 0 when there was no answer.
	Status int
	Err    string
}

// hookState is the fake's webhook state, guarded by Server.mu except where
// noted.
type hookState struct {
	hooks    []*AdminWebhook
	nextID   int
	notAdmin bool

	wg     sync.WaitGroup // deliveries in flight
	sentMu sync.Mutex
	sent   []Sent
	client *http.Client
}

// notice collects what a mutator changed, to be delivered after it has
// released the lock.
type notice struct {
	event   string
	issue   int64
	comment int64
}

// SetAdmin gives the token user the Administer Jira global permission (the
// default) or takes it away; without it the admin webhooks API answers 403.
func (s *Server) SetAdmin(admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks.notAdmin = !admin
}

// AdminWebhooks returns the site's admin webhooks, oldest first.
func (s *Server) AdminWebhooks() []AdminWebhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AdminWebhook, 0, len(s.hooks.hooks))
	for _, h := range s.hooks.hooks {
		c := *h
		c.Events = slices.Clone(h.Events)
		out = append(out, c)
	}
	return out
}

// WaitWebhooks waits until every delivery started so far has been answered
// or has failed.
func (s *Server) WaitWebhooks() { s.hooks.wg.Wait() }

// SentWebhooks returns the deliveries made so far, oldest first.
func (s *Server) SentWebhooks() []Sent {
	s.hooks.sentMu.Lock()
	defer s.hooks.sentMu.Unlock()
	return slices.Clone(s.hooks.sent)
}

func (s *Server) recordSent(d Sent) {
	s.hooks.sentMu.Lock()
	defer s.hooks.sentMu.Unlock()
	s.hooks.sent = append(s.hooks.sent, d)
}

// notify delivers n to every enabled webhook subscribed to its event whose
// filter matches the issue, in the background. s.mu must not be held.
func (s *Server) notify(n *notice) {
	if n.event == "" {
		return
	}
	type target struct{ id, url, secret string }
	var targets []target
	s.mu.Lock()
	var is *Issue
	if live, ok := s.issues[n.issue]; ok {
		is = live.cur
	} else {
		is = s.deleted[n.issue]
	}
	for _, h := range s.hooks.hooks {
		if !h.Enabled || !slices.Contains(h.Events, n.event) || is == nil {
			continue
		}
		if h.JQL != "" {
			q, err := parseJQL(h.JQL, s.zone, s.Now(), s.opts.AmbiguousEarlier)
			if err != nil || q.where != nil && !q.where.match(&evalContext{s: s}, is) {
				continue
			}
		}
		targets = append(targets, target{h.ID, h.URL, h.secret})
	}
	s.mu.Unlock()
	for _, t := range targets {
		d, ok := s.Webhook(n.event, n.issue, n.comment)
		if !ok {
			continue
		}
		sent := Sent{WebhookID: t.id, Event: n.event, IssueID: n.issue}
		u, err := url.Parse(t.url)
		if err != nil || !isLoopback(u.Hostname()) {
			sent.Err = "not delivered: the fake delivers only to loopback addresses"
			s.recordSent(sent)
			continue
		}
		req, err := d.Request(t.url, t.secret)
		if err != nil {
			sent.Err = err.Error()
			s.recordSent(sent)
			continue
		}
		s.hooks.wg.Add(1)
		go func() {
			defer s.hooks.wg.Done()
			resp, err := s.hooks.client.Do(req)
			if err != nil {
				sent.Err = "no answer: " + err.Error()
			} else {
				sent.Status = resp.StatusCode
				resp.Body.Close()
			}
			s.recordSent(sent)
		}()
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// wireAdminWebhook is the API's webhook object; the secret is write-only.
type wireAdminWebhook struct {
	Name        string            `json:"name"`
	URL         string            `json:"url"`
	Events      []string          `json:"events"`
	Filters     map[string]string `json:"filters"`
	ExcludeBody bool              `json:"excludeBody"`
	Enabled     *bool             `json:"enabled"`
	Secret      string            `json:"secret"`
}

const filterKey = "issue-related-events-section"

func (s *Server) adminWebhookJSON(h *AdminWebhook) map[string]any {
	return map[string]any{
		"self":            s.URL + "/rest/webhooks/1.0/webhook/" + h.ID,
		"name":            h.Name,
		"url":             h.URL,
		"events":          h.Events,
		"filters":         map[string]string{filterKey: h.JQL},
		"excludeBody":     false,
		"enabled":         h.Enabled,
		"lastUpdatedUser": s.me.AccountID,
		"lastUpdated":     s.Now().UnixMilli(),
	}
}

// adminWebhooksLocked serves /rest/webhooks/1.0/webhook and below.
func (s *Server) adminWebhooksLocked(r *http.Request, path string, body []byte, who principal) response {
	if who.anon {
		return errorResponse(http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
	}
	if s.hooks.notAdmin {
		return errorResponse(http.StatusForbidden, "You do not have the permission to manage webhooks. The Administer Jira global permission is required.")
	}
	id := strings.TrimPrefix(strings.TrimPrefix(path, "/rest/webhooks/1.0/webhook"), "/")
	if id == "" {
		switch r.Method {
		case http.MethodGet:
			list := make([]map[string]any, 0, len(s.hooks.hooks))
			for _, h := range s.hooks.hooks {
				list = append(list, s.adminWebhookJSON(h))
			}
			return jsonResponse(http.StatusOK, list)
		case http.MethodPost:
			h := &AdminWebhook{}
			if resp, ok := s.applyWebhookLocked(h, body); !ok {
				return resp
			}
			s.hooks.nextID++
			h.ID = strconv.Itoa(s.hooks.nextID)
			s.hooks.hooks = append(s.hooks.hooks, h)
			return jsonResponse(http.StatusCreated, s.adminWebhookJSON(h))
		}
		return errorResponse(http.StatusMethodNotAllowed, "Method not allowed")
	}
	i := slices.IndexFunc(s.hooks.hooks, func(h *AdminWebhook) bool { return h.ID == id })
	if i < 0 {
		return errorResponse(http.StatusNotFound, "Webhook not found.")
	}
	switch r.Method {
	case http.MethodGet:
		return jsonResponse(http.StatusOK, s.adminWebhookJSON(s.hooks.hooks[i]))
	case http.MethodPut:
		h := *s.hooks.hooks[i]
		if resp, ok := s.applyWebhookLocked(&h, body); !ok {
			return resp
		}
		*s.hooks.hooks[i] = h
		return jsonResponse(http.StatusOK, s.adminWebhookJSON(&h))
	case http.MethodDelete:
		s.hooks.hooks = slices.Delete(s.hooks.hooks, i, i+1)
		return response{status: http.StatusNoContent, header: http.Header{}}
	}
	return errorResponse(http.StatusMethodNotAllowed, "Method not allowed")
}

// applyWebhookLocked validates a create or update body and applies it to h.
func (s *Server) applyWebhookLocked(h *AdminWebhook, body []byte) (response, bool) {
	var in wireAdminWebhook
	if err := json.Unmarshal(body, &in); err != nil {
		return errorResponse(http.StatusBadRequest, "Invalid request payload."), false
	}
	bad := func(field, msg string) (response, bool) {
		return jsonResponse(http.StatusBadRequest, map[string]any{"errorMessages": []string{}, "errors": map[string]string{field: msg}}), false
	}
	if strings.TrimSpace(in.Name) == "" {
		return bad("name", "The webhook name must not be empty.")
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return bad("url", "The URL must be an absolute http or https URL.")
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && (ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()) {
		return bad("url", "The URL must not point to a private or internal address.")
	}
	for _, e := range in.Events {
		if !slices.Contains(adminEvents, e) {
			return bad("events", "Unknown event "+strconv.Quote(e)+".")
		}
	}
	jql := in.Filters[filterKey]
	if jql != "" {
		if _, err := parseJQL(jql, s.zone, s.Now(), s.opts.AmbiguousEarlier); err != nil {
			return bad("filters", "The JQL filter is invalid: "+err.Error())
		}
	}
	h.Name, h.URL, h.Events, h.JQL = in.Name, in.URL, slices.Clone(in.Events), jql
	h.Enabled = in.Enabled == nil || *in.Enabled
	if in.Secret != "" {
		h.secret = in.Secret
	}
	return response{}, true
}
