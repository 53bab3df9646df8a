package sqlstore

import (
	"context"
	"database/sql"
)

// SetBulkCopy turns the PostgreSQL COPY path on or off, so that tests and
// benchmarks run the path other drivers take over pgx as well.
func SetBulkCopy(s *Store, on bool) { s.noCopy = !on }

// SetCopyMin sets the smallest batch that takes the COPY path, so that
// tests can send every batch down it.
func SetCopyMin(s *Store, n int) { s.copyMin = n }

// MigrateTo creates or upgrades the tables with prefix on db to schema
// version, no further, as an older release would have left them.
func MigrateTo(ctx context.Context, db *sql.DB, d Dialect, prefix string, version int) error {
	s := &Store{db: db, dialect: d, prefix: prefix, history: DefaultHistoryLimit}
	s.q = buildQueries(d, prefix)
	return s.migrateTo(ctx, version)
}
