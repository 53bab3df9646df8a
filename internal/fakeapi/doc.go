// Package fakeapi is what every platform fake (<platform>test) is built on:
// a started httptest server with one fault queue, one request log, one clock,
// rate windows with the platform's headers, and helpers for auth and paging.
//
// # How a platform fake uses it
//
// The fake's Server embeds *fakeapi.Server, so that every fake has the same
// methods (URL, Client, Now, SetNow, Advance, Sleep, InjectFault, Fail,
// ClearFaults, Requests, RequestCount, ResetRequests, Close), and re-exports
// the shared types as aliases:
//
//	type Fault = fakeapi.Fault
//	type Request = fakeapi.Request
//
//	type Server struct {
//		*fakeapi.Server
//		mu      sync.Mutex
//		tickets map[int64]*Ticket
//		rate    *fakeapi.RateWindow
//	}
//
//	func NewServer(tb testing.TB, opts *Options) *Server {
//		s := &Server{rate: fakeapi.NewRateWindow(400, time.Minute, fakeapi.RateHeaders{
//			Limit: "X-RateLimit-Total", Remaining: "X-RateLimit-Remaining", RetryAfter: true})}
//		s.Server = fakeapi.NewServer(tb, http.HandlerFunc(s.serve), &fakeapi.Options{
//			Start: opts.Start, ErrorBody: freshdeskError})
//		return s
//	}
//
//	func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
//		if !fakeapi.CheckBasic(r, s.apiKey, "X") { ... 401 in the platform's words ... }
//		if !s.rate.Allow(w.Header(), s.Now()) { ... 429 in the platform's words ... }
//		...
//	}
//
// The Server answers faults before the handler runs (as a proxy or an
// overloaded platform would, before authentication), logs every request with
// the status it got, and runs on its own Clock: a client under test waits a
// Retry-After with Server.Sleep, which advances the clock instead of
// sleeping, so a test never waits real seconds for a 429.
package fakeapi
