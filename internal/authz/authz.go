// Package authz is Gatehouse's decision service: the one place where a
// resolved caller, an IAM action, a resource ARN and a request context
// become an allow or a deny, with the policy statement that decided.
//
// Every enforcement point shares it: the S3 access gateway, the
// authorization API that other services call, and later delegated
// administration and policy simulation. A caller is resolved from its
// access key by a Resolver (Gatehouse-issued temporary credentials of an
// Identity Center role session, or an administrator's long-term key); its
// permission set is compiled once per provisioning revision of its role and
// cached; each decision fills a reused policy.Context with the facts of the
// principal (MFA, session tags, token issue time, …) on top of the facts
// of the request that the enforcement point supplies, and evaluates.
//
// The package decides but does not write: an enforcement point records each
// decision in its own audit event (Annotate adds the decision to one), so
// that "no audit, no answer" holds where the answer is given.
package authz

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/policy"
)

// Kind says what sort of caller a Principal is.
type Kind uint8

const (
	// KindAdmin is an administrator's long-term access key (an IAM user of
	// the management account).
	KindAdmin Kind = iota + 1
	// KindRoleSession is the temporary credentials of an Identity Center
	// role session: a user, a permission set and an account.
	KindRoleSession
	// KindRole is a provisioned role named without a session, as the
	// authorization API's callers may name one: the caller supplies the
	// facts a session would carry.
	KindRole
)

// String returns "Admin" or "RoleSession".
func (k Kind) String() string {
	switch k {
	case KindAdmin:
		return "Admin"
	case KindRoleSession:
		return "RoleSession"
	case KindRole:
		return "Role"
	}
	return "Unknown"
}

// Principal is a caller resolved from its access key.
type Principal struct {
	Kind        Kind
	AccessKeyID string
	AccountID   string
	// ARN is the caller as CloudTrail names it: the IAM user ARN of an
	// administrator key, the assumed-role ARN
	// (arn:aws:sts::<account>:assumed-role/<role>/<user>) of a session.
	ARN string
	// PrincipalARN is aws:PrincipalArn: the user ARN, or for a session the
	// role ARN with its path.
	PrincipalARN string
	// PrincipalID is CloudTrail's principalId and aws:userid:
	// "<role id>:<session name>" for a session.
	PrincipalID string
	// UserName is the IAM user name (administrator) or the Identity Center
	// user name, which is the session name (role session).
	UserName string

	// The fields below describe role sessions.

	// UserID is the identity store user the session belongs to.
	UserID          string
	RoleName        string
	RoleID          string
	PermissionSetID string
	// MFAPresent is aws:MultiFactorAuthPresent; AuthTime is when the user
	// authenticated (aws:MultiFactorAuthAge counts from it).
	MFAPresent bool
	AuthTime   time.Time
	// IssuedAt is aws:TokenIssueTime; ExpiresAt ends the session.
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Tags are the session tags (attributes for access control), seen by
	// policies as aws:PrincipalTag/<key>.
	Tags map[string]string

	// issued is IssuedAt formatted by the Resolver, so that filling a
	// context does not format it on every request.
	issued string
}

// RolePath is the IAM path of the roles Identity Center provisions.
const RolePath = "/aws-reserved/sso.amazonaws.com/"

// RoleARN returns the ARN of a provisioned role.
func RoleARN(accountID, roleName string) string {
	return "arn:aws:iam::" + accountID + ":role" + RolePath + roleName
}

// Check is one authorization question an enforcement point asks: may the
// principal perform Action on Resource? One request may need several (a
// copy reads its source and writes its destination).
type Check struct {
	// Action is "service:Action", e.g. "s3:GetObject".
	Action string
	// Resource is the ARN acted on, or "*".
	Resource string
}

// Decision is the answer to one Check.
type Decision struct {
	Check
	policy.Result
	// Reason explains a deny that no statement made (the role is not
	// provisioned, the credentials were revoked); empty otherwise.
	Reason string
}

// Allowed reports whether the check was allowed.
func (d Decision) Allowed() bool { return d.Decision == policy.Allow }

// ErrNotProvisioned reports a role session whose role is gone: its
// permission set was deprovisioned from the account since the credentials
// were issued. Every request of such a session is denied.
var ErrNotProvisioned = errors.New("authz: the role is not provisioned")

// Service evaluates checks for resolved principals.
type Service struct {
	roles  *Roles
	admins *PolicySet
	users  *Users
	pool   sync.Pool // *policy.Context
	clock  atomic.Pointer[clockStrings]
}

// Options configure a Service.
type Options struct {
	// Roles supplies the permission sets of roles. Required.
	Roles *Roles
	// AdminPolicy is the permission set of administrator access keys:
	// Gatehouse's bootstrap administrators act with AWS's
	// AdministratorAccess policy. Required.
	AdminPolicy *PolicySet
	// Users supplies the permission sets of IAM users (delegated
	// administrators); the bootstrap administrator keeps AdminPolicy.
	// Without it every administrator key acts with AdminPolicy.
	Users *Users
}

// New returns a decision service.
func New(o Options) (*Service, error) {
	if o.Roles == nil || o.AdminPolicy == nil {
		return nil, errors.New("authz: Options.Roles and Options.AdminPolicy are required")
	}
	s := &Service{roles: o.Roles, admins: o.AdminPolicy, users: o.Users}
	s.pool.New = func() any { return new(policy.Context) }
	return s, nil
}

// GetContext returns an empty request context from a pool; fill it with the
// request's keys and give it back with PutContext once the decision is
// made. Reusing contexts keeps evaluation free of allocation.
func (s *Service) GetContext() *policy.Context {
	c := s.pool.Get().(*policy.Context)
	c.Reset()
	return c
}

// PutContext returns a context to the pool.
func (s *Service) PutContext(c *policy.Context) {
	c.Reset()
	s.pool.Put(c)
}

// PolicySetFor returns the permission set a principal acts with.
func (s *Service) PolicySetFor(ctx context.Context, p *Principal) (*PolicySet, error) {
	switch p.Kind {
	case KindAdmin:
		if s.users != nil {
			return s.users.PolicySet(ctx, p.PrincipalARN)
		}
		return s.admins, nil
	case KindRoleSession, KindRole:
		return s.roles.PolicySet(ctx, p.PermissionSetID, p.AccountID)
	}
	return nil, fmt.Errorf("authz: principal %s has no kind", p.AccessKeyID)
}

// AddPrincipalKeys adds the global condition keys that describe p and the
// time of the request to c: aws:PrincipalArn, aws:PrincipalAccount,
// aws:PrincipalType, aws:userid, aws:username (users only),
// aws:PrincipalTag/* (session tags), aws:MultiFactorAuthPresent and
// aws:MultiFactorAuthAge (sessions; long-term keys carry neither, as in
// AWS), aws:TokenIssueTime (sessions), aws:CurrentTime and aws:EpochTime.
// The enforcement point adds the keys of the request itself (aws:SourceIp,
// aws:SecureTransport, aws:RequestedRegion and the service's own keys).
func (s *Service) AddPrincipalKeys(c *policy.Context, p *Principal, now time.Time) {
	c.Add(policy.KeyPrincipalArn, p.PrincipalARN)
	c.Add(policy.KeyPrincipalAccount, p.AccountID)
	c.Add("aws:PrincipalIsAWSService", "false")
	if p.Kind != KindRole {
		c.Add(policy.KeyUserID, p.PrincipalID)
	}
	switch p.Kind {
	case KindRole:
		c.Add(policy.KeyPrincipalType, "AssumedRole")
	case KindAdmin:
		c.Add(policy.KeyPrincipalType, "User")
		c.Add(policy.KeyUsername, p.UserName)
	case KindRoleSession:
		c.Add(policy.KeyPrincipalType, "AssumedRole")
		for k, v := range p.Tags {
			c.Add(policy.KeyPrincipalTagPrefix+k, v)
		}
		c.AddBool(policy.KeyMultiFactorAuthPresent, p.MFAPresent)
		if p.MFAPresent && !p.AuthTime.IsZero() {
			age := max(int64(now.Sub(p.AuthTime)/time.Second), 0)
			c.Add(policy.KeyMultiFactorAuthAge, strconv.FormatInt(age, 10))
		}
		switch {
		case p.issued != "":
			c.Add(policy.KeyTokenIssueTime, p.issued)
		case !p.IssuedAt.IsZero():
			c.Add(policy.KeyTokenIssueTime, p.IssuedAt.UTC().Format(time.RFC3339))
		}
	}
	cs := s.clockAt(now)
	c.Add(policy.KeyCurrentTime, cs.current)
	c.Add(policy.KeyEpochTime, cs.epoch)
}

// clockStrings caches the textual forms of the current second, which every
// decision needs.
type clockStrings struct {
	sec            int64
	current, epoch string
}

func (s *Service) clockAt(now time.Time) *clockStrings {
	sec := now.Unix()
	if cs := s.clock.Load(); cs != nil && cs.sec == sec {
		return cs
	}
	cs := &clockStrings{sec: sec, current: now.UTC().Format(time.RFC3339), epoch: strconv.FormatInt(sec, 10)}
	s.clock.Store(cs)
	return cs
}

// Evaluate decides every check for p against its permission set, with c as
// the request context (which must already hold the principal's keys; see
// AddPrincipalKeys). It returns one decision per check, in order, appended
// to dst; the request is allowed only if every decision allows. An error
// means no decision could be made (the permission set could not be read)
// and the request must be refused.
func (s *Service) Evaluate(ctx context.Context, p *Principal, checks []Check, c *policy.Context, dst []Decision) ([]Decision, error) {
	set, err := s.PolicySetFor(ctx, p)
	if err != nil && !errors.Is(err, ErrNotProvisioned) {
		return dst, err
	}
	return EvaluateSet(set, p, checks, c, dst), nil
}

// EvaluateSet decides checks against a permission set obtained from
// PolicySetFor; a nil set (ErrNotProvisioned) denies every check with the
// reason.
func EvaluateSet(set *PolicySet, p *Principal, checks []Check, c *policy.Context, dst []Decision) []Decision {
	if set == nil {
		for _, ch := range checks {
			dst = append(dst, Decision{Check: ch, Result: policy.Result{Decision: policy.ImplicitDeny, Layer: policy.LayerIdentity, Statement: -1},
				Reason: "the role " + p.RoleName + " is no longer provisioned in account " + p.AccountID})
		}
		return dst
	}
	for _, ch := range checks {
		res := set.Evaluate(&policy.Request{Action: ch.Action, Resource: ch.Resource, Context: c})
		dst = append(dst, Decision{Check: ch, Result: res})
	}
	return dst
}

// DenyAll returns a deny of every check for a reason outside the policies
// (revoked credentials), so that it is audited like any other decision.
func DenyAll(checks []Check, reason string, dst []Decision) []Decision {
	for _, ch := range checks {
		dst = append(dst, Decision{Check: ch, Result: policy.Result{Decision: policy.ImplicitDeny, Statement: -1}, Reason: reason})
	}
	return dst
}

// RolePrincipal returns the principal of a provisioned role named by its
// ARN (arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/<name>),
// or ErrNotProvisioned.
func (s *Service) RolePrincipal(ctx context.Context, roleARN string) (*Principal, error) {
	a, err := arn.Parse(roleARN)
	rest, ok := strings.CutPrefix(a.Resource, "role/")
	if err != nil || a.Service != "iam" || a.Region != "" || !ok || len(a.Account) != 12 {
		return nil, fmt.Errorf("authz: %q is not a role ARN: %w", roleARN, ErrNotProvisioned)
	}
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	path := "/" + strings.TrimSuffix(rest[:len(rest)-len(name)], "/")
	if path != "/" {
		path += "/"
	}
	role, err := s.roles.RoleByName(ctx, a.Account, name)
	if err != nil {
		return nil, err
	}
	if role.Path != path || role.RoleName != name {
		return nil, fmt.Errorf("authz: no role %s: %w", roleARN, ErrNotProvisioned)
	}
	return &Principal{
		Kind: KindRole, AccountID: a.Account, ARN: roleARN, PrincipalARN: roleARN, PrincipalID: role.RoleID,
		RoleName: role.RoleName, RoleID: role.RoleID, PermissionSetID: role.PermissionSetID,
	}, nil
}

// Denied returns the first decision that does not allow, or nil if all do.
func Denied(ds []Decision) *Decision {
	for i := range ds {
		if !ds[i].Allowed() {
			return &ds[i]
		}
	}
	return nil
}
