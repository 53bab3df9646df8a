package httpx

import (
	"fmt"
	"log/slog"

	"github.com/ticketsync/ticketsync/internal/redact"
)

// String returns the Config with Password, Token and TokenSource replaced
// by "[redacted]", so that it may be logged.
func (c Config) String() string {
	var p redact.Printer
	p.Start("httpx.Config")
	p.Quote("Platform", c.Platform)
	p.Quote("BaseURL", c.BaseURL)
	p.Value("Username", c.Username)
	p.Secret("Password", c.Password)
	p.Set("TokenSource", c.TokenSource != nil)
	p.Secret("Token", c.Token)
	p.Value("Timeout", c.Timeout)
	p.Value("MaxRetries", c.MaxRetries)
	p.Value("MaxRetryWait", c.MaxRetryWait)
	return p.String()
}

// GoString is String, so that %#v prints no secret either.
func (c Config) GoString() string { return c.String() }

// Format writes String for every verb and flag.
func (c Config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue is String, so that no slog handler prints a secret.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String describes the Client without its credentials.
func (c *Client) String() string {
	if c == nil {
		return "httpx.Client(nil)"
	}
	return "httpx.Client{Platform: " + fmt.Sprintf("%q", c.platform) + ", BaseURL: " + fmt.Sprintf("%q", c.base.String()) + "}"
}

// GoString is String, so that %#v prints no secret either.
func (c *Client) GoString() string { return c.String() }

// Format writes String for every verb and flag.
func (c *Client) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue is String, so that no slog handler prints a secret.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }
