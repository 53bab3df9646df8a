package console_test

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/zendesk/zendesktest"
)

// TestPagesAreAccessible checks what a screen reader and a keyboard need
// on every page: a language, one h1 and a main landmark, headings that skip
// no level, a label for every control, text on every button and link, and
// no duplicate ids.
func TestPagesAreAccessible(t *testing.T) {
	e := newEnv(t, nil)
	f := e.connectForm("acme-zendesk", e.fake.Token)
	f.Del("f.WebhookSecret")
	done := e.post("/connect/zendesk", f)
	bad := e.post("/connect/zendesk", e.connectForm("other", "wrong-token"))
	e.addZendesk("paused", ticketsync.ModePoll)
	_ = e.syncer.Pause("paused")
	preview := e.follow(e.upload("acme-zendesk", "export.csv", zendeskExport))
	pages := map[string]string{
		"connectors":     e.get("/").body,
		"platforms":      e.get("/connect").body,
		"connect form":   e.get("/connect/zendesk").body,
		"failed connect": bad.body,
		"connected":      done.body,
		"history":        e.follow(e.post("/connectors/acme-zendesk/sync", nil)).body,
		"remove":         e.get("/connectors/acme-zendesk/remove").body,
		"import":         e.get("/import").body,
		"preview":        preview.body,
		"error":          e.get("/connectors/nobody").body,
	}
	// The explanation of a stale ticket, with every section filled in, and
	// the refusal of an empty id.
	id := e.fake.Tickets()[0].ID
	if _, err := e.fake.UpdateTicket(id, func(tk *zendesktest.Ticket) { tk.Subject = "Printer still on fire" }); err != nil {
		t.Fatal(err)
	}
	pages["explain"] = e.explain("acme-zendesk", strconv.FormatInt(id, 10)).body
	if !strings.Contains(pages["explain"], "Repair: store") || !strings.Contains(pages["explain"], "<h2>Differences</h2>") {
		t.Fatalf("the explanation lacks its repair form or differences, so this test proves little:\n%s", pages["explain"])
	}
	pages["explain refused"] = e.explain("acme-zendesk", "").body
	for name, body := range pages {
		doc, err := html.Parse(strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkPage(t, name, doc)
	}
}

func checkPage(t *testing.T, name string, doc *html.Node) {
	t.Helper()
	labels := map[string]bool{}
	ids := map[string]int{}
	var controls []*html.Node
	h1, mains := 0, 0
	level := 0 // of the last heading
	lang := ""
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if id := attr(n, "id"); id != "" {
				ids[id]++
			}
			switch n.Data {
			case "html":
				lang = attr(n, "lang")
			case "h1", "h2", "h3", "h4", "h5", "h6":
				l := int(n.Data[1] - '0')
				if l > level+1 {
					t.Errorf("%s: an %s (%q) after an h%d: a heading level is skipped", name, n.Data, strings.TrimSpace(textOf(n)), level)
				}
				level = l
				if l == 1 {
					h1++
				}
			case "main":
				mains++
			case "label":
				if f := attr(n, "for"); f != "" {
					labels[f] = true
				}
			case "input", "select", "textarea":
				if typ := attr(n, "type"); typ != "hidden" && typ != "submit" {
					controls = append(controls, n)
				}
			case "button", "a":
				if strings.TrimSpace(textOf(n)) == "" && attr(n, "aria-label") == "" {
					t.Errorf("%s: a %s without text", name, n.Data)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if lang == "" || h1 != 1 || mains != 1 {
		t.Errorf("%s: lang %q, %d h1, %d main", name, lang, h1, mains)
	}
	for _, c := range controls {
		id := attr(c, "id")
		if (id == "" || !labels[id]) && attr(c, "aria-label") == "" && !insideLabel(c) {
			t.Errorf("%s: a %s (name %q) without a label", name, c.Data, attr(c, "name"))
		}
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("%s: id %q used %d times", name, id, n)
		}
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

func insideLabel(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == "label" {
			return true
		}
	}
	return false
}
