package incremental

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/ticketsync/ticketsync"
)

// Codec turns a connector's cursor state into an opaque Page.Cursor and
// back.
type Codec struct {
	// Connector names the connector kind: "hubspot". A cursor written for
	// another name is refused.
	Connector string
	// Version is the state's layout; a cursor of another version is
	// refused. Start at 1 and bump it when the state changes in a way the
	// new code cannot read.
	Version int
	// Fingerprint identifies the account the cursor belongs to (the
	// subdomain, portal id or base URL). Only a hash of it is written. A
	// cursor of another account is refused. Empty skips the check.
	Fingerprint string
}

// envelope is what a cursor holds.
type envelope struct {
	Connector string          `json:"c"`
	Version   int             `json:"v"`
	Account   string          `json:"a,omitempty"`
	State     json.RawMessage `json:"s"`
	Sum       string          `json:"h"`
}

func (c Codec) account() string {
	if c.Fingerprint == "" {
		return ""
	}
	h := sha256.Sum256([]byte(c.Fingerprint))
	return hex.EncodeToString(h[:6])
}

func sum(e envelope) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00", e.Connector, e.Version, e.Account)
	h.Write(e.State)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Encode returns state, which must encode as JSON, as a cursor. It panics
// when state cannot be encoded, which is a programming error.
func (c Codec) Encode(state any) string {
	b, err := json.Marshal(state)
	if err != nil {
		panic(fmt.Sprintf("incremental: encode %s cursor: %v", c.Connector, err))
	}
	e := envelope{Connector: c.Connector, Version: c.Version, Account: c.account(), State: b}
	e.Sum = sum(e)
	out, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("incremental: encode %s cursor: %v", c.Connector, err))
	}
	return base64.RawURLEncoding.EncodeToString(out)
}

// Decode reads a cursor that Encode returned into state. An empty cursor
// leaves state as it is and returns nil: the sync starts from the
// beginning. Anything else that is not a cursor this Codec wrote (damaged,
// of another connector, account or version) is an error matching
// ticketsync.ErrInvalidCursor whose text says which, without quoting the
// cursor.
func (c Codec) Decode(cursor string, state any) error {
	if cursor == "" {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return invalid("it is not base64: damaged or not written by ticketsync")
	}
	var e envelope
	if err := json.Unmarshal(raw, &e); err != nil || e.Connector == "" || len(e.State) == 0 {
		return invalid("it is damaged or not written by ticketsync")
	}
	if e.Sum != sum(e) {
		return invalid("its checksum does not match: it is damaged")
	}
	if e.Connector != c.Connector {
		return invalid(fmt.Sprintf("it was written by the %s connector, not %s", e.Connector, c.Connector))
	}
	if e.Version != c.Version {
		return invalid(fmt.Sprintf("it is a version %d %s cursor; this connector reads version %d", e.Version, c.Connector, c.Version))
	}
	if e.Account != c.account() {
		return invalid("it was written for another account")
	}
	if err := json.Unmarshal(e.State, state); err != nil {
		return invalid("its state does not decode: " + err.Error())
	}
	return nil
}

func invalid(why string) error {
	return fmt.Errorf("%w: %s", ticketsync.ErrInvalidCursor, why)
}
