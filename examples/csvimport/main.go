// Command csvimport imports a help desk's CSV ticket export into an in-memory
// store and prints the import report: the preset and columns it used, the
// rows it skipped and why, and what it assumed.
//
//	go run ./examples/csvimport examples/csvimport/testdata/sample.csv
//	go run ./examples/csvimport -preset zendesk -tz Europe/Berlin export.csv
//
// On a terminal it draws a progress bar; otherwise it writes a progress line
// every 10,000 rows. A real service would pass its own ticketsync.Store.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/ticketsync/ticketsync/csvimport"
	"github.com/ticketsync/ticketsync/memstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command, with its arguments and outputs; it returns the exit
// code: 0 when the import went through (bad rows reported), 1 when it could
// not, 2 for wrong usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("csvimport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	connector := fs.String("connector", "csv-import", "connector ID the tickets belong to")
	preset := fs.String("preset", "auto", "export format: auto, zendesk, freshdesk, jira, hubspot or generic")
	comma := fs.String("comma", "", "field separator (default: detected among , ; and tab)")
	dayFirst := fs.Bool("day-first", false, "read ambiguous dates such as 03/04/2024 as 3 April when the file does not say")
	tz := fs.String("tz", "UTC", "time zone of times written without an offset, e.g. Europe/Berlin")
	dryRun := fs.Bool("dry-run", false, "check the file and report, store nothing")
	generateIDs := fs.Bool("generate-ids", false, "give rows without an ID a stable generated one")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: csvimport [flags] export.csv   (- reads standard input)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	opts := csvimport.Options{
		ConnectorID: *connector,
		Preset:      csvimport.Preset(*preset),
		DayFirst:    *dayFirst,
		DryRun:      *dryRun,
		GenerateIDs: *generateIDs,
	}
	if *comma != "" {
		c := []rune(strings.ReplaceAll(*comma, `\t`, "\t"))
		if len(c) != 1 {
			fmt.Fprintf(stderr, "csvimport: -comma must be one character, not %q\n", *comma)
			return 2
		}
		opts.Comma = c[0]
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		fmt.Fprintf(stderr, "csvimport: -tz: %v\n", err)
		return 2
	}
	opts.TimeZone = loc

	in := io.Reader(os.Stdin)
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "csvimport: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	bar := newProgress(stderr)
	opts.Progress = bar.update

	store := memstore.New()
	rep, err := csvimport.Import(ctx, in, store, opts)
	bar.done()
	printReport(stdout, rep)
	if err != nil {
		fmt.Fprintf(stderr, "csvimport: %v\n", err)
		return 1
	}
	if !*dryRun {
		tickets := store.Tickets(*connector)
		fmt.Fprintf(stdout, "\nThe store holds %d tickets:\n", len(tickets))
		for i, t := range tickets {
			if i == 10 {
				fmt.Fprintf(stdout, "  ... and %d more\n", len(tickets)-10)
				break
			}
			fmt.Fprintf(stdout, "  %-8s %-8s %-7s %s\n", t.ID, t.Status, t.Priority, t.Subject)
		}
	}
	return 0
}

func printReport(w io.Writer, rep csvimport.Report) {
	fmt.Fprintf(w, "Preset:   %s (separator %q)\n", rep.Preset, rep.Comma)
	fields := make([]string, 0, len(rep.Columns))
	for f := range rep.Columns {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	fmt.Fprintln(w, "Columns:")
	for _, f := range fields {
		fmt.Fprintf(w, "  %-16s <- %s\n", f, rep.Columns[f])
	}
	fmt.Fprintf(w, "Rows:     %d read, %d imported, %d skipped, %d duplicate IDs\n",
		rep.Rows, rep.Imported, rep.Skipped, rep.Duplicates)
	if len(rep.Errors) > 0 {
		fmt.Fprintln(w, "Skipped rows:")
		for _, e := range rep.Errors {
			fmt.Fprintf(w, "  %v\n", e)
		}
		if rep.ErrorsNotListed > 0 {
			fmt.Fprintf(w, "  ... and %d more\n", rep.ErrorsNotListed)
		}
	}
	if len(rep.Warnings) > 0 {
		fmt.Fprintln(w, "Warnings:")
		for _, s := range rep.Warnings {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
}

// progress draws a bar on a terminal, and plain lines elsewhere.
type progress struct {
	w        io.Writer
	terminal bool
	last     csvimport.Progress
	printed  int // rows at the last plain line
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progress) update(s csvimport.Progress) {
	p.last = s
	if p.terminal {
		const width = 30
		if s.TotalBytes > 0 {
			frac := min(float64(s.BytesRead)/float64(s.TotalBytes), 1)
			n := int(frac * width)
			fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %d rows, %d skipped ",
				strings.Repeat("#", n), strings.Repeat(".", width-n), frac*100, s.Rows, s.Skipped)
		} else {
			fmt.Fprintf(p.w, "\r%d rows, %d skipped ", s.Rows, s.Skipped)
		}
		return
	}
	if s.Rows-p.printed >= 10000 {
		p.printed = s.Rows
		p.line(s)
	}
}

func (p *progress) line(s csvimport.Progress) {
	fmt.Fprintf(p.w, "progress: %d rows read, %d imported, %d skipped", s.Rows, s.Imported, s.Skipped)
	if s.TotalBytes > 0 {
		fmt.Fprintf(p.w, ", %d of %d bytes", s.BytesRead, s.TotalBytes)
	}
	fmt.Fprintln(p.w)
}

// done ends the bar's line, or writes the last plain line.
func (p *progress) done() {
	if p.terminal {
		fmt.Fprintln(p.w)
		return
	}
	if p.last.Rows != p.printed || p.last.Rows == 0 {
		p.line(p.last)
	}
}
