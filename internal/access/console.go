package access

import "context"

// CountPermissionSets returns how many permission sets exist.
func (s *Service) CountPermissionSets(ctx context.Context) (int, error) {
	return s.store.CountPermissionSets(ctx)
}

// OutdatedRole is a permission set provisioned to an account whose
// permission set changed since (LATEST_PERMISSION_SET_NOT_PROVISIONED).
type OutdatedRole struct {
	PermissionSetID string
	AccountID       string
	RoleName        string
}

// ListOutdatedRoles returns up to limit outdated roles after the given
// (permission set, account) pair, in that order, and whether more follow.
func (s *Service) ListOutdatedRoles(ctx context.Context, afterPS, afterAccount string, limit int) ([]OutdatedRole, bool, error) {
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	roles, err := s.store.ListOutdatedRoles(ctx, afterPS, afterAccount, limit+1)
	if err != nil {
		return nil, false, err
	}
	more := len(roles) > limit
	if more {
		roles = roles[:limit]
	}
	out := make([]OutdatedRole, len(roles))
	for i, r := range roles {
		out[i] = OutdatedRole{PermissionSetID: r.PermissionSetID, AccountID: r.AccountID, RoleName: r.RoleName}
	}
	return out, more, nil
}
