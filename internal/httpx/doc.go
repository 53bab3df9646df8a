// Package httpx is the one HTTP client stack of ticketsync. Every platform
// package talks to its platform through a *Client made by New; no other
// package builds an *http.Client.
//
// # The stack
//
// A request passes through these layers, outermost first:
//
//  1. Errors. Every answer other than 2xx, after retries, becomes a
//     *ticketsync.APIError carrying the platform's own message, the HTTP
//     status, the method, the path without its query and RetryAfter, so that
//     errors.Is(err, ticketsync.ErrUnauthorized) and its siblings work. A
//     request that got no usable answer (network failure, timeout, a body
//     that is cut short, too large, empty or not JSON) becomes a
//     *RequestError naming the platform and the request. No error text or
//     log line holds a URL query, URL userinfo, password or token.
//  2. Retries, through github.com/hashicorp/go-retryablehttp: network errors,
//     5xx (except 501) and 429 are retried up to Config.MaxRetries times;
//     other 4xx are not; a canceled context stops at once. The wait honours
//     Retry-After (seconds or an HTTP date) and, on 429, the reset headers
//     (RateLimit-Reset, X-RateLimit-Reset as unix seconds, seconds or an ISO
//     time), else grows exponentially with jitter. When the platform asks
//     for a longer wait than Config.MaxRetryWait the request is not retried:
//     the *APIError carries RetryAfter and the engine schedules the retry.
//  3. Rate limiting, before every attempt: an adaptive pacer slowed by the
//     platform's rate-limit headers, then Config.Limiter (the platform's
//     published limit), then any limiter given to the call with WithLimiter
//     (an endpoint's own budget, such as Zendesk's incremental export).
//  4. A per-attempt timeout (Config.Timeout), covering the response body.
//  5. Authentication, a RoundTripper: HTTP Basic, or a Bearer token from an
//     oauth2.TokenSource through oauth2.Transport, or none when the caller's
//     *http.Client authenticates on its own. Credentials are added only to
//     requests for the base URL's scheme and host, so a redirect elsewhere
//     never carries them.
//  6. The base transport: the Transport of Config.HTTPClient, else
//     http.DefaultTransport.
//
// # Waiting and tests
//
// go-retryablehttp sleeps between attempts on a timer of its own, which a
// test cannot replace. The Client therefore lets go-retryablehttp run the
// attempt loop (body rewinding, draining, CheckRetry, the attempt count) but
// its Backoff only computes and records the wait and returns zero;
// PrepareRetry, which go-retryablehttp calls before each retry and whose
// error ends the loop, then waits through Config.Sleep. Rate limiters are
// waited on the same way (a reservation at Config.Now, then Config.Sleep),
// so a test with a fake clock sees every wait exactly and sleeps for none.
//
// # Adaptive throttling
//
// After every response the Client reads the remaining-calls headers
// (X-Rate-Limit-Remaining with X-Rate-Limit, X-RateLimit-Remaining with
// X-RateLimit-Limit or X-RateLimit-Total and X-RateLimit-Reset,
// X-HubSpot-RateLimit-Remaining with X-HubSpot-RateLimit-Max and
// X-HubSpot-RateLimit-Interval-Milliseconds, RateLimit-Remaining with
// RateLimit-Limit and RateLimit-Reset). When fewer than a fifth of the calls
// remain it spreads the remaining calls evenly over the time left until the
// reset (a minute when the platform does not say), or holds every request
// until the reset when none remain. At the reset, or on a response showing
// enough calls left, it returns to the configured rate. A 429 holds every
// request of the Client until its wait is over. Config.Limiter itself is
// never modified.
//
// # Observation
//
// Every attempt, as sent (retries included, after authentication), is
// reported to the Hooks.Request that ticketsync.WithHooks put in the
// request's context, and every non-zero wait before an attempt (pacing,
// limiters, the wait before a retry) to its Hooks.Wait, with the path's ids
// replaced by {id}. The Syncer puts its Options.Hooks in the context of its
// runs and webhook deliveries, so no platform package passes anything
// along; without hooks in the context this costs one context lookup per
// attempt.
package httpx
