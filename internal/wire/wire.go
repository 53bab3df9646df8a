// Package wire holds the JSON shapes every platform's wire types share.
//
// # How a platform package uses it
//
// A platform's wire.go declares its own answer structs; an id that the
// platform writes as a number in one place and a string in another
// (HubSpot's object ids, Zendesk's ticket_id in trigger bodies, Jira's
// issue ids, Intercom's conversation ids) is a wire.ID:
//
//	type wireTicket struct {
//		ID        wire.ID `json:"id"`
//		Requester wire.ID `json:"requester_id"`
//	}
//
// and becomes Ticket.ID with string(w.ID) or w.ID.String().
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ID is an id a platform writes as a JSON string or number; it holds the
// text: 42 and "42" both read as "42", a large number keeps every digit
// (it never goes through float64), and null leaves it as it was. Any other
// JSON value is an error. It writes itself as a JSON string.
type ID string

// UnmarshalJSON reads a string, a number or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return fmt.Errorf("wire: empty id")
	}
	switch c := b[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	case c == 'n' && string(b) == "null":
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*id = ID(n.String())
		return nil
	}
	return fmt.Errorf("wire: an id must be a string or a number, got %.20s", b)
}

// String returns the id's text.
func (id ID) String() string { return string(id) }
