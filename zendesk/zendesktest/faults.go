package zendesktest

import (
	"encoding/json"
	"net/http"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

// Fault is a failure the fake injects into the requests it matches, before
// authentication and rate limiting: a status (500, 503, 504, 429 with a
// RetryAfter), a Delay, a Truncated body, an HTML page, or a Body of its
// own, for a Method and Path (exactly, with its .json suffix, or every path
// under one ending in "/"). See fakeapi.Fault.
type Fault = fakeapi.Fault

// htmlErrorPage is what Zendesk's web front answers for an address that is
// not an account.
const htmlErrorPage = `<!DOCTYPE html>
<html>
<head><title>Help Center Closed | Zendesk</title></head>
<body><h1>Oops! This help center no longer exists</h1>
<p>The page you were looking for doesn't exist.</p></body>
</html>
`

// errorBody is Zendesk's JSON error body for a fault's status.
func errorBody(status int) []byte {
	var v any
	switch status {
	case http.StatusUnauthorized:
		v = map[string]string{"error": "Couldn't authenticate you"}
	case http.StatusTooManyRequests:
		v = apiError{Error: "APIRateLimitExceeded", Description: "Number of allowed API requests per minute exceeded"}
	case http.StatusServiceUnavailable:
		v = apiError{Error: "ServiceUnavailable", Description: "Service temporarily unavailable"}
	case http.StatusNotFound:
		v = apiError{Error: "RecordNotFound", Description: "Not found"}
	default:
		if status >= 500 {
			v = apiError{Error: "InternalServerError", Description: "Something went wrong"}
		} else {
			v = apiError{Error: http.StatusText(status)}
		}
	}
	b, _ := json.Marshal(v)
	return b
}
