package store

import (
	"context"
	"time"
)

// IAMUser is an IAM user of an account: in Gatehouse, a delegated
// administrator of the management account, whose access keys are
// authorised by the policies the user carries.
type IAMUser struct {
	AccountID string
	ID        string // AIDA…, unique
	Name      string
	NameKey   string // lower-case name, unique per account
	Path      string
	// BoundaryARN is the ARN of the managed policy set as the user's
	// permissions boundary, "" for none.
	BoundaryARN string
	CreatedAt   time.Time
}

// IAMUserQuery pages through the users of an account in name order.
type IAMUserQuery struct {
	AccountID  string
	PathPrefix string
	After      string // name key of the last user of the previous page
	Limit      int
}

// IAMInlinePolicy is an inline policy embedded in an IAM identity (a user;
// the owner id is the identity's unique id).
type IAMInlinePolicy struct {
	OwnerID  string
	Name     string
	NameKey  string // lower-case name, unique per owner
	Document string
}

// IAMUserReader reads IAM users, their inline and attached policies, their
// tags and their access keys.
type IAMUserReader interface {
	GetIAMUser(ctx context.Context, accountID, nameKey string) (IAMUser, error)
	ListIAMUsers(ctx context.Context, q IAMUserQuery) ([]IAMUser, error)
	CountIAMUsers(ctx context.Context, accountID string) (int, error)
	// ListIAMInlinePolicies lists the inline policies of an identity in
	// name order, with their documents.
	ListIAMInlinePolicies(ctx context.Context, ownerID string) ([]IAMInlinePolicy, error)
	GetIAMInlinePolicy(ctx context.Context, ownerID, nameKey string) (IAMInlinePolicy, error)
	// ListIAMAttachedPolicies lists the ARNs of the managed policies
	// attached to an identity, in ARN order.
	ListIAMAttachedPolicies(ctx context.Context, ownerID string) ([]string, error)
	// CountIAMPolicyAttachments counts the identities of an account that
	// attach policyARN as a permissions policy or (boundary true) use it
	// as their permissions boundary.
	CountIAMPolicyAttachments(ctx context.Context, accountID, policyARN string, boundary bool) (int, error)
	ListIAMEntityTags(ctx context.Context, ownerID string) ([]Tag, error)
	// ListAccessKeysOf lists the access keys of a principal, oldest first.
	ListAccessKeysOf(ctx context.Context, principalARN string) ([]AccessKey, error)
}

// IAMUserWriter changes them.
type IAMUserWriter interface {
	CreateIAMUser(ctx context.Context, u IAMUser) error
	// UpdateIAMUser writes the user's permissions boundary.
	UpdateIAMUser(ctx context.Context, u IAMUser) error
	// DeleteIAMUser deletes a user with its inline policies, attachments
	// and tags (its access keys are the caller's business).
	DeleteIAMUser(ctx context.Context, id string) error
	// PutIAMInlinePolicy creates or replaces an inline policy.
	PutIAMInlinePolicy(ctx context.Context, p IAMInlinePolicy) error
	DeleteIAMInlinePolicy(ctx context.Context, ownerID, nameKey string) error
	// AttachIAMPolicy attaches a managed policy; attaching it again
	// changes nothing.
	AttachIAMPolicy(ctx context.Context, ownerID, accountID, policyARN string) error
	DetachIAMPolicy(ctx context.Context, ownerID, policyARN string) error
	PutIAMEntityTags(ctx context.Context, ownerID string, tags []Tag) error
	DeleteIAMEntityTags(ctx context.Context, ownerID string, keys []string) error
	DeleteAccessKey(ctx context.Context, id string) error
}
