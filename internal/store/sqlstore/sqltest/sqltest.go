// Package sqltest gives tests a fresh database on each backend: a SQLite file
// in a temporary directory, or a new database on the PostgreSQL server named
// by GATEHOUSE_TEST_POSTGRES.
//
// When CI is set, a missing PostgreSQL server fails the test instead of
// skipping it, so a CI run can never pass without having tested PostgreSQL.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// EnvPostgres names the variable holding an administrative PostgreSQL DSN
// (URL form), e.g. postgres://postgres:postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvPostgres = "GATEHOUSE_TEST_POSTGRES"

// SQLitePath returns the path of a new SQLite database file.
func SQLitePath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "gatehouse.db")
}

// PostgresDSN creates an empty database for the test and returns its DSN;
// the database is dropped when the test ends. Without a server it skips the
// test, or fails it when CI is set.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is empty: the PostgreSQL tests must run in CI", EnvPostgres)
		}
		t.Skipf("no PostgreSQL server: set %s to run the PostgreSQL tests", EnvPostgres)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", EnvPostgres, err)
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	ctx := context.Background()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		t.Fatalf("PostgreSQL at %s does not answer: %v", u.Redacted(), err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "gatehouse_test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
