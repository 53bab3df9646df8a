// Package htmltext turns the HTML of a ticket body, a note or an email into
// plain text for Ticket.Description and Comment.Body.
//
// # How a platform package uses it
//
// Freshdesk ("description"), Intercom (conversation parts' "body"), HubSpot
// (notes and emails) and Jira (rendered fields) send HTML. The mapping code
// calls Text on it:
//
//	t.Description = htmltext.Text(w.Description)
//
// or, to keep links' targets, Options{Links: true}.Text(s). Text that holds no
// tag is only unescaped and has its white space collapsed, so a platform
// that sends either plain text or HTML can call Text on both.
//
// What the text keeps: paragraphs, headings, block quotes, lists and tables
// are separated by a blank line; <br>, <div>, rows and list items start a new
// line; list items start with "- " (or "1. " in an ordered list), indented
// two spaces per nested list; table cells are separated by " | "; <pre> keeps its white space; a link keeps its text. What it drops:
// tags, comments, <script>, <style>, <head>, <template>, <noscript>, and the
// white space HTML would not show. Entities are decoded and a non-breaking
// space becomes a space. There is never more than one blank line in a row,
// and no line starts or ends with a space outside <pre>.
//
// It is built on the tokenizer of golang.org/x/net/html, without building a
// tree, so malformed HTML gives text rather than an error.
package htmltext

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Options change what Text keeps. The zero value is what Text uses.
type Options struct {
	// Links, when true, writes an http, https or mailto link's target after
	// its text, in parentheses, unless the text already is the target:
	// "the guide (https://example.com/guide)".
	Links bool
}

// Text returns the plain text of the HTML s with the zero Options.
func Text(s string) string { return Options{}.Text(s) }

// Text returns the plain text of the HTML s.
func (o Options) Text(s string) string {
	if strings.IndexByte(s, '<') < 0 {
		if strings.IndexByte(s, '&') >= 0 {
			s = html.UnescapeString(s)
		}
		return collapse(s)
	}
	w := writer{opts: o}
	w.out.Grow(len(s))
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return w.finish()
		case html.TextToken:
			if w.skip == 0 {
				w.text(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if skipped(a) {
				if tt == html.StartTagToken {
					w.skip++
					w.skipTag = append(w.skipTag, a)
				}
				continue
			}
			if w.skip > 0 {
				continue
			}
			var href string
			if a == atom.A && hasAttr && o.Links {
				href = attr(z, "href")
			}
			w.start(a, href, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if w.skip > 0 {
				if n := len(w.skipTag); n > 0 && w.skipTag[n-1] == a {
					w.skipTag = w.skipTag[:n-1]
					w.skip--
				}
				continue
			}
			w.end(a)
		}
	}
}

// skipped are the elements whose content is not text a person reads.
func skipped(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Template, atom.Noscript, atom.Iframe, atom.Object, atom.Svg, atom.Math, atom.Textarea, atom.Select:
		return true
	}
	return false
}

func attr(z *html.Tokenizer, name string) string {
	for {
		k, v, more := z.TagAttr()
		if string(k) == name {
			return string(v)
		}
		if !more {
			return ""
		}
	}
}

// list is an open <ul> or <ol>.
type list struct {
	ordered bool
	n       int
}

// link is an open <a>.
type link struct {
	href  string
	start int // offset of the link's text in out
}

type writer struct {
	opts    Options
	out     bytes.Buffer
	breaks  int  // newlines owed before the next text: 0, 1 or 2
	space   bool // a space is owed before the next text on this line
	lineLen int  // bytes on the current line
	pre     int  // depth of <pre>
	skip    int  // depth of skipped elements
	skipTag []atom.Atom
	lists   []list
	prefix  string // list marker owed before the next text
	links   []link
	cells   int  // cells written on the current row
	sep     bool // a cell separator is owed before the next text on this line
}

// brk owes at least n newlines.
func (w *writer) brk(n int) {
	if n > w.breaks {
		w.breaks = n
	}
}

// flush writes what is owed before text.
func (w *writer) flush() {
	if w.out.Len() > 0 && w.breaks > 0 {
		for i := 0; i < w.breaks; i++ {
			w.out.WriteByte('\n')
		}
		w.lineLen = 0
		w.space = false
		w.sep = false
	}
	w.breaks = 0
	if w.sep {
		w.sep = false
		if w.lineLen > 0 {
			w.out.WriteString(" | ")
			w.lineLen += 3
			w.space = false
		}
	}
	if w.prefix != "" {
		if w.lineLen > 0 {
			w.out.WriteByte('\n')
			w.lineLen = 0
		}
		w.out.WriteString(w.prefix)
		w.lineLen += len(w.prefix)
		w.prefix = ""
		w.space = false
		return
	}
	if w.space && w.lineLen > 0 {
		w.out.WriteByte(' ')
		w.lineLen++
	}
	w.space = false
}

func (w *writer) text(raw []byte) {
	if w.pre > 0 {
		if len(raw) == 0 {
			return
		}
		w.flush()
		s := strings.ReplaceAll(string(raw), "\u00a0", " ")
		w.out.WriteString(s)
		if i := strings.LastIndexByte(s, '\n'); i >= 0 {
			w.lineLen = len(s) - i - 1
		} else {
			w.lineLen += len(s)
		}
		return
	}
	s := string(raw)
	for len(s) > 0 {
		i := strings.IndexFunc(s, isSpace)
		if i == 0 {
			j := strings.IndexFunc(s, notSpace)
			if j < 0 {
				j = len(s)
			}
			w.space = true
			s = s[j:]
			continue
		}
		if i < 0 {
			i = len(s)
		}
		w.flush()
		w.out.WriteString(s[:i])
		w.lineLen += i
		s = s[i:]
	}
}

func isSpace(r rune) bool  { return unicode.IsSpace(r) }
func notSpace(r rune) bool { return !unicode.IsSpace(r) }

// indent is the list marker's indentation.
func (w *writer) indent() string {
	if len(w.lists) <= 1 {
		return ""
	}
	return strings.Repeat("  ", len(w.lists)-1)
}

func (w *writer) start(a atom.Atom, href string, selfClosing bool) {
	switch a {
	case atom.Br:
		if w.breaks < 2 && (w.out.Len() > 0 || w.breaks > 0) {
			if w.lineLen == 0 && w.breaks == 0 && w.out.Len() > 0 {
				// A <br> on an empty line makes a blank line.
				w.breaks = 1
			}
			w.breaks++
			if w.breaks > 2 {
				w.breaks = 2
			}
		}
		w.space = false
	case atom.Hr:
		w.brk(2)
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Blockquote, atom.Table, atom.Dl, atom.Figure, atom.Address:
		w.brk(2)
	case atom.Pre:
		w.brk(2)
		if !selfClosing {
			w.pre++
		}
	case atom.Ul, atom.Ol:
		if len(w.lists) == 0 {
			w.brk(2)
		} else {
			w.brk(1)
		}
		if !selfClosing {
			w.lists = append(w.lists, list{ordered: a == atom.Ol})
		}
	case atom.Li:
		w.brk(1)
		marker := "- "
		if n := len(w.lists); n > 0 && w.lists[n-1].ordered {
			w.lists[n-1].n++
			marker = strconv.Itoa(w.lists[n-1].n) + ". "
		}
		w.prefix = w.indent() + marker
	case atom.Tr:
		w.brk(1)
		w.cells = 0
	case atom.Td, atom.Th:
		if w.cells > 0 {
			w.sep = true
		}
		w.cells++
	case atom.Div, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Main, atom.Nav, atom.Aside, atom.Dt, atom.Dd, atom.Caption, atom.Figcaption, atom.Details, atom.Summary, atom.Form, atom.Fieldset, atom.Center:
		w.brk(1)
	case atom.A:
		if !selfClosing {
			w.links = append(w.links, link{href: href, start: w.out.Len()})
		}
	case atom.Img:
		// An image says nothing; its alt text is not read, as mail
		// clients' plain-text parts do not.
	}
}

func (w *writer) end(a atom.Atom) {
	switch a {
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Blockquote, atom.Table, atom.Dl, atom.Figure, atom.Address:
		w.brk(2)
	case atom.Pre:
		if w.pre > 0 {
			w.pre--
		}
		w.brk(2)
	case atom.Ul, atom.Ol:
		if n := len(w.lists); n > 0 {
			w.lists = w.lists[:n-1]
		}
		if len(w.lists) == 0 {
			w.brk(2)
		} else {
			w.brk(1)
		}
		w.prefix = ""
	case atom.Li, atom.Tr, atom.Div, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Main, atom.Nav, atom.Aside, atom.Dt, atom.Dd, atom.Caption, atom.Figcaption, atom.Details, atom.Summary, atom.Form, atom.Fieldset, atom.Center:
		w.brk(1)
		if a == atom.Li {
			w.prefix = ""
		}
	case atom.A:
		n := len(w.links)
		if n == 0 {
			return
		}
		l := w.links[n-1]
		w.links = w.links[:n-1]
		if !w.opts.Links || !shownLink(l.href) {
			return
		}
		text := strings.TrimSpace(string(w.out.Bytes()[min(l.start, w.out.Len()):]))
		if text == l.href || "mailto:"+text == l.href {
			return
		}
		if text == "" {
			w.text([]byte(l.href))
			return
		}
		w.space = true
		w.text([]byte("(" + l.href + ")"))
	}
}

func shownLink(href string) bool {
	h := strings.ToLower(href)
	return strings.HasPrefix(h, "http://") || strings.HasPrefix(h, "https://") || strings.HasPrefix(h, "mailto:")
}

// finish returns the text without trailing white space.
func (w *writer) finish() string {
	b := w.out.Bytes()
	// Trim spaces at ends of lines that <pre> did not write: only trailing
	// white space of the whole text is removed here, lines are written
	// without trailing spaces by construction.
	end := len(b)
	for end > 0 {
		r, size := utf8.DecodeLastRune(b[:end])
		if !unicode.IsSpace(r) {
			break
		}
		end -= size
	}
	start := 0
	for start < end {
		r, size := utf8.DecodeRune(b[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		start += size
	}
	return string(b[start:end])
}

// collapse replaces each run of white space in s with one space and trims
// both ends.
func collapse(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
