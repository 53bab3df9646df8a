package intercomtest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// ErrNotFound is returned by the mutators for a conversation, ticket,
// contact or admin the fake does not hold, or one that is deleted.
var ErrNotFound = errors.New("intercomtest: not found")

// Author types of sources and parts, as Intercom writes them.
const (
	AuthorAdmin = "admin"
	AuthorUser  = "user"
	AuthorLead  = "lead"
	AuthorBot   = "bot"
)

// Part types the fake writes. Intercom's list is open; these are the ones
// a ticket sync meets most.
const (
	PartComment      = "comment"
	PartNote         = "note"
	PartAssignment   = "assignment"
	PartOpen         = "open"
	PartClose        = "close"
	PartSnoozed      = "snoozed"
	PartTicketState  = "ticket_state_updated_by_admin"
	PartAttrByAdmin  = "conversation_attribute_updated_by_admin"
	PartTicketCreate = "ticket_created"
)

// Ticket state categories (ticket_state.category in 2.12 and later, the
// plain ticket_state string before).
const (
	StateSubmitted         = "submitted"
	StateInProgress        = "in_progress"
	StateWaitingOnCustomer = "waiting_on_customer"
	StateResolved          = "resolved"
)

// Ticket categories: Customer tickets, Back-office tickets and Tracker
// tickets, as the ticket and ticket_type objects name them.
const (
	CategoryCustomer   = "Customer"
	CategoryBackOffice = "Back-office"
	CategoryTracker    = "Tracker"
)

// Admin is a teammate of the workspace.
type Admin struct {
	ID    string // numeric, as text
	Name  string
	Email string
}

// Contact is a user or lead of the workspace.
type Contact struct {
	ID         string // 24 hexadecimal digits, as Intercom's
	Role       string // "user" (default) or "lead"
	Name       string
	Email      string
	ExternalID string
	CreatedAt  time.Time
}

// Author is who wrote a source or a part.
type Author struct {
	Type string // AuthorAdmin, AuthorUser, AuthorLead, AuthorBot
	ID   string
}

// Part is one entry of a conversation's or ticket's thread.
type Part struct {
	ID        string
	Type      string // PartComment, PartNote, PartAssignment, ...
	Body      string // HTML; "" is rendered as null
	Author    Author
	CreatedAt time.Time
	UpdatedAt time.Time
	// AssignedTo is the admin an assignment part assigned to.
	AssignedTo string
	// TicketState and PreviousTicketState are set on ticket state parts.
	TicketState, PreviousTicketState string
}

// Conversation is a conversation as the fake stores it.
type Conversation struct {
	ID        string
	Title     string
	CreatedAt time.Time
	UpdatedAt time.Time
	// State is "open", "closed" or "snoozed".
	State        string
	SnoozedUntil time.Time
	Read         bool
	// Priority is "priority" or "not_priority".
	Priority string
	// AdminAssigneeID is the assigned admin's id, "" when unassigned.
	AdminAssigneeID string
	TeamAssigneeID  string
	Tags            []string // tag names
	// Source is the message that started the conversation.
	SourceType   string // conversation, email, facebook, instagram, phone_call, phone_switch, push, sms, twitter, whatsapp
	SourceID     string
	DeliveredAs  string
	Subject      string // HTML, often empty
	Body         string // HTML
	SourceAuthor Author
	SourceURL    string
	ContactIDs   []string
	CustomAttrs  map[string]any
	Parts        []Part // oldest first
	Deleted      bool
	tagIDs       []string
	rank         uint64 // the search index's order, redrawn on each change
}

// Ticket is a ticket as the fake stores it.
type Ticket struct {
	ID       string // the API id
	TicketID string // the number shown in the Inbox
	Category string // CategoryCustomer, CategoryBackOffice, CategoryTracker
	// Title and Description are the _default_title_ and
	// _default_description_ ticket attributes.
	Title       string
	Description string
	// Attributes are the other ticket attributes, by name.
	Attributes map[string]any
	// State is the ticket state's category: StateSubmitted, ...
	State           string
	TypeID          string
	TypeName        string
	ContactIDs      []string
	AdminAssigneeID string // "" when unassigned; rendered "0"
	TeamAssigneeID  string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Open            bool
	SnoozedUntil    time.Time
	IsShared        bool
	Parts           []Part
	Deleted         bool
	rank            uint64
}

// NewConversation describes a conversation to create.
type NewConversation struct {
	Subject    string // HTML, may be empty
	Body       string // HTML
	ContactID  string // the contact who wrote it; required unless FromAdmin
	FromAdmin  string // an admin who started it (an outbound message)
	SourceType string // default "conversation"; "email", "phone_call", ...
	Title      string
	Priority   bool
	Assignee   string // admin id
	Tags       []string
	Attributes map[string]any
}

// NewTicket describes a ticket to create.
type NewTicket struct {
	Category    string // default CategoryCustomer
	Title       string
	Description string // plain text or HTML
	ContactID   string
	Assignee    string // admin id
	State       string // default StateSubmitted
	Attributes  map[string]any
	Shared      bool
}

// ticketStates is the workspace's default ticket states: their ids and
// labels, by category.
var ticketStates = map[string]struct{ id, internal, external string }{
	StateSubmitted:         {"8577", "Submitted", "Submitted"},
	StateInProgress:        {"8578", "In progress", "In progress"},
	StateWaitingOnCustomer: {"8579", "Waiting on customer", "Waiting on you"},
	StateResolved:          {"8580", "Resolved", "Resolved"},
}

// ticketTypes is the workspace's ticket types, one per category.
var ticketTypes = map[string]struct{ id, name string }{
	CategoryCustomer:   {"100", "Question"},
	CategoryBackOffice: {"101", "Back-office task"},
	CategoryTracker:    {"102", "Bug tracker"},
}

// AddAdmin adds a teammate and returns its id.
func (s *Server) AddAdmin(a Admin) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.ID == "" {
		s.nextAdmin++
		a.ID = strconv.FormatInt(991267000+s.nextAdmin, 10)
	}
	s.admins[a.ID] = &a
	s.adminOrder = append(s.adminOrder, a.ID)
	return a.ID
}

// AddContact adds a contact and returns its id. A contact is found by
// POST /contacts/search only Options.ContactSearchLag after it was created.
func (s *Server) AddContact(c Contact) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ID == "" {
		s.nextContact++
		c.ID = fmt.Sprintf("6762f0%018x", s.nextContact)
	}
	if c.Role == "" {
		c.Role = "user"
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.nowLocked()
	}
	s.contacts[c.ID] = &c
	return c.ID
}

// CreateConversation starts a conversation and returns its id.
func (s *Server) CreateConversation(nc NewConversation) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var author Author
	switch {
	case nc.FromAdmin != "":
		if s.admins[nc.FromAdmin] == nil {
			return "", fmt.Errorf("%w: admin %s", ErrNotFound, nc.FromAdmin)
		}
		author = Author{Type: AuthorAdmin, ID: nc.FromAdmin}
	default:
		c := s.contacts[nc.ContactID]
		if c == nil {
			return "", fmt.Errorf("%w: contact %q", ErrNotFound, nc.ContactID)
		}
		author = Author{Type: c.Role, ID: c.ID}
	}
	if nc.Assignee != "" && s.admins[nc.Assignee] == nil {
		return "", fmt.Errorf("%w: admin %s", ErrNotFound, nc.Assignee)
	}
	now := s.nowLocked()
	s.nextConversation++
	s.nextSource++
	c := &Conversation{
		ID:              strconv.FormatInt(s.nextConversation, 10),
		Title:           nc.Title,
		CreatedAt:       now,
		UpdatedAt:       now,
		State:           "open",
		Priority:        "not_priority",
		AdminAssigneeID: nc.Assignee,
		SourceType:      nc.SourceType,
		SourceID:        strconv.FormatInt(403918000+s.nextSource, 10),
		DeliveredAs:     "customer_initiated",
		Subject:         nc.Subject,
		Body:            nc.Body,
		SourceAuthor:    author,
		ContactIDs:      []string{nc.ContactID},
		CustomAttrs:     maps.Clone(nc.Attributes),
	}
	if nc.FromAdmin != "" {
		c.DeliveredAs = "admin_initiated"
		if nc.ContactID == "" {
			c.ContactIDs = nil
		}
	}
	if c.SourceType == "" {
		c.SourceType = "conversation"
	}
	if nc.Priority {
		c.Priority = "priority"
	}
	if c.CustomAttrs == nil {
		c.CustomAttrs = map[string]any{}
	}
	for _, name := range nc.Tags {
		c.Tags = append(c.Tags, name)
		c.tagIDs = append(c.tagIDs, s.tagIDLocked(name))
	}
	c.rank = s.rng.Uint64()
	s.conversations[c.ID] = c
	s.indexLocked(KindConversation, c.ID)
	s.recordLocked("conversation.user.created", c.ID, false)
	return c.ID, nil
}

// AddPart appends a part to a conversation: a reply (PartComment), a note
// (PartNote) or any other part type. Its author must be a known admin or
// contact. It returns the part's id.
func (s *Server) AddPart(conversationID string, p Part) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conversations[conversationID]
	if c == nil || c.Deleted {
		return "", fmt.Errorf("%w: conversation %s", ErrNotFound, conversationID)
	}
	if err := s.checkAuthorLocked(p.Author); err != nil {
		return "", err
	}
	s.appendPartLocked(&c.Parts, &p)
	s.touchConversationLocked(c, p.CreatedAt)
	topic := "conversation.admin.replied"
	switch {
	case p.Type == PartNote:
		topic = "conversation.admin.noted"
	case p.Author.Type != AuthorAdmin && p.Author.Type != AuthorBot:
		topic = "conversation.user.replied"
	}
	s.recordLocked(topic, c.ID, false)
	return p.ID, nil
}

// Reply adds a public reply by an admin (or a contact) to a conversation.
func (s *Server) Reply(conversationID string, author Author, html string) (string, error) {
	return s.AddPart(conversationID, Part{Type: PartComment, Author: author, Body: html})
}

// Note adds an internal note by an admin to a conversation.
func (s *Server) Note(conversationID, adminID, html string) (string, error) {
	return s.AddPart(conversationID, Part{Type: PartNote, Author: Author{Type: AuthorAdmin, ID: adminID}, Body: html})
}

// SetState opens, closes or snoozes a conversation, as the admin does, with
// the part Intercom writes for it. until is the snooze's end.
func (s *Server) SetState(conversationID, adminID, state string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conversations[conversationID]
	if c == nil || c.Deleted {
		return fmt.Errorf("%w: conversation %s", ErrNotFound, conversationID)
	}
	p := Part{Author: Author{Type: AuthorAdmin, ID: adminID}}
	topic := ""
	switch state {
	case "open":
		p.Type, topic = PartOpen, "conversation.admin.opened"
		c.SnoozedUntil = time.Time{}
	case "closed":
		p.Type, topic = PartClose, "conversation.admin.closed"
		c.SnoozedUntil = time.Time{}
	case "snoozed":
		p.Type, topic = PartSnoozed, "conversation.admin.snoozed"
		c.SnoozedUntil = until
	default:
		return fmt.Errorf("intercomtest: state %q is not open, closed or snoozed", state)
	}
	c.State = state
	s.appendPartLocked(&c.Parts, &p)
	s.touchConversationLocked(c, p.CreatedAt)
	s.recordLocked(topic, c.ID, false)
	return nil
}

// Assign assigns a conversation to an admin ("" unassigns), with an
// assignment part.
func (s *Server) Assign(conversationID, byAdmin, toAdmin string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conversations[conversationID]
	if c == nil || c.Deleted {
		return fmt.Errorf("%w: conversation %s", ErrNotFound, conversationID)
	}
	if toAdmin != "" && s.admins[toAdmin] == nil {
		return fmt.Errorf("%w: admin %s", ErrNotFound, toAdmin)
	}
	c.AdminAssigneeID = toAdmin
	p := Part{Type: PartAssignment, Author: Author{Type: AuthorAdmin, ID: byAdmin}, AssignedTo: toAdmin}
	s.appendPartLocked(&c.Parts, &p)
	s.touchConversationLocked(c, p.CreatedAt)
	s.recordLocked("conversation.admin.assigned", c.ID, false)
	return nil
}

// UpdateConversation changes a conversation through fn (its title, tags,
// priority, attributes...) and marks it updated, as an attribute change
// by an admin does.
func (s *Server) UpdateConversation(conversationID string, fn func(*Conversation)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conversations[conversationID]
	if c == nil || c.Deleted {
		return fmt.Errorf("%w: conversation %s", ErrNotFound, conversationID)
	}
	fn(c)
	c.tagIDs = c.tagIDs[:0]
	for _, name := range c.Tags {
		c.tagIDs = append(c.tagIDs, s.tagIDLocked(name))
	}
	s.touchConversationLocked(c, time.Time{})
	topic := "conversation.priority.updated"
	s.recordLocked(topic, c.ID, false)
	return nil
}

// DeleteConversation deletes a conversation for good: it leaves search and
// answers 404, and a conversation.deleted notification is recorded.
func (s *Server) DeleteConversation(conversationID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conversations[conversationID]
	if c == nil || c.Deleted {
		return fmt.Errorf("%w: conversation %s", ErrNotFound, conversationID)
	}
	c.Deleted = true
	s.indexLocked(KindConversation, c.ID)
	s.recordLocked("conversation.deleted", c.ID, false)
	return nil
}

// CreateTicket creates a ticket and returns its API id.
func (s *Server) CreateTicket(nt NewTicket) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if nt.Category == "" {
		nt.Category = CategoryCustomer
	}
	typ, ok := ticketTypes[nt.Category]
	if !ok {
		return "", fmt.Errorf("intercomtest: ticket category %q is not Customer, Back-office or Tracker", nt.Category)
	}
	if nt.State == "" {
		nt.State = StateSubmitted
	}
	if _, ok := ticketStates[nt.State]; !ok {
		return "", fmt.Errorf("intercomtest: ticket state %q is unknown", nt.State)
	}
	if nt.ContactID != "" && s.contacts[nt.ContactID] == nil {
		return "", fmt.Errorf("%w: contact %q", ErrNotFound, nt.ContactID)
	}
	if nt.Assignee != "" && s.admins[nt.Assignee] == nil {
		return "", fmt.Errorf("%w: admin %s", ErrNotFound, nt.Assignee)
	}
	now := s.nowLocked()
	s.nextTicket++
	s.nextTicketNumber++
	t := &Ticket{
		ID:              strconv.FormatInt(s.nextTicket, 10),
		TicketID:        strconv.FormatInt(s.nextTicketNumber, 10),
		Category:        nt.Category,
		Title:           nt.Title,
		Description:     nt.Description,
		Attributes:      maps.Clone(nt.Attributes),
		State:           nt.State,
		TypeID:          typ.id,
		TypeName:        typ.name,
		AdminAssigneeID: nt.Assignee,
		CreatedAt:       now,
		UpdatedAt:       now,
		Open:            nt.State != StateResolved,
		IsShared:        nt.Shared,
		rank:            s.rng.Uint64(),
	}
	if nt.ContactID != "" {
		t.ContactIDs = []string{nt.ContactID}
	}
	if t.Attributes == nil {
		t.Attributes = map[string]any{}
	}
	author := Author{Type: AuthorAdmin, ID: nt.Assignee}
	if nt.ContactID != "" {
		author = Author{Type: s.contacts[nt.ContactID].Role, ID: nt.ContactID}
	} else if author.ID == "" && len(s.adminOrder) > 0 {
		author.ID = s.adminOrder[0]
	}
	p := Part{Type: PartTicketState, Author: author, TicketState: nt.State, PreviousTicketState: nt.State}
	s.appendPartLocked(&t.Parts, &p)
	s.tickets[t.ID] = t
	s.indexLocked(KindTicket, t.ID)
	s.recordLocked("ticket.created", t.ID, true)
	return t.ID, nil
}

// AddTicketPart appends a part to a ticket: a reply (PartComment) or a
// note (PartNote). It returns the part's id.
func (s *Server) AddTicketPart(ticketID string, p Part) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[ticketID]
	if t == nil || t.Deleted {
		return "", fmt.Errorf("%w: ticket %s", ErrNotFound, ticketID)
	}
	if err := s.checkAuthorLocked(p.Author); err != nil {
		return "", err
	}
	s.appendPartLocked(&t.Parts, &p)
	s.touchTicketLocked(t, p.CreatedAt)
	topic := "ticket.admin.replied"
	switch {
	case p.Type == PartNote:
		topic = "ticket.note.created"
	case p.Author.Type != AuthorAdmin && p.Author.Type != AuthorBot:
		topic = "ticket.contact.replied"
	}
	s.recordLocked(topic, t.ID, true)
	return p.ID, nil
}

// SetTicketState moves a ticket to the state of category state, with the
// part Intercom writes for it; a resolved ticket is no longer open.
func (s *Server) SetTicketState(ticketID, adminID, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[ticketID]
	if t == nil || t.Deleted {
		return fmt.Errorf("%w: ticket %s", ErrNotFound, ticketID)
	}
	if _, ok := ticketStates[state]; !ok {
		return fmt.Errorf("intercomtest: ticket state %q is unknown", state)
	}
	p := Part{Type: PartTicketState, Author: Author{Type: AuthorAdmin, ID: adminID}, TicketState: state, PreviousTicketState: t.State}
	t.State = state
	t.Open = state != StateResolved
	s.appendPartLocked(&t.Parts, &p)
	s.touchTicketLocked(t, p.CreatedAt)
	s.recordLocked("ticket.state.updated", t.ID, true)
	return nil
}

// UpdateTicket changes a ticket through fn (its title, description,
// attributes, assignee...) and marks it updated.
func (s *Server) UpdateTicket(ticketID string, fn func(*Ticket)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[ticketID]
	if t == nil || t.Deleted {
		return fmt.Errorf("%w: ticket %s", ErrNotFound, ticketID)
	}
	fn(t)
	s.touchTicketLocked(t, time.Time{})
	s.recordLocked("ticket.attribute.updated", t.ID, true)
	return nil
}

// DeleteTicket deletes a ticket: it leaves search and answers 404.
func (s *Server) DeleteTicket(ticketID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[ticketID]
	if t == nil || t.Deleted {
		return fmt.Errorf("%w: ticket %s", ErrNotFound, ticketID)
	}
	t.Deleted = true
	s.indexLocked(KindTicket, t.ID)
	s.recordLocked("ticket.deleted", t.ID, true)
	return nil
}

// Conversation returns a copy of a conversation, deleted or not.
func (s *Server) Conversation(id string) (Conversation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.conversations[id]
	if c == nil {
		return Conversation{}, false
	}
	out := *c
	out.Tags = slices.Clone(c.Tags)
	out.ContactIDs = slices.Clone(c.ContactIDs)
	out.CustomAttrs = maps.Clone(c.CustomAttrs)
	out.Parts = slices.Clone(c.Parts)
	return out, true
}

// Ticket returns a copy of a ticket, deleted or not.
func (s *Server) Ticket(id string) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[id]
	if t == nil {
		return Ticket{}, false
	}
	out := *t
	out.ContactIDs = slices.Clone(t.ContactIDs)
	out.Attributes = maps.Clone(t.Attributes)
	out.Parts = slices.Clone(t.Parts)
	return out, true
}

// ConversationIDs returns the ids of the conversations, in creation order,
// with the deleted ones when deleted is true.
func (s *Server) ConversationIDs(deleted bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, c := range s.conversations {
		if deleted || !c.Deleted {
			ids = append(ids, c.ID)
		}
	}
	return sortNumeric(ids)
}

// TicketIDs returns the ids of the tickets, in creation order, with the
// deleted ones when deleted is true.
func (s *Server) TicketIDs(deleted bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, t := range s.tickets {
		if deleted || !t.Deleted {
			ids = append(ids, t.ID)
		}
	}
	return sortNumeric(ids)
}

// AdminByID returns a teammate.
func (s *Server) AdminByID(id string) (Admin, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.admins[id]
	if a == nil {
		return Admin{}, false
	}
	return *a, true
}

// ContactByID returns a contact.
func (s *Server) ContactByID(id string) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.contacts[id]
	if c == nil {
		return Contact{}, false
	}
	return *c, true
}

func sortNumeric(ids []string) []string {
	slices.SortFunc(ids, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	return ids
}

func (s *Server) checkAuthorLocked(a Author) error {
	switch a.Type {
	case AuthorAdmin, AuthorBot:
		if s.admins[a.ID] == nil {
			return fmt.Errorf("%w: admin %s", ErrNotFound, a.ID)
		}
	case AuthorUser, AuthorLead:
		if s.contacts[a.ID] == nil {
			return fmt.Errorf("%w: contact %s", ErrNotFound, a.ID)
		}
	default:
		return fmt.Errorf("intercomtest: author type %q is not admin, bot, user or lead", a.Type)
	}
	return nil
}

// appendPartLocked stamps p with an id and the clock and appends it.
func (s *Server) appendPartLocked(parts *[]Part, p *Part) {
	s.nextPart++
	p.ID = strconv.FormatInt(s.nextPart, 10)
	now := s.nowLocked()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	*parts = append(*parts, *p)
}

// touchConversationLocked marks c changed at the clock (or at, when later)
// and moves it in the search index's order.
func (s *Server) touchConversationLocked(c *Conversation, at time.Time) {
	now := s.nowLocked()
	if at.After(now) {
		now = at
	}
	c.UpdatedAt = now
	c.rank = s.rng.Uint64()
	s.indexLocked(KindConversation, c.ID)
}

func (s *Server) touchTicketLocked(t *Ticket, at time.Time) {
	now := s.nowLocked()
	if at.After(now) {
		now = at
	}
	t.UpdatedAt = now
	t.rank = s.rng.Uint64()
	s.indexLocked(KindTicket, t.ID)
}

// tagIDLocked returns the id of the tag named name, creating it.
func (s *Server) tagIDLocked(name string) string {
	if id, ok := s.tags[name]; ok {
		return id
	}
	id := strconv.Itoa(17000 + len(s.tags))
	s.tags[name] = id
	return id
}
