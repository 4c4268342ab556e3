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

// Reader holds every read of the store.
type Reader interface {
	GetInstance(ctx context.Context) (Instance, error)
	GetAccessKey(ctx context.Context, id string) (AccessKey, error)

	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByKey finds a user by a unique attribute: "user_name" or
	// "email", compared by their normalized keys.
	GetUserByKey(ctx context.Context, attribute, key string) (User, error)
	GetUserByExternalID(ctx context.Context, issuer, id string) (User, error)
	ListUsers(ctx context.Context, q ListQuery) ([]User, error)
	CountUsers(ctx context.Context) (int, error)

	GetGroup(ctx context.Context, id string) (Group, error)
	GetGroupByDisplayName(ctx context.Context, key string) (Group, error)
	GetGroupByExternalID(ctx context.Context, issuer, id string) (Group, error)
	ListGroups(ctx context.Context, q ListQuery) ([]Group, error)
	CountGroups(ctx context.Context) (int, error)

	GetMembership(ctx context.Context, id string) (Membership, error)
	GetMembershipByPair(ctx context.Context, groupID, userID string) (Membership, error)
	// ListMemberships lists the memberships of a group (GroupID set) or of a
	// user (UserID set), in membership id order.
	ListMemberships(ctx context.Context, q MembershipQuery) ([]Membership, error)
	// MemberGroups returns which of groupIDs the user belongs to.
	MemberGroups(ctx context.Context, userID string, groupIDs []string) (map[string]bool, error)

	ListAuditEvents(ctx context.Context, q AuditQuery) ([]AuditEvent, error)
}

// Tx is a read-write transaction.
type Tx interface {
	Reader

	// CreateInstance stores the instance unless one exists; created says
	// whether this call stored it (another replica may have won the race).
	CreateInstance(ctx context.Context, in Instance) (created bool, err error)
	PutAccessKey(ctx context.Context, k AccessKey) error

	CreateUser(ctx context.Context, u User) error
	// UpdateUser writes u if the stored version is u.Version-1; it returns
	// ErrNotFound when the user is gone.
	UpdateUser(ctx context.Context, u User) error
	DeleteUser(ctx context.Context, id string) error

	CreateGroup(ctx context.Context, g Group) error
	UpdateGroup(ctx context.Context, g Group) error
	DeleteGroup(ctx context.Context, id string) error

	CreateMembership(ctx context.Context, m Membership) error
	DeleteMembership(ctx context.Context, id string) error

	AppendAuditEvents(ctx context.Context, events ...AuditEvent) error
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
