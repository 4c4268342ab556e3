package sqlstore_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func open(t testing.TB, cfg sqlstore.Config) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Connect {
		// One process owns a SQLite file (the lock file enforces it), so
		// every "replica" of a test shares the one handle.
		db := open(t, sqlstore.Config{Driver: "sqlite", Path: sqltest.SQLitePath(t)})
		return func() store.Store { return db }
	})
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Connect {
		dsn := sqltest.PostgresDSN(t)
		return func() store.Store {
			return open(t, sqlstore.Config{Driver: "postgres", DSN: dsn, MaxConns: 8})
		}
	})
}

func TestSQLiteSecondProcessRefused(t *testing.T) {
	path := sqltest.SQLitePath(t)
	open(t, sqlstore.Config{Driver: "sqlite", Path: path})
	_, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: "sqlite", Path: path})
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second Open = %v, want refusal", err)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	path := sqltest.SQLitePath(t)
	db := open(t, sqlstore.Config{Driver: "sqlite", Path: path})
	db.Close()
	// Reopening applies nothing twice and keeps working.
	db = open(t, sqlstore.Config{Driver: "sqlite", Path: path})
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestMigrationsMatch keeps the two dialects' migrations in step: the same
// files, in the same order.
func TestMigrationsMatch(t *testing.T) {
	names := func(dialect string) []string {
		entries, err := fs.ReadDir(sqlstore.MigrationFiles(), "migrations/"+dialect)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	a, b := names("sqlite"), names("postgres")
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("sqlite migrations %v differ from postgres migrations %v", a, b)
	}
}

// TestSQLiteWritePanics checks that a write that panics, alone in its
// batch (no savepoint), fails by itself, leaves nothing behind and leaves
// the writer working.
func TestSQLiteWritePanics(t *testing.T) {
	ctx := context.Background()
	db := open(t, sqlstore.Config{Driver: "sqlite", Path: sqltest.SQLitePath(t)})
	put := func(failures int) error {
		return db.Update(ctx, func(tx store.Tx) error { return tx.PutCounter(ctx, store.Counter{Key: "k", Failures: failures}) })
	}
	if err := put(1); err != nil {
		t.Fatal(err)
	}
	err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutCounter(ctx, store.Counter{Key: "k", Failures: 99}); err != nil {
			return err
		}
		panic("boom")
	})
	if err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("Update of a panicking write = %v, want an error saying it panicked", err)
	}
	if c, err := db.GetCounter(ctx, "k"); err != nil || c.Failures != 1 {
		t.Fatalf("after the panic: counter %+v, %v; want the value before it", c, err)
	}
	if err := put(2); err != nil {
		t.Fatalf("write after a panic: %v", err)
	}
	if c, err := db.GetCounter(ctx, "k"); err != nil || c.Failures != 2 {
		t.Fatalf("write after a panic: counter %+v, %v", c, err)
	}
}
