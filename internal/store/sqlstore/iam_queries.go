package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

const iamPolicyColumns = `p.id, p.account_id, p.name, p.name_key, p.path, p.description, p.default_version, p.last_version,
	p.created_at, p.updated_at`

func scanIAMPolicy(s scanner) (store.IAMPolicy, error) {
	var (
		p                store.IAMPolicy
		created, updated int64
	)
	err := s.Scan(&p.ID, &p.AccountID, &p.Name, &p.NameKey, &p.Path, &p.Description, &p.DefaultVersion, &p.LastVersion,
		&created, &updated)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return p, err
}

func (q *queries) GetIAMPolicy(ctx context.Context, accountID, nameKey string) (store.IAMPolicy, error) {
	return queryOne(ctx, q, "policy in account "+accountID+" named", nameKey, scanIAMPolicy,
		`SELECT `+iamPolicyColumns+` FROM iam_policies p WHERE p.account_id = ? AND p.name_key = ?`, accountID, nameKey)
}

func (q *queries) ListIAMPolicies(ctx context.Context, iq store.IAMPolicyQuery) ([]store.IAMPolicy, error) {
	query := `SELECT ` + iamPolicyColumns + ` FROM iam_policies p WHERE p.account_id = ? AND p.name_key > ?`
	args := []any{iq.AccountID, iq.After}
	if iq.PathPrefix != "" && iq.PathPrefix != "/" {
		// A prefix match that treats LIKE's wildcards in the prefix
		// literally: compare the leading characters instead.
		query += ` AND SUBSTR(p.path, 1, ?) = ?`
		args = append(args, len(iq.PathPrefix), iq.PathPrefix)
	}
	if iq.OnlyAttached {
		query += ` AND (EXISTS (SELECT 1 FROM role_policy_attachments a WHERE a.account_id = p.account_id
			AND a.policy_arn = 'arn:aws:iam::' || p.account_id || ':policy' || p.path || p.name)
			OR EXISTS (SELECT 1 FROM iam_attached_policies u WHERE u.account_id = p.account_id
			AND u.policy_arn = 'arn:aws:iam::' || p.account_id || ':policy' || p.path || p.name))`
	}
	query += ` ORDER BY p.name_key LIMIT ?`
	args = append(args, iq.Limit)
	return queryAll(ctx, q, "list policies of "+iq.AccountID, scanIAMPolicy, query, args...)
}

func (q *queries) CountIAMPolicies(ctx context.Context, accountID string) (int, error) {
	var n int
	if err := q.row(ctx, `SELECT COUNT(*) FROM iam_policies WHERE account_id = ?`, accountID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count policies of %s: %w", accountID, err)
	}
	return n, nil
}

// versionNumber turns "v12" into 12.
func versionNumber(id string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "v"))
	if err != nil || !strings.HasPrefix(id, "v") {
		return 0, fmt.Errorf("sqlstore: malformed policy version id %q", id)
	}
	return n, nil
}

func scanIAMPolicyVersion(s scanner) (store.IAMPolicyVersion, error) {
	var (
		v       store.IAMPolicyVersion
		created int64
	)
	if err := s.Scan(&v.PolicyID, &v.VersionID, &v.Document, &created); err != nil {
		return v, err
	}
	v.CreatedAt = fromMicros(created)
	return v, nil
}

func (q *queries) GetIAMPolicyVersion(ctx context.Context, policyID, versionID string) (store.IAMPolicyVersion, error) {
	n, err := versionNumber(versionID)
	if err != nil {
		return store.IAMPolicyVersion{}, fmt.Errorf("policy version %s: %w", versionID, store.ErrNotFound)
	}
	return queryOne(ctx, q, "policy version", versionID, scanIAMPolicyVersion,
		`SELECT policy_id, version_id, document, created_at FROM iam_policy_versions WHERE policy_id = ? AND version_no = ?`, policyID, n)
}

func (q *queries) ListIAMPolicyVersions(ctx context.Context, policyID string) ([]store.IAMPolicyVersion, error) {
	return queryAll(ctx, q, "list versions of "+policyID, scanIAMPolicyVersion, `SELECT policy_id, version_id, document, created_at FROM iam_policy_versions
		WHERE policy_id = ? ORDER BY version_no DESC`, policyID)
}

func (q *queries) ListIAMPolicyTags(ctx context.Context, policyID string) ([]store.Tag, error) {
	return q.listTags(ctx, "iam_policy_tags", "policy_id", policyID)
}

func (q *queries) CountPolicyAttachments(ctx context.Context, accountID, policyARN string, boundary bool) (int, error) {
	b := 0
	if boundary {
		b = 1
	}
	var n int
	if err := q.row(ctx, `SELECT COUNT(*) FROM role_policy_attachments WHERE account_id = ? AND policy_arn = ? AND boundary = ?`,
		accountID, policyARN, b).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count attachments of %s: %w", policyARN, err)
	}
	return n, nil
}

func (q *queries) CreateIAMPolicy(ctx context.Context, p store.IAMPolicy, first store.IAMPolicyVersion) error {
	if _, err := q.exec(ctx, `INSERT INTO iam_policies (id, account_id, name, name_key, path, description, default_version,
		last_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.AccountID, p.Name, p.NameKey, p.Path, p.Description, p.DefaultVersion, p.LastVersion,
		micros(p.CreatedAt), micros(p.UpdatedAt)); err != nil {
		return fmt.Errorf("sqlstore: create policy %s: %w", p.Name, err)
	}
	return q.CreateIAMPolicyVersion(ctx, first)
}

func (q *queries) UpdateIAMPolicy(ctx context.Context, p store.IAMPolicy) error {
	res, err := q.exec(ctx, `UPDATE iam_policies SET default_version = ?, last_version = ?, description = ?, updated_at = ? WHERE id = ?`,
		p.DefaultVersion, p.LastVersion, p.Description, micros(p.UpdatedAt), p.ID)
	if err != nil {
		return fmt.Errorf("sqlstore: update policy %s: %w", p.ID, err)
	}
	return mustAffect(res, "policy", p.ID)
}

func (q *queries) DeleteIAMPolicy(ctx context.Context, policyID string) error {
	res, err := q.exec(ctx, `DELETE FROM iam_policies WHERE id = ?`, policyID)
	if err != nil {
		return fmt.Errorf("sqlstore: delete policy %s: %w", policyID, err)
	}
	if err := mustAffect(res, "policy", policyID); err != nil {
		return err
	}
	for _, stmt := range []string{`DELETE FROM iam_policy_versions WHERE policy_id = ?`, `DELETE FROM iam_policy_tags WHERE policy_id = ?`} {
		if _, err := q.exec(ctx, stmt, policyID); err != nil {
			return fmt.Errorf("sqlstore: delete policy %s: %w", policyID, err)
		}
	}
	return nil
}

func (q *queries) CreateIAMPolicyVersion(ctx context.Context, v store.IAMPolicyVersion) error {
	n, err := versionNumber(v.VersionID)
	if err != nil {
		return err
	}
	if _, err := q.exec(ctx, `INSERT INTO iam_policy_versions (policy_id, version_no, version_id, document, created_at)
		VALUES (?, ?, ?, ?, ?)`, v.PolicyID, n, v.VersionID, v.Document, micros(v.CreatedAt)); err != nil {
		return fmt.Errorf("sqlstore: create version %s of %s: %w", v.VersionID, v.PolicyID, err)
	}
	return nil
}

func (q *queries) DeleteIAMPolicyVersion(ctx context.Context, policyID, versionID string) error {
	n, err := versionNumber(versionID)
	if err != nil {
		return fmt.Errorf("policy version %s: %w", versionID, store.ErrNotFound)
	}
	res, err := q.exec(ctx, `DELETE FROM iam_policy_versions WHERE policy_id = ? AND version_no = ?`, policyID, n)
	if err != nil {
		return fmt.Errorf("sqlstore: delete version %s of %s: %w", versionID, policyID, err)
	}
	return mustAffect(res, "policy version", versionID)
}

func (q *queries) PutIAMPolicyTags(ctx context.Context, policyID string, tags []store.Tag) error {
	return q.putTags(ctx, "iam_policy_tags", "policy_id", policyID, tags)
}

func (q *queries) DeleteIAMPolicyTags(ctx context.Context, policyID string, keys []string) error {
	return q.deleteTags(ctx, "iam_policy_tags", "policy_id", policyID, keys)
}
