package console

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ticketsync/ticketsync"
)

// HistoryPageSize is the number of runs on one page of a connector's
// history.
const HistoryPageSize = 25

// chartRuns bounds the runs read for the chart.
const chartRuns = 5000

// historyPage is what the history template receives.
type historyPage struct {
	ID       string
	Status   ticketsync.ConnectorStatus
	Added    bool // the connector is added to the Syncer
	Polls    bool // and it polls, so Sync now can run it
	State    string
	StateTxt string
	ModeText string
	Runs     []runRow
	Page     int
	// PageNumber is Page counted from 1, for people.
	PageNumber int
	// Secrets is the form that sets the connection's webhook secrets; nil
	// when the connector was not connected in the console or its
	// platform has none.
	Secrets *secretForm
	Prev    string // links, "" when none
	Next    string
	Chart   chart
	Webhook string // the connector's webhook URL, when it receives webhooks
}

// runRow is one run in the table.
type runRow struct {
	ticketsync.SyncRun
	Duration string
	// Share is a backfill run's progress, "37% of history", when known.
	Share string
}

// history serves a connector's sync history: a chart of the last days and
// a table of runs, newest first, HistoryPageSize a page.
func (c *console) history(w http.ResponseWriter, r *http.Request) {
	c.renderHistory(w, r, r.PathValue("id"), http.StatusOK, "")
}

// renderHistory renders the history page of id, with an error about its
// webhook secret form when formErr is set.
func (c *console) renderHistory(w http.ResponseWriter, r *http.Request, id string, status int, formErr string) {
	pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pg = max(pg, 0)
	if pg > 10000 {
		pg = 10000
	}
	// One run more than the page says whether there is a next one.
	runs, err := c.syncer.History(r.Context(), id, "", (pg+1)*HistoryPageSize+1)
	if err != nil {
		c.log.Error("console: read history", "connector", id, "err", err)
		c.fail(w, http.StatusInternalServerError, "The history could not be read from the store.")
		return
	}
	st, added := c.syncer.Status(id)
	if !added && len(runs) == 0 {
		c.fail(w, http.StatusNotFound, "There is no connector "+strconv.Quote(id)+" and no history under that id.")
		return
	}
	p := historyPage{ID: id, Status: st, Added: added, Page: pg, PageNumber: pg + 1}
	if added {
		p.State, p.StateTxt = stateOf(st)
		p.ModeText = c.modeText(st.Mode)
		p.Polls = st.Mode != ticketsync.ModeWebhook
		if st.Mode != ticketsync.ModePoll {
			p.Webhook = c.webhookURL(r, id)
			p.Secrets = c.secretForm(r, id, formErr)
		}
	}
	from := min(pg*HistoryPageSize, len(runs))
	to := min(from+HistoryPageSize, len(runs))
	for _, run := range runs[from:to] {
		row := runRow{SyncRun: run}
		if run.Trigger == ticketsync.TriggerBackfill && run.Progress >= 0 {
			row.Share = fmt.Sprintf("%.0f%% of history", 100*run.Progress)
		}
		if !run.FinishedAt.IsZero() {
			row.Duration = duration(run.FinishedAt.Sub(run.StartedAt))
		}
		p.Runs = append(p.Runs, row)
	}
	if pg > 0 {
		p.Prev = c.connectorLink(id, "?page="+strconv.Itoa(pg-1))
	}
	if len(runs) > to {
		p.Next = c.connectorLink(id, "?page="+strconv.Itoa(pg+1))
	}
	all, err := c.syncer.History(r.Context(), id, "", chartRuns)
	if err != nil {
		c.log.Error("console: read history", "connector", id, "err", err)
	}
	p.Chart = buildChart(all, c.now(), c.opts.ChartDays)
	c.render(w, status, "history", id, "connectors", p, c.flash(r))
}

// chart is a bar chart of tickets synced per day, with the failed runs of
// each day marked, drawn as SVG by the template.
type chart struct {
	Width, Height int
	Days          []chartDay
	Max           int // tickets of the busiest day, the top of the scale
	Total         int
	Failures      int
	BaseY         int // y of the axis
}

// chartDay is one day's bar.
type chartDay struct {
	Label    string // "12/01"
	Date     string // "2026-12-01"
	Tickets  int
	Failures int
	X, Y, W  int // the bar
	H        int
	TextX    int
	FailY    int // the failure marker's y
	Title    string
}

// buildChart sums runs by day (UTC) over the days before now.
func buildChart(runs []ticketsync.SyncRun, now time.Time, days int) chart {
	const width, height, top, bottom, left = 640, 180, 16, 28, 8
	ch := chart{Width: width, Height: height, BaseY: height - bottom}
	today := time.Date(now.UTC().Year(), now.UTC().Month(), now.UTC().Day(), 0, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -(days - 1))
	ch.Days = make([]chartDay, days)
	for i := range ch.Days {
		d := first.AddDate(0, 0, i)
		ch.Days[i].Label = d.Format("01/02")
		ch.Days[i].Date = d.Format(time.DateOnly)
	}
	for _, run := range runs {
		t := run.StartedAt.UTC()
		if t.Before(first) {
			continue
		}
		i := int(t.Sub(first) / (24 * time.Hour))
		if i >= days {
			continue
		}
		ch.Days[i].Tickets += run.Tickets
		if run.Status == ticketsync.RunFailed || run.Status == ticketsync.RunRetrying {
			ch.Days[i].Failures++
		}
	}
	for _, d := range ch.Days {
		ch.Max = max(ch.Max, d.Tickets)
		ch.Total += d.Tickets
		ch.Failures += d.Failures
	}
	slot := (width - 2*left) / days
	scale := ch.BaseY - top
	for i := range ch.Days {
		d := &ch.Days[i]
		d.W = max(slot-4, 2)
		d.X = left + i*slot + 2
		d.TextX = d.X + d.W/2
		if ch.Max > 0 {
			d.H = d.Tickets * scale / ch.Max
		}
		if d.Tickets > 0 && d.H < 1 {
			d.H = 1
		}
		d.Y = ch.BaseY - d.H
		d.FailY = ch.BaseY - d.H - 6
		d.Title = fmt.Sprintf("%s: %d tickets synced, %d failed runs", d.Date, d.Tickets, d.Failures)
	}
	return ch
}
