package wire_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ticketsync/ticketsync/internal/wire"
)

func TestID(t *testing.T) {
	cases := map[string]string{
		`"42"`:                 "42",
		`42`:                   "42",
		`12345678901234567890`: "12345678901234567890",
		`"abc-1"`:              "abc-1",
		`""`:                   "",
		` 7 `:                  "7",
		`"\u0041"`:             "A",
		`-3`:                   "-3",
	}
	for in, want := range cases {
		var id wire.ID
		if err := json.Unmarshal([]byte(in), &id); err != nil || string(id) != want {
			t.Errorf("Unmarshal(%s) = %q, %v; want %q", in, id, err, want)
		}
	}
	id := wire.ID("kept")
	if err := json.Unmarshal([]byte(`null`), &id); err != nil || id != "kept" {
		t.Errorf("Unmarshal(null) = %q, %v; want the id unchanged", id, err)
	}
	for _, in := range []string{`true`, `{}`, `[1]`, `"unterminated`, `1x`} {
		var id wire.ID
		if err := json.Unmarshal([]byte(in), &id); err == nil {
			t.Errorf("Unmarshal(%s) = %q, nil; want an error", in, id)
		}
	}
	b, _ := json.Marshal(struct{ ID wire.ID }{"9"})
	if string(b) != `{"ID":"9"}` {
		t.Errorf("Marshal = %s", b)
	}
}

func ExampleID() {
	var v []struct {
		ID wire.ID `json:"id"`
	}
	_ = json.Unmarshal([]byte(`[{"id": 9007199254740993}, {"id": "9007199254740993"}, {"id": null}]`), &v)
	for _, o := range v {
		fmt.Printf("%q\n", o.ID)
	}
	// Output:
	// "9007199254740993"
	// "9007199254740993"
	// ""
}
