// Package iam is the IAM subset Identity Center needs: every account has
// its own store of customer-managed policies (with versions and tags),
// which permission sets reference by name and path; and the roles that
// provisioning creates in an account (AWSReservedSSO_…) can be read back
// as IAM roles. AWS-managed policies come from the bundled catalogue.
package iam

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/managedpolicy"
	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Limits are IAM's quotas per account and policy.
type Limits struct {
	PoliciesPerAccount int
	VersionsPerPolicy  int
	TagsPerPolicy      int
	// PolicyChars bounds a managed policy document, white space not
	// counted, as IAM counts it.
	PolicyChars int
}

// DefaultLimits are IAM's default quotas.
var DefaultLimits = Limits{PoliciesPerAccount: 1500, VersionsPerPolicy: 5, TagsPerPolicy: 50, PolicyChars: 6144}

// Options configure the service.
type Options struct {
	Now    func() time.Time
	Log    *slog.Logger
	Limits Limits
	// UserLimits are the quotas of IAM users; zero means
	// DefaultUserLimits.
	UserLimits UserLimits
	// AccessKeys creates the access keys of IAM users; without it,
	// CreateAccessKey fails.
	AccessKeys *accesskey.Service
	// BootstrapUser is the IAM user name of the bootstrap administrator
	// (gatehouse-admin): it has no record, cannot be created, changed or
	// deleted, and only it manages its own keys. BootstrapCreated is when
	// it was created (the instance's creation).
	BootstrapUser    string
	BootstrapCreated time.Time
}

// Service serves the IAM policy stores and users of all accounts.
type Service struct {
	store      store.Store
	catalogue  *managedpolicy.Catalogue
	instanceID string
	now        func() time.Time
	log        *slog.Logger
	limits     Limits
	userLimits UserLimits
	keys       *accesskey.Service

	bootstrapName    string
	bootstrapCreated time.Time
}

// New returns the IAM service. instanceID names the Identity Center
// instance whose SAML provider the provisioned roles trust.
func New(s store.Store, catalogue *managedpolicy.Catalogue, instanceID string, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits
	}
	if o.UserLimits == (UserLimits{}) {
		o.UserLimits = DefaultUserLimits
	}
	return &Service{store: s, catalogue: catalogue, instanceID: instanceID, now: o.Now, log: o.Log, limits: o.Limits,
		userLimits: o.UserLimits, keys: o.AccessKeys, bootstrapName: o.BootstrapUser, bootstrapCreated: o.BootstrapCreated}
}

// ---- faults, with IAM's error codes ----

func coded(kind fault.Kind, code, format string, args ...any) *fault.Error {
	f := fault.New(kind, format, args...)
	f.Code = code
	return f
}

func noSuchEntity(format string, args ...any) error {
	return coded(fault.NotFound, "NoSuchEntity", format, args...)
}

func limitExceeded(format string, args ...any) error {
	return coded(fault.QuotaExceeded, "LimitExceeded", format, args...)
}

func deleteConflict(format string, args ...any) error {
	return coded(fault.Conflict, "DeleteConflict", format, args...)
}

func invalidInput(format string, args ...any) error {
	return coded(fault.Invalid, "InvalidInput", format, args...)
}

// ---- ARNs ----

// PolicyRef is a parsed policy ARN.
type PolicyRef struct {
	AccountID string // "aws" for AWS-managed policies
	Path      string
	Name      string
}

// ARN formats the reference.
func (r PolicyRef) ARN() string { return "arn:aws:iam::" + r.AccountID + ":policy" + r.Path + r.Name }

// ParsePolicyARN parses arn:aws:iam::<account>:policy<path><name>.
func ParsePolicyARN(arn string) (PolicyRef, error) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return PolicyRef{}, invalidInput("ARN %s is not valid.", arn)
	}
	acct, res, ok := strings.Cut(rest, ":")
	if !ok || (acct != "aws" && !isAccountID(acct)) {
		return PolicyRef{}, invalidInput("ARN %s is not valid.", arn)
	}
	full, ok := strings.CutPrefix(res, "policy/")
	if !ok || full == "" || strings.HasSuffix(full, "/") {
		return PolicyRef{}, invalidInput("ARN %s is not valid.", arn)
	}
	i := strings.LastIndex(full, "/")
	return PolicyRef{AccountID: acct, Path: "/" + full[:i+1], Name: full[i+1:]}, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ---- identifiers ----

const uniqueIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newPolicyID returns an IAM policy unique id: ANPA and 17 characters.
func newPolicyID() string {
	b := make([]byte, 17)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	for i, v := range b {
		b[i] = uniqueIDAlphabet[v%32]
	}
	return "ANPA" + string(b)
}

// ---- documents ----

// checkDocument validates a managed policy document as IAM does.
func (s *Service) checkDocument(doc string) error {
	if _, err := policy.Parse([]byte(doc), policy.IdentityBased); err != nil {
		return coded(fault.Invalid, "MalformedPolicyDocument", "%s", err.Error())
	}
	if n := policy.SizeWithoutWhitespace([]byte(doc)); n > s.limits.PolicyChars {
		return limitExceeded("Cannot exceed quota for PolicySize: %d", s.limits.PolicyChars)
	}
	return nil
}

func checkTags(tags []store.Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
		if strings.HasPrefix(k, "aws:") {
			return invalidInput("The tag key %s is reserved for AWS use.", t.Key)
		}
	}
	return nil
}

// ---- customer-managed policies ----

// Policy is a policy as GetPolicy shows it.
type Policy struct {
	store.IAMPolicy
	ARN             string
	AttachmentCount int
	BoundaryCount   int
	Tags            []store.Tag
	// AWSManaged marks a policy of the catalogue.
	AWSManaged bool
}

// NewPolicy is what CreatePolicy asks for.
type NewPolicy struct {
	Name, Path, Document, Description string
	Tags                              []store.Tag
}

// CreatePolicy creates a customer-managed policy in an account.
func (s *Service) CreatePolicy(ctx context.Context, accountID string, in NewPolicy) (Policy, error) {
	if in.Path == "" {
		in.Path = "/"
	}
	if err := s.checkDocument(in.Document); err != nil {
		return Policy{}, err
	}
	if err := checkTags(in.Tags); err != nil {
		return Policy{}, err
	}
	if len(in.Tags) > s.limits.TagsPerPolicy {
		return Policy{}, limitExceeded("The number of tags has reached the maximum limit.")
	}
	now := s.now().UTC().Truncate(time.Second)
	p := store.IAMPolicy{
		AccountID: accountID, ID: newPolicyID(), Name: in.Name, NameKey: strings.ToLower(in.Name), Path: in.Path,
		Description: in.Description, DefaultVersion: "v1", LastVersion: 1, CreatedAt: now, UpdatedAt: now,
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		n, err := tx.CountIAMPolicies(ctx, accountID)
		if err != nil {
			return err
		}
		if n >= s.limits.PoliciesPerAccount {
			return limitExceeded("Cannot exceed quota for PoliciesPerAccount: %d", s.limits.PoliciesPerAccount)
		}
		err = tx.CreateIAMPolicy(ctx, p, store.IAMPolicyVersion{PolicyID: p.ID, VersionID: "v1", Document: in.Document, CreatedAt: now})
		if _, ok := store.IsConflict(err); ok {
			return coded(fault.Conflict, "EntityAlreadyExists", "A policy called %s already exists. Duplicate names are not allowed.", in.Name)
		} else if err != nil {
			return err
		}
		if err := tx.PutIAMPolicyTags(ctx, p.ID, in.Tags); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, map[string]any{"policy": map[string]any{"policyName": p.Name, "policyId": p.ID,
			"arn": policyARN(p), "defaultVersionId": p.DefaultVersion}})
	})
	if err != nil {
		return Policy{}, err
	}
	return Policy{IAMPolicy: p, ARN: policyARN(p), Tags: in.Tags}, nil
}

func policyARN(p store.IAMPolicy) string {
	return PolicyRef{AccountID: p.AccountID, Path: p.Path, Name: p.Name}.ARN()
}

// lookup finds a customer-managed policy of the caller's account by ARN.
func lookup(ctx context.Context, r store.Reader, accountID, arn string) (store.IAMPolicy, error) {
	ref, err := ParsePolicyARN(arn)
	if err != nil {
		return store.IAMPolicy{}, err
	}
	notFound := noSuchEntity("Policy %s does not exist or is not attachable.", arn)
	if ref.AccountID != accountID {
		return store.IAMPolicy{}, notFound
	}
	p, err := r.GetIAMPolicy(ctx, accountID, strings.ToLower(ref.Name))
	if errors.Is(err, store.ErrNotFound) || (err == nil && (p.Path != ref.Path || p.Name != ref.Name)) {
		return store.IAMPolicy{}, notFound
	}
	return p, err
}

// GetPolicy returns a customer-managed policy of the account, or an
// AWS-managed one.
func (s *Service) GetPolicy(ctx context.Context, accountID, arn string) (Policy, error) {
	if ref, err := ParsePolicyARN(arn); err == nil && ref.AccountID == "aws" {
		return s.awsPolicy(ctx, arn)
	}
	p, err := lookup(ctx, s.store, accountID, arn)
	if err != nil {
		return Policy{}, err
	}
	return s.describe(ctx, p)
}

// attachments counts the provisioned roles and the IAM users of an
// account that use a customer-managed policy as a permissions policy or
// (boundary true) as their permissions boundary.
func (s *Service) attachments(ctx context.Context, r store.Reader, accountID, arn string, boundary bool) (int, error) {
	roles, err := r.CountPolicyAttachments(ctx, accountID, arn, boundary)
	if err != nil {
		return 0, err
	}
	users, err := r.CountIAMPolicyAttachments(ctx, accountID, arn, boundary)
	if err != nil {
		return 0, err
	}
	return roles + users, nil
}

func (s *Service) describe(ctx context.Context, p store.IAMPolicy) (Policy, error) {
	arn := policyARN(p)
	out := Policy{IAMPolicy: p, ARN: arn}
	var err error
	if out.AttachmentCount, err = s.attachments(ctx, s.store, p.AccountID, arn, false); err != nil {
		return Policy{}, err
	}
	if out.BoundaryCount, err = s.attachments(ctx, s.store, p.AccountID, arn, true); err != nil {
		return Policy{}, err
	}
	if out.Tags, err = s.store.ListIAMPolicyTags(ctx, p.ID); err != nil {
		return Policy{}, err
	}
	return out, nil
}

// awsPolicy describes a policy of the catalogue. Its id and dates are
// derived from its name, so they are stable.
func (s *Service) awsPolicy(_ context.Context, arn string) (Policy, error) {
	mp, ok := s.catalogue.Get(arn)
	if !ok {
		return Policy{}, noSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	return awsPolicyOut(mp), nil
}

func awsPolicyOut(mp managedpolicy.Policy) Policy {
	return Policy{
		IAMPolicy: store.IAMPolicy{
			AccountID: "aws", ID: stableID(mp.Name), Name: mp.Name, NameKey: strings.ToLower(mp.Name), Path: mp.Path,
			DefaultVersion: mp.DefaultVersionID,
		},
		ARN: mp.ARN, AWSManaged: true,
	}
}

// stableID derives a policy id from a name, for catalogue policies.
func stableID(name string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 1099511628211
	}
	b := make([]byte, 17)
	for i := range b {
		b[i] = uniqueIDAlphabet[h%32]
		h = h/32 ^ (h << 7)
	}
	return "ANPA" + string(b)
}

// Version is a policy version as the API shows it.
type Version struct {
	store.IAMPolicyVersion
	IsDefault bool
}

// GetPolicyVersion returns one version of a policy.
func (s *Service) GetPolicyVersion(ctx context.Context, accountID, arn, versionID string) (Version, error) {
	if ref, err := ParsePolicyARN(arn); err == nil && ref.AccountID == "aws" {
		mp, ok := s.catalogue.Get(arn)
		if !ok || mp.DefaultVersionID != versionID {
			return Version{}, noSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, versionID)
		}
		return Version{IAMPolicyVersion: store.IAMPolicyVersion{VersionID: versionID, Document: mp.Document}, IsDefault: true}, nil
	}
	p, err := lookup(ctx, s.store, accountID, arn)
	if err != nil {
		return Version{}, err
	}
	v, err := s.store.GetIAMPolicyVersion(ctx, p.ID, versionID)
	if errors.Is(err, store.ErrNotFound) {
		return Version{}, noSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, versionID)
	} else if err != nil {
		return Version{}, err
	}
	return Version{IAMPolicyVersion: v, IsDefault: v.VersionID == p.DefaultVersion}, nil
}

// CreatePolicyVersion adds a version, optionally as the default.
func (s *Service) CreatePolicyVersion(ctx context.Context, accountID, arn, doc string, setDefault bool) (Version, error) {
	if err := s.checkDocument(doc); err != nil {
		return Version{}, err
	}
	var out Version
	err := s.store.Update(ctx, func(tx store.Tx) error {
		p, err := lookup(ctx, tx, accountID, arn)
		if err != nil {
			return err
		}
		vs, err := tx.ListIAMPolicyVersions(ctx, p.ID)
		if err != nil {
			return err
		}
		if len(vs) >= s.limits.VersionsPerPolicy {
			return limitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.",
				s.limits.VersionsPerPolicy)
		}
		now := s.now().UTC().Truncate(time.Second)
		p.LastVersion++
		v := store.IAMPolicyVersion{PolicyID: p.ID, VersionID: "v" + strconv.Itoa(p.LastVersion), Document: doc, CreatedAt: now}
		if err := tx.CreateIAMPolicyVersion(ctx, v); err != nil {
			return err
		}
		if setDefault {
			p.DefaultVersion = v.VersionID
		}
		p.UpdatedAt = now
		if err := tx.UpdateIAMPolicy(ctx, p); err != nil {
			return err
		}
		out = Version{IAMPolicyVersion: v, IsDefault: setDefault}
		return audit.Stage(ctx, tx, map[string]any{"policyVersion": map[string]any{"versionId": v.VersionID, "isDefaultVersion": setDefault}})
	})
	return out, err
}

// DeletePolicyVersion deletes a version that is not the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, accountID, arn, versionID string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, err := lookup(ctx, tx, accountID, arn)
		if err != nil {
			return err
		}
		if versionID == p.DefaultVersion {
			return deleteConflict("Cannot delete the default version of a policy.")
		}
		if err := tx.DeleteIAMPolicyVersion(ctx, p.ID, versionID); errors.Is(err, store.ErrNotFound) {
			return noSuchEntity("Policy %s version %s does not exist or is not deletable.", arn, versionID)
		} else if err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// ListPolicyVersions lists the versions of a policy, newest first.
func (s *Service) ListPolicyVersions(ctx context.Context, accountID, arn string) ([]Version, error) {
	if ref, err := ParsePolicyARN(arn); err == nil && ref.AccountID == "aws" {
		mp, ok := s.catalogue.Get(arn)
		if !ok {
			return nil, noSuchEntity("Policy %s does not exist or is not attachable.", arn)
		}
		return []Version{{IAMPolicyVersion: store.IAMPolicyVersion{VersionID: mp.DefaultVersionID, Document: mp.Document}, IsDefault: true}}, nil
	}
	p, err := lookup(ctx, s.store, accountID, arn)
	if err != nil {
		return nil, err
	}
	vs, err := s.store.ListIAMPolicyVersions(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Version, len(vs))
	for i, v := range vs {
		out[i] = Version{IAMPolicyVersion: v, IsDefault: v.VersionID == p.DefaultVersion}
	}
	return out, nil
}

// SetDefaultPolicyVersion makes a version the default. Roles that attach
// the policy pick it up the next time their permission set is provisioned.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, accountID, arn, versionID string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, err := lookup(ctx, tx, accountID, arn)
		if err != nil {
			return err
		}
		if _, err := tx.GetIAMPolicyVersion(ctx, p.ID, versionID); errors.Is(err, store.ErrNotFound) {
			return noSuchEntity("Policy %s version %s does not exist.", arn, versionID)
		} else if err != nil {
			return err
		}
		p.DefaultVersion, p.UpdatedAt = versionID, s.now().UTC().Truncate(time.Second)
		if err := tx.UpdateIAMPolicy(ctx, p); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// DeletePolicy deletes a policy that no role attaches and that has no
// versions besides the default, as IAM requires.
func (s *Service) DeletePolicy(ctx context.Context, accountID, arn string) error {
	if ref, err := ParsePolicyARN(arn); err == nil && ref.AccountID == "aws" {
		return invalidInput("AWS-managed policies cannot be deleted.")
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, err := lookup(ctx, tx, accountID, arn)
		if err != nil {
			return err
		}
		for _, boundary := range []bool{false, true} {
			n, err := s.attachments(ctx, tx, accountID, arn, boundary)
			if err != nil {
				return err
			}
			if n > 0 {
				return deleteConflict("Cannot delete a policy attached to entities.")
			}
		}
		vs, err := tx.ListIAMPolicyVersions(ctx, p.ID)
		if err != nil {
			return err
		}
		if len(vs) > 1 {
			return deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		if err := tx.DeleteIAMPolicy(ctx, p.ID); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// Policy scopes of ListPolicies.
const (
	ScopeAll   = "All"
	ScopeAWS   = "AWS"
	ScopeLocal = "Local"
)

// ListQuery selects policies for ListPolicies.
type ListQuery struct {
	Scope        string
	OnlyAttached bool
	PathPrefix   string
	// After is the position the previous page ended at ("" to start).
	After string
	Limit int
}

// ListPolicies lists AWS-managed policies (in name order), then the
// account's own (in name order), and returns the position to resume after
// ("" when the listing is complete). Positions are "A:<name>" inside the
// AWS-managed policies and "L:<name key>" inside the account's.
func (s *Service) ListPolicies(ctx context.Context, accountID string, q ListQuery) ([]Policy, string, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	if q.Scope == "" {
		q.Scope = ScopeAll
	}
	phase, after, _ := strings.Cut(q.After, ":")
	// OnlyAttached leaves AWS-managed policies out: the catalogue does not
	// know which of its policies IAM users or roles attach (a known gap,
	// see docs/delegated-admin.md).
	withAWS := q.Scope != ScopeLocal && !q.OnlyAttached
	if phase == "" {
		phase = "L"
		if withAWS {
			phase = "A"
		}
	}
	var out []Policy
	if phase == "A" && withAWS {
		mps, more := s.catalogue.List(q.PathPrefix, after, q.Limit)
		for _, mp := range mps {
			out = append(out, awsPolicyOut(mp))
		}
		if more {
			return out, "A:" + mps[len(mps)-1].Name, nil
		}
		after = ""
	}
	if q.Scope == ScopeAWS {
		return out, "", nil
	}
	rest := q.Limit - len(out)
	ps, err := s.store.ListIAMPolicies(ctx, store.IAMPolicyQuery{AccountID: accountID, PathPrefix: q.PathPrefix,
		OnlyAttached: q.OnlyAttached, After: after, Limit: rest + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ps) > rest {
		ps = ps[:rest]
		next = "L:"
		if rest > 0 {
			next += ps[len(ps)-1].NameKey
		} else {
			next += after
		}
	}
	for _, p := range ps {
		d, err := s.describe(ctx, p)
		if err != nil {
			return nil, "", err
		}
		out = append(out, d)
	}
	return out, next, nil
}

// TagPolicy adds or replaces tags of a policy.
func (s *Service) TagPolicy(ctx context.Context, accountID, arn string, tags []store.Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, err := lookup(ctx, tx, accountID, arn)
		if err != nil {
			return err
		}
		if err := tx.PutIAMPolicyTags(ctx, p.ID, tags); err != nil {
			return err
		}
		all, err := tx.ListIAMPolicyTags(ctx, p.ID)
		if err != nil {
			return err
		}
		if len(all) > s.limits.TagsPerPolicy {
			return limitExceeded("The number of tags has reached the maximum limit.")
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// UntagPolicy removes tags of a policy by key.
func (s *Service) UntagPolicy(ctx context.Context, accountID, arn string, keys []string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, err := lookup(ctx, tx, accountID, arn)
		if err != nil {
			return err
		}
		if err := tx.DeleteIAMPolicyTags(ctx, p.ID, keys); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// ListPolicyTags returns the tags of a policy.
func (s *Service) ListPolicyTags(ctx context.Context, accountID, arn string) ([]store.Tag, error) {
	p, err := lookup(ctx, s.store, accountID, arn)
	if err != nil {
		return nil, err
	}
	return s.store.ListIAMPolicyTags(ctx, p.ID)
}
