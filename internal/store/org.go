package store

import (
	"context"
	"time"
)

// Organization is the AWS Organizations organization of the instance: one
// per deployment, whose management account is the instance's owner.
type Organization struct {
	ID                  string // o- and 10 lower-case letters or digits
	RootID              string // r- and 4 lower-case letters or digits
	ManagementAccountID string
	FeatureSet          string // ALL
	CreatedAt           time.Time
}

// Account is a member account of the organization.
type Account struct {
	ID       string // 12 digits
	Name     string
	Email    string
	EmailKey string // normalized email, unique
	// Status is ACTIVE, SUSPENDED or PENDING_CLOSURE, as Organizations
	// spells it.
	Status       string
	JoinedMethod string // CREATED or INVITED
	JoinedAt     time.Time
	// ParentID is the root or organizational unit that holds the account.
	ParentID string
}

// OrgUnit is an organizational unit.
type OrgUnit struct {
	ID       string
	Name     string
	ParentID string
	// NameKey is the name as compared for uniqueness under one parent.
	NameKey   string
	CreatedAt time.Time
}

// Tag is a key and a value attached to a resource.
type Tag struct {
	Key   string
	Value string
}

// CreateAccountRequest is the record of an asynchronous CreateAccount call:
// its status, what it asked for, and the lease of the worker handling it.
type CreateAccountRequest struct {
	ID            string // car- and 32 lower-case letters or digits
	AccountName   string
	Email         string
	State         string // IN_PROGRESS, SUCCEEDED or FAILED
	FailureReason string
	AccountID     string
	Tags          []Tag
	RequestedAt   time.Time
	CompletedAt   time.Time // zero while in progress
	// LeaseUntil is when a worker that claimed the request may be presumed
	// dead; zero for a request nobody has claimed yet.
	LeaseUntil time.Time
}

// AccountQuery pages through accounts in id order, optionally under one
// parent.
type AccountQuery struct {
	ParentID string
	After    string
	Limit    int
}

// CreateAccountRequestQuery pages through CreateAccount requests in id
// (creation) order, optionally filtered by state.
type CreateAccountRequestQuery struct {
	States []string
	After  string
	Limit  int
}

// OrgReader reads the organization, its accounts and organizational units.
type OrgReader interface {
	GetOrganization(ctx context.Context) (Organization, error)
	GetAccount(ctx context.Context, id string) (Account, error)
	GetAccountByEmail(ctx context.Context, emailKey string) (Account, error)
	ListAccounts(ctx context.Context, q AccountQuery) ([]Account, error)
	CountAccounts(ctx context.Context) (int, error)

	GetOrgUnit(ctx context.Context, id string) (OrgUnit, error)
	// ListOrgUnits lists the organizational units directly under parentID,
	// in id order.
	ListOrgUnits(ctx context.Context, parentID, after string, limit int) ([]OrgUnit, error)
	CountOrgUnits(ctx context.Context) (int, error)

	// ListOrgTags returns the tags of an account, unit or root, by key.
	ListOrgTags(ctx context.Context, resourceID string) ([]Tag, error)

	GetCreateAccountRequest(ctx context.Context, id string) (CreateAccountRequest, error)
	ListCreateAccountRequests(ctx context.Context, q CreateAccountRequestQuery) ([]CreateAccountRequest, error)
}

// OrgWriter changes the organization.
type OrgWriter interface {
	// CreateOrganization stores the organization unless one exists.
	CreateOrganization(ctx context.Context, o Organization) (created bool, err error)
	CreateAccount(ctx context.Context, a Account) error
	// MoveAccount changes the parent of an account.
	MoveAccount(ctx context.Context, id, parentID string) error
	CreateOrgUnit(ctx context.Context, ou OrgUnit) error

	// PutOrgTags adds tags to a resource, replacing the values of keys it
	// has already.
	PutOrgTags(ctx context.Context, resourceID string, tags []Tag) error
	DeleteOrgTags(ctx context.Context, resourceID string, keys []string) error

	// PutCreateAccountRequest inserts or replaces a request record.
	PutCreateAccountRequest(ctx context.Context, r CreateAccountRequest) error
	// ClaimCreateAccountRequests leases up to limit in-progress requests
	// whose lease has run out by now, until the given time, and returns
	// them.
	ClaimCreateAccountRequests(ctx context.Context, now, until time.Time, limit int) ([]CreateAccountRequest, error)
}
