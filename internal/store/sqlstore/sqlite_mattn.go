//go:build cgo_sqlite

package sqlstore

import _ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver (cgo)

// sqliteDriver is the database/sql driver used for SQLite: here mattn's
// cgo driver, selected by the cgo_sqlite build tag.
const sqliteDriver = "sqlite3"
