package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ticketsync/ticketsync"
)

// Cursor returns the connector's saved cursor, "" when none was saved.
func (s *Store) Cursor(ctx context.Context, connectorID string) (string, error) {
	var c string
	defer s.reading()()
	err := s.retryBusy(ctx, func() error { return s.db.QueryRowContext(ctx, s.q.cursor, connectorID).Scan(&c) })
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sqlstore: cursor of connector %q: %w", connectorID, err)
	}
	return c, nil
}

// SetCursor saves the connector's cursor, replacing the previous one, in one
// statement.
func (s *Store) SetCursor(ctx context.Context, connectorID, cursor string) error {
	connectorID, cursor = s.cleanText(connectorID), s.cleanText(cursor)
	defer s.writing()()
	if _, err := s.exec(ctx, s.q.setCursor, connectorID, cursor, dbTime(time.Now())); err != nil {
		return fmt.Errorf("sqlstore: set cursor of connector %q: %w", connectorID, err)
	}
	return nil
}

// SaveSyncRun inserts run, or updates the stored run with the same ID, in
// one statement. Then, when Options.HistoryLimit allows fewer runs than the
// connector has of run's trigger, it deletes the oldest of them by
// StartedAt.
func (s *Store) SaveSyncRun(ctx context.Context, run ticketsync.SyncRun) error {
	if run.ID == "" {
		return errors.New("sqlstore: save sync run: empty run ID")
	}
	clean := s.cleanText
	var errs any
	if run.Errors != nil {
		list := make([]string, len(run.Errors))
		for i, e := range run.Errors {
			list[i] = clean(e)
		}
		j, err := encodeJSON(list)
		if err != nil {
			return fmt.Errorf("sqlstore: save sync run %q: %w", run.ID, err)
		}
		errs = j
	}
	defer s.writing()()
	_, err := s.exec(ctx, s.q.saveRun, clean(run.ID), clean(run.ConnectorID), clean(run.Trigger),
		clean(string(run.Status)), dbTime(run.StartedAt), nullTime(run.FinishedAt), run.Tickets, errs,
		run.Attempt, nullTime(run.NextRetryAt), run.Deliveries, run.Progress)
	if err != nil {
		return fmt.Errorf("sqlstore: save sync run %q of connector %q: %w", run.ID, run.ConnectorID, err)
	}
	if s.history > 0 {
		if _, err := s.exec(ctx, s.q.pruneRuns, clean(run.ConnectorID), s.history, clean(run.Trigger)); err != nil {
			return fmt.Errorf("sqlstore: prune sync runs of connector %q: %w", run.ConnectorID, err)
		}
	}
	return nil
}

// SyncRuns returns the connector's runs, newest StartedAt first (by ID
// among equal times), at most limit of them (all when limit <= 0).
func (s *Store) SyncRuns(ctx context.Context, connectorID string, limit int) ([]ticketsync.SyncRun, error) {
	runs, err := s.listRuns(ctx, s.q.runs, limit, connectorID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: sync runs of connector %q: %w", connectorID, err)
	}
	return runs, nil
}

// SyncRunsByTrigger returns the connector's runs whose Trigger is trigger,
// as SyncRuns orders and limits them, through an index on (connector,
// trigger, time).
func (s *Store) SyncRunsByTrigger(ctx context.Context, connectorID, trigger string, limit int) ([]ticketsync.SyncRun, error) {
	runs, err := s.listRuns(ctx, s.q.runsOf, limit, connectorID, trigger)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s runs of connector %q: %w", trigger, connectorID, err)
	}
	return runs, nil
}

// listRuns runs query, whose $1 is the connector, $2 the limit and $3 the
// trigger if any, and scans its runs.
func (s *Store) listRuns(ctx context.Context, query string, limit int, connectorID string, trigger ...string) ([]ticketsync.SyncRun, error) {
	var lim any = limit
	if limit <= 0 {
		lim = nil // LIMIT NULL: no limit on PostgreSQL
		if s.dialect == SQLite {
			lim = -1
		}
	}
	args := []any{connectorID, lim}
	for _, t := range trigger {
		args = append(args, t)
	}
	defer s.reading()()
	var rows *sql.Rows
	err := s.retryBusy(ctx, func() (err error) {
		rows, err = s.db.QueryContext(ctx, query, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []ticketsync.SyncRun
	for rows.Next() {
		var r ticketsync.SyncRun
		var status string
		if err := rows.Scan(&r.ID, &r.ConnectorID, &r.Trigger, &status, timeValue{&r.StartedAt},
			timeValue{&r.FinishedAt}, &r.Tickets, jsonValue{&r.Errors}, &r.Attempt, timeValue{&r.NextRetryAt},
			&r.Deliveries, &r.Progress); err != nil {
			return nil, err
		}
		r.Status = ticketsync.RunStatus(status)
		runs = append(runs, r)
	}
	return runs, rows.Err()
}
