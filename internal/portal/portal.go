// Package portal declares what the access portal needs from the parts of
// Gatehouse that know about AWS accounts, permission sets and temporary
// credentials, as two small interfaces. The web pages are built and tested
// against them; cmd/gatehouse wires the real implementations, and where an
// implementation does not exist yet it wires Unavailable, which answers a
// clear "not available yet" (never fake data).
package portal

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/keyring"
)

// Account is an AWS account a user can reach.
type Account struct {
	ID    string
	Name  string
	Email string
}

// Role is a permission set assigned to the user (directly or through a
// group) in one account.
type Role struct {
	// Name is the permission set name (the portal's role name).
	Name        string
	Description string
	// RelayState is the permission set's relay state: where the
	// management console opens, when set.
	RelayState      string
	SessionDuration time.Duration
}

// AccountQuery selects a page of a user's accounts.
type AccountQuery struct {
	// Search matches account names, ids and emails (case-insensitive
	// substring); empty matches all.
	Search string
	// After is the opaque position returned as AccountPage.Next.
	After string
	// Limit is the page size.
	Limit int
}

// AccountPage is one page of accounts, in name order.
type AccountPage struct {
	Accounts []Account
	// Next resumes after this page; empty when it is the last.
	Next string
	// Total counts the accounts matching the query, up to a cap;
	// TotalAtLeast says there are more than Total.
	Total        int
	TotalAtLeast bool
}

// Access answers which accounts and roles a user reaches.
type Access interface {
	AccountsFor(ctx context.Context, userID string, q AccountQuery) (AccountPage, error)
	RolesFor(ctx context.Context, userID, accountID string) ([]Role, error)
}

// Session is the portal session asking for credentials.
type Session struct {
	UserID    string
	UserName  string
	SessionID string
	// MFAPresent is aws:MultiFactorAuthPresent for the credentials.
	MFAPresent bool
	// AuthTime is when the user signed in.
	AuthTime time.Time
}

// RoleCredentials are temporary credentials for one account and role.
type RoleCredentials struct {
	AccessKeyID     string
	SecretAccessKey keyring.Secret
	SessionToken    keyring.Secret
	Expiration      time.Time
}

// Credentials issues temporary credentials for a portal session.
type Credentials interface {
	RoleCredentials(ctx context.Context, s Session, accountID, roleName string) (RoleCredentials, error)
}

// ErrNotAvailable is the fault Unavailable answers with.
var ErrNotAvailable = fault.NotImplementedf("This part of the access portal is not available yet in this version of Gatehouse.")

// Unavailable implements Access and Credentials for a Gatehouse that does
// not have accounts or temporary credentials yet.
type Unavailable struct{}

// AccountsFor answers ErrNotAvailable.
func (Unavailable) AccountsFor(context.Context, string, AccountQuery) (AccountPage, error) {
	return AccountPage{}, ErrNotAvailable
}

// RolesFor answers ErrNotAvailable.
func (Unavailable) RolesFor(context.Context, string, string) ([]Role, error) {
	return nil, ErrNotAvailable
}

// RoleCredentials answers ErrNotAvailable.
func (Unavailable) RoleCredentials(context.Context, Session, string, string) (RoleCredentials, error) {
	return RoleCredentials{}, ErrNotAvailable
}
