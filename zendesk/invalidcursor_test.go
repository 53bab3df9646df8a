package zendesk_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/zendesk"
)

// A cursor the connector did not write is reported as ErrInvalidCursor, so
// that the Syncer fails the run instead of retrying it, before any request.
func TestForeignCursorIsErrInvalidCursor(t *testing.T) {
	c, err := zendesk.New(zendesk.Config{
		BaseURL: "http://127.0.0.1:1", Subdomain: "acme", Email: "agent@example.com", APIToken: "token",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"bm90IG91cnM", "not base64 !", "eyJ2Ijo5OX0"} {
		_, err := c.Fetch(context.Background(), bad)
		if !errors.Is(err, ticketsync.ErrInvalidCursor) {
			t.Errorf("Fetch(%q) = %v, want an error matching ErrInvalidCursor", bad, err)
		}
	}
}
