package sqlstore

import (
	"context"
	"database/sql"
)

// MigrateTo creates or upgrades the tables with prefix on db to schema
// version, no further, as an older release would have left them.
func MigrateTo(ctx context.Context, db *sql.DB, d Dialect, prefix string, version int) error {
	s := &Store{db: db, dialect: d, prefix: prefix, history: DefaultHistoryLimit}
	s.q = buildQueries(d, prefix)
	return s.migrateTo(ctx, version)
}
