// Package sqlstore implements store.Store on SQL databases: SQLite (the
// embedded default) and PostgreSQL (for several replicas). Both share one SQL
// layer; a dialect supplies what differs (placeholders, error codes,
// migrations, how transactions are run).
//
// SQLite runs every write on one connection through a group-commit writer:
// concurrent Update calls are batched into one physical transaction, each
// under its own SAVEPOINT, and acknowledged together after one durable
// COMMIT. Reads use a separate pool of connections and see the last commit
// (WAL mode). PostgreSQL runs each Update as its own SERIALIZABLE
// transaction and retries it on serialization failures.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

//go:embed migrations
var migrationFiles embed.FS

// Config selects and configures a backend.
type Config struct {
	// Driver is "sqlite" or "postgres".
	Driver string
	// Path is the SQLite database file.
	Path string
	// DSN is the PostgreSQL connection string (URL or key=value form).
	DSN string
	// MaxConns bounds the connection pool (PostgreSQL) or the reader pool
	// (SQLite). Zero picks a default.
	MaxConns int
	Logger   *slog.Logger
}

// DB is a store.Store on a SQL database.
type DB struct {
	queries
	dialect *dialect
	read    *sql.DB
	write   *sql.DB // SQLite: one connection; PostgreSQL: same as read
	batcher *batcher
	release func() error // releases the SQLite file lock
	// stmtCaches are closed before their pools.
	stmtCaches []*stmtCache
	log        *slog.Logger
	closeMu    sync.Once
}

var _ store.Store = (*DB)(nil)

// Open connects to the configured database, applies pending migrations and
// returns the store.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var (
		db  *DB
		err error
	)
	switch cfg.Driver {
	case "sqlite", "":
		db, err = openSQLite(ctx, cfg)
	case "postgres":
		db, err = openPostgres(ctx, cfg)
	default:
		return nil, fmt.Errorf("sqlstore: unknown driver %q (want sqlite or postgres)", cfg.Driver)
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Backend names the database in use.
func (db *DB) Backend() string { return db.dialect.name }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	return nil
}

// Close stops the writer after pending writes and closes the pools.
func (db *DB) Close() error {
	var errs []error
	db.closeMu.Do(func() {
		if db.batcher != nil {
			db.batcher.close()
		}
		for _, c := range db.stmtCaches {
			c.close()
		}
		errs = append(errs, db.read.Close())
		if db.write != db.read {
			errs = append(errs, db.write.Close())
		}
		if db.release != nil {
			errs = append(errs, db.release())
		}
	})
	return errors.Join(errs...)
}

// Update runs fn in a read-write transaction.
func (db *DB) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if db.batcher != nil {
		return db.batcher.do(ctx, fn)
	}
	return db.updateSerializable(ctx, fn)
}

// maxRetries bounds how often a transaction that lost a serialization race
// is run again before the error is returned.
const maxRetries = 20

// updateSerializable runs fn in its own SERIALIZABLE transaction, retrying
// when the database reports that it lost a race with a concurrent one.
func (db *DB) updateSerializable(ctx context.Context, fn func(tx store.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := db.updateOnce(ctx, fn)
		if err == nil || !db.dialect.retryable(err) || attempt >= maxRetries {
			return err
		}
		// Back off a little, growing, so that racing writers spread out.
		delay := time.Duration(attempt+1) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

func (db *DB) updateOnce(ctx context.Context, fn func(tx store.Tx) error) (err error) {
	tx, err := db.write.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	var after []func()
	if err := fn(&queries{db: tx, d: db.dialect, writable: true, afterCommit: &after}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", db.dialect.translate(err))
	}
	for _, f := range after {
		f()
	}
	return nil
}

// View runs fn against one consistent snapshot.
func (db *DB) View(ctx context.Context, fn func(r store.Reader) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect.name == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlstore: begin view: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to keep
	return fn(&queries{db: tx, d: db.dialect, stmts: db.queries.stmts})
}

// migrate applies, in order, every embedded migration not yet recorded.
// Each migration runs in its own transaction with its record, so a crash
// leaves either all of it or none of it.
func (db *DB) migrate(ctx context.Context) error {
	dir := "migrations/" + db.dialect.name
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return fmt.Errorf("sqlstore: read migrations: %w", err)
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT   NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlstore: create schema_migrations: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		var version int64
		if _, err := fmt.Sscanf(name, "%d_", &version); err != nil {
			return fmt.Errorf("sqlstore: migration %s: name must start with a number", name)
		}
		body, err := migrationFiles.ReadFile(dir + "/" + name)
		if err != nil {
			return fmt.Errorf("sqlstore: read migration %s: %w", name, err)
		}
		if err := db.applyMigration(ctx, version, name, string(body)); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, version int64, name, body string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin migration %s: %w", name, err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if db.dialect.lockMigrations != "" {
		// Replicas starting together must not apply the same migration twice.
		if _, err := tx.ExecContext(ctx, db.dialect.lockMigrations); err != nil {
			return fmt.Errorf("sqlstore: lock migrations: %w", err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, db.dialect.rebind("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), version).Scan(&n); err != nil {
		return fmt.Errorf("sqlstore: check migration %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("sqlstore: apply migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, db.dialect.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		version, name, time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("sqlstore: record migration %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit migration %s: %w", name, err)
	}
	db.log.Info("applied migration", "backend", db.dialect.name, "migration", name)
	return nil
}
