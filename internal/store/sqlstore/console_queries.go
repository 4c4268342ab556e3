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
	g, err := scanConsoleGrant(q.row(ctx, `SELECT user_id, level, policy_arns, granted_at, granted_by
		FROM console_grants WHERE user_id = ?`, userID))
	if err != nil {
		return g, notFound(err, "console grant of user", userID)
	}
	return g, nil
}

func (q *queries) ListConsoleGrants(ctx context.Context, after string, limit int) ([]store.ConsoleGrant, error) {
	rows, err := q.query(ctx, `SELECT user_id, level, policy_arns, granted_at, granted_by
		FROM console_grants WHERE user_id > ? ORDER BY user_id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list console grants: %w", err)
	}
	defer rows.Close()
	var out []store.ConsoleGrant
	for rows.Next() {
		g, err := scanConsoleGrant(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list console grants: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func scanConsoleGrant(s interface{ Scan(...any) error }) (store.ConsoleGrant, error) {
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
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: search users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: search users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
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
	query := `SELECT seq, event_id, event_time, source, name, principal, error_code, document FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += order + " LIMIT ?"
	args = append(args, as.Limit)
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: search audit events: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		var (
			e   store.AuditEvent
			t   int64
			doc string
		)
		if err := rows.Scan(&e.Seq, &e.EventID, &t, &e.Source, &e.Name, &e.Principal, &e.ErrorCode, &doc); err != nil {
			return nil, fmt.Errorf("sqlstore: search audit events: %w", err)
		}
		e.Time, e.Document = fromMicros(t), []byte(doc)
		out = append(out, e)
	}
	return out, rows.Err()
}
