package webhookpush

import (
	"fmt"
	"log/slog"

	"github.com/ticketsync/ticketsync/internal/redact"
)

// String returns the Config with every secret and token replaced by
// "[redacted]" (HMACSecrets, StandardWebhooksSecrets and BearerTokens as
// their count), so that it may be logged.
func (c Config) String() string {
	var p redact.Printer
	p.Start("webhookpush.Config")
	p.Value("Platform", c.Platform)
	p.Value("Mapping", len(c.Mapping))
	p.Value("ItemsPath", c.ItemsPath)
	p.Value("StatusMap", len(c.StatusMap))
	p.Value("PriorityMap", len(c.PriorityMap))
	p.Secrets("HMACSecrets", c.HMACSecrets)
	p.Value("SignatureHeader", c.SignatureHeader)
	p.Value("TimestampHeader", c.TimestampHeader)
	p.Secrets("StandardWebhooksSecrets", c.StandardWebhooksSecrets)
	p.Secrets("BearerTokens", c.BearerTokens)
	p.Value("TokenHeader", c.TokenHeader)
	p.Value("AllowUnsigned", c.AllowUnsigned)
	p.Value("Tolerance", c.Tolerance)
	return p.String()
}

// GoString is String, so that %#v prints no secret either.
func (c Config) GoString() string { return c.String() }

// Format writes String for every verb and flag, so that no fmt verb prints a
// secret.
func (c Config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue is String, so that no slog handler prints a secret.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String describes the connector without its secrets.
func (c *Connector) String() string {
	if c == nil {
		return "webhookpush.Connector(nil)"
	}
	return "webhookpush.Connector(" + c.cfg.String() + ")"
}

// GoString is String, so that %#v prints no secret either.
func (c *Connector) GoString() string { return c.String() }

// Format writes String for every verb and flag, so that no fmt verb prints a
// secret.
func (c *Connector) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue is String, so that no slog handler prints a secret.
func (c *Connector) LogValue() slog.Value { return slog.StringValue(c.String()) }
