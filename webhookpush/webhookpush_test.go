package webhookpush

import (
	"context"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
)

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no scheme", Config{}, "no way to authenticate senders"},
		{"empty HMAC secret", Config{HMACSecrets: []string{hmacNew, ""}}, "HMACSecrets[1] is empty"},
		{"empty token", Config{BearerTokens: []string{" "}}, "BearerTokens[0] is empty"},
		{"bad Standard Webhooks secret", Config{StandardWebhooksSecrets: []string{"whsec_" + tokenNew + "!"}}, "StandardWebhooksSecrets[0]: not a Standard Webhooks secret"},
		{"empty Standard Webhooks secret", Config{StandardWebhooksSecrets: []string{"whsec_"}}, "StandardWebhooksSecrets[0]: empty secret"},
		{"negative tolerance", Config{AllowUnsigned: true, Tolerance: -1}, "Tolerance -1ns is negative"},
		{"unknown mapping key", Config{AllowUnsigned: true, Mapping: Mapping{"ID": "id", "Title": "title"}}, `Mapping key "Title" is not a Ticket field`},
		{"empty Fields name", Config{AllowUnsigned: true, Mapping: Mapping{"ID": "id", "Fields.": "x"}}, `Mapping key "Fields." is not a Ticket field`},
		{"mapping without ID", Config{AllowUnsigned: true, Mapping: Mapping{"Subject": "title"}}, `Mapping must map "ID"`},
		{"bad path", Config{AllowUnsigned: true, Mapping: Mapping{"ID": "ticket..id"}}, `Mapping["ID"] = "ticket..id": empty name`},
		{"bad index", Config{AllowUnsigned: true, Mapping: Mapping{"ID": "items[x].id"}}, `index [x] is not a whole number`},
		{"bad ItemsPath", Config{AllowUnsigned: true, ItemsPath: "data.items["}, `ItemsPath "data.items[": unclosed [`},
		{"bad status", Config{AllowUnsigned: true, StatusMap: map[string]ticketsync.Status{"Live": "live"}}, `StatusMap["Live"] = "live" is not a ticketsync Status`},
		{"bad priority", Config{AllowUnsigned: true, PriorityMap: map[string]ticketsync.Priority{"P9": "p9"}}, `PriorityMap["P9"] = "p9" is not a ticketsync Priority`},
		{"clashing status keys", Config{AllowUnsigned: true, StatusMap: map[string]ticketsync.Status{"Live": "open", "live": "closed"}}, "StatusMap maps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if err == nil {
				t.Fatalf("New accepted the config (connector %v)", c != nil)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error %q does not say %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "webhookpush: ") {
				t.Errorf("New error %q does not start with the package name", err)
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("New error holds a secret")
				}
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c := mustNew(t, Config{HMACSecrets: []string{hmacNew}})
	if c.Platform() != DefaultPlatform {
		t.Errorf("Platform() = %q, want %q", c.Platform(), DefaultPlatform)
	}
	if c.sigHeader != DefaultSignatureHeader || c.tolerance != DefaultTolerance {
		t.Errorf("defaults: header %q, tolerance %s", c.sigHeader, c.tolerance)
	}
	c = mustNew(t, Config{Platform: " gorgias ", AllowUnsigned: true})
	if c.Platform() != "gorgias" {
		t.Errorf("Platform() = %q, want gorgias", c.Platform())
	}
}

func TestConnectorTest(t *testing.T) {
	c := mustNew(t, Config{BearerTokens: []string{tokenNew}, Mapping: Mapping{"ID": "data.id"}})
	if err := c.Test(context.Background()); err != nil {
		t.Errorf("Test on a valid config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Test(ctx); err == nil {
		t.Error("Test ignored a canceled context")
	}
	if err := new(Connector).Test(context.Background()); err == nil {
		t.Error("Test accepted a Connector not made by New")
	}
	// A Config changed after New (it is copied, so only through the
	// connector's own copy) is checked again.
	c.cfg.BearerTokens = nil
	if err := c.Test(context.Background()); err == nil || !strings.Contains(err.Error(), "no way to authenticate") {
		t.Errorf("Test on a config without a scheme: %v", err)
	}
}

func TestParsePath(t *testing.T) {
	valid := map[string]string{
		"id":                      "id",
		"ticket.id":               "ticket.id",
		"data.items[0].subject":   "data.items[0].subject",
		"[2].id":                  "[2].id",
		"a[1][2].b":               "a[1][2].b",
		"$.event":                 "$.event",
		"$[0]":                    "$[0]",
		"custom fields.Plan Tier": "custom fields.Plan Tier",
	}
	for in, want := range valid {
		p, err := parsePath(in)
		if err != nil {
			t.Errorf("parsePath(%q): %v", in, err)
			continue
		}
		var b strings.Builder
		if p.fromRoot {
			b.WriteString("$")
		}
		for i, s := range p.segs {
			switch {
			case s.index >= 0:
				b.WriteString("[" + itoa(s.index) + "]")
			case i > 0 || p.fromRoot:
				b.WriteString("." + s.key)
			default:
				b.WriteString(s.key)
			}
		}
		if b.String() != want {
			t.Errorf("parsePath(%q) reads back as %q", in, b.String())
		}
	}
	for _, in := range []string{"", ".", "a.", ".a", "a..b", "a[", "a[]", "a[-1]", "a[01]", "a[1", "a]", "a.[0]", "a[0]b", "$.", " a", "a[9999999]"} {
		if _, err := parsePath(in); err == nil {
			t.Errorf("parsePath(%q) accepted a bad path", in)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
