package fakeapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// PageParams reads page-number paging (Freshdesk's page and per_page): page
// is 1-based, perPage defaults to def and may not pass max. It returns an
// error, to answer 400 with, for values that are not positive numbers or
// are above max.
func PageParams(q url.Values, pageName, sizeName string, def, max int) (page, perPage int, err error) {
	page, perPage = 1, def
	if v := q.Get(pageName); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			return 0, 0, fmt.Errorf("%s must be a positive number", pageName)
		}
	}
	if v := q.Get(sizeName); v != "" {
		if perPage, err = strconv.Atoi(v); err != nil || perPage < 1 || perPage > max {
			return 0, 0, fmt.Errorf("%s must be between 1 and %d", sizeName, max)
		}
	}
	return page, perPage, nil
}

// SetLinkNext adds `Link: <url>; rel="next"` to h, for the request r with
// the query parameter param set to value (Freshdesk's page=N+1). The URL is
// absolute, on the host the client called.
func SetLinkNext(h http.Header, r *http.Request, param, value string) {
	q := r.URL.Query()
	q.Set(param, value)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	h.Add("Link", fmt.Sprintf(`<%s>; rel="next"`, u.String()))
}

// Window returns the slice of n items that page (1-based) of perPage holds,
// as [lo, hi), and whether a later page has items.
func Window(n, page, perPage int) (lo, hi int, more bool) {
	lo = min(n, (page-1)*perPage)
	hi = min(n, lo+perPage)
	return lo, hi, hi < n
}
