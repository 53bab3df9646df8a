package ticketsync

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors. Errors from connectors, stores and the Syncer match them
// through errors.Is; the text around them says what to fix.
var (
	// ErrUnauthorized: the platform rejected the credentials (HTTP 401), or
	// accepted the request only as an anonymous user.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the credentials are valid but lack a role or scope the
	// sync needs (HTTP 403).
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: the account, subdomain, ticket or stored record does not
	// exist (HTTP 404).
	ErrNotFound = errors.New("not found")
	// ErrRateLimited: the platform kept answering 429 after the retries.
	ErrRateLimited = errors.New("rate limited")
	// ErrInvalidSignature: a webhook delivery's signature, secret or token is
	// missing, wrong or too old.
	ErrInvalidSignature = errors.New("invalid webhook signature")
	// ErrUnknownConnector: no connector was added under that id.
	ErrUnknownConnector = errors.New("unknown connector")
	// ErrSyncInProgress: SyncNow was called while a run of that connector
	// was already in progress.
	ErrSyncInProgress = errors.New("sync already in progress")
	// ErrInvalidID: a connector or ticket id that a Store cannot keep
	// distinct from others: empty, longer than MaxIDLen bytes, not valid
	// UTF-8, or holding a NUL character. See CheckID.
	ErrInvalidID = errors.New("invalid id")
	// ErrInvalidCursor: a connector cannot read the cursor it was given (it
	// did not write it, or it was damaged). Retrying cannot fix it: the
	// Syncer ends the run as RunFailed and Syncer.ResetCursor lets the
	// connector sync again from its configured start.
	ErrInvalidCursor = errors.New("invalid cursor")
)

// MaxIDLen is the longest connector or ticket id, in bytes, that the Syncer
// accepts. Platforms' ids are far shorter.
const MaxIDLen = 512

// CheckID returns an error matching ErrInvalidID when id cannot serve as a
// connector or ticket id: it is empty, longer than MaxIDLen bytes, not valid
// UTF-8, or holds a NUL character. A Store that has to change such text to
// keep it (PostgreSQL cannot hold NUL or invalid UTF-8) would merge ids
// such as "n1\x00" and "n1", so the Syncer refuses them: Add refuses such a
// connector id, and a poll or a webhook delivery skips, and records in its
// SyncRun, a ticket with such an id.
func CheckID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty id", ErrInvalidID)
	case len(id) > MaxIDLen:
		return fmt.Errorf("%w: id of %d bytes, over %d", ErrInvalidID, len(id), MaxIDLen)
	case strings.IndexByte(id, 0) >= 0:
		return fmt.Errorf("%w: id %q holds a NUL character", ErrInvalidID, id)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: id %q is not valid UTF-8", ErrInvalidID, id)
	}
	return nil
}

// APIError is a platform's answer other than 2xx, after retries. It matches
// ErrUnauthorized (401), ErrForbidden (403), ErrNotFound (404) and
// ErrRateLimited (429) through errors.Is.
//
// It is the one error type of every platform package: the HTTP client fills
// in the request and the platform's message, a platform's error-body decoder
// adds Code and Hint, and the connector names the operation in Op.
type APIError struct {
	Platform   string // "zendesk"
	StatusCode int    // HTTP status
	Method     string // HTTP method
	// Path is the request path, without the query string, which may carry
	// secrets on some platforms.
	Path string
	// Op is what the connector was doing, in a few lowercase words:
	// "fetch tickets", "test credentials". Empty when not said.
	Op string
	// Message is the platform's own error message when it sent one,
	// else the HTTP status text.
	Message string
	// Code is the platform's own error code when it sent one:
	// "MISSING_SCOPES", "RecordNotFound", "token_not_found".
	Code string
	// Hint says what a person should do about it, when the platform's
	// answer makes that clear: "grant the app the tickets scope".
	Hint string
	// RetryAfter is how long the platform asked the caller to wait, from
	// Retry-After or a rate-limit reset header; zero when it did not say.
	RetryAfter time.Duration
}

// Error returns a message such as
// `zendesk: GET /api/v2/users/me.json: 401 Unauthorized: Couldn't authenticate you`,
// with, when they are set, the operation after the platform, the code in
// parentheses after the message, and the hint last:
// `hubspot: fetch tickets: GET /crm/v3/objects/tickets: 403 Forbidden: missing scopes (MISSING_SCOPES); grant the app the tickets scope`.
func (e *APIError) Error() string {
	var b strings.Builder
	if e.Platform != "" {
		b.WriteString(e.Platform)
		b.WriteString(": ")
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Method != "" || e.Path != "" {
		b.WriteString(strings.TrimSpace(e.Method + " " + e.Path))
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" && e.Message != http.StatusText(e.StatusCode) {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Code != "" && !strings.Contains(e.Message, e.Code) {
		b.WriteString(" (")
		b.WriteString(e.Code)
		b.WriteString(")")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrUnauthorized) and its siblings true for the
// matching HTTP status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// Temporary reports whether retrying the same request later may succeed:
// rate limits and server errors.
func (e *APIError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// permanent reports whether err is one that retrying soon cannot fix: the
// credentials, permissions or account are wrong, or the saved cursor is
// unreadable. The scheduler retries other errors with backoff and these only
// at the next interval.
func permanent(err error) bool {
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotFound) ||
		errors.Is(err, ErrInvalidCursor)
}
