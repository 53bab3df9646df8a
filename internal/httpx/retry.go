package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
	"golang.org/x/time/rate"
)

// errTooLarge marks a response body over Config.MaxBodyBytes; it is not
// retried.
var errTooLarge = errors.New("response body too large")

// call is the state of one request across its attempts. go-retryablehttp
// calls its methods from the goroutine running Do, one at a time.
type call struct {
	c        *Client
	ctx      context.Context
	method   string
	path     string
	limiters []*rate.Limiter

	wait    time.Duration  // the wait Backoff chose, slept by prepareRetry
	lastErr error          // the last attempt's error, for the retry log
	body    []byte         // the body read by readBody
	bodyOf  *http.Response // the response body belongs to
}

// checkRetry is the retryablehttp.CheckRetry: retry network errors, bodies
// cut short, 429 and 5xx except 501; never after ctx ended; never when the
// platform asks for a longer wait than MaxRetryWait.
func (cl *call) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if resp != nil {
		cl.c.observe(ctx, resp)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	cl.lastErr = err
	var tokenErr *oauth2.RetrieveError
	if errors.Is(err, errTooLarge) || errors.As(err, &tokenErr) {
		// The token endpoint refused: retrying soon will not help.
		return false, nil
	}
	retry, rerr := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	if !retry || rerr != nil || err != nil {
		return retry, rerr
	}
	if d, ok := cl.c.serverWait(resp); ok && d > cl.c.maxRetryWait {
		return false, nil
	}
	return true, nil
}

// backoff is the retryablehttp.Backoff. It records the wait for
// prepareRetry and returns zero, so that go-retryablehttp's own timer does
// not wait: the injectable sleep does.
func (cl *call) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	c := cl.c
	d, fromServer := c.serverWait(resp)
	if !fromServer {
		d = exponential(minWait, maxWait, attempt)
	}
	d = min(d, maxWait)
	cl.wait = d
	if fromServer && resp.StatusCode == http.StatusTooManyRequests {
		c.pacer.hold(c.now().Add(d))
	}
	attrs := []slog.Attr{
		slog.String("platform", c.platform),
		slog.String("method", cl.method),
		slog.String("path", cl.path),
		slog.Int("attempt", attempt+1),
		slog.Duration("wait", d),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	} else if cl.lastErr != nil {
		attrs = append(attrs, slog.String("error", c.scrub(sanitize(cl.lastErr).Error())))
	}
	c.log.LogAttrs(cl.ctx, slog.LevelDebug, "httpx: retrying request", attrs...)
	return 0
}

// prepareRetry is the retryablehttp.PrepareRetry: it waits out the backoff
// and the rate limits before the next attempt. Its error ends the retries.
func (cl *call) prepareRetry(req *http.Request) error {
	if err := cl.c.pause(cl.ctx, cl.wait, cl.path, waitRetry); err != nil {
		return err
	}
	return cl.c.gate(cl.ctx, cl.path, cl.limiters)
}

// errorHandler is the retryablehttp.ErrorHandler: it hands back the last
// response when retries ran out on a status (send turns it into an
// APIError), and the bare error otherwise, so that go-retryablehttp does not
// wrap it into a text holding the URL.
func (cl *call) errorHandler(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err == nil && resp != nil {
		return resp, nil
	}
	if resp != nil {
		drainClose(resp.Body)
	}
	if err == nil {
		err = errors.New("no response")
	}
	return nil, err
}

// readBody is the retryablehttp.ResponseHandler, run for each answer that is
// not retried on its status: it reads the body within the attempt's timeout,
// so that a body cut short is retried like any network error.
func (cl *call) readBody(resp *http.Response) error {
	limit := cl.c.maxBody
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if !ok {
		limit = errorBodyBytes
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		_ = resp.Body.Close()
		return fmt.Errorf("read response body: %w", err)
	}
	if int64(len(data)) > limit {
		if ok {
			_ = resp.Body.Close()
			return fmt.Errorf("%w: more than %s (MaxBodyBytes)", errTooLarge, byteSize(limit))
		}
		data = data[:limit]
	}
	drainClose(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(data))
	cl.body, cl.bodyOf = data, resp
	return nil
}

// exponential returns a wait growing from minWait, doubling per attempt, up
// to maxWait, with the upper half jittered.
func exponential(minWait, maxWait time.Duration, attempt int) time.Duration {
	d := minWait
	for i := 0; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	return half + rand.N(half+1)
}

// serverWait returns how long resp asks the caller to wait: Retry-After on
// any status, and on 429 the rate-limit reset headers. ok is false when resp
// does not say.
func (c *Client) serverWait(resp *http.Response) (d time.Duration, ok bool) {
	if resp == nil {
		return 0, false
	}
	now := c.now()
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
		return d, true
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if v := resp.Header.Get("RateLimit-Reset"); v != "" {
		if n, ok := parseCount(v); ok {
			return max(times(n, time.Second), time.Second), true
		}
	}
	if at, ok := parseReset(resp.Header.Get("X-RateLimit-Reset"), now); ok {
		// Reset headers count whole seconds; the reset second may still
		// be running, so wait at least one.
		return max(at.Sub(now), time.Second), true
	}
	return 0, false
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, ok := parseCount(v); ok {
		return times(n, time.Second), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// parseReset reads a reset time: unix seconds (Intercom), seconds from now
// (small numbers), or an ISO time such as 2024-05-01T10:05Z (Jira).
func parseReset(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if n, ok := parseCount(v); ok {
		if n > 1e9 {
			return time.Unix(n, 0), true
		}
		return now.Add(times(n, time.Second)), true
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// gate waits, before an attempt, for the pacer, Config.Limiter and the
// call's own limiters.
func (c *Client) gate(ctx context.Context, path string, extra []*rate.Limiter) error {
	if err := c.pause(ctx, c.pacer.reserve(c.now()), path, waitRateLimit); err != nil {
		return err
	}
	if err := c.waitLimiter(ctx, path, c.limiter); err != nil {
		return err
	}
	for _, l := range extra {
		if err := c.waitLimiter(ctx, path, l); err != nil {
			return err
		}
	}
	return nil
}

// waitLimiter is rate.Limiter.Wait on the Client's clock.
func (c *Client) waitLimiter(ctx context.Context, path string, l *rate.Limiter) error {
	if l == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	now := c.now()
	r := l.ReserveN(now, 1)
	if !r.OK() {
		return errors.New("rate limiter allows no request (burst 0)")
	}
	if err := c.pause(ctx, r.DelayFrom(now), path, waitRateLimit); err != nil {
		r.CancelAt(c.now())
		return err
	}
	return nil
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// parseCount reads a header's non-negative whole number. A number too large
// for an int64 is math.MaxInt64: a platform asking for a very long wait is
// not to be read as asking for none.
func parseCount(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange && v != "" && v[0] != '-' {
			return math.MaxInt64, true
		}
		return 0, false
	}
	return n, n >= 0
}

// times returns n units, saturating at the longest time.Duration instead of
// wrapping around: 9223372037 seconds is not 0.
func times(n int64, unit time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	if n > math.MaxInt64/int64(unit) {
		return math.MaxInt64
	}
	return time.Duration(n) * unit
}
