package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/freshdesk"
	"github.com/ticketsync/ticketsync/hubspot"
	"github.com/ticketsync/ticketsync/intercom"
	"github.com/ticketsync/ticketsync/jira"
	"github.com/ticketsync/ticketsync/webhookpush"
	"github.com/ticketsync/ticketsync/zendesk"
)

// Defaults for Options.
const (
	// DefaultMaxUploadBytes bounds an uploaded CSV file.
	DefaultMaxUploadBytes = 32 << 20
	// DefaultTestTimeout bounds the Connector.Test call of "Test & Connect".
	DefaultTestTimeout = 20 * time.Second
	// DefaultChartDays is how many days the history chart shows.
	DefaultChartDays = 14
	// DefaultWebhookPath is where the host is assumed to mount
	// Syncer.WebhookHandler when Options.WebhookURL is empty.
	DefaultWebhookPath = "/api/webhooks/tickets"
)

// Options configure the console. Authorize is required.
type Options struct {
	// Authorize decides whether r may use the console; the console never
	// authenticates anyone by itself. It is called for every request,
	// assets included, before anything else; a request it refuses is
	// answered 403. Without it the console refuses every request.
	Authorize func(r *http.Request) bool
	// Prefix is the path the host mounts the console under, such as
	// "/admin/support" (mux.Handle("/admin/support/", h)); "" means the
	// root. The console strips it and puts it in front of its links.
	Prefix string
	// Platforms are the platforms offered under "Connect a platform", in
	// this order; DefaultPlatforms() when nil.
	Platforms []Platform
	// Connections keep what a person connects, so that the host can build
	// the connectors again after a restart; a MemoryConnections when nil,
	// which forgets them when the process ends.
	Connections Connections
	// WebhookURL is the public URL of the host's Syncer.WebhookHandler,
	// such as "https://support.example.com/api/webhooks/tickets"; the
	// console adds ?connectorId=ID. When empty, it is DefaultWebhookPath on
	// the host and scheme of the console's own request.
	WebhookURL string
	// PollInterval is the Syncer's Options.Interval, for the mode labels;
	// ticketsync.DefaultInterval when 0.
	PollInterval time.Duration
	// TrustedOrigins are other origins ("https://admin.example.com") whose
	// pages may post to the console; by default only its own.
	TrustedOrigins []string
	// MaxUploadBytes bounds an uploaded CSV file; DefaultMaxUploadBytes
	// when 0. A larger upload is answered 413.
	MaxUploadBytes int64
	// TestTimeout bounds "Test & Connect"; DefaultTestTimeout when 0.
	TestTimeout time.Duration
	// ChartDays is how many days the history chart shows; DefaultChartDays
	// when 0.
	ChartDays int
	// Hooks are the Syncer's Options.Hooks, so that the platform requests
	// of Test & Connect are observed like the Syncer's own; nil is none.
	Hooks *ticketsync.Hooks
	// Logger receives the console's errors; nil is silent. Logs never hold
	// form values.
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Platform is one platform offered under "Connect a platform": its form and
// how to build a connector from the form's values. PlatformOf makes one
// from a platform package's Form and New.
type Platform struct {
	// Form is the platform package's description of its Config fields.
	Form ticketsync.Form
	// New builds a connector from the form's values, keyed by
	// FormField.Name. Its errors are shown to the person who filled in
	// the form, so they must not hold a secret (the platform packages'
	// errors never do).
	New func(values map[string]string) (ticketsync.Connector, error)
	// Modes are the modes the connector can serve, the recommended one
	// first; all three when empty.
	Modes []ticketsync.Mode
}

// PlatformOf returns the Platform that builds connectors with newConnector
// from a Config C whose fields named in form are set from the form's values
// (string fields as typed, []string fields to the one value, bool and int
// fields parsed); then prepare, when not nil, sets the rest (a BaseURL, an
// HTTPClient, a StartTime) and may adjust what the form set. Its Modes
// follow from the methods of T.
//
//	console.PlatformOf(zendesk.Form(), zendesk.New, nil)
//
// It panics if a field of form is not a settable field of C, since that is
// a mistake in the program.
func PlatformOf[C any, T ticketsync.Connector](form ticketsync.Form, newConnector func(C) (T, error), prepare func(*C)) Platform {
	ct := reflect.TypeFor[C]()
	if ct.Kind() != reflect.Struct {
		panic(fmt.Sprintf("console: PlatformOf(%s): Config %s is not a struct", form.Platform, ct))
	}
	for _, f := range form.Fields {
		sf, ok := ct.FieldByName(f.Name)
		if !ok || !sf.IsExported() {
			panic(fmt.Sprintf("console: PlatformOf(%s): %s has no field %s", form.Platform, ct, f.Name))
		}
		switch k := sf.Type.Kind(); {
		case k == reflect.String, k == reflect.Bool, k == reflect.Int, k == reflect.Int64 && sf.Type != reflect.TypeFor[time.Duration]():
		case k == reflect.Slice && sf.Type.Elem().Kind() == reflect.String:
		default:
			panic(fmt.Sprintf("console: PlatformOf(%s): field %s.%s has type %s, which a form cannot set", form.Platform, ct, f.Name, sf.Type))
		}
	}
	tt := reflect.TypeFor[T]()
	polls := tt.Implements(reflect.TypeFor[ticketsync.Poller]())
	receives := tt.Implements(reflect.TypeFor[ticketsync.WebhookReceiver]())
	var modes []ticketsync.Mode
	switch {
	case polls && receives:
		modes = []ticketsync.Mode{ticketsync.ModeBoth, ticketsync.ModePoll, ticketsync.ModeWebhook}
	case polls:
		modes = []ticketsync.Mode{ticketsync.ModePoll}
	case receives:
		modes = []ticketsync.Mode{ticketsync.ModeWebhook}
	}
	return Platform{
		Form:  form,
		Modes: modes,
		New: func(values map[string]string) (ticketsync.Connector, error) {
			var cfg C
			v := reflect.ValueOf(&cfg).Elem()
			for _, f := range form.Fields {
				val, ok := values[f.Name]
				if !ok || val == "" {
					continue
				}
				fv := v.FieldByName(f.Name)
				switch fv.Kind() {
				case reflect.String:
					fv.SetString(val)
				case reflect.Slice:
					fv.Set(reflect.ValueOf([]string{val}).Convert(fv.Type()))
				case reflect.Bool:
					if val == "on" { // a checked checkbox
						val = "true"
					}
					b, err := strconv.ParseBool(val)
					if err != nil {
						return nil, fmt.Errorf("%s: not yes or no", f.Label)
					}
					fv.SetBool(b)
				case reflect.Int, reflect.Int64:
					n, err := strconv.ParseInt(val, 10, 64)
					if err != nil {
						return nil, fmt.Errorf("%s: not a whole number", f.Label)
					}
					fv.SetInt(n)
				}
			}
			if prepare != nil {
				prepare(&cfg)
			}
			c, err := newConnector(cfg)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
}

// DefaultPlatforms returns the platforms whose packages describe a form:
// Zendesk, Freshdesk, Jira Service Management, Intercom, HubSpot and
// Webhook Push, against their real services.
func DefaultPlatforms() []Platform {
	return []Platform{
		PlatformOf(zendesk.Form(), zendesk.New, nil),
		PlatformOf(freshdesk.Form(), freshdesk.New, nil),
		PlatformOf(jira.Form(), jira.New, nil),
		PlatformOf(intercom.Form(), intercom.New, nil),
		PlatformOf(hubspot.Form(), hubspot.New, nil),
		PlatformOf(webhookpush.Form(), webhookpush.New, nil),
	}
}

// Connection is a connector as a person connected it in the console.
type Connection struct {
	ID       string
	Platform string // Form.Platform
	Mode     ticketsync.Mode
	// Values are the form's values by FormField.Name, secrets included:
	// what Platform.New built the connector from.
	Values map[string]string
}

// String describes c without its values, so that printing a Connection
// never shows a secret.
func (c Connection) String() string {
	return fmt.Sprintf("console.Connection{ID: %q, Platform: %q, Mode: %s, Values: [%d redacted]}", c.ID, c.Platform, c.Mode, len(c.Values))
}

// GoString is String, for %#v.
func (c Connection) GoString() string { return c.String() }

// Connections keep the connections made in the console, so that the host
// can build its connectors again when it starts (with the same
// Platform.New). How they are kept, and how their secrets are protected, is
// the host's: a table with encrypted values, a secrets manager. Methods
// must be safe for concurrent use.
type Connections interface {
	// Save keeps c, replacing a connection with the same ID. The console
	// calls it after a successful Test and before adding the connector to
	// the Syncer; an error cancels the connection and is shown.
	Save(ctx context.Context, c Connection) error
	// Get returns the connection id, and false when there is none (a
	// connector the host added by other means). The console calls it to
	// set a webhook secret on a connection made earlier.
	Get(ctx context.Context, id string) (Connection, bool, error)
	// Delete forgets the connection id; an unknown id is no error. The
	// console calls it when a person removes a connector.
	Delete(ctx context.Context, id string) error
}

// MemoryConnections keeps connections in memory, for the quickstart and
// tests: they are gone when the process ends. Its zero value is ready.
type MemoryConnections struct {
	mu sync.Mutex
	m  map[string]Connection
}

// Save keeps a copy of c.
func (m *MemoryConnections) Save(_ context.Context, c Connection) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[string]Connection)
	}
	vals := make(map[string]string, len(c.Values))
	for k, v := range c.Values {
		vals[k] = v
	}
	c.Values = vals
	m.m[c.ID] = c
	return nil
}

// Get returns a copy of the connection id.
func (m *MemoryConnections) Get(_ context.Context, id string) (Connection, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.m[id]
	if !ok {
		return Connection{}, false, nil
	}
	vals := make(map[string]string, len(c.Values))
	for k, v := range c.Values {
		vals[k] = v
	}
	c.Values = vals
	return c, true, nil
}

// Delete forgets id.
func (m *MemoryConnections) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, id)
	return nil
}

// List returns the connections kept, sorted by ID, each with its own copy
// of Values.
func (m *MemoryConnections) List() []Connection {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Connection, 0, len(m.m))
	for _, c := range m.m {
		vals := make(map[string]string, len(c.Values))
		for k, v := range c.Values {
			vals[k] = v
		}
		c.Values = vals
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Connection) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// errNoAuthorize is why a console without Options.Authorize refuses to
// serve.
var errNoAuthorize = errors.New("console: Options.Authorize is not set; the console refuses every request until the host says who may use it")
