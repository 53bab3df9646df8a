package jira

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// adfNode is one node of an Atlassian Document Format document: the body of
// descriptions and comments in the REST API v3. Only what text conversion
// needs is decoded; unknown attributes are skipped by encoding/json.
type adfNode struct {
	Type    string    `json:"type"`
	Text    string    `json:"text"`
	Attrs   adfAttrs  `json:"attrs"`
	Marks   []adfMark `json:"marks"`
	Content []adfNode `json:"content"`
}

// adfAttrs holds the attributes of every node type the conversion reads.
type adfAttrs struct {
	Text      string     `json:"text"`      // mention, emoji, status, placeholder
	ShortName string     `json:"shortName"` // emoji
	URL       string     `json:"url"`       // inlineCard, blockCard, embedCard
	Order     *int       `json:"order"`     // orderedList
	Timestamp adfFlexStr `json:"timestamp"` // date, in unix milliseconds
	Alt       string     `json:"alt"`       // media
	Title     string     `json:"title"`     // expand
	State     string     `json:"state"`     // taskItem: TODO or DONE
}

type adfMark struct {
	Type  string `json:"type"`
	Attrs struct {
		Href string `json:"href"`
	} `json:"attrs"`
}

// adfFlexStr is an attribute Jira writes as a string or a number.
type adfFlexStr string

func (f *adfFlexStr) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = adfFlexStr(s)
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	*f = adfFlexStr(b)
	return nil
}

// richText is a description or comment body as the API sends it: an ADF
// document (REST v3), a string of wiki markup (REST v2, webhooks), or null.
type richText struct {
	doc   *adfNode
	plain string
}

// UnmarshalJSON reads an ADF object, a string or null.
func (r *richText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*r = richText{}
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = richText{plain: s}
		return nil
	case b[0] == '{':
		n, err := parseADF(b)
		if err != nil {
			return err
		}
		*r = richText{doc: n}
		return nil
	}
	return errors.New("jira: a rich text field is neither an ADF document nor a string")
}

// String returns the body as plain text.
func (r richText) String() string {
	if r.doc != nil {
		return adfText(r.doc)
	}
	return strings.TrimSpace(r.plain)
}

// ADFText converts an Atlassian Document Format document, as the REST API v3
// returns it in descriptions and comment bodies, to plain text:
//
//   - paragraphs and headings become lines separated by a blank line;
//   - bullet lists become "- " items, ordered lists "1. " items (from the
//     list's start number), task lists "[ ] " and "[x] " items, nested
//     lists indented by two spaces;
//   - mentions become their display text ("@Mia Krystof"), emoji their
//     character or short name, dates YYYY-MM-DD, status lozenges their text;
//   - links keep their text, followed by the address in parentheses when the
//     two differ; link cards become their address;
//   - code blocks keep their lines as they are;
//   - block quotes are prefixed "> ", rules become "---";
//   - tables become one line per row, cells separated by " | ";
//   - attachments become their alternative text, else "[attachment]";
//   - nodes of other types keep the text of their content.
//
// A JSON string (a REST v2 body of wiki markup) is returned trimmed, as it
// is. It returns an error only when doc is not JSON.
func ADFText(doc []byte) (string, error) {
	if b := bytes.TrimSpace(doc); len(b) > 0 && b[0] == '{' {
		n, err := parseADF(b)
		if err != nil {
			return "", err
		}
		return adfText(n), nil
	}
	var r richText
	if err := json.Unmarshal(doc, &r); err != nil {
		return "", err
	}
	return r.String(), nil
}

// adfText renders a decoded document.
func adfText(doc *adfNode) string {
	w := textWriter{}
	w.blocks(doc.Content, false)
	if doc.Type != "doc" && len(doc.Content) == 0 {
		w.inline(doc)
	}
	return w.String()
}

// textWriter builds plain text line by line, with a stack of line prefixes
// for block quotes and list items.
type textWriter struct {
	b        []byte
	prefixes []string
	marker   string // replaces the innermost prefix on the next line
	midLine  bool   // text has been written on the current line
	owed     int    // newlines owed before the next text
}

func (w *textWriter) String() string {
	return strings.TrimRight(string(w.b), " \n")
}

// write adds inline text, starting a line first when needed.
func (w *textWriter) write(s string) {
	if s == "" {
		return
	}
	if !w.midLine {
		w.startLine()
	}
	w.b = append(w.b, s...)
}

// writeText adds text that may hold line breaks.
func (w *textWriter) writeText(s string) {
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			w.write(s)
			return
		}
		w.write(strings.TrimRight(s[:i], "\r"))
		w.lineBreak()
		s = s[i+1:]
	}
}

func (w *textWriter) startLine() {
	if len(w.b) > 0 && w.owed > 0 {
		w.b = bytes.TrimRight(w.b, " ")
		for ; w.owed > 0; w.owed-- {
			w.b = append(w.b, '\n')
		}
	}
	w.owed = 0
	n := len(w.prefixes)
	for i, p := range w.prefixes {
		if i == n-1 && w.marker != "" {
			p = w.marker
			w.marker = ""
		}
		w.b = append(w.b, p...)
	}
	w.midLine = true
}

// lineBreak ends the current line; an empty line still gets its prefixes.
func (w *textWriter) lineBreak() {
	if !w.midLine {
		w.startLine()
	}
	w.midLine = false
	w.owed = max(w.owed, 1)
}

// endBlock ends a block: the next block starts after a blank line, or on the
// next line when tight (inside lists and table cells).
func (w *textWriter) endBlock(tight bool) {
	w.midLine = false
	if len(w.b) == 0 {
		return
	}
	if tight {
		w.owed = max(w.owed, 1)
	} else {
		w.owed = max(w.owed, 2)
	}
}

func (w *textWriter) push(prefix, marker string) {
	w.prefixes = append(w.prefixes, prefix)
	w.marker = marker
}

func (w *textWriter) pop() {
	w.prefixes = w.prefixes[:len(w.prefixes)-1]
	w.marker = ""
}

// blocks renders a sequence of block nodes.
func (w *textWriter) blocks(nodes []adfNode, tight bool) {
	for i := range nodes {
		w.block(&nodes[i], tight)
	}
}

// isInline reports whether a node type is inline content.
func isInline(typ string) bool {
	switch typ {
	case "text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status", "placeholder", "inlineExtension", "mediaInline":
		return true
	}
	return false
}

func (w *textWriter) block(n *adfNode, tight bool) {
	switch n.Type {
	case "paragraph", "heading":
		w.inlines(n.Content)
		w.endBlock(tight)
	case "bulletList", "orderedList", "taskList", "decisionList":
		w.list(n)
		w.endBlock(tight)
	case "codeBlock":
		for i := range n.Content {
			w.writeText(n.Content[i].Text)
		}
		w.endBlock(tight)
	case "blockquote":
		w.push("> ", "")
		w.blocks(n.Content, tight)
		w.pop()
		w.endBlock(tight)
	case "rule":
		w.write("---")
		w.endBlock(tight)
	case "table":
		for i := range n.Content {
			w.tableRow(&n.Content[i])
			w.lineBreak()
		}
		w.endBlock(tight)
	case "mediaSingle", "mediaGroup", "media", "mediaInline":
		w.media(n)
		w.endBlock(tight)
	case "blockCard", "embedCard":
		w.write(n.Attrs.URL)
		w.endBlock(tight)
	case "expand", "nestedExpand":
		if n.Attrs.Title != "" {
			w.write(n.Attrs.Title)
			w.endBlock(tight)
		}
		w.blocks(n.Content, tight)
	default:
		if isInline(n.Type) {
			w.inline(n)
			w.endBlock(tight)
			return
		}
		// panel, layoutSection, layoutColumn, bodiedExtension and types
		// this package does not know: keep their content's text.
		if len(n.Content) > 0 && allInline(n.Content) {
			w.inlines(n.Content)
			w.endBlock(tight)
			return
		}
		w.blocks(n.Content, tight)
		if len(n.Content) == 0 && (n.Text != "" || n.Attrs.Text != "") {
			w.write(cmpOr(n.Text, n.Attrs.Text))
			w.endBlock(tight)
		}
	}
}

func allInline(nodes []adfNode) bool {
	for i := range nodes {
		if !isInline(nodes[i].Type) {
			return false
		}
	}
	return true
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (w *textWriter) list(n *adfNode) {
	num := 1
	if n.Attrs.Order != nil && *n.Attrs.Order >= 0 {
		num = *n.Attrs.Order
	}
	for i := range n.Content {
		item := &n.Content[i]
		var marker string
		switch {
		case n.Type == "orderedList":
			marker = strconv.Itoa(num) + ". "
			num++
		case item.Type == "taskItem":
			marker = "[ ] "
			if item.Attrs.State == "DONE" {
				marker = "[x] "
			}
		default:
			marker = "- "
		}
		w.push(strings.Repeat(" ", len(marker)), marker)
		if allInline(item.Content) {
			// taskItem and decisionItem hold inline content directly.
			w.inlines(item.Content)
			w.endBlock(true)
		} else {
			w.blocks(item.Content, true)
		}
		if w.marker != "" {
			// An empty item still shows its marker.
			w.startLine()
			w.endBlock(true)
		}
		w.pop()
	}
}

// tableRow writes a row's cells on one line.
func (w *textWriter) tableRow(row *adfNode) {
	for i := range row.Content {
		if i > 0 {
			w.write(" | ")
		}
		w.cell(row.Content[i].Content)
	}
	if !w.midLine {
		w.startLine()
	}
}

// cell writes a table cell's blocks on the current line, separated by
// spaces.
func (w *textWriter) cell(nodes []adfNode) {
	for i := range nodes {
		n := &nodes[i]
		if i > 0 {
			w.write(" ")
		}
		switch {
		case isInline(n.Type):
			w.inlineFlat(n)
		default:
			if n.Type == "codeBlock" || n.Type == "paragraph" || n.Type == "heading" {
				for j := range n.Content {
					w.inlineFlat(&n.Content[j])
				}
				continue
			}
			w.cell(n.Content)
		}
	}
}

// inlineFlat writes inline content on the current line: line breaks become
// spaces, as a table cell has one line.
func (w *textWriter) inlineFlat(n *adfNode) {
	switch n.Type {
	case "hardBreak":
		w.write(" ")
	case "text":
		w.write(strings.ReplaceAll(linkText(n), "\n", " "))
	default:
		w.inline(n)
	}
}

func (w *textWriter) inlines(nodes []adfNode) {
	for i := range nodes {
		w.inline(&nodes[i])
	}
}

func (w *textWriter) inline(n *adfNode) {
	switch n.Type {
	case "text":
		w.writeText(linkText(n))
	case "hardBreak":
		w.lineBreak()
	case "mention":
		t := n.Attrs.Text
		switch {
		case t == "":
			t = "@user"
		case !strings.HasPrefix(t, "@"):
			t = "@" + t
		}
		w.write(t)
	case "emoji":
		w.write(cmpOr(n.Attrs.Text, n.Attrs.ShortName))
	case "inlineCard":
		w.write(n.Attrs.URL)
	case "date":
		if ms, err := strconv.ParseInt(string(n.Attrs.Timestamp), 10, 64); err == nil {
			w.write(time.UnixMilli(ms).UTC().Format("2006-01-02"))
		} else {
			w.write(string(n.Attrs.Timestamp))
		}
	case "status":
		w.write(n.Attrs.Text)
	case "placeholder":
		// Placeholder text is a prompt in an empty template, not content.
	case "mediaInline":
		w.media(n)
	default:
		if n.Text != "" {
			w.writeText(n.Text)
		} else if len(n.Content) == 0 {
			w.write(n.Attrs.Text)
		}
		w.inlines(n.Content)
	}
}

func (w *textWriter) media(n *adfNode) {
	if n.Type == "media" || n.Type == "mediaInline" {
		w.write(cmpOr(n.Attrs.Alt, "[attachment]"))
		return
	}
	for i := range n.Content {
		if i > 0 {
			w.write(" ")
		}
		if c := &n.Content[i]; c.Type == "media" || c.Type == "mediaInline" {
			w.media(c)
		}
	}
}

// linkText is a text node's text, followed by its link's address when the
// two differ.
func linkText(n *adfNode) string {
	for _, m := range n.Marks {
		if m.Type == "link" && m.Attrs.Href != "" && m.Attrs.Href != n.Text &&
			strings.TrimPrefix(strings.TrimPrefix(m.Attrs.Href, "mailto:"), "https://") != n.Text {
			return n.Text + " (" + m.Attrs.Href + ")"
		}
	}
	return n.Text
}
