package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
)

// hsError is HubSpot's error JSON, as far as the connector reads it.
type hsError struct {
	Category   string `json:"category"`
	ErrorType  string `json:"errorType"`
	PolicyName string `json:"policyName"`
	Errors     []struct {
		Context struct {
			RequiredScopes         []string `json:"requiredScopes"`
			RequiredGranularScopes []string `json:"requiredGranularScopes"`
		} `json:"context"`
	} `json:"errors"`
}

// ScopeError is a 403 from HubSpot because the token lacks a scope. It
// matches ticketsync.ErrForbidden.
type ScopeError struct {
	// Scopes lists the scopes HubSpot named, of which the call needs one.
	Scopes []string
	// Err is the *ticketsync.APIError of the call.
	Err error
}

// Error names the scopes and what to do, then the API error.
func (e *ScopeError) Error() string {
	return fmt.Sprintf("hubspot: the token lacks the %s scope; add it to the private app (or the OAuth app's scopes) and reinstall: %v",
		strings.Join(quoteAll(e.Scopes), " or "), e.Err)
}

// Unwrap returns the *ticketsync.APIError, so that errors.Is(err,
// ticketsync.ErrForbidden) holds.
func (e *ScopeError) Unwrap() error { return e.Err }

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

// call sends one request through the HTTP stack and decodes the JSON
// answer into out. A 207 (a batch with some ids not found) is an answer,
// not an error. Errors keep HubSpot's detail: the missing scope of a 403,
// the policy of a 429.
func (c *Connector) call(ctx context.Context, method, path string, query url.Values, in, out any, opts ...httpx.RequestOption) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("hubspot: encode %s request: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := c.http.NewRequest(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req, opts...)
	if err != nil {
		if resp != nil {
			return enrich(err, resp)
		}
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return &httpx.RequestError{Platform: Platform, Method: method, Path: path, Err: err}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &httpx.RequestError{Platform: Platform, Method: method, Path: path, Err: fmt.Errorf("decode response (%d bytes): %w", len(raw), err)}
	}
	return nil
}

// enrich adds what HubSpot's error body says to err.
func enrich(err error, resp *http.Response) error {
	defer resp.Body.Close()
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if rerr != nil {
		return err
	}
	var e hsError
	if json.Unmarshal(raw, &e) != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusForbidden && e.Category == "MISSING_SCOPES":
		var scopes []string
		for _, d := range e.Errors {
			scopes = append(scopes, d.Context.RequiredScopes...)
			scopes = append(scopes, d.Context.RequiredGranularScopes...)
		}
		return &ScopeError{Scopes: scopes, Err: err}
	case resp.StatusCode == http.StatusTooManyRequests && e.PolicyName != "":
		return fmt.Errorf("hubspot: %s rate limit reached (policy %s): %w", policyWords(e.PolicyName), e.PolicyName, err)
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
