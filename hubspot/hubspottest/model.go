package hubspottest

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Pipeline is one ticket pipeline, as GET /crm/v3/pipelines/tickets lists it.
type Pipeline struct {
	ID           string
	Label        string
	DisplayOrder int
	Stages       []Stage
}

// Stage is one stage of a pipeline. TicketState is "OPEN" or "CLOSED", the
// stage's metadata.ticketState.
type Stage struct {
	ID           string
	Label        string
	DisplayOrder int
	TicketState  string
}

// DefaultPipelines returns the pipeline a new HubSpot account starts with:
// "Support Pipeline" with id "0" and the stages "1" New, "2" Waiting on
// contact, "3" Waiting on us and "4" Closed. Real accounts rename, reorder
// and add stages with other ids; tests should use SetPipelines to prove a
// connector does not depend on these ids.
func DefaultPipelines() []Pipeline {
	return []Pipeline{{
		ID: "0", Label: "Support Pipeline", DisplayOrder: 0,
		Stages: []Stage{
			{ID: "1", Label: "New", DisplayOrder: 0, TicketState: "OPEN"},
			{ID: "2", Label: "Waiting on contact", DisplayOrder: 1, TicketState: "OPEN"},
			{ID: "3", Label: "Waiting on us", DisplayOrder: 2, TicketState: "OPEN"},
			{ID: "4", Label: "Closed", DisplayOrder: 3, TicketState: "CLOSED"},
		},
	}}
}

// SetPipelines replaces the account's ticket pipelines. A ticket created
// afterwards without hs_pipeline starts in the first stage of the first
// pipeline.
func (s *Server) SetPipelines(p []Pipeline) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pipes = clonePipelines(p)
}

// Pipelines returns the account's ticket pipelines.
func (s *Server) Pipelines() []Pipeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clonePipelines(s.pipes)
}

func clonePipelines(p []Pipeline) []Pipeline {
	out := make([]Pipeline, len(p))
	for i := range p {
		out[i] = p[i]
		out[i].Stages = slices.Clone(p[i].Stages)
	}
	return out
}

// Owner is a HubSpot user who can own records; tickets name one in
// hubspot_owner_id. An archived owner is left out of the owners list and
// read by id only with archived=true.
type Owner struct {
	ID        string // numeric; given by AddOwner when empty
	Email     string
	FirstName string
	LastName  string
	UserID    int64
	Archived  bool
}

// AddOwner adds or replaces an owner and returns its id.
func (s *Server) AddOwner(o Owner) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.ID == "" {
		o.ID = strconv.FormatInt(int64(910000+len(s.owners)+1), 10)
	}
	if o.UserID == 0 {
		id, _ := strconv.ParseInt(o.ID, 10, 64)
		o.UserID = 2000000 + id
	}
	c := o
	s.owners[o.ID] = &c
	return o.ID
}

// Contact is a CRM contact: a ticket's requester is an associated contact.
type Contact struct {
	Email     string
	FirstName string
	LastName  string
}

// Email is an email engagement logged on a ticket. Direction is
// "INCOMING_EMAIL", "EMAIL" (sent from HubSpot) or "FORWARDED_EMAIL".
type Email struct {
	Direction     string
	Subject       string
	Text          string
	HTML          string
	FromEmail     string
	FromFirstName string
	FromLastName  string
	OwnerID       string
	// Timestamp is hs_timestamp; the fake's clock when zero.
	Timestamp time.Time
}

// Note is a note engagement logged on a ticket. Body is HTML, as HubSpot
// stores hs_note_body.
type Note struct {
	Body    string
	OwnerID string
	// Timestamp is hs_timestamp; the fake's clock when zero.
	Timestamp time.Time
}

// object is one CRM record. props holds the properties other than the ones
// the fake derives (hs_object_id and the creation and modification dates);
// a nil value is a property set to null.
type object struct {
	typ        string
	id         int64
	props      map[string]*string
	createdAt  time.Time
	updatedAt  time.Time
	archived   bool
	archivedAt time.Time
	// versions is what search sees: the ticket as of each change, with the
	// time the change becomes searchable. Only tickets have versions.
	versions []version
}

type version struct {
	props     map[string]*string
	updatedAt time.Time
	archived  bool
	visibleAt time.Time
}

// searchView returns the version of o that search sees at now, and false
// when search sees no version yet.
func (o *object) searchView(now time.Time) (version, bool) {
	for i := len(o.versions) - 1; i >= 0; i-- {
		if !o.versions[i].visibleAt.After(now) {
			return o.versions[i], true
		}
	}
	return version{}, false
}

// snapshot records o's current state for search, visible after lag.
// Versions that a newer visible one hides are dropped.
func (s *Server) snapshot(o *object) {
	if o.typ != typeTickets {
		return
	}
	v := version{props: maps.Clone(o.props), updatedAt: o.updatedAt, archived: o.archived, visibleAt: s.Now().Add(s.indexLag())}
	o.versions = append(o.versions, v)
	last := -1
	for i := range o.versions {
		if !o.versions[i].visibleAt.After(s.Now()) {
			last = i
		}
	}
	if last > 0 {
		o.versions = slices.Delete(o.versions, 0, last)
	}
}

// indexLag returns the lag of the next ticket write. s.mu must be held.
func (s *Server) indexLag() time.Duration {
	s.writes++
	if s.lagNext != nil {
		return *s.lagNext
	}
	lo, hi := s.opts.IndexLag, s.opts.IndexLagMax
	if hi <= lo {
		return lo
	}
	// A fixed mix of the write's number: varied, and the same every run.
	x := uint64(s.writes) * 0x9E3779B97F4A7C15
	x ^= x >> 31
	return lo + time.Duration(x%uint64(hi-lo))
}

// SetSearchResultCap replaces HubSpot's 10,000-result cap of one search
// query, so that a test can cross it with few tickets.
func (s *Server) SetSearchResultCap(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resultCap = n
}

// SetIndexLag sets how long the ticket writes that follow take to show in
// search, whatever Options say; a negative d goes back to the Options.
// HubSpot's search index catches up at different speeds for different
// writes, so a change can show up after a newer one.
func (s *Server) SetIndexLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d < 0 {
		s.lagNext = nil
		return
	}
	s.lagNext = &d
}

func (s *Server) newObject(typ string, props map[string]string, at time.Time) *object {
	id := s.nextID[typ]
	s.nextID[typ]++
	if typ == typeEmails || typ == typeNotes { // one id space for engagements
		s.nextID[typeEmails], s.nextID[typeNotes] = id+1, id+1
	}
	o := &object{typ: typ, id: id, props: map[string]*string{}, createdAt: at, updatedAt: at}
	for k, v := range props {
		o.props[k] = ptr(v)
	}
	s.objects[typ][id] = o
	return o
}

func ptr(s string) *string { return &s }

// CreateTicket creates a ticket with the given properties, stamped with the
// fake's clock, and returns its id. hs_pipeline and hs_pipeline_stage
// default to the first pipeline and its first stage. createdate,
// hs_lastmodifieddate and hs_object_id are the fake's to set; giving them
// does nothing.
func (s *Server) CreateTicket(props map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.newObject(typeTickets, props, s.Now())
	for _, k := range derivedProps {
		delete(o.props, k)
	}
	if len(s.pipes) > 0 {
		if o.props["hs_pipeline"] == nil {
			o.props["hs_pipeline"] = ptr(s.pipes[0].ID)
		}
		if o.props["hs_pipeline_stage"] == nil && len(s.pipes[0].Stages) > 0 {
			o.props["hs_pipeline_stage"] = ptr(s.pipes[0].Stages[0].ID)
		}
	}
	s.snapshot(o)
	s.recordEvent(o.id, "ticket.creation", "", "")
	return idString(o.id)
}

// derivedProps are the ticket properties the fake computes.
var derivedProps = []string{"hs_object_id", "createdate", "hs_lastmodifieddate"}

// UpdateTicket sets properties of a ticket, stamping it with the fake's
// clock. An empty value sets the property to the empty string; use
// ClearTicketProperty for null. It panics if there is no such ticket.
func (s *Server) UpdateTicket(id string, props map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.mustTicket(id)
	for k, v := range props {
		if slices.Contains(derivedProps, k) {
			continue
		}
		o.props[k] = ptr(v)
		s.recordEvent(o.id, "ticket.propertyChange", k, v)
	}
	s.touch(o)
}

// ClearTicketProperty sets a ticket's property to null.
func (s *Server) ClearTicketProperty(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.mustTicket(id)
	o.props[name] = nil
	s.recordEvent(o.id, "ticket.propertyChange", name, "")
	s.touch(o)
}

// touch stamps a change of o at the fake's clock.
func (s *Server) touch(o *object) {
	o.updatedAt = s.Now()
	s.snapshot(o)
}

// ArchiveTicket moves a ticket to the recycle bin, as deleting it in HubSpot
// does: it leaves search, lists and batch reads, and shows only with
// archived=true, with archivedAt set.
func (s *Server) ArchiveTicket(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.mustTicket(id)
	o.archived = true
	o.archivedAt = s.Now()
	if !s.opts.ArchiveKeepsModifiedDate {
		o.updatedAt = s.Now()
	}
	s.snapshot(o)
	s.recordEvent(o.id, "ticket.deletion", "", "")
}

// RestoreTicket takes a ticket out of the recycle bin.
func (s *Server) RestoreTicket(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.mustTicket(id)
	o.archived = false
	o.archivedAt = time.Time{}
	if !s.opts.ArchiveKeepsModifiedDate {
		o.updatedAt = s.Now()
	}
	s.snapshot(o)
	s.recordEvent(o.id, "ticket.restore", "", "")
}

// PurgeTicket removes a ticket entirely, as HubSpot does 90 days after it
// was archived: it is then unknown to every endpoint.
func (s *Server) PurgeTicket(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.mustTicket(id)
	delete(s.objects[typeTickets], o.id)
}

func (s *Server) mustTicket(id string) *object {
	n, err := strconv.ParseInt(id, 10, 64)
	if o, ok := s.objects[typeTickets][n]; err == nil && ok {
		return o
	}
	panic(fmt.Sprintf("hubspottest: no ticket %q", id))
}

// TicketState is a ticket as the fake holds it, for assertions.
type TicketState struct {
	ID         string
	Properties map[string]*string // including hs_object_id and the dates
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Archived   bool
	ArchivedAt time.Time
	Contacts   []string
	Emails     []string
	Notes      []string
}

// Ticket returns a ticket's current state, archived or not.
func (s *Server) Ticket(id string) (TicketState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := strconv.ParseInt(id, 10, 64)
	o, ok := s.objects[typeTickets][n]
	if err != nil || !ok {
		return TicketState{}, false
	}
	return TicketState{
		ID:         id,
		Properties: s.allProps(o),
		CreatedAt:  o.createdAt,
		UpdatedAt:  o.updatedAt,
		Archived:   o.archived,
		ArchivedAt: o.archivedAt,
		Contacts:   idStrings(s.assoc[typeTickets+"/"+typeContacts][o.id]),
		Emails:     idStrings(s.assoc[typeTickets+"/"+typeEmails][o.id]),
		Notes:      idStrings(s.assoc[typeTickets+"/"+typeNotes][o.id]),
	}, true
}

// TicketIDs returns the ids of the tickets that are archived (or not), in
// ascending order.
func (s *Server) TicketIDs(archived bool) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id, o := range s.objects[typeTickets] {
		if o.archived == archived {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return idStrings(ids)
}

// AddContact creates a contact and returns its id.
func (s *Server) AddContact(c Contact) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	props := map[string]string{}
	setIf(props, "email", c.Email)
	setIf(props, "firstname", c.FirstName)
	setIf(props, "lastname", c.LastName)
	o := s.newObject(typeContacts, props, s.Now())
	return idString(o.id)
}

func setIf(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// AssociateContact associates a contact with a ticket, as a requester. Like
// any association it changes the ticket's hs_lastmodifieddate.
func (s *Server) AssociateContact(ticketID, contactID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.mustTicket(ticketID)
	cid, _ := strconv.ParseInt(contactID, 10, 64)
	if _, ok := s.objects[typeContacts][cid]; !ok {
		panic(fmt.Sprintf("hubspottest: no contact %q", contactID))
	}
	s.associate(o, typeContacts, cid)
}

func (s *Server) associate(t *object, to string, id int64) {
	key := typeTickets + "/" + to
	if s.assoc[key] == nil {
		s.assoc[key] = map[int64][]int64{}
	}
	if !slices.Contains(s.assoc[key][t.id], id) {
		s.assoc[key][t.id] = append(s.assoc[key][t.id], id)
	}
	if to == typeContacts || !s.opts.EngagementsKeepModifiedDate {
		s.touch(t)
	}
	s.recordEvent(t.id, "ticket.associationChange", "", "")
}

// AddEmail logs an email engagement on a ticket and returns its id. It
// changes the ticket's hs_lastmodifieddate, as HubSpot's rollup properties
// of a ticket's activity do.
func (s *Server) AddEmail(ticketID string, e Email) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.mustTicket(ticketID)
	ts := e.Timestamp
	if ts.IsZero() {
		ts = s.Now()
	}
	props := map[string]string{"hs_timestamp": s.formatDate(ts)}
	setIf(props, "hs_email_direction", e.Direction)
	setIf(props, "hs_email_subject", e.Subject)
	setIf(props, "hs_email_text", e.Text)
	setIf(props, "hs_email_html", e.HTML)
	setIf(props, "hs_email_from_email", e.FromEmail)
	setIf(props, "hs_email_from_firstname", e.FromFirstName)
	setIf(props, "hs_email_from_lastname", e.FromLastName)
	setIf(props, "hubspot_owner_id", e.OwnerID)
	o := s.newObject(typeEmails, props, s.Now())
	s.associate(t, typeEmails, o.id)
	return idString(o.id)
}

// AddNote logs a note on a ticket and returns its id. It changes the
// ticket's hs_lastmodifieddate.
func (s *Server) AddNote(ticketID string, n Note) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.mustTicket(ticketID)
	ts := n.Timestamp
	if ts.IsZero() {
		ts = s.Now()
	}
	props := map[string]string{"hs_timestamp": s.formatDate(ts), "hs_note_body": n.Body}
	setIf(props, "hubspot_owner_id", n.OwnerID)
	o := s.newObject(typeNotes, props, s.Now())
	s.associate(t, typeNotes, o.id)
	return idString(o.id)
}

// formatDate writes a date property as HubSpot does: ISO-8601 with
// milliseconds, or epoch milliseconds with Options.EpochMillisDates.
func (s *Server) formatDate(t time.Time) string {
	if s.opts.EpochMillisDates {
		return strconv.FormatInt(t.UnixMilli(), 10)
	}
	return t.UTC().Format(isoMillis)
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func idStrings(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = idString(id)
	}
	return out
}
