package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

func openPostgres(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.DSN == "" {
		return nil, errors.New("sqlstore: postgres needs a DSN")
	}
	pool, err := sql.Open("pgx", cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open postgres: %w", err)
	}
	n := cfg.MaxConns
	if n <= 0 {
		n = 16
	}
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	d := &dialect{
		name:      "postgres",
		numbered:  true,
		conflict:  postgresConflict,
		retryable: postgresRetryable,
		// A transaction-scoped advisory lock; the number is arbitrary but
		// fixed ("gatehous" in ASCII).
		lockMigrations: "SELECT pg_advisory_xact_lock(7449354438848652147)",
	}
	db := &DB{
		queries: queries{db: pool, d: d},
		dialect: d,
		read:    pool,
		write:   pool,
		log:     cfg.Logger,
	}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// postgresConflict reports unique_violation (23505) with its constraint.
func postgresConflict(err error) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName, true
	}
	return "", false
}

// postgresRetryable reports serialization_failure (40001) and
// deadlock_detected (40P01): the transaction lost a race and may run again.
func postgresRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}
