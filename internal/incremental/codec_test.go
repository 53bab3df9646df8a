package incremental_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/incremental"
)

func TestCodecRoundTrip(t *testing.T) {
	var w incremental.Window
	p := incremental.Policy{Start: t0}
	w.Query(p)
	w.Observe("a", t0.Add(time.Minute))
	if _, err := w.Next(p, "page-2"); err != nil {
		t.Fatal(err)
	}
	s := codec.Encode(cursor{W: w})
	var back cursor
	if err := codec.Decode(s, &back); err != nil {
		t.Fatal(err)
	}
	if q := back.W.Query(p); q.Page != "page-2" || !q.From.Equal(t0) {
		t.Errorf("decoded window asks for %+v", q)
	}
	if back.W.Observe("a", t0.Add(time.Minute)) {
		t.Error("the decoded window forgot the delivered id")
	}
	// An empty cursor starts afresh.
	var fresh cursor
	if err := codec.Decode("", &fresh); err != nil {
		t.Errorf("Decode(\"\") = %v", err)
	}
}

func TestCodecRefusesForeignAndDamagedCursors(t *testing.T) {
	var w incremental.Window
	w.Query(incremental.Policy{})
	w.Observe("42", t0)
	good := codec.Encode(cursor{W: w})
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	tampered := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"42"`, `"43"`, 1)))
	cases := map[string]struct {
		cursor string
		codec  incremental.Codec
		want   string
	}{
		"another connector":      {incremental.Codec{Connector: "zendesk", Version: 1}.Encode(cursor{}), codec, "written by the zendesk connector"},
		"another account":        {incremental.Codec{Connector: "sim", Version: 1, Fingerprint: "acct-2"}.Encode(cursor{}), codec, "another account"},
		"another version":        {incremental.Codec{Connector: "sim", Version: 2, Fingerprint: "acct-1"}.Encode(cursor{}), codec, "version 2"},
		"truncated":              {good[:len(good)-5], codec, "damaged"},
		"not base64":             {"%%%", codec, "not base64"},
		"not json":               {base64.RawURLEncoding.EncodeToString([]byte("hello")), codec, "damaged"},
		"tampered state":         {tampered, codec, "checksum"},
		"other codec reads ours": {good, incremental.Codec{Connector: "freshdesk", Version: 1}, "written by the sim connector"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var cur cursor
			err := c.codec.Decode(c.cursor, &cur)
			if !errors.Is(err, ticketsync.ErrInvalidCursor) {
				t.Fatalf("Decode = %v, want ErrInvalidCursor", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if len(c.cursor) > 8 && strings.Contains(err.Error(), c.cursor) {
				t.Errorf("error %q quotes the cursor", err)
			}
		})
	}
}
