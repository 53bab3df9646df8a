package httpx

import (
	"net/http"
	"reflect"
	"testing"
)

func TestParseLinks(t *testing.T) {
	h := http.Header{}
	h.Add("Link", `<https://acme.freshdesk.com/api/v2/tickets?page=2&per_page=100>; rel="next"`)
	h.Add("Link", `<https://x.example.com/a>; rel="prev first"; title="a, b; c", </b?x=1>;rel=last;title*=UTF-8'de'n%c3%a4chstes ,<https://x.example.com/c>; rel="NEXT"; rel="ignored"`)
	got := ParseLinks(h)
	want := []Link{
		{URL: "https://acme.freshdesk.com/api/v2/tickets?page=2&per_page=100", Rel: []string{"next"}, Params: map[string]string{}},
		{URL: "https://x.example.com/a", Rel: []string{"prev", "first"}, Params: map[string]string{"title": "a, b; c"}},
		{URL: "/b?x=1", Rel: []string{"last"}, Params: map[string]string{"title*": "UTF-8'de'n%c3%a4chstes"}},
		{URL: "https://x.example.com/c", Rel: []string{"next"}, Params: map[string]string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseLinks:\n got %#v\nwant %#v", got, want)
	}
	if next := NextLink(h); next != "https://acme.freshdesk.com/api/v2/tickets?page=2&per_page=100" {
		t.Errorf("NextLink = %q", next)
	}
}

func TestNextLink(t *testing.T) {
	cases := map[string]string{
		``:                                      "",
		`<https://x.example.com/2>; rel="prev"`: "",
		`<https://x.example.com/1>; rel="prev", <https://x.example.com/3>; rel=next`: "https://x.example.com/3",
		`<https://x.example.com/q?a="b">; title="rel=next"; rel="last"`:              "",
		`<https://x.example.com/esc>; title="say \"hi\", <no>"; rel="next"`:          "https://x.example.com/esc",
		`garbage, <https://x.example.com/4>; rel="next"`:                             "https://x.example.com/4",
		`<https://x.example.com/unterminated; rel="next"`:                            "",
		`<https://x.example.com/5>; rel="next`:                                       "https://x.example.com/5",
	}
	for in, want := range cases {
		h := http.Header{}
		if in != "" {
			h.Set("Link", in)
		}
		if got := NextLink(h); got != want {
			t.Errorf("NextLink(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseLinkEscapedQuote(t *testing.T) {
	h := http.Header{"Link": {`<u>; title="say \"hi\", <no>"; rel="next"`}}
	got := ParseLinks(h)
	if len(got) != 1 || got[0].Params["title"] != `say "hi", <no>` || !got[0].HasRel("next") {
		t.Errorf("ParseLinks = %#v", got)
	}
}
