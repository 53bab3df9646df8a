package freshdesktest

import (
	"net/http"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

// Fault is a failure the fake injects, before authentication and rate
// limits: a status, a delay, a body cut short or an HTML page.
type Fault = fakeapi.Fault

// Request is one request the fake received.
type Request = fakeapi.Request

// errorBody is Freshdesk's body for an injected fault's status.
func errorBody(status int) []byte {
	var r response
	switch status {
	case http.StatusTooManyRequests:
		r = codeError(status, "rate_limit_exceeded", "You have exceeded the limit of requests per minute")
	case http.StatusUnauthorized:
		r = codeError(status, "invalid_credentials", "You have to be logged in to perform this action.")
	case http.StatusNotFound:
		return nil
	default:
		r = codeError(status, "internal_error", "We're sorry, but something went wrong.")
	}
	return r.body
}

// missingPage is what the fake answers as a subdomain no account holds.
const missingPage = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Freshdesk | Helpdesk not found</title></head>
<body><h1>This helpdesk does not exist</h1>
<p>Please check the URL, or sign up for a new Freshdesk account.</p></body>
</html>
`
