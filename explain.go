package ticketsync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// FieldMergedInto is the key of Ticket.Fields by which a connector reports
// a merge: a tombstone (Deleted) of the merged ticket whose
// Fields[FieldMergedInto] is the id of the ticket it became.
const FieldMergedInto = "merged_into"

// CursorDescriber is an optional interface of a Poller that can say where
// one of its cursors stands, for Syncer.Explain. It reads the cursor only:
// no platform request is made.
type CursorDescriber interface {
	// DescribeCursor returns where cursor, one the connector's Fetch
	// returned (or "" for the configured start), stands. It returns an
	// error wrapping ErrInvalidCursor when it cannot read the cursor.
	DescribeCursor(cursor string) (CursorInfo, error)
}

// CursorInfo is where a Poller's cursor stands.
type CursorInfo struct {
	// Start is the connector's configured start: a ticket whose last
	// change is before it is never read by polling, also for a live lane's
	// cursor (see LaneStarter), whose history is the backfill lane's. Zero
	// means all history.
	Start time.Time
	// Checkpoint is the time up to which the cursor has read the
	// platform's changes: a change after it has not been polled yet. Zero
	// when the connector cannot tell or has read nothing yet.
	Checkpoint time.Time
}

// Verdict is the one-word conclusion of an Explanation.
type Verdict string

// The verdicts of Syncer.Explain.
const (
	// VerdictInSync: the Store holds the platform's copy (or a newer one).
	VerdictInSync Verdict = "in-sync"
	// VerdictStoreBehind: the platform has a newer copy than the Store,
	// and a run or a delivery that should have brought it failed, or the
	// next run has not read it yet.
	VerdictStoreBehind Verdict = "store-behind"
	// VerdictBeforeStart: the ticket last changed before the connector's
	// configured start, so polling never reads it.
	VerdictBeforeStart Verdict = "before-start"
	// VerdictDeleted: the ticket is deleted (or merged) on the platform and
	// the Store still holds a live copy.
	VerdictDeleted Verdict = "deleted-on-platform"
	// VerdictOnlyInStore: the Store holds a live copy of a ticket the
	// platform does not know.
	VerdictOnlyInStore Verdict = "only-in-store"
	// VerdictWebhookNotStored: a webhook delivery named the ticket, but its
	// tickets were not stored; the platform was asked to deliver again.
	VerdictWebhookNotStored Verdict = "webhook-not-stored"
	// VerdictNotFound: neither the platform nor the Store has the ticket.
	VerdictNotFound Verdict = "not-found"
	// VerdictUnknown: the platform could not be asked (no TicketGetter, or
	// the request failed), so nothing can be compared.
	VerdictUnknown Verdict = "unknown"
)

// FieldDiff is one field in which the platform's copy and the Store's differ.
type FieldDiff struct {
	Field    string // "Subject", "Status", "Fields[priority_level]", "Comments", ...
	Platform string // the platform's value, as text
	Store    string // the Store's value, as text
}

// CursorPosition is one of a connector's saved cursors, as Explain sees it.
type CursorPosition struct {
	// Lane is "live" for the connector's cursor, "backfill" for its
	// backfill lane's (see LaneStarter).
	Lane string
	// LiveFrom and Done are the backfill lane's: where the live lane
	// started, which the backfill lane reads up to, and whether it got
	// there.
	LiveFrom time.Time
	Done     bool
	// Saved is false when no cursor was saved yet (the next run starts at
	// the configured start).
	Saved bool
	// Described is false when the connector does not implement
	// CursorDescriber, or could not read the cursor (Error says why).
	Described bool
	CursorInfo
	Error string
	// Behind reports that the platform's copy changed after Checkpoint: no
	// poll has read that change yet.
	Behind bool
}

// Explanation is what Syncer.Explain found out about one ticket. Its fields
// are for programs, String is for people.
type Explanation struct {
	ConnectorID string
	TicketID    string
	Platform    string    // Connector.Platform
	At          time.Time // when the explanation was made (the Syncer's clock)

	// OnPlatform is the ticket as the platform has it now, nil when the
	// platform does not know it or could not be asked (PlatformError).
	OnPlatform *Ticket
	// PlatformChecked is true when the platform was asked.
	PlatformChecked bool
	PlatformError   string
	// InStore is the ticket as the Store has it, nil when it has none
	// (StoreError says why when it is not a plain "not found").
	InStore    *Ticket
	StoreError string
	// Diffs are the fields in which the two copies differ.
	Diffs []FieldDiff
	// Deleted: the platform reports the ticket deleted (a tombstone), or
	// does not know it while the Store does. MergedInto is the ticket it
	// was merged into, when the platform says.
	Deleted    bool
	MergedInto string
	// Cursors are the connector's saved cursors.
	Cursors []CursorPosition
	// Runs are the poll runs that could have delivered the platform's
	// copy: those that started after its UpdatedAt (all recent ones when
	// the platform's copy is unknown), newest first, at most 10, and the
	// last successful one before them.
	Runs []SyncRun
	// Webhook is the latest webhook delivery this Syncer received that
	// named the ticket; nil when none in its memory. Each process keeps its
	// own, bounded (DefaultRecentWebhooks tickets per connector).
	Webhook *WebhookSighting
	// NextRun is when the connector's next poll run is due, zero when none
	// is planned.
	NextRun time.Time
	// Verdict is the conclusion; Summary says it in one line.
	Verdict Verdict
	Summary string
}

// String returns a report a person can read: the conclusion first, then
// the evidence.
func (x *Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ticket %s on connector %s (%s): %s\n", x.TicketID, x.ConnectorID, x.Platform, x.Summary)
	switch {
	case x.OnPlatform != nil:
		fmt.Fprintf(&b, "  platform: updated %s%s\n", stamp(x.OnPlatform.UpdatedAt), deletedNote(x.OnPlatform.Deleted, x.MergedInto))
	case !x.PlatformChecked:
		fmt.Fprintf(&b, "  platform: not asked (%s)\n", x.PlatformError)
	case x.PlatformError != "":
		fmt.Fprintf(&b, "  platform: error: %s\n", x.PlatformError)
	default:
		b.WriteString("  platform: no such ticket\n")
	}
	switch {
	case x.InStore != nil:
		fmt.Fprintf(&b, "  store: updated %s%s\n", stamp(x.InStore.UpdatedAt), deletedNote(x.InStore.Deleted, ""))
	case x.StoreError != "":
		fmt.Fprintf(&b, "  store: error: %s\n", x.StoreError)
	default:
		b.WriteString("  store: no such ticket\n")
	}
	for _, d := range x.Diffs {
		fmt.Fprintf(&b, "  differs: %s: platform %q, store %q\n", d.Field, d.Platform, d.Store)
	}
	for _, c := range x.Cursors {
		fmt.Fprintf(&b, "  cursor %s: ", c.Lane)
		switch {
		case !c.Saved:
			b.WriteString("none saved yet")
		case !c.Described && c.Error != "":
			b.WriteString("unreadable: " + c.Error)
		case !c.Described:
			b.WriteString("saved (the connector does not describe it)")
		case c.Checkpoint.IsZero():
			b.WriteString("saved, position unknown")
		default:
			b.WriteString("read up to " + stamp(c.Checkpoint))
		}
		if c.Described && !c.Start.IsZero() {
			b.WriteString(", configured start " + stamp(c.Start))
		}
		if c.Lane == "backfill" {
			if c.Done {
				b.WriteString(", done")
			} else {
				b.WriteString(", walking history up to " + stamp(c.LiveFrom))
			}
		}
		if c.Behind {
			b.WriteString(", behind the platform's copy")
		}
		b.WriteByte('\n')
	}
	for _, r := range x.Runs {
		fmt.Fprintf(&b, "  run %s %s: %s", r.Trigger, stamp(r.StartedAt), r.Status)
		if len(r.Errors) > 0 {
			fmt.Fprintf(&b, ": %s", r.Errors[len(r.Errors)-1])
		}
		b.WriteByte('\n')
	}
	if w := x.Webhook; w != nil {
		fmt.Fprintf(&b, "  webhook %s at %s: ", w.Kind, stamp(w.ReceivedAt))
		if w.Stored {
			b.WriteString("stored\n")
		} else {
			b.WriteString("not stored: " + w.Error + "\n")
		}
	}
	if !x.NextRun.IsZero() {
		fmt.Fprintf(&b, "  next run: %s\n", stamp(x.NextRun))
	}
	return b.String()
}

// stamp prints t for a person: to the second, in UTC, as the console
// prints times.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func deletedNote(deleted bool, into string) string {
	switch {
	case into != "":
		return ", merged into " + into
	case deleted:
		return ", deleted"
	}
	return ""
}

// maxExplainRuns bounds the runs an Explanation lists.
const maxExplainRuns = 10

// Explain finds out why the ticket ticketID of the connector added under
// connectorID is missing from the Store, or stale: it loads the platform's
// copy through the connector's TicketGetter (one request), the Store's
// copy, the connector's cursors, its recent poll runs and the webhook
// deliveries this Syncer remembers, and concludes. It changes nothing;
// Repair stores the platform's copy.
//
// It returns an error matching ErrUnknownConnector when no connector was
// added under connectorID, or the Store's error when the history cannot be
// read; a platform that cannot be asked is reported in the Explanation
// (VerdictUnknown), not as an error.
func (s *Syncer) Explain(ctx context.Context, connectorID, ticketID string) (*Explanation, error) {
	e, ok := s.lookup(connectorID)
	if !ok {
		return nil, fmt.Errorf("ticketsync: explain %q: %w", connectorID, ErrUnknownConnector)
	}
	x := &Explanation{ConnectorID: connectorID, TicketID: ticketID, Platform: e.platform, At: s.now()}

	if e.getter == nil {
		x.PlatformError = e.platform + " connector cannot load tickets by id"
	} else {
		x.PlatformChecked = true
		got, err := safeGet(WithHooks(ctx, s.opts.Hooks), e.getter, []string{ticketID})
		if err != nil {
			x.PlatformError = err.Error()
		}
		for i := range got {
			if got[i].ID == ticketID {
				t := got[i]
				t.ConnectorID, t.Platform = connectorID, e.platform
				x.OnPlatform = &t
			}
		}
		if x.OnPlatform != nil && x.OnPlatform.Deleted {
			x.Deleted = true
			x.MergedInto = x.OnPlatform.Fields[FieldMergedInto]
		}
	}

	stored, err := s.store.Ticket(ctx, connectorID, ticketID)
	switch {
	case err == nil:
		x.InStore = &stored
	case !errors.Is(err, ErrNotFound):
		x.StoreError = err.Error()
	}
	if x.OnPlatform != nil && x.InStore != nil {
		x.Diffs = diffTickets(x.OnPlatform, x.InStore)
	}
	if x.PlatformChecked && x.PlatformError == "" && x.OnPlatform == nil && x.InStore != nil {
		x.Deleted = true
	}

	if e.poller != nil {
		cur, err := s.store.Cursor(ctx, e.id)
		x.Cursors = append(x.Cursors, describeCursor(e, "live", cur, err, x.OnPlatform))
		if saved, err := s.store.Cursor(ctx, e.id+BackfillCursorSuffix); err != nil || saved != "" {
			st, derr := decodeBackfillState(saved)
			if err == nil {
				err = derr
			}
			pos := describeCursor(e, "backfill", st.cursor, err, x.OnPlatform)
			pos.Saved, pos.LiveFrom, pos.Done = true, st.liveFrom, st.done
			if pos.Described && x.OnPlatform != nil {
				// The backfill lane reads only up to where the live lane began.
				pos.Behind = !st.done && !x.OnPlatform.UpdatedAt.Before(pos.Start) && x.OnPlatform.UpdatedAt.Before(st.liveFrom) &&
					(pos.Checkpoint.IsZero() || x.OnPlatform.UpdatedAt.After(pos.Checkpoint))
			}
			x.Cursors = append(x.Cursors, pos)
		}
	}
	if err := s.explainRuns(ctx, x); err != nil {
		return nil, err
	}
	if w, ok := s.hooks.lookup(connectorID, ticketID); ok {
		x.Webhook = &w
	}
	if st, ok := s.Status(connectorID); ok {
		x.NextRun = st.NextRun
	}
	x.Verdict, x.Summary = conclude(x)
	return x, nil
}

// describeCursor describes cur, the saved cursor of e's lane (or the
// error reading it), and where it stands against the platform's copy p
// (nil when unknown).
func describeCursor(e *entry, lane, cur string, err error, p *Ticket) CursorPosition {
	pos := CursorPosition{Lane: lane}
	if err != nil {
		pos.Error = "read cursor: " + err.Error()
		return pos
	}
	pos.Saved = cur != ""
	d, ok := e.conn.(CursorDescriber)
	if !ok {
		return pos
	}
	info, err := d.DescribeCursor(cur)
	if err != nil {
		pos.Error = err.Error()
		return pos
	}
	pos.Described, pos.CursorInfo = true, info
	if p != nil && !p.UpdatedAt.IsZero() && (!pos.Saved || !info.Checkpoint.IsZero() && p.UpdatedAt.After(info.Checkpoint)) {
		pos.Behind = !p.UpdatedAt.Before(info.Start)
	}
	return pos
}

// explainRuns fills x.Runs from the connector's history.
func (s *Syncer) explainRuns(ctx context.Context, x *Explanation) error {
	runs, err := s.store.SyncRuns(ctx, x.ConnectorID, 0)
	if err != nil {
		return fmt.Errorf("ticketsync: explain %q: read history: %w", x.ConnectorID, err)
	}
	var since time.Time
	if x.OnPlatform != nil {
		since = x.OnPlatform.UpdatedAt
	}
	for _, r := range runs {
		if r.Trigger == TriggerWebhook || r.Trigger == TriggerImport {
			continue
		}
		if r.StartedAt.Before(since) {
			if r.Status == RunSucceeded {
				x.Runs = append(x.Runs, r) // the last success before the change
				break
			}
			continue
		}
		if len(x.Runs) < maxExplainRuns {
			x.Runs = append(x.Runs, r)
		}
	}
	return nil
}

// conclude returns x's verdict and its one-line summary.
func conclude(x *Explanation) (Verdict, string) {
	p, st := x.OnPlatform, x.InStore
	storeLive := st != nil && !st.Deleted
	switch {
	case !x.PlatformChecked || x.PlatformError != "":
		why := x.PlatformError
		if st != nil {
			return VerdictUnknown, fmt.Sprintf("cannot compare: the platform was not read (%s); the Store has a copy updated %s", why, stamp(st.UpdatedAt))
		}
		return VerdictUnknown, fmt.Sprintf("cannot compare: the platform was not read (%s) and the Store has no copy", why)
	case p == nil && st == nil:
		return VerdictNotFound, "neither the platform nor the Store has this ticket: check the id and the connector"
	case p == nil && st.Deleted:
		return VerdictInSync, "in sync: deleted on the platform, and the Store holds its tombstone"
	case p == nil:
		return VerdictOnlyInStore, fmt.Sprintf("only in the Store: the platform no longer has it (deleted or merged), but no sync recorded that; the Store's copy was updated %s", stamp(st.UpdatedAt))
	case p.Deleted && storeLive:
		if x.MergedInto != "" {
			return VerdictDeleted, fmt.Sprintf("merged into %s on the platform; the Store still has a live copy (updated %s)", x.MergedInto, stamp(st.UpdatedAt))
		}
		return VerdictDeleted, fmt.Sprintf("deleted on the platform; the Store still has a live copy (updated %s)", stamp(st.UpdatedAt))
	case st != nil && len(x.Diffs) == 0:
		return VerdictInSync, fmt.Sprintf("in sync: the Store has the platform's copy of %s", stamp(p.UpdatedAt))
	case st != nil && st.UpdatedAt.After(p.UpdatedAt):
		return VerdictInSync, fmt.Sprintf("in sync: the Store's copy (%s) is newer than the platform's answer (%s), which may lag", stamp(st.UpdatedAt), stamp(p.UpdatedAt))
	}

	// The platform has a copy the Store lacks or has older.
	what := "the Store is behind"
	if st == nil {
		what = "missing from the Store"
	}
	twoLanes := false
	for _, c := range x.Cursors {
		twoLanes = twoLanes || c.Lane == "backfill"
	}
	for _, c := range x.Cursors {
		// With two lanes, the history before the live lane's start is the
		// backfill lane's: a live cursor that reports where it began as its
		// start must not make that history "before the start".
		if twoLanes && c.Lane == "live" {
			continue
		}
		if c.Described && !c.Start.IsZero() && p.UpdatedAt.Before(c.Start) {
			return VerdictBeforeStart, fmt.Sprintf("%s: never synced because it last changed at %s, before the connector's start %s", what, stamp(p.UpdatedAt), stamp(c.Start))
		}
	}
	if w := x.Webhook; w != nil && !w.Stored {
		return VerdictWebhookNotStored, fmt.Sprintf("%s: a webhook for it arrived at %s but was not stored (%s); the platform was asked to deliver again%s", what, stamp(w.ReceivedAt), w.Error, nextNote(x, "next poll"))
	}
	for _, c := range x.Cursors {
		if c.Lane == "backfill" && c.Behind {
			read := "it has read up to " + stamp(c.Checkpoint)
			if c.Checkpoint.IsZero() {
				// Mid-pass, some platforms cannot tell how far a lane has read.
				read = "its position within the pass is not known"
			}
			return VerdictStoreBehind, fmt.Sprintf("%s: it last changed at %s, in the history the backfill lane has not reached yet (%s; it goes on up to %s)", what, stamp(p.UpdatedAt), read, stamp(c.LiveFrom))
		}
	}
	var failed, success *SyncRun
	for i := range x.Runs {
		r := &x.Runs[i]
		if failed == nil && success == nil && r.Status != RunSucceeded && r.Status != RunRunning {
			failed = r
		}
		if success == nil && r.Status == RunSucceeded {
			success = r
		}
	}
	read := ""
	for _, c := range x.Cursors {
		if c.Described && !c.Checkpoint.IsZero() {
			read = ", the last poll read up to " + stamp(c.Checkpoint)
		}
	}
	if failed != nil {
		reason := "an unknown error"
		if len(failed.Errors) > 0 {
			reason = failed.Errors[len(failed.Errors)-1]
		}
		return VerdictStoreBehind, fmt.Sprintf("%s: the platform updated it at %s%s and the %s run failed: %s%s", what, stamp(p.UpdatedAt), read, stamp(failed.StartedAt), reason, nextNote(x, "next attempt"))
	}
	return VerdictStoreBehind, fmt.Sprintf("%s: the platform updated it at %s%s; no run has read it yet%s", what, stamp(p.UpdatedAt), read, nextNote(x, "next run"))
}

func nextNote(x *Explanation, what string) string {
	if x.NextRun.IsZero() {
		return ""
	}
	return "; " + what + " " + stamp(x.NextRun)
}

// diffTickets returns the fields in which the platform's copy p and the
// Store's copy st differ. Comments differ when the platform has one the
// Store lacks, or a different body; the Store may keep more (it never
// drops a comment).
func diffTickets(p, st *Ticket) []FieldDiff {
	var d []FieldDiff
	str := func(field, a, b string) {
		if a != b {
			d = append(d, FieldDiff{Field: field, Platform: a, Store: b})
		}
	}
	person := func(x Person) string {
		return strings.TrimSpace(x.ID + " " + x.Name + " <" + x.Email + ">")
	}
	tm := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	str("Subject", p.Subject, st.Subject)
	str("Description", p.Description, st.Description)
	str("Status", string(p.Status), string(st.Status))
	str("RawStatus", p.RawStatus, st.RawStatus)
	str("Priority", string(p.Priority), string(st.Priority))
	str("RawPriority", p.RawPriority, st.RawPriority)
	str("Channel", p.Channel, st.Channel)
	str("URL", p.URL, st.URL)
	str("Requester", person(p.Requester), person(st.Requester))
	str("Assignee", person(p.Assignee), person(st.Assignee))
	str("Tags", strings.Join(p.Tags, ","), strings.Join(st.Tags, ","))
	str("CreatedAt", tm(p.CreatedAt), tm(st.CreatedAt))
	str("UpdatedAt", tm(p.UpdatedAt), tm(st.UpdatedAt))
	str("Deleted", fmt.Sprint(p.Deleted), fmt.Sprint(st.Deleted))
	keys := slices.Sorted(maps.Keys(p.Fields))
	for k := range st.Fields {
		if _, ok := p.Fields[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		str("Fields["+k+"]", p.Fields[k], st.Fields[k])
	}
	stored := make(map[string]string, len(st.Comments))
	for _, c := range st.Comments {
		stored[c.ID] = c.Body
	}
	var missing, edited []string
	for _, c := range p.Comments {
		body, ok := stored[c.ID]
		switch {
		case !ok:
			missing = append(missing, c.ID)
		case body != c.Body:
			edited = append(edited, c.ID)
		}
	}
	if len(missing) > 0 {
		d = append(d, FieldDiff{Field: "Comments", Platform: "has " + strings.Join(missing, ","), Store: "lacks them"})
	}
	if len(edited) > 0 {
		d = append(d, FieldDiff{Field: "Comments", Platform: "edited " + strings.Join(edited, ","), Store: "older text"})
	}
	return d
}

// Repair stores the platform's current copy of ticket ticketID of the
// connector added under connectorID, as a webhook delivery would: through
// the connector's TicketGetter, newest-wins in the Store. A ticket the
// platform no longer has is stored as a tombstone of the Store's copy. It
// returns the ticket stored, or an error matching ErrUnknownConnector, or
// one saying the connector cannot load tickets by id, or the platform's or
// the Store's error. Options.OnTickets is called with the stored ticket.
func (s *Syncer) Repair(ctx context.Context, connectorID, ticketID string) (Ticket, error) {
	e, ok := s.lookup(connectorID)
	if !ok {
		return Ticket{}, fmt.Errorf("ticketsync: repair %q: %w", connectorID, ErrUnknownConnector)
	}
	if e.getter == nil {
		return Ticket{}, fmt.Errorf("ticketsync: repair %q ticket %q: %s connector cannot load tickets by id", connectorID, ticketID, e.platform)
	}
	got, err := safeGet(WithHooks(ctx, s.opts.Hooks), e.getter, []string{ticketID})
	if err != nil {
		return Ticket{}, fmt.Errorf("ticketsync: repair %q ticket %q: load: %w", connectorID, ticketID, err)
	}
	var t *Ticket
	for i := range got {
		if got[i].ID == ticketID {
			t = &got[i]
		}
	}
	if t == nil {
		if _, err := s.store.Ticket(ctx, connectorID, ticketID); err != nil {
			return Ticket{}, fmt.Errorf("ticketsync: repair %q ticket %q: neither the platform nor the Store has it: %w", connectorID, ticketID, err)
		}
		tomb, err := s.tombstone(ctx, connectorID, ticketID, Event{Kind: EventDeleted, TicketID: ticketID})
		if err != nil {
			return Ticket{}, fmt.Errorf("ticketsync: repair %q ticket %q: %w", connectorID, ticketID, err)
		}
		t = &tomb
	}
	t.ConnectorID, t.Platform = connectorID, e.platform
	if err := s.store.UpsertTickets(ctx, []Ticket{*t}); err != nil {
		return Ticket{}, fmt.Errorf("ticketsync: repair %q ticket %q: store: %w", connectorID, ticketID, err)
	}
	s.onTickets(ctx, connectorID, []Ticket{*t})
	return *t, nil
}
