package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries implements store.Reader and store.Tx on a querier.
type queries struct {
	db       querier
	d        *dialect
	writable bool
	// detached statements ignore the caller's cancellation (see batcher).
	detached bool
	// stmts, when set, prepares each query once for the pool that db
	// belongs to (SQLite only).
	stmts *stmtCache
	// afterCommit collects the AfterCommit functions of the Update whose
	// function is running (set by the writer before it calls it).
	afterCommit *[]func()
}

var _ store.Tx = (*queries)(nil)

// AfterCommit implements store.Tx.
func (q *queries) AfterCommit(fn func()) {
	if q.afterCommit == nil {
		panic("sqlstore: AfterCommit outside a write transaction")
	}
	*q.afterCommit = append(*q.afterCommit, fn)
}

func (q *queries) ctx(ctx context.Context) context.Context {
	if q.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// prepared returns the cached prepared statement for query, bound to the
// transaction when q runs in one; nil means "run it unprepared".
func (q *queries) prepared(ctx context.Context, query string) *sql.Stmt {
	if q.stmts == nil {
		return nil
	}
	s := q.stmts.get(ctx, query)
	if s == nil {
		return nil
	}
	if tx, ok := q.db.(*sql.Tx); ok {
		return tx.StmtContext(ctx, s)
	}
	return s
}

func (q *queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !q.writable {
		return nil, store.ErrReadOnly
	}
	ctx, query = q.ctx(ctx), q.d.rebind(query)
	var (
		res sql.Result
		err error
	)
	if s := q.prepared(ctx, query); s != nil {
		res, err = s.ExecContext(ctx, args...)
	} else {
		res, err = q.db.ExecContext(ctx, query, args...)
	}
	return res, q.d.translate(err)
}

func (q *queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, query = q.ctx(ctx), q.d.rebind(query)
	if s := q.prepared(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return q.db.QueryContext(ctx, query, args...)
}

func (q *queries) row(ctx context.Context, query string, args ...any) *sql.Row {
	ctx, query = q.ctx(ctx), q.d.rebind(query)
	if s := q.prepared(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return q.db.QueryRowContext(ctx, query, args...)
}

// micros and fromMicros store times as UTC microseconds since the epoch,
// the one representation both backends hold exactly.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// notFound wraps store.ErrNotFound with what was looked for.
func notFound(err error, what string, key any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %v: %w", what, key, store.ErrNotFound)
	}
	return fmt.Errorf("sqlstore: get %s %v: %w", what, key, err)
}

// scanner is what *sql.Row and *sql.Rows have in common, so that one scan
// function reads a record from a single-row lookup and from a list.
type scanner interface {
	Scan(dest ...any) error
}

// queryOne runs a query that selects at most one row and reads it with
// scan; a missing row becomes store.ErrNotFound naming what and key (see
// notFound). key is a type parameter rather than an any so that it is
// boxed only when an error message is built, not on every lookup.
func queryOne[T, K any](ctx context.Context, q *queries, what string, key K, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(q.row(ctx, query, args...))
	if err != nil {
		return v, notFound(err, what, key)
	}
	return v, nil
}

// queryAll runs a query and reads every row with scan, so that each list
// query needs no loop of its own. The query's and scan's errors are
// wrapped as "sqlstore: <what>: …"; rows.Err is returned as it is, beside
// the rows read before it. No rows give a nil slice.
func queryAll[T any](ctx context.Context, q *queries, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func conflictError(constraint string, err error) error {
	return &store.ConflictError{Constraint: constraint, Err: err}
}

// mustAffect turns "no row changed" into ErrNotFound.
func mustAffect(res sql.Result, what, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: %s %s: %w", what, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %s: %w", what, id, store.ErrNotFound)
	}
	return nil
}

// placeholders returns "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// ---- instance and access keys ----

func (q *queries) GetInstance(ctx context.Context) (store.Instance, error) {
	var in store.Instance
	var created int64
	err := q.row(ctx, `SELECT instance_id, identity_store_id, owner_account_id, name, status, created_at
		FROM instance WHERE singleton = 1`).Scan(&in.InstanceID, &in.IdentityStoreID, &in.OwnerAccountID, &in.Name, &in.Status, &created)
	if err != nil {
		return in, notFound(err, "instance", 1)
	}
	in.CreatedAt = fromMicros(created)
	return in, nil
}

func (q *queries) CreateInstance(ctx context.Context, in store.Instance) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO instance (singleton, instance_id, identity_store_id, owner_account_id, name, status, created_at)
		VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (singleton) DO NOTHING`,
		in.InstanceID, in.IdentityStoreID, in.OwnerAccountID, in.Name, in.Status, micros(in.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("sqlstore: create instance: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: create instance: %w", err)
	}
	return n == 1, nil
}

func scanAccessKey(s scanner) (store.AccessKey, error) {
	var k store.AccessKey
	var created int64
	if err := s.Scan(&k.ID, &k.SecretSealed, &k.PrincipalARN, &k.AccountID, &k.PrincipalID, &k.Status, &created); err != nil {
		return k, err
	}
	k.CreatedAt = fromMicros(created)
	return k, nil
}

func (q *queries) GetAccessKey(ctx context.Context, id string) (store.AccessKey, error) {
	return queryOne(ctx, q, "access key", id, scanAccessKey,
		`SELECT id, secret_sealed, principal_arn, account_id, principal_id, status, created_at FROM access_keys WHERE id = ?`, id)
}

func (q *queries) PutAccessKey(ctx context.Context, k store.AccessKey) error {
	_, err := q.exec(ctx, `INSERT INTO access_keys (id, secret_sealed, principal_arn, account_id, principal_id, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status`,
		k.ID, k.SecretSealed, k.PrincipalARN, k.AccountID, k.PrincipalID, k.Status, micros(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: put access key %s: %w", k.ID, err)
	}
	return nil
}

// ---- users ----

const userColumns = `id, user_name, user_name_key, email_key, display_name, status, profile,
	created_at, created_by, updated_at, updated_by, version`

func scanUser(s scanner) (store.User, error) {
	var d userDest
	if err := s.Scan(d.dests()...); err != nil {
		return d.u, err
	}
	return d.finish()
}

// userDest receives the userColumns of a row, for scanUser and for joins
// that read a user beside other records.
type userDest struct {
	u     store.User
	email sql.NullString
	// profile is scanned as bytes, which both json.Unmarshal and
	// store.RawUser take without another copy.
	profile          []byte
	created, updated int64
}

func (d *userDest) dests() []any {
	return []any{&d.u.ID, &d.u.UserName, &d.u.UserNameKey, &d.email, &d.u.DisplayName, &d.u.Status, &d.profile,
		&d.created, &d.u.CreatedBy, &d.updated, &d.u.UpdatedBy, &d.u.Version}
}

func (d *userDest) finish() (store.User, error) {
	u := d.u
	u.EmailKey = d.email.String
	u.CreatedAt, u.UpdatedAt = fromMicros(d.created), fromMicros(d.updated)
	if err := json.Unmarshal(d.profile, &u.Profile); err != nil {
		return u, fmt.Errorf("sqlstore: decode profile of user %s: %w", u.ID, err)
	}
	return u, nil
}

// raw is finish without decoding the profile. The profile column holds the
// bytes json.Marshal wrote (CreateUser, UpdateUser) in a TEXT column, which
// neither backend rewrites, as store.RawUser promises.
func (d *userDest) raw() store.RawUser {
	u := &d.u
	return store.RawUser{
		ID: u.ID, UserName: u.UserName, UserNameKey: u.UserNameKey, EmailKey: d.email.String, DisplayName: u.DisplayName,
		Status: u.Status, Profile: d.profile, CreatedAt: fromMicros(d.created), CreatedBy: u.CreatedBy,
		UpdatedAt: fromMicros(d.updated), UpdatedBy: u.UpdatedBy, Version: u.Version,
	}
}

// scanRawUser is scanUser without decoding the profile.
func scanRawUser(s scanner) (store.RawUser, error) {
	var d userDest
	err := s.Scan(d.dests()...)
	return d.raw(), err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (q *queries) GetUser(ctx context.Context, id string) (store.User, error) {
	return queryOne(ctx, q, "user", id, scanUser, `SELECT `+userColumns+` FROM users WHERE id = ?`, id)
}

func (q *queries) UserExists(ctx context.Context, id string) (bool, error) {
	return q.exists(ctx, `SELECT 1 FROM users WHERE id = ?`, id)
}

func (q *queries) GroupExists(ctx context.Context, id string) (bool, error) {
	return q.exists(ctx, `SELECT 1 FROM groups WHERE id = ?`, id)
}

// exists runs a query that selects one row or none.
func (q *queries) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	switch err := q.row(ctx, query, args...).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("sqlstore: %s: %w", query, err)
	}
	return true, nil
}

// userKeyColumn maps a unique user attribute to its indexed column.
func userKeyColumn(attribute string) (string, error) {
	switch attribute {
	case "user_name":
		return "user_name_key", nil
	case "email":
		return "email_key", nil
	}
	return "", fmt.Errorf("sqlstore: users have no unique attribute %q", attribute)
}

func (q *queries) GetUserIDByKey(ctx context.Context, attribute, key string) (string, error) {
	col, err := userKeyColumn(attribute)
	if err != nil {
		return "", err
	}
	var id string
	if err := q.row(ctx, `SELECT id FROM users WHERE `+col+` = ?`, key).Scan(&id); err != nil {
		return "", notFound(err, "user with "+attribute, key)
	}
	return id, nil
}

func (q *queries) GetUserByKey(ctx context.Context, attribute, key string) (store.User, error) {
	col, err := userKeyColumn(attribute)
	if err != nil {
		return store.User{}, err
	}
	return queryOne(ctx, q, "user with "+attribute, key, scanUser, `SELECT `+userColumns+` FROM users WHERE `+col+` = ?`, key)
}

func (q *queries) GetUserByExternalID(ctx context.Context, issuer, id string) (store.User, error) {
	return queryOne(ctx, q, "user with external id", issuer, scanUser, `SELECT `+userColumns+` FROM users WHERE id =
		(SELECT owner_id FROM external_ids WHERE kind = 'user' AND issuer = ? AND external_id = ?)`, issuer, id)
}

func (q *queries) ListUsers(ctx context.Context, lq store.ListQuery) ([]store.User, error) {
	return queryAll(ctx, q, "list users", scanUser, `SELECT `+userColumns+` FROM users WHERE id > ? ORDER BY id LIMIT ?`, lq.After, lq.Limit)
}

func (q *queries) ListRawUsers(ctx context.Context, lq store.ListQuery) ([]store.RawUser, error) {
	return queryAll(ctx, q, "list raw users", scanRawUser, `SELECT `+userColumns+` FROM users WHERE id > ? ORDER BY id LIMIT ?`, lq.After, lq.Limit)
}

func (q *queries) CountUsers(ctx context.Context) (int, error) {
	return q.count(ctx, "users")
}

func (q *queries) count(ctx context.Context, table string) (int, error) {
	var n int
	if err := q.row(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count %s: %w", table, err)
	}
	return n, nil
}

func (q *queries) CreateUser(ctx context.Context, u store.User) error {
	profile, err := json.Marshal(u.Profile)
	if err != nil {
		return fmt.Errorf("sqlstore: encode profile of user %s: %w", u.ID, err)
	}
	if _, err := q.exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.UserName, u.UserNameKey, nullable(u.EmailKey), u.DisplayName, u.Status, string(profile),
		micros(u.CreatedAt), u.CreatedBy, micros(u.UpdatedAt), u.UpdatedBy, u.Version); err != nil {
		return fmt.Errorf("sqlstore: create user %s: %w", u.ID, err)
	}
	// A new id has no external ids to clear.
	return q.addExternalIDs(ctx, "user", u.ID, u.Profile.ExternalIDs)
}

func (q *queries) UpdateUser(ctx context.Context, u store.User) error {
	profile, err := json.Marshal(u.Profile)
	if err != nil {
		return fmt.Errorf("sqlstore: encode profile of user %s: %w", u.ID, err)
	}
	res, err := q.exec(ctx, `UPDATE users SET user_name = ?, user_name_key = ?, email_key = ?, display_name = ?, status = ?,
		profile = ?, updated_at = ?, updated_by = ?, version = ? WHERE id = ? AND version = ?`,
		u.UserName, u.UserNameKey, nullable(u.EmailKey), u.DisplayName, u.Status, string(profile),
		micros(u.UpdatedAt), u.UpdatedBy, u.Version, u.ID, u.Version-1)
	if err != nil {
		return fmt.Errorf("sqlstore: update user %s: %w", u.ID, err)
	}
	if err := mustAffect(res, "user", u.ID); err != nil {
		return err
	}
	return q.putExternalIDs(ctx, "user", u.ID, u.Profile.ExternalIDs)
}

func (q *queries) DeleteUser(ctx context.Context, id string) error {
	res, err := q.exec(ctx, `DELETE FROM users WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlstore: delete user %s: %w", id, err)
	}
	if err := mustAffect(res, "user", id); err != nil {
		return err
	}
	if _, err := q.exec(ctx, `DELETE FROM memberships WHERE user_id = ?`, id); err != nil {
		return fmt.Errorf("sqlstore: delete memberships of user %s: %w", id, err)
	}
	return q.putExternalIDs(ctx, "user", id, nil)
}

// putExternalIDs replaces the external ids indexed for an owner.
func (q *queries) putExternalIDs(ctx context.Context, kind, owner string, ids []store.ExternalID) error {
	if _, err := q.exec(ctx, `DELETE FROM external_ids WHERE owner_id = ?`, owner); err != nil {
		return fmt.Errorf("sqlstore: clear external ids of %s %s: %w", kind, owner, err)
	}
	return q.addExternalIDs(ctx, kind, owner, ids)
}

// addExternalIDs indexes the external ids of an owner that has none yet.
func (q *queries) addExternalIDs(ctx context.Context, kind, owner string, ids []store.ExternalID) error {
	for _, x := range ids {
		if _, err := q.exec(ctx, `INSERT INTO external_ids (kind, issuer, external_id, owner_id) VALUES (?, ?, ?, ?)`,
			kind, x.Issuer, x.ID, owner); err != nil {
			return fmt.Errorf("sqlstore: index external id of %s %s: %w", kind, owner, err)
		}
	}
	return nil
}

// ---- groups ----

const groupColumns = `id, display_name, display_name_key, description, external_ids,
	created_at, created_by, updated_at, updated_by, version`

func scanGroup(s scanner) (store.Group, error) {
	var (
		g                store.Group
		ext              string
		created, updated int64
	)
	if err := s.Scan(&g.ID, &g.DisplayName, &g.DisplayNameKey, &g.Description, &ext,
		&created, &g.CreatedBy, &updated, &g.UpdatedBy, &g.Version); err != nil {
		return g, err
	}
	g.CreatedAt, g.UpdatedAt = fromMicros(created), fromMicros(updated)
	if ext != "" && ext != "null" {
		if err := json.Unmarshal([]byte(ext), &g.ExternalIDs); err != nil {
			return g, fmt.Errorf("sqlstore: decode external ids of group %s: %w", g.ID, err)
		}
	}
	return g, nil
}

func (q *queries) GetGroup(ctx context.Context, id string) (store.Group, error) {
	return queryOne(ctx, q, "group", id, scanGroup, `SELECT `+groupColumns+` FROM groups WHERE id = ?`, id)
}

func (q *queries) GetGroupByDisplayName(ctx context.Context, key string) (store.Group, error) {
	return queryOne(ctx, q, "group named", key, scanGroup, `SELECT `+groupColumns+` FROM groups WHERE display_name_key = ?`, key)
}

func (q *queries) GetGroupByExternalID(ctx context.Context, issuer, id string) (store.Group, error) {
	return queryOne(ctx, q, "group with external id", issuer, scanGroup, `SELECT `+groupColumns+` FROM groups WHERE id =
		(SELECT owner_id FROM external_ids WHERE kind = 'group' AND issuer = ? AND external_id = ?)`, issuer, id)
}

func (q *queries) ListGroups(ctx context.Context, lq store.ListQuery) ([]store.Group, error) {
	return queryAll(ctx, q, "list groups", scanGroup, `SELECT `+groupColumns+` FROM groups WHERE id > ? ORDER BY id LIMIT ?`, lq.After, lq.Limit)
}

func (q *queries) CountGroups(ctx context.Context) (int, error) { return q.count(ctx, "groups") }

func encodeExternalIDs(ids []store.ExternalID) (string, error) {
	if len(ids) == 0 {
		return "", nil
	}
	b, err := json.Marshal(ids)
	return string(b), err
}

func (q *queries) CreateGroup(ctx context.Context, g store.Group) error {
	ext, err := encodeExternalIDs(g.ExternalIDs)
	if err != nil {
		return fmt.Errorf("sqlstore: encode group %s: %w", g.ID, err)
	}
	if _, err := q.exec(ctx, `INSERT INTO groups (`+groupColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.DisplayName, g.DisplayNameKey, g.Description, ext,
		micros(g.CreatedAt), g.CreatedBy, micros(g.UpdatedAt), g.UpdatedBy, g.Version); err != nil {
		return fmt.Errorf("sqlstore: create group %s: %w", g.ID, err)
	}
	return q.addExternalIDs(ctx, "group", g.ID, g.ExternalIDs)
}

func (q *queries) UpdateGroup(ctx context.Context, g store.Group) error {
	ext, err := encodeExternalIDs(g.ExternalIDs)
	if err != nil {
		return fmt.Errorf("sqlstore: encode group %s: %w", g.ID, err)
	}
	res, err := q.exec(ctx, `UPDATE groups SET display_name = ?, display_name_key = ?, description = ?, external_ids = ?,
		updated_at = ?, updated_by = ?, version = ? WHERE id = ? AND version = ?`,
		g.DisplayName, g.DisplayNameKey, g.Description, ext, micros(g.UpdatedAt), g.UpdatedBy, g.Version, g.ID, g.Version-1)
	if err != nil {
		return fmt.Errorf("sqlstore: update group %s: %w", g.ID, err)
	}
	if err := mustAffect(res, "group", g.ID); err != nil {
		return err
	}
	return q.putExternalIDs(ctx, "group", g.ID, g.ExternalIDs)
}

func (q *queries) DeleteGroup(ctx context.Context, id string) error {
	res, err := q.exec(ctx, `DELETE FROM groups WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlstore: delete group %s: %w", id, err)
	}
	if err := mustAffect(res, "group", id); err != nil {
		return err
	}
	if _, err := q.exec(ctx, `DELETE FROM memberships WHERE group_id = ?`, id); err != nil {
		return fmt.Errorf("sqlstore: delete memberships of group %s: %w", id, err)
	}
	return q.putExternalIDs(ctx, "group", id, nil)
}

// ---- memberships ----

const membershipColumns = `id, group_id, user_id, created_at, created_by`

func scanMembership(s scanner) (store.Membership, error) {
	var m store.Membership
	var created int64
	err := s.Scan(&m.ID, &m.GroupID, &m.UserID, &created, &m.CreatedBy)
	m.CreatedAt = fromMicros(created)
	return m, err
}

func (q *queries) GetMembership(ctx context.Context, id string) (store.Membership, error) {
	return queryOne(ctx, q, "membership", id, scanMembership, `SELECT `+membershipColumns+` FROM memberships WHERE id = ?`, id)
}

func (q *queries) GetMembershipByPair(ctx context.Context, groupID, userID string) (store.Membership, error) {
	return queryOne(ctx, q, "membership of user in group", groupID, scanMembership,
		`SELECT `+membershipColumns+` FROM memberships WHERE group_id = ? AND user_id = ?`, groupID, userID)
}

func (q *queries) ListMemberships(ctx context.Context, mq store.MembershipQuery) ([]store.Membership, error) {
	col, key := "group_id", mq.GroupID
	if mq.GroupID == "" {
		col, key = "user_id", mq.UserID
	}
	return queryAll(ctx, q, "list memberships", scanMembership,
		`SELECT `+membershipColumns+` FROM memberships WHERE `+col+` = ? AND id > ? ORDER BY id LIMIT ?`, key, mq.After, mq.Limit)
}

func (q *queries) MemberGroups(ctx context.Context, userID string, groupIDs []string) (map[string]bool, error) {
	out := make(map[string]bool, len(groupIDs))
	if len(groupIDs) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(groupIDs)+1)
	args = append(args, userID)
	for _, g := range groupIDs {
		args = append(args, g)
	}
	rows, err := q.query(ctx, `SELECT group_id FROM memberships WHERE user_id = ? AND group_id IN (`+placeholders(len(groupIDs))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: member groups of %s: %w", userID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, fmt.Errorf("sqlstore: member groups of %s: %w", userID, err)
		}
		out[g] = true
	}
	return out, rows.Err()
}

func (q *queries) CreateMembership(ctx context.Context, m store.Membership) error {
	if _, err := q.exec(ctx, `INSERT INTO memberships (`+membershipColumns+`) VALUES (?, ?, ?, ?, ?)`,
		m.ID, m.GroupID, m.UserID, micros(m.CreatedAt), m.CreatedBy); err != nil {
		return fmt.Errorf("sqlstore: create membership %s: %w", m.ID, err)
	}
	return nil
}

func (q *queries) DeleteMembership(ctx context.Context, id string) error {
	res, err := q.exec(ctx, `DELETE FROM memberships WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlstore: delete membership %s: %w", id, err)
	}
	return mustAffect(res, "membership", id)
}

// ---- audit ----

const auditColumns = `seq, event_id, event_time, source, name, principal, error_code, document`

func scanAuditEvent(s scanner) (store.AuditEvent, error) {
	var (
		e   store.AuditEvent
		t   int64
		doc string
	)
	if err := s.Scan(&e.Seq, &e.EventID, &t, &e.Source, &e.Name, &e.Principal, &e.ErrorCode, &doc); err != nil {
		return e, err
	}
	e.Time, e.Document = fromMicros(t), []byte(doc)
	return e, nil
}

// auditRowsPerInsert bounds the rows of one INSERT: few statements for a
// batch, and a parameter count far below both backends' limits.
const auditRowsPerInsert = 50

func (q *queries) AppendAuditEvents(ctx context.Context, events ...store.AuditEvent) error {
	for len(events) > 0 {
		n := min(len(events), auditRowsPerInsert)
		chunk := events[:n]
		events = events[n:]
		args := make([]any, 0, 7*n)
		for _, e := range chunk {
			args = append(args, e.EventID, micros(e.Time), e.Source, e.Name, e.Principal, e.ErrorCode, string(e.Document))
		}
		query := `INSERT INTO audit_events (event_id, event_time, source, name, principal, error_code, document) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", n), ", ")
		if _, err := q.exec(ctx, query, args...); err != nil {
			return fmt.Errorf("sqlstore: append %d audit events (first %s): %w", n, chunk[0].EventID, err)
		}
	}
	return nil
}

func (q *queries) ListAuditEvents(ctx context.Context, aq store.AuditQuery) ([]store.AuditEvent, error) {
	var (
		where []string
		args  []any
	)
	if aq.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, aq.Before)
	}
	if aq.EventName != "" {
		where, args = append(where, "name = ?"), append(args, aq.EventName)
	}
	if aq.Principal != "" {
		where, args = append(where, "principal = ?"), append(args, aq.Principal)
	}
	if !aq.Since.IsZero() {
		where, args = append(where, "event_time >= ?"), append(args, micros(aq.Since))
	}
	if !aq.Until.IsZero() {
		where, args = append(where, "event_time < ?"), append(args, micros(aq.Until))
	}
	query := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY seq DESC LIMIT ?"
	args = append(args, aq.Limit)
	return queryAll(ctx, q, "list audit events", scanAuditEvent, query, args...)
}
