package webhookpush

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
)

// Defaults and limits.
const (
	// DefaultPlatform is Ticket.Platform when Config.Platform is empty.
	DefaultPlatform = "webhookpush"
	// DefaultSignatureHeader carries the HMAC signature of the documented
	// push format.
	DefaultSignatureHeader = "X-Hub-Signature-256"
	// DefaultTolerance is how far a Standard Webhooks timestamp may be from
	// the receiver's clock, either way.
	DefaultTolerance = 5 * time.Minute
	// MaxItems bounds the tickets in one delivery.
	MaxItems = 1000
	// MaxTags bounds the tags of one ticket.
	MaxTags = 1000
	// MaxDepth bounds how deeply a delivery may nest objects and arrays.
	MaxDepth = 64
	// MaxFutureSkew is how far ahead of the receiver's clock a ticket's
	// CreatedAt or UpdatedAt may be. A time further ahead is rejected: it
	// would stop every later copy of the ticket from replacing this one.
	MaxFutureSkew = 15 * time.Minute
)

// Config configures a Connector. Its zero value is not usable: at least one
// of HMACSecrets, StandardWebhooksSecrets and BearerTokens must be set, or
// AllowUnsigned must say explicitly that anyone may push. Everything else
// has a default that accepts the documented push format.
type Config struct {
	// Platform names the sending system in lower case ("gorgias",
	// "helpscout", "internal-desk"); it becomes Ticket.Platform.
	// DefaultPlatform when empty.
	Platform string

	// Mapping says where each Ticket field is in the pushed JSON. Empty
	// means auto-detection of the common field names under a root
	// "ticket", "issue", "case" or "conversation" object.
	Mapping Mapping
	// ItemsPath is the path of the array (or object) that holds the
	// tickets of one delivery; Mapping's paths are then read from each
	// item, and "$."-prefixed paths from the delivery's root. Empty means
	// auto-detection without Mapping, and the root (or, when the root is an
	// array, each of its elements) with Mapping.
	ItemsPath string
	// StatusMap maps the sender's status words to a Status, before
	// ticketsync.ParseStatus is asked. Keys are matched without regard to
	// case or surrounding space.
	StatusMap map[string]ticketsync.Status
	// PriorityMap maps the sender's priority words to a Priority, before
	// ticketsync.ParsePriority is asked; matched like StatusMap.
	PriorityMap map[string]ticketsync.Priority

	// HMACSecrets accepts deliveries whose SignatureHeader holds the
	// HMAC-SHA256 of the raw body under one of these secrets, as hex or
	// base64, with or without a "sha256=" prefix. Several secrets allow
	// rotation: add the new one, move the sender, drop the old one.
	HMACSecrets []string
	// SignatureHeader is the header of the HMAC signature;
	// DefaultSignatureHeader when empty.
	SignatureHeader string
	// TimestampHeader, when set ("X-Webhook-Timestamp"), protects HMAC
	// deliveries against replay: each must carry this header with the time
	// it was sent, in unix seconds, and its HMAC signs that value, a dot
	// and the body (SignHMACTimestamped); a delivery without it, or whose
	// time is more than Tolerance from Now, is refused. Without it an HMAC
	// signature covers the body only, and a captured delivery can be
	// replayed at any time: set it, or prefer Standard Webhooks, which
	// signs a timestamp always.
	TimestampHeader string
	// StandardWebhooksSecrets accepts deliveries signed by the Standard
	// Webhooks scheme (webhook-id, webhook-timestamp, webhook-signature
	// headers) under one of these secrets, each "whsec_" followed by
	// base64 (the prefix may be left out).
	StandardWebhooksSecrets []string
	// BearerTokens accepts deliveries that carry one of these tokens, as
	// "Authorization: Bearer <token>" or, when TokenHeader is set, as the
	// whole value of that header. Compared in constant time.
	BearerTokens []string
	// TokenHeader is the header of a shared secret sent as is
	// ("X-Webhook-Secret"); empty means Authorization: Bearer.
	TokenHeader string
	// AllowUnsigned accepts deliveries without any credential. Without a
	// scheme configured, New refuses the Config unless this is set. With
	// schemes configured, a delivery that carries none of their headers is
	// accepted and one that carries a wrong credential is still refused,
	// which helps while senders move to signing.
	AllowUnsigned bool
	// Tolerance is how far a Standard Webhooks or TimestampHeader
	// timestamp may be from Now, either way; DefaultTolerance when 0.
	Tolerance time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Connector receives tickets pushed as JSON by any sender. It implements
// ticketsync.WebhookReceiver; it does not poll. Its methods are safe for
// concurrent use.
type Connector struct {
	cfg       Config
	platform  string
	fields    []fieldSpec // the Mapping; nil means auto-detection
	auto      []fieldSpec
	itemsPath *path
	statusMap map[string]ticketsync.Status
	prioMap   map[string]ticketsync.Priority

	hmacKeys    []string
	sigHeader   string
	tsHeader    string
	swKeys      []string
	tokenHashes [][sha256.Size]byte
	tokenHeader string
	tolerance   time.Duration
	now         func() time.Time
}

var _ ticketsync.WebhookReceiver = (*Connector)(nil)

// New validates cfg and returns a Connector. It returns an error that names
// the field at fault when no way of authenticating senders is configured
// (and AllowUnsigned is not set), a secret is empty or malformed, a Mapping
// key or path is invalid, or a StatusMap or PriorityMap value is not one of
// ticketsync's. Errors never include a secret.
func New(cfg Config) (*Connector, error) {
	c := &Connector{cfg: cfg}
	if err := c.compile(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Connector) compile() error {
	cfg := c.cfg
	c.platform = strings.TrimSpace(cfg.Platform)
	if c.platform == "" {
		c.platform = DefaultPlatform
	}
	if len(cfg.HMACSecrets) == 0 && len(cfg.StandardWebhooksSecrets) == 0 && len(cfg.BearerTokens) == 0 && !cfg.AllowUnsigned {
		return errors.New("webhookpush: no way to authenticate senders: set HMACSecrets, StandardWebhooksSecrets or BearerTokens, or set AllowUnsigned to accept anyone's pushes")
	}
	c.hmacKeys = nil
	for i, s := range cfg.HMACSecrets {
		if s == "" {
			return fmt.Errorf("webhookpush: HMACSecrets[%d] is empty", i)
		}
		c.hmacKeys = append(c.hmacKeys, s)
	}
	c.sigHeader = http.CanonicalHeaderKey(strings.TrimSpace(cfg.SignatureHeader))
	if c.sigHeader == "" {
		c.sigHeader = DefaultSignatureHeader
	}
	c.tsHeader = http.CanonicalHeaderKey(strings.TrimSpace(cfg.TimestampHeader))
	if c.tsHeader != "" && len(cfg.HMACSecrets) == 0 {
		return errors.New("webhookpush: TimestampHeader is set without HMACSecrets: it protects HMAC deliveries only")
	}
	if c.tsHeader != "" && strings.EqualFold(c.tsHeader, c.sigHeader) {
		return fmt.Errorf("webhookpush: TimestampHeader and SignatureHeader are both %q", c.tsHeader)
	}
	c.swKeys = nil
	for i, s := range cfg.StandardWebhooksSecrets {
		key, err := standardKey(s)
		if err != nil {
			return fmt.Errorf("webhookpush: StandardWebhooksSecrets[%d]: %v", i, err)
		}
		c.swKeys = append(c.swKeys, string(key))
	}
	c.tokenHashes = nil
	for i, t := range cfg.BearerTokens {
		if strings.TrimSpace(t) == "" {
			return fmt.Errorf("webhookpush: BearerTokens[%d] is empty", i)
		}
		c.tokenHashes = append(c.tokenHashes, sha256.Sum256([]byte(t)))
	}
	c.tokenHeader = http.CanonicalHeaderKey(strings.TrimSpace(cfg.TokenHeader))
	c.tolerance = cfg.Tolerance
	if c.tolerance < 0 {
		return fmt.Errorf("webhookpush: Tolerance %s is negative", c.tolerance)
	}
	if c.tolerance == 0 {
		c.tolerance = DefaultTolerance
	}
	c.now = cfg.Now
	if c.now == nil {
		c.now = time.Now
	}

	c.fields = nil
	if len(cfg.Mapping) > 0 {
		specs, err := compileMapping(cfg.Mapping)
		if err != nil {
			return err
		}
		c.fields = specs
	}
	c.auto = autoCandidates()
	c.itemsPath = nil
	if s := strings.TrimSpace(cfg.ItemsPath); s != "" {
		p, err := parsePath(s)
		if err != nil {
			return fmt.Errorf("webhookpush: ItemsPath %q: %v", cfg.ItemsPath, err)
		}
		if p.fromRoot {
			p.fromRoot = false // the items are always read from the root
		}
		c.itemsPath = &p
	}

	c.statusMap = make(map[string]ticketsync.Status, len(cfg.StatusMap))
	for word, s := range cfg.StatusMap {
		switch s {
		case ticketsync.StatusNew, ticketsync.StatusOpen, ticketsync.StatusPending,
			ticketsync.StatusOnHold, ticketsync.StatusSolved, ticketsync.StatusClosed:
		default:
			return fmt.Errorf("webhookpush: StatusMap[%q] = %q is not a ticketsync Status (new, open, pending, on_hold, solved, closed)", word, s)
		}
		k := mapKey(word)
		if prev, ok := c.statusMap[k]; ok && prev != s {
			return fmt.Errorf("webhookpush: StatusMap maps %q twice, to %q and %q, when case is ignored", word, prev, s)
		}
		c.statusMap[k] = s
	}
	c.prioMap = make(map[string]ticketsync.Priority, len(cfg.PriorityMap))
	for word, p := range cfg.PriorityMap {
		switch p {
		case ticketsync.PriorityNone, ticketsync.PriorityLow, ticketsync.PriorityNormal,
			ticketsync.PriorityHigh, ticketsync.PriorityUrgent:
		default:
			return fmt.Errorf("webhookpush: PriorityMap[%q] = %q is not a ticketsync Priority (\"\", low, normal, high, urgent)", word, p)
		}
		k := mapKey(word)
		if prev, ok := c.prioMap[k]; ok && prev != p {
			return fmt.Errorf("webhookpush: PriorityMap maps %q twice, to %q and %q, when case is ignored", word, prev, p)
		}
		c.prioMap[k] = p
	}
	return nil
}

func mapKey(word string) string { return strings.ToLower(strings.TrimSpace(word)) }

// standardKey decodes a Standard Webhooks secret: "whsec_" and base64.
func standardKey(secret string) ([]byte, error) {
	s := strings.TrimPrefix(strings.TrimSpace(secret), "whsec_")
	if s == "" {
		return nil, errors.New("empty secret")
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil || len(key) == 0 {
		return nil, errors.New(`not a Standard Webhooks secret: want "whsec_" followed by base64`)
	}
	return key, nil
}

// Platform returns Config.Platform, or DefaultPlatform.
func (c *Connector) Platform() string { return c.platform }

// Test checks that the configuration is usable: that senders can be
// authenticated (or AllowUnsigned is set) and that the Mapping, ItemsPath
// and maps are valid. It makes no network call: the sender calls us.
func (c *Connector) Test(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c == nil || c.now == nil {
		return errors.New("webhookpush: connector not made by New")
	}
	probe := &Connector{cfg: c.cfg}
	return probe.compile()
}
