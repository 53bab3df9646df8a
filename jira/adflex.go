package jira

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The lexical part of parseADF: strings, numbers, literals and skipped
// values, as strict as encoding/json.

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

// null consumes a null literal.
func (p *adfParser) null() bool {
	if len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}
