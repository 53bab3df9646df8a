package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// maxBusyWait bounds how long a SQLite operation is retried while the
// database reports SQLITE_BUSY or SQLITE_LOCKED (another process writing).
const maxBusyWait = 30 * time.Second

// SQLite allows one writer at a time, and without WAL a reader fails while
// a writer commits. A database opened with a plain DSN (no busy_timeout, no
// WAL) then answered "database is locked" to concurrent callers. The Store
// therefore serialises its own writers on SQLite, keeps its readers apart
// from them unless the database is in WAL mode, and retries an operation
// that meets SQLITE_BUSY from another process for up to maxBusyWait. With
// the documented DSN (WAL, busy_timeout) only the writers' lock remains,
// which SQLite would impose anyway.

// noop is the release of a lock not taken.
func noop() {}

// writing takes the Store's write lock on SQLite and returns its release.
func (s *Store) writing() func() {
	if s.dialect != SQLite {
		return noop
	}
	s.rw.Lock()
	return s.rw.Unlock
}

// reading keeps a read apart from the Store's writers on SQLite outside
// WAL mode, and returns its release.
func (s *Store) reading() func() {
	if s.dialect != SQLite || s.wal {
		return noop
	}
	s.rw.RLock()
	return s.rw.RUnlock
}

// detectWAL records whether the SQLite database is in WAL mode.
func (s *Store) detectWAL(ctx context.Context) {
	if s.dialect != SQLite {
		return
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err == nil {
		s.wal = strings.EqualFold(mode, "wal")
	}
}

// exec is ExecContext, retried on SQLITE_BUSY.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.retryBusy(ctx, func() (err error) {
		res, err = s.db.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// retryBusy runs f again while it fails with SQLITE_BUSY or SQLITE_LOCKED,
// waiting a little longer each time, for up to maxBusyWait or until ctx
// ends. f must be safe to repeat. On PostgreSQL it runs f once.
func (s *Store) retryBusy(ctx context.Context, f func() error) error {
	if s.dialect != SQLite {
		return f()
	}
	deadline := time.Now().Add(maxBusyWait)
	wait := time.Millisecond
	for {
		err := f()
		if err == nil || !busy(err) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// busy reports SQLITE_BUSY (5) or SQLITE_LOCKED (6), extended codes
// included, through the Code method of modernc.org/sqlite's and
// mattn/go-sqlite3's errors, or their text.
func busy(err error) bool {
	var c interface{ Code() int }
	if errors.As(err, &c) {
		switch c.Code() & 0xff {
		case 5, 6:
			return true
		}
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked") || strings.Contains(msg, "database table is locked")
}
