package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/console"
	"github.com/ticketsync/ticketsync/memstore"
)

// A host mounts the console under a prefix and says who may use it.
func ExampleHandler() {
	store := memstore.New()
	syncer := ticketsync.NewSyncer(store, nil)

	mux := http.NewServeMux()
	mux.Handle("/admin/support/", console.Handler(syncer, store, &console.Options{
		// The host's own check: its session, its roles.
		Authorize: func(r *http.Request) bool { return r.Header.Get("X-Role") == "support-admin" },
		Prefix:    "/admin/support",
	}))

	for _, role := range []string{"support-admin", "guest"} {
		req := httptest.NewRequest(http.MethodGet, "/admin/support/", nil)
		req.Header.Set("X-Role", role)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(role, rec.Code, rec.Header().Get("X-Frame-Options"))
	}
	// Output:
	// support-admin 200 DENY
	// guest 403 DENY
}

// Without an Authorize function the console refuses to serve.
func ExampleHandler_withoutAuthorize() {
	store := memstore.New()
	h := console.Handler(ticketsync.NewSyncer(store, nil), store, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(rec.Code)
	// Output: 403
}
