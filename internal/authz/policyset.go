package authz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/store"
)

// PolicySet is a compiled permission set and what its policies refer to.
// It is immutable and safe for concurrent use.
type PolicySet struct {
	compiled *policy.Compiled
	// keys holds every condition key the policies test, lowercased, so an
	// enforcement point can skip fetching facts no policy looks at (object
	// tags cost a round trip to the upstream).
	keys []string
	// Revision is the provisioning revision of the role it was built from
	// (0 for sets not built from a role).
	Revision int64
}

// InlinePolicyName is the name decisions give a permission set's inline
// policy: the name Identity Center gives it on the provisioned role.
const InlinePolicyName = "AwsSSOInlinePolicy"

// CompileSet compiles a permission set.
func CompileSet(s policy.Set) (*PolicySet, error) {
	c, err := policy.Compile(s)
	if err != nil {
		return nil, err
	}
	ps := &PolicySet{compiled: c}
	seen := map[string]bool{}
	add := func(p *policy.Policy) {
		if p == nil || p.Document == nil {
			return
		}
		for _, st := range p.Document.Statements {
			for _, cond := range st.Conditions {
				k := strings.ToLower(cond.Key)
				if !seen[k] {
					seen[k] = true
					ps.keys = append(ps.keys, k)
				}
			}
		}
	}
	for i := range s.Identity {
		add(&s.Identity[i])
	}
	add(s.Boundary)
	for i := range s.Session {
		add(&s.Session[i])
	}
	return ps, nil
}

// Evaluate decides one request.
func (ps *PolicySet) Evaluate(req *policy.Request) policy.Result { return ps.compiled.Evaluate(req) }

// References reports whether some policy of the set tests a condition key
// that starts with prefix (case-insensitive), e.g. "s3:ExistingObjectTag/".
func (ps *PolicySet) References(prefix string) bool {
	prefix = strings.ToLower(prefix)
	for _, k := range ps.keys {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// RoleReader reads provisioned roles; store.Store provides it.
type RoleReader interface {
	// GetProvisionedRole returns the role of a permission set in an
	// account (store.ErrNotFound when there is none).
	GetProvisionedRole(ctx context.Context, permissionSetID, accountID string) (store.ProvisionedRole, error)
	// GetProvisionedRoleByName returns a role of an account by its
	// lower-case name.
	GetProvisionedRoleByName(ctx context.Context, accountID, roleNameKey string) (store.ProvisionedRole, error)
}

// ManagedPolicies gives the documents of AWS-managed policies;
// *access.Service provides it.
type ManagedPolicies interface {
	ManagedDocument(arn string) (string, bool)
}

// Roles compiles the permission sets of provisioned roles and caches them
// per provisioning revision. A cached set is trusted for TTL; after that
// the next request reads the role again and recompiles only if it was
// provisioned anew. TTL is therefore the bound on how long a change to a
// permission set, once provisioned, takes to reach decisions on this
// replica.
type Roles struct {
	store   RoleReader
	managed ManagedPolicies
	ttl     time.Duration
	now     func() time.Time
	max     int

	mu      sync.Mutex
	entries map[roleKey]*roleEntry
}

type roleKey struct{ permissionSetID, accountID string }

type roleEntry struct {
	mu      sync.Mutex // serialises refreshes of one role
	set     *PolicySet
	err     error // ErrNotProvisioned, cached like a set
	checked time.Time
}

// DefaultRoleTTL is how long a compiled permission set is used before the
// role is read again.
const DefaultRoleTTL = 2 * time.Second

// NewRoles returns a permission-set cache over the roles of s, with the
// AWS-managed policies of m. ttl 0 means DefaultRoleTTL.
func NewRoles(s RoleReader, m ManagedPolicies, ttl time.Duration, now func() time.Time) *Roles {
	if ttl <= 0 {
		ttl = DefaultRoleTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Roles{store: s, managed: m, ttl: ttl, now: now, max: 10000, entries: map[roleKey]*roleEntry{}}
}

// PolicySet implements PolicySource.
func (r *Roles) PolicySet(ctx context.Context, permissionSetID, accountID string) (*PolicySet, error) {
	k := roleKey{permissionSetID, accountID}
	r.mu.Lock()
	e := r.entries[k]
	if e == nil {
		if len(r.entries) >= r.max {
			// Crude but bounded: forget everything; the active roles come
			// back on their next request.
			clear(r.entries)
		}
		e = &roleEntry{}
		r.entries[k] = e
	}
	r.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := r.now()
	if !e.checked.IsZero() && now.Sub(e.checked) < r.ttl {
		return e.set, e.err
	}
	role, err := r.store.GetProvisionedRole(ctx, permissionSetID, accountID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		e.set, e.err, e.checked = nil, ErrNotProvisioned, now
		return nil, ErrNotProvisioned
	case err != nil:
		return nil, fmt.Errorf("authz: read role of %s in %s: %w", permissionSetID, accountID, err)
	}
	if e.set != nil && e.set.Revision == role.Revision {
		e.checked = now
		return e.set, nil
	}
	set, err := r.compile(role)
	if err != nil {
		return nil, err
	}
	e.set, e.err, e.checked = set, nil, now
	return set, nil
}

// compile builds the permission set of a role from the policies captured
// when it was provisioned.
func (r *Roles) compile(role store.ProvisionedRole) (*PolicySet, error) {
	var s policy.Set
	parse := func(name, doc string) (*policy.Policy, error) {
		d, err := policy.Parse([]byte(doc), policy.IdentityBased)
		if err != nil {
			return nil, fmt.Errorf("authz: role %s: policy %s: %w", role.RoleName, name, err)
		}
		return &policy.Policy{Name: name, Document: d}, nil
	}
	for _, m := range role.Policies.Managed {
		doc, ok := r.managed.ManagedDocument(m.ARN)
		if !ok {
			return nil, fmt.Errorf("authz: role %s: managed policy %s is not in the catalogue", role.RoleName, m.ARN)
		}
		p, err := parse(m.ARN, doc)
		if err != nil {
			return nil, err
		}
		s.Identity = append(s.Identity, *p)
	}
	for _, c := range role.Policies.CustomerManaged {
		p, err := parse(c.ARN, c.Document)
		if err != nil {
			return nil, err
		}
		s.Identity = append(s.Identity, *p)
	}
	if role.Policies.Inline != "" {
		p, err := parse(InlinePolicyName, role.Policies.Inline)
		if err != nil {
			return nil, err
		}
		s.Identity = append(s.Identity, *p)
	}
	if b := role.Policies.Boundary; b != nil {
		doc := b.Document
		if doc == "" {
			var ok bool
			if doc, ok = r.managed.ManagedDocument(b.ARN); !ok {
				return nil, fmt.Errorf("authz: role %s: boundary %s is not in the catalogue", role.RoleName, b.ARN)
			}
		}
		p, err := parse(b.ARN, doc)
		if err != nil {
			return nil, err
		}
		s.Boundary = p
	}
	set, err := CompileSet(s)
	if err != nil {
		return nil, fmt.Errorf("authz: role %s: %w", role.RoleName, err)
	}
	set.Revision = role.Revision
	return set, nil
}

// AdministratorAccessARN is the AWS-managed policy administrator keys act
// with.
const AdministratorAccessARN = "arn:aws:iam::aws:policy/AdministratorAccess"

// AdminPolicySet compiles the permission set of administrator keys from an
// AWS-managed policy document.
func AdminPolicySet(doc string) (*PolicySet, error) {
	d, err := policy.Parse([]byte(doc), policy.IdentityBased)
	if err != nil {
		return nil, fmt.Errorf("authz: %s: %w", AdministratorAccessARN, err)
	}
	return CompileSet(policy.Set{Identity: []policy.Policy{{Name: AdministratorAccessARN, Document: d}}})
}

// RoleByName returns a provisioned role of an account by name
// (ErrNotProvisioned when there is none).
func (r *Roles) RoleByName(ctx context.Context, accountID, roleName string) (store.ProvisionedRole, error) {
	role, err := r.store.GetProvisionedRoleByName(ctx, accountID, strings.ToLower(roleName))
	if errors.Is(err, store.ErrNotFound) {
		return role, ErrNotProvisioned
	}
	if err != nil {
		return role, fmt.Errorf("authz: read role %s in %s: %w", roleName, accountID, err)
	}
	return role, nil
}
