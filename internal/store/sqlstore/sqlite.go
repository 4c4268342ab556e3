package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
)

// sqlitePragmas are applied to every connection. WAL lets readers run beside
// the writer; synchronous=FULL makes each COMMIT durable before it is
// acknowledged (the group-commit writer pays that fsync once per batch).
var sqlitePragmas = [][2]string{
	{"journal_mode", "WAL"},
	{"synchronous", "FULL"},
	{"busy_timeout", "10000"},
	{"foreign_keys", "1"},
	{"cache_size", "-16000"},
}

func openSQLite(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Path == "" {
		return nil, errors.New("sqlstore: sqlite needs a database path")
	}
	if strings.ContainsAny(cfg.Path, "?#") {
		return nil, fmt.Errorf("sqlstore: sqlite path %q must not contain ? or #", cfg.Path)
	}
	release, err := lockFile(cfg.Path + ".lock")
	if err != nil {
		return nil, err
	}
	// SQLite gives the -wal and -shm files the mode of the database file,
	// so creating it owner-only keeps all three private.
	if f, err := os.OpenFile(cfg.Path, os.O_CREATE|os.O_RDWR, 0o600); err == nil {
		f.Close()
	} else {
		release()
		return nil, fmt.Errorf("sqlstore: create %s: %w", cfg.Path, err)
	}
	d := &dialect{
		name:      "sqlite",
		conflict:  sqliteConflict,
		retryable: func(error) bool { return false },
	}
	write, err := sql.Open(sqliteDriver, sqliteDSN(cfg.Path, false))
	if err != nil {
		release()
		return nil, fmt.Errorf("sqlstore: open sqlite: %w", err)
	}
	// Writes are serialised by the batcher's single goroutine, not by the
	// pool: the second connection lets the statement cache prepare a new
	// query while the writer's transaction holds the first.
	write.SetMaxOpenConns(2)
	write.SetMaxIdleConns(2)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	read, err := sql.Open(sqliteDriver, sqliteDSN(cfg.Path, true))
	if err != nil {
		write.Close()
		release()
		return nil, fmt.Errorf("sqlstore: open sqlite readers: %w", err)
	}
	n := cfg.MaxConns
	if n <= 0 {
		n = max(4, runtime.GOMAXPROCS(0)*2)
	}
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(0)

	readStmts, writeStmts := newStmtCache(read), newStmtCache(write)
	db := &DB{
		queries: queries{db: read, d: d, stmts: readStmts},
		dialect: d,
		read:    read,
		write:   write,
		release: release,
		log:     cfg.Logger,
	}
	// Create the file and switch it to WAL through the writer before any
	// reader (query_only) connection touches it.
	if err := db.Ping(ctx); err != nil {
		var one int
		if err2 := write.QueryRowContext(ctx, "SELECT 1").Scan(&one); err2 != nil {
			db.Close()
			return nil, fmt.Errorf("sqlstore: open %s: %w", cfg.Path, err2)
		}
	}
	db.batcher = newBatcher(write, d, writeStmts, cfg.Logger)
	db.stmtCaches = []*stmtCache{readStmts, writeStmts}
	return db, nil
}

// sqliteConflict recognises a uniqueness violation by SQLite's message,
// which every driver passes through: "UNIQUE constraint failed: t.a, t.b".
func sqliteConflict(err error) (string, bool) {
	msg := err.Error()
	i := strings.Index(msg, "UNIQUE constraint failed: ")
	if i < 0 {
		return "", false
	}
	cols := msg[i+len("UNIQUE constraint failed: "):]
	if j := strings.Index(cols, " ("); j >= 0 {
		cols = cols[:j]
	}
	return constraintName(strings.Split(cols, ", ")), true
}

// constraintName turns SQLite's "table.column" list into the index name the
// migrations give that constraint (the name PostgreSQL reports), so that
// callers see one name whatever the backend.
func constraintName(cols []string) string {
	table, _, _ := strings.Cut(cols[0], ".")
	names := make([]string, len(cols))
	for i, c := range cols {
		_, names[i], _ = strings.Cut(c, ".")
	}
	key := table + "(" + strings.Join(names, ",") + ")"
	if n, ok := uniqueIndexes[key]; ok {
		return n
	}
	return table + "_" + strings.Join(names, "_")
}

// uniqueIndexes maps SQLite's column lists to the names of the unique
// indexes and primary keys in the migrations. A test checks it against the
// schema so a new index cannot be forgotten.
var uniqueIndexes = map[string]string{
	"users(id)":                             "users_pkey",
	"users(user_name_key)":                  "users_user_name_key",
	"users(email_key)":                      "users_email_key",
	"groups(id)":                            "groups_pkey",
	"groups(display_name_key)":              "groups_display_name_key",
	"memberships(id)":                       "memberships_pkey",
	"memberships(group_id,user_id)":         "memberships_pair",
	"external_ids(kind,issuer,external_id)": "external_ids_pkey",
	"access_keys(id)":                       "access_keys_pkey",
	"audit_events(seq)":                     "audit_events_pkey",
	"audit_events(event_id)":                "audit_events_event_id",
	"instance(singleton)":                   "instance_pkey",
}

// lockFile takes an exclusive lock so that two processes never open the same
// SQLite database: SQLite would serialise them, but each would believe its
// in-process writer is the only one.
func lockFile(path string) (func() error, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("sqlstore: %s is in use by another process: %w", path, err)
	}
	return f.Close, nil
}
