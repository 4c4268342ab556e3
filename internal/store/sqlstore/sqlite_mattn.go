//go:build cgo_sqlite

package sqlstore

import (
	"net/url"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver (cgo)
)

// sqliteDriver is the database/sql driver used for SQLite: here mattn's
// cgo driver, selected by the cgo_sqlite build tag.
const sqliteDriver = "sqlite3"

// sqliteDSN spells the pragmas the way mattn/go-sqlite3 reads them.
func sqliteDSN(path string, readOnly bool) string {
	q := url.Values{}
	for _, p := range sqlitePragmas {
		q.Set("_"+p[0], p[1])
	}
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}
