// Package entitlement answers what a person can reach: the AWS accounts in
// which a user holds a permission set (directly or through a group), the
// roles (permission sets provisioned as AWSReservedSSO_… roles) in each,
// and whether one assignment still stands. It composes the access and org
// services and holds no state: every answer reads the store, so a removed
// assignment or group membership is seen at once on every replica.
//
// The access portal's pages (portal.Access), the portal API (ListAccounts,
// ListAccountRoles, GetRoleCredentials) and the revocation check of
// temporary credentials all ask it.
package entitlement

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/org"
	"github.com/gatehouse/gatehouse/internal/portal"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Service answers entitlement questions.
type Service struct {
	access   *access.Service
	org      *org.Service
	accounts *accountLister
}

// New returns the service.
func New(s store.Store, a *access.Service, o *org.Service) *Service {
	return &Service{access: a, org: o, accounts: newAccountLister(s)}
}

// Role is a permission set a user holds in an account, as provisioned
// there.
type Role struct {
	PermissionSetID string
	// Name is the permission set name, which the portal calls the role
	// name.
	Name            string
	Description     string
	RelayState      string
	SessionDuration time.Duration
	// RoleName is the provisioned AWSReservedSSO_<name>_<hex> role and
	// RoleID its AROA… id.
	RoleName string
	RoleID   string
}

// assignments returns every assignment of the user (and the user's
// groups), in one account when accountID is set.
func (s *Service) assignments(ctx context.Context, userID, accountID string) ([]store.AccountAssignment, error) {
	var (
		out   []store.AccountAssignment
		after store.AssignmentKey
	)
	for {
		page, more, err := s.access.AssignmentsOfUser(ctx, userID, accountID, after, 100)
		if err != nil {
			return nil, fmt.Errorf("entitlement: assignments of %s: %w", userID, err)
		}
		out = append(out, page...)
		if !more || len(page) == 0 {
			return out, nil
		}
		after = page[len(page)-1].Key()
	}
}

// Entitled reports whether the user still holds the permission set in the
// account.
func (s *Service) Entitled(ctx context.Context, userID, accountID, permissionSetID string) (bool, error) {
	as, err := s.assignments(ctx, userID, accountID)
	if err != nil {
		if isNotFound(err) {
			return false, nil // the user is gone
		}
		return false, err
	}
	for _, a := range as {
		if a.PermissionSetID == permissionSetID {
			return true, nil
		}
	}
	return false, nil
}

// isNotFound reports a store miss or a NotFound fault (the user is gone).
func isNotFound(err error) bool {
	if errors.Is(err, store.ErrNotFound) {
		return true
	}
	f, ok := fault.As(err)
	return ok && f.Kind == fault.NotFound
}

// AccountsFor returns a page of the accounts in which the user holds a
// permission set (directly or through a group), in name order, filtered by
// a case-insensitive substring of name, id or email. It implements
// portal.Access for the portal's pages and serves the portal API.
func (s *Service) AccountsFor(ctx context.Context, userID string, q portal.AccountQuery) (portal.AccountPage, error) {
	return s.accounts.page(ctx, userID, q)
}

// Roles lists the user's roles in an account, by name.
func (s *Service) Roles(ctx context.Context, userID, accountID string) ([]Role, error) {
	as, err := s.assignments(ctx, userID, accountID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []Role
	for _, a := range as {
		if seen[a.PermissionSetID] {
			continue
		}
		seen[a.PermissionSetID] = true
		r, ok, err := s.role(ctx, a.PermissionSetID, accountID)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ErrNoAccess is returned by Role for a role the user does not hold.
var ErrNoAccess = errors.New("entitlement: no access")

// Role returns the user's role of the given name (the permission set name)
// in an account, or ErrNoAccess.
//
// It answers what Roles would (the role of that name among the user's
// roles in the account) in one read of the store instead of one per
// assignment, as GetRoleCredentials asks it on every call.
func (s *Service) Role(ctx context.Context, userID, accountID, name string) (Role, error) {
	pr, ps, err := s.access.UserRole(ctx, userID, accountID, name)
	if errors.Is(err, store.ErrNotFound) {
		return Role{}, ErrNoAccess
	}
	if err != nil {
		return Role{}, fmt.Errorf("entitlement: role %s of %s in %s: %w", name, userID, accountID, err)
	}
	return roleOf(pr, ps), nil
}

func (s *Service) role(ctx context.Context, psID, accountID string) (Role, bool, error) {
	pr, err := s.access.Role(ctx, psID, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return Role{}, false, nil
	}
	if err != nil {
		return Role{}, false, fmt.Errorf("entitlement: role of %s in %s: %w", psID, accountID, err)
	}
	ps, err := s.access.GetPermissionSet(ctx, psID)
	if err != nil {
		return Role{}, false, fmt.Errorf("entitlement: permission set %s: %w", psID, err)
	}
	return roleOf(pr, ps), true, nil
}

// roleOf describes a provisioned role of a permission set.
func roleOf(pr store.ProvisionedRole, ps store.PermissionSet) Role {
	// The role keeps the duration it was provisioned with; a permission
	// set changed since applies once it is provisioned again, as in AWS.
	dur := pr.Policies.SessionDuration
	if dur == "" {
		dur = ps.SessionDuration
	}
	if dur == "" {
		dur = access.DefaultSessionDuration
	}
	d, err := access.ParseSessionDuration(dur)
	if err != nil {
		d = time.Hour
	}
	return Role{PermissionSetID: ps.ID, Name: ps.Name, Description: ps.Description, RelayState: ps.RelayState,
		SessionDuration: d, RoleName: pr.RoleName, RoleID: pr.RoleID}
}

// ---- portal.Access for the web portal ----

var _ portal.Access = (*Service)(nil)

// RolesFor returns the user's roles in an account.
func (s *Service) RolesFor(ctx context.Context, userID, accountID string) ([]portal.Role, error) {
	roles, err := s.Roles(ctx, userID, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]portal.Role, 0, len(roles))
	for _, r := range roles {
		out = append(out, portal.Role{Name: r.Name, Description: r.Description, RelayState: r.RelayState, SessionDuration: r.SessionDuration})
	}
	return out, nil
}
