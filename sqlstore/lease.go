package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// AcquireLease takes or renews the lease on connectorID for holder until
// ttl from now, in one atomic statement (an upsert whose update applies only
// when holder already holds the lease or the lease has expired). It reports
// false, without error, when another holder's lease is unexpired.
//
// On PostgreSQL the database server's clock decides expiry, so replicas
// need not agree on the time; on SQLite, the local clock does.
func (s *Store) AcquireLease(ctx context.Context, connectorID, holder string, ttl time.Duration) (bool, error) {
	if holder == "" {
		return false, fmt.Errorf("sqlstore: acquire lease on connector %q: empty holder", connectorID)
	}
	if ttl <= 0 {
		return false, fmt.Errorf("sqlstore: acquire lease on connector %q: ttl %v is not positive", connectorID, ttl)
	}
	var args []any
	switch s.dialect {
	case Postgres:
		args = []any{dropNUL(connectorID), dropNUL(holder), ttl.Microseconds()}
	case SQLite:
		now := time.Now()
		args = []any{connectorID, holder, dbTime(now.Add(ttl)), dbTime(now)}
	}
	defer s.writing()()
	res, err := s.exec(ctx, s.q.acquireLease, args...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: acquire lease on connector %q for %q: %w", connectorID, holder, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: acquire lease on connector %q for %q: %w", connectorID, holder, err)
	}
	return n == 1, nil
}

// ReleaseLease gives up holder's lease on connectorID, so that another
// replica may take it at once; it does nothing when holder does not hold it.
func (s *Store) ReleaseLease(ctx context.Context, connectorID, holder string) error {
	if s.dialect == Postgres {
		connectorID, holder = dropNUL(connectorID), dropNUL(holder)
	}
	defer s.writing()()
	if _, err := s.exec(ctx, s.q.releaseLease, connectorID, holder); err != nil {
		return fmt.Errorf("sqlstore: release lease on connector %q for %q: %w", connectorID, holder, err)
	}
	return nil
}
