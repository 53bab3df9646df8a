package hubspottest

import (
	"net/http"
	"strconv"
	"time"
)

// allow applies the rate limits to an authenticated request. It returns the
// policy that refuses it, or "".
func (s *Server) allow(isSearch bool) string {
	now := s.Now()
	day := now.In(s.loc).Format("2006-01-02") // midnight in the account's time zone
	if day != s.day {
		s.day, s.daily = day, 0
	}
	if s.opts.DailyLimit > 0 && s.daily >= s.opts.DailyLimit {
		return "DAILY"
	}
	if isSearch {
		s.search = prune(s.search, now.Add(-s.opts.SearchRateWindow))
		if s.opts.SearchRateLimit > 0 && len(s.search) >= s.opts.SearchRateLimit {
			return "SECONDLY"
		}
		s.search = append(s.search, now)
	} else {
		s.window = prune(s.window, now.Add(-s.opts.RateWindow))
		if s.opts.RateLimit > 0 && len(s.window) >= s.opts.RateLimit {
			return "TEN_SECONDLY_ROLLING"
		}
		s.window = append(s.window, now)
	}
	s.daily++
	return ""
}

// prune drops the times not after cutoff.
func prune(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cutoff) {
		i++
	}
	return ts[i:]
}

// rateHeaders sets the X-HubSpot-RateLimit-* headers HubSpot sends on every
// answer but search's.
func (s *Server) rateHeaders(h http.Header) {
	if s.opts.RateLimit > 0 {
		remaining := max(s.opts.RateLimit-len(s.window), 0)
		h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(s.opts.RateWindow.Milliseconds(), 10))
		h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(s.opts.RateLimit))
		h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(remaining))
		secs := max(int(s.opts.RateWindow/time.Second), 1)
		h.Set("X-HubSpot-RateLimit-Secondly", strconv.Itoa(max(s.opts.RateLimit/secs, 1)))
		h.Set("X-HubSpot-RateLimit-Secondly-Remaining", strconv.Itoa(remaining/secs))
	}
	if s.opts.DailyLimit > 0 {
		h.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(s.opts.DailyLimit))
		h.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(max(s.opts.DailyLimit-s.daily, 0)))
	}
}
