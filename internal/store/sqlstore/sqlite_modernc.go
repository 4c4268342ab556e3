//go:build !cgo_sqlite

package sqlstore

import (
	"net/url"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go)
)

// sqliteDriver is the database/sql driver used for SQLite. The pure-Go
// driver is the default; build with -tags cgo_sqlite to use mattn's cgo
// driver instead (docs/storage.md has the measurement behind the choice).
const sqliteDriver = "sqlite"

// sqliteDSN spells the pragmas the way modernc.org/sqlite reads them.
func sqliteDSN(path string, readOnly bool) string {
	q := url.Values{}
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p[0]+"("+p[1]+")")
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}
