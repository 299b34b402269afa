package devstore

import "database/sql"

// DB is the underlying handle, for packages that keep their own tables in
// this database (webhook deliveries). Queries written with $n placeholders
// run unchanged on both drivers.
func (s *Store) DB() *sql.DB { return s.db }
