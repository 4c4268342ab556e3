package store

import (
	"context"
	"time"
)

// IAMPolicy is a customer-managed IAM policy of one account.
type IAMPolicy struct {
	AccountID   string
	ID          string // ANPA…, unique
	Name        string
	NameKey     string // lower-case name, unique per account
	Path        string
	Description string
	// DefaultVersion is the version id in force, e.g. "v3".
	DefaultVersion string
	// LastVersion is the number of the newest version ever created, so
	// that version ids are never reused.
	LastVersion int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// IAMPolicyVersion is one version of a customer-managed policy.
type IAMPolicyVersion struct {
	PolicyID  string
	VersionID string // "v" and a number
	Document  string
	CreatedAt time.Time
}

// IAMPolicyQuery pages through the policies of an account in name order.
type IAMPolicyQuery struct {
	AccountID  string
	PathPrefix string
	// OnlyAttached keeps policies attached to at least one role or IAM
	// identity.
	OnlyAttached bool
	After        string // name key of the last policy of the previous page
	Limit        int
}

// IAMReader reads the per-account IAM policy stores.
type IAMReader interface {
	GetIAMPolicy(ctx context.Context, accountID, nameKey string) (IAMPolicy, error)
	ListIAMPolicies(ctx context.Context, q IAMPolicyQuery) ([]IAMPolicy, error)
	CountIAMPolicies(ctx context.Context, accountID string) (int, error)
	GetIAMPolicyVersion(ctx context.Context, policyID, versionID string) (IAMPolicyVersion, error)
	// ListIAMPolicyVersions lists the versions of a policy, newest first.
	ListIAMPolicyVersions(ctx context.Context, policyID string) ([]IAMPolicyVersion, error)
	ListIAMPolicyTags(ctx context.Context, policyID string) ([]Tag, error)
	// CountPolicyAttachments counts the provisioned roles of an account
	// that attach the customer-managed policy policyARN, as a permissions
	// policy or (boundary true) as their permissions boundary.
	CountPolicyAttachments(ctx context.Context, accountID, policyARN string, boundary bool) (int, error)
}

// IAMWriter changes them.
type IAMWriter interface {
	// CreateIAMPolicy stores a policy with its first version.
	CreateIAMPolicy(ctx context.Context, p IAMPolicy, first IAMPolicyVersion) error
	// UpdateIAMPolicy writes the policy's default version, last version,
	// description and update time.
	UpdateIAMPolicy(ctx context.Context, p IAMPolicy) error
	// DeleteIAMPolicy deletes a policy with its versions and tags.
	DeleteIAMPolicy(ctx context.Context, policyID string) error
	CreateIAMPolicyVersion(ctx context.Context, v IAMPolicyVersion) error
	DeleteIAMPolicyVersion(ctx context.Context, policyID, versionID string) error
	PutIAMPolicyTags(ctx context.Context, policyID string, tags []Tag) error
	DeleteIAMPolicyTags(ctx context.Context, policyID string, keys []string) error
}
