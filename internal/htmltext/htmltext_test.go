package htmltext_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ticketsync/ticketsync/internal/htmltext"
)

func TestText(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "  Hello,\n\t world  ", "Hello, world"},
		{"plain entities", "Fish &amp; chips &lt;3", "Fish & chips <3"},
		{"paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"line breaks", "a<br>b<br/>c", "a\nb\nc"},
		{"double br is a blank line", "a<br><br>b", "a\n\nb"},
		{"many br collapse", "a<br><br><br><br>b", "a\n\nb"},
		{"leading br dropped", "<br><br>a", "a"},
		{"divs", "<div>a</div><div>b</div>", "a\nb"},
		{"script and style dropped", "<style>p{color:red}</style><p>Hi<script>alert('x')</script> there</p>", "Hi there"},
		{"head dropped", "<html><head><title>T</title></head><body>Body</body></html>", "Body"},
		{"entities", "<p>&lt;b&gt; &amp; &quot;q&quot; &#39;s&#39; &eacute;&nbsp;x</p>", "<b> & \"q\" 's' é x"},
		{"whitespace", "<p>  a \n\n  b\t c  </p>", "a b c"},
		{"inline tags join words", "<p>Hel<b>lo</b> <i>wor</i>ld</p>", "Hello world"},
		{"space between inline", "<span>a</span> <span>b</span>", "a b"},
		{"unordered list", "<p>Steps:</p><ul><li>one</li><li>two</li></ul><p>Done</p>", "Steps:\n\n- one\n- two\n\nDone"},
		{"ordered list", "<ol><li>first</li><li>second</li></ol>", "1. first\n2. second"},
		{"nested list", "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>", "- a\n  - b\n- c"},
		{"list items without closing tags", "<ul><li>a<li>b</ul>", "- a\n- b"},
		{"link text kept", `See <a href="https://example.com/x">the guide</a>.`, "See the guide."},
		{"table", "<table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>", "k | v\na | 1"},
		{"pre keeps spaces", "<p>x</p><pre>  a\n    b</pre><p>y</p>", "x\n\n  a\n    b\n\ny"},
		{"comment dropped", "a<!-- secret -->b", "ab"},
		{"unclosed tags", "<p>a<p>b<div>c", "a\n\nb\nc"},
		{"stray lt", "a < b and <p>c", "a < b and\n\nc"},
		{"blockquote", "<p>Reply</p><blockquote>quoted</blockquote>", "Reply\n\nquoted"},
		{"email body", `<div dir="ltr">Hi team,<div><br></div><div>The printer is down.</div><div><br></div><div>Thanks,<br>Ana</div></div>`,
			"Hi team,\n\nThe printer is down.\n\nThanks,\nAna"},
		{"empty", "", ""},
		{"only tags", "<p></p><div><br></div>", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := htmltext.Text(c.in); got != c.want {
				t.Errorf("Text(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
}

func TestLinks(t *testing.T) {
	o := htmltext.Options{Links: true}
	cases := []struct{ in, want string }{
		{`See <a href="https://example.com/x">the guide</a>.`, "See the guide (https://example.com/x)."},
		{`<a href="https://example.com/x">https://example.com/x</a>`, "https://example.com/x"},
		{`<a href="mailto:a@example.com">a@example.com</a>`, "a@example.com"},
		{`<a href="javascript:alert(1)">click</a>`, "click"},
		{`<a href="/relative">here</a>`, "here"},
		{`<a href="https://example.com/i"><img src="x.png"></a>`, "https://example.com/i"},
	}
	for _, c := range cases {
		if got := o.Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"<p>a</p>", "a<br>b", "<ul><li>x<ol><li>y", "<pre>  z\n</pre>", "&amp;&nbsp;", "<a href='https://x'>y</a>", "<script>", "<table><td>a<td>b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		// A script's content never shows, whatever follows it.
		out := htmltext.Options{Links: true}.Text("<script>zq9mark</script>" + in)
		if !strings.Contains(in, "zq9mark") && strings.Contains(out, "zq9mark") {
			t.Fatalf("script content in %q", out)
		}
		if strings.Contains(in, "<pre") || strings.Contains(in, "<PRE") || strings.Contains(strings.ToLower(in), "<pre") {
			return
		}
		if strings.Contains(out, "\n\n\n") {
			t.Errorf("more than one blank line in %q", out)
		}
		if out != strings.TrimSpace(out) {
			t.Errorf("untrimmed %q", out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasSuffix(line, " ") || strings.Contains(line, "\t") {
				t.Errorf("line %q has a trailing space or a tab", line)
			}
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Errorf("invalid UTF-8 from valid input: %q", out)
		}
		if !strings.ContainsAny(in, "<&") && out != strings.Join(strings.Fields(in), " ") {
			t.Errorf("plain text %q gave %q", in, out)
		}
	})
}
