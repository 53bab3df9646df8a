package jira

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
)

var _ ticketsync.WebhookRegistrar = (*Connector)(nil)

// WebhookEvents are the events RegisterWebhook subscribes to: the issue and
// comment events ParseWebhook turns into ticket events.
var WebhookEvents = []string{
	"jira:issue_created", "jira:issue_updated", "jira:issue_deleted",
	"comment_created", "comment_updated", "comment_deleted",
}

// webhookName is the name RegisterWebhook gives its webhooks, as an admin
// sees it in Jira settings → System → WebHooks.
const webhookName = "ticketsync real-time sync"

// webhooksPath is the admin webhooks API.
const webhooksPath = "/rest/webhooks/1.0/webhook"

// hintAdmin says what a 403 of the admin webhooks API lacks.
const hintAdmin = "creating a webhook needs the Administer Jira global permission (a Jira admin): use an admin's email and API token, or create the webhook by hand in Jira settings → System → WebHooks"

// wireAdminWebhook is a webhook of the admin webhooks API. Jira never sends
// the secret back.
type wireAdminWebhook struct {
	Self        string            `json:"self,omitempty"`
	Name        string            `json:"name"`
	URL         string            `json:"url"`
	Events      []string          `json:"events"`
	Filters     map[string]string `json:"filters,omitempty"`
	ExcludeBody bool              `json:"excludeBody"`
	Enabled     *bool             `json:"enabled,omitempty"`
	Secret      string            `json:"secret,omitempty"`
}

// id is the webhook's id: the last segment of its self link.
func (w wireAdminWebhook) id() string {
	u, err := url.Parse(w.Self)
	if err != nil || w.Self == "" {
		return ""
	}
	return path.Base(u.Path)
}

// RegisterWebhook creates an admin webhook (POST /rest/webhooks/1.0/webhook)
// that sends WebhookEvents about the connector's projects (the JQL filter
// `project in (...)`: Config.Projects, else every service desk project the
// user sees now) to endpointURL, signed with a secret the connector
// generates and from then on accepts. Jira never shows a webhook's secret
// again, so a webhook that exists for exactly endpointURL is updated (PUT)
// with a new secret, the events and the filter rather than created twice:
// deliveries still in flight with its old secret verify only if that
// secret is in Config.
//
// It needs the Administer Jira global permission: otherwise the error
// matches ticketsync.ErrForbidden and says so. Connectors using OAuth 2.0
// (Config.TokenSource) cannot use the admin API; app webhooks
// (/rest/api/3/webhook) expire after 30 days unless refreshed and are not
// registered here, so RegisterWebhook returns an error saying so.
func (c *Connector) RegisterWebhook(ctx context.Context, endpointURL string) (ticketsync.WebhookRegistration, error) {
	const op = "register webhook"
	if c.cfg.TokenSource != nil {
		return ticketsync.WebhookRegistration{}, fmt.Errorf("jira: %s: OAuth 2.0 apps may use only app webhooks (/rest/api/3/webhook), which expire after 30 days and are not registered by ticketsync; use an admin's email and API token, or create the webhook by hand", op)
	}
	u, err := url.Parse(endpointURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ticketsync.WebhookRegistration{}, fmt.Errorf("jira: %s: the endpoint is not an absolute http or https URL: %w", op, ticketsync.ErrInvalidWebhookURL)
	}
	var hooks []wireAdminWebhook
	if _, err := c.get(ctx, webhooksPath, nil, &hooks); err != nil {
		return ticketsync.WebhookRegistration{}, adminWrap(op, err)
	}
	projects, err := c.projects(ctx)
	if err != nil {
		return ticketsync.WebhookRegistration{}, wrap(op, err)
	}
	filter := buildJQL(projects, "", c.cfg.JQL)
	filter = strings.TrimSuffix(filter, " ORDER BY updated ASC, key ASC")
	secret, err := newSecret()
	if err != nil {
		return ticketsync.WebhookRegistration{}, fmt.Errorf("jira: %s: generate a secret: %w", op, err)
	}
	enabled := true
	in := wireAdminWebhook{
		Name:    webhookName,
		URL:     endpointURL,
		Events:  WebhookEvents,
		Filters: map[string]string{"issue-related-events-section": filter},
		Enabled: &enabled,
		Secret:  secret,
	}
	// The secret is accepted before Jira can sign with it.
	c.addSecret(secret)
	var out wireAdminWebhook
	existing := slices.IndexFunc(hooks, func(w wireAdminWebhook) bool { return w.URL == endpointURL })
	if existing >= 0 && hooks[existing].id() != "" {
		err = c.put(ctx, webhooksPath+"/"+url.PathEscape(hooks[existing].id()), in, &out)
	} else {
		// Not repeated after a 5xx or a lost answer, which may follow a
		// webhook Jira did create: registering again finds it.
		var h http.Header
		h, err = c.client.PostJSON(ctx, webhooksPath, in, &out, httpx.NotIdempotent())
		if err == nil && loginFailed(h) {
			err = errAnonymous
		}
	}
	if err != nil {
		c.removeSecret(secret)
		var api *ticketsync.APIError
		if errors.As(err, &api) && api.StatusCode == http.StatusBadRequest {
			return ticketsync.WebhookRegistration{}, fmt.Errorf("jira: %s: Jira refused the webhook: %w", op, errors.Join(ticketsync.ErrInvalidWebhookURL, err))
		}
		return ticketsync.WebhookRegistration{}, adminWrap(op, err)
	}
	id := out.id()
	if id == "" {
		c.removeSecret(secret)
		return ticketsync.WebhookRegistration{}, fmt.Errorf("jira: %s: the answer holds no webhook link (self)", op)
	}
	return ticketsync.WebhookRegistration{
		Platform: Platform,
		ID:       id,
		Endpoint: endpointURL,
		Events:   slices.Clone(WebhookEvents),
		Secret:   secret,
	}, nil
}

// UnregisterWebhook deletes admin webhook reg.ID
// (DELETE /rest/webhooks/1.0/webhook/{id}) and stops accepting reg.Secret,
// unless Config holds it. A webhook that is gone already is not an error.
func (c *Connector) UnregisterWebhook(ctx context.Context, reg ticketsync.WebhookRegistration) error {
	if reg.ID == "" {
		return errors.New("jira: unregister webhook: the registration has no webhook id")
	}
	op := "unregister webhook " + reg.ID
	req, err := c.client.NewRequest(ctx, http.MethodDelete, webhooksPath+"/"+url.PathEscape(reg.ID), nil, nil)
	if err != nil {
		return wrap(op, err)
	}
	resp, err := c.client.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	if err == nil && resp != nil && loginFailed(resp.Header) {
		err = errAnonymous
	}
	if err != nil && !errors.Is(err, ticketsync.ErrNotFound) {
		return adminWrap(op, err)
	}
	c.removeSecret(reg.Secret)
	return nil
}

// put sends a PUT of JSON and decodes the answer.
func (c *Connector) put(ctx context.Context, p string, in, out any) error {
	body, err := jsonBody(in)
	if err != nil {
		return err
	}
	req, err := c.client.NewRequest(ctx, http.MethodPut, p, nil, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if loginFailed(resp.Header) {
		return errAnonymous
	}
	return decodeJSON(resp, out)
}

// adminWrap names op in err, with the missing permission when Jira
// answered 403.
func adminWrap(op string, err error) error {
	if errors.Is(err, ticketsync.ErrForbidden) {
		var api *ticketsync.APIError
		if errors.As(err, &api) && api.Hint == "" && api.Op == "" {
			e := *api
			e.Op, e.Hint = op, hintAdmin
			return &e
		}
		return fmt.Errorf("jira: %s: %w; %s", op, err, hintAdmin)
	}
	return wrap(op, err)
}

// newSecret generates a webhook secret: 32 random bytes in hex.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
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

// removeSecret stops VerifyWebhook accepting secret, unless Config holds
// it.
func (c *Connector) removeSecret(secret string) {
	if secret == "" || slices.Contains(c.cfg.secrets, secret) {
		return
	}
	c.secretsMu.Lock()
	defer c.secretsMu.Unlock()
	next := slices.DeleteFunc(slices.Clone(*c.secrets.Load()), func(s string) bool { return s == secret })
	c.secrets.Store(&next)
}

// jsonBody encodes v for a request body.
func jsonBody(v any) (*bytes.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// decodeJSON decodes resp's JSON body into out.
func decodeJSON(resp *http.Response, out any) error {
	return json.NewDecoder(resp.Body).Decode(out)
}
