package freshdesktest

import (
	"net/http"
	"strconv"

	"github.com/ticketsync/ticketsync/internal/fakeapi"
)

func conversationJSON(c *Conversation) map[string]any {
	return map[string]any{
		"id": c.ID, "ticket_id": c.TicketID, "user_id": c.UserID, "body": c.Body, "body_text": c.BodyText,
		"incoming": c.Incoming, "private": c.Private, "source": c.Source, "support_email": nil,
		"from_email": nil, "to_emails": []string{}, "cc_emails": []string{}, "bcc_emails": []string{},
		"attachments": []any{}, "created_at": ts(c.CreatedAt), "updated_at": ts(c.UpdatedAt),
	}
}

// conversationsLocked serves GET /api/v2/tickets/{id}/conversations.
func (s *Server) conversationsLocked(r *http.Request, agent, id int64) response {
	page, per, bad := pageParams(r.URL.Query(), 100)
	if bad != nil {
		return *bad
	}
	rec, ok := s.tickets[id]
	if !ok {
		return notFound()
	}
	if !s.visibleLocked(agent, &rec.Ticket) {
		return codeError(http.StatusForbidden, "access_denied", "You are not authorized to perform this action.")
	}
	start, end, more := fakeapi.Window(len(rec.conversations), page, per)
	out := make([]map[string]any, 0, end-start)
	for i := start; i < end; i++ {
		out = append(out, conversationJSON(&rec.conversations[i]))
	}
	resp := jsonResponse(http.StatusOK, out)
	if more {
		fakeapi.SetLinkNext(resp.header, r, "page", strconv.Itoa(page+1))
	}
	return resp
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}
