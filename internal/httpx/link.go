package httpx

import (
	"net/http"
	"strings"
)

// Link is one link of a Link header (RFC 8288).
type Link struct {
	// URL is the target as sent, without the angle brackets; it may be
	// relative.
	URL string
	// Rel holds the relation types, lower case: a rel="next last" link
	// has both.
	Rel []string
	// Params holds the other parameters by lower-case name, unquoted; the
	// first occurrence of a name wins.
	Params map[string]string
}

// HasRel reports whether l has the relation type rel (case-insensitive).
func (l Link) HasRel(rel string) bool {
	for _, r := range l.Rel {
		if strings.EqualFold(r, rel) {
			return true
		}
	}
	return false
}

// ParseLinks returns the links of every Link header in h, in order. Malformed
// parts are skipped.
func ParseLinks(h http.Header) []Link {
	var links []Link
	for _, v := range h.Values("Link") {
		links = append(links, parseLinkValue(v)...)
	}
	return links
}

// NextLink returns the target of the first link with rel="next", or "" when
// there is none: the next page of a list paginated with Link headers
// (Freshdesk). Pass it to GetJSON, which follows it on the base URL's host.
func NextLink(h http.Header) string {
	for _, l := range ParseLinks(h) {
		if l.HasRel("next") {
			return l.URL
		}
	}
	return ""
}

// parseLinkValue parses one Link header value: a comma-separated list of
// `<target>; name=value; name="quoted, value"`.
func parseLinkValue(s string) []Link {
	var links []Link
	i := 0
	for {
		// Find the next link's target; skip anything else.
		start := strings.IndexByte(s[i:], '<')
		if start < 0 {
			return links
		}
		start += i
		end := strings.IndexByte(s[start:], '>')
		if end < 0 {
			return links
		}
		end += start
		l := Link{URL: strings.TrimSpace(s[start+1 : end]), Params: map[string]string{}}
		i = end + 1
		for {
			i = skipSpace(s, i)
			if i >= len(s) || s[i] != ';' {
				break
			}
			i = skipSpace(s, i+1)
			j := i
			for j < len(s) && !strings.ContainsRune("=;, \t", rune(s[j])) {
				j++
			}
			name := strings.ToLower(s[i:j])
			i = skipSpace(s, j)
			var value string
			if i < len(s) && s[i] == '=' {
				i = skipSpace(s, i+1)
				value, i = paramValue(s, i)
			}
			if name == "" {
				continue
			}
			if _, seen := l.Params[name]; !seen {
				l.Params[name] = value
			}
		}
		if rel, ok := l.Params["rel"]; ok {
			l.Rel = strings.Fields(strings.ToLower(rel))
			delete(l.Params, "rel")
		}
		links = append(links, l)
		// Move past this link's separating comma.
		for i < len(s) && s[i] != ',' && s[i] != '<' {
			i++
		}
	}
}

// paramValue reads a token or a quoted string at s[i:], returning it and the
// index after it.
func paramValue(s string, i int) (string, int) {
	if i < len(s) && s[i] == '"' {
		var b strings.Builder
		i++
		for i < len(s) {
			switch c := s[i]; c {
			case '\\':
				if i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
			case '"':
				return b.String(), i + 1
			default:
				b.WriteByte(c)
				i++
			}
		}
		return b.String(), i
	}
	j := i
	for j < len(s) && s[j] != ';' && s[j] != ',' {
		j++
	}
	return strings.TrimSpace(s[i:j]), j
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}
