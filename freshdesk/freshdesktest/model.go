package freshdesktest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"
)

// ErrNotFound is returned by the mutators for a ticket, contact or agent the
// fake does not hold.
var ErrNotFound = errors.New("freshdesktest: not found")

// The built-in status codes of Freshdesk tickets. Codes from 6 up are an
// account's custom statuses (AddStatus).
const (
	StatusOpen     = 2
	StatusPending  = 3
	StatusResolved = 4
	StatusClosed   = 5
)

// The priority codes.
const (
	PriorityLow    = 1
	PriorityMedium = 2
	PriorityHigh   = 3
	PriorityUrgent = 4
)

// The source codes of tickets: the channel a ticket came in through.
const (
	SourceEmail          = 1
	SourcePortal         = 2
	SourcePhone          = 3
	SourceChat           = 7
	SourceFeedbackWidget = 9
	SourceOutboundEmail  = 10
)

// The source codes of conversations.
const (
	ConversationReply = 0
	ConversationNote  = 2
)

// Ticket is a ticket as the fake stores it. Zero ids are rendered as JSON
// null, as Freshdesk renders unset ids.
type Ticket struct {
	ID              int64
	Subject         string
	Description     string // HTML
	DescriptionText string // plain text; derived from Description when empty
	Status          int    // 2 to 5, or a custom status code from 6
	Priority        int    // 1 to 4
	Source          int    // 1 email, 2 portal, 3 phone, 7 chat, ...
	Type            string // "Question", "Incident", ... or ""
	RequesterID     int64
	ResponderID     int64 // the assigned agent; 0 when unassigned
	GroupID         int64
	CompanyID       int64
	Tags            []string
	// CustomFields holds values by the field's API name ("cf_product"):
	// strings, numbers, bools or nil.
	CustomFields map[string]any
	Spam         bool
	Deleted      bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Contact is a customer: a ticket's requester.
type Contact struct {
	ID    int64
	Name  string
	Email string
	Phone string
}

// Agent is a member of the support team. TicketScope is 1 (all tickets), 2
// (tickets of the agent's groups) or 3 (tickets assigned to the agent).
type Agent struct {
	ID          int64
	Name        string
	Email       string
	TicketScope int
}

// Conversation is a reply or a note on a ticket. The ticket's first message
// is its description, not a conversation.
type Conversation struct {
	ID       int64
	TicketID int64
	UserID   int64  // the contact or agent who wrote it
	Body     string // HTML
	BodyText string // plain text; derived from Body when empty
	// Incoming is true for a message from the customer.
	Incoming bool
	// Private is true for an internal note.
	Private   bool
	Source    int // ConversationReply or ConversationNote
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Status is one choice of the ticket_fields status field: its code, the
// label agents see and the label customers see.
type Status struct {
	Code          int
	Label         string
	CustomerLabel string
}

// CustomField is a custom ticket field of the account, listed by
// ticket_fields.
type CustomField struct {
	Name  string // API name, "cf_product"
	Label string // "Product"
	Type  string // "custom_text", "custom_dropdown", "custom_checkbox", "custom_number", ...
}

type ticketRecord struct {
	Ticket
	conversations []Conversation
	tie           uint64 // the order among tickets with equal sort keys
}

func cloneTicket(t Ticket) Ticket {
	t.Tags = slices.Clone(t.Tags)
	t.CustomFields = maps.Clone(t.CustomFields)
	return t
}

// defaultStatuses are the built-in choices of the status field.
func defaultStatuses() []Status {
	return []Status{
		{StatusOpen, "Open", "Being Processed"},
		{StatusPending, "Pending", "Awaiting your Reply"},
		{StatusResolved, "Resolved", "This ticket has been Resolved"},
		{StatusClosed, "Closed", "This ticket has been Closed"},
	}
}

// AddStatus adds a custom status to the account's status field and returns
// its code (6 for the first). CustomerLabel defaults to label.
func (s *Server) AddStatus(label, customerLabel string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if customerLabel == "" {
		customerLabel = label
	}
	code := s.statuses[len(s.statuses)-1].Code + 1
	s.statuses = append(s.statuses, Status{Code: code, Label: label, CustomerLabel: customerLabel})
	return code
}

// Statuses returns the status field's choices, built-in ones first.
func (s *Server) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.statuses)
}

// AddCustomField adds a custom ticket field to ticket_fields.
func (s *Server) AddCustomField(f CustomField) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fields = append(s.fields, f)
}

func (s *Server) validStatusLocked(code int) bool {
	return slices.ContainsFunc(s.statuses, func(st Status) bool { return st.Code == code })
}

func (s *Server) nextIDLocked() int64 {
	s.lastID++
	return s.lastID
}

// CreateContact adds a contact; a zero ID takes the next id and an empty
// name or email a generated one.
func (s *Server) CreateContact(c Contact) Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createContactLocked(c)
}

func (s *Server) createContactLocked(c Contact) Contact {
	if c.ID == 0 {
		c.ID = s.nextIDLocked()
	}
	if c.Name == "" {
		c.Name = personName(int(c.ID))
	}
	if c.Email == "" {
		c.Email = fmt.Sprintf("customer%d@example.com", c.ID)
	}
	s.contacts[c.ID] = &c
	return c
}

// CreateAgent adds an agent; TicketScope defaults to 1 (all tickets).
func (s *Server) CreateAgent(a Agent) Agent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createAgentLocked(a)
}

func (s *Server) createAgentLocked(a Agent) Agent {
	if a.ID == 0 {
		a.ID = s.nextIDLocked()
	}
	if a.Name == "" {
		a.Name = personName(int(a.ID) + 7)
	}
	if a.Email == "" {
		a.Email = fmt.Sprintf("agent%d@example.com", a.ID)
	}
	if a.TicketScope == 0 {
		a.TicketScope = 1
	}
	s.agents[a.ID] = &a
	return a
}

// Contact returns a contact by id.
func (s *Server) Contact(id int64) (Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.contacts[id]
	if !ok {
		return Contact{}, false
	}
	return *c, true
}

// Agent returns an agent by id.
func (s *Server) Agent(id int64) (Agent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.agents[id]
	if !ok {
		return Agent{}, false
	}
	return *a, true
}

// SetTicketScope changes the ticket scope of the agent the API key belongs
// to: 2 or 3 make it see only some tickets.
func (s *Server) SetTicketScope(scope int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.agents[s.meID].TicketScope = scope
}

// CreateTicket adds a ticket and returns it as stored. A zero ID takes the
// next id, zero times the clock; Status defaults to Open, Priority to Low,
// Source to Email, RequesterID to a new contact.
func (s *Server) CreateTicket(t Ticket) (Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createTicketLocked(t)
}

func (s *Server) createTicketLocked(t Ticket) (Ticket, error) {
	now := s.now().Truncate(time.Second) // the API's times have whole seconds
	if t.ID == 0 {
		t.ID = s.nextTicketID
	}
	if _, dup := s.tickets[t.ID]; dup {
		return Ticket{}, fmt.Errorf("freshdesktest: ticket %d already exists", t.ID)
	}
	if t.ID >= s.nextTicketID {
		s.nextTicketID = t.ID + 1
	}
	if t.Status == 0 {
		t.Status = StatusOpen
	}
	if !s.validStatusLocked(t.Status) {
		return Ticket{}, fmt.Errorf("freshdesktest: status %d is not a choice of the status field", t.Status)
	}
	if t.Priority == 0 {
		t.Priority = PriorityLow
	}
	if t.Source == 0 {
		t.Source = SourceEmail
	}
	if t.RequesterID == 0 {
		t.RequesterID = s.createContactLocked(Contact{}).ID
	}
	if _, ok := s.contacts[t.RequesterID]; !ok {
		return Ticket{}, fmt.Errorf("freshdesktest: requester %d: %w", t.RequesterID, ErrNotFound)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = t.CreatedAt
	}
	if t.Description == "" && t.DescriptionText != "" {
		t.Description = "<div>" + htmlEscape(t.DescriptionText) + "</div>"
	}
	if t.DescriptionText == "" {
		t.DescriptionText = plainText(t.Description)
	}
	t = cloneTicket(t)
	s.tickets[t.ID] = &ticketRecord{Ticket: t, tie: mix(t.ID)}
	return cloneTicket(t), nil
}

// UpdateTicket applies change to a ticket and stamps its updated_at with the
// clock (or keeps a later time change set). Deleted and spam tickets can be
// updated too, as the API can restore them.
func (s *Server) UpdateTicket(id int64, change func(*Ticket)) (Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[id]
	if !ok {
		return Ticket{}, fmt.Errorf("freshdesktest: ticket %d: %w", id, ErrNotFound)
	}
	t := cloneTicket(rec.Ticket)
	before := t.UpdatedAt
	change(&t)
	t.ID = id
	if !s.validStatusLocked(t.Status) {
		return Ticket{}, fmt.Errorf("freshdesktest: status %d is not a choice of the status field", t.Status)
	}
	if !t.UpdatedAt.After(before) {
		t.UpdatedAt = s.touchLocked(before)
	}
	if t.DescriptionText == "" || t.Description != rec.Description && t.DescriptionText == rec.DescriptionText {
		t.DescriptionText = plainText(t.Description)
	}
	rec.Ticket = t
	return cloneTicket(t), nil
}

// touchLocked returns the time a change made now stamps: the clock's
// second. Two changes within one second leave updated_at where the first
// put it, as Freshdesk's whole-second updated_at does; it never runs ahead
// of the clock, since Freshdesk stamps a change when it is made and a
// ticket changed later never shows an earlier updated_at than one changed
// before it.
func (s *Server) touchLocked(before time.Time) time.Time {
	if now := s.now().Truncate(time.Second); now.After(before) {
		return now
	}
	return before
}

// SetStatus changes a ticket's status.
func (s *Server) SetStatus(id int64, code int) (Ticket, error) {
	return s.UpdateTicket(id, func(t *Ticket) { t.Status = code })
}

// DeleteTicket moves a ticket to the trash: it leaves the default listing,
// appears under filter=deleted, and GET tickets/{id} shows it with
// "deleted": true. Its updated_at moves.
func (s *Server) DeleteTicket(id int64) error {
	_, err := s.UpdateTicket(id, func(t *Ticket) { t.Deleted = true })
	return err
}

// MarkSpam marks a ticket as spam: it leaves the default listing and
// appears under filter=spam. Its updated_at moves.
func (s *Server) MarkSpam(id int64) error {
	_, err := s.UpdateTicket(id, func(t *Ticket) { t.Spam = true })
	return err
}

// PurgeTicket deletes a ticket for good, as emptying the trash does: every
// endpoint answers 404 for it from then on.
func (s *Server) PurgeTicket(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tickets[id]; !ok {
		return fmt.Errorf("freshdesktest: ticket %d: %w", id, ErrNotFound)
	}
	delete(s.tickets, id)
	return nil
}

// AddConversation adds a reply or note to a ticket and moves the ticket's
// updated_at. A zero ID takes the next id; a zero UserID is the requester
// for an incoming message and the API key's agent otherwise.
func (s *Server) AddConversation(ticketID int64, c Conversation) (Conversation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[ticketID]
	if !ok {
		return Conversation{}, fmt.Errorf("freshdesktest: ticket %d: %w", ticketID, ErrNotFound)
	}
	return s.addConversationLocked(rec, c, true), nil
}

func (s *Server) addConversationLocked(rec *ticketRecord, c Conversation, touch bool) Conversation {
	if c.ID == 0 {
		c.ID = s.nextIDLocked()
	}
	c.TicketID = rec.ID
	if c.UserID == 0 {
		if c.Incoming {
			c.UserID = rec.RequesterID
		} else {
			c.UserID = s.meID
		}
	}
	if c.Private {
		c.Source = ConversationNote
	}
	if c.Body == "" {
		c.Body = "<div>" + htmlEscape(c.BodyText) + "</div>"
	}
	if c.BodyText == "" {
		c.BodyText = plainText(c.Body)
	}
	if touch {
		rec.UpdatedAt = s.touchLocked(rec.UpdatedAt)
		if c.CreatedAt.IsZero() {
			c.CreatedAt = rec.UpdatedAt
		}
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	rec.conversations = append(rec.conversations, c)
	return c
}

// AddReply adds a public reply: from the customer when incoming, else from
// the API key's agent.
func (s *Server) AddReply(ticketID int64, text string, incoming bool) (Conversation, error) {
	return s.AddConversation(ticketID, Conversation{BodyText: text, Incoming: incoming, Source: ConversationReply})
}

// AddNote adds a private note by the API key's agent.
func (s *Server) AddNote(ticketID int64, text string) (Conversation, error) {
	return s.AddConversation(ticketID, Conversation{BodyText: text, Private: true})
}

// Ticket returns a ticket by id, deleted and spam ones included.
func (s *Server) Ticket(id int64) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[id]
	if !ok {
		return Ticket{}, false
	}
	return cloneTicket(rec.Ticket), true
}

// Tickets returns every ticket the fake holds, deleted and spam ones
// included, by id.
func (s *Server) Tickets() []Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Ticket, 0, len(s.tickets))
	for _, rec := range s.tickets {
		out = append(out, cloneTicket(rec.Ticket))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Conversations returns a ticket's conversations, oldest first.
func (s *Server) Conversations(ticketID int64) []Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[ticketID]
	if !ok {
		return nil
	}
	return slices.Clone(rec.conversations)
}
