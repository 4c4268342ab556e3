package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// ---- organization ----

func (q *queries) GetOrganization(ctx context.Context) (store.Organization, error) {
	var (
		o       store.Organization
		created int64
	)
	err := q.row(ctx, `SELECT id, root_id, management_account_id, feature_set, created_at FROM organization WHERE singleton = 1`).
		Scan(&o.ID, &o.RootID, &o.ManagementAccountID, &o.FeatureSet, &created)
	if err != nil {
		return o, notFound(err, "organization", 1)
	}
	o.CreatedAt = fromMicros(created)
	return o, nil
}

func (q *queries) CreateOrganization(ctx context.Context, o store.Organization) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO organization (singleton, id, root_id, management_account_id, feature_set, created_at)
		VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (singleton) DO NOTHING`,
		o.ID, o.RootID, o.ManagementAccountID, o.FeatureSet, micros(o.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: create organization: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: create organization: %w", err)
	}
	return n == 1, nil
}

// ---- accounts ----

const accountColumns = `id, name, email, email_key, status, joined_method, joined_at, parent_id`

func scanAccount(s scanner) (store.Account, error) {
	var (
		a      store.Account
		joined int64
	)
	err := s.Scan(&a.ID, &a.Name, &a.Email, &a.EmailKey, &a.Status, &a.JoinedMethod, &joined, &a.ParentID)
	a.JoinedAt = fromMicros(joined)
	return a, err
}

func (q *queries) GetAccount(ctx context.Context, id string) (store.Account, error) {
	return queryOne(ctx, q, "account", id, scanAccount, `SELECT `+accountColumns+` FROM org_accounts WHERE id = ?`, id)
}

func (q *queries) GetAccountByEmail(ctx context.Context, emailKey string) (store.Account, error) {
	return queryOne(ctx, q, "account with email", emailKey, scanAccount, `SELECT `+accountColumns+` FROM org_accounts WHERE email_key = ?`, emailKey)
}

func (q *queries) ListAccounts(ctx context.Context, aq store.AccountQuery) ([]store.Account, error) {
	query := `SELECT ` + accountColumns + ` FROM org_accounts WHERE id > ?`
	args := []any{aq.After}
	if aq.ParentID != "" {
		query += ` AND parent_id = ?`
		args = append(args, aq.ParentID)
	}
	query += ` ORDER BY id LIMIT ?`
	args = append(args, aq.Limit)
	return queryAll(ctx, q, "list accounts", scanAccount, query, args...)
}

func (q *queries) CountAccounts(ctx context.Context) (int, error) {
	return q.count(ctx, "org_accounts")
}

func (q *queries) CreateAccount(ctx context.Context, a store.Account) error {
	if _, err := q.exec(ctx, `INSERT INTO org_accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Name, a.Email, a.EmailKey, a.Status, a.JoinedMethod, micros(a.JoinedAt), a.ParentID); err != nil {
		return fmt.Errorf("sqlstore: create account %s: %w", a.ID, err)
	}
	return nil
}

func (q *queries) MoveAccount(ctx context.Context, id, parentID string) error {
	res, err := q.exec(ctx, `UPDATE org_accounts SET parent_id = ? WHERE id = ?`, parentID, id)
	if err != nil {
		return fmt.Errorf("sqlstore: move account %s: %w", id, err)
	}
	return mustAffect(res, "account", id)
}

// ---- organizational units ----

const orgUnitColumns = `id, name, name_key, parent_id, created_at`

func scanOrgUnit(s scanner) (store.OrgUnit, error) {
	var (
		ou      store.OrgUnit
		created int64
	)
	err := s.Scan(&ou.ID, &ou.Name, &ou.NameKey, &ou.ParentID, &created)
	ou.CreatedAt = fromMicros(created)
	return ou, err
}

func (q *queries) GetOrgUnit(ctx context.Context, id string) (store.OrgUnit, error) {
	return queryOne(ctx, q, "organizational unit", id, scanOrgUnit, `SELECT `+orgUnitColumns+` FROM org_units WHERE id = ?`, id)
}

func (q *queries) ListOrgUnits(ctx context.Context, parentID, after string, limit int) ([]store.OrgUnit, error) {
	return queryAll(ctx, q, "list organizational units", scanOrgUnit,
		`SELECT `+orgUnitColumns+` FROM org_units WHERE parent_id = ? AND id > ? ORDER BY id LIMIT ?`, parentID, after, limit)
}

func (q *queries) CountOrgUnits(ctx context.Context) (int, error) { return q.count(ctx, "org_units") }

func (q *queries) CreateOrgUnit(ctx context.Context, ou store.OrgUnit) error {
	if _, err := q.exec(ctx, `INSERT INTO org_units (`+orgUnitColumns+`) VALUES (?, ?, ?, ?, ?)`,
		ou.ID, ou.Name, ou.NameKey, ou.ParentID, micros(ou.CreatedAt)); err != nil {
		return fmt.Errorf("sqlstore: create organizational unit %s: %w", ou.ID, err)
	}
	return nil
}

// ---- tags (shared by the tag tables of several domains) ----

func (q *queries) listTags(ctx context.Context, table, ownerColumn, owner string) ([]store.Tag, error) {
	return queryAll(ctx, q, "list tags of "+owner, scanTag,
		`SELECT tag_key, tag_value FROM `+table+` WHERE `+ownerColumn+` = ? ORDER BY tag_key`, owner)
}

func scanTag(s scanner) (store.Tag, error) {
	var t store.Tag
	err := s.Scan(&t.Key, &t.Value)
	return t, err
}

func (q *queries) putTags(ctx context.Context, table, ownerColumn, owner string, tags []store.Tag) error {
	for _, t := range tags {
		if _, err := q.exec(ctx, `INSERT INTO `+table+` (`+ownerColumn+`, tag_key, tag_value) VALUES (?, ?, ?)
			ON CONFLICT (`+ownerColumn+`, tag_key) DO UPDATE SET tag_value = excluded.tag_value`, owner, t.Key, t.Value); err != nil {
			return fmt.Errorf("sqlstore: tag %s: %w", owner, err)
		}
	}
	return nil
}

func (q *queries) deleteTags(ctx context.Context, table, ownerColumn, owner string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	args := make([]any, 0, len(keys)+1)
	args = append(args, owner)
	for _, k := range keys {
		args = append(args, k)
	}
	if _, err := q.exec(ctx, `DELETE FROM `+table+` WHERE `+ownerColumn+` = ? AND tag_key IN (`+placeholders(len(keys))+`)`, args...); err != nil {
		return fmt.Errorf("sqlstore: untag %s: %w", owner, err)
	}
	return nil
}

func (q *queries) ListOrgTags(ctx context.Context, resourceID string) ([]store.Tag, error) {
	return q.listTags(ctx, "org_tags", "resource_id", resourceID)
}

func (q *queries) PutOrgTags(ctx context.Context, resourceID string, tags []store.Tag) error {
	return q.putTags(ctx, "org_tags", "resource_id", resourceID, tags)
}

func (q *queries) DeleteOrgTags(ctx context.Context, resourceID string, keys []string) error {
	return q.deleteTags(ctx, "org_tags", "resource_id", resourceID, keys)
}

// ---- CreateAccount requests ----

const createAccountColumns = `id, account_name, email, state, failure_reason, account_id, tags, requested_at, completed_at, lease_until`

func scanCreateAccountRequest(s scanner) (store.CreateAccountRequest, error) {
	var (
		r                           store.CreateAccountRequest
		tags                        string
		requested, completed, lease int64
	)
	if err := s.Scan(&r.ID, &r.AccountName, &r.Email, &r.State, &r.FailureReason, &r.AccountID, &tags,
		&requested, &completed, &lease); err != nil {
		return r, err
	}
	r.RequestedAt = fromMicros(requested)
	r.CompletedAt, r.LeaseUntil = optionalTime(completed), optionalTime(lease)
	if tags != "" {
		if err := json.Unmarshal([]byte(tags), &r.Tags); err != nil {
			return r, fmt.Errorf("sqlstore: decode tags of create account request %s: %w", r.ID, err)
		}
	}
	return r, nil
}

// optionalMicros and optionalTime store the zero time as 0, so that "not
// yet" needs no NULL.
func optionalMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

func optionalTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMicros(v)
}

func (q *queries) GetCreateAccountRequest(ctx context.Context, id string) (store.CreateAccountRequest, error) {
	return queryOne(ctx, q, "create account request", id, scanCreateAccountRequest,
		`SELECT `+createAccountColumns+` FROM create_account_requests WHERE id = ?`, id)
}

func (q *queries) ListCreateAccountRequests(ctx context.Context, cq store.CreateAccountRequestQuery) ([]store.CreateAccountRequest, error) {
	query := `SELECT ` + createAccountColumns + ` FROM create_account_requests WHERE id > ?`
	args := []any{cq.After}
	if len(cq.States) > 0 {
		query += ` AND state IN (` + placeholders(len(cq.States)) + `)`
		for _, s := range cq.States {
			args = append(args, s)
		}
	}
	query += ` ORDER BY id LIMIT ?`
	args = append(args, cq.Limit)
	return queryAll(ctx, q, "list create account requests", scanCreateAccountRequest, query, args...)
}

func (q *queries) PutCreateAccountRequest(ctx context.Context, r store.CreateAccountRequest) error {
	tags := ""
	if len(r.Tags) > 0 {
		b, err := json.Marshal(r.Tags)
		if err != nil {
			return fmt.Errorf("sqlstore: encode tags of create account request %s: %w", r.ID, err)
		}
		tags = string(b)
	}
	if _, err := q.exec(ctx, `INSERT INTO create_account_requests (`+createAccountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET account_name = excluded.account_name, email = excluded.email, state = excluded.state,
			failure_reason = excluded.failure_reason, account_id = excluded.account_id, tags = excluded.tags,
			requested_at = excluded.requested_at, completed_at = excluded.completed_at, lease_until = excluded.lease_until`,
		r.ID, r.AccountName, r.Email, r.State, r.FailureReason, r.AccountID, tags,
		micros(r.RequestedAt), optionalMicros(r.CompletedAt), optionalMicros(r.LeaseUntil)); err != nil {
		return fmt.Errorf("sqlstore: put create account request %s: %w", r.ID, err)
	}
	return nil
}

func (q *queries) ClaimCreateAccountRequests(ctx context.Context, now, until time.Time, limit int) ([]store.CreateAccountRequest, error) {
	rows, err := q.query(ctx, `SELECT `+createAccountColumns+` FROM create_account_requests
		WHERE state = 'IN_PROGRESS' AND lease_until < ? ORDER BY id LIMIT ?`, micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: claim create account requests: %w", err)
	}
	var out []store.CreateAccountRequest
	for rows.Next() {
		r, err := scanCreateAccountRequest(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlstore: claim create account requests: %w", err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: claim create account requests: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	ids := make([]string, len(out))
	for i := range out {
		ids[i] = out[i].ID
		out[i].LeaseUntil = until
	}
	if err := q.lease(ctx, "create_account_requests", "id", ids, until); err != nil {
		return nil, err
	}
	return out, nil
}

// lease sets lease_until on the given rows of a queue table.
func (q *queries) lease(ctx context.Context, table, idColumn string, ids []string, until time.Time) error {
	args := make([]any, 0, len(ids)+1)
	args = append(args, micros(until))
	for _, id := range ids {
		args = append(args, id)
	}
	if _, err := q.exec(ctx, `UPDATE `+table+` SET lease_until = ? WHERE `+idColumn+` IN (`+placeholders(len(ids))+`)`, args...); err != nil {
		return fmt.Errorf("sqlstore: lease %s rows %s: %w", table, strings.Join(ids, ","), err)
	}
	return nil
}
