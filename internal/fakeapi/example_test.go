package fakeapi_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

// A fake with a rate window of 2 requests a minute: the third request is
// refused with Retry-After, and a client that waits on the fake's clock is
// served at once, without sleeping.
func Example() {
	var s *fakeapi.Server
	rate := fakeapi.NewRateWindow(2, time.Minute, fakeapi.RateHeaders{Remaining: "X-RateLimit-Remaining", RetryAfter: true})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fakeapi.CheckBasic(r, "api-key", "X") {
			http.Error(w, `{"code":"invalid_credentials"}`, http.StatusUnauthorized)
			return
		}
		if !rate.Allow(w.Header(), s.Now()) {
			http.Error(w, `{"message":"rate limited"}`, http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, `[]`)
	})
	s = fakeapi.New(handler, &fakeapi.Options{Start: time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)})
	defer s.Close()

	for i := 0; i < 4; i++ {
		req, _ := http.NewRequest("GET", s.URL+"/api/v2/tickets", nil)
		req.SetBasicAuth("api-key", "X")
		resp, err := s.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Printf("%d Retry-After=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
		if resp.StatusCode == http.StatusTooManyRequests {
			_ = s.Sleep(context.Background(), 30*time.Second) // the harness clock
		}
	}
	fmt.Println(len(s.Requests()), "requests, clock at", s.Now().Format("15:04:05"))
	// Output:
	// 200 Retry-After=""
	// 200 Retry-After=""
	// 429 Retry-After="30"
	// 200 Retry-After=""
	// 4 requests, clock at 00:01:00
}
