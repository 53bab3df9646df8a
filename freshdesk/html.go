package freshdesk

import (
	"html"
	"regexp"
	"strings"
)

var tagRE = regexp.MustCompile(`<[^>]*>`)

// htmlToText renders HTML as plain text.
func htmlToText(h string) string {
	h = strings.NewReplacer("<br>", "\n", "<br/>", "\n", "<br />", "\n", "</p>", "\n", "</div>", "\n").Replace(h)
	var out []string
	for _, l := range strings.Split(html.UnescapeString(tagRE.ReplaceAllString(h, "")), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
