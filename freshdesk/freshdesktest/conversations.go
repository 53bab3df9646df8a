package freshdesktest

import (
	"net/http"
	"net/url"
	"strconv"
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
func (s *Server) conversationsLocked(agent, id int64, q url.Values) response {
	page, per, bad := pageParams(q, 100)
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
	start := min((page-1)*per, len(rec.conversations))
	end := min(start+per, len(rec.conversations))
	out := make([]map[string]any, 0, end-start)
	for i := start; i < end; i++ {
		out = append(out, conversationJSON(&rec.conversations[i]))
	}
	resp := jsonResponse(http.StatusOK, out)
	if end < len(rec.conversations) {
		next := url.Values{"page": {strconv.Itoa(page + 1)}, "per_page": {strconv.Itoa(per)}}
		resp.header.Set("Link", "<"+s.apiURL("/api/v2/tickets/"+strconv.FormatInt(id, 10)+"/conversations", next)+`>; rel="next"`)
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
