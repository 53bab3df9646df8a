package webhookpush

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The scanner below reads values out of a body that json.Valid has already
// accepted, without building a tree: it finds the members of the objects on
// the mapped paths and skips everything else. It stays bounds-checked all the
// same, so that a mistake here is an error, never a panic.

// member is one member of a JSON object: its key, escapes decoded, and its
// raw value.
type member struct {
	key []byte
	val []byte
}

// doc is one delivery's body with a small cache of the objects indexed so far.
type doc struct {
	body  []byte
	cache []indexed
}

type indexed struct {
	off     int // offset of the object in body
	members []member
	// For objects of more than mapMembers members: the value of each
	// name (the last, when repeated) and of each name folded to lower case
	// (the first), so that a lookup costs the same whatever the size.
	exact, folded map[string][]byte
}

// mapMembers is the size above which an object's members are indexed by
// name; below it, a scan is cheaper.
const mapMembers = 16

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index after the string whose opening quote is at
// b[i], or -1.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index after the value that starts at b[i], or -1.
// It does not recurse, so nesting depth costs nothing here.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			i = skipString(b, i)
			if i < 0 {
				return -1
			}
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
			if depth < 0 {
				return -1
			}
		default:
			if depth == 0 {
				j := i
				for j < len(b) && !isSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
					j++
				}
				return j
			}
		}
		i++
	}
	return -1
}

// trimValue returns b without surrounding white space.
func trimValue(b []byte) []byte {
	i := skipSpace(b, 0)
	j := len(b)
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// tooDeep reports whether body nests objects and arrays deeper than limit.
func tooDeep(body []byte, limit int) bool {
	depth := 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			j := skipString(body, i)
			if j < 0 {
				return false
			}
			i = j - 1
		case '{', '[':
			depth++
			if depth > limit {
				return true
			}
		case '}', ']':
			depth--
		}
	}
	return false
}

// members returns the members of the object obj (which starts with '{'),
// indexing it once per delivery.
func (d *doc) members(obj []byte) []member { return d.index(obj).members }

// index returns the index of the object obj, building it on first use: the
// members, their keys decoded once (a key with escapes costs the same
// however often it is looked up), and for large objects maps by name.
func (d *doc) index(obj []byte) *indexed {
	off := cap(d.body) - cap(obj) // obj is a subslice of d.body
	for i := range d.cache {
		if d.cache[i].off == off {
			return &d.cache[i]
		}
	}
	var ms []member
	i := 1
	for {
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] != '"' {
			break
		}
		end := skipString(obj, i)
		if end < 0 {
			break
		}
		key, ok := decodeKey(obj[i+1 : end-1])
		if !ok {
			key = nil // matches no name
		}
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ':' {
			break
		}
		i = skipSpace(obj, i+1)
		vend := skipValue(obj, i)
		if vend < 0 {
			break
		}
		if ms == nil {
			ms = make([]member, 0, 16)
		}
		ms = append(ms, member{key: key, val: obj[i:vend]})
		i = skipSpace(obj, vend)
		if i >= len(obj) || obj[i] != ',' {
			break
		}
		i++
	}
	x := indexed{off: off, members: ms}
	if len(ms) > mapMembers {
		x.exact = make(map[string][]byte, len(ms))
		x.folded = make(map[string][]byte, len(ms))
		for _, m := range ms {
			if m.key == nil {
				continue
			}
			x.exact[string(m.key)] = m.val
			k := string(bytes.ToLower(m.key))
			if _, ok := x.folded[k]; !ok {
				x.folded[k] = m.val
			}
		}
	}
	d.cache = append(d.cache, x)
	return &d.cache[len(d.cache)-1]
}

// decodeKey returns the text of a key's raw bytes between the quotes,
// escapes decoded as encoding/json decodes them (a lone surrogate and an
// invalid UTF-8 byte become U+FFFD); ok is false for a key that does not
// decode.
func decodeKey(raw []byte) ([]byte, bool) {
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return raw, true
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			if i+1 >= len(raw) {
				return nil, false
			}
			switch e := raw[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(raw, i+2)
				if !ok {
					return nil, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2, ok := rune(0), false
					if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						r2, ok = hex4(raw, i+2)
					}
					if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, r)
				continue
			default:
				return nil, false
			}
			i += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, raw[i:i+size]...)
			}
			i += size
		}
	}
	return out, true
}

// hex4 reads the four hex digits at raw[i:].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// elements returns the raw elements of the array arr (which starts with
// '['), at most limit+1 of them so that the caller can tell "too many".
func elements(arr []byte, limit int) [][]byte {
	var es [][]byte
	i := 1
	for len(es) <= limit {
		i = skipSpace(arr, i)
		if i >= len(arr) || arr[i] == ']' {
			break
		}
		end := skipValue(arr, i)
		if end < 0 {
			break
		}
		es = append(es, arr[i:end])
		i = skipSpace(arr, end)
		if i >= len(arr) || arr[i] != ',' {
			break
		}
		i++
	}
	return es
}

// element returns the n-th element of the array arr.
func element(arr []byte, n int) ([]byte, bool) {
	i := 1
	for k := 0; ; k++ {
		i = skipSpace(arr, i)
		if i >= len(arr) || arr[i] == ']' {
			return nil, false
		}
		end := skipValue(arr, i)
		if end < 0 {
			return nil, false
		}
		if k == n {
			return arr[i:end], true
		}
		i = skipSpace(arr, end)
		if i >= len(arr) || arr[i] != ',' {
			return nil, false
		}
		i++
	}
}

// keyIs reports whether the decoded key equals name; fold compares ASCII
// letters without regard to case.
func keyIs(key []byte, name string, fold bool) bool {
	if key == nil {
		return false
	}
	if !fold {
		return string(key) == name
	}
	if len(key) != len(name) {
		return false
	}
	for i := 0; i < len(key); i++ {
		a, b := key[i], name[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// lookup returns the value of the member name of obj; the last one, as
// encoding/json does, when a name is repeated. With fold, a member whose
// name differs only in ASCII case is taken when none matches exactly.
func (d *doc) lookup(obj []byte, name string, fold bool) ([]byte, bool) {
	if len(obj) == 0 || obj[0] != '{' {
		return nil, false
	}
	x := d.index(obj)
	if x.exact != nil {
		if v, ok := x.exact[name]; ok {
			return v, true
		}
		if !fold {
			return nil, false
		}
		v, ok := x.folded[strings.ToLower(name)]
		return v, ok
	}
	var exact, folded []byte
	for _, m := range x.members {
		if keyIs(m.key, name, false) {
			exact = m.val
		} else if fold && folded == nil && keyIs(m.key, name, true) {
			folded = m.val
		}
	}
	if exact != nil {
		return exact, true
	}
	return folded, folded != nil
}

// decodeString returns the text of the JSON string raw (with its quotes),
// decoding escapes and replacing invalid UTF-8 as encoding/json does.
func decodeString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	in := raw[1 : len(raw)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// typeName names the JSON type of raw for error messages.
func typeName(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
