package jira

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// richDoc is an ADF document as the Jira editor writes it, with every kind
// of block a support ticket tends to hold.
const richDoc = `{"type":"doc","version":1,"content":[
 {"type":"heading","attrs":{"level":2},"content":[{"type":"text","text":"Checkout fails"}]},
 {"type":"paragraph","content":[
   {"type":"text","text":"Hi "},
   {"type":"mention","attrs":{"id":"5b10a2844c20165700ede21g","text":"@Mia Krystof","accessLevel":""}},
   {"type":"text","text":", see "},
   {"type":"text","text":"the log","marks":[{"type":"link","attrs":{"href":"https://example.com/log"}}]},
   {"type":"text","text":" "},
   {"type":"emoji","attrs":{"shortName":":fire:","id":"1f525","text":"🔥"}},
   {"type":"hardBreak"},
   {"type":"text","text":"Since ","marks":[{"type":"strong"}]},
   {"type":"date","attrs":{"timestamp":"1706745600000"}},
   {"type":"text","text":" it is "},
   {"type":"status","attrs":{"text":"BLOCKED","color":"red"}}
 ]},
 {"type":"bulletList","content":[
   {"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"Chrome"}]}]},
   {"type":"listItem","content":[
     {"type":"paragraph","content":[{"type":"text","text":"Firefox"}]},
     {"type":"orderedList","attrs":{"order":3},"content":[
       {"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"version 120"}]}]},
       {"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"version 121"}]}]}
     ]}
   ]}
 ]},
 {"type":"codeBlock","attrs":{"language":"go"},"content":[{"type":"text","text":"if err != nil {\n\treturn err\n}"}]},
 {"type":"table","attrs":{"isNumberColumnEnabled":false,"layout":"default"},"content":[
   {"type":"tableRow","content":[
     {"type":"tableHeader","attrs":{},"content":[{"type":"paragraph","content":[{"type":"text","text":"Step"}]}]},
     {"type":"tableHeader","attrs":{},"content":[{"type":"paragraph","content":[{"type":"text","text":"Result"}]}]}
   ]},
   {"type":"tableRow","content":[
     {"type":"tableCell","attrs":{},"content":[{"type":"paragraph","content":[{"type":"text","text":"Pay"}]}]},
     {"type":"tableCell","attrs":{},"content":[{"type":"paragraph","content":[{"type":"text","text":"Error 500"},{"type":"hardBreak"},{"type":"text","text":"twice"}]}]}
   ]}
 ]},
 {"type":"blockquote","content":[{"type":"paragraph","content":[{"type":"text","text":"It worked yesterday."}]}]},
 {"type":"taskList","attrs":{"localId":"a"},"content":[
   {"type":"taskItem","attrs":{"localId":"b","state":"DONE"},"content":[{"type":"text","text":"Clear cache"}]},
   {"type":"taskItem","attrs":{"localId":"c","state":"TODO"},"content":[{"type":"text","text":"Try Safari"}]}
 ]},
 {"type":"rule"},
 {"type":"mediaSingle","attrs":{"layout":"center"},"content":[{"type":"media","attrs":{"type":"file","id":"x","collection":"","alt":"screenshot.png"}}]},
 {"type":"panel","attrs":{"panelType":"info"},"content":[{"type":"paragraph","content":[{"type":"text","text":"Customer is on the Pro plan."}]}]},
 {"type":"someFutureNode","content":[{"type":"paragraph","content":[{"type":"text","text":"Kept text"}]}]},
 {"type":"paragraph","content":[{"type":"inlineCard","attrs":{"url":"https://acme.atlassian.net/browse/SUP-2"}}]}
]}`

const richDocText = `Checkout fails

Hi @Mia Krystof, see the log (https://example.com/log) 🔥
Since 2024-02-01 it is BLOCKED

- Chrome
- Firefox
  3. version 120
  4. version 121

if err != nil {
	return err
}

Step | Result
Pay | Error 500 twice

> It worked yesterday.

[x] Clear cache
[ ] Try Safari

---

screenshot.png

Customer is on the Pro plan.

Kept text

https://acme.atlassian.net/browse/SUP-2`

func TestADFTextRichDocument(t *testing.T) {
	got, err := ADFText([]byte(richDoc))
	if err != nil {
		t.Fatal(err)
	}
	if got != richDocText {
		t.Errorf("ADFText:\n%s\n\nwant:\n%s", got, richDocText)
		gl, wl := strings.Split(got, "\n"), strings.Split(richDocText, "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Errorf("first difference at line %d: %q, want %q", i+1, gl[i], wl[i])
				break
			}
		}
	}
}

func TestADFTextSmallCases(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"null", `null`, ""},
		{"v2 wiki markup string", `"  *bold* text\n"`, "*bold* text"},
		{"empty doc", `{"type":"doc","version":1,"content":[]}`, ""},
		{"two paragraphs", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"a"}]},{"type":"paragraph","content":[{"type":"text","text":"b"}]}]}`, "a\n\nb"},
		{"empty paragraph between", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"a"}]},{"type":"paragraph"},{"type":"paragraph","content":[{"type":"text","text":"b"}]}]}`, "a\n\nb"},
		{"mention without at", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"mention","attrs":{"id":"1","text":"Ann"}}]}]}`, "@Ann"},
		{"mention without text", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"mention","attrs":{"id":"1"}}]}]}`, "@user"},
		{"link equal to its text", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"https://x.test","marks":[{"type":"link","attrs":{"href":"https://x.test"}}]}]}]}`, "https://x.test"},
		{"emoji short name only", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"emoji","attrs":{"shortName":":smile:"}}]}]}`, ":smile:"},
		{"date as number", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"date","attrs":{"timestamp":1706745600000}}]}]}`, "2024-02-01"},
		{"unknown inline with text", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"futureInline","attrs":{"text":"kept"}}]}]}`, "kept"},
		{"placeholder dropped", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"placeholder","attrs":{"text":"Type here"}}]}]}`, ""},
		{"quote of two paragraphs", `{"type":"doc","content":[{"type":"blockquote","content":[{"type":"paragraph","content":[{"type":"text","text":"a"}]},{"type":"paragraph","content":[{"type":"text","text":"b"}]}]}]}`, "> a\n\n> b"},
		{"empty list item", `{"type":"doc","content":[{"type":"bulletList","content":[{"type":"listItem","content":[]},{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"x"}]}]}]}]}`, "-\n- x"},
		{"expand", `{"type":"doc","content":[{"type":"expand","attrs":{"title":"Details"},"content":[{"type":"paragraph","content":[{"type":"text","text":"hidden"}]}]}]}`, "Details\n\nhidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ADFText([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("ADFText(%s) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestADFTextRejectsNonJSON(t *testing.T) {
	for _, in := range []string{`{"type":`, `[1,2]`, `42`} {
		if got, err := ADFText([]byte(in)); err == nil {
			t.Errorf("ADFText(%s) = %q and no error", in, got)
		}
	}
}

// TestParseADFMatchesEncodingJSON decodes documents with the hand-written
// parser and with encoding/json into the same type: the trees must be equal,
// and what encoding/json refuses as JSON the parser refuses too.
func TestParseADFMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		richDoc,
		`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"esc \" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 \ud800 x"}]}]}`,
		`{"content":[{"text":"key order","type":"text","marks":[{"attrs":{"href":"https://x.test","title":"t"},"type":"link"}]}],"type":"paragraph"}`,
		`{"type":"orderedList","attrs":{"order":7,"localId":"a"},"content":null,"marks":null,"version":1.5e3,"x":[true,false,null,{"a":[]},-0.25]}`,
		`{"type":"date","attrs":{"timestamp":1706745600000}}`,
		`{"type":"date","attrs":{"timestamp":null,"text":null}}`,
		` {"type" : "doc" , "content" : [ ] } `,
		"{\"type\":\"text\",\"text\":\"bad utf8 \xff\xfe here\"}",
	}
	for _, d := range docs {
		got, err := parseADF([]byte(d))
		if err != nil {
			t.Errorf("parseADF(%s): %v", d, err)
			continue
		}
		var want adfNode
		if err := json.Unmarshal([]byte(d), &want); err != nil {
			t.Fatalf("encoding/json refuses %s: %v", d, err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("parseADF(%s) =\n%+v\nencoding/json:\n%+v", d, *got, want)
		}
	}
	for _, bad := range []string{`{`, `{"type":}`, `{"type":"doc",}`, `{"type":"doc"} x`, `{"content":[1,]}`, `{"text":"a` + "\n" + `"}`,
		`{"text":"\x"}`, `{"a":01}`, `{"a":1.}`, `{"a":tru}`, `[]`, `{"text":"\u12"}`, strings.Repeat(`{"content":[`, 600)} {
		if _, err := parseADF([]byte(bad)); err == nil {
			t.Errorf("parseADF(%.40s) accepted it", bad)
		}
	}
}

// FuzzParseADF checks that the parser never panics, and that whatever it
// accepts encoding/json accepts and decodes to the same tree.
func FuzzParseADF(f *testing.F) {
	f.Add([]byte(richDoc))
	f.Add([]byte(`{"type":"text","text":"\u00e9\n"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseADF(b)
		if err != nil {
			return
		}
		var want adfNode
		if err := json.Unmarshal(b, &want); err != nil {
			return // the parser is lenient about odd attribute types
		}
		if bytes.Contains(b, []byte("\u212a")) || bytes.Contains(b, []byte("\u017f")) || bytes.Contains(b, []byte(`\u`)) {
			return // keys encoding/json folds beyond ASCII (K for the Kelvin sign) or escapes in keys
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("parseADF(%q) = %+v, encoding/json %+v", b, *got, want)
		}
		_ = adfText(got)
	})
}
