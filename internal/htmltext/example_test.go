package htmltext_test

import (
	"fmt"

	"github.com/ticketsync/ticketsync/internal/htmltext"
)

func ExampleText() {
	fmt.Println(htmltext.Text(`<div>Hi team,<br><br>The printer is <b>down</b>:</div>` +
		`<ul><li>restarted</li><li>new toner</li></ul><p>Thanks &amp; regards,<br>Ana</p>` +
		`<script>track()</script>`))
	// Output:
	// Hi team,
	//
	// The printer is down:
	//
	// - restarted
	// - new toner
	//
	// Thanks & regards,
	// Ana
}

func ExampleOptions_Text() {
	o := htmltext.Options{Links: true}
	fmt.Println(o.Text(`See <a href="https://example.com/kb/42">the article</a>.`))
	// Output:
	// See the article (https://example.com/kb/42).
}
