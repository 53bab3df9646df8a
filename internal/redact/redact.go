// Package redact prints a platform's Config with its secrets replaced by one
// marker, so that every Config can be logged and every Config prints alike.
//
// # How a platform package uses it
//
// config.go gives Config four methods, all built on one String:
//
//	func (c Config) String() string {
//		var p redact.Printer
//		p.Start("zendesk.Config")
//		p.Quote("Subdomain", c.Subdomain)
//		p.Secret("APIToken", c.APIToken)
//		p.Set("TokenSource", c.TokenSource != nil)
//		p.Secrets("WebhookSecrets", c.WebhookSecrets)
//		p.Value("RequestsPerMinute", c.RequestsPerMinute)
//		return p.String()
//	}
//	func (c Config) GoString() string                  { return c.String() }
//	func (c Config) Format(f fmt.State, verb rune)     { redact.Format(f, verb, c.String()) }
//	func (c Config) LogValue() slog.Value              { return slog.StringValue(c.String()) }
//
// so that no fmt verb (%v, %+v, %#v, %s, %q, %x) and no slog handler prints a
// token.
package redact

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Marker replaces a secret that is set.
const Marker = "[redacted]"

// Secret returns Marker for a set secret and `""` for an empty one, so that
// a reader sees whether it is set.
func Secret(v string) string {
	if v == "" {
		return `""`
	}
	return Marker
}

// Secrets returns "[]" for no secrets and "[2 [redacted]]" for two.
func Secrets(vs []string) string {
	n := 0
	for _, v := range vs {
		if v != "" {
			n++
		}
	}
	if n == 0 {
		return "[]"
	}
	return "[" + strconv.Itoa(n) + " " + Marker + "]"
}

// Printer writes "name{Field: value, ...}". The zero value is ready; call
// Start first.
type Printer struct {
	b      strings.Builder
	fields int
}

// Start writes the type's name: "zendesk.Config".
func (p *Printer) Start(name string) {
	p.b.WriteString(name)
	p.b.WriteByte('{')
}

func (p *Printer) field(name, value string) {
	if p.fields > 0 {
		p.b.WriteString(", ")
	}
	p.fields++
	p.b.WriteString(name)
	p.b.WriteString(": ")
	p.b.WriteString(value)
}

// Quote writes a field that is not secret, quoted: Subdomain: "acme".
func (p *Printer) Quote(name, value string) { p.field(name, strconv.Quote(value)) }

// Secret writes a secret field as Marker, or `""` when it is empty.
func (p *Printer) Secret(name, value string) { p.field(name, Secret(value)) }

// Secrets writes a list of secrets as their count: WebhookSecrets: [2 [redacted]].
func (p *Printer) Secrets(name string, values []string) { p.field(name, Secrets(values)) }

// Set writes a field that holds a credential or a value not worth printing
// (a TokenSource, an HTTPClient, a Logger) as Marker when set and nil when
// not; nothing of the value is printed.
func (p *Printer) Set(name string, set bool) {
	if set {
		p.field(name, Marker)
	} else {
		p.field(name, "nil")
	}
}

// Value writes a field that is not secret with %v, skipping it when it is
// its type's zero value (0, "", false, a zero time or duration). Times are
// written in RFC 3339, UTC.
func (p *Printer) Value(name string, value any) {
	switch v := value.(type) {
	case time.Time:
		if !v.IsZero() {
			p.field(name, v.UTC().Format(time.RFC3339))
		}
		return
	case time.Duration:
		if v != 0 {
			p.field(name, v.String())
		}
		return
	case string:
		if v != "" {
			p.Quote(name, v)
		}
		return
	}
	s := fmt.Sprint(value)
	if s == "0" || s == "false" || s == "" || s == "<nil>" {
		return
	}
	p.field(name, s)
}

// String returns what was written, closed with "}".
func (p *Printer) String() string { return p.b.String() + "}" }

// Format writes s for every verb and flag, quoted for %q, so that a type
// whose Format calls it prints only its redacted String.
func Format(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = f.Write([]byte(s))
}
