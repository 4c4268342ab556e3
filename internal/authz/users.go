package authz

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/policy"
)

// UserDocument is one policy of an IAM user: an inline policy by name or a
// managed policy by ARN, with its document.
type UserDocument struct {
	Name     string
	Document string
}

// UserPolicies are the policies an IAM user (a delegated administrator)
// acts with.
type UserPolicies struct {
	// Bootstrap marks the bootstrap administrator, which acts with the
	// administrator permission set whatever policies exist.
	Bootstrap bool
	Identity  []UserDocument
	Boundary  *UserDocument
	// Signature changes whenever the policies do: a cached set with the
	// same signature is current.
	Signature [32]byte
}

// UserSource reads the policies of IAM users by ARN. A user that does not
// exist has no policies (an empty UserPolicies): every check is denied.
type UserSource interface {
	UserPolicies(ctx context.Context, userARN string) (UserPolicies, error)
}

// Users compiles the permission sets of IAM users and caches them, like
// Roles does for provisioned roles: a cached set is trusted for TTL, then
// the user's policies are read again and recompiled only if they changed.
// A user's managed policies are read live (a new default version applies
// within TTL), as in IAM.
type Users struct {
	source UserSource
	admin  *PolicySet
	ttl    time.Duration
	now    func() time.Time
	max    int

	mu      sync.Mutex
	entries map[string]*userEntry
}

type userEntry struct {
	mu      sync.Mutex // serialises refreshes of one user
	set     *PolicySet
	sig     [32]byte
	checked time.Time
}

// NewUsers returns a permission-set cache over the users of source; admin
// is the set of the bootstrap administrator. ttl 0 means DefaultRoleTTL.
func NewUsers(source UserSource, admin *PolicySet, ttl time.Duration, now func() time.Time) *Users {
	if ttl <= 0 {
		ttl = DefaultRoleTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Users{source: source, admin: admin, ttl: ttl, now: now, max: 10000, entries: map[string]*userEntry{}}
}

// PolicySet returns the compiled permission set of the user with the given
// ARN.
func (u *Users) PolicySet(ctx context.Context, userARN string) (*PolicySet, error) {
	u.mu.Lock()
	e := u.entries[userARN]
	if e == nil {
		if len(u.entries) >= u.max {
			clear(u.entries)
		}
		e = &userEntry{}
		u.entries[userARN] = e
	}
	u.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := u.now()
	if e.set != nil && now.Sub(e.checked) < u.ttl {
		return e.set, nil
	}
	ps, err := u.source.UserPolicies(ctx, userARN)
	if err != nil {
		return nil, fmt.Errorf("authz: read policies of %s: %w", userARN, err)
	}
	if ps.Bootstrap {
		e.set, e.checked = u.admin, now
		return u.admin, nil
	}
	if e.set != nil && e.sig == ps.Signature {
		e.checked = now
		return e.set, nil
	}
	set, err := compileUser(userARN, ps)
	if err != nil {
		return nil, err
	}
	e.set, e.sig, e.checked = set, ps.Signature, now
	return set, nil
}

func compileUser(userARN string, ps UserPolicies) (*PolicySet, error) {
	var s policy.Set
	parse := func(d UserDocument) (*policy.Policy, error) {
		doc, err := policy.Parse([]byte(d.Document), policy.IdentityBased)
		if err != nil {
			return nil, fmt.Errorf("authz: user %s: policy %s: %w", userARN, d.Name, err)
		}
		return &policy.Policy{Name: d.Name, Document: doc}, nil
	}
	for _, d := range ps.Identity {
		p, err := parse(d)
		if err != nil {
			return nil, err
		}
		s.Identity = append(s.Identity, *p)
	}
	if ps.Boundary != nil {
		p, err := parse(*ps.Boundary)
		if err != nil {
			return nil, err
		}
		s.Boundary = p
	}
	set, err := CompileSet(s)
	if err != nil {
		return nil, fmt.Errorf("authz: user %s: %w", userARN, err)
	}
	return set, nil
}
