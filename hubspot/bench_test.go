package hubspot_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ticketsync/ticketsync/hubspot"
	"github.com/ticketsync/ticketsync/hubspot/hubspottest"
)

// seedFull creates n tickets, each with a requester, an email and a note,
// one second apart.
func seedFull(fake *hubspottest.Server, n int) {
	owner := fake.AddOwner(hubspottest.Owner{Email: "agent@example.com", FirstName: "Agent"})
	for i := range n {
		id := fake.CreateTicket(map[string]string{"subject": fmt.Sprint("ticket ", i), "hubspot_owner_id": owner, "hs_ticket_priority": "HIGH"})
		fake.AssociateContact(id, fake.AddContact(hubspottest.Contact{Email: fmt.Sprintf("c%d@example.com", i)}))
		fake.AddEmail(id, hubspottest.Email{Direction: "INCOMING_EMAIL", Text: "help", FromEmail: fmt.Sprintf("c%d@example.com", i)})
		fake.AddNote(id, hubspottest.Note{Body: "note", OwnerID: owner})
		fake.Advance(time.Second)
	}
}

// minimumPer1000 is the fewest requests HubSpot's API allows for 1,000
// changed tickets with one requester, one email and one note each: 5
// searches of 200; 3 association reads (up to 1,000 tickets each); 10
// batch reads each of contacts, emails and notes (100 ids each).
const minimumPer1000 = 5 + 3 + 10 + 10 + 10

func benchSync(b *testing.B, fake *hubspottest.Server, n int, mod func(*hubspot.Config)) {
	var requests, tickets int
	for b.Loop() {
		c := newConnector(b, fake, mod)
		before := len(fake.Requests())
		r := drain(b, c, "")
		requests += len(fake.Requests()) - before
		tickets += len(r.tickets)
		if len(r.tickets) != n {
			b.Fatalf("synced %d distinct tickets, want %d", len(r.tickets), n)
		}
	}
	b.ReportMetric(float64(requests)*1000/float64(tickets), "requests/1000tickets")
}

// BenchmarkSync10k syncs 10,000 tickets with requester and comments from
// scratch and reports the requests it took per 1,000 tickets, against the
// minimum the API allows.
func BenchmarkSync10k(b *testing.B) {
	fake := hubspottest.NewServer(b, fastLimits())
	seedFull(fake, 10000)
	benchSync(b, fake, 10000, nil)
	b.ReportMetric(minimumPer1000, "minimum-requests/1000tickets")
}

// seedRealistic is seedFull on a fake as unkind as HubSpot usually is:
// every write reaches search 1 to 90 seconds late, in no particular order,
// and every fourth ticket has a help-desk inbox thread of two messages.
// It returns the ticket ids.
func seedRealistic(b testing.TB, n int) (*hubspottest.Server, []string) {
	fake := hubspottest.NewServer(b, &hubspottest.Options{IndexLag: time.Second, IndexLagMax: 90 * time.Second, DailyLimit: -1})
	seedFull(fake, n)
	ids := fake.TicketIDs(false)
	for i, id := range ids {
		if i%4 == 0 {
			th := fake.AddThread(id, hubspottest.Thread{Channel: "1000"})
			fake.AddMessage(th, hubspottest.Message{Direction: "INCOMING", Text: "hello", SenderID: "V-1"})
			fake.AddMessage(th, hubspottest.Message{Direction: "OUTGOING", Text: "hi", SenderID: "A-1"})
		}
	}
	fake.Advance(2 * time.Minute)
	return fake, ids
}

// pacedConnector is a connector with HubSpot's default limits (100
// requests per 10 seconds, search 5 a second) that waits on the fake's
// clock, so the fake's clock tells how long a sync takes at those limits.
func pacedConnector(b testing.TB, fake *hubspottest.Server, mod func(*hubspot.Config)) *hubspot.Connector {
	cfg := hubspot.Config{PrivateAppToken: hubspottest.DefaultToken, BaseURL: fake.URL, HTTPClient: fake.Client()}
	if mod != nil {
		mod(&cfg)
	}
	c, err := hubspot.NewWithClock(cfg, fake.Now, fake.Sleep, 0)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkFirstSync10k syncs 10,000 tickets from scratch on the realistic
// fake at HubSpot's default limits, with and without the inbox threads
// (the baseline), and reports requests per 1,000 tickets and the minutes
// the sync takes at those limits.
func BenchmarkFirstSync10k(b *testing.B) {
	for _, tc := range []struct {
		name string
		mod  func(*hubspot.Config)
	}{{"inbox", nil}, {"no-inbox", func(cfg *hubspot.Config) { cfg.SkipConversations = true }}} {
		b.Run(tc.name, func(b *testing.B) {
			fake, ids := seedRealistic(b, 10000)
			var requests int
			var took time.Duration
			for b.Loop() {
				c := pacedConnector(b, fake, tc.mod)
				before, start := len(fake.Requests()), fake.Now()
				r := drain(b, c, "")
				requests += len(fake.Requests()) - before
				took += fake.Now().Sub(start)
				if len(r.tickets) != len(ids) {
					b.Fatalf("synced %d tickets, want %d", len(r.tickets), len(ids))
				}
			}
			if n := statusCount(fake, 429); n != 0 {
				b.Errorf("%d answers were 429", n)
			}
			b.ReportMetric(float64(requests)*1000/float64(b.N*len(ids)), "requests/1000tickets")
			b.ReportMetric(took.Minutes()/float64(b.N), "minutes-at-default-limits")
		})
	}
}

// BenchmarkLiveChangeDuringBackfill changes an old ticket right after the
// first page of a first sync of 10,000 tickets (realistic fake, default
// limits) and reports how long, on the fake's clock, it took to arrive,
// against the length of the whole backfill.
func BenchmarkLiveChangeDuringBackfill(b *testing.B) {
	fake, ids := seedRealistic(b, 10000)
	var delay, backfill time.Duration
	for i := 0; b.Loop(); i++ {
		c := pacedConnector(b, fake, nil)
		start := fake.Now()
		page, err := c.Fetch(b.Context(), "")
		if err != nil {
			b.Fatal(err)
		}
		target := ids[i%len(ids)]
		subject := fmt.Sprint("changed during the backfill ", i)
		fake.UpdateTicket(target, map[string]string{"subject": subject})
		changed := fake.Now()
		var arrived time.Time
		for page.More {
			if page, err = c.Fetch(b.Context(), page.Cursor); err != nil {
				b.Fatal(err)
			}
			for _, t := range page.Tickets {
				if t.ID == target && t.Subject == subject && arrived.IsZero() {
					arrived = fake.Now()
				}
			}
		}
		if arrived.IsZero() {
			b.Fatalf("the change made during the backfill never arrived")
		}
		delay += arrived.Sub(changed)
		backfill += fake.Now().Sub(start)
	}
	b.ReportMetric(delay.Minutes()/float64(b.N), "minutes-delay")
	b.ReportMetric(backfill.Minutes()/float64(b.N), "minutes-backfill")
}

// BenchmarkSync25kThroughCap syncs 25,000 tickets changed since the
// checkpoint, past HubSpot's 10,000-result search cap, and fails if one is
// missing.
func BenchmarkSync25kThroughCap(b *testing.B) {
	fake := hubspottest.NewServer(b, fastLimits())
	for i := range 25000 {
		fake.CreateTicket(map[string]string{"subject": "bulk"})
		if i%3 != 0 {
			fake.Advance(time.Millisecond)
		}
	}
	benchSync(b, fake, 25000, func(cfg *hubspot.Config) { cfg.MaxCommentsPerTicket = -1 })
	if statusCount(fake, 400) != 0 {
		b.Fatal("a search went past the cap")
	}
}

// TestNoRateLimitedInSteadyState syncs under the fake's enforced limits
// (HubSpot's numbers on a one-second window instead of ten, and search's 5
// per second) and expects not one 429. The connector waits on the fake's
// clock, so the pacing is exact and takes no real time.
func TestNoRateLimitedInSteadyState(t *testing.T) {
	fake := hubspottest.NewServer(t, &hubspottest.Options{RateLimit: 100, RateWindow: time.Second, SearchRateLimit: 5, SearchRateWindow: time.Second})
	seedFull(fake, 1500)
	// HubSpot's 100 per 10 seconds, enforced and paced on a one-second
	// window: 6,000 a minute.
	c, err := hubspot.NewWithClock(hubspot.Config{
		PrivateAppToken: hubspottest.DefaultToken, BaseURL: fake.URL, HTTPClient: fake.Client(),
		RequestsPerMinute: 6000, SearchRequestsPerSecond: 5,
	}, fake.Now, fake.Sleep, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, c, "")
	if len(r.tickets) != 1500 {
		t.Fatalf("synced %d tickets", len(r.tickets))
	}
	fake.Advance(time.Minute)
	for i := range 20 {
		fake.UpdateTicket(fake.TicketIDs(false)[i*7], map[string]string{"subject": "again"})
	}
	drain(t, c, r.cursor)
	if n := statusCount(fake, 429); n != 0 {
		t.Errorf("%d answers were 429 with the connector pacing itself to the same limits", n)
	}
}
