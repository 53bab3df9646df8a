package zendesktest

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// ErrNotFound is returned by the mutators for a ticket or user the fake does
// not hold (or, for tickets, one that is deleted).
var ErrNotFound = errors.New("zendesktest: not found")

// Ticket is a ticket as the fake stores it. Zero values mean "not set": an
// empty Priority, Type or ExternalID and a zero AssigneeID are rendered as
// JSON null, the way Zendesk renders them.
type Ticket struct {
	ID          int64
	Subject     string
	Description string // the first comment's plain text
	// Status is one of new, open, pending, hold, solved, closed; DeleteTicket
	// sets "deleted", which only the incremental export shows.
	Status       string
	Priority     string // "", low, normal, high, urgent
	Type         string // "", problem, incident, question, task
	Channel      string // via.channel: web, email, api, chat, ...
	RequesterID  int64
	SubmitterID  int64
	AssigneeID   int64
	GroupID      int64
	OrgID        int64
	BrandID      int64
	ExternalID   string
	Tags         []string
	CustomFields []CustomField
	CreatedAt    time.Time
	UpdatedAt    time.Time // moves on changes that create a ticket event
	// GeneratedAt is the export's generated_timestamp: it moves on every
	// change, including ones that leave UpdatedAt alone (TouchTicket).
	GeneratedAt time.Time
	// AIAgent marks a ticket handled by an AI agent. The incremental exports
	// leave such tickets and their events out unless asked for them with
	// support_type_scope=all or ai_agent.
	AIAgent bool
}

// CustomField is one entry of a ticket's custom_fields. Value is any JSON
// value: a string, a number, a bool, a list of strings or nil.
type CustomField struct {
	ID    int64
	Value any
}

// User is a Zendesk user: an end user (requester) or a staff member.
type User struct {
	ID        int64
	Name      string
	Email     string
	Role      string // "end-user", "agent" or "admin"
	TimeZone  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Comment is one comment on a ticket. Public false is an internal note.
type Comment struct {
	ID       int64
	TicketID int64
	AuthorID int64
	// Type is the audit event type that carries the comment: "Comment"
	// (the default), "VoiceComment" or "FacebookComment".
	Type     string
	Body     string // the comment's text, as the API's body field
	HTMLBody string // generated from Body when empty
	// PlainBody is the API's plain_body; when empty it is derived from
	// Body the way the fake renders plain text (see the package doc), so
	// it differs from Body for comments with paragraphs.
	PlainBody string
	Public    bool
	Channel   string // via.channel; "web" when empty
	CreatedAt time.Time
	AuditID   int64
}

// childEvent is one change within an audit of the ticket_events export.
type childEvent struct {
	ID   int64
	Type string // Create, Change, Comment, CommentPrivacyChange, CommentRedactionEvent, Notification, ...
	// Field, Value and Previous describe a Create or Change.
	Field    string
	Value    any
	Previous any
	// CommentID names the comment of a Comment, CommentPrivacyChange or
	// CommentRedactionEvent.
	CommentID int64
	// Extra holds the properties of other event types as rendered.
	Extra map[string]any
}

// audit is one update of one ticket, as the ticket_events export lists it.
type audit struct {
	ID        int64
	TicketID  int64
	UpdaterID int64
	Channel   string
	At        time.Time
	Children  []childEvent
}

// ticketRecord is the fake's own state for a ticket.
type ticketRecord struct {
	Ticket
	comments     []Comment
	prevStatus   string
	prevPriority string
}

func cloneTicket(t Ticket) Ticket {
	t.Tags = slices.Clone(t.Tags)
	t.CustomFields = slices.Clone(t.CustomFields)
	return t
}

var validStatus = map[string]bool{"new": true, "open": true, "pending": true, "hold": true, "solved": true, "closed": true}

// CreateTicket adds a ticket and returns it as stored. A zero ID takes the
// next id; zero times take the clock; Status defaults to "new", Channel to
// "web"; RequesterID and SubmitterID default to a generated end user. The
// Description becomes the ticket's first, public comment by the requester.
func (s *Server) CreateTicket(t Ticket) (Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createTicketLocked(t)
}

func (s *Server) createTicketLocked(t Ticket) (Ticket, error) {
	now := s.Now()
	if t.ID == 0 {
		t.ID = s.nextTicketID
	}
	if _, dup := s.tickets[t.ID]; dup {
		return Ticket{}, fmt.Errorf("zendesktest: ticket %d already exists", t.ID)
	}
	if t.ID >= s.nextTicketID {
		s.nextTicketID = t.ID + 1
	}
	if t.Status == "" {
		t.Status = "new"
	}
	if !validStatus[t.Status] {
		return Ticket{}, fmt.Errorf("zendesktest: invalid status %q", t.Status)
	}
	if t.Channel == "" {
		t.Channel = "web"
	}
	if t.RequesterID == 0 {
		u := s.createUserLocked(User{Role: "end-user"})
		t.RequesterID = u.ID
	}
	if _, ok := s.users[t.RequesterID]; !ok {
		return Ticket{}, fmt.Errorf("zendesktest: requester %d: %w", t.RequesterID, ErrNotFound)
	}
	if t.SubmitterID == 0 {
		t.SubmitterID = t.RequesterID
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = t.CreatedAt
	}
	if t.GeneratedAt.IsZero() {
		t.GeneratedAt = t.UpdatedAt
	}
	t = cloneTicket(t)
	rec := &ticketRecord{Ticket: t}
	s.tickets[t.ID] = rec
	a := s.newAuditLocked(t.ID, t.SubmitterID, t.Channel, t.CreatedAt)
	for _, f := range []struct {
		name string
		v    any
	}{{"subject", t.Subject}, {"status", t.Status}, {"priority", nullable(t.Priority)}, {"type", nullable(t.Type)},
		{"requester_id", t.RequesterID}, {"assignee_id", nullableID(t.AssigneeID)}, {"tags", tagsOrEmpty(t.Tags)}} {
		a.Children = append(a.Children, childEvent{ID: s.nextID(), Type: "Create", Field: f.name, Value: f.v})
	}
	if t.Description != "" {
		c := Comment{ID: s.nextID(), TicketID: t.ID, AuthorID: t.RequesterID, Body: t.Description,
			Public: true, Channel: t.Channel, CreatedAt: t.CreatedAt, AuditID: a.ID}
		rec.comments = append(rec.comments, c)
		a.Children = append(a.Children, childEvent{ID: c.ID, Type: "Comment", CommentID: c.ID})
	}
	s.audits = append(s.audits, a)
	return cloneTicket(rec.Ticket), nil
}

// UpdateTicket changes a ticket through fn and stamps UpdatedAt and
// GeneratedAt with the clock. fn may not change the ID; a change of Status to
// "deleted" is refused (use DeleteTicket).
func (s *Server) UpdateTicket(id int64, fn func(*Ticket)) (Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[id]
	if !ok || rec.Status == "deleted" {
		return Ticket{}, fmt.Errorf("zendesktest: ticket %d: %w", id, ErrNotFound)
	}
	before := cloneTicket(rec.Ticket)
	t := cloneTicket(rec.Ticket)
	fn(&t)
	if t.ID != id {
		return Ticket{}, fmt.Errorf("zendesktest: update of ticket %d may not change its id", id)
	}
	if !validStatus[t.Status] {
		return Ticket{}, fmt.Errorf("zendesktest: invalid status %q", t.Status)
	}
	now := s.Now()
	t.UpdatedAt, t.GeneratedAt = now, now
	a := s.newAuditLocked(id, s.adminID, "api", now)
	change := func(field string, prev, cur any) {
		a.Children = append(a.Children, childEvent{ID: s.nextID(), Type: "Change", Field: field, Value: cur, Previous: prev})
	}
	if before.Subject != t.Subject {
		change("subject", before.Subject, t.Subject)
	}
	if before.Status != t.Status {
		change("status", before.Status, t.Status)
		rec.prevStatus = before.Status
	}
	if before.Priority != t.Priority {
		change("priority", nullable(before.Priority), nullable(t.Priority))
		rec.prevPriority = before.Priority
	}
	if before.Type != t.Type {
		change("type", nullable(before.Type), nullable(t.Type))
	}
	if before.AssigneeID != t.AssigneeID {
		change("assignee_id", nullableID(before.AssigneeID), nullableID(t.AssigneeID))
	}
	if before.RequesterID != t.RequesterID {
		change("requester_id", before.RequesterID, t.RequesterID)
	}
	if !slices.Equal(before.Tags, t.Tags) {
		change("tags", tagsOrEmpty(before.Tags), tagsOrEmpty(t.Tags))
	}
	s.audits = append(s.audits, a)
	rec.Ticket = cloneTicket(t)
	return cloneTicket(t), nil
}

// TouchTicket models a system update: GeneratedAt moves to the clock's time,
// UpdatedAt stays and no ticket event is recorded. The export therefore lists
// the ticket again with an updated_at older than its generated_timestamp.
func (s *Server) TouchTicket(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[id]
	if !ok {
		return fmt.Errorf("zendesktest: ticket %d: %w", id, ErrNotFound)
	}
	rec.GeneratedAt = s.Now()
	return nil
}

// DeleteTicket soft-deletes a ticket: its status becomes "deleted", it
// disappears from show, show_many and comments (404), and the incremental
// export lists it once more with status "deleted" unless exclude_deleted=true.
func (s *Server) DeleteTicket(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[id]
	if !ok || rec.Status == "deleted" {
		return fmt.Errorf("zendesktest: ticket %d: %w", id, ErrNotFound)
	}
	now := s.Now()
	rec.prevStatus = rec.Status
	a := s.newAuditLocked(id, s.adminID, "web", now)
	a.Children = append(a.Children, childEvent{ID: s.nextID(), Type: "Change", Field: "status", Value: "deleted", Previous: rec.Status})
	s.audits = append(s.audits, a)
	rec.Status = "deleted"
	rec.UpdatedAt, rec.GeneratedAt = now, now
	return nil
}

// AddComment adds a comment to a ticket and stamps the ticket's UpdatedAt
// and GeneratedAt. A zero AuthorID means the ticket's requester; a zero
// CreatedAt means the clock's time. It returns the comment as stored.
func (s *Server) AddComment(ticketID int64, c Comment) (Comment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[ticketID]
	if !ok || rec.Status == "deleted" {
		return Comment{}, fmt.Errorf("zendesktest: ticket %d: %w", ticketID, ErrNotFound)
	}
	if c.AuthorID == 0 {
		c.AuthorID = rec.RequesterID
	}
	if _, ok := s.users[c.AuthorID]; !ok {
		return Comment{}, fmt.Errorf("zendesktest: author %d: %w", c.AuthorID, ErrNotFound)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.Now()
	}
	if c.Channel == "" {
		c.Channel = "web"
	}
	switch c.Type {
	case "":
		c.Type = "Comment"
	case "Comment", "VoiceComment", "FacebookComment":
	default:
		return Comment{}, fmt.Errorf("zendesktest: comment type %q is not modelled", c.Type)
	}
	a := s.newAuditLocked(ticketID, c.AuthorID, c.Channel, c.CreatedAt)
	c.ID, c.TicketID, c.AuditID = s.nextID(), ticketID, a.ID
	a.Children = append(a.Children, childEvent{ID: c.ID, Type: "Comment", CommentID: c.ID})
	s.audits = append(s.audits, a)
	rec.comments = append(rec.comments, c)
	if c.CreatedAt.After(rec.UpdatedAt) {
		rec.UpdatedAt = c.CreatedAt
	}
	if c.CreatedAt.After(rec.GeneratedAt) {
		rec.GeneratedAt = c.CreatedAt
	}
	return c, nil
}

// CreateUser adds a user and returns it as stored. A zero ID takes the next
// id; Role defaults to "end-user"; Name and Email are generated when empty.
func (s *Server) CreateUser(u User) (User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID != 0 {
		if _, dup := s.users[u.ID]; dup {
			return User{}, fmt.Errorf("zendesktest: user %d already exists", u.ID)
		}
	}
	switch u.Role {
	case "", "end-user", "agent", "admin":
	default:
		return User{}, fmt.Errorf("zendesktest: invalid role %q", u.Role)
	}
	return s.createUserLocked(u), nil
}

func (s *Server) createUserLocked(u User) User {
	if u.ID == 0 {
		u.ID = s.nextID()
	}
	if u.Role == "" {
		u.Role = "end-user"
	}
	n := len(s.users) + 1
	if u.Name == "" {
		u.Name = fmt.Sprintf("%s %s", firstNames[n%len(firstNames)], lastNames[(n/len(firstNames))%len(lastNames)])
	}
	if u.Email == "" {
		u.Email = fmt.Sprintf("%s.%d@example.com", strings.ToLower(strings.Fields(u.Name)[0]), n)
	}
	if u.TimeZone == "" {
		u.TimeZone = "UTC"
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = s.Now()
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	s.users[u.ID] = &u
	return u
}

// Ticket returns the stored ticket, deleted ones included.
func (s *Server) Ticket(id int64) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[id]
	if !ok {
		return Ticket{}, false
	}
	return cloneTicket(rec.Ticket), true
}

// Tickets returns every stored ticket, deleted ones included, by id.
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

// Comments returns a ticket's comments, oldest first.
func (s *Server) Comments(ticketID int64) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[ticketID]
	if !ok {
		return nil
	}
	return slices.Clone(rec.comments)
}

// User returns a stored user.
func (s *Server) User(id int64) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return *u, true
}

func (s *Server) newAuditLocked(ticketID, updaterID int64, channel string, at time.Time) audit {
	return audit{ID: s.nextID(), TicketID: ticketID, UpdaterID: updaterID, Channel: channel, At: at}
}

// nextID hands out the ids of users, comments, audits and events: large, as
// Zendesk's are, so that 32-bit truncation shows.
func (s *Server) nextID() int64 {
	s.lastID++
	return s.lastID
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullableID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func tagsOrEmpty(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return tags
}

// MakeCommentPrivate turns a public comment into an internal note, as an
// agent does with "Make internal note": the ticket gets an audit with a
// CommentPrivacyChange event (comment_id, public false), and its UpdatedAt
// moves. Zendesk offers no way back to public.
func (s *Server) MakeCommentPrivate(ticketID, commentID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, i, err := s.commentLocked(ticketID, commentID)
	if err != nil {
		return err
	}
	if !rec.comments[i].Public {
		return fmt.Errorf("zendesktest: comment %d is already private", commentID)
	}
	rec.comments[i].Public = false
	now := s.Now()
	a := s.newAuditLocked(ticketID, s.adminID, "web", now)
	a.Children = append(a.Children, childEvent{ID: s.nextID(), Type: "CommentPrivacyChange", CommentID: commentID,
		Extra: map[string]any{"public": false}})
	s.audits = append(s.audits, a)
	rec.UpdatedAt, rec.GeneratedAt = now, now
	return nil
}

// RedactComment permanently removes text from a comment, as the agent
// workspace's redaction does: every occurrence of text in the body becomes
// as many "▇" characters, the old text is gone from every answer of the
// fake (export, comments API, webhooks), and the ticket gets an audit with a
// CommentRedactionEvent (comment_id only, no text) and a new UpdatedAt.
func (s *Server) RedactComment(ticketID, commentID int64, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, i, err := s.commentLocked(ticketID, commentID)
	if err != nil {
		return err
	}
	c := &rec.comments[i]
	if text == "" || !strings.Contains(c.Body, text) {
		return fmt.Errorf("zendesktest: comment %d does not hold the text to redact", commentID)
	}
	mask := strings.Repeat("▇", len([]rune(text)))
	c.Body = strings.ReplaceAll(c.Body, text, mask)
	c.HTMLBody = strings.ReplaceAll(c.HTMLBody, text, mask)
	c.PlainBody = strings.ReplaceAll(c.PlainBody, text, mask)
	if rec.Description != "" && i == 0 {
		rec.Description = strings.ReplaceAll(rec.Description, text, mask)
	}
	now := s.Now()
	a := s.newAuditLocked(ticketID, s.adminID, "web", now)
	a.Children = append(a.Children, childEvent{ID: s.nextID(), Type: "CommentRedactionEvent", CommentID: commentID})
	s.audits = append(s.audits, a)
	rec.UpdatedAt, rec.GeneratedAt = now, now
	return nil
}

func (s *Server) commentLocked(ticketID, commentID int64) (*ticketRecord, int, error) {
	rec, ok := s.tickets[ticketID]
	if !ok || rec.Status == "deleted" {
		return nil, 0, fmt.Errorf("zendesktest: ticket %d: %w", ticketID, ErrNotFound)
	}
	i := slices.IndexFunc(rec.comments, func(c Comment) bool { return c.ID == commentID })
	if i < 0 {
		return nil, 0, fmt.Errorf("zendesktest: comment %d of ticket %d: %w", commentID, ticketID, ErrNotFound)
	}
	return rec, i, nil
}

// AddAudit records a ticket update that carries no comment and changes no
// field the API shows, such as a trigger's notification or an SLA target
// change: the ticket_events export lists it (event types Notification,
// SlaTargetChange, ...) and the ticket's GeneratedAt moves. Real tickets
// carry several such audits for each comment.
func (s *Server) AddAudit(ticketID int64, eventType string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tickets[ticketID]
	if !ok || rec.Status == "deleted" {
		return fmt.Errorf("zendesktest: ticket %d: %w", ticketID, ErrNotFound)
	}
	now := s.Now()
	s.addSystemAuditLocked(rec, eventType, now)
	rec.GeneratedAt = now
	return nil
}

// addSystemAuditLocked appends an audit by the system holding one event
// of eventType at at.
func (s *Server) addSystemAuditLocked(rec *ticketRecord, eventType string, at time.Time) {
	a := s.newAuditLocked(rec.ID, -1, "rule", at)
	a.Children = append(a.Children, childEvent{ID: s.nextID(), Type: eventType, Extra: systemEvent(eventType, rec)})
	s.audits = append(s.audits, a)
}

// systemEvent renders the properties of a non-comment audit event.
func systemEvent(eventType string, rec *ticketRecord) map[string]any {
	switch eventType {
	case "Notification":
		return map[string]any{"subject": "[{{ticket.account}}] Re: {{ticket.title}}",
			"body": "Your request has been updated.", "recipients": []int64{rec.RequesterID}}
	case "SlaTargetChange":
		return map[string]any{"field_name": "first_reply_time",
			"value": map[string]any{"minutes": 60, "in_business_hours": false}, "previous_value": nil}
	case "SatisfactionRating":
		return map[string]any{"score": "offered", "assignee_id": nullableID(rec.AssigneeID), "body": ""}
	}
	return map[string]any{}
}

// EventsSince counts the ticket updates (audits) the ticket_events export
// holds at or after t, for any support type.
func (s *Server) EventsSince(t time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, a := range s.audits {
		if a.At.Unix() >= t.Unix() {
			n++
		}
	}
	return n
}
