package httpx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
	"golang.org/x/time/rate"
)

// A platform package with Basic auth and its plan's limit, getting JSON
// with a query.
func ExampleNew() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pass, _ := r.BasicAuth(); pass != "api-token" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"Couldn't authenticate you"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"tickets":[{"id":1}],"after_cursor":%q}`, r.URL.Query().Get("start_time"))
	}))
	defer srv.Close()

	c, err := httpx.New(httpx.Config{
		Platform: "zendesk",
		BaseURL:  srv.URL + "/api/v2",
		Username: "agent@example.com/token",
		Password: "api-token",
		Limiter:  rate.NewLimiter(rate.Every(time.Minute/400), 10), // Suite Professional: 400/min
	})
	if err != nil {
		panic(err)
	}
	var page struct {
		Tickets     []struct{ ID int64 } `json:"tickets"`
		AfterCursor string               `json:"after_cursor"`
	}
	export := rate.NewLimiter(rate.Every(6*time.Second), 1) // incremental exports: 10/min
	_, err = c.GetJSON(context.Background(), "incremental/tickets/cursor.json",
		url.Values{"start_time": {"1700000000"}}, &page, httpx.WithLimiter(export))
	fmt.Println(len(page.Tickets), page.AfterCursor, err)

	bad, _ := httpx.New(httpx.Config{Platform: "zendesk", BaseURL: srv.URL + "/api/v2", Username: "agent@example.com/token", Password: "wrong-token"})
	_, err = bad.GetJSON(context.Background(), "users/me.json", nil, &struct{}{})
	fmt.Println(errors.Is(err, ticketsync.ErrUnauthorized))
	fmt.Println(err)
	// Output:
	// 1 1700000000 <nil>
	// true
	// zendesk: GET /api/v2/users/me.json: 401 Unauthorized: Couldn't authenticate you
}

// A platform package with a Bearer token posting a search, paced by the
// search endpoint's own limit besides the account's.
func ExampleClient_PostJSON() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ After string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"total":1,"results":[{"id":"512"}],"auth":%q,"after":%q}`, r.Header.Get("Authorization"), in.After)
	}))
	defer srv.Close()

	c, err := httpx.New(httpx.Config{
		Platform: "hubspot",
		BaseURL:  srv.URL,
		Token:    "pat-na1-example",
		Limiter:  rate.NewLimiter(rate.Every(10*time.Second/190), 19), // 190 per 10 s
	})
	if err != nil {
		panic(err)
	}
	search := rate.NewLimiter(5, 1) // search: 5 per second
	var out struct {
		Total   int
		Results []struct{ ID string }
		Auth    string
		After   string
	}
	_, err = c.PostJSON(context.Background(), "/crm/v3/objects/tickets/search",
		map[string]any{"limit": 200, "after": "200"}, &out, httpx.WithLimiter(search))
	fmt.Println(out.Total, out.Results[0].ID, out.Auth, out.After, err)
	// Output:
	// 1 512 Bearer pat-na1-example 200 <nil>
}
