package sqlstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ticketsync/ticketsync"
)

// Page sizes of ListTickets.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// ListOptions select a page of ListTickets. nil means the first page of all
// the connector's tickets.
type ListOptions struct {
	// Since keeps the tickets whose UpdatedAt is at or after it; the zero
	// time keeps all.
	Since time.Time
	// PageSize is the most tickets a page holds: DefaultPageSize when 0, at
	// most MaxPageSize.
	PageSize int
	// PageToken is the NextPageToken of the previous page; empty for the
	// first page.
	PageToken string
}

// TicketPage is one page of ListTickets.
type TicketPage struct {
	// Tickets in order of UpdatedAt, then ID, with their comments.
	Tickets []ticketsync.Ticket
	// NextPageToken continues the listing after this page; empty when this
	// page is the last.
	NextPageToken string
}

// pageToken is where a listing resumes: after the ticket with this
// UpdatedAt and ID.
type pageToken struct {
	U string `json:"u"`
	I string `json:"i"`
}

// ListTickets returns a page of the connector's tickets changed at or after
// opts.Since, in order of UpdatedAt then ID, tombstones (Deleted) included,
// each with its comments. Pages continue from the previous page's last
// ticket (keyset pagination), so a listing never repeats nor skips a ticket
// that stays unchanged meanwhile; a ticket updated during the listing moves
// to its end. A host that keeps the last page's token can poll it later for
// what changed since.
func (s *Store) ListTickets(ctx context.Context, connectorID string, opts *ListOptions) (TicketPage, error) {
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	o.PageSize = min(o.PageSize, MaxPageSize)
	// Ticket IDs are never empty, so (Since, "") excludes nothing at Since.
	after := pageToken{U: dbTime(o.Since)}
	if o.PageToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(o.PageToken)
		if err == nil {
			err = json.Unmarshal(raw, &after)
		}
		if err != nil {
			return TicketPage{}, fmt.Errorf("sqlstore: list tickets of connector %q: bad page token: %w", connectorID, err)
		}
	}
	defer s.reading()()
	rows, err := s.db.QueryContext(ctx, s.q.listTickets, connectorID, after.U, after.I, o.PageSize+1)
	if err != nil {
		return TicketPage{}, fmt.Errorf("sqlstore: list tickets of connector %q: %w", connectorID, err)
	}
	defer rows.Close()
	var page TicketPage
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return TicketPage{}, fmt.Errorf("sqlstore: list tickets of connector %q: %w", connectorID, err)
		}
		page.Tickets = append(page.Tickets, t)
	}
	if err := rows.Err(); err != nil {
		return TicketPage{}, fmt.Errorf("sqlstore: list tickets of connector %q: %w", connectorID, err)
	}
	rows.Close()
	if len(page.Tickets) > o.PageSize {
		page.Tickets = page.Tickets[:o.PageSize]
		last := page.Tickets[len(page.Tickets)-1]
		raw, _ := json.Marshal(pageToken{U: dbTime(last.UpdatedAt), I: last.ID})
		page.NextPageToken = base64.RawURLEncoding.EncodeToString(raw)
	}
	return page, nil
}

// CountByStatus counts the connector's tickets by Status, leaving out
// tombstones (Deleted); an empty connectorID counts the tickets of all
// connectors. Statuses without tickets are absent from the map.
func (s *Store) CountByStatus(ctx context.Context, connectorID string) (map[ticketsync.Status]int, error) {
	query, args := s.q.countStatus, []any{connectorID}
	if connectorID == "" {
		query, args = s.q.countStatusAll, nil
	}
	defer s.reading()()
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: count tickets of connector %q by status: %w", connectorID, err)
	}
	defer rows.Close()
	counts := make(map[ticketsync.Status]int)
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("sqlstore: count tickets of connector %q by status: %w", connectorID, err)
		}
		counts[ticketsync.Status(status)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: count tickets of connector %q by status: %w", connectorID, err)
	}
	return counts, nil
}
