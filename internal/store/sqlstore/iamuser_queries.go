package sqlstore

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

const iamUserColumns = `id, account_id, name, name_key, path, boundary_arn, created_at`

func scanIAMUser(s scanner) (store.IAMUser, error) {
	var (
		u       store.IAMUser
		created int64
	)
	err := s.Scan(&u.ID, &u.AccountID, &u.Name, &u.NameKey, &u.Path, &u.BoundaryARN, &created)
	u.CreatedAt = fromMicros(created)
	return u, err
}

func (q *queries) GetIAMUser(ctx context.Context, accountID, nameKey string) (store.IAMUser, error) {
	return queryOne(ctx, q, "IAM user in account "+accountID+" named", nameKey, scanIAMUser,
		`SELECT `+iamUserColumns+` FROM iam_users WHERE account_id = ? AND name_key = ?`, accountID, nameKey)
}

func (q *queries) ListIAMUsers(ctx context.Context, uq store.IAMUserQuery) ([]store.IAMUser, error) {
	query := `SELECT ` + iamUserColumns + ` FROM iam_users WHERE account_id = ? AND name_key > ?`
	args := []any{uq.AccountID, uq.After}
	if uq.PathPrefix != "" && uq.PathPrefix != "/" {
		// Compare the leading characters, so that LIKE's wildcards in
		// the prefix are taken literally.
		query += ` AND SUBSTR(path, 1, ?) = ?`
		args = append(args, len(uq.PathPrefix), uq.PathPrefix)
	}
	query += ` ORDER BY name_key LIMIT ?`
	args = append(args, uq.Limit)
	return queryAll(ctx, q, "list IAM users of "+uq.AccountID, scanIAMUser, query, args...)
}

func (q *queries) CountIAMUsers(ctx context.Context, accountID string) (int, error) {
	var n int
	if err := q.row(ctx, `SELECT COUNT(*) FROM iam_users WHERE account_id = ?`, accountID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count IAM users of %s: %w", accountID, err)
	}
	return n, nil
}

func scanIAMInlinePolicy(s scanner) (store.IAMInlinePolicy, error) {
	var p store.IAMInlinePolicy
	err := s.Scan(&p.OwnerID, &p.Name, &p.NameKey, &p.Document)
	return p, err
}

func (q *queries) ListIAMInlinePolicies(ctx context.Context, ownerID string) ([]store.IAMInlinePolicy, error) {
	return queryAll(ctx, q, "list inline policies of "+ownerID, scanIAMInlinePolicy,
		`SELECT owner_id, name, name_key, document FROM iam_inline_policies
		WHERE owner_id = ? ORDER BY name_key`, ownerID)
}

func (q *queries) GetIAMInlinePolicy(ctx context.Context, ownerID, nameKey string) (store.IAMInlinePolicy, error) {
	return queryOne(ctx, q, "inline policy of "+ownerID+" named", nameKey, scanIAMInlinePolicy,
		`SELECT owner_id, name, name_key, document FROM iam_inline_policies WHERE owner_id = ? AND name_key = ?`, ownerID, nameKey)
}

func (q *queries) ListIAMAttachedPolicies(ctx context.Context, ownerID string) ([]string, error) {
	return queryAll(ctx, q, "list attached policies of "+ownerID, scanString,
		`SELECT policy_arn FROM iam_attached_policies WHERE owner_id = ? ORDER BY policy_arn`, ownerID)
}

func scanString(s scanner) (string, error) {
	var v string
	err := s.Scan(&v)
	return v, err
}

func (q *queries) CountIAMPolicyAttachments(ctx context.Context, accountID, policyARN string, boundary bool) (int, error) {
	query := `SELECT COUNT(*) FROM iam_attached_policies WHERE account_id = ? AND policy_arn = ?`
	if boundary {
		query = `SELECT COUNT(*) FROM iam_users WHERE account_id = ? AND boundary_arn = ?`
	}
	var n int
	if err := q.row(ctx, query, accountID, policyARN).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count identities attaching %s: %w", policyARN, err)
	}
	return n, nil
}

func (q *queries) ListIAMEntityTags(ctx context.Context, ownerID string) ([]store.Tag, error) {
	return q.listTags(ctx, "iam_entity_tags", "owner_id", ownerID)
}

func (q *queries) ListAccessKeysOf(ctx context.Context, principalARN string) ([]store.AccessKey, error) {
	return queryAll(ctx, q, "list access keys of "+principalARN, scanAccessKey, `SELECT id, secret_sealed, principal_arn, account_id, principal_id, status, created_at
		FROM access_keys WHERE principal_arn = ? ORDER BY created_at, id`, principalARN)
}

func (q *queries) CreateIAMUser(ctx context.Context, u store.IAMUser) error {
	if _, err := q.exec(ctx, `INSERT INTO iam_users (`+iamUserColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.AccountID, u.Name, u.NameKey, u.Path, u.BoundaryARN, micros(u.CreatedAt)); err != nil {
		return fmt.Errorf("sqlstore: create IAM user %s: %w", u.Name, err)
	}
	return nil
}

func (q *queries) UpdateIAMUser(ctx context.Context, u store.IAMUser) error {
	res, err := q.exec(ctx, `UPDATE iam_users SET boundary_arn = ? WHERE id = ?`, u.BoundaryARN, u.ID)
	if err != nil {
		return fmt.Errorf("sqlstore: update IAM user %s: %w", u.ID, err)
	}
	return mustAffect(res, "IAM user", u.ID)
}

func (q *queries) DeleteIAMUser(ctx context.Context, id string) error {
	res, err := q.exec(ctx, `DELETE FROM iam_users WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlstore: delete IAM user %s: %w", id, err)
	}
	if err := mustAffect(res, "IAM user", id); err != nil {
		return err
	}
	for _, stmt := range []string{
		`DELETE FROM iam_inline_policies WHERE owner_id = ?`,
		`DELETE FROM iam_attached_policies WHERE owner_id = ?`,
		`DELETE FROM iam_entity_tags WHERE owner_id = ?`,
	} {
		if _, err := q.exec(ctx, stmt, id); err != nil {
			return fmt.Errorf("sqlstore: delete IAM user %s: %w", id, err)
		}
	}
	return nil
}

func (q *queries) PutIAMInlinePolicy(ctx context.Context, p store.IAMInlinePolicy) error {
	if _, err := q.exec(ctx, `INSERT INTO iam_inline_policies (owner_id, name_key, name, document) VALUES (?, ?, ?, ?)
		ON CONFLICT (owner_id, name_key) DO UPDATE SET name = excluded.name, document = excluded.document`,
		p.OwnerID, p.NameKey, p.Name, p.Document); err != nil {
		return fmt.Errorf("sqlstore: put inline policy %s of %s: %w", p.Name, p.OwnerID, err)
	}
	return nil
}

func (q *queries) DeleteIAMInlinePolicy(ctx context.Context, ownerID, nameKey string) error {
	res, err := q.exec(ctx, `DELETE FROM iam_inline_policies WHERE owner_id = ? AND name_key = ?`, ownerID, nameKey)
	if err != nil {
		return fmt.Errorf("sqlstore: delete inline policy %s of %s: %w", nameKey, ownerID, err)
	}
	return mustAffect(res, "inline policy", nameKey)
}

func (q *queries) AttachIAMPolicy(ctx context.Context, ownerID, accountID, policyARN string) error {
	if _, err := q.exec(ctx, `INSERT INTO iam_attached_policies (owner_id, account_id, policy_arn) VALUES (?, ?, ?)
		ON CONFLICT (owner_id, policy_arn) DO NOTHING`, ownerID, accountID, policyARN); err != nil {
		return fmt.Errorf("sqlstore: attach %s to %s: %w", policyARN, ownerID, err)
	}
	return nil
}

func (q *queries) DetachIAMPolicy(ctx context.Context, ownerID, policyARN string) error {
	res, err := q.exec(ctx, `DELETE FROM iam_attached_policies WHERE owner_id = ? AND policy_arn = ?`, ownerID, policyARN)
	if err != nil {
		return fmt.Errorf("sqlstore: detach %s from %s: %w", policyARN, ownerID, err)
	}
	return mustAffect(res, "attached policy", policyARN)
}

func (q *queries) PutIAMEntityTags(ctx context.Context, ownerID string, tags []store.Tag) error {
	return q.putTags(ctx, "iam_entity_tags", "owner_id", ownerID, tags)
}

func (q *queries) DeleteIAMEntityTags(ctx context.Context, ownerID string, keys []string) error {
	return q.deleteTags(ctx, "iam_entity_tags", "owner_id", ownerID, keys)
}

func (q *queries) DeleteAccessKey(ctx context.Context, id string) error {
	res, err := q.exec(ctx, `DELETE FROM access_keys WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlstore: delete access key %s: %w", id, err)
	}
	return mustAffect(res, "access key", id)
}
