package intercomtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Notification is one webhook notification the workspace would send: a
// topic about a conversation or a ticket, recorded as the fake changes.
type Notification struct {
	ID        string // "notif_..."
	Topic     string // "conversation.user.created", "ticket.state.updated", "ping", ...
	ItemType  string // "conversation" or "ticket"; "" for ping
	ItemID    string
	CreatedAt time.Time
}

// recordLocked records a notification about a conversation or a ticket.
func (s *Server) recordLocked(topic, id string, ticket bool) {
	s.nextNotification++
	typ := "conversation"
	if ticket {
		typ = "ticket"
	}
	s.notifications = append(s.notifications, Notification{
		ID:    fmt.Sprintf("notif_%08x-ba3f-46dc-ab48-%012x", s.nextNotification, s.nextNotification),
		Topic: topic, ItemType: typ, ItemID: id, CreatedAt: s.Now(),
	})
}

// TakeNotifications returns the notifications recorded since the last call,
// oldest first.
func (s *Server) TakeNotifications() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.notifications
	s.notifications = nil
	return out
}

// Ping returns the notification Intercom sends when the endpoint is tested
// from the Developer Hub.
func (s *Server) Ping() Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextNotification++
	return Notification{ID: fmt.Sprintf("notif_ping_%08x", s.nextNotification), Topic: "ping", CreatedAt: s.Now()}
}

// NotificationFor builds a notification about an item now, as the
// workspace would send for topic.
func (s *Server) NotificationFor(topic, itemType, id string) Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextNotification++
	return Notification{ID: fmt.Sprintf("notif_%08x-0000-4000-8000-%012x", s.nextNotification, s.nextNotification),
		Topic: topic, ItemType: itemType, ItemID: id, CreatedAt: s.Now()}
}

// webhookParts is how many of the most recent parts a notification's item
// carries: notifications trim the thread.
const webhookParts = 1

// Body renders n as the notification_event Intercom POSTs. The item is the
// conversation or ticket in the app's default version (Options.
// DefaultVersion, which the Developer Hub sets for webhooks too), with its
// thread trimmed to the newest part; a *.deleted topic carries only the
// item's type and id; ping carries a message.
func (s *Server) Body(n Notification) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, _ := parseVersion(s.opts.DefaultVersion)
	var item any
	switch {
	case n.Topic == "ping":
		item = map[string]any{"type": "ping", "message": "something something interzen"}
	case n.Topic == "conversation.deleted" || n.Topic == "ticket.deleted":
		item = map[string]any{"type": n.ItemType, "id": n.ItemID}
	case n.ItemType == "conversation":
		c := s.conversations[n.ItemID]
		if c == nil {
			item = map[string]any{"type": n.ItemType, "id": n.ItemID}
			break
		}
		trimmed := *c
		trimmed.Parts = c.Parts[max(0, len(c.Parts)-webhookParts):]
		item = s.renderConversationLocked(&trimmed, true)
	default:
		t := s.tickets[n.ItemID]
		if t == nil {
			item = map[string]any{"type": n.ItemType, "id": n.ItemID}
			break
		}
		trimmed := *t
		trimmed.Parts = t.Parts[max(0, len(t.Parts)-webhookParts):]
		item = s.renderTicketLocked(&trimmed, v, true)
	}
	env := map[string]any{
		"type":              "notification_event",
		"app_id":            s.opts.AppID,
		"id":                n.ID,
		"topic":             n.Topic,
		"created_at":        n.CreatedAt.Unix(),
		"delivery_status":   "pending",
		"delivery_attempts": 1,
		"delivered_at":      0,
		"first_sent_at":     n.CreatedAt.Unix(),
		"links":             map[string]any{},
		"self":              nil,
		"data":              map[string]any{"type": "notification_event_data", "item": item},
	}
	if n.Topic == "ping" {
		env["data"] = map[string]any{"type": "notification_event_data", "item": item}
	}
	b, _ := json.Marshal(env)
	return b
}

// WebhookRequest builds the POST Intercom sends to target for n, signed
// with the app's client secret in X-Hub-Signature.
func (s *Server) WebhookRequest(target string, n Notification) (*http.Request, []byte) {
	body := s.Body(n)
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		panic(fmt.Sprintf("intercomtest: webhook target %q: %v", target, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "intercom-parrot-service-client/1.0")
	req.Header.Set("X-Hub-Signature", Sign(s.opts.ClientSecret, body))
	return req, slices.Clone(body)
}
