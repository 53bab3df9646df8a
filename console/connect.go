package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/ticketsync/ticketsync"
)

// idPattern is what the console accepts as a new connector id: it appears
// in the webhook URL and in the console's paths.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// connectPage is what the connect template receives.
type connectPage struct {
	Platform *Platform
	Fields   []formField
	Modes    []modeChoice
	ID       string
	Error    string // the actionable error, shown next to the form
	ErrorFor string // the input the error is about, for aria-describedby
	Done     *connected
}

// formField is one input of the connect form.
type formField struct {
	ticketsync.FormField
	Input string // the input's name: "f." + Name
	Value string // never set for a secret
	Type  string // "text", "password", "email"
}

// modeChoice is one radio button of the mode choice.
type modeChoice struct {
	Value   int
	Label   string
	Checked bool
	Note    string
}

// connected is what the page shows after a successful Test & Connect.
type connected struct {
	ID       string
	Mode     string
	Webhook  string // the connector's webhook URL, when its mode receives
	Steps    []string
	NeedsKey []string // labels of webhook fields left empty
	Secrets  *secretForm
	Polls    bool // the mode polls too
}

// secretForm sets the webhook fields of a connection made earlier: a
// Zendesk webhook's signing secret exists only once the webhook does,
// after the connection is made.
type secretForm struct {
	ID     string
	Fields []secretField
	Error  string
}

// secretField is one webhook field, and whether it holds a value (never
// the value).
type secretField struct {
	formField
	Set bool
}

// secretForm returns the webhook secret form of the connection id, or nil
// when there is none to show.
func (c *console) secretForm(r *http.Request, id, formErr string) *secretForm {
	conn, ok, err := c.connections.Get(r.Context(), id)
	if err != nil {
		c.log.Error("console: get connection", "connector", id, "err", err)
		return nil
	}
	p := c.byName[conn.Platform]
	if !ok || p == nil {
		return nil
	}
	f := &secretForm{ID: id, Error: formErr}
	for _, ff := range p.Form.Fields {
		if ff.Webhook {
			typ := "text"
			if ff.Secret {
				typ = "password"
			}
			f.Fields = append(f.Fields, secretField{formField: formField{FormField: ff, Input: "f." + ff.Name, Type: typ}, Set: conn.Values[ff.Name] != ""})
		}
	}
	if len(f.Fields) == 0 {
		return nil
	}
	return f
}

// setWebhookSecret sets the webhook fields of a connection made in the
// console, and replaces its connector with one built with them.
func (c *console) setWebhookSecret(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st, ok := c.syncer.Status(id)
	if !ok {
		c.fail(w, http.StatusNotFound, "There is no connector "+strconv.Quote(id)+".")
		return
	}
	conn, found, err := c.connections.Get(r.Context(), id)
	p := c.byName[conn.Platform]
	switch {
	case err != nil:
		c.log.Error("console: get connection", "connector", id, "err", err)
		c.fail(w, http.StatusInternalServerError, "The connection could not be read. Try again.")
		return
	case !found || p == nil:
		c.fail(w, http.StatusConflict, "This connector was not connected in the console, so its settings are the host's.")
		return
	}
	if err := r.ParseForm(); err != nil {
		c.fail(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	var secrets []string
	for _, f := range p.Form.Fields {
		if !f.Webhook {
			continue
		}
		if v := strings.TrimSpace(r.PostForm.Get("f." + f.Name)); v != "" {
			conn.Values[f.Name] = v
			if f.Secret {
				secrets = append(secrets, v)
			}
		}
	}
	if !anyWebhookValue(p, r) {
		c.renderHistory(w, r, id, http.StatusUnprocessableEntity, "Enter the value to set.")
		return
	}
	built, err := p.New(conn.Values)
	if err != nil {
		c.renderHistory(w, r, id, http.StatusUnprocessableEntity, scrub(err.Error(), secrets))
		return
	}
	if err := c.connections.Save(r.Context(), conn); err != nil {
		c.log.Error("console: save connection", "connector", id, "err", err)
		c.renderHistory(w, r, id, http.StatusInternalServerError, "The connection could not be saved. Try again.")
		return
	}
	if err := c.syncer.Replace(id, built, st.Mode); err != nil {
		c.renderHistory(w, r, id, http.StatusConflict, scrub(err.Error(), secrets))
		return
	}
	c.log.Info("console: webhook settings replaced", "connector", id)
	c.redirect(w, r, c.connectorLink(id, "?done=secret"))
}

// anyWebhookValue reports whether the form holds a value for a webhook
// field of p.
func anyWebhookValue(p *Platform, r *http.Request) bool {
	for _, f := range p.Form.Fields {
		if f.Webhook && strings.TrimSpace(r.PostForm.Get("f."+f.Name)) != "" {
			return true
		}
	}
	return false
}

// choosePlatform lists the platforms.
func (c *console) choosePlatform(w http.ResponseWriter, r *http.Request) {
	c.render(w, http.StatusOK, "platforms", "Connect a platform", "connect", c.platforms, "")
}

// connectForm shows one platform's form.
func (c *console) connectForm(w http.ResponseWriter, r *http.Request) {
	p, ok := c.byName[r.PathValue("platform")]
	if !ok {
		c.fail(w, http.StatusNotFound, "There is no such platform to connect.")
		return
	}
	page := c.newConnectPage(p, nil, 0)
	c.render(w, http.StatusOK, "connect", "Connect "+p.Form.Title, "connect", page, "")
}

// newConnectPage returns the form of p filled with values (secrets left
// out) and mode checked (the recommended one when 0).
func (c *console) newConnectPage(p *Platform, values map[string]string, mode ticketsync.Mode) *connectPage {
	page := &connectPage{Platform: p}
	for _, f := range p.Form.Fields {
		ff := formField{FormField: f, Input: "f." + f.Name, Type: "text"}
		switch {
		case f.Secret:
			ff.Type = "password"
		case strings.Contains(strings.ToLower(f.Name), "email"):
			ff.Type = "email"
		}
		if !f.Secret {
			ff.Value = values[f.Name]
		}
		page.Fields = append(page.Fields, ff)
	}
	modes := p.Modes
	if len(modes) == 0 {
		modes = []ticketsync.Mode{ticketsync.ModeBoth, ticketsync.ModePoll, ticketsync.ModeWebhook}
	}
	if mode == 0 {
		mode = modes[0]
	}
	for i, m := range modes {
		mc := modeChoice{Value: int(m), Label: c.modeText(m), Checked: m == mode}
		if i == 0 && len(modes) > 1 {
			mc.Note = "recommended"
		}
		page.Modes = append(page.Modes, mc)
	}
	return page
}

// connect is Test & Connect: build the connector from the form, Test it,
// save the connection and add the connector to the Syncer. Any error is
// shown in place, with the form filled in again except for its secrets.
func (c *console) connect(w http.ResponseWriter, r *http.Request) {
	p, ok := c.byName[r.PathValue("platform")]
	if !ok {
		c.fail(w, http.StatusNotFound, "There is no such platform to connect.")
		return
	}
	if err := r.ParseForm(); err != nil {
		c.fail(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	values := make(map[string]string)
	var secrets []string
	for _, f := range p.Form.Fields {
		v := strings.TrimSpace(r.PostForm.Get("f." + f.Name))
		if v == "" {
			continue
		}
		values[f.Name] = v
		if f.Secret {
			secrets = append(secrets, v)
		}
	}
	id := strings.TrimSpace(r.PostForm.Get("id"))
	mode := ticketsync.Mode(0)
	if m, err := strconv.Atoi(r.PostForm.Get("mode")); err == nil {
		mode = ticketsync.Mode(m)
	}
	page := c.newConnectPage(p, values, mode)
	page.ID = id
	show := func(status int, field, msg string) {
		page.Error, page.ErrorFor = scrub(msg, secrets), field
		c.render(w, status, "connect", "Connect "+p.Form.Title, "connect", page, "")
	}

	switch {
	case !idPattern.MatchString(id):
		show(http.StatusUnprocessableEntity, "id", "Connector id: use 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit, such as acme-zendesk. It appears in the webhook URL.")
		return
	case !validMode(p, mode):
		show(http.StatusUnprocessableEntity, "mode", "Choose how tickets should arrive.")
		return
	}
	if _, taken := c.syncer.Status(id); taken {
		show(http.StatusConflict, "id", fmt.Sprintf("Connector id: %q is taken; choose another.", id))
		return
	}
	for _, f := range p.Form.Fields {
		if !f.Optional && values[f.Name] == "" {
			show(http.StatusUnprocessableEntity, "f."+f.Name, f.Label+" is required: "+f.Hint)
			return
		}
	}
	conn, err := p.New(values)
	if err != nil {
		show(http.StatusUnprocessableEntity, "", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(ticketsync.WithHooks(r.Context(), c.opts.Hooks), c.opts.TestTimeout)
	err = conn.Test(ctx)
	cancel()
	if err != nil {
		c.log.Info("console: test failed", "platform", p.Form.Platform, "connector", id, "unauthorized", errors.Is(err, ticketsync.ErrUnauthorized))
		show(http.StatusUnprocessableEntity, "", "Test failed: "+err.Error())
		return
	}
	conn2 := Connection{ID: id, Platform: p.Form.Platform, Mode: mode, Values: values}
	if err := c.connections.Save(r.Context(), conn2); err != nil {
		c.log.Error("console: save connection", "connector", id, "err", err)
		show(http.StatusInternalServerError, "", "The test passed, but the connection could not be saved. Try again.")
		return
	}
	if err := c.syncer.Add(id, conn, mode); err != nil {
		_ = c.connections.Delete(r.Context(), id)
		show(http.StatusConflict, "", err.Error())
		return
	}
	c.log.Info("console: connected", "platform", p.Form.Platform, "connector", id, "mode", mode.String())
	done := &connected{ID: id, Mode: c.modeText(mode), Polls: mode != ticketsync.ModeWebhook}
	if mode != ticketsync.ModePoll {
		done.Webhook = c.webhookURL(r, id)
		done.Steps = p.Form.WebhookSteps
		for _, f := range p.Form.Fields {
			if f.Webhook && values[f.Name] == "" {
				done.NeedsKey = append(done.NeedsKey, f.Label)
			}
		}
	}
	page.Done = done
	if len(done.NeedsKey) > 0 {
		done.Secrets = c.secretForm(r, id, "")
	}
	c.render(w, http.StatusOK, "connect", "Connected "+id, "connect", page, "")
}

func validMode(p *Platform, m ticketsync.Mode) bool {
	if len(p.Modes) == 0 {
		return m == ticketsync.ModePoll || m == ticketsync.ModeWebhook || m == ticketsync.ModeBoth
	}
	for _, x := range p.Modes {
		if x == m {
			return true
		}
	}
	return false
}

// webhookURL is the connector's webhook URL.
func (c *console) webhookURL(r *http.Request, id string) string {
	base := c.opts.WebhookURL
	if base == "" {
		scheme := "https"
		if r.TLS == nil {
			scheme = "http"
		}
		base = scheme + "://" + r.Host + DefaultWebhookPath
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "connectorId=" + url.QueryEscape(id)
}

// scrub replaces any secret in msg, which the platform packages never put
// there: a second line of defence.
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}
