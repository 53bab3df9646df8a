package sqlstore

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ticketsync/ticketsync"
)

// A ticket's comments are stored in its row, in the column comments, in
// order of arrival, each comment key (id, content_key) once: on PostgreSQL
// an array of the composite type {p}comment, whose fields are commentRow's
// (read back as JSON with array_to_json), on SQLite a JSON array of
// objects with commentRow's keys. The Store reads them back oldest first
// (CreatedAt, then ID; the order of arrival among equals).

// appendComments appends cs to dst as a JSON array of commentRow objects.
// It writes what encoding/json would, without its reflection, and leaves
// <, > and & as they are.
func appendComments(dst []byte, cs []commentRow) []byte {
	dst = append(dst, '[')
	for i := range cs {
		c := &cs[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = appendJSONString(dst, c.I)
		dst = append(dst, `,"content_key":`...)
		dst = appendJSONString(dst, c.K)
		dst = append(dst, `,"author_id":`...)
		dst = appendJSONString(dst, c.Ai)
		dst = append(dst, `,"author_name":`...)
		dst = appendJSONString(dst, c.An)
		dst = append(dst, `,"author_email":`...)
		dst = appendJSONString(dst, c.Ae)
		dst = append(dst, `,"body":`...)
		dst = appendJSONString(dst, c.B)
		if c.P {
			dst = append(dst, `,"public":true,"created_at":`...)
		} else {
			dst = append(dst, `,"public":false,"created_at":`...)
		}
		dst = appendJSONString(dst, c.Ca)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// commentArray is a ticket's comments as COPY sends them on PostgreSQL:
// an array of the composite type {p}comment, in binary, through pgx's
// ArrayCodec and CompositeCodec (pgtype.ArrayGetter; its elements are
// pgtype.CompositeIndexGetter).
type commentArray []commentRow

// Dimensions returns one dimension, or none for no comments: an empty
// array, not NULL.
func (a commentArray) Dimensions() []pgtype.ArrayDimension {
	if len(a) == 0 {
		return []pgtype.ArrayDimension{}
	}
	return []pgtype.ArrayDimension{{Length: int32(len(a)), LowerBound: 1}}
}

func (a commentArray) Index(i int) any { return &a[i] }

func (a commentArray) IndexType() any { return &commentRow{} }

// IsNull and Index make a *commentRow a {p}comment: its fields in the
// type's order (commentCols).
func (c *commentRow) IsNull() bool { return false }

func (c *commentRow) Index(i int) any {
	switch i {
	case 0:
		return c.I
	case 1:
		return c.K
	case 2:
		return c.Ai
	case 3:
		return c.An
	case 4:
		return c.Ae
	case 5:
		return c.B
	case 6:
		return c.P
	}
	return c.Ca
}

const hexDigits = "0123456789abcdef"

// jsonPlain marks the bytes that stand for themselves in a JSON string:
// printable ASCII but for " and \. Bytes of multi-byte characters are
// looked at apart.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s, valid UTF-8, as a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonPlain[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			// U+2028 and U+2029 (E2 80 A8, E2 80 A9) are valid JSON, but
			// not valid JavaScript; escape them as encoding/json does.
			if c != 0xe2 {
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == '\u2028' || r == '\u2029' {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\u202`...)
				dst = append(dst, hexDigits[r&0xf])
				start = i + size
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// commentsSize is about how many bytes appendComments writes for cs, to
// size its buffer.
func commentsSize(cs []commentRow) int {
	n := 2
	for i := range cs {
		c := &cs[i]
		n += 128 + len(c.I) + len(c.K) + len(c.Ai) + len(c.An) + len(c.Ae) + len(c.B) + len(c.Ca)
	}
	return n
}

// decodeComments reads a comments column.
func decodeComments(src []byte) ([]commentRow, error) {
	var cs []commentRow
	if err := json.Unmarshal(src, &cs); err != nil {
		return nil, fmt.Errorf("bad stored comments: %w", err)
	}
	return cs, nil
}

// mergeComments unites the stored comments with those a copy of the ticket
// brings, as the statements on PostgreSQL do (commentUnion): a stored
// comment is never dropped; one the copy brings again replaces it (an
// edit) when replace (the copy is newer), and is left alone otherwise; the
// others are appended. It reports whether anything changed.
func mergeComments(stored, in []commentRow, replace bool) ([]commentRow, bool) {
	changed := false
	var at map[[2]string]int
	if len(stored) > 16 {
		at = make(map[[2]string]int, len(stored))
		for i := range stored {
			at[[2]string{stored[i].I, stored[i].K}] = i
		}
	}
	n := len(stored)
	for _, c := range in {
		i := -1
		if at != nil {
			if j, ok := at[[2]string{c.I, c.K}]; ok {
				i = j
			}
		} else {
			for j := range stored[:n] {
				if stored[j].I == c.I && stored[j].K == c.K {
					i = j
					break
				}
			}
		}
		switch {
		case i < 0:
			stored = append(stored, c)
			changed = true
		case replace && stored[i] != c:
			stored[i] = c
			changed = true
		}
	}
	return stored, changed
}

// readComments turns a comments column into the ticket's comments, oldest
// first, then by ID.
func readComments(src []byte) ([]ticketsync.Comment, error) {
	if len(src) == 0 {
		return nil, nil
	}
	rows, err := decodeComments(src)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]ticketsync.Comment, len(rows))
	for i := range rows {
		r := &rows[i]
		t, err := time.Parse(time.RFC3339Nano, r.Ca)
		if err != nil {
			return nil, fmt.Errorf("bad stored time %q: %w", r.Ca, err)
		}
		out[i] = ticketsync.Comment{ID: r.I, Author: ticketsync.Person{ID: r.Ai, Name: r.An, Email: r.Ae},
			Body: r.B, Public: r.P, CreatedAt: t.UTC()}
	}
	slices.SortStableFunc(out, func(a, b ticketsync.Comment) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// commentsValue scans a comments column into a ticket's comments.
type commentsValue struct{ dst *[]ticketsync.Comment }

func (v commentsValue) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("cannot scan %T as comments", src)
	}
	cs, err := readComments(b)
	if err != nil {
		return err
	}
	*v.dst = cs
	return nil
}
