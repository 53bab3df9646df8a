package httpx

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ticketsync/ticketsync"
	"golang.org/x/oauth2"
)

// maxMessage bounds APIError.Message, in bytes.
const maxMessage = 300

// minSecret is the shortest credential scrubbed from texts: shorter ones
// (Freshdesk's password is "X") would mangle every message.
const minSecret = 6

// RequestError is a request that got no usable answer: the network failed,
// the attempt timed out, or the body was cut short, too large, empty or not
// the JSON expected. Its text names the platform and the request, never the
// query or a credential:
//
//	zendesk: GET /api/v2/users/me.json: expected JSON, got text/html from acme.zendesk.com: check the subdomain or base URL
type RequestError struct {
	Platform string
	Method   string
	Path     string // without the query
	Err      error
}

// Error returns "platform: METHOD /path: cause".
func (e *RequestError) Error() string {
	return fmt.Sprintf("%s: %s %s: %v", e.Platform, e.Method, e.Path, e.Err)
}

// Unwrap returns the cause, for errors.Is(err, context.DeadlineExceeded) and
// the like.
func (e *RequestError) Unwrap() error { return e.Err }

// Timeout reports whether the request timed out.
func (e *RequestError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

// requestError wraps err, dropping any URL it holds and scrubbing
// credentials from its text.
func (c *Client) requestError(method, path string, err error) error {
	err = sanitize(err)
	var tokenErr *oauth2.RetrieveError
	if errors.As(err, &tokenErr) {
		// The token endpoint's body, its error_description and the text
		// around it may echo the refresh token or the client secret,
		// which the Client never sees: keep only the status and a
		// well-formed error code.
		tokenErr = tokenFailure(tokenErr)
		err = &unwrapped{msg: tokenMessage(tokenErr), cause: tokenErr}
	}
	if tokenErr != nil && tokenErr.Response != nil &&
		(tokenErr.Response.StatusCode == http.StatusBadRequest || tokenErr.Response.StatusCode == http.StatusUnauthorized) {
		// The OAuth server refused the grant or the client: the
		// credentials need fixing, as for a 401.
		err = fmt.Errorf("%w: fetch OAuth token: %w", ticketsync.ErrUnauthorized, err)
	}
	if msg := err.Error(); c.scrub(msg) != msg {
		// The chain cannot be trusted: keep only the scrubbed text.
		err = errors.New(c.scrub(msg))
	}
	return &RequestError{Platform: c.platform, Method: method, Path: path, Err: err}
}

// sanitize drops the *url.Error net/http wraps around transport errors: its
// text holds the full URL, query and all. The request is named by
// RequestError instead.
func sanitize(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) || ue.Err == nil {
		return err
	}
	if ue == err {
		return ue.Err
	}
	// Wrapped: keep the wrapper's words around the cause.
	return &unwrapped{msg: strings.ReplaceAll(err.Error(), ue.Error(), ue.Err.Error()), cause: ue.Err}
}

// unwrapped is an error whose *url.Error was replaced by its cause.
type unwrapped struct {
	msg   string
	cause error
}

func (e *unwrapped) Error() string { return e.msg }
func (e *unwrapped) Unwrap() error { return e.cause }

// scrub replaces the Client's credentials in s.
func (c *Client) scrub(s string) string {
	return scrubAll(s, c.secrets)
}

// sentCredentials returns the credentials a request carried in its
// Authorization header, as the innermost transport saw it: a platform may
// echo a token in its error message, also one the Client never saw
// (a TokenSource, a caller's authenticating transport).
func sentCredentials(r *http.Request) []string {
	if r == nil {
		return nil
	}
	scheme, cred, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok {
		return nil
	}
	cred = strings.TrimSpace(cred)
	out := []string{cred}
	if strings.EqualFold(scheme, "Basic") {
		if raw, err := base64.StdEncoding.DecodeString(cred); err == nil {
			user, pass, _ := strings.Cut(string(raw), ":")
			out = append(out, user, pass)
		}
	}
	return out
}

func scrubAll(s string, secrets []string) string {
	for _, secret := range secrets {
		if len(secret) >= minSecret {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// redactURL returns u without userinfo, query and fragment.
func redactURL(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return r.String()
}

// WithOp sets the operation of the *ticketsync.APIError in err, when there
// is one and its Op is empty, and returns err: a connector names what it
// was doing once, where it calls the Client:
//
//	if _, err := c.http.GetJSON(ctx, path, q, &page); err != nil {
//		return httpx.WithOp(err, "fetch tickets")
//	}
func WithOp(err error, op string) error {
	var e *ticketsync.APIError
	if errors.As(err, &e) && e.Op == "" {
		e.Op = op
	}
	return err
}

// pathOf returns the path of a request reference, without its query.
func pathOf(ref string) string {
	if u, err := url.Parse(ref); err == nil {
		return u.Path
	}
	p, _, _ := strings.Cut(ref, "?")
	p, _, _ = strings.Cut(p, "#")
	if i := strings.Index(p, "://"); i >= 0 {
		// An unparsable absolute URL: keep nothing that might be userinfo.
		if j := strings.IndexByte(p[i+3:], '/'); j >= 0 {
			return p[i+3+j:]
		}
		return "/"
	}
	return p
}

// apiError turns a non-2xx answer into a *ticketsync.APIError.
func (c *Client) apiError(method, path string, resp *http.Response, body []byte) error {
	e := &ticketsync.APIError{
		Platform:   c.platform,
		StatusCode: resp.StatusCode,
		Method:     method,
		Path:       path,
	}
	mt := mediaType(resp.Header)
	var code, msg, hint string
	if c.decodeError != nil {
		code, msg, hint = c.decodeError(resp.StatusCode, resp.Header, body)
	}
	if msg == "" {
		msg = platformMessage(body, mt)
	}
	if msg == "" && resp.StatusCode == http.StatusNotFound && isHTML(mt, body) {
		msg = "the platform answered with an HTML page: check the subdomain or base URL"
	}
	sent := sentCredentials(resp.Request)
	clean := func(s string, n int) string { return truncate(scrubAll(c.scrub(oneLine(s)), sent), n) }
	e.Message = clean(msg, maxMessage)
	e.Code = clean(code, 100)
	e.Hint = clean(hint, maxMessage)
	if d, ok := c.serverWait(resp); ok {
		e.RetryAfter = d
	}
	return e
}

// decode decodes a 2xx JSON body into out, or says clearly why it cannot.
func (c *Client) decode(method, path string, resp *http.Response, body []byte, out any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return c.requestError(method, path, fmt.Errorf("empty response body (HTTP %d), expected JSON", resp.StatusCode))
	}
	mt := mediaType(resp.Header)
	if !isJSON(mt) && !looksJSON(body) {
		got := mt
		if got == "" {
			got = "a body without Content-Type"
		}
		err := fmt.Errorf("expected JSON, got %s", got)
		if isHTML(mt, body) {
			err = fmt.Errorf("expected JSON, got text/html from %s: check the subdomain or base URL", c.base.Host)
		}
		return c.requestError(method, path, err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return c.requestError(method, path, fmt.Errorf("invalid JSON in response (%d bytes): %w", len(body), err))
		}
		return c.requestError(method, path, fmt.Errorf("decode response: %w", err))
	}
	return nil
}

func mediaType(h http.Header) string {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

func isJSON(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func looksJSON(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

func isHTML(mt string, body []byte) bool {
	if mt == "text/html" || mt == "application/xhtml+xml" {
		return true
	}
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '<'
}

// platformMessage extracts the platform's own error message from a body:
//
//	{"error":"..."}                                   Zendesk, generic
//	{"error":"RecordInvalid","description":"..."}     Zendesk
//	{"error":{"message":"..."}} / {"error":{"title":"..."}}
//	{"message":"..."}                                 Freshdesk 401, generic
//	{"description":"...","errors":[{"field","message"}]}  Freshdesk validation
//	{"errorMessages":[...],"errors":{"field":"..."}}  Jira
//	{"errors":[{"code","message"}]}                   Intercom
//	{"status":"error","message":"...","category":"..."}  HubSpot
//
// and else the text of a short text/plain body. It returns "" when the body
// says nothing usable.
func platformMessage(body []byte, mt string) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		if mt == "text/plain" && utf8.Valid(body) {
			return oneLine(string(body))
		}
		return ""
	}
	var head, details []string
	if s := str(m["error"]); s != "" {
		head = append(head, s)
	} else if obj := object(m["error"]); obj != nil {
		for _, k := range []string{"message", "title", "description"} {
			if s := str(obj[k]); s != "" {
				head = append(head, s)
				break
			}
		}
	}
	if s := str(m["message"]); s != "" {
		head = append(head, s)
	}
	if s := str(m["description"]); s != "" {
		head = append(head, s)
	}
	var msgs []string
	if json.Unmarshal(m["errorMessages"], &msgs) == nil {
		details = append(details, msgs...)
	}
	details = append(details, errorList(m["errors"])...)
	msg := strings.Join(nonEmpty(head), ": ")
	if d := strings.Join(nonEmpty(details), "; "); d != "" {
		if msg == "" {
			msg = d
		} else {
			msg += ": " + d
		}
	}
	if cat := str(m["category"]); cat != "" && msg != "" {
		msg += " (" + cat + ")"
	}
	return oneLine(msg)
}

// errorList reads "errors" as a list of {field, message, code} objects or
// strings, or as an object of field to message.
func errorList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		var out []string
		for _, item := range list {
			if s := str(item); s != "" {
				out = append(out, s)
				continue
			}
			obj := object(item)
			if obj == nil {
				continue
			}
			text := str(obj["message"])
			if text == "" {
				text = str(obj["code"])
			}
			if f := str(obj["field"]); f != "" && text != "" {
				text = f + ": " + text
			}
			out = append(out, text)
		}
		return out
	}
	obj := object(raw)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		if s := str(obj[k]); s != "" {
			out = append(out, k+": "+s)
		}
	}
	return out
}

func str(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

func object(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

func nonEmpty(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// oauthCode matches an OAuth error code (RFC 6749, section 5.2):
// "invalid_grant", "invalid_client".
var oauthCode = regexp.MustCompile(`^[a-z_]{1,40}$`)

// tokenFailure returns a copy of e that holds only its status and a
// well-formed error code: no body, description, URI or request.
func tokenFailure(e *oauth2.RetrieveError) *oauth2.RetrieveError {
	out := &oauth2.RetrieveError{}
	if e.Response != nil {
		out.Response = &http.Response{Status: e.Response.Status, StatusCode: e.Response.StatusCode, Header: http.Header{}}
	}
	if oauthCode.MatchString(e.ErrorCode) {
		out.ErrorCode = e.ErrorCode
	}
	return out
}

// tokenMessage describes a failure of the token endpoint in one line:
// "oauth2: token endpoint answered 400 Bad Request (invalid_grant)".
func tokenMessage(e *oauth2.RetrieveError) string {
	msg := "oauth2: token endpoint failed"
	if e.Response != nil {
		msg = fmt.Sprintf("oauth2: token endpoint answered %d %s", e.Response.StatusCode, http.StatusText(e.Response.StatusCode))
	}
	if e.ErrorCode != "" {
		msg += " (" + e.ErrorCode + ")"
	}
	return msg
}
