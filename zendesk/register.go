package zendesk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
)

var _ ticketsync.WebhookRegistrar = (*Connector)(nil)

// WebhookEvents are the ticket event subscriptions RegisterWebhook asks
// for: every ticket event that changes what a synced ticket holds, each of
// which ParseWebhook turns into an event (created, updated, commented or
// deleted).
var WebhookEvents = []string{
	"zen:event-type:ticket.created",
	"zen:event-type:ticket.agent_assignment_changed",
	"zen:event-type:ticket.group_assignment_changed",
	"zen:event-type:ticket.comment_added",
	"zen:event-type:ticket.comment_made_private",
	"zen:event-type:ticket.comment_redacted",
	"zen:event-type:ticket.custom_field_changed",
	"zen:event-type:ticket.custom_status_changed",
	"zen:event-type:ticket.description_changed",
	"zen:event-type:ticket.external_id_changed",
	"zen:event-type:ticket.priority_changed",
	"zen:event-type:ticket.requester_changed",
	"zen:event-type:ticket.status_changed",
	"zen:event-type:ticket.subject_changed",
	"zen:event-type:ticket.tags_changed",
	"zen:event-type:ticket.soft_deleted",
	"zen:event-type:ticket.permanently_deleted",
	"zen:event-type:ticket.undeleted",
}

// webhookName is the name RegisterWebhook gives the webhooks it creates, as
// an admin sees it in Admin Center → Apps and integrations → Webhooks.
const webhookName = "ticketsync real-time sync"

// wireWebhook is a webhook of the Webhooks API.
type wireWebhook struct {
	ID            string   `json:"id,omitempty"`
	Name          string   `json:"name"`
	Description   string   `json:"description,omitempty"`
	Endpoint      string   `json:"endpoint"`
	HTTPMethod    string   `json:"http_method"`
	RequestFormat string   `json:"request_format"`
	Status        string   `json:"status"`
	Subscriptions []string `json:"subscriptions"`
}

// wireWebhookList is a page of GET /api/v2/webhooks (cursor pagination).
type wireWebhookList struct {
	Webhooks []wireWebhook `json:"webhooks"`
	Meta     struct {
		HasMore     bool   `json:"has_more"`
		AfterCursor string `json:"after_cursor"`
	} `json:"meta"`
}

// RegisterWebhook creates a Zendesk webhook that delivers the ticket events
// of WebhookEvents to endpointURL as JSON (POST /api/v2/webhooks), reads its
// signing secret (GET /api/v2/webhooks/{id}/signing_secret) and from then on
// accepts deliveries signed with it, besides the secrets of the Config. A
// webhook whose endpoint is exactly endpointURL is reused, not created
// again: the webhooks are listed first (GET /api/v2/webhooks), and the
// create is not repeated after a 5xx or a lost answer, which may follow a
// webhook Zendesk did create (registering again then finds it).
//
// Managing webhooks needs an admin (or an agent whose custom role allows
// it): otherwise the error matches ticketsync.ErrForbidden and names the
// user's role. When Zendesk refuses the endpoint (400 or 422), the error
// matches ticketsync.ErrInvalidWebhookURL.
func (c *Connector) RegisterWebhook(ctx context.Context, endpointURL string) (ticketsync.WebhookRegistration, error) {
	const op = "register webhook"
	u, err := url.Parse(endpointURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ticketsync.WebhookRegistration{}, &opError{op: op, err: ticketsync.ErrInvalidWebhookURL,
			detail: "the endpoint is not an absolute http or https URL"}
	}
	hook, found, err := c.findWebhook(ctx, endpointURL)
	if err != nil {
		return ticketsync.WebhookRegistration{}, c.forbidden(ctx, op, err)
	}
	if !found {
		in := struct {
			Webhook wireWebhook `json:"webhook"`
		}{wireWebhook{
			Name:          webhookName,
			Description:   "Delivers ticket events to ticketsync; created through the API.",
			Endpoint:      endpointURL,
			HTTPMethod:    http.MethodPost,
			RequestFormat: "json",
			Status:        "active",
			Subscriptions: WebhookEvents,
		}}
		var out struct {
			Webhook wireWebhook `json:"webhook"`
		}
		if _, err := c.client.PostJSON(ctx, "webhooks", in, &out, httpx.NotIdempotent()); err != nil {
			var api *ticketsync.APIError
			if errors.As(err, &api) && (api.StatusCode == http.StatusBadRequest || api.StatusCode == http.StatusUnprocessableEntity) {
				return ticketsync.WebhookRegistration{}, &opError{op: op, err: errors.Join(ticketsync.ErrInvalidWebhookURL, err),
					detail: "Zendesk refused the webhook"}
			}
			return ticketsync.WebhookRegistration{}, c.forbidden(ctx, op, err)
		}
		if out.Webhook.ID == "" {
			return ticketsync.WebhookRegistration{}, &opError{op: op, err: errors.New("the answer holds no webhook id")}
		}
		hook = out.Webhook
	}
	var secret struct {
		SigningSecret struct {
			Secret    string `json:"secret"`
			Algorithm string `json:"algorithm"`
		} `json:"signing_secret"`
	}
	if _, err := c.client.GetJSON(ctx, "webhooks/"+url.PathEscape(hook.ID)+"/signing_secret", nil, &secret); err != nil {
		return ticketsync.WebhookRegistration{}, c.forbidden(ctx, "read the signing secret of webhook "+hook.ID, err)
	}
	if secret.SigningSecret.Secret == "" {
		return ticketsync.WebhookRegistration{}, &opError{op: op,
			err: fmt.Errorf("webhook %s: Zendesk sent no signing secret (webhooks created by Zendesk apps do not reveal theirs)", hook.ID)}
	}
	c.addSecret(secret.SigningSecret.Secret)
	return ticketsync.WebhookRegistration{
		Platform: Platform,
		ID:       hook.ID,
		Endpoint: hook.Endpoint,
		Events:   slices.Clone(hook.Subscriptions),
		Secret:   secret.SigningSecret.Secret,
	}, nil
}

// findWebhook looks for a webhook whose endpoint is exactly endpoint,
// reading every page of the webhook list.
func (c *Connector) findWebhook(ctx context.Context, endpoint string) (wireWebhook, bool, error) {
	q := url.Values{"page[size]": {"100"}}
	for range 1000 {
		var page wireWebhookList
		if _, err := c.client.GetJSON(ctx, "webhooks", q, &page); err != nil {
			return wireWebhook{}, false, err
		}
		for _, w := range page.Webhooks {
			if w.Endpoint == endpoint {
				return w, true, nil
			}
		}
		if !page.Meta.HasMore || page.Meta.AfterCursor == "" {
			return wireWebhook{}, false, nil
		}
		q.Set("page[after]", page.Meta.AfterCursor)
	}
	return wireWebhook{}, false, errors.New("the webhook list does not end")
}

// UnregisterWebhook deletes webhook reg.ID (DELETE /api/v2/webhooks/{id})
// and stops accepting reg.Secret, unless the Config holds it. A webhook
// that is gone already is not an error.
func (c *Connector) UnregisterWebhook(ctx context.Context, reg ticketsync.WebhookRegistration) error {
	if reg.ID == "" {
		return &opError{op: "unregister webhook", err: errors.New("the registration has no webhook id")}
	}
	op := "unregister webhook " + reg.ID
	req, err := c.client.NewRequest(ctx, http.MethodDelete, "webhooks/"+url.PathEscape(reg.ID), nil, nil)
	if err != nil {
		return wrap(op, err, "")
	}
	resp, err := c.client.Do(req)
	if err != nil && !errors.Is(err, ticketsync.ErrNotFound) {
		return c.forbidden(ctx, op, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	c.removeSecret(reg.Secret)
	return nil
}

// forbidden names op in err and, when Zendesk answered 403, asks who the
// token user is, so that the error names the role that is missing.
func (c *Connector) forbidden(ctx context.Context, op string, err error) error {
	if !errors.Is(err, ticketsync.ErrForbidden) {
		return wrap(op, err, hintFor(err))
	}
	var me wireMe
	if _, merr := c.client.GetJSON(ctx, "users/me.json", nil, &me); merr == nil && me.User.ID != nil {
		return wrap(op, err, fmt.Sprintf("user %d is %s; managing webhooks needs the admin role (or a custom role that may manage webhooks): use an admin's email and API token", *me.User.ID, orWord(me.User.Role, "not an admin")))
	}
	return wrap(op, err, "managing webhooks needs the admin role: use an admin's email and API token")
}

func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
}

// addSecret makes VerifyWebhook accept secret too. Verifications running
// meanwhile see the old list or the new one, both complete.
func (c *Connector) addSecret(secret string) {
	c.secretsMu.Lock()
	defer c.secretsMu.Unlock()
	cur := *c.secrets.Load()
	if slices.Contains(cur, secret) {
		return
	}
	next := append(slices.Clip(slices.Clone(cur)), secret)
	c.secrets.Store(&next)
}

// removeSecret stops VerifyWebhook accepting secret, unless the Config
// holds it.
func (c *Connector) removeSecret(secret string) {
	if secret == "" || slices.Contains(c.cfg.secrets, secret) {
		return
	}
	c.secretsMu.Lock()
	defer c.secretsMu.Unlock()
	next := slices.DeleteFunc(slices.Clone(*c.secrets.Load()), func(s string) bool { return s == secret })
	c.secrets.Store(&next)
}
