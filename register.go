package ticketsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
)

// WebhookRegistrar is a connector that can create its platform's webhook
// through the platform's API, so that real-time sync needs no visit to the
// platform's admin pages. Zendesk implements it; platforms whose webhooks are
// configured only in admin pages or developer portals do not.
//
// Methods may be called concurrently with deliveries being verified.
type WebhookRegistrar interface {
	Connector
	// RegisterWebhook makes the platform deliver ticket events to
	// endpointURL, which the caller has checked (an absolute URL, https
	// unless on a loopback address, that routes to a WebhookHandler and
	// names the connector). If a webhook for exactly endpointURL exists
	// already, it is reused rather than a second one created. On success
	// the connector accepts deliveries signed with the returned secret from
	// then on, in addition to the secrets it accepted before, so that
	// deliveries in flight during a rotation still verify.
	//
	// Errors match ErrForbidden when the credentials lack the role the
	// platform requires to manage webhooks (the text names the role), and
	// ErrInvalidWebhookURL when the platform refuses the URL.
	RegisterWebhook(ctx context.Context, endpointURL string) (WebhookRegistration, error)
	// UnregisterWebhook deletes the platform's webhook reg.ID and stops
	// accepting reg.Secret. A webhook that no longer exists is not an
	// error.
	UnregisterWebhook(ctx context.Context, reg WebhookRegistration) error
}

// ErrInvalidWebhookURL: an endpoint URL given to register a webhook is not
// one the platform can deliver to (not https, no handler path, refused by
// the platform).
var ErrInvalidWebhookURL = errors.New("invalid webhook URL")

// WebhookRegistration is what a host keeps about a webhook that
// RegisterWebhook created: enough to verify deliveries after a restart (put
// Secret into the platform Config's webhook secret) and to delete the
// webhook later. Printing it with any fmt verb or slog never shows the
// secret.
type WebhookRegistration struct {
	// Platform names the platform ("zendesk").
	Platform string
	// ID is the platform's id of the webhook.
	ID string
	// Endpoint is the URL the platform delivers to.
	Endpoint string
	// Events are the platform's names of the events subscribed to.
	Events []string
	// Secret is the signing secret the platform generated (or the
	// connector generated and gave the platform).
	Secret string
}

// String describes the registration without its secret.
func (r WebhookRegistration) String() string {
	secret := ""
	if r.Secret != "" {
		secret = "[redacted]"
	}
	return fmt.Sprintf("ticketsync.WebhookRegistration{Platform:%q ID:%q Endpoint:%q Events:%q Secret:%s}",
		r.Platform, r.ID, r.Endpoint, r.Events, secret)
}

// GoString is String, for the %#v verb.
func (r WebhookRegistration) GoString() string { return r.String() }

// Format writes String for every verb, so that no verb prints the secret.
func (r WebhookRegistration) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }

// LogValue is String, so that no slog handler prints the secret.
func (r WebhookRegistration) LogValue() slog.Value { return slog.StringValue(r.String()) }

// WebhookEndpoint returns the URL a platform should deliver connector id's
// webhooks to: handlerURL, the public address where WebhookHandler is
// mounted (such as https://sync.example.com/api/webhooks/tickets), with the
// connectorId query parameter set to id, percent-encoded.
//
// It returns an error matching ErrInvalidWebhookURL when handlerURL is not
// absolute, is not https (plain http is allowed only on a loopback address,
// for tests), has no path (the handler is never mounted at the root here:
// a URL without one is almost always the host's bare address), holds
// credentials or a fragment, or already names a connector.
func WebhookEndpoint(handlerURL, id string) (string, error) {
	if id == "" {
		return "", errors.New("ticketsync: webhook endpoint: empty connector id")
	}
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("ticketsync: webhook endpoint for connector %q: %w: %s", id, ErrInvalidWebhookURL, why)
	}
	u, err := url.Parse(handlerURL)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return bad("not an absolute URL: use the public address of the webhook handler, such as https://sync.example.com/api/webhooks/tickets")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return bad("the platforms deliver only over https; plain http is allowed on a loopback address, for tests")
		}
	default:
		return bad("the scheme must be https")
	}
	if u.User != nil {
		return bad("the URL must not hold credentials")
	}
	if u.Fragment != "" {
		return bad("the URL must not have a fragment")
	}
	if u.Path == "" || u.Path == "/" {
		return bad("the URL has no path: give the path the webhook handler is mounted at, such as /api/webhooks/tickets")
	}
	q := u.Query()
	if q.Has("connectorId") {
		return bad("the URL names a connector already; give the handler's address without connectorId")
	}
	q.Set("connectorId", id)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RegisterWebhook sets up real-time sync of the connector added under id:
// it builds the connector's endpoint from handlerURL (see WebhookEndpoint),
// has the connector's platform create the webhook (or find the one that
// exists for that endpoint), and keeps the registration so that
// RemoveWithWebhook can delete it. The connector accepts deliveries signed
// with the new secret as soon as RegisterWebhook returns; deliveries verified
// meanwhile keep working with the secrets it had.
//
// The host should store the returned registration's Secret as it stores the
// connector's credentials and give it to the platform Config after a
// restart; calling RegisterWebhook again after a restart is also safe, as it
// finds the existing webhook.
//
// Errors match ErrUnknownConnector (no connector under id),
// ErrInvalidWebhookURL (bad handlerURL, or the platform refused it),
// ErrForbidden (the credentials may not manage webhooks), or say that the
// connector's platform cannot register webhooks or that the connector was
// added without a webhook mode.
func (s *Syncer) RegisterWebhook(ctx context.Context, id, handlerURL string) (WebhookRegistration, error) {
	e, ok := s.lookup(id)
	if !ok {
		return WebhookRegistration{}, fmt.Errorf("ticketsync: register webhook of connector %q: %w", id, ErrUnknownConnector)
	}
	reg, ok := e.conn.(WebhookRegistrar)
	if !ok {
		return WebhookRegistration{}, fmt.Errorf("ticketsync: register webhook of connector %q: %s has no API to create webhooks; set the webhook up in its admin pages", id, e.conn.Platform())
	}
	if !e.mode.receives() {
		return WebhookRegistration{}, fmt.Errorf("ticketsync: register webhook of connector %q: the connector was added with %s; add it with ModeWebhook or ModeBoth so that its deliveries are received", id, e.mode)
	}
	endpoint, err := WebhookEndpoint(handlerURL, id)
	if err != nil {
		return WebhookRegistration{}, err
	}
	r, err := reg.RegisterWebhook(ctx, endpoint)
	if err != nil {
		return WebhookRegistration{}, fmt.Errorf("ticketsync: register webhook of connector %q: %w", id, err)
	}
	s.mu.Lock()
	if s.webhooks == nil {
		s.webhooks = make(map[string]WebhookRegistration)
	}
	cur, still := s.conns[id]
	old, hadOld := s.webhooks[id]
	if still && cur == e {
		s.webhooks[id] = r
	}
	s.mu.Unlock()
	if still && cur == e && hadOld && old.ID != r.ID {
		// Registered again at another address: the new webhook works, so
		// the old one goes.
		if uerr := reg.UnregisterWebhook(ctx, old); uerr != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "previous webhook not deleted",
				slog.String("connector", id), slog.String("webhook", old.ID), slog.String("error", uerr.Error()))
		}
	}
	if !still || cur != e {
		// Removed meanwhile: take the webhook away again.
		if uerr := reg.UnregisterWebhook(ctx, r); uerr != nil {
			return WebhookRegistration{}, fmt.Errorf("ticketsync: register webhook of connector %q: the connector was removed meanwhile and its %s webhook %s could not be deleted: %w", id, r.Platform, r.ID, uerr)
		}
		return WebhookRegistration{}, fmt.Errorf("ticketsync: register webhook of connector %q: %w (removed meanwhile)", id, ErrUnknownConnector)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "webhook registered",
		slog.String("connector", id), slog.String("platform", r.Platform), slog.String("webhook", r.ID))
	return r, nil
}

// Webhook returns the registration RegisterWebhook made for the connector
// added under id, and whether there is one.
func (s *Syncer) Webhook(id string) (WebhookRegistration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.webhooks[id]
	return r, ok
}

// RemoveWithWebhook removes the connector added under id, as Remove does,
// and deletes the webhook RegisterWebhook created for it. The connector is
// removed in any case; when the webhook cannot be deleted the error says
// which webhook on which platform is left and why, so that a person can
// delete it in the platform's admin pages (the platform then stops
// delivering to an endpoint that answers 404). Removing a connector without
// a registered webhook is Remove and returns nil.
func (s *Syncer) RemoveWithWebhook(ctx context.Context, id string) error {
	s.mu.Lock()
	e, ok := s.conns[id]
	r, has := s.webhooks[id]
	delete(s.webhooks, id)
	s.mu.Unlock()
	s.Remove(id)
	if !ok || !has {
		return nil
	}
	reg, _ := e.conn.(WebhookRegistrar)
	if reg == nil {
		return nil
	}
	if err := reg.UnregisterWebhook(ctx, r); err != nil {
		return fmt.Errorf("ticketsync: remove connector %q: its %s webhook %s (%s) is left in place: %w; delete it in %s's admin pages",
			id, r.Platform, r.ID, r.Endpoint, err, r.Platform)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "webhook deleted",
		slog.String("connector", id), slog.String("platform", r.Platform), slog.String("webhook", r.ID))
	return nil
}
