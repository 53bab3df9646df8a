package redact_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/internal/redact"
)

// config is a platform Config as the package doc says to write it.
type config struct {
	Subdomain      string
	APIToken       string
	WebhookSecrets []string
	HasSource      bool
	Start          time.Time
	PerMinute      int
}

func (c config) String() string {
	var p redact.Printer
	p.Start("demo.Config")
	p.Quote("Subdomain", c.Subdomain)
	p.Secret("APIToken", c.APIToken)
	p.Set("TokenSource", c.HasSource)
	p.Secrets("WebhookSecrets", c.WebhookSecrets)
	p.Value("StartTime", c.Start)
	p.Value("RequestsPerMinute", c.PerMinute)
	return p.String()
}
func (c config) GoString() string              { return c.String() }
func (c config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }
func (c config) LogValue() slog.Value          { return slog.StringValue(c.String()) }

func TestNoVerbPrintsASecret(t *testing.T) {
	c := config{Subdomain: "acme", APIToken: "tok-s3cr3t", WebhookSecrets: []string{"whs-1", "whs-2"}, HasSource: true}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("cfg", "config", c)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("cfg", "config", c)
	outs := []string{logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%10.3v"} {
		outs = append(outs, fmt.Sprintf(verb, c), fmt.Sprintf(verb, &c), fmt.Sprintf(verb, []config{c}))
	}
	for _, out := range outs {
		for _, secret := range []string{"tok-s3cr3t", "whs-1", "whs-2"} {
			if strings.Contains(out, secret) {
				t.Errorf("%q holds %q", out, secret)
			}
		}
	}
	want := `demo.Config{Subdomain: "acme", APIToken: [redacted], TokenSource: [redacted], WebhookSecrets: [2 [redacted]]}`
	if got := c.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}

func TestEmptyAndValues(t *testing.T) {
	c := config{Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), PerMinute: 400}
	want := `demo.Config{Subdomain: "", APIToken: "", TokenSource: nil, WebhookSecrets: [], StartTime: 2026-01-02T02:04:05Z, RequestsPerMinute: 400}`
	if got := c.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	if got := redact.Secrets([]string{"", "a"}); got != "[1 [redacted]]" {
		t.Errorf("Secrets = %q", got)
	}
}

func ExamplePrinter() {
	var p redact.Printer
	p.Start("freshdesk.Config")
	p.Quote("Domain", "acme")
	p.Secret("APIKey", "k-123")
	p.Secrets("WebhookPasswords", []string{"new", "old"})
	p.Value("RequestsPerMinute", 0)
	p.Value("WebhookTolerance", 5*time.Minute)
	fmt.Println(p.String())
	// Output:
	// freshdesk.Config{Domain: "acme", APIKey: [redacted], WebhookPasswords: [2 [redacted]], WebhookTolerance: 5m0s}
}
