//go:build !cgo_sqlite

package sqlstore

import _ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go)

// sqliteDriver is the database/sql driver used for SQLite. The pure-Go
// driver is the default; build with -tags cgo_sqlite to use mattn's cgo
// driver instead (see docs/storage.md for the measurement behind the choice).
const sqliteDriver = "sqlite"
