package intercomtest

import (
	"strconv"
	"strings"
	"time"
)

// version is an Intercom-Version as two numbers; Unstable is above every
// numbered version.
type version struct{ major, minor int }

func parseVersion(v string) (version, bool) {
	if strings.EqualFold(v, "Unstable") {
		return version{99, 0}, true
	}
	maj, min, ok := strings.Cut(v, ".")
	if !ok {
		return version{}, false
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if err1 != nil || err2 != nil || a < 1 || a > 2 || b < 0 || (a == 2 && b > 16) || (a == 1 && b > 4) {
		return version{}, false
	}
	return version{a, b}, true
}

func (v version) atLeast(major, minor int) bool {
	return v.major > major || (v.major == major && v.minor >= minor)
}

// unix writes t as unix seconds, or null for the zero time.
func unix(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) adminRefLocked(id string) map[string]any {
	a := s.admins[id]
	if a == nil {
		return map[string]any{"type": "admin", "id": id, "name": nil, "email": nil}
	}
	return map[string]any{"type": "admin", "id": a.ID, "name": a.Name, "email": a.Email}
}

// authorLocked renders an author as Intercom does: with the name and email
// of the admin or contact.
func (s *Server) authorLocked(a Author) map[string]any {
	out := map[string]any{"type": a.Type, "id": a.ID, "name": nil, "email": ""}
	switch a.Type {
	case AuthorAdmin, AuthorBot:
		if ad := s.admins[a.ID]; ad != nil {
			out["name"], out["email"] = ad.Name, ad.Email
		}
	case AuthorUser, AuthorLead:
		if c := s.contacts[a.ID]; c != nil {
			out["name"], out["email"] = nullable(c.Name), c.Email
		}
	}
	return out
}

func (s *Server) contactListLocked(ids []string) map[string]any {
	list := make([]any, 0, len(ids))
	for _, id := range ids {
		ref := map[string]any{"type": "contact", "id": id, "external_id": nil}
		if c := s.contacts[id]; c != nil {
			ref["external_id"] = nullable(c.ExternalID)
		}
		list = append(list, ref)
	}
	return map[string]any{"type": "contact.list", "contacts": list}
}

// renderPartLocked renders a conversation or ticket part.
func (s *Server) renderPartLocked(kind string, p Part) map[string]any {
	out := map[string]any{
		"type":        kind,
		"id":          p.ID,
		"part_type":   p.Type,
		"body":        nullable(p.Body),
		"created_at":  p.CreatedAt.Unix(),
		"updated_at":  p.UpdatedAt.Unix(),
		"author":      s.authorLocked(p.Author),
		"attachments": []any{},
		"redacted":    false,
	}
	if kind == "conversation_part" {
		out["notified_at"] = p.CreatedAt.Unix()
		out["external_id"] = nil
		out["assigned_to"] = nil
		if p.Type == PartAssignment && p.AssignedTo != "" {
			out["assigned_to"] = map[string]any{"type": "admin", "id": p.AssignedTo}
		}
	}
	if p.TicketState != "" {
		out["ticket_state"] = p.TicketState
		out["previous_ticket_state"] = p.PreviousTicketState
	}
	return out
}

// renderConversationLocked renders c as GET /conversations/{id} (withParts)
// or a search result (without) does.
func (s *Server) renderConversationLocked(c *Conversation, withParts bool) map[string]any {
	var tags []any
	for i, name := range c.Tags {
		tags = append(tags, map[string]any{"type": "tag", "id": c.tagIDs[i], "name": name, "applied_at": c.CreatedAt.Unix(),
			"applied_by": map[string]any{"type": "admin", "id": s.firstAdminLocked()}})
	}
	if tags == nil {
		tags = []any{}
	}
	var admin any
	if c.AdminAssigneeID != "" {
		n, _ := strconv.ParseInt(c.AdminAssigneeID, 10, 64)
		admin = n
	}
	var team any
	if c.TeamAssigneeID != "" {
		n, _ := strconv.ParseInt(c.TeamAssigneeID, 10, 64)
		team = n
	}
	out := map[string]any{
		"type":          "conversation",
		"id":            c.ID,
		"title":         nullable(c.Title),
		"created_at":    c.CreatedAt.Unix(),
		"updated_at":    c.UpdatedAt.Unix(),
		"waiting_since": nil,
		"snoozed_until": unix(c.SnoozedUntil),
		"open":          c.State != "closed",
		"state":         c.State,
		"read":          c.Read,
		"priority":      c.Priority,
		// Integers here, where tickets use strings.
		"admin_assignee_id": admin,
		"team_assignee_id":  team,
		"tags":              map[string]any{"type": "tag.list", "tags": tags},
		"source": map[string]any{
			"type":         c.SourceType,
			"id":           c.SourceID,
			"delivered_as": c.DeliveredAs,
			"subject":      c.Subject,
			"body":         c.Body,
			"author":       s.authorLocked(c.SourceAuthor),
			"attachments":  []any{},
			"url":          nullable(c.SourceURL),
			"redacted":     false,
		},
		"contacts":              s.contactListLocked(c.ContactIDs),
		"teammates":             nil,
		"first_contact_reply":   nil,
		"sla_applied":           nil,
		"statistics":            nil,
		"conversation_rating":   nil,
		"custom_attributes":     c.CustomAttrs,
		"topics":                map[string]any{},
		"ticket":                nil,
		"linked_objects":        map[string]any{"type": "list", "data": []any{}, "total_count": 0, "has_more": false},
		"ai_agent":              nil,
		"ai_agent_participated": false,
	}
	if withParts {
		// GET /conversations/{id} returns at most the most recent
		// PartsLimit parts, oldest first, and the total.
		parts := c.Parts
		if n := s.opts.PartsLimit; len(parts) > n {
			parts = parts[len(parts)-n:]
		}
		list := make([]any, 0, len(parts))
		for _, p := range parts {
			list = append(list, s.renderPartLocked("conversation_part", p))
		}
		out["conversation_parts"] = map[string]any{"type": "conversation_part.list", "conversation_parts": list, "total_count": len(c.Parts)}
	}
	return out
}

func (s *Server) firstAdminLocked() string {
	if len(s.adminOrder) == 0 {
		return ""
	}
	return s.adminOrder[0]
}

// renderTicketLocked renders t in the shape of version v: ticket_state is a
// plain string before 2.12 and an object from 2.12 on.
func (s *Server) renderTicketLocked(t *Ticket, v version, withParts bool) map[string]any {
	attrs := map[string]any{}
	for k, val := range t.Attributes {
		attrs[k] = val
	}
	attrs["_default_title_"] = t.Title
	attrs["_default_description_"] = nullable(t.Description)
	assignee := t.AdminAssigneeID
	if assignee == "" {
		assignee = "0"
	}
	team := t.TeamAssigneeID
	if team == "" {
		team = "0"
	}
	st := ticketStates[t.State]
	out := map[string]any{
		"type":              "ticket",
		"id":                t.ID,
		"ticket_id":         t.TicketID,
		"category":          t.Category,
		"ticket_attributes": attrs,
		"ticket_type": map[string]any{
			"type": "ticket_type", "id": t.TypeID, "name": t.TypeName, "description": "", "icon": "🎟",
			"workspace_id": s.opts.AppID, "archived": false, "is_internal": t.Category != CategoryCustomer,
			"category": t.Category,
		},
		"contacts":          s.contactListLocked(t.ContactIDs),
		"admin_assignee_id": assignee,
		"team_assignee_id":  team,
		"created_at":        t.CreatedAt.Unix(),
		"updated_at":        t.UpdatedAt.Unix(),
		"open":              t.Open,
		"snoozed_until":     unix(t.SnoozedUntil),
		"linked_objects":    map[string]any{"type": "list", "data": []any{}, "total_count": 0, "has_more": false},
		"is_shared":         t.IsShared,
	}
	if v.atLeast(2, 12) {
		out["ticket_state"] = map[string]any{"type": "ticket_state", "id": st.id, "category": t.State,
			"internal_label": st.internal, "external_label": st.external}
	} else {
		out["ticket_state"] = t.State
		out["ticket_state_internal_label"] = st.internal
		out["ticket_state_external_label"] = st.external
	}
	if withParts {
		parts := t.Parts
		if n := s.opts.PartsLimit; len(parts) > n {
			parts = parts[len(parts)-n:]
		}
		list := make([]any, 0, len(parts))
		for _, p := range parts {
			list = append(list, s.renderPartLocked("ticket_part", p))
		}
		out["ticket_parts"] = map[string]any{"type": "ticket_part.list", "ticket_parts": list, "total_count": len(t.Parts)}
	}
	return out
}

func (s *Server) renderContactLocked(c *Contact) map[string]any {
	return map[string]any{
		"type": "contact", "id": c.ID, "workspace_id": s.opts.AppID, "external_id": nullable(c.ExternalID),
		"role": c.Role, "email": c.Email, "name": nullable(c.Name), "phone": nil,
		"created_at": c.CreatedAt.Unix(), "updated_at": c.CreatedAt.Unix(),
	}
}

func (s *Server) renderAdminLocked(a *Admin) map[string]any {
	return map[string]any{
		"type": "admin", "id": a.ID, "name": a.Name, "email": a.Email, "email_verified": true,
		"job_title": nil, "away_mode_enabled": false, "away_mode_reassign": false, "has_inbox_seat": true,
		"team_ids": []any{},
	}
}
