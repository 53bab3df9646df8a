package ticketsync

import "fmt"

// maxRefusedNotes bounds the notes a run records about refused tickets.
const maxRefusedNotes = 10

// dropInvalidIDs removes from tickets, in place, those whose ID CheckID
// refuses, and returns the rest with one note per refused ticket (at most
// maxRefusedNotes of them, then a count). Such a ticket cannot be stored
// without being merged with another, and refusing the whole page instead
// would stop the connector for good.
func dropInvalidIDs(tickets []Ticket) (kept []Ticket, notes []string) {
	kept = tickets[:0]
	refused := 0
	for i := range tickets {
		if err := CheckID(tickets[i].ID); err != nil {
			refused++
			if len(notes) < maxRefusedNotes {
				notes = append(notes, fmt.Sprintf("ticket skipped: %v", err))
			}
			continue
		}
		kept = append(kept, tickets[i])
	}
	if refused > maxRefusedNotes {
		notes = append(notes, fmt.Sprintf("%d more tickets skipped for invalid ids", refused-maxRefusedNotes))
	}
	if refused > 0 {
		clear(tickets[len(kept):])
	}
	return kept, notes
}
