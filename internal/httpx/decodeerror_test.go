package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ticketsync/ticketsync"
)

// TestDecodeError checks that a platform's error-body decoder fills Code,
// Message and Hint, that the request's credentials are scrubbed from them,
// and that WithOp names the operation.
func TestDecodeError(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"status":"error","category":"MISSING_SCOPES","message":"missing tickets for token tok-123",` +
			`"errors":[{"context":{"requiredGranularScopes":["tickets"]}}]}`))
	})
	var gotStatus int
	c, err := New(Config{Platform: "hubspot", BaseURL: s.URL, Token: "tok-123", MaxRetries: -1,
		DecodeError: func(status int, h http.Header, body []byte) (string, string, string) {
			gotStatus = status
			var e struct {
				Category, Message string
				Errors            []struct {
					Context struct {
						Scopes []string `json:"requiredGranularScopes"`
					}
				}
			}
			if json.Unmarshal(body, &e) != nil {
				return "", "", ""
			}
			hint := ""
			if len(e.Errors) > 0 {
				hint = "grant the app the scopes " + strings.Join(e.Errors[0].Context.Scopes, ", ")
			}
			return e.Category, e.Message, hint
		}})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{}
	_, err = c.GetJSON(context.Background(), "/crm/v3/objects/tickets", nil, &out)
	err = WithOp(err, "fetch tickets")
	var ae *ticketsync.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an *APIError", err)
	}
	if gotStatus != http.StatusForbidden {
		t.Errorf("decoder saw status %d", gotStatus)
	}
	if ae.Code != "MISSING_SCOPES" || ae.Hint != "grant the app the scopes tickets" || ae.Op != "fetch tickets" {
		t.Errorf("APIError = %+v", ae)
	}
	if strings.Contains(err.Error(), "tok-123") {
		t.Errorf("error %q leaks the token", err)
	}
	if !strings.HasPrefix(err.Error(), "hubspot: fetch tickets: GET /crm/v3/objects/tickets: 403 Forbidden: missing tickets") ||
		!strings.HasSuffix(err.Error(), "(MISSING_SCOPES); grant the app the scopes tickets") {
		t.Errorf("Error() = %q", err)
	}
	if !errors.Is(err, ticketsync.ErrForbidden) {
		t.Error("the error does not match ErrForbidden")
	}
	// WithOp does not replace an operation already named, and passes
	// other errors through.
	if WithOp(err, "other"); ae.Op != "fetch tickets" {
		t.Errorf("Op = %q after a second WithOp", ae.Op)
	}
	plain := errors.New("x")
	if WithOp(plain, "op") != plain || WithOp(nil, "op") != nil {
		t.Error("WithOp changed an error that is not an APIError")
	}
}

// TestDecodeErrorEmptyKeepsOwnMessage checks that a decoder that finds
// nothing leaves the Client's own reading of the body.
func TestDecodeErrorEmptyKeepsOwnMessage(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"RecordNotFound","description":"Not found"}`))
	})
	c, err := New(Config{Platform: "zendesk", BaseURL: s.URL, MaxRetries: -1,
		DecodeError: func(int, http.Header, []byte) (string, string, string) { return "RecordNotFound", "", "" }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetJSON(context.Background(), "/api/v2/tickets/1.json", nil, &struct{}{})
	var ae *ticketsync.APIError
	if !errors.As(err, &ae) || ae.Message == "" || ae.Code != "RecordNotFound" {
		t.Fatalf("err = %#v", err)
	}
}
