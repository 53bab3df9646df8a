package jira

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// parseADF reads an ADF document into an adfNode, as json.Unmarshal would,
// without reflection: descriptions and comment bodies are most of the
// bytes of an issue page, and this reads them several times faster. It is
// a strict JSON parser (what encoding/json refuses, it refuses) that keeps
// only the keys adfNode has and skips the others.
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

// null consumes a null literal.
func (p *adfParser) null() bool {
	if len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
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

// rawString reads a string without escapes as its bytes (object keys), and
// a string with escapes decoded.
func (p *adfParser) rawString() ([]byte, error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, p.fail("expected a string")
	}
	for j := p.i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			s := p.b[p.i+1 : j]
			p.i = j + 1
			return s, nil
		case c == '\\':
			s, err := p.str()
			return []byte(s), err
		case c < 0x20:
			return nil, p.fail("control character in a string")
		}
	}
	return nil, p.fail("unterminated string")
}

// str reads a JSON string; invalid UTF-8 becomes U+FFFD, as encoding/json
// does.
func (p *adfParser) str() (string, error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", p.fail("expected a string")
	}
	start := p.i + 1
	j := start
	for ; j < len(p.b); j++ {
		c := p.b[j]
		if c == '"' {
			p.i = j + 1
			return validUTF8(p.b[start:j]), nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.fail("control character in a string")
		}
	}
	var sb strings.Builder
	sb.Write(p.b[start:j])
	for j < len(p.b) {
		c := p.b[j]
		switch {
		case c == '"':
			p.i = j + 1
			return validUTF8([]byte(sb.String())), nil
		case c < 0x20:
			return "", p.fail("control character in a string")
		case c != '\\':
			sb.WriteByte(c)
			j++
			continue
		}
		if j+1 >= len(p.b) {
			break
		}
		switch e := p.b[j+1]; e {
		case '"', '\\', '/':
			sb.WriteByte(e)
			j += 2
		case 'b':
			sb.WriteByte('\b')
			j += 2
		case 'f':
			sb.WriteByte('\f')
			j += 2
		case 'n':
			sb.WriteByte('\n')
			j += 2
		case 'r':
			sb.WriteByte('\r')
			j += 2
		case 't':
			sb.WriteByte('\t')
			j += 2
		case 'u':
			r, ok := hex4(p.b, j+2)
			if !ok {
				p.i = j
				return "", p.fail("bad \\u escape")
			}
			j += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(p.b, j+2); ok && j+1 < len(p.b) && p.b[j] == '\\' && p.b[j+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						j += 6
						sb.WriteRune(dec)
						continue
					}
				}
				r = utf8.RuneError
			}
			sb.WriteRune(r)
		default:
			p.i = j
			return "", p.fail("bad escape")
		}
	}
	p.i = j
	return "", p.fail("unterminated string")
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	return rune(n), err == nil
}

// validUTF8 returns b as a string with each byte that is not valid UTF-8
// replaced by U+FFFD, as encoding/json does.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			sb.WriteString("\uFFFD")
		} else {
			sb.Write(b[:size])
		}
		b = b[size:]
	}
	return sb.String()
}

// number reads a JSON number.
func (p *adfParser) number() error {
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		p.i = start
		return p.fail("expected a value")
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return p.fail("bad number")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return p.fail("bad number")
		}
	}
	return nil
}

// skip reads and drops any JSON value.
func (p *adfParser) skip() error {
	p.ws()
	if p.i >= len(p.b) {
		return p.fail("expected a value")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		empty, err := p.enter('{', '}')
		if err != nil || empty {
			return err
		}
		for {
			if _, err := p.key(); err != nil {
				return err
			}
			if err := p.skip(); err != nil {
				return err
			}
			if more, err := p.more('}'); err != nil || !more {
				return err
			}
		}
	case c == '[':
		empty, err := p.enter('[', ']')
		if err != nil || empty {
			return err
		}
		for {
			if err := p.skip(); err != nil {
				return err
			}
			if more, err := p.more(']'); err != nil || !more {
				return err
			}
		}
	case c == '"':
		_, err := p.rawString()
		return err
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	default:
		return p.number()
	}
}

func (p *adfParser) literal(word string) error {
	if len(p.b)-p.i >= len(word) && string(p.b[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return nil
	}
	return p.fail("expected a value")
}
