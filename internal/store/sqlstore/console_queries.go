package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// ---- console grants ----

func (q *queries) GetConsoleGrant(ctx context.Context, userID string) (store.ConsoleGrant, error) {
	return queryOne(ctx, q, "console grant of user", userID, scanConsoleGrant, `SELECT user_id, level, policy_arns, granted_at, granted_by
		FROM console_grants WHERE user_id = ?`, userID)
}

func (q *queries) ListConsoleGrants(ctx context.Context, after string, limit int) ([]store.ConsoleGrant, error) {
	return queryAll(ctx, q, "list console grants", scanConsoleGrant, `SELECT user_id, level, policy_arns, granted_at, granted_by
		FROM console_grants WHERE user_id > ? ORDER BY user_id LIMIT ?`, after, limit)
}

func scanConsoleGrant(s scanner) (store.ConsoleGrant, error) {
	var (
		g        store.ConsoleGrant
		policies string
		granted  int64
	)
	if err := s.Scan(&g.UserID, &g.Level, &policies, &granted, &g.GrantedBy); err != nil {
		return g, err
	}
	g.GrantedAt = fromMicros(granted)
	if err := json.Unmarshal([]byte(policies), &g.PolicyARNs); err != nil {
		return g, fmt.Errorf("sqlstore: decode policies of the console grant of %s: %w", g.UserID, err)
	}
	return g, nil
}

func (q *queries) PutConsoleGrant(ctx context.Context, g store.ConsoleGrant) error {
	arns := g.PolicyARNs
	if arns == nil {
		arns = []string{}
	}
	policies, err := json.Marshal(arns)
	if err != nil {
		return fmt.Errorf("sqlstore: encode policies of the console grant of %s: %w", g.UserID, err)
	}
	if _, err := q.exec(ctx, `INSERT INTO console_grants (user_id, level, policy_arns, granted_at, granted_by)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET level = excluded.level, policy_arns = excluded.policy_arns,
			granted_at = excluded.granted_at, granted_by = excluded.granted_by`,
		g.UserID, g.Level, string(policies), micros(g.GrantedAt), g.GrantedBy); err != nil {
		return fmt.Errorf("sqlstore: put console grant of %s: %w", g.UserID, err)
	}
	return nil
}

func (q *queries) DeleteConsoleGrant(ctx context.Context, userID string) error {
	res, err := q.exec(ctx, `DELETE FROM console_grants WHERE user_id = ?`, userID)
	if err != nil {
		return fmt.Errorf("sqlstore: delete console grant of %s: %w", userID, err)
	}
	return mustAffect(res, "console grant of user", userID)
}

// ---- user search ----

// prefixEnd is appended to a prefix to bound a range of keys that start
// with it: U+10FFFF, the largest code point, sorts after every character
// in byte order. (A key with U+10FFFF, a noncharacter, right after the
// prefix would be missed; the identity store has no use for one.)
const prefixEnd = "\U0010FFFF"

// byteOrder returns how a key column is compared in byte order: SQLite's
// default BINARY collation already is; PostgreSQL needs COLLATE "C", which
// the 0600 migration indexes.
func (q *queries) byteOrder(column string) string {
	if q.d.name == "postgres" {
		return column + ` COLLATE "C"`
	}
	return column
}

func (q *queries) SearchUsers(ctx context.Context, us store.UserSearch) ([]store.User, error) {
	var column string
	switch us.Field {
	case "", "user_name":
		column = q.byteOrder("user_name_key")
	case "email":
		column = q.byteOrder("email_key")
	default:
		return nil, fmt.Errorf("sqlstore: search users by %q: no such field", us.Field)
	}
	// One lower bound, the larger of the page's and the prefix's: given
	// two, SQLite starts the index walk at the first and filters the rest.
	query := `SELECT ` + userColumns + ` FROM users WHERE ` + column + ` > ?`
	args := []any{us.After}
	if us.Prefix != "" && us.After < us.Prefix {
		query = `SELECT ` + userColumns + ` FROM users WHERE ` + column + ` >= ?`
		args = []any{us.Prefix}
	}
	if us.Prefix != "" {
		query += ` AND ` + column + ` < ?`
		args = append(args, us.Prefix+prefixEnd)
	}
	query += ` ORDER BY ` + column + ` LIMIT ?`
	args = append(args, us.Limit)
	return queryAll(ctx, q, "search users", scanUser, query, args...)
}

// ---- provisioning ----

func (q *queries) ListOutdatedRoles(ctx context.Context, afterPS, afterAccount string, limit int) ([]store.ProvisionedRole, error) {
	return q.roles(ctx, `SELECT `+roleColumns+` FROM provisioned_roles r
		JOIN permission_sets p ON p.id = r.permission_set_id
		WHERE r.permission_set_version <> p.version
		AND (r.permission_set_id > ? OR (r.permission_set_id = ? AND r.account_id > ?))
		ORDER BY r.permission_set_id, r.account_id LIMIT ?`, afterPS, afterPS, afterAccount, limit)
}

// ---- audit search ----

func (q *queries) SearchAuditEvents(ctx context.Context, as store.AuditSearch) ([]store.AuditEvent, error) {
	var (
		where []string
		args  []any
	)
	if as.EventName != "" {
		where, args = append(where, "name = ?"), append(args, as.EventName)
	}
	if as.Principal != "" {
		where, args = append(where, "principal = ?"), append(args, as.Principal)
	}
	switch as.Outcome {
	case store.AuditFailure:
		// The partial indexes of 0600 hold exactly these rows.
		where = append(where, "error_code <> ''")
	case store.AuditSuccess:
		where = append(where, "error_code = ''")
	}
	if !as.Since.IsZero() {
		where, args = append(where, "event_time >= ?"), append(args, micros(as.Since))
	}
	cursor := as.ByTime() && as.Before > 0
	// One upper bound on the time index: the page's cursor when it is
	// below the window's end (given two, SQLite walks from the first).
	if !as.Until.IsZero() && !(cursor && as.BeforeTime.Before(as.Until)) {
		where, args = append(where, "event_time < ?"), append(args, micros(as.Until))
	}
	order := " ORDER BY seq DESC"
	if as.ByTime() {
		// The time index orders the walk; the sequence number breaks ties.
		if cursor {
			t := micros(as.BeforeTime)
			where, args = append(where, "event_time <= ?", "(event_time < ? OR seq < ?)"), append(args, t, t, as.Before)
		}
		order = " ORDER BY event_time DESC, seq DESC"
	} else if as.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, as.Before)
	}
	query := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += order + " LIMIT ?"
	args = append(args, as.Limit)
	return queryAll(ctx, q, "search audit events", scanAuditEvent, query, args...)
}
