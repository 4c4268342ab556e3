package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// ---- instance ----

func (q *queries) SetInstanceName(ctx context.Context, name string) error {
	res, err := q.exec(ctx, `UPDATE instance SET name = ? WHERE singleton = 1`, name)
	if err != nil {
		return fmt.Errorf("sqlstore: rename instance: %w", err)
	}
	return mustAffect(res, "instance", "1")
}

// ---- permission sets ----

const permissionSetColumns = `id, name, name_key, description, session_duration, relay_state, inline_policy, boundary,
	version, created_at, updated_at`

func scanPermissionSet(s scanner) (store.PermissionSet, error) {
	var (
		ps               store.PermissionSet
		boundary         string
		created, updated int64
	)
	if err := s.Scan(&ps.ID, &ps.Name, &ps.NameKey, &ps.Description, &ps.SessionDuration, &ps.RelayState, &ps.InlinePolicy,
		&boundary, &ps.Version, &created, &updated); err != nil {
		return ps, err
	}
	return ps, finishPermissionSet(&ps, boundary, created, updated)
}

// finishPermissionSet decodes the columns of a permission set that Scan
// cannot fill directly.
func finishPermissionSet(ps *store.PermissionSet, boundary string, created, updated int64) error {
	ps.CreatedAt, ps.UpdatedAt = fromMicros(created), fromMicros(updated)
	if boundary != "" {
		ps.Boundary = new(store.Boundary)
		if err := json.Unmarshal([]byte(boundary), ps.Boundary); err != nil {
			return fmt.Errorf("sqlstore: decode boundary of permission set %s: %w", ps.ID, err)
		}
	}
	return nil
}

func encodeBoundary(b *store.Boundary) (string, error) {
	if b == nil {
		return "", nil
	}
	out, err := json.Marshal(b)
	return string(out), err
}

func (q *queries) GetPermissionSet(ctx context.Context, id string) (store.PermissionSet, error) {
	return queryOne(ctx, q, "permission set", id, scanPermissionSet, `SELECT `+permissionSetColumns+` FROM permission_sets WHERE id = ?`, id)
}

func (q *queries) GetPermissionSetByName(ctx context.Context, nameKey string) (store.PermissionSet, error) {
	return queryOne(ctx, q, "permission set named", nameKey, scanPermissionSet,
		`SELECT `+permissionSetColumns+` FROM permission_sets WHERE name_key = ?`, nameKey)
}

func (q *queries) ListPermissionSets(ctx context.Context, lq store.ListQuery) ([]store.PermissionSet, error) {
	return queryAll(ctx, q, "list permission sets", scanPermissionSet,
		`SELECT `+permissionSetColumns+` FROM permission_sets WHERE id > ? ORDER BY id LIMIT ?`, lq.After, lq.Limit)
}

func (q *queries) CountPermissionSets(ctx context.Context) (int, error) {
	return q.count(ctx, "permission_sets")
}

func (q *queries) CreatePermissionSet(ctx context.Context, ps store.PermissionSet) error {
	boundary, err := encodeBoundary(ps.Boundary)
	if err != nil {
		return fmt.Errorf("sqlstore: encode permission set %s: %w", ps.ID, err)
	}
	if _, err := q.exec(ctx, `INSERT INTO permission_sets (`+permissionSetColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ps.ID, ps.Name, ps.NameKey, ps.Description, ps.SessionDuration, ps.RelayState, ps.InlinePolicy, boundary,
		ps.Version, micros(ps.CreatedAt), micros(ps.UpdatedAt)); err != nil {
		return fmt.Errorf("sqlstore: create permission set %s: %w", ps.ID, err)
	}
	return nil
}

func (q *queries) UpdatePermissionSet(ctx context.Context, ps store.PermissionSet) error {
	boundary, err := encodeBoundary(ps.Boundary)
	if err != nil {
		return fmt.Errorf("sqlstore: encode permission set %s: %w", ps.ID, err)
	}
	res, err := q.exec(ctx, `UPDATE permission_sets SET description = ?, session_duration = ?, relay_state = ?, inline_policy = ?,
		boundary = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?`,
		ps.Description, ps.SessionDuration, ps.RelayState, ps.InlinePolicy, boundary, ps.Version, micros(ps.UpdatedAt),
		ps.ID, ps.Version-1)
	if err != nil {
		return fmt.Errorf("sqlstore: update permission set %s: %w", ps.ID, err)
	}
	return mustAffect(res, "permission set", ps.ID)
}

func (q *queries) DeletePermissionSet(ctx context.Context, id string) error {
	res, err := q.exec(ctx, `DELETE FROM permission_sets WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlstore: delete permission set %s: %w", id, err)
	}
	if err := mustAffect(res, "permission set", id); err != nil {
		return err
	}
	for _, stmt := range []string{
		`DELETE FROM ps_managed_policies WHERE permission_set_id = ?`,
		`DELETE FROM ps_customer_policies WHERE permission_set_id = ?`,
		`DELETE FROM sso_tags WHERE resource_id = ?`,
	} {
		if _, err := q.exec(ctx, stmt, id); err != nil {
			return fmt.Errorf("sqlstore: delete permission set %s: %w", id, err)
		}
	}
	return nil
}

func (q *queries) ListManagedPolicyAttachments(ctx context.Context, permissionSetID string) ([]store.ManagedPolicyAttachment, error) {
	return queryAll(ctx, q, "list managed policies of "+permissionSetID, scanManagedPolicyAttachment,
		`SELECT permission_set_id, arn, name, attached_at FROM ps_managed_policies
		WHERE permission_set_id = ? ORDER BY attached_at, arn`, permissionSetID)
}

func scanManagedPolicyAttachment(s scanner) (store.ManagedPolicyAttachment, error) {
	var (
		a  store.ManagedPolicyAttachment
		at int64
	)
	err := s.Scan(&a.PermissionSetID, &a.ARN, &a.Name, &at)
	a.AttachedAt = fromMicros(at)
	return a, err
}

func (q *queries) AttachManagedPolicy(ctx context.Context, a store.ManagedPolicyAttachment) error {
	if _, err := q.exec(ctx, `INSERT INTO ps_managed_policies (permission_set_id, arn, name, attached_at) VALUES (?, ?, ?, ?)`,
		a.PermissionSetID, a.ARN, a.Name, micros(a.AttachedAt)); err != nil {
		return fmt.Errorf("sqlstore: attach %s to %s: %w", a.ARN, a.PermissionSetID, err)
	}
	return nil
}

func (q *queries) DetachManagedPolicy(ctx context.Context, permissionSetID, arn string) error {
	res, err := q.exec(ctx, `DELETE FROM ps_managed_policies WHERE permission_set_id = ? AND arn = ?`, permissionSetID, arn)
	if err != nil {
		return fmt.Errorf("sqlstore: detach %s from %s: %w", arn, permissionSetID, err)
	}
	return mustAffect(res, "managed policy attachment", arn)
}

func (q *queries) ListCustomerPolicyRefs(ctx context.Context, permissionSetID string) ([]store.CustomerPolicyRef, error) {
	return queryAll(ctx, q, "list customer policies of "+permissionSetID, scanCustomerPolicyRef,
		`SELECT name, path FROM ps_customer_policies WHERE permission_set_id = ? ORDER BY path, name`, permissionSetID)
}

func scanCustomerPolicyRef(s scanner) (store.CustomerPolicyRef, error) {
	var r store.CustomerPolicyRef
	err := s.Scan(&r.Name, &r.Path)
	return r, err
}

func (q *queries) AttachCustomerPolicyRef(ctx context.Context, permissionSetID string, ref store.CustomerPolicyRef) error {
	if _, err := q.exec(ctx, `INSERT INTO ps_customer_policies (permission_set_id, path, name) VALUES (?, ?, ?)`,
		permissionSetID, ref.Path, ref.Name); err != nil {
		return fmt.Errorf("sqlstore: attach %s%s to %s: %w", ref.Path, ref.Name, permissionSetID, err)
	}
	return nil
}

func (q *queries) DetachCustomerPolicyRef(ctx context.Context, permissionSetID string, ref store.CustomerPolicyRef) error {
	res, err := q.exec(ctx, `DELETE FROM ps_customer_policies WHERE permission_set_id = ? AND path = ? AND name = ?`,
		permissionSetID, ref.Path, ref.Name)
	if err != nil {
		return fmt.Errorf("sqlstore: detach %s%s from %s: %w", ref.Path, ref.Name, permissionSetID, err)
	}
	return mustAffect(res, "customer managed policy reference", ref.Path+ref.Name)
}

// ---- tags ----

func (q *queries) ListSSOTags(ctx context.Context, resourceID string) ([]store.Tag, error) {
	return q.listTags(ctx, "sso_tags", "resource_id", resourceID)
}

func (q *queries) PutSSOTags(ctx context.Context, resourceID string, tags []store.Tag) error {
	return q.putTags(ctx, "sso_tags", "resource_id", resourceID, tags)
}

func (q *queries) DeleteSSOTags(ctx context.Context, resourceID string, keys []string) error {
	return q.deleteTags(ctx, "sso_tags", "resource_id", resourceID, keys)
}

// ---- account assignments ----

const assignmentColumns = `account_id, permission_set_id, principal_type, principal_id, created_at`

func scanAssignment(s scanner) (store.AccountAssignment, error) {
	var (
		a       store.AccountAssignment
		created int64
	)
	err := s.Scan(&a.AccountID, &a.PermissionSetID, &a.PrincipalType, &a.PrincipalID, &created)
	a.CreatedAt = fromMicros(created)
	return a, err
}

func (q *queries) GetAccountAssignment(ctx context.Context, k store.AssignmentKey) (store.AccountAssignment, error) {
	return queryOne(ctx, q, "account assignment", k, scanAssignment, `SELECT `+assignmentColumns+` FROM account_assignments
		WHERE account_id = ? AND permission_set_id = ? AND principal_type = ? AND principal_id = ?`,
		k.AccountID, k.PermissionSetID, k.PrincipalType, k.PrincipalID)
}

func (q *queries) ListAccountAssignments(ctx context.Context, aq store.AssignmentQuery) ([]store.AccountAssignment, error) {
	var (
		where string
		args  []any
	)
	switch {
	case aq.PrincipalID != "":
		if aq.PrincipalType == "USER" && aq.IncludeGroups {
			where = `((principal_type = 'USER' AND principal_id = ?) OR
				(principal_type = 'GROUP' AND principal_id IN (SELECT group_id FROM memberships WHERE user_id = ?)))`
			args = append(args, aq.PrincipalID, aq.PrincipalID)
		} else {
			where = `principal_id = ? AND principal_type = ?`
			args = append(args, aq.PrincipalID, aq.PrincipalType)
		}
		if aq.AccountID != "" {
			where += ` AND account_id = ?`
			args = append(args, aq.AccountID)
		}
	case aq.AccountID != "":
		where = `account_id = ? AND permission_set_id = ?`
		args = append(args, aq.AccountID, aq.PermissionSetID)
	default:
		where = `permission_set_id = ?`
		args = append(args, aq.PermissionSetID)
	}
	a := aq.After
	where += ` AND (account_id, permission_set_id, principal_type, principal_id) > (?, ?, ?, ?)`
	args = append(args, a.AccountID, a.PermissionSetID, a.PrincipalType, a.PrincipalID, aq.Limit)
	return queryAll(ctx, q, "list account assignments", scanAssignment, `SELECT `+assignmentColumns+` FROM account_assignments WHERE `+where+`
		ORDER BY account_id, permission_set_id, principal_type, principal_id LIMIT ?`, args...)
}

func (q *queries) CountAccountAssignments(ctx context.Context, permissionSetID, accountID string) (int, error) {
	query, args := `SELECT COUNT(*) FROM account_assignments WHERE permission_set_id = ?`, []any{permissionSetID}
	if accountID != "" {
		query += ` AND account_id = ?`
		args = append(args, accountID)
	}
	var n int
	if err := q.row(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count assignments of %s: %w", permissionSetID, err)
	}
	return n, nil
}

func (q *queries) CreateAccountAssignment(ctx context.Context, a store.AccountAssignment) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO account_assignments (`+assignmentColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (account_id, permission_set_id, principal_type, principal_id) DO NOTHING`,
		a.AccountID, a.PermissionSetID, a.PrincipalType, a.PrincipalID, micros(a.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: create account assignment: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: create account assignment: %w", err)
	}
	return n == 1, nil
}

func (q *queries) DeleteAccountAssignment(ctx context.Context, k store.AssignmentKey) error {
	res, err := q.exec(ctx, `DELETE FROM account_assignments
		WHERE account_id = ? AND permission_set_id = ? AND principal_type = ? AND principal_id = ?`,
		k.AccountID, k.PermissionSetID, k.PrincipalType, k.PrincipalID)
	if err != nil {
		return fmt.Errorf("sqlstore: delete account assignment: %w", err)
	}
	return mustAffect(res, "account assignment", k.PrincipalID)
}

func (q *queries) DeletePrincipalAssignments(ctx context.Context, principalType, principalID string) ([]store.AccountAssignment, error) {
	rows, err := q.query(ctx, `SELECT `+assignmentColumns+` FROM account_assignments WHERE principal_id = ? AND principal_type = ?`,
		principalID, principalType)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: assignments of %s: %w", principalID, err)
	}
	var out []store.AccountAssignment
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlstore: assignments of %s: %w", principalID, err)
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: assignments of %s: %w", principalID, err)
	}
	if _, err := q.exec(ctx, `DELETE FROM account_assignments WHERE principal_id = ? AND principal_type = ?`, principalID, principalType); err != nil {
		return nil, fmt.Errorf("sqlstore: delete assignments of %s: %w", principalID, err)
	}
	return out, nil
}

// ---- provisioned roles ----

const roleColumns = `r.permission_set_id, r.account_id, r.role_name, r.role_name_key, r.role_id, r.path,
	r.permission_set_version, r.revision, r.policies, r.created_at, r.updated_at`

func scanRole(s scanner) (store.ProvisionedRole, error) {
	var (
		r                store.ProvisionedRole
		policies         string
		created, updated int64
	)
	if err := s.Scan(&r.PermissionSetID, &r.AccountID, &r.RoleName, &r.RoleNameKey, &r.RoleID, &r.Path,
		&r.PermissionSetVersion, &r.Revision, &policies, &created, &updated); err != nil {
		return r, err
	}
	return r, finishRole(&r, policies, created, updated)
}

// finishRole decodes the columns of a provisioned role that Scan cannot
// fill directly.
func finishRole(r *store.ProvisionedRole, policies string, created, updated int64) error {
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := json.Unmarshal([]byte(policies), &r.Policies); err != nil {
		return fmt.Errorf("sqlstore: decode policies of role %s: %w", r.RoleName, err)
	}
	return nil
}

func (q *queries) GetProvisionedRole(ctx context.Context, permissionSetID, accountID string) (store.ProvisionedRole, error) {
	return queryOne(ctx, q, "provisioned role of permission set "+permissionSetID+" in account", accountID, scanRole,
		`SELECT `+roleColumns+` FROM provisioned_roles r WHERE r.permission_set_id = ? AND r.account_id = ?`, permissionSetID, accountID)
}

// prefixedPermissionSetColumns are permissionSetColumns qualified by the
// alias p, for joins.
var prefixedPermissionSetColumns = func() string {
	cols := strings.Split(permissionSetColumns, ",")
	for i, c := range cols {
		cols[i] = "p." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

func (q *queries) GetUserRole(ctx context.Context, userID, accountID, name string) (store.ProvisionedRole, store.PermissionSet, error) {
	row := q.row(ctx, `SELECT `+roleColumns+`, `+prefixedPermissionSetColumns+`
		FROM permission_sets p JOIN provisioned_roles r ON r.permission_set_id = p.id AND r.account_id = ?
		WHERE p.name = ? AND EXISTS (SELECT 1 FROM account_assignments a
			WHERE a.account_id = ? AND a.permission_set_id = p.id AND
				((a.principal_type = 'USER' AND a.principal_id = ?) OR
				(a.principal_type = 'GROUP' AND a.principal_id IN (SELECT group_id FROM memberships WHERE user_id = ?))))`,
		accountID, name, accountID, userID, userID)
	var (
		r                store.ProvisionedRole
		ps               store.PermissionSet
		policies         string
		rCreated, rUpd   int64
		boundary         string
		created, updated int64
	)
	err := row.Scan(&r.PermissionSetID, &r.AccountID, &r.RoleName, &r.RoleNameKey, &r.RoleID, &r.Path,
		&r.PermissionSetVersion, &r.Revision, &policies, &rCreated, &rUpd,
		&ps.ID, &ps.Name, &ps.NameKey, &ps.Description, &ps.SessionDuration, &ps.RelayState, &ps.InlinePolicy,
		&boundary, &ps.Version, &created, &updated)
	if err != nil {
		return r, ps, notFound(err, "role "+name+" of user "+userID+" in account", accountID)
	}
	if err := finishRole(&r, policies, rCreated, rUpd); err != nil {
		return r, ps, err
	}
	if err := finishPermissionSet(&ps, boundary, created, updated); err != nil {
		return r, ps, err
	}
	return r, ps, nil
}

func (q *queries) GetProvisionedRoleByName(ctx context.Context, accountID, roleNameKey string) (store.ProvisionedRole, error) {
	return queryOne(ctx, q, "role", roleNameKey, scanRole,
		`SELECT `+roleColumns+` FROM provisioned_roles r WHERE r.account_id = ? AND r.role_name_key = ?`, accountID, roleNameKey)
}

func (q *queries) ListProvisionedRoles(ctx context.Context, rq store.RoleQuery) ([]store.ProvisionedRole, error) {
	var (
		query string
		args  []any
	)
	if rq.AccountID != "" {
		query = `SELECT ` + roleColumns + ` FROM provisioned_roles r`
		if rq.State != "" {
			query += ` JOIN permission_sets p ON p.id = r.permission_set_id`
		}
		query += ` WHERE r.account_id = ? AND r.permission_set_id > ?`
		args = append(args, rq.AccountID, rq.After)
	} else {
		query = `SELECT ` + roleColumns + ` FROM provisioned_roles r`
		if rq.State != "" {
			query += ` JOIN permission_sets p ON p.id = r.permission_set_id`
		}
		query += ` WHERE r.permission_set_id = ? AND r.account_id > ?`
		args = append(args, rq.PermissionSetID, rq.After)
	}
	switch rq.State {
	case store.RoleCurrent:
		query += ` AND r.permission_set_version = p.version`
	case store.RoleOutdated:
		query += ` AND r.permission_set_version <> p.version`
	}
	if rq.AccountID != "" {
		query += ` ORDER BY r.permission_set_id LIMIT ?`
	} else {
		query += ` ORDER BY r.account_id LIMIT ?`
	}
	args = append(args, rq.Limit)
	return q.roles(ctx, query, args...)
}

func (q *queries) ListRolesInAccount(ctx context.Context, accountID, afterNameKey string, limit int) ([]store.ProvisionedRole, error) {
	return q.roles(ctx, `SELECT `+roleColumns+` FROM provisioned_roles r WHERE r.account_id = ? AND r.role_name_key > ?
		ORDER BY r.role_name_key LIMIT ?`, accountID, afterNameKey, limit)
}

func (q *queries) roles(ctx context.Context, query string, args ...any) ([]store.ProvisionedRole, error) {
	return queryAll(ctx, q, "list provisioned roles", scanRole, query, args...)
}

func (q *queries) PutProvisionedRole(ctx context.Context, r store.ProvisionedRole) error {
	policies, err := json.Marshal(r.Policies)
	if err != nil {
		return fmt.Errorf("sqlstore: encode policies of role %s: %w", r.RoleName, err)
	}
	if _, err := q.exec(ctx, `INSERT INTO provisioned_roles (permission_set_id, account_id, role_name, role_name_key, role_id, path,
			permission_set_version, revision, policies, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (permission_set_id, account_id) DO UPDATE SET role_name = excluded.role_name, role_name_key = excluded.role_name_key,
			role_id = excluded.role_id, path = excluded.path, permission_set_version = excluded.permission_set_version,
			revision = excluded.revision, policies = excluded.policies, updated_at = excluded.updated_at`,
		r.PermissionSetID, r.AccountID, r.RoleName, r.RoleNameKey, r.RoleID, r.Path, r.PermissionSetVersion, r.Revision,
		string(policies), micros(r.CreatedAt), micros(r.UpdatedAt)); err != nil {
		return fmt.Errorf("sqlstore: put role %s in %s: %w", r.RoleName, r.AccountID, err)
	}
	// A role's first provisioning (revision 1) has no attachments to clear.
	if r.Revision > 1 {
		if _, err := q.exec(ctx, `DELETE FROM role_policy_attachments WHERE permission_set_id = ? AND account_id = ?`,
			r.PermissionSetID, r.AccountID); err != nil {
			return fmt.Errorf("sqlstore: clear policy attachments of role %s: %w", r.RoleName, err)
		}
	}
	attach := func(arn string, boundary int) error {
		_, err := q.exec(ctx, `INSERT INTO role_policy_attachments (account_id, policy_arn, permission_set_id, boundary)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, r.AccountID, arn, r.PermissionSetID, boundary)
		if err != nil {
			return fmt.Errorf("sqlstore: index policy attachment of role %s: %w", r.RoleName, err)
		}
		return nil
	}
	for _, p := range r.Policies.CustomerManaged {
		if err := attach(p.ARN, 0); err != nil {
			return err
		}
	}
	if b := r.Policies.Boundary; b != nil && b.Document != "" {
		if err := attach(b.ARN, 1); err != nil {
			return err
		}
	}
	return nil
}

func (q *queries) DeleteProvisionedRole(ctx context.Context, permissionSetID, accountID string) error {
	res, err := q.exec(ctx, `DELETE FROM provisioned_roles WHERE permission_set_id = ? AND account_id = ?`, permissionSetID, accountID)
	if err != nil {
		return fmt.Errorf("sqlstore: delete role of %s in %s: %w", permissionSetID, accountID, err)
	}
	if err := mustAffect(res, "provisioned role of permission set "+permissionSetID+" in account", accountID); err != nil {
		return err
	}
	if _, err := q.exec(ctx, `DELETE FROM role_policy_attachments WHERE permission_set_id = ? AND account_id = ?`,
		permissionSetID, accountID); err != nil {
		return fmt.Errorf("sqlstore: delete policy attachments of role of %s in %s: %w", permissionSetID, accountID, err)
	}
	return nil
}

// ---- asynchronous operations ----

const operationColumns = `request_id, kind, status, failure_reason, permission_set_id, target_id, target_type,
	principal_type, principal_id, cursor_position, created_at, finished_at, lease_until`

func scanOperation(s scanner) (store.SSOOperation, error) {
	var (
		op                       store.SSOOperation
		created, finished, lease int64
	)
	err := s.Scan(&op.RequestID, &op.Kind, &op.Status, &op.FailureReason, &op.PermissionSetID, &op.TargetID, &op.TargetType,
		&op.PrincipalType, &op.PrincipalID, &op.Cursor, &created, &finished, &lease)
	op.CreatedAt, op.FinishedAt, op.LeaseUntil = fromMicros(created), optionalTime(finished), optionalTime(lease)
	return op, err
}

func (q *queries) GetSSOOperation(ctx context.Context, requestID string) (store.SSOOperation, error) {
	return queryOne(ctx, q, "operation", requestID, scanOperation, `SELECT `+operationColumns+` FROM sso_operations WHERE request_id = ?`, requestID)
}

func (q *queries) ListSSOOperations(ctx context.Context, oq store.SSOOperationQuery) ([]store.SSOOperation, error) {
	query := `SELECT ` + operationColumns + ` FROM sso_operations WHERE kind = ? AND request_id > ?`
	args := []any{oq.Kind, oq.After}
	if oq.Status != "" {
		query += ` AND status = ?`
		args = append(args, oq.Status)
	}
	query += ` ORDER BY kind, request_id LIMIT ?`
	args = append(args, oq.Limit)
	return q.operations(ctx, query, args...)
}

func (q *queries) operations(ctx context.Context, query string, args ...any) ([]store.SSOOperation, error) {
	return queryAll(ctx, q, "list operations", scanOperation, query, args...)
}

func (q *queries) PutSSOOperation(ctx context.Context, op store.SSOOperation) error {
	if _, err := q.exec(ctx, `INSERT INTO sso_operations (`+operationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (request_id) DO UPDATE SET status = excluded.status, failure_reason = excluded.failure_reason,
			cursor_position = excluded.cursor_position, finished_at = excluded.finished_at, lease_until = excluded.lease_until`,
		op.RequestID, op.Kind, op.Status, op.FailureReason, op.PermissionSetID, op.TargetID, op.TargetType,
		op.PrincipalType, op.PrincipalID, op.Cursor, micros(op.CreatedAt), optionalMicros(op.FinishedAt), optionalMicros(op.LeaseUntil)); err != nil {
		return fmt.Errorf("sqlstore: put operation %s: %w", op.RequestID, err)
	}
	return nil
}

func (q *queries) ClaimSSOOperations(ctx context.Context, now, until time.Time, limit int) ([]store.SSOOperation, error) {
	ops, err := q.operations(ctx, `SELECT `+operationColumns+` FROM sso_operations
		WHERE status = 'IN_PROGRESS' AND lease_until < ? ORDER BY lease_until, request_id LIMIT ?`, micros(now), limit)
	if err != nil || len(ops) == 0 {
		return nil, err
	}
	ids := make([]string, len(ops))
	for i := range ops {
		ids[i] = ops[i].RequestID
		ops[i].LeaseUntil = until
	}
	if err := q.lease(ctx, "sso_operations", "request_id", ids, until); err != nil {
		return nil, err
	}
	return ops, nil
}

// ---- attributes for access control ----

func (q *queries) GetAccessControlAttributes(ctx context.Context) (store.AccessControlAttributes, error) {
	var (
		c                store.AccessControlAttributes
		attrs            string
		created, updated int64
	)
	err := q.row(ctx, `SELECT attributes, status, created_at, updated_at FROM access_control_attributes WHERE singleton = 1`).
		Scan(&attrs, &c.Status, &created, &updated)
	if err != nil {
		return c, notFound(err, "access control attribute configuration", 1)
	}
	c.Attributes, c.CreatedAt, c.UpdatedAt = []byte(attrs), fromMicros(created), fromMicros(updated)
	return c, nil
}

func (q *queries) PutAccessControlAttributes(ctx context.Context, c store.AccessControlAttributes) error {
	if _, err := q.exec(ctx, `INSERT INTO access_control_attributes (singleton, attributes, status, created_at, updated_at)
		VALUES (1, ?, ?, ?, ?) ON CONFLICT (singleton) DO UPDATE SET attributes = excluded.attributes, status = excluded.status,
		updated_at = excluded.updated_at`, string(c.Attributes), c.Status, micros(c.CreatedAt), micros(c.UpdatedAt)); err != nil {
		return fmt.Errorf("sqlstore: put access control attributes: %w", err)
	}
	return nil
}

func (q *queries) DeleteAccessControlAttributes(ctx context.Context) error {
	res, err := q.exec(ctx, `DELETE FROM access_control_attributes WHERE singleton = 1`)
	if err != nil {
		return fmt.Errorf("sqlstore: delete access control attributes: %w", err)
	}
	return mustAffect(res, "access control attribute configuration", "1")
}
