package sqlstore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestUniqueIndexesCoverSchema checks that every unique index and primary key
// in the SQLite schema has a name in uniqueIndexes, so a conflict always
// reports the same constraint name as PostgreSQL.
func TestUniqueIndexesCoverSchema(t *testing.T) {
	db, err := Open(context.Background(), Config{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "x.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	rows, err := db.read.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	for _, table := range tables {
		idx, err := db.read.QueryContext(ctx, `SELECT name, "unique", origin FROM pragma_index_list(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		type index struct {
			name, origin string
			unique       bool
		}
		var list []index
		for idx.Next() {
			var i index
			idx.Scan(&i.name, &i.unique, &i.origin)
			list = append(list, i)
		}
		idx.Close()
		// A rowid table's INTEGER PRIMARY KEY has no index entry.
		list = append(list, index{name: "rowid-pk", origin: "pk", unique: true})
		for _, i := range list {
			if !i.unique {
				continue
			}
			var cols []string
			if i.name == "rowid-pk" {
				c, err := db.read.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, table)
				if err != nil {
					t.Fatal(err)
				}
				for c.Next() {
					var n string
					c.Scan(&n)
					cols = append(cols, n)
				}
				c.Close()
				if len(cols) != 1 {
					continue // not a rowid alias; its autoindex is listed already
				}
			} else {
				c, err := db.read.QueryContext(ctx, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, i.name)
				if err != nil {
					t.Fatal(err)
				}
				for c.Next() {
					var n string
					c.Scan(&n)
					cols = append(cols, n)
				}
				c.Close()
			}
			key := table + "(" + strings.Join(cols, ",") + ")"
			want := i.name
			if i.origin == "pk" {
				want = table + "_pkey"
			}
			if got, ok := uniqueIndexes[key]; !ok || got != want {
				t.Errorf("uniqueIndexes[%q] = %q, want %q", key, got, want)
			}
		}
	}
}
