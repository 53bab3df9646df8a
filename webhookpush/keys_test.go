package webhookpush

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// escapedKeys returns a delivery whose ticket object has n members with
// escaped keys ("k\u0030001") besides its id, the shape that made parsing
// cost grow with keys times lookups.
func escapedKeys(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"ticket":{"id":"1"`)
	for i := range n {
		fmt.Fprintf(&b, `,"k\u00%02x%d":1`, '0'+i%10, i)
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// Parsing does a bounded amount of work per key, however many lookups the
// auto-detection makes: each escaped key is decoded once per delivery.
// Allocations count that work exactly, where a timing would not.
func TestParseCostIsLinearInKeys(t *testing.T) {
	c := mustNew(t, Config{AllowUnsigned: true})
	// Decoding one escaped key and indexing it takes about four
	// allocations; the auto-detection's hundreds of lookups must add none.
	const maxPerKey = 6
	for _, n := range []int{1000, 4000} {
		body := escapedKeys(n)
		allocs := testing.AllocsPerRun(3, func() {
			if _, err := c.ParseWebhook(body); err != nil {
				t.Fatal(err)
			}
		})
		if perKey := allocs / float64(n); perKey > maxPerKey {
			t.Errorf("%d escaped keys: %.0f allocations, %.1f per key; want at most %d per key", n, allocs, perKey, maxPerKey)
		}
	}
}

func BenchmarkParseEscapedKeys(b *testing.B) {
	c, err := New(Config{AllowUnsigned: true})
	if err != nil {
		b.Fatal(err)
	}
	body := escapedKeys(60000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ParseWebhook(body); err != nil {
			b.Fatal(err)
		}
	}
}

// decodeKey decodes keys exactly as encoding/json does.
func TestDecodeKeyAgreesWithEncodingJSON(t *testing.T) {
	keys := []string{`plain`, `a\u0041b`, `\"q\"`, `back\\slash`, `\/\b\f\n\r\t`, `\u00e9t\u00E9`,
		`\ud83d\ude00`, `\ud83d`, `\ud83dx`, `\ude00\ud83d`, `\ud83d\u0041`, "caf\xe9", "ok\xf0\x9f\x98\x80", `\u0000`, `é\u00e9`}
	for _, k := range keys {
		var want string
		if err := json.Unmarshal([]byte(`"`+k+`"`), &want); err != nil {
			t.Fatalf("fixture %q: %v", k, err)
		}
		got, ok := decodeKey([]byte(k))
		if !ok || string(got) != want {
			t.Errorf("decodeKey(%q) = %q, %v; want %q", k, got, ok, want)
		}
	}
}
