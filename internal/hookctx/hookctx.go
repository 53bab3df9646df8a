// Package hookctx holds the context key under which the root package puts
// its *ticketsync.Hooks for the HTTP stack (internal/httpx) to find, so that
// platform requests made during a run or a webhook delivery are observed
// without any platform package passing the hooks along.
package hookctx

// Key is the context key; its value is a *ticketsync.Hooks.
type Key struct{}
