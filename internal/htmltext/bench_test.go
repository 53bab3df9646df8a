package htmltext_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ticketsync/ticketsync/internal/htmltext"
)

// benchBody is an HTML email reply of about 6 KB, as help desks store
// them: nested divs, a quoted thread, a list, a table, a style block.
var benchBody = func() string {
	var b strings.Builder
	b.WriteString(`<html><head><style>p{margin:0} .x{color:red}</style></head><body><div dir="ltr">`)
	b.WriteString(`<p>Hi team,</p><p>The printer on the <b>third floor</b> is down again &mdash; see <a href="https://example.com/kb/42">the article</a>.</p>`)
	b.WriteString(`<ul><li>Tried a restart</li><li>Replaced the toner<ul><li>twice</li></ul></li><li>Called &quot;facilities&quot;</li></ul>`)
	b.WriteString(`<table><tr><th>Floor</th><th>Model</th></tr><tr><td>3</td><td>LaserJet&nbsp;4000</td></tr></table>`)
	for i := 0; i < 12; i++ {
		b.WriteString(`<blockquote><div>On Mon, Ana &lt;ana@example.com&gt; wrote:<br>Any news on this one?<br><br>Thanks,<br>Ana</div></blockquote>`)
		b.WriteString(`<div><span style="font-family:Arial">Regards,</span><br><span>Support</span></div>`)
	}
	b.WriteString(`<script>track()</script></div></body></html>`)
	return b.String()
}()

// BenchmarkText converts benchBody to text.
func BenchmarkText(b *testing.B) {
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		if htmltext.Text(benchBody) == "" {
			b.Fatal("no text")
		}
	}
}

// BenchmarkParseBaseline is the baseline: html.Parse alone builds the tree
// of benchBody and produces no text.
func BenchmarkParseBaseline(b *testing.B) {
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := html.Parse(strings.NewReader(benchBody)); err != nil {
			b.Fatal(err)
		}
	}
}
