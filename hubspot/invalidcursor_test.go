package hubspot_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/hubspot"
)

// A cursor the connector did not write is reported as ErrInvalidCursor, so
// that the Syncer fails the run instead of retrying it, before any request.
func TestForeignCursorIsErrInvalidCursor(t *testing.T) {
	c, err := hubspot.New(hubspot.Config{BaseURL: "http://127.0.0.1:1", PrivateAppToken: "pat-na1-token"})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"not base64 !", "eyJ2Ijo5fQ", "e30"} {
		_, err := c.Fetch(context.Background(), bad)
		if !errors.Is(err, ticketsync.ErrInvalidCursor) {
			t.Errorf("Fetch(%q) = %v, want an error matching ErrInvalidCursor", bad, err)
		}
	}
}
