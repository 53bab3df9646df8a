package httpx

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/hookctx"
)

// hooksOf returns the ticketsync.Hooks that ticketsync.WithHooks put in ctx,
// or nil.
func hooksOf(ctx context.Context) *ticketsync.Hooks {
	h, _ := ctx.Value(hookctx.Key{}).(*ticketsync.Hooks)
	return h
}

// observed reports every attempt to the Hooks.Request found in the
// request's context; it is the outermost RoundTripper of a Client, so it
// sees each attempt go-retryablehttp makes, authentication included.
type observed struct {
	platform string
	next     http.RoundTripper
}

func (t *observed) RoundTrip(req *http.Request) (*http.Response, error) {
	h := hooksOf(req.Context())
	if h == nil || h.Request == nil {
		return t.next.RoundTrip(req)
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	r := ticketsync.PlatformRequest{
		Platform: t.platform,
		Method:   req.Method,
		Endpoint: endpoint(req.URL.Path),
		Start:    start,
		Duration: time.Since(start),
	}
	if resp != nil {
		r.StatusCode = resp.StatusCode
	}
	if err != nil {
		r.Err = sanitize(err)
	}
	func() {
		defer func() { _ = recover() }() // a broken hook must not break the request
		h.Request(req.Context(), r)
	}()
	return resp, err
}

// pause sleeps d before an attempt on path and reports the wait to the
// Hooks.Wait in ctx.
func (c *Client) pause(ctx context.Context, d time.Duration, path, reason string) error {
	err := c.sleep(ctx, d)
	if d > 0 {
		if h := hooksOf(ctx); h != nil && h.Wait != nil {
			func() {
				defer func() { _ = recover() }()
				h.Wait(ctx, ticketsync.PlatformWait{Platform: c.platform, Endpoint: endpoint(path), Reason: reason, Duration: d})
			}()
		}
	}
	return err
}

// endpoint returns path with each segment that looks like an id replaced
// by "{id}", keeping a file extension: "/api/v2/tickets/123/comments.json"
// and "/rest/servicedeskapi/request/SD-42" become
// "/api/v2/tickets/{id}/comments.json" and
// "/rest/servicedeskapi/request/{id}". A segment is an id when it holds a
// digit and is not a short version ("v2", "3", "2.0").
func endpoint(path string) string {
	if !strings.ContainsAny(path, "0123456789") {
		return path
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		stem, ext := s, ""
		if j := strings.LastIndexByte(s, '.'); j > 0 && isLetters(s[j+1:]) {
			stem, ext = s[:j], s[j:]
		}
		if strings.ContainsAny(stem, "0123456789") && !isVersion(stem) {
			segs[i] = "{id}" + ext
		}
	}
	return strings.Join(segs, "/")
}

func isLetters(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

// isVersion reports whether s is an API version: "v2", "V3", "v1.1", "3",
// "2.0". A one-digit id ("/tickets/7") passes for a version too, which
// costs nine values of an attribute at most.
func isVersion(s string) bool {
	digits := 1
	if t := strings.TrimLeft(s, "vV"); len(t) == len(s)-1 {
		s, digits = t, 3
	}
	major, minor, dotted := strings.Cut(s, ".")
	return len(major) >= 1 && len(major) <= digits && allDigits(major) && (!dotted || (minor != "" && allDigits(minor)))
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// The reasons of a wait, as Hooks.Wait reports them.
const (
	waitRetry     = ticketsync.WaitRetry
	waitRateLimit = ticketsync.WaitRateLimit
)
