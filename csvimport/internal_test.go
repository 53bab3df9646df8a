package csvimport

import (
	"math/rand/v2"
	"testing"
	"time"
	"unicode/utf8"
)

// TestUTF8Stream checks utf8Stream against utf8.Valid on the whole input,
// written in pieces of every size, so that runes are cut at every byte.
func TestUTF8Stream(t *testing.T) {
	inputs := []string{
		"", "a", "é", "€", "😀", "a,é\n€,😀\n", "\xE2\x82", "\xE2\x82\n", "\xE2\x82\xAC\xAC",
		"\xF0\x9F\x98", "\xF0\x9F\x98\x80\x80", "\xFF", "a\xC3", "\xC3a", "\xC3\xA9\xE9",
		"\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC0\xAF", "\x80", "abc\x80\x80\x80\x80",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("a,\"\n\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xFF\x80")
	for range 2000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		want := utf8.ValidString(in)
		for size := 1; size <= max(len(in), 1); size++ {
			var u utf8Stream
			for i := 0; i < len(in); i += size {
				end := min(i+size, len(in))
				u.write([]byte(in[i:end]))
				if u.valid() && !utf8.ValidString(in[:end-u.np]) {
					t.Fatalf("%q in pieces of %d: valid after %d bytes", in, size, end)
				}
				if !u.valid() && want {
					t.Fatalf("%q in pieces of %d: invalid after %d bytes", in, size, end)
				}
			}
			u.end()
			if u.valid() != want {
				t.Fatalf("%q in pieces of %d: valid %v, want %v", in, size, u.valid(), want)
			}
		}
	}
}

// TestDaysIn checks daysIn against package time's normalisation.
func TestDaysIn(t *testing.T) {
	for _, year := range []int{0, 1, 4, 100, 1900, 1999, 2000, 2023, 2024, 2100, 2400, 9999} {
		for month := 1; month <= 12; month++ {
			want := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
			if got := daysIn(month, year); got != want {
				t.Errorf("daysIn(%d, %d) = %d, want %d", month, year, got, want)
			}
		}
	}
}
