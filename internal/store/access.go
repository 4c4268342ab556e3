package store

import (
	"context"
	"time"
)

// PermissionSet is an Identity Center permission set: what a person may do
// in an account, and for how long a session lasts.
type PermissionSet struct {
	ID              string // ps- and 16 hex digits
	Name            string
	NameKey         string // the name as compared for uniqueness
	Description     string
	SessionDuration string // ISO 8601, e.g. PT1H
	RelayState      string
	// InlinePolicy is the inline policy document as the caller gave it, or
	// empty.
	InlinePolicy string
	// Boundary is the permissions boundary, or nil.
	Boundary *Boundary
	// Version increases with every change that provisioned accounts must
	// pick up; a provisioned role records the version it was built from.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Boundary is a permissions boundary: an AWS-managed policy or a reference
// to a customer-managed policy, resolved in each account.
type Boundary struct {
	ManagedPolicyARN string             `json:"ManagedPolicyArn,omitempty"`
	CustomerPolicy   *CustomerPolicyRef `json:"CustomerManagedPolicyReference,omitempty"`
}

// CustomerPolicyRef names a customer-managed policy by name and path; it is
// resolved in each account the permission set is provisioned to.
type CustomerPolicyRef struct {
	Name string `json:"Name"`
	Path string `json:"Path"`
}

// ManagedPolicyAttachment is an AWS-managed policy attached to a permission
// set.
type ManagedPolicyAttachment struct {
	PermissionSetID string
	ARN             string
	Name            string
	AttachedAt      time.Time
}

// AccountAssignment gives a user or a group a permission set in an account.
type AccountAssignment struct {
	AccountID       string
	PermissionSetID string
	PrincipalType   string // USER or GROUP
	PrincipalID     string
	CreatedAt       time.Time
}

// ProvisionedRole is a permission set provisioned into an account: the
// AWSReservedSSO_ role and the policies it held when last provisioned.
type ProvisionedRole struct {
	PermissionSetID string
	AccountID       string
	RoleName        string
	RoleNameKey     string // lower-case role name, unique per account
	RoleID          string // AROA…
	Path            string
	// PermissionSetVersion is the permission set's Version this role was
	// last provisioned from.
	PermissionSetVersion int64
	// Revision counts provisionings of this role; it starts at 1.
	Revision  int64
	Policies  RolePolicies
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RolePolicies are the effective policies of a provisioned role, captured
// at provisioning time so that later evaluation uses what was provisioned.
type RolePolicies struct {
	SessionDuration string `json:"SessionDuration,omitempty"`
	// Managed are AWS-managed policies, by ARN and the version that was
	// current; their documents come from the bundled catalogue.
	Managed []CapturedPolicy `json:"Managed,omitempty"`
	// CustomerManaged are the account's own policies, resolved by name and
	// path, with the document of their default version.
	CustomerManaged []CapturedPolicy `json:"CustomerManaged,omitempty"`
	Inline          string           `json:"Inline,omitempty"`
	Boundary        *CapturedPolicy  `json:"Boundary,omitempty"`
}

// CapturedPolicy is a policy as it stood when a role was provisioned.
type CapturedPolicy struct {
	Name      string `json:"Name"`
	ARN       string `json:"Arn"`
	Path      string `json:"Path,omitempty"`
	VersionID string `json:"VersionId,omitempty"`
	// Document is set for customer-managed policies (and boundaries that
	// are customer-managed); AWS-managed documents live in the catalogue.
	Document string `json:"Document,omitempty"`
}

// Kinds of asynchronous sso-admin operations.
const (
	OpCreateAssignment = "CREATE_ASSIGNMENT"
	OpDeleteAssignment = "DELETE_ASSIGNMENT"
	OpProvision        = "PROVISION"
)

// SSOOperation is the status record of an asynchronous sso-admin call
// (account assignment creation or deletion, permission set provisioning)
// and the queue entry a worker takes it from.
type SSOOperation struct {
	RequestID       string // a UUID, time-ordered so that ids sort by creation
	Kind            string // one of the Op* constants
	Status          string // IN_PROGRESS, SUCCEEDED or FAILED
	FailureReason   string
	PermissionSetID string
	TargetID        string // account id; empty for all provisioned accounts
	TargetType      string // AWS_ACCOUNT or ALL_PROVISIONED_ACCOUNTS
	PrincipalType   string
	PrincipalID     string
	// Cursor is the last account a multi-account provisioning has
	// finished, so that a restarted worker resumes after it.
	Cursor     string
	CreatedAt  time.Time
	FinishedAt time.Time // zero while in progress
	LeaseUntil time.Time // zero until a worker claims it
}

// AccessControlAttributes is the instance's attributes-for-access-control
// configuration, stored as the JSON list of the API.
type AccessControlAttributes struct {
	Attributes []byte
	Status     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// AssignmentQuery selects account assignments. Exactly one selection is
// used: AccountID with PermissionSetID; PrincipalID (with PrincipalType,
// optionally narrowed to AccountID; for a USER, ViaGroupsOf adds the
// assignments of the user's groups); or PermissionSetID alone.
type AssignmentQuery struct {
	AccountID       string
	PermissionSetID string
	PrincipalType   string
	PrincipalID     string
	// IncludeGroups adds, for a USER principal, the assignments of the
	// groups the user belongs to.
	IncludeGroups bool
	// After is the key of the last row of the previous page; the zero key
	// starts at the top.
	After AssignmentKey
	Limit int
}

// AssignmentKey identifies an assignment and orders listings: by account,
// permission set, principal type, principal id.
type AssignmentKey struct {
	AccountID       string
	PermissionSetID string
	PrincipalType   string
	PrincipalID     string
}

// Key returns the assignment's key.
func (a AccountAssignment) Key() AssignmentKey {
	return AssignmentKey{AccountID: a.AccountID, PermissionSetID: a.PermissionSetID, PrincipalType: a.PrincipalType, PrincipalID: a.PrincipalID}
}

// Provisioning states of a role relative to its permission set.
const (
	RoleCurrent  = "LATEST_PERMISSION_SET_PROVISIONED"
	RoleOutdated = "LATEST_PERMISSION_SET_NOT_PROVISIONED"
)

// RoleQuery pages through provisioned roles of one account (in permission
// set order) or of one permission set (in account order), optionally only
// those that are current or outdated (RoleCurrent, RoleOutdated).
type RoleQuery struct {
	AccountID       string
	PermissionSetID string
	State           string
	After           string
	Limit           int
}

// SSOOperationQuery pages through the operations of one kind in creation
// order, optionally filtered by status.
type SSOOperationQuery struct {
	Kind   string
	Status string
	After  string
	Limit  int
}

// AccessReader reads permission sets, assignments, provisioned roles and
// the status of asynchronous operations.
type AccessReader interface {
	GetPermissionSet(ctx context.Context, id string) (PermissionSet, error)
	GetPermissionSetByName(ctx context.Context, nameKey string) (PermissionSet, error)
	ListPermissionSets(ctx context.Context, q ListQuery) ([]PermissionSet, error)
	CountPermissionSets(ctx context.Context) (int, error)
	ListManagedPolicyAttachments(ctx context.Context, permissionSetID string) ([]ManagedPolicyAttachment, error)
	ListCustomerPolicyRefs(ctx context.Context, permissionSetID string) ([]CustomerPolicyRef, error)

	// ListSSOTags returns the tags of the instance or a permission set (by
	// its id), by key.
	ListSSOTags(ctx context.Context, resourceID string) ([]Tag, error)

	GetAccountAssignment(ctx context.Context, k AssignmentKey) (AccountAssignment, error)
	ListAccountAssignments(ctx context.Context, q AssignmentQuery) ([]AccountAssignment, error)
	// CountAccountAssignments counts the assignments of a permission set,
	// in one account when accountID is not empty.
	CountAccountAssignments(ctx context.Context, permissionSetID, accountID string) (int, error)

	GetProvisionedRole(ctx context.Context, permissionSetID, accountID string) (ProvisionedRole, error)
	// GetUserRole returns, in one read, the provisioned role in the account
	// of the permission set named name (exactly) and that permission set,
	// when the user holds it there directly or through a group; otherwise
	// ErrNotFound.
	GetUserRole(ctx context.Context, userID, accountID, name string) (ProvisionedRole, PermissionSet, error)
	GetProvisionedRoleByName(ctx context.Context, accountID, roleNameKey string) (ProvisionedRole, error)
	ListProvisionedRoles(ctx context.Context, q RoleQuery) ([]ProvisionedRole, error)
	// ListRolesInAccount lists the roles of an account in role name order
	// (for IAM's ListRoles).
	ListRolesInAccount(ctx context.Context, accountID, afterNameKey string, limit int) ([]ProvisionedRole, error)

	GetSSOOperation(ctx context.Context, requestID string) (SSOOperation, error)
	ListSSOOperations(ctx context.Context, q SSOOperationQuery) ([]SSOOperation, error)

	GetAccessControlAttributes(ctx context.Context) (AccessControlAttributes, error)
}

// AccessWriter changes them.
type AccessWriter interface {
	// SetInstanceName renames the Identity Center instance.
	SetInstanceName(ctx context.Context, name string) error

	CreatePermissionSet(ctx context.Context, ps PermissionSet) error
	// UpdatePermissionSet writes ps if the stored version is ps.Version-1.
	UpdatePermissionSet(ctx context.Context, ps PermissionSet) error
	// DeletePermissionSet deletes a permission set with its policy
	// attachments and tags.
	DeletePermissionSet(ctx context.Context, id string) error
	AttachManagedPolicy(ctx context.Context, a ManagedPolicyAttachment) error
	DetachManagedPolicy(ctx context.Context, permissionSetID, arn string) error
	AttachCustomerPolicyRef(ctx context.Context, permissionSetID string, ref CustomerPolicyRef) error
	DetachCustomerPolicyRef(ctx context.Context, permissionSetID string, ref CustomerPolicyRef) error

	PutSSOTags(ctx context.Context, resourceID string, tags []Tag) error
	DeleteSSOTags(ctx context.Context, resourceID string, keys []string) error

	// CreateAccountAssignment stores a if it does not exist; created says
	// whether it did not.
	CreateAccountAssignment(ctx context.Context, a AccountAssignment) (created bool, err error)
	DeleteAccountAssignment(ctx context.Context, k AssignmentKey) error
	// DeletePrincipalAssignments deletes every assignment of a principal and
	// returns what it deleted.
	DeletePrincipalAssignments(ctx context.Context, principalType, principalID string) ([]AccountAssignment, error)

	// PutProvisionedRole inserts or replaces the role of (permission set,
	// account), together with the customer-managed policies it attaches.
	// A role at revision 1 must be new.
	PutProvisionedRole(ctx context.Context, r ProvisionedRole) error
	DeleteProvisionedRole(ctx context.Context, permissionSetID, accountID string) error

	PutSSOOperation(ctx context.Context, op SSOOperation) error
	// ClaimSSOOperations leases up to limit in-progress operations whose
	// lease has run out by now, until the given time, oldest first.
	ClaimSSOOperations(ctx context.Context, now, until time.Time, limit int) ([]SSOOperation, error)

	PutAccessControlAttributes(ctx context.Context, c AccessControlAttributes) error
	DeleteAccessControlAttributes(ctx context.Context) error
}
