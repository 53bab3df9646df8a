package sqlstore

import (
	"context"
	"database/sql"
	"errors"
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

// leaseLeft reads how long a connector's lease has left: by the database
// server's clock on PostgreSQL, in microseconds; on SQLite, its expiry.
const (
	leaseLeftPostgres = `SELECT greatest(0, floor(extract(epoch FROM expires_at - clock_timestamp()) * 1000000))::bigint
		FROM {p}leases WHERE connector_id = $1`
	leaseLeftSQLite = `SELECT expires_at FROM {p}leases WHERE connector_id = $1`
)

// LeaseLeft reports how long the lease on connectorID lasts from now unless
// its holder renews it, 0 when there is none or it has expired, in one
// statement. On PostgreSQL the database server's clock measures it, as it
// decides expiry; on SQLite, the local clock does.
func (s *Store) LeaseLeft(ctx context.Context, connectorID string) (time.Duration, error) {
	var left time.Duration
	defer s.reading()()
	err := s.retryBusy(ctx, func() error {
		switch s.dialect {
		case Postgres:
			var us int64
			err := s.db.QueryRowContext(ctx, s.rebind(s.expand(leaseLeftPostgres)), dropNUL(connectorID)).Scan(&us)
			left = time.Duration(us) * time.Microsecond
			return err
		default:
			var expires time.Time
			if err := s.db.QueryRowContext(ctx, s.rebind(s.expand(leaseLeftSQLite)), connectorID).Scan(timeValue{&expires}); err != nil {
				return err
			}
			left = max(0, time.Until(expires))
			return nil
		}
	})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: lease time left on connector %q: %w", connectorID, err)
	}
	return left, nil
}
