package iam

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/store"
)

// UserLimits are IAM's quotas for users.
type UserLimits struct {
	UsersPerAccount int
	// AttachedPerUser bounds the managed policies attached to a user.
	AttachedPerUser int
	// InlineCharsPerUser bounds the inline policies of a user together,
	// white space not counted.
	InlineCharsPerUser int
	KeysPerUser        int
	TagsPerUser        int
}

// DefaultUserLimits are IAM's default quotas.
var DefaultUserLimits = UserLimits{UsersPerAccount: 5000, AttachedPerUser: 10, InlineCharsPerUser: 2048, KeysPerUser: 2, TagsPerUser: 50}

// User is an IAM user as the API shows it.
type User struct {
	store.IAMUser
	ARN  string
	Tags []store.Tag
	// Bootstrap marks the bootstrap administrator, which has no record:
	// it exists in every management account and cannot be changed.
	Bootstrap bool
}

// UserARN returns the ARN of a user of an account.
func UserARN(accountID, path, name string) string {
	return "arn:aws:iam::" + accountID + ":user" + path + name
}

func userOut(u store.IAMUser) User {
	return User{IAMUser: u, ARN: UserARN(u.AccountID, u.Path, u.Name)}
}

// newUserID returns an IAM user unique id: AIDA and 17 characters.
func newUserID() string { return "AIDA" + newPolicyID()[4:] }

func noSuchUser(name string) error {
	return noSuchEntity("The user with name %s cannot be found.", name)
}

// bootstrapUser describes the bootstrap administrator of an account.
func (s *Service) bootstrapUser(accountID string) User {
	return User{
		IAMUser: store.IAMUser{AccountID: accountID, ID: accesskey.BootstrapUserID(accountID), Name: s.bootstrapName,
			NameKey: strings.ToLower(s.bootstrapName), Path: "/", CreatedAt: s.bootstrapCreated},
		ARN: UserARN(accountID, "/", s.bootstrapName), Bootstrap: true,
	}
}

// isBootstrap reports whether name is the bootstrap administrator's.
func (s *Service) isBootstrap(name string) bool {
	return s.bootstrapName != "" && strings.EqualFold(name, s.bootstrapName)
}

// unmodifiable is the error for changes to the bootstrap administrator,
// whose rights come from being the bootstrap key, not from policies.
func (s *Service) unmodifiable() error {
	return coded(fault.Invalid, "UnmodifiableEntity",
		"Cannot perform the operation on the protected user %s: it is Gatehouse's bootstrap administrator, whose rights no policy changes.",
		s.bootstrapName)
}

// user finds a user of the account by name.
func (s *Service) user(ctx context.Context, r store.Reader, accountID, name string) (store.IAMUser, error) {
	u, err := r.GetIAMUser(ctx, accountID, strings.ToLower(name))
	if errors.Is(err, store.ErrNotFound) {
		return u, noSuchUser(name)
	}
	return u, err
}

// NewUser is what CreateUser asks for.
type NewUser struct {
	Name, Path string
	// Boundary is the ARN of a managed policy to set as the user's
	// permissions boundary, "" for none.
	Boundary string
	Tags     []store.Tag
}

// CreateUser creates an IAM user in an account.
func (s *Service) CreateUser(ctx context.Context, accountID string, in NewUser) (User, error) {
	if in.Path == "" {
		in.Path = "/"
	}
	if s.isBootstrap(in.Name) {
		return User{}, coded(fault.Conflict, "EntityAlreadyExists", "User with name %s already exists.", in.Name)
	}
	if err := checkTags(in.Tags); err != nil {
		return User{}, err
	}
	if len(in.Tags) > s.userLimits.TagsPerUser {
		return User{}, limitExceeded("The number of tags has reached the maximum limit.")
	}
	u := store.IAMUser{AccountID: accountID, ID: newUserID(), Name: in.Name, NameKey: strings.ToLower(in.Name), Path: in.Path,
		BoundaryARN: in.Boundary, CreatedAt: s.now().UTC().Truncate(time.Second)}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if in.Boundary != "" {
			if err := s.checkAttachable(ctx, tx, accountID, in.Boundary); err != nil {
				return err
			}
		}
		n, err := tx.CountIAMUsers(ctx, accountID)
		if err != nil {
			return err
		}
		if n >= s.userLimits.UsersPerAccount {
			return limitExceeded("Cannot exceed quota for UsersPerAccount: %d", s.userLimits.UsersPerAccount)
		}
		err = tx.CreateIAMUser(ctx, u)
		if _, ok := store.IsConflict(err); ok {
			return coded(fault.Conflict, "EntityAlreadyExists", "User with name %s already exists.", in.Name)
		} else if err != nil {
			return err
		}
		if err := tx.PutIAMEntityTags(ctx, u.ID, in.Tags); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, map[string]any{"user": userElements(userOut(u))})
	})
	if err != nil {
		return User{}, err
	}
	out := userOut(u)
	out.Tags = in.Tags
	return out, nil
}

// userElements is a user as CloudTrail's responseElements show it.
func userElements(u User) map[string]any {
	return map[string]any{"path": u.Path, "userName": u.Name, "userId": u.ID, "arn": u.ARN,
		"createDate": u.CreatedAt.UTC().Format(time.RFC3339)}
}

// GetUser returns a user of the account with its tags; the bootstrap
// administrator is described although it has no record.
func (s *Service) GetUser(ctx context.Context, accountID, name string) (User, error) {
	if s.isBootstrap(name) {
		return s.bootstrapUser(accountID), nil
	}
	u, err := s.user(ctx, s.store, accountID, name)
	if err != nil {
		return User{}, err
	}
	out := userOut(u)
	if out.Tags, err = s.store.ListIAMEntityTags(ctx, u.ID); err != nil {
		return User{}, err
	}
	return out, nil
}

// ListUsers lists the account's users in name order after the given name
// key, and returns the position to resume after ("" at the end). The
// bootstrap administrator, like an account's root user, is not listed.
func (s *Service) ListUsers(ctx context.Context, accountID, pathPrefix, after string, limit int) ([]User, string, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	us, err := s.store.ListIAMUsers(ctx, store.IAMUserQuery{AccountID: accountID, PathPrefix: pathPrefix, After: after, Limit: limit + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(us) > limit {
		us = us[:limit]
		next = us[len(us)-1].NameKey
	}
	out := make([]User, len(us))
	for i, u := range us {
		out[i] = userOut(u)
	}
	return out, next, nil
}

// DeleteUser deletes a user that has no policies and no access keys left,
// as IAM requires.
func (s *Service) DeleteUser(ctx context.Context, accountID, name string) error {
	if s.isBootstrap(name) {
		return s.unmodifiable()
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		u, err := s.user(ctx, tx, accountID, name)
		if err != nil {
			return err
		}
		inline, err := tx.ListIAMInlinePolicies(ctx, u.ID)
		if err != nil {
			return err
		}
		if len(inline) > 0 {
			return deleteConflict("Cannot delete entity, must delete policies first.")
		}
		attached, err := tx.ListIAMAttachedPolicies(ctx, u.ID)
		if err != nil {
			return err
		}
		if len(attached) > 0 {
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		}
		keys, err := tx.ListAccessKeysOf(ctx, userOut(u).ARN)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			return deleteConflict("Cannot delete entity, must delete access keys first.")
		}
		if err := tx.DeleteIAMUser(ctx, u.ID); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// TagUser adds or replaces tags of a user.
func (s *Service) TagUser(ctx context.Context, accountID, name string, tags []store.Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	return s.changeUser(ctx, accountID, name, func(tx store.Tx, u store.IAMUser) error {
		if err := tx.PutIAMEntityTags(ctx, u.ID, tags); err != nil {
			return err
		}
		all, err := tx.ListIAMEntityTags(ctx, u.ID)
		if err != nil {
			return err
		}
		if len(all) > s.userLimits.TagsPerUser {
			return limitExceeded("The number of tags has reached the maximum limit.")
		}
		return nil
	})
}

// UntagUser removes tags of a user by key.
func (s *Service) UntagUser(ctx context.Context, accountID, name string, keys []string) error {
	return s.changeUser(ctx, accountID, name, func(tx store.Tx, u store.IAMUser) error {
		return tx.DeleteIAMEntityTags(ctx, u.ID, keys)
	})
}

// ListUserTags returns the tags of a user.
func (s *Service) ListUserTags(ctx context.Context, accountID, name string) ([]store.Tag, error) {
	if s.isBootstrap(name) {
		return []store.Tag{}, nil
	}
	u, err := s.user(ctx, s.store, accountID, name)
	if err != nil {
		return nil, err
	}
	return s.store.ListIAMEntityTags(ctx, u.ID)
}

// changeUser runs change on a user of the account in a transaction that
// stages the call's audit event. The bootstrap administrator cannot be
// changed.
func (s *Service) changeUser(ctx context.Context, accountID, name string, change func(tx store.Tx, u store.IAMUser) error) error {
	if s.isBootstrap(name) {
		return s.unmodifiable()
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		u, err := s.user(ctx, tx, accountID, name)
		if err != nil {
			return err
		}
		if err := change(tx, u); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
}

// ---- inline policies ----

// PutUserPolicy creates or replaces an inline policy of a user.
func (s *Service) PutUserPolicy(ctx context.Context, accountID, userName, policyName, doc string) error {
	if _, err := policy.Parse([]byte(doc), policy.IdentityBased); err != nil {
		return coded(fault.Invalid, "MalformedPolicyDocument", "%s", err.Error())
	}
	return s.changeUser(ctx, accountID, userName, func(tx store.Tx, u store.IAMUser) error {
		existing, err := tx.ListIAMInlinePolicies(ctx, u.ID)
		if err != nil {
			return err
		}
		// The quota covers all of a user's inline policies together.
		size := policy.SizeWithoutWhitespace([]byte(doc))
		for _, p := range existing {
			if p.NameKey != strings.ToLower(policyName) {
				size += policy.SizeWithoutWhitespace([]byte(p.Document))
			}
		}
		if size > s.userLimits.InlineCharsPerUser {
			return limitExceeded("Maximum policy size of %d bytes exceeded for user %s", s.userLimits.InlineCharsPerUser, u.Name)
		}
		return tx.PutIAMInlinePolicy(ctx, store.IAMInlinePolicy{OwnerID: u.ID, Name: policyName, NameKey: strings.ToLower(policyName), Document: doc})
	})
}

// GetUserPolicy returns an inline policy document of a user.
func (s *Service) GetUserPolicy(ctx context.Context, accountID, userName, policyName string) (string, error) {
	if s.isBootstrap(userName) {
		return "", noSuchEntity("The user policy with name %s cannot be found.", policyName)
	}
	u, err := s.user(ctx, s.store, accountID, userName)
	if err != nil {
		return "", err
	}
	p, err := s.store.GetIAMInlinePolicy(ctx, u.ID, strings.ToLower(policyName))
	if errors.Is(err, store.ErrNotFound) {
		return "", noSuchEntity("The user policy with name %s cannot be found.", policyName)
	}
	return p.Document, err
}

// DeleteUserPolicy deletes an inline policy of a user.
func (s *Service) DeleteUserPolicy(ctx context.Context, accountID, userName, policyName string) error {
	return s.changeUser(ctx, accountID, userName, func(tx store.Tx, u store.IAMUser) error {
		err := tx.DeleteIAMInlinePolicy(ctx, u.ID, strings.ToLower(policyName))
		if errors.Is(err, store.ErrNotFound) {
			return noSuchEntity("The user policy with name %s cannot be found.", policyName)
		}
		return err
	})
}

// ListUserPolicies names the inline policies of a user, in name order.
func (s *Service) ListUserPolicies(ctx context.Context, accountID, userName string) ([]string, error) {
	if s.isBootstrap(userName) {
		return []string{}, nil
	}
	u, err := s.user(ctx, s.store, accountID, userName)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.ListIAMInlinePolicies(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out, nil
}

// ---- managed policies and the boundary ----

// checkAttachable reports whether arn names a managed policy a user of the
// account can attach: an AWS-managed policy of the catalogue or one of the
// account's customer-managed policies.
func (s *Service) checkAttachable(ctx context.Context, r store.Reader, accountID, arn string) error {
	ref, err := ParsePolicyARN(arn)
	if err != nil {
		return err
	}
	if ref.AccountID == "aws" {
		if _, ok := s.catalogue.Get(arn); !ok {
			return noSuchEntity("Policy %s does not exist or is not attachable.", arn)
		}
		return nil
	}
	_, err = lookup(ctx, r, accountID, arn)
	return err
}

// AttachUserPolicy attaches a managed policy to a user.
func (s *Service) AttachUserPolicy(ctx context.Context, accountID, userName, arn string) error {
	return s.changeUser(ctx, accountID, userName, func(tx store.Tx, u store.IAMUser) error {
		if err := s.checkAttachable(ctx, tx, accountID, arn); err != nil {
			return err
		}
		attached, err := tx.ListIAMAttachedPolicies(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, a := range attached {
			if a == arn {
				return nil // attaching again changes nothing, as in IAM
			}
		}
		if len(attached) >= s.userLimits.AttachedPerUser {
			return limitExceeded("Cannot exceed quota for PoliciesPerUser: %d", s.userLimits.AttachedPerUser)
		}
		return tx.AttachIAMPolicy(ctx, u.ID, accountID, arn)
	})
}

// DetachUserPolicy detaches a managed policy from a user.
func (s *Service) DetachUserPolicy(ctx context.Context, accountID, userName, arn string) error {
	return s.changeUser(ctx, accountID, userName, func(tx store.Tx, u store.IAMUser) error {
		err := tx.DetachIAMPolicy(ctx, u.ID, arn)
		if errors.Is(err, store.ErrNotFound) {
			return noSuchEntity("Policy %s was not found.", arn)
		}
		return err
	})
}

// ListAttachedUserPolicies lists the managed policies attached to a user.
func (s *Service) ListAttachedUserPolicies(ctx context.Context, accountID, userName string) ([]AttachedPolicy, error) {
	if s.isBootstrap(userName) {
		return []AttachedPolicy{}, nil
	}
	u, err := s.user(ctx, s.store, accountID, userName)
	if err != nil {
		return nil, err
	}
	arns, err := s.store.ListIAMAttachedPolicies(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]AttachedPolicy, 0, len(arns))
	for _, a := range arns {
		ref, err := ParsePolicyARN(a)
		if err != nil {
			return nil, err
		}
		out = append(out, AttachedPolicy{Name: ref.Name, ARN: a})
	}
	return out, nil
}

// PutUserPermissionsBoundary sets a managed policy as a user's permissions
// boundary.
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, accountID, userName, arn string) error {
	return s.changeUser(ctx, accountID, userName, func(tx store.Tx, u store.IAMUser) error {
		if err := s.checkAttachable(ctx, tx, accountID, arn); err != nil {
			return err
		}
		u.BoundaryARN = arn
		return tx.UpdateIAMUser(ctx, u)
	})
}

// DeleteUserPermissionsBoundary removes a user's permissions boundary.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, accountID, userName string) error {
	return s.changeUser(ctx, accountID, userName, func(tx store.Tx, u store.IAMUser) error {
		if u.BoundaryARN == "" {
			return noSuchEntity("The user with name %s has no permissions boundary.", u.Name)
		}
		u.BoundaryARN = ""
		return tx.UpdateIAMUser(ctx, u)
	})
}

// ---- access keys ----

// AccessKey describes an access key without its secret, as ListAccessKeys
// shows it.
type AccessKey struct {
	ID        string
	UserName  string
	Status    string
	CreatedAt time.Time
}

// keyOwner resolves the user whose keys are managed: a user record, or the
// bootstrap administrator, whose keys only the bootstrap administrator
// itself may manage (an administrator with iam:* must not be able to mint
// a break-glass key).
func (s *Service) keyOwner(ctx context.Context, r store.Reader, accountID, name, callerARN string) (arn, id, userName string, err error) {
	if s.isBootstrap(name) {
		b := s.bootstrapUser(accountID)
		if callerARN != b.ARN {
			return "", "", "", coded(fault.Denied, "AccessDenied",
				"User: %s is not authorized to manage the access keys of %s: only the bootstrap administrator manages its own keys.", callerARN, b.ARN)
		}
		return b.ARN, "", b.Name, nil
	}
	u, err := s.user(ctx, r, accountID, name)
	if err != nil {
		return "", "", "", err
	}
	return userOut(u).ARN, u.ID, u.Name, nil
}

// CreateAccessKey creates an access key for a user and returns it with its
// secret, which is never shown again. The secret is sealed before it is
// stored.
func (s *Service) CreateAccessKey(ctx context.Context, accountID, userName, callerARN string) (AccessKey, keyring.Secret, error) {
	if s.keys == nil {
		return AccessKey{}, "", errors.New("iam: no access key service")
	}
	var (
		key  accesskey.Key
		name string
		at   = s.now().UTC()
	)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		arn, id, n, err := s.keyOwner(ctx, tx, accountID, userName, callerARN)
		if err != nil {
			return err
		}
		name = n
		existing, err := tx.ListAccessKeysOf(ctx, arn)
		if err != nil {
			return err
		}
		if len(existing) >= s.userLimits.KeysPerUser {
			return limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", s.userLimits.KeysPerUser)
		}
		if key, err = s.keys.CreateFor(ctx, tx, arn, id, accountID); err != nil {
			return err
		}
		// The secret never reaches the audit record.
		return audit.Stage(ctx, tx, map[string]any{"accessKey": map[string]any{
			"accessKeyId": key.ID, "status": key.Status, "userName": name, "createDate": at.Format(time.RFC3339)}})
	})
	if err != nil {
		return AccessKey{}, "", err
	}
	return AccessKey{ID: key.ID, UserName: name, Status: key.Status, CreatedAt: at}, key.Secret, nil
}

// ListAccessKeys lists the access keys of a user, oldest first.
func (s *Service) ListAccessKeys(ctx context.Context, accountID, userName, callerARN string) ([]AccessKey, error) {
	arn, _, name, err := s.keyOwner(ctx, s.store, accountID, userName, callerARN)
	if err != nil {
		return nil, err
	}
	ks, err := s.store.ListAccessKeysOf(ctx, arn)
	if err != nil {
		return nil, err
	}
	out := make([]AccessKey, len(ks))
	for i, k := range ks {
		out[i] = AccessKey{ID: k.ID, UserName: name, Status: k.Status, CreatedAt: k.CreatedAt}
	}
	return out, nil
}

// userKey finds an access key of a user inside a transaction.
func (s *Service) userKey(ctx context.Context, tx store.Tx, accountID, userName, keyID, callerARN string) (store.AccessKey, error) {
	arn, _, _, err := s.keyOwner(ctx, tx, accountID, userName, callerARN)
	if err != nil {
		return store.AccessKey{}, err
	}
	k, err := tx.GetAccessKey(ctx, keyID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && k.PrincipalARN != arn) {
		return store.AccessKey{}, noSuchEntity("The Access Key with id %s cannot be found.", keyID)
	}
	return k, err
}

// UpdateAccessKey activates or deactivates an access key of a user. The
// replica that makes the change forgets the key at once; others within
// accesskey.CacheTTL.
func (s *Service) UpdateAccessKey(ctx context.Context, accountID, userName, keyID, status, callerARN string) error {
	if status != accesskey.Active && status != accesskey.Inactive {
		return invalidInput("Status must be Active or Inactive.")
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		k, err := s.userKey(ctx, tx, accountID, userName, keyID, callerARN)
		if err != nil {
			return err
		}
		k.Status = status
		if err := tx.PutAccessKey(ctx, k); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
	if err == nil && s.keys != nil {
		s.keys.Forget(keyID)
	}
	return err
}

// DeleteAccessKey deletes an access key of a user.
func (s *Service) DeleteAccessKey(ctx context.Context, accountID, userName, keyID, callerARN string) error {
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := s.userKey(ctx, tx, accountID, userName, keyID, callerARN); err != nil {
			return err
		}
		if err := tx.DeleteAccessKey(ctx, keyID); err != nil {
			return err
		}
		return audit.Stage(ctx, tx, nil)
	})
	if err == nil && s.keys != nil {
		s.keys.Forget(keyID)
	}
	return err
}

// ---- the policies of a user, for evaluation ----

// NamedDocument is a policy document with what identifies it in a
// decision or a simulation.
type NamedDocument struct {
	// Name is the inline policy's name, or the managed policy's ARN.
	Name string
	// Type is the simulator's SourcePolicyType: "user" for inline
	// policies, "aws-managed", "user-managed" (customer-managed), "role".
	Type     string
	Document string
}

// Principal is the set of policies an IAM identity acts with.
type Principal struct {
	ARN      string
	Identity []NamedDocument
	// Boundary is the permissions boundary, nil for none.
	Boundary *NamedDocument
	// Bootstrap marks the bootstrap administrator: full rights, no
	// policies.
	Bootstrap bool
}

// Signature is a digest of the principal's policies: two reads with the
// same signature compile to the same permission set.
func (p *Principal) Signature() [32]byte {
	h := sha256.New()
	write := func(d NamedDocument) {
		h.Write([]byte(d.Type))
		h.Write([]byte{0})
		h.Write([]byte(d.Name))
		h.Write([]byte{0})
		h.Write([]byte(d.Document))
		h.Write([]byte{0})
	}
	for _, d := range p.Identity {
		write(d)
	}
	if p.Boundary != nil {
		h.Write([]byte("boundary"))
		write(*p.Boundary)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// managedDocument returns the default version of a managed policy: the
// catalogue's for AWS-managed policies, the account's for its own.
func (s *Service) managedDocument(ctx context.Context, r store.Reader, accountID, arn string) (NamedDocument, error) {
	ref, err := ParsePolicyARN(arn)
	if err != nil {
		return NamedDocument{}, err
	}
	if ref.AccountID == "aws" {
		mp, ok := s.catalogue.Get(arn)
		if !ok {
			return NamedDocument{}, noSuchEntity("Policy %s does not exist or is not attachable.", arn)
		}
		return NamedDocument{Name: arn, Type: "aws-managed", Document: mp.Document}, nil
	}
	p, err := lookup(ctx, r, accountID, arn)
	if err != nil {
		return NamedDocument{}, err
	}
	v, err := r.GetIAMPolicyVersion(ctx, p.ID, p.DefaultVersion)
	if err != nil {
		return NamedDocument{}, err
	}
	return NamedDocument{Name: arn, Type: "user-managed", Document: v.Document}, nil
}

// UserPrincipal returns the policies of a user named by its ARN: its
// inline policies, then its attached managed policies (their default
// versions, read now: a new default version applies at once, as in IAM),
// and its permissions boundary. It returns a NoSuchEntity fault for a user
// that does not exist.
func (s *Service) UserPrincipal(ctx context.Context, userARN string) (*Principal, error) {
	accountID, path, name, ok := parseUserARN(userARN)
	if !ok {
		return nil, invalidInput("ARN %s is not a valid user ARN.", userARN)
	}
	if s.isBootstrap(name) && path == "/" {
		return &Principal{ARN: userARN, Bootstrap: true}, nil
	}
	out := &Principal{ARN: userARN}
	err := s.store.View(ctx, func(r store.Reader) error {
		u, err := s.user(ctx, r, accountID, name)
		if err != nil {
			return err
		}
		if u.Path != path {
			return noSuchUser(name)
		}
		inline, err := r.ListIAMInlinePolicies(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, p := range inline {
			out.Identity = append(out.Identity, NamedDocument{Name: p.Name, Type: "user", Document: p.Document})
		}
		attached, err := r.ListIAMAttachedPolicies(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, a := range attached {
			d, err := s.managedDocument(ctx, r, accountID, a)
			if err != nil {
				return err
			}
			out.Identity = append(out.Identity, d)
		}
		if u.BoundaryARN != "" {
			d, err := s.managedDocument(ctx, r, accountID, u.BoundaryARN)
			if err != nil {
				return err
			}
			out.Boundary = &d
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parseUserARN splits arn:aws:iam::<account>:user<path><name>.
func parseUserARN(arn string) (accountID, path, name string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return "", "", "", false
	}
	accountID, res, ok := strings.Cut(rest, ":")
	if !ok || !isAccountID(accountID) {
		return "", "", "", false
	}
	full, ok := strings.CutPrefix(res, "user/")
	if !ok || full == "" || strings.HasSuffix(full, "/") {
		return "", "", "", false
	}
	i := strings.LastIndex(full, "/")
	return accountID, "/" + full[:i+1], full[i+1:], true
}
