package console

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ticketsync/ticketsync"
	"github.com/ticketsync/ticketsync/csvimport"
)

// Bounds of CSV imports.
const (
	// PreviewRows is how many rows the preview shows as they would be
	// stored.
	PreviewRows = 10
	// maxImportJobs bounds the uploads kept at once; the oldest finished
	// ones go first.
	maxImportJobs = 16
	// importJobTTL is how long an upload and its report are kept.
	importJobTTL = time.Hour
	// previewErrors bounds the row errors the preview lists.
	previewErrors = 100
)

// mappedFields are csvimport's Ticket fields, in the order the mapping
// form lists them.
var mappedFields = []string{
	csvimport.FieldID, csvimport.FieldSubject, csvimport.FieldDescription, csvimport.FieldStatus,
	csvimport.FieldPriority, csvimport.FieldChannel, csvimport.FieldRequesterName,
	csvimport.FieldRequesterEmail, csvimport.FieldRequesterID, csvimport.FieldAssigneeName,
	csvimport.FieldAssigneeEmail, csvimport.FieldAssigneeID, csvimport.FieldTags,
	csvimport.FieldCreatedAt, csvimport.FieldUpdatedAt, csvimport.FieldURL,
}

var presetChoices = []csvimport.Preset{csvimport.Auto, csvimport.Zendesk, csvimport.Freshdesk, csvimport.Jira, csvimport.HubSpot, csvimport.Generic}

// importJob is one uploaded file, from its preview to its report.
type importJob struct {
	ID          string
	ConnectorID string
	Platform    string
	Filename    string
	Size        int64
	path        string
	created     time.Time

	mu       sync.Mutex
	started  bool
	done     bool
	progress csvimport.Progress
	report   csvimport.Report
	err      string
}

// importForm shows the upload form.
func (c *console) importForm(w http.ResponseWriter, r *http.Request) {
	c.render(w, http.StatusOK, "import", "Import CSV", "import", c.uploadPage("", ""), "")
}

type uploadPage struct {
	Connectors []string
	Connector  string
	MaxMiB     int64
	Error      string
}

func (c *console) uploadPage(connector, msg string) uploadPage {
	p := uploadPage{Connector: connector, MaxMiB: max(c.opts.MaxUploadBytes>>20, 1), Error: msg}
	for _, st := range c.syncer.Connectors() {
		p.Connectors = append(p.Connectors, st.ID)
	}
	return p
}

// upload keeps an uploaded CSV file in a temporary file and redirects to
// its preview. The body is bounded (413 beyond Options.MaxUploadBytes).
func (c *console) upload(w http.ResponseWriter, r *http.Request) {
	mr, err := r.MultipartReader()
	if err != nil {
		c.fail(w, http.StatusBadRequest, "Send the file from the import form.")
		return
	}
	job := &importJob{created: c.now()}
	var tmp *os.File
	defer func() {
		if tmp != nil {
			tmp.Close()
			if job.path == "" {
				os.Remove(tmp.Name())
			}
		}
	}()
	tooLarge := func() {
		c.render(w, http.StatusRequestEntityTooLarge, "import", "Import CSV", "import",
			c.uploadPage(job.ConnectorID, "The file is larger than "+strconv.FormatInt(max(c.opts.MaxUploadBytes>>20, 1), 10)+" MiB, the most this console accepts. Split it, or import it with package csvimport from code."), "")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if isTooLarge(err) {
				tooLarge()
				return
			}
			c.fail(w, http.StatusBadRequest, "The upload could not be read.")
			return
		}
		switch part.FormName() {
		case "connector":
			b, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil {
				if isTooLarge(err) {
					tooLarge()
					return
				}
				c.fail(w, http.StatusBadRequest, "The upload could not be read.")
				return
			}
			job.ConnectorID = strings.TrimSpace(string(b))
		case "file":
			if tmp != nil {
				continue
			}
			job.Filename = cleanName(part.FileName())
			tmp, err = os.CreateTemp("", "ticketsync-console-*.csv")
			if err != nil {
				c.log.Error("console: keep upload", "err", err)
				c.fail(w, http.StatusInternalServerError, "The upload could not be kept on this server.")
				return
			}
			n, err := io.Copy(tmp, io.LimitReader(part, c.opts.MaxUploadBytes+1))
			job.Size = n
			if isTooLarge(err) || n > c.opts.MaxUploadBytes {
				tooLarge()
				return
			}
			if err != nil {
				c.fail(w, http.StatusBadRequest, "The upload could not be read.")
				return
			}
		}
		part.Close()
	}
	switch {
	case !idPattern.MatchString(job.ConnectorID) && !c.added(job.ConnectorID):
		c.render(w, http.StatusUnprocessableEntity, "import", "Import CSV", "import",
			c.uploadPage("", "Connector id: choose a connector, or name a new one with 1 to 64 letters, digits, dots, dashes or underscores."), "")
		return
	case tmp == nil || job.Size == 0:
		c.render(w, http.StatusUnprocessableEntity, "import", "Import CSV", "import",
			c.uploadPage(job.ConnectorID, "Choose a CSV file that is not empty."), "")
		return
	}
	job.Platform = "csv"
	if st, ok := c.syncer.Status(job.ConnectorID); ok {
		job.Platform = st.Platform
	}
	job.ID = strings.ToLower(rand.Text())
	job.path = tmp.Name()
	c.keepJob(job)
	c.redirect(w, r, c.link("/import/"+job.ID))
}

func (c *console) added(id string) bool {
	_, ok := c.syncer.Status(id)
	return ok
}

func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// cleanName keeps the base name of an uploaded file, for display.
func cleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if len(name) > 120 {
		name = name[:120]
	}
	return name
}

// keepJob adds job, dropping expired jobs and, beyond maxImportJobs, the
// oldest ones that are not running.
func (c *console) keepJob(job *importJob) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	var jobs []*importJob
	for id, j := range c.imports {
		if now.Sub(j.created) > importJobTTL && !j.running() {
			c.dropJob(id, j)
			continue
		}
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, func(a, b *importJob) int { return a.created.Compare(b.created) })
	for i := 0; len(c.imports) >= maxImportJobs && i < len(jobs); i++ {
		if !jobs[i].running() {
			c.dropJob(jobs[i].ID, jobs[i])
		}
	}
	c.imports[job.ID] = job
}

// dropJob forgets j and removes its file. c.mu must be held.
func (c *console) dropJob(id string, j *importJob) {
	delete(c.imports, id)
	if j.path != "" {
		os.Remove(j.path)
	}
}

func (j *importJob) running() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.started && !j.done
}

func (c *console) job(r *http.Request) (*importJob, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.imports[r.PathValue("job")]
	return j, ok
}

// mapping is the preset and column mapping chosen in the form.
type mapping struct {
	Preset  csvimport.Preset
	Columns map[string]string // nil: the preset's
}

// mappingOf reads the preset and mapping from form values.
func mappingOf(form map[string][]string) mapping {
	var m mapping
	get := func(k string) (string, bool) {
		v, ok := form[k]
		if !ok || len(v) == 0 {
			return "", false
		}
		return v[0], true
	}
	if p, ok := get("preset"); ok && slices.Contains(presetChoices, csvimport.Preset(p)) {
		m.Preset = csvimport.Preset(p)
	}
	if _, ok := get("mapped"); ok {
		m.Columns = make(map[string]string)
		for _, f := range mappedFields {
			v, _ := get("col." + f)
			m.Columns[f] = v
		}
	}
	return m
}

// previewPage is what the preview template receives.
type previewPage struct {
	Job      *importJob
	Header   []string
	Presets  []csvimport.Preset
	Preset   csvimport.Preset
	Fields   []fieldChoice
	Rows     []ticketsync.Ticket
	Report   csvimport.Report
	Error    string
	Mapped   bool
	Comma    string
	Unmapped []string
}

// fieldChoice is one select of the mapping form.
type fieldChoice struct {
	Field    string
	Input    string
	Selected string
}

// previewStore captures the first tickets of an import and discards the
// rest, and the run: the preview runs the real import into it.
type previewStore struct {
	rows []ticketsync.Ticket
}

func (p *previewStore) Ticket(context.Context, string, string) (ticketsync.Ticket, error) {
	return ticketsync.Ticket{}, ticketsync.ErrNotFound
}
func (p *previewStore) Cursor(context.Context, string) (string, error)  { return "", nil }
func (p *previewStore) SetCursor(context.Context, string, string) error { return nil }
func (p *previewStore) SyncRuns(context.Context, string, int) ([]ticketsync.SyncRun, error) {
	return nil, nil
}

func (p *previewStore) UpsertTickets(_ context.Context, ts []ticketsync.Ticket) error {
	for _, t := range ts {
		if len(p.rows) == PreviewRows {
			break
		}
		t.Tags = slices.Clone(t.Tags)
		p.rows = append(p.rows, t)
	}
	return nil
}

func (p *previewStore) SaveSyncRun(context.Context, ticketsync.SyncRun) error { return nil }

// preview runs the import into a previewStore, with the mapping of the
// query, and shows the first rows as they would be stored, the row errors
// the import would report and the mapping form.
func (c *console) preview(w http.ResponseWriter, r *http.Request) {
	job, ok := c.job(r)
	if !ok {
		c.fail(w, http.StatusNotFound, "This upload is gone: uploads are kept for an hour. Upload the file again.")
		return
	}
	if job.running() || job.isDone() {
		c.redirect(w, r, c.link("/import/"+job.ID+"/status"))
		return
	}
	m := mappingOf(r.URL.Query())
	p := &previewPage{Job: job, Presets: presetChoices, Preset: m.Preset, Mapped: m.Columns != nil}
	if p.Preset == "" {
		p.Preset = csvimport.Auto
	}
	f, err := os.Open(job.path)
	if err != nil {
		c.fail(w, http.StatusNotFound, "This upload is gone. Upload the file again.")
		return
	}
	defer f.Close()
	p.Header, p.Comma = readHeader(f)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		c.fail(w, http.StatusInternalServerError, "The upload could not be read.")
		return
	}
	ps := &previewStore{}
	rep, err := csvimport.Import(r.Context(), f, ps, csvimport.Options{
		ConnectorID:     job.ConnectorID,
		Platform:        job.Platform,
		Preset:          m.Preset,
		Columns:         m.Columns,
		BatchSize:       PreviewRows,
		MaxListedErrors: previewErrors,
		Now:             c.now,
	})
	if err != nil {
		p.Error = err.Error()
	}
	p.Report, p.Rows = rep, ps.rows
	cols := rep.Columns
	if m.Columns != nil {
		cols = m.Columns
	}
	for _, fld := range mappedFields {
		p.Fields = append(p.Fields, fieldChoice{Field: fld, Input: "col." + fld, Selected: cols[fld]})
	}
	c.render(w, http.StatusOK, "preview", "Import preview", "import", p, "")
}

func (j *importJob) isDone() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.done
}

// readHeader returns the file's header cells and the separator's name,
// for the mapping form; csvimport reads the file itself.
func readHeader(r io.Reader) ([]string, string) {
	br := bufio.NewReaderSize(r, 64<<10)
	line, _ := br.Peek(64 << 10)
	if i := strings.IndexAny(string(line), "\r\n"); i >= 0 {
		line = line[:i]
	}
	comma, name := ',', "comma"
	if n := strings.Count(string(line), ";"); n > strings.Count(string(line), string(comma)) {
		comma, name = ';', "semicolon"
	}
	if n := strings.Count(string(line), "\t"); n > strings.Count(string(line), string(comma)) {
		comma, name = '\t', "tab"
	}
	cr := csv.NewReader(br)
	cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = comma, true, -1
	rec, err := cr.Read()
	if err != nil {
		return nil, name
	}
	if len(rec) > 0 {
		rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
	}
	return rec, name
}

// startImport imports the file into the Store with the mapping of the
// form, in the background, and redirects to its progress.
func (c *console) startImport(w http.ResponseWriter, r *http.Request) {
	job, ok := c.job(r)
	if !ok {
		c.fail(w, http.StatusNotFound, "This upload is gone: uploads are kept for an hour. Upload the file again.")
		return
	}
	if err := r.ParseForm(); err != nil {
		c.fail(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	m := mappingOf(r.PostForm)
	job.mu.Lock()
	if job.started {
		job.mu.Unlock()
		c.redirect(w, r, c.link("/import/"+job.ID+"/status"))
		return
	}
	job.started = true
	job.mu.Unlock()

	ctx := background(r)
	go func() {
		f, err := os.Open(job.path)
		var rep csvimport.Report
		if err == nil {
			rep, err = csvimport.Import(ctx, f, c.store, csvimport.Options{
				ConnectorID: job.ConnectorID,
				Platform:    job.Platform,
				Preset:      m.Preset,
				Columns:     m.Columns,
				TotalBytes:  job.Size,
				Now:         c.now,
				Progress: func(p csvimport.Progress) {
					job.mu.Lock()
					job.progress = p
					job.mu.Unlock()
				},
			})
			f.Close()
		}
		if err != nil {
			c.log.Warn("console: import failed", "connector", job.ConnectorID, "err", err)
		}
		job.mu.Lock()
		job.report, job.done = rep, true
		if err != nil {
			job.err = err.Error()
		}
		job.mu.Unlock()
		c.mu.Lock()
		os.Remove(job.path)
		c.mu.Unlock()
	}()
	c.redirect(w, r, c.link("/import/"+job.ID+"/status"))
}

// statusPage is what the import status template receives.
type statusPage struct {
	Job      *importJob
	Done     bool
	Progress csvimport.Progress
	Percent  int
	Report   csvimport.Report
	Error    string
}

// importStatus shows an import's progress, refreshing itself, and its
// report once it has ended.
func (c *console) importStatus(w http.ResponseWriter, r *http.Request) {
	job, ok := c.job(r)
	if !ok {
		c.fail(w, http.StatusNotFound, "This import is gone: reports are kept for an hour.")
		return
	}
	job.mu.Lock()
	p := statusPage{Job: job, Done: job.done, Progress: job.progress, Report: job.report, Error: job.err}
	started := job.started
	job.mu.Unlock()
	if !started {
		c.redirect(w, r, c.link("/import/"+job.ID))
		return
	}
	if p.Progress.TotalBytes > 0 {
		p.Percent = int(p.Progress.BytesRead * 100 / p.Progress.TotalBytes)
	}
	pg := page{Title: "Import", Nav: "import", Prefix: c.prefix, Data: p}
	if !p.Done {
		pg.Refresh = 1
	}
	c.renderPage(w, http.StatusOK, "status", pg)
}
