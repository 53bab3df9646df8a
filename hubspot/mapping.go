package hubspot

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/internal/htmltext"
)

// parseTime reads a HubSpot date: ISO-8601 (with or without fraction), a
// plain date, or epoch milliseconds as a string. It reports false for
// anything else, empty included.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(n).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// prop returns a property's value, "" when it is absent or null.
func prop(p map[string]*string, name string) string {
	if v := p[name]; v != nil {
		return *v
	}
	return ""
}

// priorities maps HubSpot's hs_ticket_priority options.
var priorities = map[string]ticketsync.Priority{
	"LOW": ticketsync.PriorityLow, "MEDIUM": ticketsync.PriorityNormal,
	"HIGH": ticketsync.PriorityHigh, "URGENT": ticketsync.PriorityUrgent,
}

// mapPriority maps hs_ticket_priority; an option of the account's own that
// no word table knows is kept only as the raw priority.
func mapPriority(raw string) ticketsync.Priority {
	if p, ok := priorities[strings.ToUpper(strings.TrimSpace(raw))]; ok {
		return p
	}
	if p, ok := ticketsync.ParsePriority(raw); ok {
		return p
	}
	return ticketsync.PriorityNone
}

// mapChannel maps source_type to a channel word.
func mapChannel(raw string) string {
	switch strings.ToUpper(raw) {
	case "":
		return ""
	case "FORM":
		return "web"
	case "CHAT":
		return "chat"
	case "EMAIL":
		return "email"
	case "PHONE":
		return "phone"
	}
	return strings.ToLower(raw)
}

// stage is one pipeline stage and the status it maps to.
type stage struct {
	label  string
	status ticketsync.Status
}

// pipelineCache is the account's stages by id, loaded at a time.
type pipelineCache struct {
	stages map[string]stage
	at     time.Time
}

// stageStatus applies the stage rule to one stage of a pipeline; first is
// whether it is the pipeline's first open stage. The rule: an override in
// Config.StageStatus (by id, then label); a CLOSED stage is solved when its
// label says so, else closed; an OPEN stage takes the status its label
// names ("Waiting on contact" is pending), except solved or closed, which
// an OPEN stage is not; an OPEN stage whose label says nothing is new when
// it is the pipeline's first open stage, else open. A stage without
// ticketState follows its label, and is open when the label says nothing.
func (c *Connector) stageStatus(id, label, ticketState string, first bool) ticketsync.Status {
	if s, ok := c.cfg.StageStatus[id]; ok {
		return s
	}
	for k, s := range c.cfg.StageStatus {
		if strings.EqualFold(strings.TrimSpace(k), strings.TrimSpace(label)) {
			return s
		}
	}
	word, known := ticketsync.ParseStatus(label)
	ended := word == ticketsync.StatusSolved || word == ticketsync.StatusClosed
	switch strings.ToUpper(ticketState) {
	case "CLOSED":
		if word == ticketsync.StatusSolved {
			return ticketsync.StatusSolved
		}
		return ticketsync.StatusClosed
	case "OPEN":
		if known && !ended {
			return word
		}
	default:
		if known {
			return word
		}
	}
	if first && !known {
		return ticketsync.StatusNew
	}
	return ticketsync.StatusOpen
}

// loadStages returns the account's stages, from the cache unless it is
// older than CacheTTL or refresh is set.
func (c *Connector) loadStages(ctx context.Context, refresh bool) (map[string]stage, error) {
	c.mu.Lock()
	pc := c.pipelines
	c.mu.Unlock()
	if pc != nil && !refresh && c.now().Sub(pc.at) < c.cfg.CacheTTL {
		return pc.stages, nil
	}
	var resp pipelinesResponse
	if err := c.call(ctx, "GET", "/crm/v3/pipelines/tickets", nil, nil, &resp); err != nil {
		return nil, err
	}
	stages := map[string]stage{}
	for _, p := range resp.Results {
		open := slices.Clone(p.Stages)
		slices.SortStableFunc(open, func(a, b pipelineStage) int { return a.DisplayOrder - b.DisplayOrder })
		firstOpen := ""
		for _, s := range open {
			if !strings.EqualFold(s.Metadata["ticketState"], "CLOSED") && !s.Archived {
				firstOpen = s.ID
				break
			}
		}
		for _, s := range p.Stages {
			stages[s.ID] = stage{label: s.Label, status: c.stageStatus(s.ID, s.Label, s.Metadata["ticketState"], s.ID == firstOpen)}
		}
	}
	c.mu.Lock()
	c.pipelines = &pipelineCache{stages: stages, at: c.now()}
	c.mu.Unlock()
	return stages, nil
}

// htmlToText turns the HTML of a ticket, note or email into plain text.
func htmlToText(s string) string { return htmltext.Text(s) }

func archivedMillis(o hsObject) int64 {
	if t, ok := parseTime(o.ArchivedAt); ok {
		return t.UnixMilli()
	}
	return o.modified()
}

// mergedIDs returns the ids merged into o, its own left out.
func mergedIDs(o hsObject) []string {
	var out []string
	for _, id := range strings.Split(prop(o.Properties, mergedProp), ";") {
		if id = strings.TrimSpace(id); id != "" && id != o.ID && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// mergedTombstone is what becomes of a ticket id merged into t: a deleted
// copy of t under the old id, without comments (they live on t), whose
// Fields[FieldMergedInto] names t.
func mergedTombstone(t ticketsync.Ticket, old string) ticketsync.Ticket {
	d := t.Clone()
	d.ID, d.Deleted, d.Comments = old, true, nil
	if d.Fields == nil {
		d.Fields = map[string]string{}
	}
	d.Fields[FieldMergedInto] = t.ID
	return d
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
