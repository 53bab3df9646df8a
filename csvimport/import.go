package csvimport

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ticketsync/ticketsync"
)

// Defaults for Options.
const (
	// DefaultBatchSize is how many tickets go to the Store in one
	// UpsertTickets call.
	DefaultBatchSize = 500
	// DefaultMaxListedErrors bounds Report.Errors; the rest are counted in
	// Report.ErrorsNotListed.
	DefaultMaxListedErrors = 1000
	// DefaultMaxRowBytes bounds one row, quoted newlines included. A longer
	// row is almost always an unterminated quote swallowing the file.
	DefaultMaxRowBytes = 16 << 20
	// SampleRows is how many rows Import reads ahead, before importing any,
	// to learn the file's date order; fewer when they pass SampleBytes.
	SampleRows = 1000
	// SampleBytes bounds what the rows read ahead hold: their cells' text
	// and CellOverhead for each cell, empty ones included.
	SampleBytes = 4 << 20
	// DefaultBatchBytes bounds what the rows of one batch hold, counted as
	// for SampleBytes: a batch goes to the Store when it reaches
	// Options.BatchSize tickets or this many bytes, whichever comes first.
	DefaultBatchBytes = 8 << 20
	// CellOverhead is what a cell costs besides its text (its string
	// header and separator), as the read-ahead and the batch count it.
	CellOverhead = 24
)

// Errors that end an import. Import wraps them with the details.
var (
	// ErrNoHeader: the input is empty, or holds only blank lines.
	ErrNoHeader = errors.New("no header row")
	// ErrNoIDColumn: no header names the ticket ID, and Options.GenerateIDs
	// is not set.
	ErrNoIDColumn = errors.New("no ID column")
	// ErrNotCSV: the input is binary data, JSON, UTF-16 text or a header
	// that cannot be read.
	ErrNotCSV = errors.New("not a CSV file")
	// ErrTooManyErrors: more rows were bad than Options.MaxErrors allows.
	ErrTooManyErrors = errors.New("too many bad rows")
	// ErrRowTooLarge: a row is longer than Options.MaxRowBytes, usually
	// because of a quote that is never closed.
	ErrRowTooLarge = errors.New("row too large")
)

// Options configure an import. ConnectorID is required; the zero value of
// every other field means its default.
type Options struct {
	// ConnectorID is the connector the tickets belong to, set as
	// Ticket.ConnectorID and SyncRun.ConnectorID.
	ConnectorID string
	// Platform labels the tickets (Ticket.Platform); "csv" when empty.
	Platform string
	// Preset says which export format the file is; Auto when empty.
	Preset Preset
	// Columns overrides the preset: Ticket field (FieldID, FieldSubject,
	// ...) to header name, matched like the presets' names (case, spaces
	// and punctuation ignored). A field mapped to "" is left unset and
	// its preset column kept in Ticket.Fields.
	Columns map[string]string
	// Comma is the field separator; when 0, Import picks the one of ',',
	// ';' and tab that is most frequent in the header line.
	Comma rune
	// DateLayouts are time.Parse layouts tried before the built-in ones
	// (ISO 8601, the platforms' export formats, numeric day/month dates).
	DateLayouts []string
	// DayFirst reads ambiguous numeric dates such as 03/04/2024 as 3 April
	// when the file does not decide. The file decides when a date with a
	// day above 12 appears in the first SampleRows rows; a later one
	// decides the rest of the file, and the report warns about the
	// ambiguous dates read before it.
	DayFirst bool
	// TimeZone is the zone of times written without a UTC offset, as many
	// exports write them in the account's zone; UTC when nil (never the
	// machine's local zone).
	TimeZone *time.Location
	// BatchSize is the number of tickets per UpsertTickets call;
	// DefaultBatchSize when 0.
	BatchSize int
	// BatchBytes bounds the text a batch holds (see DefaultBatchBytes): a
	// batch of big or wide rows goes to the Store before it has BatchSize
	// tickets. DefaultBatchBytes when 0.
	BatchBytes int
	// DryRun reads and checks the whole file and reports as an import
	// would, but stores nothing: no tickets and no SyncRun. The store
	// passed to Import may then be nil.
	DryRun bool
	// GenerateIDs gives a row without an ID a stable one, "csv-" and a hash
	// of its subject, description, requester and creation time (of the
	// whole row when those are empty), instead of reporting it. A row
	// whose content changes gets a new ID, so prefer exports with IDs.
	GenerateIDs bool
	// Progress, when set, is called on Import's goroutine after each batch
	// and once at the end.
	Progress func(Progress)
	// MaxErrors stops the import with ErrTooManyErrors once that many rows
	// were bad; 0 means no limit.
	MaxErrors int
	// MaxListedErrors bounds Report.Errors; DefaultMaxListedErrors when 0,
	// no bound when negative.
	MaxListedErrors int
	// MaxRowBytes bounds one row; DefaultMaxRowBytes when 0, and never
	// below 128 KiB (the bound is checked as the input is read ahead).
	MaxRowBytes int
	// TotalBytes is the input's size for Progress; when 0, Import asks r
	// for it (files, bytes.Reader, strings.Reader).
	TotalBytes int64
	// Now is the clock for the SyncRun and for tickets without any time;
	// time.Now when nil.
	Now func() time.Time
}

// Progress is a snapshot of a running import.
type Progress struct {
	Rows     int // rows read
	Imported int // rows stored (or checked, in a dry run)
	Skipped  int // rows reported in Report.Errors
	// BytesRead of TotalBytes; TotalBytes is 0 when unknown.
	BytesRead, TotalBytes int64
}

// Report says what an import did. Imported + Skipped == Rows always.
type Report struct {
	// RunID is the ID of the SyncRun that records the import; empty in a
	// dry run.
	RunID string
	// Rows counts the data rows handled (the header and blank lines are
	// not rows). When an import stops early, rows after the one it stopped
	// at are not counted, also when they were read ahead.
	Rows int
	// Imported counts the rows stored, duplicates included (the Store
	// keeps the newest copy of each ticket).
	Imported int
	// Skipped counts the rows not stored, each for the reason in Errors.
	Skipped int
	// Errors holds one entry per skipped row, in file order, up to
	// Options.MaxListedErrors; ErrorsNotListed counts the rest.
	Errors          []RowError
	ErrorsNotListed int
	// Duplicates counts rows whose ID appeared earlier in the file.
	Duplicates int
	// Preset is the preset used, e.g. "zendesk"; Comma the separator.
	Preset string
	Comma  rune
	// Columns maps Ticket fields (FieldID, ...) to the header used.
	Columns map[string]string
	// Unmapped lists the headers kept in Ticket.Fields.
	Unmapped []string
	// Warnings say what Import assumed: the date order, the time zone,
	// fallbacks for missing times, unknown status words, duplicates.
	Warnings []string
}

// RowError says why one row was not imported.
type RowError struct {
	// Line is the row's first line in the file; the header is line 1.
	Line int
	// Column is the header of the bad cell; empty when the row as a whole
	// is bad.
	Column string
	// Value is the bad cell, cut to 100 bytes and made valid UTF-8.
	Value  string
	Reason string
}

// Error returns e.g. `line 12: column "Created at": "31/02/2024": no such day`.
func (e RowError) Error() string {
	var b strings.Builder
	b.WriteString("line ")
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteString(": ")
	if e.Column != "" {
		fmt.Fprintf(&b, "column %q: ", e.Column)
	}
	if e.Value != "" {
		fmt.Fprintf(&b, "%q: ", e.Value)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// minRowBytes is the least Options.MaxRowBytes; the bound is checked below
// a 64 KiB read-ahead buffer.
const minRowBytes = 128 << 10

// maxRunErrors bounds the row errors copied into SyncRun.Errors.
const maxRunErrors = 20

// Import reads a CSV export from r and stores its tickets in store, in
// batches, keeping memory bounded whatever the size and shape of the input.
// It records the import as a SyncRun with trigger ticketsync.TriggerImport.
//
// What Import holds at once is about SampleBytes (the rows read ahead) +
// Options.BatchBytes (the batch) + three times the longest row (at most
// MaxRowBytes: the row being read, in encoding/csv's buffers and as text)
// + 16 bytes per row for up to two million IDs (to report duplicates):
// with the defaults and ordinary rows, under 20 MiB. Cells are counted with
// CellOverhead each, so wide rows of empty cells are bounded too. The
// Store's own copies are the Store's.
//
// A bad row is reported in Report.Errors with its line and reason, and the
// import goes on. Import returns an error only when it cannot go on: the
// input is not CSV (ErrNoHeader, ErrNotCSV, ErrNoIDColumn), a row exceeds
// MaxRowBytes, MaxErrors is reached, ctx ends, or the Store fails. The
// Report is filled as far as the import went also then; rows read but not
// stored are counted as skipped.
//
// Importing the same file again is harmless: tickets keep their IDs and the
// Store keeps the newest copy of each.
func Import(ctx context.Context, r io.Reader, store ticketsync.Store, opts Options) (Report, error) {
	if opts.ConnectorID == "" {
		return Report{}, errors.New("csvimport: Options.ConnectorID is required")
	}
	if store == nil && !opts.DryRun {
		return Report{}, errors.New("csvimport: nil Store (allowed only with DryRun)")
	}
	im := newImporter(r, store, opts)
	var run ticketsync.SyncRun
	if !opts.DryRun {
		run = ticketsync.SyncRun{
			ID:          "import-" + strings.ToLower(rand.Text()[:16]),
			ConnectorID: opts.ConnectorID,
			Trigger:     ticketsync.TriggerImport,
			Status:      ticketsync.RunRunning,
			StartedAt:   im.started,
			Attempt:     1,
		}
		im.report.RunID = run.ID
		if err := store.SaveSyncRun(ctx, run); err != nil {
			return im.report, fmt.Errorf("csvimport: record import start: %w", err)
		}
		im.run = &run
	}
	err := im.importAll(ctx)
	im.finishReport()
	if im.run != nil {
		run.FinishedAt = im.now()
		run.Tickets = im.report.Imported
		run.Status = ticketsync.RunSucceeded
		for i, e := range im.report.Errors {
			if i == maxRunErrors {
				break
			}
			run.Errors = append(run.Errors, e.Error())
		}
		if n := im.report.Skipped - min(len(im.report.Errors), maxRunErrors); n > 0 {
			run.Errors = append(run.Errors, fmt.Sprintf("%s more skipped", plural(n, "row")))
		}
		if err != nil {
			run.Status = ticketsync.RunFailed
			run.Errors = append(run.Errors, err.Error())
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		serr := store.SaveSyncRun(sctx, run)
		cancel()
		if serr != nil && err == nil {
			err = fmt.Errorf("csvimport: record import end: %w", serr)
		}
	}
	im.progress()
	return im.report, err
}

// slot is one ticket of the batch with the buffers it reuses: the Store
// keeps no reference to a ticket's slices and maps.
type slot struct {
	tags   []string
	fields map[string]string
}

type importer struct {
	opts    Options
	store   ticketsync.Store
	run     *ticketsync.SyncRun
	now     func() time.Time
	started time.Time
	report  Report

	src      *countReader
	total    int64
	header   []string
	m        *mapping
	extra    []extraColumn
	dates    dates
	platform string
	maxList  int

	batch      []ticketsync.Ticket
	batchLines []int
	batchBytes int // rowBytes of the batch's rows
	slots      []slot

	status   map[string]seenWord[ticketsync.Status]
	priority map[string]seenWord[ticketsync.Priority]
	channel  map[string]string
	seen     map[uint64]uint32 // hash of ID to first line
	seenFull bool

	noUpdated, noTimes         int
	noUpdatedLine, noTimesLine int
}

// extraColumn is a column kept in Ticket.Fields.
type extraColumn struct {
	i        int    // index in the row
	header   string // key in Ticket.Fields
	repeated bool   // an earlier extra column has the same header
}

// seenWord is what the import remembers of one status or priority word:
// its meaning, whether the table knows it, and for an unknown word how often
// and first where it was seen.
type seenWord[T any] struct {
	v     T
	known bool
	count int
	line  int
}

// maxSeen bounds the IDs remembered to report duplicates (about 16 bytes
// each).
const maxSeen = 2 << 20

// maxWords bounds the distinct status and priority words remembered.
const maxWords = 1000

func newImporter(r io.Reader, store ticketsync.Store, opts Options) *importer {
	im := &importer{opts: opts, store: store, now: opts.Now}
	if im.now == nil {
		im.now = time.Now
	}
	im.started = im.now()
	if im.opts.BatchSize <= 0 {
		im.opts.BatchSize = DefaultBatchSize
	}
	if im.opts.BatchBytes <= 0 {
		im.opts.BatchBytes = DefaultBatchBytes
	}
	if im.opts.MaxRowBytes <= 0 {
		im.opts.MaxRowBytes = DefaultMaxRowBytes
	}
	im.opts.MaxRowBytes = max(im.opts.MaxRowBytes, minRowBytes)
	im.maxList = opts.MaxListedErrors
	if im.maxList == 0 {
		im.maxList = DefaultMaxListedErrors
	}
	im.platform = opts.Platform
	if im.platform == "" {
		im.platform = "csv"
	}
	loc := opts.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	im.dates = dates{layouts: opts.DateLayouts, loc: loc, order: orderMonthFirst}
	if opts.DayFirst {
		im.dates.order = orderDayFirst
	}
	im.total = opts.TotalBytes
	if im.total == 0 {
		im.total = sizeOf(r)
	}
	im.src = &countReader{r: r, max: int64(im.opts.MaxRowBytes)}
	im.status = make(map[string]seenWord[ticketsync.Status])
	im.priority = make(map[string]seenWord[ticketsync.Priority])
	im.channel = make(map[string]string)
	return im
}

// sizeOf returns r's size when r can tell, else 0.
func sizeOf(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case *os.File:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	}
	return 0
}

// countReader counts the bytes read, and fails once more than max bytes
// were read since the last mark: the bound on one row. It also follows
// whether the bytes read so far are UTF-8.
type countReader struct {
	r     io.Reader
	n     int64
	since int64
	max   int64
	text  utf8Stream
}

func (c *countReader) Read(p []byte) (int, error) {
	if c.since > c.max {
		return 0, ErrRowTooLarge
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.since += int64(n)
	c.text.write(p[:n])
	if err != nil {
		c.text.end()
	}
	return n, err
}

// utf8Stream follows whether a stream written in pieces is valid UTF-8, a
// rune split between two pieces included. While it is, every cell read
// from the stream is valid too: the reader splits and unquotes cells at
// ASCII bytes or at the separator rune, never inside a rune, so the
// importer can skip checking each cell.
type utf8Stream struct {
	bad     bool              // an invalid sequence was written
	pending [utf8.UTFMax]byte // the start of a rune cut off at the end of the last piece
	np      int               // bytes in pending
}

// valid reports whether everything written so far, but for the start of a
// rune the next piece may complete, is valid UTF-8.
func (u *utf8Stream) valid() bool { return !u.bad }

func (u *utf8Stream) write(p []byte) {
	if u.bad {
		return
	}
	if u.np > 0 {
		for u.np < len(u.pending) && len(p) > 0 && !utf8.FullRune(u.pending[:u.np]) {
			u.pending[u.np] = p[0]
			u.np++
			p = p[1:]
		}
		if !utf8.FullRune(u.pending[:u.np]) {
			return // the rune goes on in the next piece
		}
		if !utf8.Valid(u.pending[:u.np]) {
			u.bad = true
			return
		}
		u.np = 0
	}
	// Keep back a rune that the next piece may complete.
	for i := len(p) - 1; i >= 0 && i >= len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				u.np = copy(u.pending[:], p[i:])
				p = p[:i]
			}
			break
		}
	}
	if !utf8.Valid(p) {
		u.bad = true
	}
}

// end says the stream ended: a rune still incomplete is invalid.
func (u *utf8Stream) end() {
	if u.np > 0 {
		u.bad = true
		u.np = 0
	}
}

func (c *countReader) mark() { c.since = 0 }

// record is one row read ahead in the sample.
type record struct {
	fields []string
	line   int
	err    error
}

func (im *importer) importAll(ctx context.Context) error {
	br := bufio.NewReaderSize(im.src, 64<<10)
	head, _ := br.Peek(64 << 10)
	comma, err := sniff(head, im.opts.Comma)
	if err != nil {
		return err
	}
	if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
	}
	im.report.Comma = comma
	var in io.Reader = br
	if crOnly(head) {
		// Excel's "CSV (Macintosh)": lines end with CR alone, which
		// encoding/csv reads as data, making one header of the file.
		in = &crToLF{r: br}
		im.warn("lines end with CR alone (a Macintosh CSV); read as line breaks")
	}
	cr := csv.NewReader(in)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("csvimport: %w: the input is empty", ErrNoHeader)
	}
	if errors.Is(err, ErrRowTooLarge) {
		return fmt.Errorf("csvimport: header: %w", err)
	}
	if err != nil {
		return fmt.Errorf("csvimport: %w: header: %v", ErrNotCSV, err)
	}
	im.src.mark()
	im.header = make([]string, len(header))
	for i, h := range header {
		if !utf8.ValidString(h) {
			return fmt.Errorf("csvimport: %w: header column %d is not UTF-8 text", ErrNotCSV, i+1)
		}
		im.header[i] = strings.TrimSpace(h)
	}
	im.m, err = resolve(im.opts.Preset, im.header, im.opts.Columns)
	if err != nil {
		return err
	}
	im.report.Preset = string(im.m.preset.name)
	im.report.Columns = im.m.columns(im.header)
	seenHeader := make(map[string]bool, len(im.m.extra))
	for _, i := range im.m.extra {
		im.report.Unmapped = append(im.report.Unmapped, im.header[i])
		h := im.header[i]
		im.extra = append(im.extra, extraColumn{i: i, header: h, repeated: seenHeader[h]})
		seenHeader[h] = true
	}
	if len(im.m.cols[fID]) == 0 && !im.opts.GenerateIDs {
		return fmt.Errorf("csvimport: %w in the header %s: name it with Options.Columns[%q], or set Options.GenerateIDs",
			ErrNoIDColumn, quoteList(im.header, 8), FieldID)
	}
	if len(im.report.Unmapped) > 0 {
		im.warn("columns kept in Ticket.Fields: %s", quoteList(im.report.Unmapped, 20))
	}

	im.batch = make([]ticketsync.Ticket, 0, im.opts.BatchSize)
	im.slots = make([]slot, im.opts.BatchSize)

	// Read ahead to learn the date order before importing anything.
	start := cr.InputOffset()
	var sample []record
	size := 0
	for len(sample) < SampleRows && size < SampleBytes {
		rec, line, err := im.read(cr)
		if err == io.EOF {
			break
		}
		if err != nil && !isParseError(err) {
			return im.fatal(err)
		}
		sample = append(sample, record{fields: append([]string(nil), rec...), line: line, err: err})
		size += rowBytes(rec)
	}
	im.learnDates(sample)
	im.seen = make(map[uint64]uint32, im.expectRows(len(sample), cr.InputOffset()-start))
	for i, rec := range sample {
		if err := im.row(ctx, rec.fields, rec.line, rec.err); err != nil {
			return im.fatal(err)
		}
		sample[i] = record{}
	}
	for {
		rec, line, err := im.read(cr)
		if err == io.EOF {
			break
		}
		if err != nil && !isParseError(err) {
			return im.fatal(err)
		}
		if err := im.row(ctx, rec, line, err); err != nil {
			return im.fatal(err)
		}
	}
	return im.flush(ctx)
}

// crOnly reports whether the start of the input ends its lines with CR
// alone: it holds a CR and no LF.
func crOnly(head []byte) bool {
	return bytes.IndexByte(head, '\r') >= 0 && bytes.IndexByte(head, '\n') < 0
}

// crToLF turns every CR into LF. A CR LF further on becomes two line
// breaks, an empty line, which encoding/csv skips.
type crToLF struct{ r io.Reader }

func (c *crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}

// expectRows guesses the number of rows in the input, to size the index of
// IDs, from the rows read ahead: rows of them took sampled bytes. It returns
// at most maxSeen.
func (im *importer) expectRows(rows int, sampled int64) int {
	if rows == 0 || sampled <= 0 || im.total <= sampled {
		return rows
	}
	n := im.total / (sampled / int64(rows)) // the header is counted too
	return int(min(n, maxSeen))
}

// read returns the next record and its first line.
func (im *importer) read(cr *csv.Reader) ([]string, int, error) {
	rec, err := cr.Read()
	im.src.mark()
	if err == nil {
		line, _ := cr.FieldPos(0)
		return rec, line, nil
	}
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, pe.StartLine, err
	}
	if err != nil {
		if errors.Is(err, ErrRowTooLarge) {
			line, _ := cr.FieldPos(0)
			return nil, 0, fmt.Errorf("csvimport: %w: a row after line %d is longer than %d bytes; is a quote never closed?",
				ErrRowTooLarge, line, im.opts.MaxRowBytes)
		}
		return nil, 0, fmt.Errorf("csvimport: read: %w", err)
	}
	line, _ := cr.FieldPos(0)
	return rec, line, nil
}

func isParseError(err error) bool {
	var pe *csv.ParseError
	return errors.As(err, &pe)
}

// fatal ends the import with err. The pending batch is not stored, so its
// rows are skipped; rows read ahead and not yet handled are not counted.
func (im *importer) fatal(err error) error {
	reason := "not stored: the import stopped: " + err.Error()
	for _, line := range im.batchLines {
		im.skipRow(RowError{Line: line, Reason: reason})
	}
	clear(im.batch)
	im.batch, im.batchLines = im.batch[:0], im.batchLines[:0]
	return err
}

// sniff checks that head (the start of the input) looks like CSV text and
// returns the separator: want, or the most frequent of ',', ';' and tab
// outside quotes in the first line.
func sniff(head []byte, want rune) (rune, error) {
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return 0, fmt.Errorf("csvimport: %w: the input is UTF-16 text; save it as UTF-8 CSV", ErrNotCSV)
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return 0, fmt.Errorf("csvimport: %w: the input holds binary data", ErrNotCSV)
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n")
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return 0, fmt.Errorf("csvimport: %w: the input looks like JSON", ErrNotCSV)
	}
	if want != 0 {
		if want == '"' || want == '\r' || want == '\n' || !utf8.ValidRune(want) || want == utf8.RuneError {
			return 0, fmt.Errorf("csvimport: invalid Options.Comma %q", want)
		}
		return want, nil
	}
	counts := map[byte]int{}
	quoted := false
	for _, c := range t {
		if c == '"' {
			quoted = !quoted
		}
		if !quoted && (c == '\n' || c == '\r') {
			break
		}
		if !quoted && (c == ',' || c == ';' || c == '\t') {
			counts[c]++
		}
	}
	best := byte(',')
	for _, c := range []byte{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return rune(best), nil
}

// learnDates sets the date order from the sample's date cells: the order
// that days above 12 prove, else Options.DayFirst.
func (im *importer) learnDates(sample []record) {
	var day, month int
	for _, rec := range sample {
		for _, f := range [...]field{fCreatedAt, fUpdatedAt} {
			for _, i := range im.m.cols[f] {
				if i >= len(rec.fields) {
					continue
				}
				if n, ok := scanNumeric(strings.TrimSpace(rec.fields[i])); ok {
					switch n.classify() {
					case orderDayFirst:
						day++
					case orderMonthFirst:
						month++
					}
				}
			}
		}
	}
	switch {
	case day > 0 && month == 0:
		im.dates.order, im.dates.fromFile = orderDayFirst, true
	case month > 0 && day == 0:
		im.dates.order, im.dates.fromFile = orderMonthFirst, true
	case day > 0 && month > 0:
		im.warn("the first rows mix day-first and month-first dates (%d and %d); ambiguous ones are read %s (Options.DayFirst)",
			day, month, im.dates.order)
	}
}

// row handles one record: it is skipped with a RowError, or its ticket
// joins the batch.
func (im *importer) row(ctx context.Context, rec []string, line int, readErr error) error {
	im.report.Rows++
	if readErr != nil {
		im.skipRow(im.parseError(readErr))
	} else if rerr, ok := im.ticket(rec, line); !ok {
		im.skipRow(rerr)
	}
	if im.opts.MaxErrors > 0 && im.report.Skipped >= im.opts.MaxErrors {
		if err := im.flush(ctx); err != nil {
			return err
		}
		return fmt.Errorf("csvimport: %w: stopped at line %d after %s (Options.MaxErrors)",
			ErrTooManyErrors, line, plural(im.report.Skipped, "bad row"))
	}
	if len(im.batch) == im.opts.BatchSize || im.batchBytes >= im.opts.BatchBytes {
		return im.flush(ctx)
	}
	return nil
}

func (im *importer) parseError(err error) RowError {
	var pe *csv.ParseError
	errors.As(err, &pe)
	re := RowError{Line: pe.StartLine}
	switch {
	case errors.Is(pe.Err, csv.ErrQuote) && pe.Line > pe.StartLine:
		re.Reason = fmt.Sprintf("a quoted field opened on this line is not closed properly by line %d; lines %d to %d could not be read",
			pe.Line, pe.StartLine, pe.Line)
	case errors.Is(pe.Err, csv.ErrQuote):
		re.Reason = fmt.Sprintf("a quoted field is not closed properly (column %d of the line)", pe.Column)
	case errors.Is(pe.Err, csv.ErrBareQuote):
		re.Reason = fmt.Sprintf("a quote inside an unquoted field (column %d of the line); quote the field and double the quote", pe.Column)
	default:
		re.Reason = pe.Err.Error()
	}
	return re
}

func (im *importer) skipRow(e RowError) {
	im.report.Skipped++
	if im.maxList < 0 || len(im.report.Errors) < im.maxList {
		im.report.Errors = append(im.report.Errors, e)
	} else {
		im.report.ErrorsNotListed++
	}
}

// cell returns the first non-empty cell of field f.
func (im *importer) cell(rec []string, f field) string {
	for _, i := range im.m.cols[f] {
		if v := strings.TrimSpace(rec[i]); v != "" {
			return v
		}
	}
	return ""
}

func cut(s string) string {
	if len(s) > 100 {
		s = s[:100]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// ticket turns rec into the next ticket of the batch, or says why not.
func (im *importer) ticket(rec []string, line int) (RowError, bool) {
	if n := len(rec); n != len(im.header) {
		extra := n > len(im.header)
		for _, v := range rec[min(n, len(im.header)):] {
			if strings.TrimSpace(v) != "" {
				extra = false
			}
		}
		if !extra {
			return RowError{Line: line, Reason: fmt.Sprintf("the row has %d fields, the header %d", n, len(im.header))}, false
		}
		rec = rec[:len(im.header)]
	}
	if !im.src.text.valid() {
		// Some bytes read are not UTF-8, maybe in this row: check its cells.
		for i, v := range rec {
			if !utf8.ValidString(v) {
				return RowError{Line: line, Column: im.header[i], Value: cut(v),
					Reason: "not valid UTF-8 (Windows-1252 or Latin-1 bytes?); save the file as UTF-8"}, false
			}
		}
	}
	bad := func(f field, v, reason string) (RowError, bool) {
		return RowError{Line: line, Column: im.header[im.m.cols[f][0]], Value: cut(v), Reason: reason}, false
	}

	id := im.cell(rec, fID)
	if isExponent(id) {
		return bad(fID, id, "an ID in exponent form lost its digits (a spreadsheet wrote it as a number); export the column as text")
	}
	for _, f := range [...]field{fRequesterID, fAssigneeID} {
		if v := im.cell(rec, f); isExponent(v) {
			return bad(f, v, "an ID in exponent form lost its digits (a spreadsheet wrote it as a number); export the column as text")
		}
	}
	if id == "" {
		if !im.opts.GenerateIDs {
			return RowError{Line: line, Column: im.idColumn(), Reason: "no ID (set Options.GenerateIDs to give such rows one)"}, false
		}
		id = im.generateID(rec)
	}

	var created, updated time.Time
	for _, f := range [...]field{fCreatedAt, fUpdatedAt} {
		v := im.cell(rec, f)
		if v == "" {
			continue
		}
		t, err := im.dates.parse(v, line)
		if err != nil {
			return bad(f, v, err.Error())
		}
		if f == fCreatedAt {
			created = t.UTC()
		} else {
			updated = t.UTC()
		}
	}
	if updated.IsZero() {
		if created.IsZero() {
			if im.noTimes == 0 {
				im.noTimesLine = line
			}
			im.noTimes++
			created, updated = im.started.UTC(), im.started.UTC()
		} else {
			if im.noUpdated == 0 {
				im.noUpdatedLine = line
			}
			im.noUpdated++
			updated = created
		}
	}

	k := len(im.batch)
	s := &im.slots[k]
	if s.fields == nil || len(s.fields) > maxKeptFields {
		// A map keeps its size after clear: one wide row must not make
		// every later row of this slot hold a map that large.
		s.fields = make(map[string]string)
	} else {
		clear(s.fields)
	}
	s.tags = im.tags(rec, s.tags[:0])
	t := ticketsync.Ticket{
		ConnectorID: im.opts.ConnectorID,
		Platform:    im.platform,
		ID:          id,
		URL:         im.cell(rec, fURL),
		Subject:     im.cell(rec, fSubject),
		Description: im.cell(rec, fDescription),
		RawStatus:   im.cell(rec, fStatus),
		RawPriority: im.cell(rec, fPriority),
		Channel:     im.channelOf(im.cell(rec, fChannel)),
		Requester:   im.person(rec, fRequesterName, fRequesterEmail, fRequesterID),
		Assignee:    im.person(rec, fAssigneeName, fAssigneeEmail, fAssigneeID),
		CreatedAt:   created,
		UpdatedAt:   updated,
		Fields:      s.fields,
	}
	if len(s.tags) > 0 {
		t.Tags = s.tags
	}
	t.Status = im.statusOf(t.RawStatus, line)
	t.Priority = im.priorityOf(t.RawPriority, line)
	for _, c := range im.extra {
		v := strings.TrimSpace(rec[c.i])
		if v == "" {
			continue
		}
		if c.repeated {
			if old, ok := s.fields[c.header]; ok {
				v = old + "\n" + v // a repeated column, as Jira writes them
			}
		}
		s.fields[c.header] = v
	}
	im.checkDuplicate(id, line)
	im.batch = append(im.batch, t)
	im.batchLines = append(im.batchLines, line)
	im.batchBytes += rowBytes(rec)
	return RowError{}, true
}

// maxKeptFields is the largest Fields map a batch slot reuses.
const maxKeptFields = 64

// rowBytes is what a row's cells hold: their text and CellOverhead each.
// A ticket holds on to its row's text, which encoding/csv keeps as one
// string per row.
func rowBytes(rec []string) int {
	n := CellOverhead * len(rec)
	for _, f := range rec {
		n += len(f)
	}
	return n
}

func (im *importer) idColumn() string {
	if c := im.m.cols[fID]; len(c) > 0 {
		return im.header[c[0]]
	}
	return ""
}

// tags splits the Tags cells on the preset's separators into dst.
func (im *importer) tags(rec []string, dst []string) []string {
	seps := im.m.preset.tagSeps
	for _, i := range im.m.cols[fTags] {
		s := rec[i]
		for s != "" {
			var j int
			if len(seps) == 1 {
				j = strings.IndexByte(s, seps[0])
			} else {
				j = strings.IndexAny(s, seps)
			}
			var tag string
			if j < 0 {
				tag, s = s, ""
			} else {
				tag, s = s[:j], s[j+1:]
			}
			if tag = strings.TrimSpace(tag); tag != "" {
				dst = append(dst, tag)
			}
		}
	}
	return dst
}

// person reads a Person from its columns. A name cell written as
// "Name <email>" gives both.
func (im *importer) person(rec []string, name, email, id field) ticketsync.Person {
	p := ticketsync.Person{Name: im.cell(rec, name), Email: im.cell(rec, email), ID: im.cell(rec, id)}
	if strings.HasSuffix(p.Name, ">") {
		if i := strings.LastIndexByte(p.Name, '<'); i >= 0 {
			if p.Email == "" {
				p.Email = strings.TrimSpace(p.Name[i+1 : len(p.Name)-1])
			}
			p.Name = strings.TrimSpace(p.Name[:i])
		}
	}
	if p.Email == "" && strings.Contains(p.Name, "@") && !strings.ContainsAny(p.Name, " \t") {
		p.Email = p.Name
	}
	return p
}

// channelOf lowers word, remembering the distinct words.
func (im *importer) channelOf(word string) string {
	if c, ok := im.channel[word]; ok {
		return c
	}
	c := strings.ToLower(word)
	if len(im.channel) < maxWords {
		im.channel[word] = c
	}
	return c
}

// statusOf maps word through ticketsync.ParseStatus; an unknown word reads as
// StatusOpen and is reported once. Results are remembered per distinct word.
func (im *importer) statusOf(word string, line int) ticketsync.Status {
	w, ok := im.status[word]
	if ok && w.known {
		return w.v
	}
	if !ok {
		w.v, w.known = ticketsync.ParseStatus(word)
		if word == "" {
			w.v, w.known = ticketsync.StatusOpen, true
		}
		if !w.known {
			w.v, w.line = ticketsync.StatusOpen, line
		}
		if len(im.status) >= maxWords {
			if !w.known {
				im.warn("line %d: unknown status %q read as %q", line, cut(word), w.v)
			}
			return w.v
		}
	}
	if !w.known {
		w.count++
	}
	im.status[word] = w
	return w.v
}

// priorityOf maps word through ticketsync.ParsePriority; an unknown word reads
// as PriorityNone and is reported once.
func (im *importer) priorityOf(word string, line int) ticketsync.Priority {
	w, ok := im.priority[word]
	if ok && w.known {
		return w.v
	}
	if !ok {
		w.v, w.known = ticketsync.ParsePriority(word)
		if !w.known {
			w.v, w.line = ticketsync.PriorityNone, line
		}
		if len(im.priority) >= maxWords {
			if !w.known {
				im.warn("line %d: unknown priority %q left unset", line, cut(word))
			}
			return w.v
		}
	}
	if !w.known {
		w.count++
	}
	im.priority[word] = w
	return w.v
}

// isExponent reports whether s is a number in exponent form, as spreadsheets
// write long numeric IDs: 1.03006E+13.
func isExponent(s string) bool {
	i := -1
	for j := 0; j < len(s); j++ {
		if s[j]|0x20 == 'e' { // 'e' or 'E'
			i = j
			break
		}
	}
	if i <= 0 || i == len(s)-1 {
		return false
	}
	mant, exp := s[:i], s[i+1:]
	if exp[0] != '+' && exp[0] != '-' {
		return false // spreadsheets always write the sign; "12E4" may be a real ID
	}
	exp = exp[1:]
	if exp == "" || strings.Trim(exp, "0123456789") != "" {
		return false
	}
	mant = strings.TrimPrefix(mant, "-")
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" || strings.Trim(intPart, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return false
	}
	return true
}

// generateID returns a stable ID from the row's content.
func (im *importer) generateID(rec []string) string {
	h := sha256.New()
	some := false
	for _, f := range [...]field{fSubject, fDescription, fRequesterName, fRequesterEmail, fRequesterID, fCreatedAt} {
		v := im.cell(rec, f)
		some = some || v != ""
		h.Write([]byte(v))
		h.Write([]byte{0x1f})
	}
	if !some {
		for _, v := range rec {
			h.Write([]byte(v))
			h.Write([]byte{0x1f})
		}
	}
	return "csv-" + hex.EncodeToString(h.Sum(nil)[:12])
}

// checkDuplicate remembers id and warns when it was seen before.
func (im *importer) checkDuplicate(id string, line int) {
	if im.seenFull {
		return
	}
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	if first, ok := im.seen[h]; ok {
		im.report.Duplicates++
		if im.report.Duplicates <= 20 {
			im.warn("line %d: duplicate ID %q (first on line %d); the copy with the newest update time is kept", line, cut(id), first)
		}
		return
	}
	if len(im.seen) >= maxSeen {
		im.seenFull = true
		im.warn("more than %d tickets: duplicate IDs are not reported after line %d", maxSeen, line)
		return
	}
	im.seen[h] = uint32(min(line, 1<<32-1))
}

// flush stores the batch.
func (im *importer) flush(ctx context.Context) error {
	if len(im.batch) == 0 {
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("csvimport: stopped: %w", err)
	}
	if !im.opts.DryRun {
		if err := im.store.UpsertTickets(ctx, im.batch); err != nil {
			return fmt.Errorf("csvimport: store %s from lines %d to %d: %w",
				plural(len(im.batch), "ticket"), im.batchLines[0], im.batchLines[len(im.batchLines)-1], err)
		}
	}
	im.report.Imported += len(im.batch)
	clear(im.batch) // drop the references to this batch's strings
	im.batch, im.batchLines, im.batchBytes = im.batch[:0], im.batchLines[:0], 0
	im.progress()
	return nil
}

func (im *importer) progress() {
	if im.opts.Progress == nil {
		return
	}
	im.opts.Progress(Progress{
		Rows: im.report.Rows, Imported: im.report.Imported, Skipped: im.report.Skipped,
		BytesRead: im.src.n, TotalBytes: im.total,
	})
}

func (im *importer) warn(format string, args ...any) {
	im.report.Warnings = append(im.report.Warnings, fmt.Sprintf(format, args...))
}

// finishReport writes the warnings that need the whole file.
func (im *importer) finishReport() {
	d := &im.dates
	im.report.Warnings = append(im.report.Warnings, d.switched...)
	if d.ambiguous > 0 {
		how := "Options.DayFirst"
		if d.fromFile {
			how = "other dates in the file"
		}
		im.warn("%s (first on line %d) could be day or month first; read %s, as %s say",
			plural(d.ambiguous, "date"), d.ambiguousFirst, d.order, how)
	}
	if d.contrary > 0 {
		im.warn("%s (first on line %d) contradict the %s order of the other dates; each was read the only way it is valid",
			plural(d.contrary, "date"), d.contraryFirst, d.order)
	}
	if d.unzoned {
		im.warn("times without a UTC offset were read in %s (Options.TimeZone)", d.loc)
	}
	if im.noUpdated > 0 {
		im.warn("%s (first on line %d) had no update time; their creation time was used", plural(im.noUpdated, "row"), im.noUpdatedLine)
	}
	if im.noTimes > 0 {
		im.warn("%s (first on line %d) had neither update nor creation time; the import time %s was used",
			plural(im.noTimes, "row"), im.noTimesLine, im.started.UTC().Format(time.RFC3339))
	}
	if im.report.Duplicates > 20 {
		im.warn("%s in all repeated an earlier ID", plural(im.report.Duplicates, "row"))
	}
	for _, w := range sortedUnknown(im.status) {
		im.warn("unknown status %q on %s (first on line %d) read as %q; the word is kept in RawStatus",
			cut(w.word), plural(w.count, "row"), w.line, ticketsync.StatusOpen)
	}
	for _, w := range sortedUnknown(im.priority) {
		im.warn("unknown priority %q on %s (first on line %d) left unset; the word is kept in RawPriority",
			cut(w.word), plural(w.count, "row"), w.line)
	}
}

type unknownWord struct {
	word        string
	count, line int
}

// sortedUnknown returns the words of m that the table does not know.
func sortedUnknown[T any](m map[string]seenWord[T]) []unknownWord {
	var out []unknownWord
	for k, w := range m {
		if !w.known {
			out = append(out, unknownWord{k, w.count, w.line})
		}
	}
	sortWords(out)
	return out
}

func sortWords(ws []unknownWord) {
	slices.SortFunc(ws, func(a, b unknownWord) int { return cmp.Compare(a.line, b.line) })
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func itoa(n int) string { return strconv.Itoa(n) }

func quoteList(items []string, max int) string {
	var b strings.Builder
	for i, s := range items {
		if i == max {
			fmt.Fprintf(&b, ", and %d more", len(items)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(cut(s)))
	}
	return b.String()
}
