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
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/org"
	"github.com/gatehouse/gatehouse/internal/portal"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Service answers entitlement questions.
type Service struct {
	access *access.Service
	org    *org.Service
}

// New returns the service.
func New(a *access.Service, o *org.Service) *Service { return &Service{access: a, org: o} }

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
		page, more, err := s.access.ListAccountAssignmentsForPrincipal(ctx, access.PrincipalUser, userID, accountID, after, 100)
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

// Accounts lists the accounts in which the user holds at least one
// provisioned role, in account id order.
func (s *Service) Accounts(ctx context.Context, userID string) ([]store.Account, error) {
	as, err := s.assignments(ctx, userID, "")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []store.Account
	for _, a := range as {
		if seen[a.AccountID] {
			continue
		}
		if _, err := s.access.Role(ctx, a.PermissionSetID, a.AccountID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue // not provisioned (yet): nothing to sign in to
			}
			return nil, err
		}
		seen[a.AccountID] = true
		acct, err := s.org.DescribeAccount(ctx, a.AccountID)
		if err != nil {
			return nil, fmt.Errorf("entitlement: account %s: %w", a.AccountID, err)
		}
		out = append(out, acct)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
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
func (s *Service) Role(ctx context.Context, userID, accountID, name string) (Role, error) {
	roles, err := s.Roles(ctx, userID, accountID)
	if err != nil {
		return Role{}, err
	}
	for _, r := range roles {
		if r.Name == name {
			return r, nil
		}
	}
	return Role{}, ErrNoAccess
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
	return Role{PermissionSetID: psID, Name: ps.Name, Description: ps.Description, RelayState: ps.RelayState,
		SessionDuration: d, RoleName: pr.RoleName, RoleID: pr.RoleID}, true, nil
}

// ---- portal.Access for the web portal ----

// Portal adapts the service to the access portal's pages.
type Portal struct{ S *Service }

var _ portal.Access = Portal{}

// AccountsFor returns a page of the user's accounts in name order,
// filtered by a case-insensitive substring of name, id or email.
func (p Portal) AccountsFor(ctx context.Context, userID string, q portal.AccountQuery) (portal.AccountPage, error) {
	accts, err := p.S.Accounts(ctx, userID)
	if err != nil {
		return portal.AccountPage{}, err
	}
	needle := strings.ToLower(q.Search)
	var match []portal.Account
	for _, a := range accts {
		if needle == "" || strings.Contains(strings.ToLower(a.Name+" "+a.ID+" "+a.Email), needle) {
			match = append(match, portal.Account{ID: a.ID, Name: a.Name, Email: a.Email})
		}
	}
	sort.SliceStable(match, func(i, j int) bool { return strings.ToLower(match[i].Name) < strings.ToLower(match[j].Name) })
	start, _ := strconv.Atoi(q.After)
	if start < 0 || start > len(match) {
		start = len(match)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	end := min(start+limit, len(match))
	pg := portal.AccountPage{Accounts: match[start:end], Total: len(match)}
	if end < len(match) {
		pg.Next = strconv.Itoa(end)
	}
	return pg, nil
}

// RolesFor returns the user's roles in an account.
func (p Portal) RolesFor(ctx context.Context, userID, accountID string) ([]portal.Role, error) {
	roles, err := p.S.Roles(ctx, userID, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]portal.Role, 0, len(roles))
	for _, r := range roles {
		out = append(out, portal.Role{Name: r.Name, Description: r.Description, RelayState: r.RelayState, SessionDuration: r.SessionDuration})
	}
	return out, nil
}
