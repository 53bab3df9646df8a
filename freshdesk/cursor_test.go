package freshdesk

import (
	"context"
	"testing"

	"github.com/ticketsync/ticketsync/freshdesk/freshdesktest"
	"github.com/ticketsync/ticketsync/internal/incremental"
)

// TestCursorOfTheFormerLayout: a cursor saved before the cursor held the
// listings' pass ends and StartCursor's time (and when a pass read the
// default listing first) still reads on, without ErrInvalidCursor.
func TestCursorOfTheFormerLayout(t *testing.T) {
	f := freshdesktest.NewServer(t, &freshdesktest.Options{RateLimit: -1, ListRateLimit: -1})
	f.GenerateTickets(12, nil)
	if err := f.DeleteTicket(f.Tickets()[0].ID); err != nil {
		t.Fatal(err)
	}
	c, err := NewWithClock(Config{Domain: f.Domain, BaseURL: f.URL, APIKey: f.APIKey, PageSize: 5,
		RequestsPerMinute: -1, ListRequestsPerMinute: -1}, f.Now, f.Sleep)
	if err != nil {
		t.Fatal(err)
	}
	type former struct {
		Phase int                           `json:"ph"`
		W     [listCount]incremental.Window `json:"w"`
	}
	text := c.codec.Encode(former{Phase: listTickets})
	got := map[string]bool{}
	deleted := 0
	for pass := 0; pass < 2; pass++ { // the rest of the former pass, and a whole one
		for n := 0; ; n++ {
			if n > 50 {
				t.Fatal("no end after 50 pages")
			}
			page, err := c.Fetch(context.Background(), text)
			if err != nil {
				t.Fatalf("Fetch from a cursor of the former layout: %v", err)
			}
			for _, tk := range page.Tickets {
				got[tk.ID] = true
				if tk.Deleted {
					deleted++
				}
			}
			text = page.Cursor
			if !page.More {
				break
			}
		}
	}
	if len(got) != 12 || deleted != 1 {
		t.Errorf("read %d tickets, %d deleted; want 12, with the one in the trash", len(got), deleted)
	}
	if info, err := c.DescribeCursor(text); err != nil || info.Checkpoint.IsZero() {
		t.Errorf("DescribeCursor after two passes: %v, %v; want a checkpoint", info.Checkpoint, err)
	}
}
