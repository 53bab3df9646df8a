package console

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/ticketsync/ticketsync"
)

// connectorRow is one connector on the Connectors page.
type connectorRow struct {
	ticketsync.ConnectorStatus
	State     string // idle, running, retrying, failed, paused
	StateText string
	Polls     bool
	ModeText  string
}

// stateOf says what a person should know first about a connector.
func stateOf(st ticketsync.ConnectorStatus) (state, text string) {
	switch {
	case st.Paused:
		return "paused", "Paused"
	case st.Running:
		return "running", "Running"
	case st.Attempt > 1 && !st.NextRun.IsZero():
		return "retrying", "Retrying (attempt " + strconv.Itoa(st.Attempt) + ")"
	case st.LastStatus == ticketsync.RunFailed || st.LastStatus == ticketsync.RunRetrying:
		return "failed", "Failed"
	default:
		return "idle", "Idle"
	}
}

// modeText names a mode as the connect form does.
func (c *console) modeText(m ticketsync.Mode) string {
	switch m {
	case ticketsync.ModePoll:
		return "Poll every " + shortInterval(c.opts.PollInterval)
	case ticketsync.ModeWebhook:
		return "Real-time webhook"
	case ticketsync.ModeBoth:
		return "Both: webhook, and polling every " + shortInterval(c.opts.PollInterval) + " as the safety net"
	}
	return m.String()
}

func shortInterval(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + " h"
	case d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	}
	return d.String()
}

// connectors serves the Connectors page.
func (c *console) connectors(w http.ResponseWriter, r *http.Request) {
	all := c.syncer.Connectors()
	rows := make([]connectorRow, 0, len(all))
	for _, st := range all {
		row := connectorRow{ConnectorStatus: st, Polls: st.Mode != ticketsync.ModeWebhook, ModeText: st.Mode.String()}
		row.State, row.StateText = stateOf(st)
		rows = append(rows, row)
	}
	c.render(w, http.StatusOK, "connectors", "Connectors", "connectors", rows, c.flash(r))
}

// syncNow runs a poll of one connector, waiting a few seconds for it so
// that the history shows it at once; a longer run goes on in the
// background.
func (c *console) syncNow(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st, ok := c.syncer.Status(id)
	if !ok {
		c.fail(w, http.StatusNotFound, "There is no connector "+strconv.Quote(id)+".")
		return
	}
	if st.Mode == ticketsync.ModeWebhook {
		c.fail(w, http.StatusConflict, "This connector receives webhooks only; it does not poll, so it cannot sync on demand.")
		return
	}
	done := make(chan error, 1)
	ctx := background(r)
	go func() {
		_, err := c.syncer.SyncNow(ctx, id)
		done <- err
	}()
	code := "sync-bg"
	select {
	case err := <-done:
		switch {
		case err == nil:
			code = "synced"
		case errors.Is(err, ticketsync.ErrSyncInProgress):
			code = "sync-busy"
		case isUnknown(err):
			c.fail(w, http.StatusConflict, "This connector does not poll, so it cannot sync on demand.")
			return
		default:
			code = "sync-failed"
		}
	case <-time.After(5 * time.Second):
	}
	c.redirect(w, r, c.connectorLink(id, "?done="+code))
}

func (c *console) pause(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := c.syncer.Pause(id); err != nil {
		c.fail(w, http.StatusNotFound, "There is no connector "+strconv.Quote(id)+".")
		return
	}
	c.redirect(w, r, c.link("/?done=paused"))
}

func (c *console) resume(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := c.syncer.Resume(id); err != nil {
		c.fail(w, http.StatusNotFound, "There is no connector "+strconv.Quote(id)+".")
		return
	}
	c.redirect(w, r, c.link("/?done=resumed"))
}

// confirmRemove asks before removing: the page works without script.
func (c *console) confirmRemove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st, ok := c.syncer.Status(id)
	if !ok {
		c.fail(w, http.StatusNotFound, "There is no connector "+strconv.Quote(id)+".")
		return
	}
	c.render(w, http.StatusOK, "remove", "Remove "+id, "connectors", st, "")
}

func (c *console) remove(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := c.syncer.Status(id); !ok {
		c.fail(w, http.StatusNotFound, "There is no connector "+strconv.Quote(id)+".")
		return
	}
	if err := c.connections.Delete(r.Context(), id); err != nil {
		c.log.Error("console: delete connection", "connector", id, "err", err)
		c.fail(w, http.StatusInternalServerError, "The connection could not be deleted; the connector stays. Try again.")
		return
	}
	c.syncer.Remove(id)
	c.redirect(w, r, c.link("/?done=removed"))
}
