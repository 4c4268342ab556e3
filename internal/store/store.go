// Package store defines Gatehouse's persistent records and the interface the
// domain services use to read and change them.
//
// The interface is owned by the project and implemented once, in sqlstore,
// for SQLite and PostgreSQL; storetest holds the conformance suite every
// implementation must pass. Domain packages depend on this package only, never
// on database/sql.
//
// Reads outside a transaction go through the Store's Reader methods. Every
// change goes through Update, which runs a function in one read-write
// transaction: the change and its audit event commit together or not at all.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned (wrapped) when a record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrReadOnly is returned when a write is attempted in a read-only view.
var ErrReadOnly = errors.New("store: read-only transaction")

// ConflictError reports that a write would break a uniqueness rule.
type ConflictError struct {
	// Constraint names the rule, as "table.column" (for example
	// "users.user_name_key"), independent of the backend.
	Constraint string
	Err        error
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("store: uniqueness violation on %s", e.Constraint)
}

func (e *ConflictError) Unwrap() error { return e.Err }

// IsConflict reports whether err is a uniqueness violation, and on which
// constraint.
func IsConflict(err error) (constraint string, ok bool) {
	var c *ConflictError
	if errors.As(err, &c) {
		return c.Constraint, true
	}
	return "", false
}

// Store is a handle on the database.
type Store interface {
	Reader

	// Update runs fn in a read-write transaction and commits when fn
	// returns nil. When the transaction loses a race with another writer
	// (a serialization failure), Update runs fn again from the start, so fn
	// must not have effects outside tx before it returns.
	Update(ctx context.Context, fn func(tx Tx) error) error

	// View runs fn against one consistent snapshot.
	View(ctx context.Context, fn func(r Reader) error) error

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error

	// Backend names the implementation ("sqlite" or "postgres").
	Backend() string

	// Close releases the database. Pending Update calls finish first.
	Close() error
}

// Reader holds every read of the store. Each domain declares its reads in
// its own file (directory.go, system.go, …) and embeds them here.
type Reader interface {
	SystemReader
	DirectoryReader
	SigninReader
	PortalReader
	OrgReader
	AccessReader
	IAMReader
	IAMUserReader
	TokenReader
	ConsoleReader
}

// Tx is a read-write transaction: every read, and every write of every
// domain.
type Tx interface {
	Reader
	SystemWriter
	DirectoryWriter
	SigninWriter
	OrgWriter
	AccessWriter
	IAMWriter
	IAMUserWriter
	TokenWriter
	ConsoleWriter

	// AfterCommit registers fn to run once the transaction has committed,
	// before Update returns. It does not run when the transaction (or, in
	// a group commit, this Update's part of it) rolls back, and the
	// functions of a run that is rolled back and run again are forgotten.
	// It is for what must follow the commit, such as clearing a cache that
	// a concurrent reader would otherwise fill again with the state from
	// before it.
	AfterCommit(fn func())
}

// ListQuery pages through a table in key order.
type ListQuery struct {
	// After is the last key of the previous page; empty starts at the top.
	After string
	// Limit is the page size; callers fetch Limit+1 to learn whether more
	// follow.
	Limit int
}

// MembershipQuery pages through the memberships of one group or one user.
type MembershipQuery struct {
	GroupID string
	UserID  string
	After   string
	Limit   int
}

// AuditQuery selects audit events, newest first.
type AuditQuery struct {
	// Before is the sequence number to start below; 0 starts at the newest.
	Before    int64
	Limit     int
	EventName string
	Principal string
	Since     time.Time
	Until     time.Time
}
