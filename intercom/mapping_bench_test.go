package intercom

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/ticketsync/ticketsync/intercom/intercomtest"
)

// conversationJSON returns GET /conversations/{id} of a seeded conversation
// with 20 HTML parts, as the fake serves it.
func conversationJSON(b *testing.B) []byte {
	b.Helper()
	fake := intercomtest.NewServer(b, &intercomtest.Options{RateLimit: -1})
	ids, _, err := fake.Seed(1, 0, 20)
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest("GET", fake.URL+"/conversations/"+ids[0], nil)
	req.Header.Set("Authorization", "Bearer "+fake.Token())
	req.Header.Set("Intercom-Version", DefaultAPIVersion)
	resp, err := fake.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("GET conversation: %d %v", resp.StatusCode, err)
	}
	return body
}

// BenchmarkDecodeConversation is the baseline of BenchmarkMapConversation:
// decoding the JSON of a conversation with 20 parts, without mapping it.
func BenchmarkDecodeConversation(b *testing.B) {
	body := conversationJSON(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var w wireConversation
		if err := json.Unmarshal(body, &w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMapConversation decodes the same conversation and maps it to a
// Ticket: HTML bodies to text, parts to comments, attributes to fields.
func BenchmarkMapConversation(b *testing.B) {
	body := conversationJSON(b)
	c := &Connector{cfg: settings{appHost: appHosts["US"]}}
	p := people{}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var w wireConversation
		if err := json.Unmarshal(body, &w); err != nil {
			b.Fatal(err)
		}
		t := c.conversationTicket(&w, "abc", p)
		if len(t.Comments) == 0 {
			b.Fatal("no comments")
		}
	}
}
