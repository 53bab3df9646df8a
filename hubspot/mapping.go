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

type pipelinesResponse struct {
	Results []struct {
		ID     string          `json:"id"`
		Label  string          `json:"label"`
		Stages []pipelineStage `json:"stages"`
	} `json:"results"`
}

type pipelineStage struct {
	ID           string            `json:"id"`
	Label        string            `json:"label"`
	DisplayOrder int               `json:"displayOrder"`
	Archived     bool              `json:"archived"`
	Metadata     map[string]string `json:"metadata"`
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
