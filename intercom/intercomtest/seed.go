package intercomtest

import (
	"fmt"
	"time"
)

// Seed fills the workspace with deterministic records: three teammates
// (when it has none), then conversations and tickets, each started by a
// contact of its own, with parts parts each (replies by the contact and the
// assignee, every third an internal note), HTML bodies, tags, priorities
// and every state. The clock moves a second every ten records. It returns
// the ids created.
func (s *Server) Seed(conversations, tickets, parts int) (convIDs, ticketIDs []string, err error) {
	s.mu.Lock()
	admins := append([]string(nil), s.adminOrder...)
	s.mu.Unlock()
	for i := len(admins); i < 3; i++ {
		admins = append(admins, s.AddAdmin(Admin{Name: fmt.Sprintf("Teammate %d", i+1), Email: fmt.Sprintf("teammate%d@example.com", i+1)}))
	}
	states := []string{"open", "closed", "snoozed", "open"}
	sources := []string{"conversation", "email", "conversation", "phone_call", "whatsapp"}
	for i := range conversations {
		contact := s.AddContact(Contact{Name: fmt.Sprintf("Customer %d", i), Email: fmt.Sprintf("customer%d@example.com", i)})
		admin := admins[i%len(admins)]
		id, err := s.CreateConversation(NewConversation{
			Subject: fmt.Sprintf("Question %d", i), Body: fmt.Sprintf("<p>Hello, I have a <b>question</b> about order %d.</p>", i),
			ContactID: contact, SourceType: sources[i%len(sources)], Priority: i%7 == 0, Assignee: admin,
			Tags: []string{[]string{"billing", "bug", "sales"}[i%3]}, Attributes: map[string]any{"plan": []string{"free", "pro"}[i%2]},
		})
		if err != nil {
			return convIDs, ticketIDs, err
		}
		for p := range parts {
			part := Part{Type: PartComment, Author: Author{Type: AuthorAdmin, ID: admin}, Body: fmt.Sprintf("<p>Answer %d to question %d</p>", p, i)}
			switch {
			case p%3 == 2:
				part.Type, part.Body = PartNote, fmt.Sprintf("<p>Note %d: <i>check the invoice</i></p>", p)
			case p%2 == 1:
				part.Author = Author{Type: AuthorUser, ID: contact}
			}
			if _, err := s.AddPart(id, part); err != nil {
				return convIDs, ticketIDs, err
			}
		}
		if st := states[i%len(states)]; st != "open" {
			if err := s.SetState(id, admin, st, s.Now().Add(24*time.Hour)); err != nil {
				return convIDs, ticketIDs, err
			}
		}
		convIDs = append(convIDs, id)
		if i%10 == 9 {
			s.Advance(time.Second)
		}
	}
	categories := []string{CategoryCustomer, CategoryBackOffice, CategoryTracker}
	ticketStates := []string{StateSubmitted, StateInProgress, StateWaitingOnCustomer, StateResolved}
	for i := range tickets {
		contact := s.AddContact(Contact{Name: fmt.Sprintf("Requester %d", i), Email: fmt.Sprintf("requester%d@example.com", i)})
		admin := admins[(i+1)%len(admins)]
		id, err := s.CreateTicket(NewTicket{
			Category: categories[i%len(categories)], Title: fmt.Sprintf("Ticket %d", i),
			Description: fmt.Sprintf("<p>Something is <b>broken</b> (%d)</p>", i), ContactID: contact, Assignee: admin,
			State: ticketStates[i%len(ticketStates)], Attributes: map[string]any{"severity": []string{"low", "high"}[i%2]},
		})
		if err != nil {
			return convIDs, ticketIDs, err
		}
		for p := range parts {
			part := Part{Type: PartComment, Author: Author{Type: AuthorAdmin, ID: admin}, Body: fmt.Sprintf("<p>Update %d on ticket %d</p>", p, i)}
			if p%3 == 2 {
				part.Type = PartNote
			}
			if _, err := s.AddTicketPart(id, part); err != nil {
				return convIDs, ticketIDs, err
			}
		}
		ticketIDs = append(ticketIDs, id)
		if i%10 == 9 {
			s.Advance(time.Second)
		}
	}
	return convIDs, ticketIDs, nil
}
