package jira

import (
	"errors"
	"strconv"
	"strings"
)

// parseADF reads an ADF document into an adfNode, as json.Unmarshal would,
// without reflection: descriptions and comment bodies are most of the
// bytes of an issue page, and this reads them in less time than
// encoding/json takes to decode them (BENCHMARKS.md). Its JSON syntax is
// as strict as encoding/json's; it keeps only the keys adfNode has, skips
// the others, and reads an attribute of an unexpected type as empty rather
// than refusing the document.
func parseADF(b []byte) (*adfNode, error) {
	p := adfParser{b: b}
	p.ws()
	var n adfNode
	if err := p.node(&n); err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, p.fail("data after the document")
	}
	return &n, nil
}

type adfParser struct {
	b     []byte
	i     int
	depth int
}

// maxADFDepth bounds nesting, as a guard against hostile documents.
const maxADFDepth = 500

var errADFSyntax = errors.New("invalid JSON")

func (p *adfParser) fail(what string) error {
	return errors.New("jira: ADF document: " + errADFSyntax.Error() + " at byte " + strconv.Itoa(p.i) + ": " + what)
}

func (p *adfParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// expect consumes c after optional white space.
func (p *adfParser) expect(c byte) error {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != c {
		return p.fail("expected " + strconv.QuoteRune(rune(c)))
	}
	p.i++
	return nil
}

// foldKey lowers the ASCII letters of key, as encoding/json matches keys
// to fields regardless of case. Keys Jira writes are lowercase already and
// are returned as they are.
func foldKey(key []byte) string {
	for _, c := range key {
		if c >= 'A' && c <= 'Z' {
			return strings.ToLower(string(key))
		}
	}
	return string(key)
}

// enter consumes open ('{' or '[') after optional white space, and reports
// whether the object or array is empty (its close consumed too).
func (p *adfParser) enter(open, close byte) (empty bool, err error) {
	if err := p.expect(open); err != nil {
		return false, err
	}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == close {
		p.i++
		return true, nil
	}
	p.depth++
	if p.depth > maxADFDepth {
		return false, p.fail("nested too deep")
	}
	return false, nil
}

// key reads an object key and its colon, folded as foldKey does, leaving
// the parser at the value.
func (p *adfParser) key() (string, error) {
	p.ws()
	key, err := p.rawString()
	if err != nil {
		return "", err
	}
	if err := p.expect(':'); err != nil {
		return "", err
	}
	p.ws()
	return foldKey(key), nil
}

// more consumes the ',' after a member (true) or the close of the object
// or array (false).
func (p *adfParser) more(close byte) (bool, error) {
	p.ws()
	if p.i >= len(p.b) {
		return false, p.fail("unterminated object or array")
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		p.ws()
		return true, nil
	case close:
		p.i++
		p.depth--
		return false, nil
	}
	return false, p.fail("expected ',' or " + strconv.QuoteRune(rune(close)))
}

func (p *adfParser) node(n *adfNode) error {
	p.ws()
	if p.null() {
		return nil
	}
	empty, err := p.enter('{', '}')
	if err != nil || empty {
		return err
	}
	for {
		key, err := p.key()
		if err != nil {
			return err
		}
		switch key {
		case "type":
			n.Type, err = p.name()
		case "text":
			n.Text, err = p.stringOrNull()
		case "attrs":
			err = p.attrs(&n.Attrs)
		case "marks":
			err = p.marks(n)
		case "content":
			err = p.content(n)
		default:
			err = p.skip()
		}
		if err != nil {
			return err
		}
		if more, err := p.more('}'); err != nil || !more {
			return err
		}
	}
}

func (p *adfParser) content(n *adfNode) error {
	if p.null() {
		n.Content = nil
		return nil
	}
	n.Content = n.Content[:0]
	if n.Content == nil {
		n.Content = []adfNode{}
	}
	empty, err := p.enter('[', ']')
	if err != nil || empty {
		return err
	}
	for {
		n.Content = append(n.Content, adfNode{})
		if err := p.node(&n.Content[len(n.Content)-1]); err != nil {
			return err
		}
		if more, err := p.more(']'); err != nil || !more {
			return err
		}
	}
}

func (p *adfParser) marks(n *adfNode) error {
	if p.null() {
		n.Marks = nil
		return nil
	}
	n.Marks = n.Marks[:0]
	if n.Marks == nil {
		n.Marks = []adfMark{}
	}
	empty, err := p.enter('[', ']')
	if err != nil || empty {
		return err
	}
	for {
		n.Marks = append(n.Marks, adfMark{})
		if err := p.mark(&n.Marks[len(n.Marks)-1]); err != nil {
			return err
		}
		if more, err := p.more(']'); err != nil || !more {
			return err
		}
	}
}

func (p *adfParser) mark(m *adfMark) error {
	p.ws()
	if p.null() {
		return nil
	}
	empty, err := p.enter('{', '}')
	if err != nil || empty {
		return err
	}
	for {
		key, err := p.key()
		if err != nil {
			return err
		}
		switch key {
		case "type":
			m.Type, err = p.name()
		case "attrs":
			err = p.markAttrs(m)
		default:
			err = p.skip()
		}
		if err != nil {
			return err
		}
		if more, err := p.more('}'); err != nil || !more {
			return err
		}
	}
}

func (p *adfParser) markAttrs(m *adfMark) error {
	if p.null() {
		return nil
	}
	empty, err := p.enter('{', '}')
	if err != nil || empty {
		return err
	}
	for {
		key, err := p.key()
		if err != nil {
			return err
		}
		if key == "href" {
			m.Attrs.Href, err = p.stringOrNull()
		} else {
			err = p.skip()
		}
		if err != nil {
			return err
		}
		if more, err := p.more('}'); err != nil || !more {
			return err
		}
	}
}

func (p *adfParser) attrs(a *adfAttrs) error {
	if p.null() {
		return nil
	}
	empty, err := p.enter('{', '}')
	if err != nil || empty {
		return err
	}
	for {
		key, err := p.key()
		if err != nil {
			return err
		}
		switch key {
		case "text":
			a.Text, err = p.stringOrNull()
		case "shortname":
			a.ShortName, err = p.stringOrNull()
		case "url":
			a.URL, err = p.stringOrNull()
		case "alt":
			a.Alt, err = p.stringOrNull()
		case "title":
			a.Title, err = p.stringOrNull()
		case "state":
			a.State, err = p.stringOrNull()
		case "order":
			start := p.i
			if err = p.skip(); err == nil {
				if n, e := strconv.Atoi(string(p.b[start:p.i])); e == nil {
					a.Order = &n
				}
			}
		case "timestamp":
			switch {
			case p.null():
			case p.i < len(p.b) && p.b[p.i] == '"':
				var s string
				s, err = p.str()
				a.Timestamp = adfFlexStr(s)
			default:
				start := p.i
				err = p.skip()
				a.Timestamp = adfFlexStr(p.b[start:p.i])
			}
		default:
			err = p.skip()
		}
		if err != nil {
			return err
		}
		if more, err := p.more('}'); err != nil || !more {
			return err
		}
	}
}

// adfNames are the node and mark types of ADF, so that reading one costs
// no allocation.
var adfNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"doc", "paragraph", "text", "hardBreak", "heading", "bulletList", "orderedList",
		"listItem", "codeBlock", "blockquote", "rule", "mention", "emoji", "inlineCard", "blockCard", "embedCard",
		"date", "status", "media", "mediaSingle", "mediaGroup", "mediaInline", "table", "tableRow", "tableHeader",
		"tableCell", "panel", "expand", "nestedExpand", "taskList", "taskItem", "decisionList", "decisionItem",
		"placeholder", "extension", "bodiedExtension", "inlineExtension", "layoutSection", "layoutColumn",
		"link", "strong", "em", "code", "strike", "underline", "subsup", "textColor", "backgroundColor"} {
		m[n] = n
	}
	return m
}()

// name reads a type name, without allocating for a known one.
func (p *adfParser) name() (string, error) {
	if p.i < len(p.b) && p.b[p.i] == '"' {
		start := p.i + 1
		if end := indexQuoteOrEscape(p.b[start:]); end >= 0 && p.b[start+end] == '"' {
			if v, ok := adfNames[string(p.b[start:start+end])]; ok {
				p.i = start + end + 1
				return v, nil
			}
		}
	}
	return p.stringOrNull()
}

// indexQuoteOrEscape returns the index of the first '"' or '\\' in b, or -1.
func indexQuoteOrEscape(b []byte) int {
	for i, c := range b {
		if c == '"' || c == '\\' {
			return i
		}
	}
	return -1
}

// stringOrNull reads a string; null, or a value of another type, is ""
// (an odd attribute does not cost the whole document).
func (p *adfParser) stringOrNull() (string, error) {
	if p.i < len(p.b) && p.b[p.i] == '"' {
		return p.str()
	}
	return "", p.skip()
}
