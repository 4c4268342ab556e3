package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// reachable is the condition "account a is assigned to the user or to one
// of the user's groups" (two parameters: the user id, twice).
const reachable = `EXISTS (SELECT 1 FROM account_assignments aa WHERE aa.account_id = a.id AND
	((aa.principal_type = 'USER' AND aa.principal_id = ?) OR
	 (aa.principal_type = 'GROUP' AND aa.principal_id IN (SELECT m.group_id FROM memberships m WHERE m.user_id = ?))))`

// reachableIDs is the set of account ids the user reaches (two parameters).
const reachableIDs = `SELECT aa.account_id FROM account_assignments aa WHERE aa.principal_type = 'USER' AND aa.principal_id = ?
	UNION SELECT aa.account_id FROM memberships m JOIN account_assignments aa
	ON aa.principal_type = 'GROUP' AND aa.principal_id = m.group_id WHERE m.user_id = ?`

// likePattern escapes s for LIKE … ESCAPE '\' and wraps it in %.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

func searchClause(search string) (string, []any) {
	if search == "" {
		return "", nil
	}
	p := likePattern(strings.ToLower(search))
	return ` AND (lower(a.name) LIKE ? ESCAPE '\' OR a.id LIKE ? ESCAPE '\' OR lower(a.email) LIKE ? ESCAPE '\')`, []any{p, p, p}
}

func (q *queries) ListUserAccounts(ctx context.Context, uq store.UserAccountQuery) ([]store.Account, error) {
	where := `(a.name > ? OR (a.name = ? AND a.id > ?))`
	args := []any{uq.AfterName, uq.AfterName, uq.AfterID}
	if uq.Dense {
		// Walk org_accounts_name in order; stop after Limit reachable ones.
		where += ` AND ` + reachable
	} else {
		where += ` AND a.id IN (` + reachableIDs + `)`
	}
	args = append(args, uq.UserID, uq.UserID)
	s, sargs := searchClause(uq.Search)
	where += s
	args = append(append(args, sargs...), uq.Limit)
	return queryAll(ctx, q, "list accounts of user "+uq.UserID, scanPortalAccount,
		`SELECT a.id, a.name, a.email FROM org_accounts a WHERE `+where+` ORDER BY a.name, a.id LIMIT ?`, args...)
}

// scanPortalAccount reads the columns of an account that the portal shows.
func scanPortalAccount(s scanner) (store.Account, error) {
	var a store.Account
	err := s.Scan(&a.ID, &a.Name, &a.Email)
	return a, err
}

func (q *queries) CountUserAssignments(ctx context.Context, userID string, limit int) (int, error) {
	var n int
	err := q.row(ctx, `SELECT COUNT(*) FROM (SELECT aa.account_id FROM account_assignments aa WHERE aa.principal_type = 'USER' AND aa.principal_id = ?
		UNION ALL SELECT aa.account_id FROM memberships m JOIN account_assignments aa
		ON aa.principal_type = 'GROUP' AND aa.principal_id = m.group_id WHERE m.user_id = ? LIMIT ?) c`, userID, userID, limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count assignments of user %s: %w", userID, err)
	}
	return n, nil
}

func (q *queries) CountUserAccounts(ctx context.Context, userID, search string, limit int, dense bool) (int, error) {
	s, sargs := searchClause(search)
	var query string
	if dense {
		// Probe accounts one by one; stop at limit.
		query = `SELECT COUNT(*) FROM (SELECT 1 FROM org_accounts a WHERE ` + reachable + s + ` LIMIT ?) c`
	} else {
		query = `SELECT COUNT(*) FROM (SELECT a.id FROM org_accounts a WHERE a.id IN (` + reachableIDs + `)` + s + ` LIMIT ?) c`
	}
	args := append(append([]any{userID, userID}, sargs...), limit)
	var n int
	if err := q.row(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count accounts of user %s: %w", userID, err)
	}
	return n, nil
}

func (q *queries) ListUserRoles(ctx context.Context, userID, accountID string) ([]store.PortalRole, error) {
	return queryAll(ctx, q, "list roles of user "+userID+" in "+accountID, scanPortalRole,
		`SELECT ps.id, ps.name, ps.description, ps.relay_state, ps.session_duration FROM permission_sets ps
		WHERE ps.id IN (SELECT aa.permission_set_id FROM account_assignments aa WHERE aa.account_id = ? AND
			((aa.principal_type = 'USER' AND aa.principal_id = ?) OR
			 (aa.principal_type = 'GROUP' AND aa.principal_id IN (SELECT m.group_id FROM memberships m WHERE m.user_id = ?))))
		ORDER BY ps.name, ps.id`, accountID, userID, userID)
}

func scanPortalRole(s scanner) (store.PortalRole, error) {
	var r store.PortalRole
	err := s.Scan(&r.PermissionSetID, &r.Name, &r.Description, &r.RelayState, &r.SessionDuration)
	return r, err
}
