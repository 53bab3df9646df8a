package sqlstore

// SetBulkCopy turns the PostgreSQL COPY path on or off, so that tests and
// benchmarks run the path other drivers take over pgx as well.
func SetBulkCopy(s *Store, on bool) { s.noCopy = !on }
