package ticketsync_test

import (
	"bytes"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/memstore"
)

// benchDelivery is a signed delivery of about 2 KB holding one full ticket.
func benchDelivery(id string) (body []byte, sig string) {
	body = payload(testEvent{Kind: "updated", ID: id, Full: true,
		Subject: "Printer on fire " + strings.Repeat("and smoking ", 150), UpdatedAt: t0})
	return body, hex.EncodeToString(sign(body))
}

// BenchmarkWebhookHandler sends ~2 KB signed deliveries through the whole
// handler into memstore, in parallel ("handler"), against a minimal
// handler that only reads the body, verifies the HMAC and decodes the JSON
// ("verify-decode-only"), the baseline. Both serve the same requests through
// httptest.ResponseRecorder, so no network is measured.
//
// Measured on a 2-core machine (see BENCHMARKS.md): the full handler costs
// about 1.2x to 1.45x the baseline; the difference is the store write, the history
// record and the JSON reply.
func BenchmarkWebhookHandler(b *testing.B) {
	const distinct = 1000
	bodies := make([][]byte, distinct)
	sigs := make([]string, distinct)
	for i := range bodies {
		bodies[i], sigs[i] = benchDelivery(strconv.Itoa(i))
	}
	b.SetBytes(int64(len(bodies[0])))

	run := func(b *testing.B, h http.Handler) {
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuClock()
		defer reportCPU(b, cpu, 1, "")
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1)) % distinct
				req := httptest.NewRequest(http.MethodPost, "/api/webhooks/tickets?connectorId=acme", bytes.NewReader(bodies[i]))
				req.Header.Set("X-Test-Signature", sigs[i])
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
	b.Run("handler", func(b *testing.B) {
		s := ticketsync.NewSyncer(memstore.New(), nil)
		if err := s.Add("acme", testReceiver{}, ticketsync.ModeWebhook); err != nil {
			b.Fatal(err)
		}
		run(b, s.WebhookHandler())
	})
	// With every hook set, doing nothing: the cost of the hooks themselves.
	b.Run("handler-hooks", func(b *testing.B) {
		s := ticketsync.NewSyncer(memstore.New(), &ticketsync.Options{Hooks: noopHooks()})
		if err := s.Add("acme", testReceiver{}, ticketsync.ModeWebhook); err != nil {
			b.Fatal(err)
		}
		run(b, s.WebhookHandler())
	})
	b.Run("verify-decode-only", func(b *testing.B) {
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(r.Body); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			got, err := hex.DecodeString(r.Header.Get("X-Test-Signature"))
			if err != nil || !hmac.Equal(got, sign(buf.Bytes())) {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			var p testPayload
			if err := json.Unmarshal(buf.Bytes(), &p); err != nil || len(p.Events) != 1 {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusOK)
		}))
	})
}
