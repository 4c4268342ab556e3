package store

import "context"

// UserAccountQuery selects a page of the accounts a user reaches, in name
// order.
type UserAccountQuery struct {
	UserID string
	// Search is a lower-case substring of the name, id or email; empty
	// matches every account.
	Search string
	// AfterName and AfterID are the last account of the previous page.
	AfterName string
	AfterID   string
	Limit     int
	// Dense selects the plan for users who reach a large share of the
	// accounts: walk the accounts in name order and keep the reachable
	// ones, instead of collecting the reachable set and sorting it.
	Dense bool
}

// PortalRole is a permission set a user holds in an account.
type PortalRole struct {
	PermissionSetID string
	Name            string
	Description     string
	RelayState      string
	SessionDuration string // ISO 8601
}

// PortalReader answers the access portal: which accounts and roles a user
// reaches through assignments to the user or to the user's groups. It reads
// the tables of the directory, organizations and access domains; it owns
// none.
type PortalReader interface {
	ListUserAccounts(ctx context.Context, q UserAccountQuery) ([]Account, error)
	// CountUserAssignments counts the assignment rows that reach a user
	// (directly or through groups; an account may be counted more than
	// once), stopping at limit: a cheap measure of how dense the user is.
	CountUserAssignments(ctx context.Context, userID string, limit int) (int, error)
	// CountUserAccounts counts the distinct accounts a user reaches that
	// match search, stopping at limit. dense selects the plan, as in
	// UserAccountQuery.
	CountUserAccounts(ctx context.Context, userID, search string, limit int, dense bool) (int, error)
	// ListUserRoles lists the permission sets the user holds in an
	// account, by name.
	ListUserRoles(ctx context.Context, userID, accountID string) ([]PortalRole, error)
}
