package ticketsync_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/ticketsync/ticketsync/freshdesk"
	"github.com/ticketsync/ticketsync/hubspot"
	"github.com/ticketsync/ticketsync/intercom"
	"github.com/ticketsync/ticketsync/internal/httpx"
	"github.com/ticketsync/ticketsync/jira"
	"github.com/ticketsync/ticketsync/webhookpush"
	"github.com/ticketsync/ticketsync/zendesk"
)

// printable is one value the module exports that holds credentials: a
// Config, or the Connector made from it.
type printable struct {
	name  string
	value any
}

// secretHolder is one platform package's configured types and the secrets
// configured in them. A new platform package adds one entry here.
type secretHolder struct {
	name string
	// secrets are the configured secrets, written out in full; none may
	// appear in anything printed, nor its hex or base64 form.
	secrets []string
	// raw are further byte strings that may not appear: decoded keys.
	raw []string
	// values returns the Config (by value and pointer) and the Connector.
	values func(t *testing.T) []printable
}

const (
	leakToken    = "tok-Secret-4711-abcdef"
	leakToken2   = "tok-Other-0815-uvwxyz"
	leakPassword = "pw-Secret-2718-qrstuv"
	// whsec_ followed by base64 of "sw-Decoded-Key-31415926".
	leakStandardKey = "sw-Decoded-Key-31415926"
)

var leakStandard = "whsec_" + base64.StdEncoding.EncodeToString([]byte(leakStandardKey))

var secretHolders = []secretHolder{
	{
		name:    "zendesk",
		secrets: []string{leakToken, leakToken2},
		values: func(t *testing.T) []printable {
			cfg := zendesk.Config{Subdomain: "acme", Email: "a@b.c", APIToken: leakToken,
				WebhookSecret: leakToken2, WebhookSecrets: []string{leakToken2}}
			c, err := zendesk.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			cfg.OAuthToken = leakToken
			cfg.TokenSource = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: leakToken, RefreshToken: leakToken2})
			return []printable{{"Config", cfg}, {"*Config", &cfg}, {"*Connector", c}}
		},
	},
	{
		name:    "hubspot",
		secrets: []string{leakToken, leakToken2},
		values: func(t *testing.T) []printable {
			cfg := hubspot.Config{PrivateAppToken: leakToken, ClientSecret: leakToken2, ClientSecrets: []string{leakToken2}}
			c, err := hubspot.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			cfg.TokenSource = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: leakToken, RefreshToken: leakToken2})
			return []printable{{"Config", cfg}, {"*Config", &cfg}, {"*Connector", c}}
		},
	},
	{
		name:    "freshdesk",
		secrets: []string{leakToken, leakToken2, leakPassword},
		values: func(t *testing.T) []printable {
			cfg := freshdesk.Config{Domain: "acme", APIKey: leakToken, WebhookToken: leakToken2,
				WebhookTokens: []string{leakToken2}, WebhookUsername: "hook", WebhookPassword: leakPassword}
			c, err := freshdesk.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return []printable{{"Config", cfg}, {"*Config", &cfg}, {"*Connector", c}}
		},
	},
	{
		name:    "jira",
		secrets: []string{leakToken, leakToken2},
		values: func(t *testing.T) []printable {
			cfg := jira.Config{Subdomain: "acme", Email: "a@b.c", APIToken: leakToken,
				WebhookSecret: leakToken2, WebhookSecrets: []string{leakToken2}}
			c, err := jira.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			cfg.TokenSource = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: leakToken, RefreshToken: leakToken2})
			return []printable{{"Config", cfg}, {"*Config", &cfg}, {"*Connector", c}}
		},
	},
	{
		name:    "intercom",
		secrets: []string{leakToken, leakToken2, leakPassword},
		values: func(t *testing.T) []printable {
			cfg := intercom.Config{AccessToken: leakToken, Region: "EU", AppID: "abc123xy",
				ClientSecret: leakToken2, ClientSecrets: []string{leakPassword}}
			c, err := intercom.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			cfg.TokenSource = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: leakToken, RefreshToken: leakToken2})
			return []printable{{"Config", cfg}, {"*Config", &cfg}, {"*Connector", c}}
		},
	},
	{
		name:    "webhookpush",
		secrets: []string{leakToken, leakToken2, leakStandard},
		raw:     []string{leakStandardKey},
		values: func(t *testing.T) []printable {
			cfg := webhookpush.Config{HMACSecrets: []string{leakToken}, BearerTokens: []string{leakToken2},
				StandardWebhooksSecrets: []string{leakStandard}}
			c, err := webhookpush.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return []printable{{"Config", cfg}, {"*Config", &cfg}, {"*Connector", c}}
		},
	},
	{
		name:    "httpx",
		secrets: []string{leakToken, leakPassword},
		values: func(t *testing.T) []printable {
			cfg := httpx.Config{Platform: "x", BaseURL: "https://example.com", Username: "u", Password: leakPassword}
			c, err := httpx.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Token = leakToken
			return []printable{{"Config", cfg}, {"*Config", &cfg}, {"*Client", c}}
		},
	},
}

// No fmt verb, flag or slog handler prints a configured secret of any
// exported Config or Connector type, nor its hex or base64 form.
func TestNoConfigOrConnectorPrintsASecret(t *testing.T) {
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10.3v", "%T %v"}
	for _, h := range secretHolders {
		t.Run(h.name, func(t *testing.T) {
			var forbidden []string
			for _, s := range append(append([]string(nil), h.secrets...), h.raw...) {
				forbidden = append(forbidden, s, hex.EncodeToString([]byte(s)),
					base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)))
			}
			for _, p := range h.values(t) {
				var outs []string
				for _, verb := range verbs {
					if verb == "%T %v" {
						outs = append(outs, fmt.Sprintf(verb, p.value, p.value))
						continue
					}
					outs = append(outs, verb+" → "+fmt.Sprintf(verb, p.value))
				}
				outs = append(outs, "Sprint → "+fmt.Sprint(p.value), "Sprintln → "+fmt.Sprintln(p.value))
				var text, js bytes.Buffer
				slog.New(slog.NewTextHandler(&text, nil)).Info("cfg", "v", p.value)
				slog.New(slog.NewJSONHandler(&js, nil)).Info("cfg", "v", p.value)
				slog.New(slog.NewJSONHandler(&js, nil)).Info("cfg", slog.Group("g", "v", p.value))
				outs = append(outs, "slog text → "+text.String(), "slog json → "+js.String())
				for _, out := range outs {
					for _, f := range forbidden {
						if strings.Contains(out, f) {
							t.Errorf("%s printed a secret (or its encoding): %s", p.name, redactFor(out, forbidden))
							break
						}
					}
				}
			}
		})
	}
}

// redactFor masks the forbidden strings in out, so that the test's own
// failure message does not print the secrets either.
func redactFor(out string, forbidden []string) string {
	for _, f := range forbidden {
		out = strings.ReplaceAll(out, f, "<SECRET>")
	}
	return out
}
