package sqlstore

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestAppendComments: what appendComments writes is valid JSON that
// encoding/json reads back as the comments it was given, whatever their
// text holds.
func TestAppendComments(t *testing.T) {
	tricky := []string{"", "plain", `quo"te`, `back\slash`, "new\nline\r\ttab", "nul\x00 and \x01\x1f\x7f",
		"ünïcode 🔥", "line\u2028sep\u2029para", "<b>&amp;</b>", "\xe2\x80\xa8", "€\u2027\u202a"}
	var cs []commentRow
	for i, s := range tricky {
		cs = append(cs, commentRow{I: s, K: tricky[(i+1)%len(tricky)], Ai: s, An: s, Ae: s, B: s, P: i%2 == 0, Ca: "2024-05-06T07:08:09.000000Z"})
	}
	for _, in := range [][]commentRow{nil, cs[:1], cs} {
		out := appendComments(nil, in)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
		var got []commentRow
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if len(in) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, in) {
			t.Errorf("read back\n %+v\nwant\n %+v", got, in)
		}
	}
}
