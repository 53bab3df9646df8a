package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync"
)

// explainTimeout bounds the platform request and the Store reads of one
// Explain or Repair from the console.
const explainTimeout = 30 * time.Second

// maxDiffValue bounds a value shown in the differences table, in runes: a
// description can be long, and the difference is seen at its start.
const maxDiffValue = 300

// explainPage is what the explain template receives.
type explainPage struct {
	ID     string // the connector
	Ticket string // the ticket id asked about, as typed (trimmed)
	// Error says why the ticket id was refused or the repair failed;
	// shown in place of an explanation.
	Error string
	X     *ticketsync.Explanation
	// Tone is how the conclusion is shown: "ok" (in sync), "info" (nothing
	// to compare) or "bad" (the Store is wrong).
	Tone      string
	Platform  copyView
	Store     copyView
	Diffs     []diffRow
	Cursors   []cursorRow
	Runs      []runRow
	CanRepair bool
}

// copyView is one copy of the ticket, the platform's or the Store's.
type copyView struct {
	T *ticketsync.Ticket // nil when there is no copy
	// Note says why there is no copy.
	Note string
	// MergedInto is the ticket it was merged into, for the platform's.
	MergedInto string
}

// diffRow is one field in which the copies differ, shortened for a page.
type diffRow struct {
	Field, Platform, Store string
}

// cursorRow is one of the connector's cursors, said for people.
type cursorRow struct {
	Lane     string
	Position string
	Start    string // the configured start, "" when unknown
	Behind   bool
	Note     string // the backfill lane's progress
}

// explain serves GET /connectors/{id}/explain?ticket=T: why ticket T is
// missing from the Store, or stale. It changes nothing.
func (c *console) explain(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := c.syncer.Status(id); !ok {
		c.fail(w, http.StatusNotFound, "There is no connector "+strconv.Quote(id)+".")
		return
	}
	p := explainPage{ID: id, Ticket: strings.TrimSpace(r.URL.Query().Get("ticket"))}
	if msg := checkTicketID(p.Ticket); msg != "" {
		p.Error = msg
		c.renderExplain(w, r, http.StatusBadRequest, p)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), explainTimeout)
	defer cancel()
	x, err := c.syncer.Explain(ctx, id, p.Ticket)
	switch {
	case isUnknown(err):
		c.fail(w, http.StatusNotFound, "There is no connector "+strconv.Quote(id)+".")
		return
	case err != nil:
		c.log.Error("console: explain", "connector", id, "err", err)
		c.fail(w, http.StatusInternalServerError, "The sync history could not be read from the store, so the ticket cannot be explained. Try again.")
		return
	}
	p.fill(x)
	c.renderExplain(w, r, http.StatusOK, p)
}

// repair serves POST /connectors/{id}/repair: it stores the platform's copy
// of the form's ticket now (Syncer.Repair) and shows the explanation again.
func (c *console) repair(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := c.syncer.Status(id); !ok {
		c.fail(w, http.StatusNotFound, "There is no connector "+strconv.Quote(id)+".")
		return
	}
	p := explainPage{ID: id, Ticket: strings.TrimSpace(r.PostFormValue("ticket"))}
	if msg := checkTicketID(p.Ticket); msg != "" {
		p.Error = msg
		c.renderExplain(w, r, http.StatusBadRequest, p)
		return
	}
	// The repair goes on if the person leaves the page: it is one request
	// and one write.
	ctx, cancel := context.WithTimeout(background(r), explainTimeout)
	defer cancel()
	t, err := c.syncer.Repair(ctx, id, p.Ticket)
	if err != nil {
		if isUnknown(err) {
			c.fail(w, http.StatusNotFound, "There is no connector "+strconv.Quote(id)+".")
			return
		}
		c.log.Warn("console: repair failed", "connector", id, "err", err)
		p.Error = "Not repaired: " + err.Error()
		status := http.StatusConflict // no TicketGetter, or nothing to store
		if api := (*ticketsync.APIError)(nil); errors.As(err, &api) || errors.Is(err, context.DeadlineExceeded) {
			status = http.StatusBadGateway
		}
		c.renderExplain(w, r, status, p)
		return
	}
	c.log.Info("console: repaired", "connector", id, "ticket", p.Ticket, "deleted", t.Deleted)
	code := "repaired"
	if t.Deleted {
		code = "tombstoned"
	}
	c.redirect(w, r, c.connectorLink(id, "/explain?"+url.Values{"ticket": {p.Ticket}, "done": {code}}.Encode()))
}

func (c *console) renderExplain(w http.ResponseWriter, r *http.Request, status int, p explainPage) {
	title := "Explain a ticket · " + p.ID
	if p.Ticket != "" && p.Error == "" {
		title = "Ticket " + p.Ticket + " · " + p.ID
	}
	c.render(w, status, "explain", title, "connectors", p, c.flash(r))
}

// checkTicketID returns why id cannot be a ticket id, or "".
func checkTicketID(id string) string {
	if id == "" {
		return "Enter the id of a ticket, as the platform shows it."
	}
	if err := ticketsync.CheckID(id); err != nil {
		return "This cannot be a ticket id: it is longer than " + strconv.Itoa(ticketsync.MaxIDLen) +
			" bytes, holds a NUL character, or is not valid UTF-8."
	}
	return ""
}

// fill sets what the template shows of x.
func (p *explainPage) fill(x *ticketsync.Explanation) {
	p.X = x
	switch x.Verdict {
	case ticketsync.VerdictInSync:
		p.Tone = "ok"
	case ticketsync.VerdictNotFound, ticketsync.VerdictUnknown:
		p.Tone = "info"
	default:
		p.Tone = "bad"
	}
	p.Platform = copyView{T: x.OnPlatform, MergedInto: x.MergedInto}
	switch {
	case x.OnPlatform != nil:
	case !x.PlatformChecked:
		p.Platform.Note = "Not asked: " + x.PlatformError + "."
	case x.PlatformError != "":
		p.Platform.Note = "The platform could not be asked: " + x.PlatformError
	default:
		p.Platform.Note = "The platform has no such ticket (or no longer: deleted or merged)."
	}
	p.Store = copyView{T: x.InStore}
	switch {
	case x.InStore != nil:
	case x.StoreError != "":
		p.Store.Note = "The Store could not be read: " + x.StoreError
	default:
		p.Store.Note = "The Store has no such ticket."
	}
	for _, d := range x.Diffs {
		p.Diffs = append(p.Diffs, diffRow{Field: d.Field, Platform: shorten(d.Platform), Store: shorten(d.Store)})
	}
	for _, cur := range x.Cursors {
		p.Cursors = append(p.Cursors, cursorOf(cur))
	}
	for _, run := range x.Runs {
		row := runRow{SyncRun: run}
		if !run.FinishedAt.IsZero() {
			row.Duration = duration(run.FinishedAt.Sub(run.StartedAt))
		}
		p.Runs = append(p.Runs, row)
	}
	switch x.Verdict {
	case ticketsync.VerdictInSync, ticketsync.VerdictNotFound:
	default:
		p.CanRepair = x.PlatformChecked
	}
}

// cursorOf says where a cursor stands.
func cursorOf(cur ticketsync.CursorPosition) cursorRow {
	row := cursorRow{Lane: cur.Lane, Behind: cur.Behind}
	switch {
	case !cur.Saved && cur.Error != "":
		row.Position = "Unreadable: " + cur.Error
	case !cur.Saved:
		row.Position = "None saved yet: the next run starts at the configured start"
	case !cur.Described && cur.Error != "":
		row.Position = "Saved, unreadable: " + cur.Error
	case !cur.Described:
		row.Position = "Saved (the connector does not say where it stands)"
	case cur.Checkpoint.IsZero():
		row.Position = "Saved, position unknown (mid-pass)"
	default:
		row.Position = "Read up to " + stamp(cur.Checkpoint)
	}
	if cur.Described {
		row.Start = "all history"
		if !cur.Start.IsZero() {
			row.Start = stamp(cur.Start)
		}
	}
	if cur.Lane == "backfill" {
		if cur.Done {
			row.Note = "Done"
		} else {
			row.Note = "Walking history up to " + stamp(cur.LiveFrom)
		}
	}
	return row
}

// stamp prints t for the explain page: to the second, in UTC, as the
// conclusion does.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// shorten cuts s to maxDiffValue runes.
func shorten(s string) string {
	n := 0
	for i := range s {
		if n == maxDiffValue {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
