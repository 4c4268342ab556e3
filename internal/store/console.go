package store

import (
	"context"
	"time"
)

// ConsoleGrant gives an identity store user access to the admin console,
// and says with which permissions the user acts there.
type ConsoleGrant struct {
	UserID string
	// Level is FULL, READ_ONLY or POLICY.
	Level string
	// PolicyARNs are the managed policies a POLICY grant acts with (AWS
	// managed, or customer managed in the management account).
	PolicyARNs []string
	GrantedAt  time.Time
	GrantedBy  string
}

// UserSearch pages through the users whose normalized user name (Field
// "user_name") or primary email (Field "email") starts with Prefix, in the
// order of that key. An empty prefix lists every user (by user name).
type UserSearch struct {
	Field  string
	Prefix string
	// After is the key (of Field) of the last user of the previous page.
	After string
	Limit int
}

// Audit outcomes a search can select.
const (
	AuditSuccess = "success"
	AuditFailure = "failure"
)

// AuditSearch selects audit events, newest first, for the console's audit
// page. Without a time window events come in sequence order and the page
// cursor is the sequence number (Before); with one they come in time order
// and the cursor is (BeforeTime, Before).
type AuditSearch struct {
	EventName string
	Principal string
	// Outcome is "", AuditSuccess or AuditFailure (a call that returned an
	// error, or a sign-in step that failed).
	Outcome string
	Since   time.Time
	Until   time.Time
	// Before is the sequence number of the last event of the previous
	// page; 0 starts at the newest.
	Before int64
	// BeforeTime is the time of that event, used only with a time window
	// and no name or principal.
	BeforeTime time.Time
	Limit      int
}

// ByTime reports whether the search walks the time index: a time window
// with neither an event name nor a principal to narrow it.
func (q AuditSearch) ByTime() bool {
	return (!q.Since.IsZero() || !q.Until.IsZero()) && q.EventName == "" && q.Principal == ""
}

// ConsoleReader holds the reads the admin console needs beyond those of
// the AWS APIs: console grants, the user search, the roles whose
// permission set changed since they were provisioned, and the audit search.
type ConsoleReader interface {
	GetConsoleGrant(ctx context.Context, userID string) (ConsoleGrant, error)
	// ListConsoleGrants pages through the grants in user id order.
	ListConsoleGrants(ctx context.Context, after string, limit int) ([]ConsoleGrant, error)
	SearchUsers(ctx context.Context, q UserSearch) ([]User, error)
	// ListOutdatedRoles pages through the provisioned roles whose
	// permission set changed since (LATEST_PERMISSION_SET_NOT_PROVISIONED),
	// in (permission set, account) order after the given pair.
	ListOutdatedRoles(ctx context.Context, afterPermissionSet, afterAccount string, limit int) ([]ProvisionedRole, error)
	SearchAuditEvents(ctx context.Context, q AuditSearch) ([]AuditEvent, error)
}

// ConsoleWriter changes console grants.
type ConsoleWriter interface {
	// PutConsoleGrant creates or replaces the grant of g.UserID.
	PutConsoleGrant(ctx context.Context, g ConsoleGrant) error
	// DeleteConsoleGrant deletes a user's grant (ErrNotFound when none).
	DeleteConsoleGrant(ctx context.Context, userID string) error
}
