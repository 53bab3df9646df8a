package hubspottest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

func correlationID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// apiError is HubSpot's error JSON.
type apiError struct {
	Status        string            `json:"status"`
	Message       string            `json:"message"`
	CorrelationID string            `json:"correlationId"`
	Category      string            `json:"category,omitempty"`
	SubCategory   string            `json:"subCategory,omitempty"`
	Errors        []errorDetail     `json:"errors,omitempty"`
	Links         map[string]string `json:"links,omitempty"`
	Context       map[string]any    `json:"context,omitempty"`
}

type errorDetail struct {
	Message string         `json:"message"`
	Code    string         `json:"code,omitempty"`
	Context map[string]any `json:"context,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg, category string, ctx map[string]any) {
	writeJSON(w, status, apiError{Status: "error", Message: msg, CorrelationID: correlationID(), Category: category, Context: ctx})
}

// errorBody is HubSpot's error JSON for a fault's status.
func errorBody(status int) []byte {
	if status == http.StatusTooManyRequests {
		return []byte(RateLimitBody("TEN_SECONDLY_ROLLING"))
	}
	category := map[int]string{400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION", 403: "MISSING_SCOPES", 404: "OBJECT_NOT_FOUND"}[status]
	if category == "" {
		category = "INTERNAL_ERROR"
	}
	b, _ := json.Marshal(apiError{Status: "error", Message: strings.ToLower(http.StatusText(status)), CorrelationID: correlationID(), Category: category})
	return b
}

// RateLimitBody is HubSpot's 429 body for a policy ("TEN_SECONDLY_ROLLING",
// "SECONDLY" or "DAILY"), for a Fault's Body.
func RateLimitBody(policy string) string {
	b, _ := json.Marshal(rateLimited(policy))
	return string(b)
}

func rateLimited(policy string) map[string]string {
	return map[string]string{
		"status":        "error",
		"message":       "You have reached your " + strings.ToLower(policy) + " limit.",
		"errorType":     "RATE_LIMIT",
		"correlationId": correlationID(),
		"policyName":    policy,
		"requestId":     correlationID(),
	}
}

// writeRateLimited answers 429 as HubSpot does: errorType RATE_LIMIT and the
// policy that was exceeded.
func writeRateLimited(w http.ResponseWriter, policy string) {
	if policy == "" {
		policy = "TEN_SECONDLY_ROLLING"
	}
	writeJSON(w, http.StatusTooManyRequests, rateLimited(policy))
}

// writeMissingScopes answers 403 as HubSpot does for a token without a
// needed scope.
func writeMissingScopes(w http.ResponseWriter, need []string) {
	writeJSON(w, http.StatusForbidden, apiError{
		Status:        "error",
		Message:       "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
		CorrelationID: correlationID(),
		Category:      "MISSING_SCOPES",
		Errors: []errorDetail{{
			Message: "One or more of the following scopes are required.",
			Context: map[string]any{"requiredGranularScopes": need},
		}},
		Links: map[string]string{"scopes": "https://developers.hubspot.com/scopes"},
	})
}

func badRequest(w http.ResponseWriter, msg string) {
	writeError(w, http.StatusBadRequest, msg, "VALIDATION_ERROR", nil)
}

// Fault is a failure the fake injects into the requests it matches (see
// fakeapi.Fault): a status answered before authentication and rate limits,
// a delay, a body cut short, an HTML page. A 429 carries HubSpot's
// rate-limit body for the TEN_SECONDLY_ROLLING policy unless Body says
// otherwise (RateLimitBody).
type Fault = fakeapi.Fault

// Request is one request the fake received, as Requests returns it.
type Request = fakeapi.Request
