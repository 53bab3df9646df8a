package fakeapi

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// CheckBasic reports whether r carries HTTP Basic credentials user and
// password, compared in constant time.
func CheckBasic(r *http.Request, user, password string) bool {
	u, p, ok := r.BasicAuth()
	return ok && equal(u, user) && equal(p, password)
}

// BearerToken returns the token of an "Authorization: Bearer" header, and
// false when there is none.
func BearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// CheckBearer reports whether r carries "Authorization: Bearer <token>",
// compared in constant time.
func CheckBearer(r *http.Request, token string) bool {
	got, ok := BearerToken(r)
	return ok && equal(got, token)
}
