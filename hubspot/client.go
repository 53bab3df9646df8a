package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
)

// hsError is HubSpot's error JSON, as far as the connector reads it.
type hsError struct {
	Message    string `json:"message"`
	Category   string `json:"category"`
	ErrorType  string `json:"errorType"`
	PolicyName string `json:"policyName"`
	Context    struct {
		MissingScopes []string `json:"missingScopes"`
	} `json:"context"`
	Errors []struct {
		Context struct {
			RequiredScopes         []string `json:"requiredScopes"`
			RequiredGranularScopes []string `json:"requiredGranularScopes"`
		} `json:"context"`
	} `json:"errors"`
}

// scopes returns the scopes a MISSING_SCOPES answer names, of which the
// call needs one.
func (e hsError) scopes() []string {
	var out []string
	add := func(ss []string) {
		for _, s := range ss {
			if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	add(e.Context.MissingScopes)
	for _, d := range e.Errors {
		add(d.Context.RequiredGranularScopes)
		add(d.Context.RequiredScopes)
	}
	return out
}

// decodeError reads HubSpot's error body for the HTTP client: its category
// (or, for a 429, its errorType) is the APIError's Code; a missing scope, a
// rate-limit policy and a rejected token get a hint for a person.
func decodeError(status int, _ http.Header, body []byte) (code, message, hint string) {
	var e hsError
	if json.Unmarshal(body, &e) != nil {
		return "", "", ""
	}
	code, message = e.Category, e.Message
	switch {
	case status == http.StatusForbidden && e.Category == "MISSING_SCOPES":
		if s := e.scopes(); len(s) > 0 {
			hint = scopeHint(s)
		}
	case status == http.StatusTooManyRequests && e.PolicyName != "":
		code = e.PolicyName
		message = fmt.Sprintf("%s rate limit reached (policy %s)", policyWords(e.PolicyName), e.PolicyName)
		if e.PolicyName == "DAILY" {
			hint = "the daily limit resets at midnight in the account's time zone"
		}
	case status == http.StatusUnauthorized:
		hint = "check the private app's access token (or reconnect the OAuth app)"
	}
	return code, message, hint
}

// scopeHint says what to do about missing scopes, naming each quoted; the
// names are read back from it by missingScopes.
func scopeHint(scopes []string) string {
	q := make([]string, len(scopes))
	for i, s := range scopes {
		q[i] = strconv.Quote(s)
	}
	return "the token lacks the " + strings.Join(q, " or ") + " scope; add it to the private app (or the OAuth app's scopes) and reinstall"
}

// missingScopes returns the scopes scopeHint named in hint.
func missingScopes(hint string) []string {
	var out []string
	for rest := hint; ; {
		i := strings.IndexByte(rest, '"')
		if i < 0 {
			return out
		}
		q, err := strconv.QuotedPrefix(rest[i:])
		if err != nil {
			return out
		}
		if s, err := strconv.Unquote(q); err == nil {
			out = append(out, s)
		}
		rest = rest[i+len(q):]
	}
}

// ScopeError is a 403 from HubSpot because the token lacks a scope. It
// wraps the *ticketsync.APIError (Code "MISSING_SCOPES", with a Hint naming
// the scopes) and matches ticketsync.ErrForbidden; it is there so that
// errors.As can read the scopes as a list.
type ScopeError struct {
	// Scopes lists the scopes HubSpot named, of which the call needs one.
	Scopes []string
	// Err is the *ticketsync.APIError of the call.
	Err error
}

// Error is the APIError's text, which names the scopes and what to do.
func (e *ScopeError) Error() string { return e.Err.Error() }

// Unwrap returns the *ticketsync.APIError, so that errors.Is(err,
// ticketsync.ErrForbidden) holds.
func (e *ScopeError) Unwrap() error { return e.Err }

// call sends one JSON request through the HTTP stack (GetJSON or
// PostJSON) and decodes the answer into out. A 207 (a batch with some ids
// not found) is an answer, not an error. A missing scope is a *ScopeError.
func (c *Connector) call(ctx context.Context, method, path string, query url.Values, in, out any, opts ...httpx.RequestOption) error {
	var err error
	switch method {
	case http.MethodGet:
		_, err = c.http.GetJSON(ctx, path, query, out, opts...)
	case http.MethodPost:
		ref := path
		if len(query) > 0 {
			ref += "?" + query.Encode()
		}
		_, err = c.http.PostJSON(ctx, ref, in, out, opts...)
	default:
		return fmt.Errorf("hubspot: %s %s: unsupported method", method, path)
	}
	var apiErr *ticketsync.APIError
	if errors.As(err, &apiErr) && apiErr.Code == "MISSING_SCOPES" {
		if s := missingScopes(apiErr.Hint); len(s) > 0 {
			return &ScopeError{Scopes: s, Err: err}
		}
	}
	return err
}

func policyWords(p string) string {
	switch p {
	case "DAILY":
		return "daily"
	case "TEN_SECONDLY_ROLLING":
		return "10-second"
	case "SECONDLY":
		return "per-second"
	}
	return strings.ToLower(p)
}

// forbidden reports whether err is a 403, which the connector treats as a
// missing optional scope when it reads requesters, owners and comments.
func forbidden(err error) bool { return errors.Is(err, ticketsync.ErrForbidden) }

// warnOnce logs a degraded lookup once per kind.
func (c *Connector) warnOnce(kind string, err error) {
	c.mu.Lock()
	seen := c.warned[kind]
	c.warned[kind] = true
	c.mu.Unlock()
	if !seen {
		c.log.Warn("hubspot: cannot read "+kind+"; continuing without them", "err", err)
	}
}
