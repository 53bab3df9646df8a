package hubspot

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
)

// seenSet maps ticket ids to the modification time (unix milliseconds) of
// the copy delivered. In a cursor it is written compactly, as base64 of
// varints: the smallest time, then for each id in ascending order its
// distance from the previous id and its time's distance from the
// smallest, so an hour of changes fits in a few bytes each. An older
// cursor's JSON object is read too.
type seenSet map[string]int64

// MarshalJSON writes the compact form.
func (s seenSet) MarshalJSON() ([]byte, error) {
	type entry struct{ id, at int64 }
	entries := make([]entry, 0, len(s))
	base := int64(0)
	for id, at := range s {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n < 0 {
			continue // not a HubSpot id; nothing to remember
		}
		if len(entries) == 0 || at < base {
			base = at
		}
		entries = append(entries, entry{n, at})
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.id, b.id) })
	buf := binary.AppendVarint(nil, base)
	prev := int64(0)
	for _, e := range entries {
		buf = binary.AppendUvarint(buf, uint64(e.id-prev))
		buf = binary.AppendUvarint(buf, uint64(e.at-base))
		prev = e.id
	}
	return json.Marshal(base64.RawURLEncoding.EncodeToString(buf))
}

// UnmarshalJSON reads the compact form or a JSON object of id to time.
func (s *seenSet) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		var m map[string]int64
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		*s = m
		return nil
	}
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		return err
	}
	buf, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return err
	}
	errBad := errors.New("damaged id list")
	base, n := binary.Varint(buf)
	if n <= 0 {
		return errBad
	}
	buf = buf[n:]
	out := seenSet{}
	prev := int64(0)
	for len(buf) > 0 {
		d, n := binary.Uvarint(buf)
		if n <= 0 {
			return errBad
		}
		buf = buf[n:]
		at, n := binary.Uvarint(buf)
		if n <= 0 {
			return errBad
		}
		buf = buf[n:]
		prev += int64(d)
		out[strconv.FormatInt(prev, 10)] = base + int64(at)
	}
	*s = out
	return nil
}
