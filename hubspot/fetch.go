package hubspot

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/httpx"
)

// Page sizes and batch limits of HubSpot's API.
const (
	searchLimit    = 200  // results per search request
	listLimit      = 100  // results per list request
	batchLimit     = 100  // ids per batch read
	assocLimit     = 1000 // ids per v4 association batch read
	maxAssocPages  = 10   // association pages followed per ticket and page
	maxSeen        = 1000 // ids the cursor remembers for the overlap
	cursorVersion  = 1
	phaseSearch    = ""
	phaseArchived  = "archived"
	modifiedProp   = "hs_lastmodifieddate"
	objectIDProp   = "hs_object_id"
	ownerProp      = "hubspot_owner_id"
	stageProp      = "hs_pipeline_stage"
	ticketTypeID   = "0-5"
	defaultUIHost  = "app.hubspot.com"
	accountDetails = "/account-info/v3/details"
)

// ticketProperties are the properties every ticket read asks for.
var ticketProperties = []string{"subject", "content", "hs_pipeline", stageProp, "hs_ticket_priority",
	"hs_ticket_category", ownerProp, "source_type", "createdate", modifiedProp, "closed_date"}

var (
	contactProperties = []string{"email", "firstname", "lastname"}
	emailProperties   = []string{"hs_timestamp", "hs_email_direction", "hs_email_subject", "hs_email_text", "hs_email_html",
		"hs_email_from_email", "hs_email_from_firstname", "hs_email_from_lastname", ownerProp}
	noteProperties = []string{"hs_timestamp", "hs_note_body", ownerProp}
)

func (c *Connector) properties() []string {
	out := slices.Clone(ticketProperties)
	for _, p := range c.cfg.Properties {
		if p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// cursor is the connector's position, encoded into Page.Cursor.
//
// The search phase asks for tickets modified at or after From (after it
// when Strict), oldest first, 200 at a time, and starts a new query from
// the newest modification time of every page instead of paging with
// "after": a query never comes near HubSpot's 10,000-result cap, and a
// ticket that changes while a sync runs cannot shift the pages under it.
// When a whole page shares one modification time, Tie pages through those
// tickets by id. Seen holds the ids delivered with their modification
// times, within the overlap window below Max, so that the re-read of the
// window skips what was already delivered. Once search is caught up, the
// archived phase lists the recycle bin for tickets deleted since
// ArchSince; then Rewind makes the next run start over from Max minus the
// overlap.
type cursor struct {
	V         int              `json:"v"`
	From      int64            `json:"f"`
	Strict    bool             `json:"s,omitempty"`
	Tie       *tie             `json:"t,omitempty"`
	Max       int64            `json:"m,omitempty"`
	Seen      map[string]int64 `json:"n,omitempty"`
	Phase     string           `json:"p,omitempty"`
	ArchAfter string           `json:"aa,omitempty"`
	ArchSince int64            `json:"as,omitempty"`
	ArchMax   int64            `json:"am,omitempty"`
	ArchLast  int64            `json:"al,omitempty"`
	ArchSeen  map[string]int64 `json:"an,omitempty"`
	Rewind    bool             `json:"r,omitempty"`
}

// tie pages through the tickets modified at one instant, by id.
type tie struct {
	At    int64 `json:"at"`
	After int64 `json:"id"`
}

func (c *Connector) startMillis() int64 {
	if c.cfg.StartTime.IsZero() {
		return 0
	}
	return c.cfg.StartTime.UnixMilli()
}

func (c *Connector) decodeCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{V: cursorVersion, From: c.startMillis(), ArchSince: c.startMillis()}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, fmt.Errorf("hubspot: %w: not one this connector returned", ticketsync.ErrInvalidCursor)
	}
	var cur cursor
	if err := json.Unmarshal(raw, &cur); err != nil || cur.V != cursorVersion {
		return cursor{}, fmt.Errorf("hubspot: %w: not one this connector returned", ticketsync.ErrInvalidCursor)
	}
	return cur, nil
}

func encodeCursor(cur cursor) string {
	b, err := json.Marshal(cur)
	if err != nil {
		panic(err) // a struct of strings and numbers
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hsObject is HubSpot's SimplePublicObject.
type hsObject struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"createdAt"`
	UpdatedAt  string             `json:"updatedAt"`
	Archived   bool               `json:"archived"`
	ArchivedAt string             `json:"archivedAt"`
}

// modified returns the object's modification time in milliseconds.
func (o hsObject) modified() int64 {
	if t, ok := parseTime(prop(o.Properties, modifiedProp)); ok {
		return t.UnixMilli()
	}
	if t, ok := parseTime(o.UpdatedAt); ok {
		return t.UnixMilli()
	}
	return 0
}

type nextPaging struct {
	Next *struct {
		After string `json:"after"`
	} `json:"next"`
}

type searchResponse struct {
	Total   int         `json:"total"`
	Results []hsObject  `json:"results"`
	Paging  *nextPaging `json:"paging"`
}

type filter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        string `json:"value"`
}

type searchRequest struct {
	FilterGroups []filterGroup `json:"filterGroups"`
	Sorts        []searchSort  `json:"sorts"`
	Properties   []string      `json:"properties"`
	Limit        int           `json:"limit"`
}

type filterGroup struct {
	Filters []filter `json:"filters"`
}

type searchSort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

// Fetch returns one page of tickets modified at or after cursor. See the
// package doc for the requests a page costs.
func (c *Connector) Fetch(ctx context.Context, cursorText string) (ticketsync.Page, error) {
	cur, err := c.decodeCursor(cursorText)
	if err != nil {
		return ticketsync.Page{}, err
	}
	if cur.Rewind {
		cur.Rewind = false
		cur.From = max(c.startMillis(), cur.Max-c.cfg.SearchLag.Milliseconds())
		cur.Strict, cur.Tie, cur.Phase = false, nil, phaseSearch
	}
	if cur.Phase == phaseArchived {
		return c.fetchArchived(ctx, cur)
	}
	return c.fetchSearch(ctx, cur)
}

func millisText(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
}

func (c *Connector) fetchSearch(ctx context.Context, cur cursor) (ticketsync.Page, error) {
	req := searchRequest{Properties: c.properties(), Limit: searchLimit}
	var what string
	if cur.Tie != nil {
		req.FilterGroups = []filterGroup{{Filters: []filter{
			{PropertyName: modifiedProp, Operator: "EQ", Value: strconv.FormatInt(cur.Tie.At, 10)},
			{PropertyName: objectIDProp, Operator: "GT", Value: strconv.FormatInt(cur.Tie.After, 10)},
		}}}
		req.Sorts = []searchSort{{PropertyName: objectIDProp, Direction: "ASCENDING"}}
		what = fmt.Sprintf("modified at %s after id %d", millisText(cur.Tie.At), cur.Tie.After)
	} else {
		op := "GTE"
		if cur.Strict {
			op = "GT"
		}
		req.FilterGroups = []filterGroup{{Filters: []filter{{PropertyName: modifiedProp, Operator: op, Value: strconv.FormatInt(cur.From, 10)}}}}
		req.Sorts = []searchSort{{PropertyName: modifiedProp, Direction: "ASCENDING"}}
		what = "modified since " + millisText(cur.From)
	}
	var resp searchResponse
	if err := c.call(ctx, "POST", "/crm/v3/objects/tickets/search", nil, req, &resp, httpx.WithLimiter(c.search)); err != nil {
		return ticketsync.Page{}, fmt.Errorf("hubspot: search tickets %s: %w", what, err)
	}
	if cur.Seen == nil {
		cur.Seen = map[string]int64{}
	}
	var fresh []hsObject
	var lastMod int64 = -1
	allAtFrom := true
	for _, o := range resp.Results {
		mod := o.modified()
		lastMod = mod
		if mod != cur.From {
			allAtFrom = false
		}
		cur.Max = max(cur.Max, mod)
		if prev, ok := cur.Seen[o.ID]; ok && prev >= mod {
			continue // this version (or a newer one) was delivered
		}
		cur.Seen[o.ID] = mod
		fresh = append(fresh, o)
	}
	more := resp.Paging != nil && resp.Paging.Next != nil && len(resp.Results) > 0
	switch {
	case cur.Tie != nil:
		if n := len(resp.Results); n > 0 {
			id, err := strconv.ParseInt(resp.Results[n-1].ID, 10, 64)
			if err != nil {
				return ticketsync.Page{}, fmt.Errorf("hubspot: search tickets %s: ticket id %q is not a number", what, resp.Results[n-1].ID)
			}
			cur.Tie.After = id
		}
		if !more {
			cur.From, cur.Strict, cur.Tie = cur.Tie.At, true, nil
		}
		more = true
	case len(resp.Results) == 0:
	case more && allAtFrom && !cur.Strict:
		// A whole page modified at one instant: page through it by id.
		cur.Tie = &tie{At: cur.From}
	default:
		cur.From, cur.Strict = lastMod, false
	}
	c.pruneSeen(&cur)

	tickets, err := c.build(ctx, fresh)
	if err != nil {
		return ticketsync.Page{}, fmt.Errorf("hubspot: tickets %s: %w", what, err)
	}
	if !more {
		if c.archivedDue(cur) {
			cur.Phase, cur.ArchAfter, cur.ArchMax = phaseArchived, "", cur.ArchSince
			more = true
		} else {
			cur.Rewind = true
		}
	}
	return ticketsync.Page{Tickets: tickets, Cursor: encodeCursor(cur), More: more}, nil
}

// pruneSeen keeps the ids delivered within the overlap window, at most
// maxSeen of them, the newest.
func (c *Connector) pruneSeen(cur *cursor) {
	cutoff := min(cur.Max-c.cfg.SearchLag.Milliseconds(), cur.From)
	for id, mod := range cur.Seen {
		if mod < cutoff {
			delete(cur.Seen, id)
		}
	}
	pruneMap(cur.Seen)
}

// pruneMap keeps the maxSeen entries with the greatest times.
func pruneMap(m map[string]int64) {
	if len(m) <= maxSeen {
		return
	}
	ids := slices.Collect(maps.Keys(m))
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b))
	})
	for _, id := range ids[maxSeen:] {
		delete(m, id)
	}
}

func (c *Connector) archivedDue(cur cursor) bool {
	switch d := c.cfg.ArchivedScanInterval; {
	case d < 0:
		return false
	case d == 0:
		return true
	default:
		return c.now().UnixMilli()-cur.ArchLast >= d.Milliseconds()
	}
}

type listResponse struct {
	Results []hsObject  `json:"results"`
	Paging  *nextPaging `json:"paging"`
}

// fetchArchived returns one page of the recycle bin: tombstones of the
// tickets archived since the last scan (minus the overlap).
func (c *Connector) fetchArchived(ctx context.Context, cur cursor) (ticketsync.Page, error) {
	q := url.Values{"archived": {"true"}, "limit": {strconv.Itoa(listLimit)}, "properties": {strings.Join(c.properties(), ",")}}
	if cur.ArchAfter != "" {
		q.Set("after", cur.ArchAfter)
	}
	var resp listResponse
	if err := c.call(ctx, "GET", "/crm/v3/objects/tickets", q, nil, &resp); err != nil {
		return ticketsync.Page{}, fmt.Errorf("hubspot: list deleted tickets: %w", err)
	}
	if cur.ArchSeen == nil {
		cur.ArchSeen = map[string]int64{}
	}
	var gone []hsObject
	for _, o := range resp.Results {
		at := archivedMillis(o)
		cur.ArchMax = max(cur.ArchMax, at)
		if at < cur.ArchSince {
			continue
		}
		if prev, ok := cur.ArchSeen[o.ID]; ok && prev >= at {
			continue // delivered by an earlier scan of the overlap
		}
		cur.ArchSeen[o.ID] = at
		gone = append(gone, o)
	}
	tickets, err := c.build(ctx, gone)
	if err != nil {
		return ticketsync.Page{}, fmt.Errorf("hubspot: deleted tickets: %w", err)
	}
	more := resp.Paging != nil && resp.Paging.Next != nil && resp.Paging.Next.After != "" && len(resp.Results) > 0
	if more {
		cur.ArchAfter = resp.Paging.Next.After
	} else {
		cur.ArchSince = max(cur.ArchSince, cur.ArchMax-c.cfg.SearchLag.Milliseconds())
		for id, at := range cur.ArchSeen {
			if at < cur.ArchSince {
				delete(cur.ArchSeen, id)
			}
		}
		pruneMap(cur.ArchSeen)
		cur.ArchAfter, cur.ArchMax, cur.Phase = "", 0, phaseSearch
		cur.ArchLast = c.now().UnixMilli()
		cur.Rewind = true
	}
	return ticketsync.Page{Tickets: tickets, Cursor: encodeCursor(cur), More: more}, nil
}

func archivedMillis(o hsObject) int64 {
	if t, ok := parseTime(o.ArchivedAt); ok {
		return t.UnixMilli()
	}
	return o.modified()
}

type batchResponse struct {
	Results []hsObject `json:"results"`
}

// readObjects batch-reads objects of one type by id, 100 at a time. Ids
// that do not exist (or are not in the archived state asked for) are left
// out.
func (c *Connector) readObjects(ctx context.Context, typ string, ids []string, props []string, archived bool) (map[string]hsObject, error) {
	out := map[string]hsObject{}
	for chunk := range slices.Chunk(ids, batchLimit) {
		in := struct {
			Inputs                []map[string]string `json:"inputs"`
			Properties            []string            `json:"properties"`
			PropertiesWithHistory []string            `json:"propertiesWithHistory"`
		}{Properties: props, PropertiesWithHistory: []string{}}
		for _, id := range chunk {
			in.Inputs = append(in.Inputs, map[string]string{"id": id})
		}
		var q url.Values
		if archived {
			q = url.Values{"archived": {"true"}}
		}
		var resp batchResponse
		if err := c.call(ctx, "POST", "/crm/v3/objects/"+typ+"/batch/read", q, in, &resp); err != nil {
			return nil, fmt.Errorf("read %d %s: %w", len(chunk), typ, err)
		}
		for _, o := range resp.Results {
			out[o.ID] = o
		}
	}
	return out, nil
}

// flexID is an object id that HubSpot writes as a number or a string.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexID(n.String())
	return nil
}

type assocResponse struct {
	Results []struct {
		From struct {
			ID flexID `json:"id"`
		} `json:"from"`
		To []struct {
			ToObjectID flexID `json:"toObjectId"`
		} `json:"to"`
		Paging *nextPaging `json:"paging"`
	} `json:"results"`
}

// associations returns the ids of objects of type to associated with each
// ticket, through the v4 batch read, following each ticket's pages up to
// maxAssocPages. Tickets without any are absent from the result.
func (c *Connector) associations(ctx context.Context, tickets []string, to string) (map[string][]string, error) {
	out := map[string][]string{}
	type input struct {
		ID    string `json:"id"`
		After string `json:"after,omitempty"`
	}
	pending := make([]input, 0, len(tickets))
	for _, id := range tickets {
		pending = append(pending, input{ID: id})
	}
	for page := 0; len(pending) > 0 && page < maxAssocPages; page++ {
		var next []input
		for chunk := range slices.Chunk(pending, assocLimit) {
			var resp assocResponse
			if err := c.call(ctx, "POST", "/crm/v4/associations/tickets/"+to+"/batch/read", nil,
				map[string]any{"inputs": chunk}, &resp); err != nil {
				return nil, fmt.Errorf("read %s of %d tickets: %w", to, len(chunk), err)
			}
			for _, r := range resp.Results {
				from := string(r.From.ID)
				for _, t := range r.To {
					out[from] = append(out[from], string(t.ToObjectID))
				}
				if r.Paging != nil && r.Paging.Next != nil && r.Paging.Next.After != "" {
					next = append(next, input{ID: from, After: r.Paging.Next.After})
				}
			}
		}
		pending = next
	}
	return out, nil
}

// numericDesc orders ids as numbers, greatest (newest) first.
func numericDesc(a, b string) int {
	x, _ := strconv.ParseInt(a, 10, 64)
	y, _ := strconv.ParseInt(b, 10, 64)
	return cmp.Compare(y, x)
}

// build turns ticket objects into Tickets: stages, owners, requesters and
// comments are looked up for the whole batch at once.
func (c *Connector) build(ctx context.Context, objs []hsObject) ([]ticketsync.Ticket, error) {
	if len(objs) == 0 {
		return nil, nil
	}
	if err := c.loadAccount(ctx); err != nil {
		return nil, err
	}
	stages, err := c.loadStages(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("load pipelines: %w", err)
	}
	for _, o := range objs {
		if id := prop(o.Properties, stageProp); id != "" {
			if _, ok := stages[id]; !ok {
				// A stage added since the pipelines were loaded.
				if stages, err = c.loadStages(ctx, true); err != nil {
					return nil, fmt.Errorf("load pipelines: %w", err)
				}
				break
			}
		}
	}

	var live []string
	for _, o := range objs {
		if !o.Archived {
			live = append(live, o.ID)
		}
	}
	contactsOf := map[string][]string{}
	emailsOf := map[string][]string{}
	notesOf := map[string][]string{}
	if len(live) > 0 {
		if contactsOf, err = c.associations(ctx, live, "contacts"); err != nil {
			return nil, err
		}
		if c.cfg.MaxCommentsPerTicket > 0 {
			if emailsOf, err = c.associations(ctx, live, "emails"); err != nil {
				return nil, err
			}
			if notesOf, err = c.associations(ctx, live, "notes"); err != nil {
				return nil, err
			}
		}
	}

	// The requester is the associated contact with the lowest id: the
	// first one associated, on HubSpot's increasing ids.
	requesterOf := map[string]string{}
	var contactIDs []string
	for t, ids := range contactsOf {
		first := slices.MinFunc(ids, func(a, b string) int { return -numericDesc(a, b) })
		requesterOf[t] = first
		if !slices.Contains(contactIDs, first) {
			contactIDs = append(contactIDs, first)
		}
	}
	slices.Sort(contactIDs)
	contacts := map[string]hsObject{}
	if len(contactIDs) > 0 {
		contacts, err = c.readObjects(ctx, "contacts", contactIDs, contactProperties, false)
		if forbidden(err) {
			c.warnOnce("requesters' names (scope crm.objects.contacts.read)", err)
			contacts, err = map[string]hsObject{}, nil
		}
		if err != nil {
			return nil, err
		}
	}

	// The newest MaxCommentsPerTicket emails and notes of each ticket.
	type eng struct{ id, typ string }
	picked := map[string][]eng{}
	var emailIDs, noteIDs []string
	for _, t := range live {
		var all []eng
		for _, id := range emailsOf[t] {
			all = append(all, eng{id, "emails"})
		}
		for _, id := range notesOf[t] {
			all = append(all, eng{id, "notes"})
		}
		slices.SortFunc(all, func(a, b eng) int { return numericDesc(a.id, b.id) })
		if n := max(c.cfg.MaxCommentsPerTicket, 0); len(all) > n {
			all = all[:n]
		}
		picked[t] = all
		for _, e := range all {
			if e.typ == "emails" {
				emailIDs = append(emailIDs, e.id)
			} else {
				noteIDs = append(noteIDs, e.id)
			}
		}
	}
	engagements := map[string]hsObject{}
	for _, r := range []struct {
		typ, scope string
		ids        []string
		props      []string
	}{{"emails", "sales-email-read", uniq(emailIDs), emailProperties}, {"notes", "crm.objects.contacts.read", uniq(noteIDs), noteProperties}} {
		if len(r.ids) == 0 {
			continue
		}
		got, err := c.readObjects(ctx, r.typ, r.ids, r.props, false)
		if forbidden(err) {
			c.warnOnce(r.typ+" (scope "+r.scope+")", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		for id, o := range got {
			engagements[r.typ+"/"+id] = o
		}
	}

	var ownerIDs []string
	for _, o := range objs {
		ownerIDs = append(ownerIDs, prop(o.Properties, ownerProp))
	}
	for _, e := range engagements {
		ownerIDs = append(ownerIDs, prop(e.Properties, ownerProp))
	}
	owners, err := c.resolveOwners(ctx, uniq(ownerIDs))
	if err != nil {
		return nil, err
	}

	out := make([]ticketsync.Ticket, 0, len(objs))
	for _, o := range objs {
		t := c.toTicket(o, stages, owners)
		if cid, ok := requesterOf[o.ID]; ok {
			t.Requester = personOfContact(cid, contacts[cid])
		}
		for _, e := range picked[o.ID] {
			eo, ok := engagements[e.typ+"/"+e.id]
			if !ok {
				continue
			}
			if e.typ == "emails" {
				t.Comments = append(t.Comments, emailComment(eo, owners))
			} else {
				t.Comments = append(t.Comments, noteComment(eo, owners))
			}
		}
		slices.SortStableFunc(t.Comments, func(a, b ticketsync.Comment) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
		})
		out = append(out, t)
	}
	return out, nil
}

func uniq(ids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func personOfContact(id string, o hsObject) ticketsync.Person {
	return ticketsync.Person{
		ID:    id,
		Name:  strings.TrimSpace(prop(o.Properties, "firstname") + " " + prop(o.Properties, "lastname")),
		Email: prop(o.Properties, "email"),
	}
}

func (c *Connector) ticketURL(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.portalID == 0 {
		return ""
	}
	host := c.uiDomain
	if host == "" {
		host = defaultUIHost
	}
	return "https://" + host + "/contacts/" + strconv.FormatInt(c.portalID, 10) + "/record/" + ticketTypeID + "/" + id
}

// toTicket maps a ticket object's own properties.
func (c *Connector) toTicket(o hsObject, stages map[string]stage, owners map[string]ticketsync.Person) ticketsync.Ticket {
	p := o.Properties
	t := ticketsync.Ticket{
		ID:          o.ID,
		URL:         c.ticketURL(o.ID),
		Subject:     prop(p, "subject"),
		Description: htmlToText(prop(p, "content")),
		RawPriority: prop(p, "hs_ticket_priority"),
		Channel:     mapChannel(prop(p, "source_type")),
		Deleted:     o.Archived,
	}
	t.Priority = mapPriority(t.RawPriority)
	if id := prop(p, stageProp); id != "" {
		if s, ok := stages[id]; ok {
			t.Status, t.RawStatus = s.status, s.label
		} else {
			t.Status, t.RawStatus = ticketsync.StatusOpen, id
		}
	} else {
		t.Status = ticketsync.StatusOpen
	}
	if id := prop(p, ownerProp); id != "" {
		t.Assignee = owners[id]
		t.Assignee.ID = id
	}
	for _, cat := range strings.Split(prop(p, "hs_ticket_category"), ";") {
		if cat = strings.TrimSpace(cat); cat != "" {
			t.Tags = append(t.Tags, cat)
		}
	}
	fields := map[string]string{}
	for _, name := range append([]string{"hs_pipeline", "hs_ticket_category"}, c.cfg.Properties...) {
		if v := p[name]; v != nil {
			fields[name] = *v
		}
	}
	if len(fields) > 0 {
		t.Fields = fields
	}
	if ct, ok := parseTime(prop(p, "createdate")); ok {
		t.CreatedAt = ct
	} else if ct, ok := parseTime(o.CreatedAt); ok {
		t.CreatedAt = ct
	}
	if mod := o.modified(); mod > 0 {
		t.UpdatedAt = time.UnixMilli(mod).UTC()
	}
	if o.Archived {
		if at := archivedMillis(o); at > 0 && time.UnixMilli(at).After(t.UpdatedAt) {
			t.UpdatedAt = time.UnixMilli(at).UTC()
		}
	}
	return t
}

func engagementTime(o hsObject) time.Time {
	if t, ok := parseTime(prop(o.Properties, "hs_timestamp")); ok {
		return t
	}
	t, _ := parseTime(o.CreatedAt)
	return t
}

func emailComment(o hsObject, owners map[string]ticketsync.Person) ticketsync.Comment {
	p := o.Properties
	body := prop(p, "hs_email_text")
	if strings.TrimSpace(body) == "" {
		body = htmlToText(prop(p, "hs_email_html"))
	}
	author := ticketsync.Person{
		Name:  strings.TrimSpace(prop(p, "hs_email_from_firstname") + " " + prop(p, "hs_email_from_lastname")),
		Email: prop(p, "hs_email_from_email"),
	}
	if id := prop(p, ownerProp); id != "" && prop(p, "hs_email_direction") != "INCOMING_EMAIL" {
		author = owners[id]
		author.ID = id
	}
	return ticketsync.Comment{ID: "email-" + o.ID, Author: author, Body: strings.TrimSpace(body), Public: true, CreatedAt: engagementTime(o)}
}

func noteComment(o hsObject, owners map[string]ticketsync.Person) ticketsync.Comment {
	var author ticketsync.Person
	if id := prop(o.Properties, ownerProp); id != "" {
		author = owners[id]
		author.ID = id
	}
	return ticketsync.Comment{ID: "note-" + o.ID, Author: author, Body: htmlToText(prop(o.Properties, "hs_note_body")), Public: false, CreatedAt: engagementTime(o)}
}

type ownerJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

func (o ownerJSON) person() ticketsync.Person {
	return ticketsync.Person{ID: o.ID, Email: o.Email, Name: strings.TrimSpace(o.FirstName + " " + o.LastName)}
}

// resolveOwners returns the owners with the given ids: from the cache, else
// from one listing of all owners (500 a page), else one by one, archived
// owners included. An owner that cannot be found is just its id.
func (c *Connector) resolveOwners(ctx context.Context, ids []string) (map[string]ticketsync.Person, error) {
	out := map[string]ticketsync.Person{}
	if len(ids) == 0 {
		return out, nil
	}
	c.mu.Lock()
	fresh := c.owners != nil && c.now().Sub(c.ownersAt) < c.cfg.CacheTTL
	cache := c.owners
	c.mu.Unlock()
	missing := func() []string {
		var m []string
		for _, id := range ids {
			if _, ok := cache[id]; !ok {
				m = append(m, id)
			}
		}
		return m
	}
	if !fresh {
		list, err := c.listOwners(ctx)
		if forbidden(err) {
			c.warnOnce("owners (scope crm.objects.owners.read)", err)
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		cache = list
		c.mu.Lock()
		c.owners, c.ownersAt = cache, c.now()
		c.mu.Unlock()
	}
	for _, id := range missing() {
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			continue
		}
		var o ownerJSON
		err := c.call(ctx, "GET", "/crm/v3/owners/"+id, url.Values{"archived": {"true"}}, nil, &o)
		p := ticketsync.Person{ID: id}
		switch {
		case err == nil:
			p = o.person()
		case errors.Is(err, ticketsync.ErrNotFound):
		case forbidden(err):
			c.warnOnce("owners (scope crm.objects.owners.read)", err)
			return out, nil
		default:
			return nil, fmt.Errorf("read owner %s: %w", id, err)
		}
		c.mu.Lock()
		c.owners[id] = p
		c.mu.Unlock()
	}
	c.mu.Lock()
	for _, id := range ids {
		if p, ok := c.owners[id]; ok {
			out[id] = p
		}
	}
	c.mu.Unlock()
	return out, nil
}

func (c *Connector) listOwners(ctx context.Context) (map[string]ticketsync.Person, error) {
	out := map[string]ticketsync.Person{}
	q := url.Values{"limit": {"500"}}
	for {
		var resp struct {
			Results []ownerJSON `json:"results"`
			Paging  *nextPaging `json:"paging"`
		}
		if err := c.call(ctx, "GET", "/crm/v3/owners", q, nil, &resp); err != nil {
			return nil, fmt.Errorf("list owners: %w", err)
		}
		for _, o := range resp.Results {
			out[o.ID] = o.person()
		}
		if resp.Paging == nil || resp.Paging.Next == nil || resp.Paging.Next.After == "" || len(resp.Results) == 0 {
			return out, nil
		}
		q.Set("after", resp.Paging.Next.After)
	}
}

// loadAccount learns the portal id and the web app's host once.
func (c *Connector) loadAccount(ctx context.Context) error {
	c.mu.Lock()
	done := c.uiDomain != ""
	c.mu.Unlock()
	if done {
		return nil
	}
	var d struct {
		PortalID int64  `json:"portalId"`
		UIDomain string `json:"uiDomain"`
	}
	if err := c.call(ctx, "GET", accountDetails, nil, nil, &d); err != nil {
		return fmt.Errorf("read account details: %w", err)
	}
	c.mu.Lock()
	if c.portalID == 0 {
		c.portalID = d.PortalID
	}
	c.uiDomain = cmp.Or(d.UIDomain, defaultUIHost)
	c.mu.Unlock()
	return nil
}

// GetTickets returns the tickets with the given ids, as complete as Fetch
// returns them, 100 ids per batch read. A ticket in the recycle bin comes
// back as a tombstone; one that no longer exists, or an id that is not a
// HubSpot id, is left out.
func (c *Connector) GetTickets(ctx context.Context, ids []string) ([]ticketsync.Ticket, error) {
	var valid []string
	for _, id := range uniq(ids) {
		if _, err := strconv.ParseInt(id, 10, 64); err == nil {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return nil, nil
	}
	found, err := c.readObjects(ctx, "tickets", valid, c.properties(), false)
	if err != nil {
		return nil, fmt.Errorf("hubspot: get tickets: %w", err)
	}
	var missing []string
	for _, id := range valid {
		if _, ok := found[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		gone, err := c.readObjects(ctx, "tickets", missing, c.properties(), true)
		if err != nil {
			return nil, fmt.Errorf("hubspot: get deleted tickets: %w", err)
		}
		maps.Copy(found, gone)
	}
	objs := make([]hsObject, 0, len(found))
	for _, id := range valid {
		if o, ok := found[id]; ok {
			objs = append(objs, o)
		}
	}
	tickets, err := c.build(ctx, objs)
	if err != nil {
		return nil, fmt.Errorf("hubspot: get tickets: %w", err)
	}
	return tickets, nil
}

// Test checks the token with two cheap calls: the account details (which
// also tell the portal id that webhook events are matched against) and a
// one-ticket list, which needs the "tickets" scope. A missing scope is a
// *ScopeError matching ticketsync.ErrForbidden and naming the scope.
func (c *Connector) Test(ctx context.Context) error {
	c.mu.Lock()
	c.uiDomain = "" // read the details again
	c.mu.Unlock()
	if err := c.loadAccount(ctx); err != nil {
		if errors.Is(err, ticketsync.ErrUnauthorized) {
			return fmt.Errorf("hubspot: the token was rejected; check the private app's access token (or reconnect the OAuth app): %w", err)
		}
		return fmt.Errorf("hubspot: %w", err)
	}
	err := c.call(ctx, "GET", "/crm/v3/objects/tickets", url.Values{"limit": {"1"}, "properties": {"subject"}}, nil, nil)
	if err != nil {
		return fmt.Errorf("hubspot: read tickets: %w", err)
	}
	return nil
}

// PortalID returns the account id the connector matches webhook events
// against: Config.PortalID, or what Test or a sync learned; 0 when unknown.
func (c *Connector) PortalID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.portalID
}
