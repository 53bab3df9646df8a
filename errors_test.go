package ticketsync

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAPIErrorMatchesSentinels(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{401, ErrUnauthorized}, {403, ErrForbidden}, {404, ErrNotFound}, {429, ErrRateLimited},
	}
	all := []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrRateLimited, ErrInvalidSignature}
	for _, tt := range tests {
		err := fmt.Errorf("zendesk: test connection: %w", &APIError{StatusCode: tt.status})
		for _, sentinel := range all {
			if got := errors.Is(err, sentinel); got != (sentinel == tt.want) {
				t.Errorf("status %d: errors.Is(err, %v) = %v", tt.status, sentinel, got)
			}
		}
	}
	if errors.Is(&APIError{StatusCode: 500}, ErrNotFound) {
		t.Error("a 500 matches ErrNotFound")
	}
}

func TestAPIErrorText(t *testing.T) {
	err := &APIError{
		Platform: "zendesk", StatusCode: 429, Method: "GET", Path: "/api/v2/incremental/tickets/cursor.json",
		Message: "Too many requests", RetryAfter: 30 * time.Second,
	}
	want := "zendesk: GET /api/v2/incremental/tickets/cursor.json: 429 Too Many Requests: Too many requests (retry after 30s)"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q\nwant      %q", got, want)
	}
	if !err.Temporary() || (&APIError{StatusCode: 401}).Temporary() {
		t.Error("Temporary() wrong for 429 or 401")
	}
	plain := (&APIError{StatusCode: 404, Message: "Not Found"}).Error()
	if plain != "404 Not Found" || strings.Count(plain, "Not Found") != 1 {
		t.Errorf("a message equal to the status text is repeated: %q", plain)
	}
}

func TestPermanent(t *testing.T) {
	if !permanent(fmt.Errorf("x: %w", &APIError{StatusCode: 401})) || permanent(&APIError{StatusCode: 503}) || permanent(errors.New("eof")) {
		t.Error("permanent() misclassifies")
	}
}

func TestAPIErrorOpCodeHint(t *testing.T) {
	err := &APIError{Platform: "hubspot", Op: "fetch tickets", StatusCode: 403, Method: "GET", Path: "/crm/v3/objects/tickets/search",
		Message: "This app hasn't been granted all required scopes", Code: "MISSING_SCOPES", Hint: "grant the app the tickets scope"}
	want := "hubspot: fetch tickets: GET /crm/v3/objects/tickets/search: 403 Forbidden: This app hasn't been granted all required scopes (MISSING_SCOPES); grant the app the tickets scope"
	if got := err.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	if !errors.Is(fmt.Errorf("wrap: %w", err), ErrForbidden) {
		t.Error("an APIError with Op, Code and Hint no longer matches ErrForbidden")
	}
	// A code the message already holds is not repeated.
	err = &APIError{StatusCode: 404, Message: "RecordNotFound: no such ticket", Code: "RecordNotFound"}
	if got := err.Error(); strings.Count(got, "RecordNotFound") != 1 {
		t.Errorf("Error() = %q repeats the code", got)
	}
}
