package webhookpush

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The scanner below reads values out of a body that json.Valid has already
// accepted, without building a tree: it finds the members of the objects on
// the mapped paths and skips everything else. It stays bounds-checked all the
// same, so that a mistake here is an error, never a panic.

// member is one member of a JSON object: its key as raw bytes between the
// quotes (escapes not decoded) and its raw value.
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
}

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
func (d *doc) members(obj []byte) []member {
	off := cap(d.body) - cap(obj) // obj is a subslice of d.body
	for _, c := range d.cache {
		if c.off == off {
			return c.members
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
		key := obj[i+1 : end-1]
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
	d.cache = append(d.cache, indexed{off: off, members: ms})
	return ms
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

// keyIs reports whether the raw key equals name; fold compares ASCII letters
// without regard to case.
func keyIs(key []byte, name string, fold bool) bool {
	if bytes.IndexByte(key, '\\') >= 0 {
		var s string
		if json.Unmarshal(quoted(key), &s) != nil {
			return false
		}
		key = []byte(s)
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

// quoted returns key between quotes again, for json.Unmarshal.
func quoted(key []byte) []byte {
	q := make([]byte, 0, len(key)+2)
	q = append(q, '"')
	q = append(q, key...)
	return append(q, '"')
}

// lookup returns the value of the member name of obj; the last one, as
// encoding/json does, when a name is repeated. With fold, a member whose
// name differs only in ASCII case is taken when none matches exactly.
func (d *doc) lookup(obj []byte, name string, fold bool) ([]byte, bool) {
	if len(obj) == 0 || obj[0] != '{' {
		return nil, false
	}
	var exact, folded []byte
	for _, m := range d.members(obj) {
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
