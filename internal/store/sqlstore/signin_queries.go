package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// ---- passwords ----

func (q *queries) GetPassword(ctx context.Context, userID string) (store.Password, error) {
	var (
		p       store.Password
		must    int64
		history string
		updated int64
	)
	err := q.row(ctx, `SELECT user_id, hash, must_change, history, updated_at FROM passwords WHERE user_id = ?`, userID).
		Scan(&p.UserID, &p.Hash, &must, &history, &updated)
	if err != nil {
		return p, notFound(err, "password of user", userID)
	}
	p.MustChange, p.UpdatedAt = must != 0, fromMicros(updated)
	if err := json.Unmarshal([]byte(history), &p.History); err != nil {
		return p, fmt.Errorf("sqlstore: decode password history of %s: %w", userID, err)
	}
	return p, nil
}

func (q *queries) PutPassword(ctx context.Context, p store.Password) error {
	if p.History == nil {
		p.History = []string{}
	}
	history, err := json.Marshal(p.History)
	if err != nil {
		return fmt.Errorf("sqlstore: encode password history of %s: %w", p.UserID, err)
	}
	must := 0
	if p.MustChange {
		must = 1
	}
	_, err = q.exec(ctx, `INSERT INTO passwords (user_id, hash, must_change, history, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, must_change = excluded.must_change,
		history = excluded.history, updated_at = excluded.updated_at`,
		p.UserID, p.Hash, must, string(history), micros(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: put password of %s: %w", p.UserID, err)
	}
	return nil
}

func (q *queries) DeletePassword(ctx context.Context, userID string) error {
	if _, err := q.exec(ctx, `DELETE FROM passwords WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("sqlstore: delete password of %s: %w", userID, err)
	}
	return nil
}

// ---- counters ----

func (q *queries) GetCounter(ctx context.Context, key string) (store.Counter, error) {
	var (
		c             store.Counter
		start, locked int64
	)
	err := q.row(ctx, `SELECT counter_key, failures, window_start, locked_until FROM signin_counters WHERE counter_key = ?`, key).
		Scan(&c.Key, &c.Failures, &start, &locked)
	if err != nil {
		return store.Counter{Key: key}, notFound(err, "counter", key)
	}
	c.WindowStart, c.LockedUntil = fromMicros(start), fromMicros(locked)
	return c, nil
}

func (q *queries) LockedUntil(ctx context.Context, keys ...string) (time.Time, error) {
	if len(keys) == 0 {
		return time.Time{}, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	var until sql.NullInt64
	err := q.row(ctx, `SELECT MAX(locked_until) FROM signin_counters WHERE counter_key IN (?`+
		strings.Repeat(", ?", len(keys)-1)+`)`, args...).Scan(&until)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlstore: lock state of %v: %w", keys, err)
	}
	if !until.Valid || until.Int64 == 0 {
		return time.Time{}, nil
	}
	return fromMicros(until.Int64), nil
}

func (q *queries) PutCounter(ctx context.Context, c store.Counter) error {
	_, err := q.exec(ctx, `INSERT INTO signin_counters (counter_key, failures, window_start, locked_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (counter_key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start,
		locked_until = excluded.locked_until`,
		c.Key, c.Failures, micros(c.WindowStart), micros(c.LockedUntil))
	if err != nil {
		return fmt.Errorf("sqlstore: put counter %s: %w", c.Key, err)
	}
	return nil
}

func (q *queries) DeleteCounter(ctx context.Context, key string) error {
	if _, err := q.exec(ctx, `DELETE FROM signin_counters WHERE counter_key = ?`, key); err != nil {
		return fmt.Errorf("sqlstore: delete counter %s: %w", key, err)
	}
	return nil
}

// ---- sign-in flows ----

const flowColumns = `token_hash, workflow_id, user_id, step, state, created_at, expires_at`

func scanFlow(s scanner) (store.SigninFlow, error) {
	var (
		f                store.SigninFlow
		created, expires int64
	)
	err := s.Scan(&f.TokenHash, &f.WorkflowID, &f.UserID, &f.Step, &f.State, &created, &expires)
	f.CreatedAt, f.ExpiresAt = fromMicros(created), fromMicros(expires)
	return f, err
}

func (q *queries) GetSigninFlow(ctx context.Context, tokenHash string) (store.SigninFlow, error) {
	return queryOne(ctx, q, "sign-in flow", "", scanFlow, `SELECT `+flowColumns+` FROM signin_flows WHERE token_hash = ?`, tokenHash)
}

func (q *queries) CreateSigninFlow(ctx context.Context, f store.SigninFlow) error {
	_, err := q.exec(ctx, `INSERT INTO signin_flows (`+flowColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		f.TokenHash, f.WorkflowID, f.UserID, f.Step, f.State, micros(f.CreatedAt), micros(f.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlstore: create sign-in flow %s: %w", f.WorkflowID, err)
	}
	return nil
}

func (q *queries) TakeSigninFlow(ctx context.Context, tokenHash string) (store.SigninFlow, error) {
	f, err := q.GetSigninFlow(ctx, tokenHash)
	if err != nil {
		return f, err
	}
	res, err := q.exec(ctx, `DELETE FROM signin_flows WHERE token_hash = ?`, tokenHash)
	if err != nil {
		return f, fmt.Errorf("sqlstore: take sign-in flow: %w", err)
	}
	return f, mustAffect(res, "sign-in flow", f.WorkflowID)
}

func (q *queries) DeleteSigninFlowsOfUser(ctx context.Context, userID string) error {
	if _, err := q.exec(ctx, `DELETE FROM signin_flows WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("sqlstore: delete sign-in flows of %s: %w", userID, err)
	}
	return nil
}

// ---- portal sessions ----

const sessionColumns = `id, token_hash, user_id, mfa_method, source_ip, user_agent, created_at, auth_time, expires_at, last_seen_at`

func scanSession(s scanner) (store.PortalSession, error) {
	var d sessionDest
	err := s.Scan(d.dests()...)
	return d.finish(), err
}

// sessionDest receives the sessionColumns of a row, for scanSession and
// for joins that read a session beside other records.
type sessionDest struct {
	ps                            store.PortalSession
	created, auth, expires, lastS int64
}

func (d *sessionDest) dests() []any {
	return []any{&d.ps.ID, &d.ps.TokenHash, &d.ps.UserID, &d.ps.MFAMethod, &d.ps.SourceIP, &d.ps.UserAgent,
		&d.created, &d.auth, &d.expires, &d.lastS}
}

func (d *sessionDest) finish() store.PortalSession {
	ps := d.ps
	ps.CreatedAt, ps.AuthTime, ps.ExpiresAt, ps.LastSeenAt = fromMicros(d.created), fromMicros(d.auth), fromMicros(d.expires), fromMicros(d.lastS)
	return ps
}

func (q *queries) GetPortalSession(ctx context.Context, tokenHash string) (store.PortalSession, error) {
	return queryOne(ctx, q, "portal session", "", scanSession, `SELECT `+sessionColumns+` FROM portal_sessions WHERE token_hash = ?`, tokenHash)
}

func (q *queries) ListPortalSessions(ctx context.Context, userID string, now time.Time) ([]store.PortalSession, error) {
	return queryAll(ctx, q, "list sessions of "+userID, scanSession, `SELECT `+sessionColumns+` FROM portal_sessions WHERE user_id = ? AND expires_at > ?
		ORDER BY created_at DESC, id`, userID, micros(now))
}

func (q *queries) CreatePortalSession(ctx context.Context, s store.PortalSession) error {
	_, err := q.exec(ctx, `INSERT INTO portal_sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.TokenHash, s.UserID, s.MFAMethod, s.SourceIP, s.UserAgent,
		micros(s.CreatedAt), micros(s.AuthTime), micros(s.ExpiresAt), micros(s.LastSeenAt))
	if err != nil {
		return fmt.Errorf("sqlstore: create session %s: %w", s.ID, err)
	}
	return nil
}

func (q *queries) TouchPortalSession(ctx context.Context, id string, at time.Time) error {
	res, err := q.exec(ctx, `UPDATE portal_sessions SET last_seen_at = ? WHERE id = ?`, micros(at), id)
	if err != nil {
		return fmt.Errorf("sqlstore: touch session %s: %w", id, err)
	}
	return mustAffect(res, "portal session", id)
}

func (q *queries) DeletePortalSession(ctx context.Context, id string) error {
	res, err := q.exec(ctx, `DELETE FROM portal_sessions WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlstore: delete session %s: %w", id, err)
	}
	return mustAffect(res, "portal session", id)
}

func (q *queries) DeletePortalSessionsOfUser(ctx context.Context, userID string) (int, error) {
	res, err := q.exec(ctx, `DELETE FROM portal_sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete sessions of %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ---- single-use link tokens ----

func scanToken(s scanner) (store.UserToken, error) {
	var (
		t                store.UserToken
		created, expires int64
	)
	err := s.Scan(&t.TokenHash, &t.UserID, &t.Purpose, &created, &expires)
	t.CreatedAt, t.ExpiresAt = fromMicros(created), fromMicros(expires)
	return t, err
}

func (q *queries) GetUserToken(ctx context.Context, tokenHash string) (store.UserToken, error) {
	return queryOne(ctx, q, "user token", "", scanToken,
		`SELECT token_hash, user_id, purpose, created_at, expires_at FROM user_tokens WHERE token_hash = ?`, tokenHash)
}

func (q *queries) ListUserTokens(ctx context.Context, userID, purpose string, now time.Time) ([]store.UserToken, error) {
	return queryAll(ctx, q, "list tokens of "+userID, scanToken, `SELECT token_hash, user_id, purpose, created_at, expires_at FROM user_tokens
		WHERE user_id = ? AND purpose = ? AND expires_at > ? ORDER BY created_at DESC`, userID, purpose, micros(now))
}

func (q *queries) CreateUserToken(ctx context.Context, t store.UserToken) error {
	_, err := q.exec(ctx, `INSERT INTO user_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		t.TokenHash, t.UserID, t.Purpose, micros(t.CreatedAt), micros(t.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlstore: create %s token of %s: %w", t.Purpose, t.UserID, err)
	}
	return nil
}

func (q *queries) TakeUserToken(ctx context.Context, tokenHash string, now time.Time) (store.UserToken, error) {
	t, err := q.GetUserToken(ctx, tokenHash)
	if err != nil {
		return t, err
	}
	// The DELETE decides: of concurrent takers only one removes the row.
	res, err := q.exec(ctx, `DELETE FROM user_tokens WHERE token_hash = ? AND expires_at > ?`, tokenHash, micros(now))
	if err != nil {
		return t, fmt.Errorf("sqlstore: take token: %w", err)
	}
	return t, mustAffect(res, "user token", t.Purpose)
}

func (q *queries) DeleteUserTokens(ctx context.Context, userID, purpose string) (int, error) {
	query, args := `DELETE FROM user_tokens WHERE user_id = ?`, []any{userID}
	if purpose != "" {
		query, args = query+` AND purpose = ?`, append(args, purpose)
	}
	res, err := q.exec(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete tokens of %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ---- MFA devices ----

const deviceColumns = `id, user_id, kind, name, secret_sealed, credential_id, credential, sign_count, last_step, created_at, last_used_at`

func scanDevice(s scanner) (store.MFADevice, error) {
	var (
		d             store.MFADevice
		credID        sql.NullString
		cred          string
		created, used int64
	)
	err := s.Scan(&d.ID, &d.UserID, &d.Kind, &d.Name, &d.SecretSealed, &credID, &cred, &d.SignCount, &d.LastStep, &created, &used)
	d.CredentialID, d.Credential = credID.String, []byte(cred)
	d.CreatedAt, d.LastUsedAt = fromMicros(created), fromMicros(used)
	return d, err
}

func (q *queries) GetMFADevice(ctx context.Context, id string) (store.MFADevice, error) {
	return queryOne(ctx, q, "MFA device", id, scanDevice, `SELECT `+deviceColumns+` FROM mfa_devices WHERE id = ?`, id)
}

func (q *queries) GetMFADeviceByCredentialID(ctx context.Context, credentialID string) (store.MFADevice, error) {
	return queryOne(ctx, q, "MFA device with credential", credentialID, scanDevice,
		`SELECT `+deviceColumns+` FROM mfa_devices WHERE credential_id = ?`, credentialID)
}

func (q *queries) ListMFADevices(ctx context.Context, userID string) ([]store.MFADevice, error) {
	return queryAll(ctx, q, "list MFA devices of "+userID, scanDevice,
		`SELECT `+deviceColumns+` FROM mfa_devices WHERE user_id = ? ORDER BY created_at, id`, userID)
}

func (q *queries) CreateMFADevice(ctx context.Context, d store.MFADevice) error {
	_, err := q.exec(ctx, `INSERT INTO mfa_devices (`+deviceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.UserID, d.Kind, d.Name, d.SecretSealed, nullable(d.CredentialID), string(d.Credential),
		d.SignCount, d.LastStep, micros(d.CreatedAt), micros(d.LastUsedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: create MFA device %s: %w", d.ID, err)
	}
	return nil
}

func (q *queries) RenameMFADevice(ctx context.Context, id, name string) error {
	res, err := q.exec(ctx, `UPDATE mfa_devices SET name = ? WHERE id = ?`, name, id)
	if err != nil {
		return fmt.Errorf("sqlstore: rename MFA device %s: %w", id, err)
	}
	return mustAffect(res, "MFA device", id)
}

func (q *queries) DeleteMFADevice(ctx context.Context, id string) error {
	res, err := q.exec(ctx, `DELETE FROM mfa_devices WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlstore: delete MFA device %s: %w", id, err)
	}
	return mustAffect(res, "MFA device", id)
}

func (q *queries) DeleteMFADevicesOfUser(ctx context.Context, userID string) error {
	if _, err := q.exec(ctx, `DELETE FROM mfa_devices WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("sqlstore: delete MFA devices of %s: %w", userID, err)
	}
	return nil
}

func (q *queries) AdvanceTOTPStep(ctx context.Context, id string, step int64, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE mfa_devices SET last_step = ?, last_used_at = ? WHERE id = ? AND last_step < ?`,
		step, micros(at), id, step)
	if err != nil {
		return false, fmt.Errorf("sqlstore: advance TOTP step of %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (q *queries) SetSignCount(ctx context.Context, id string, old, count int64, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE mfa_devices SET sign_count = ?, last_used_at = ? WHERE id = ? AND sign_count = ?`,
		count, micros(at), id, old)
	if err != nil {
		return false, fmt.Errorf("sqlstore: set sign count of %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ---- trusted devices ----

func (q *queries) GetTrustedDevice(ctx context.Context, tokenHash string) (store.TrustedDevice, error) {
	var (
		d                store.TrustedDevice
		created, expires int64
	)
	err := q.row(ctx, `SELECT token_hash, user_id, user_agent, network, created_at, expires_at FROM trusted_devices WHERE token_hash = ?`, tokenHash).
		Scan(&d.TokenHash, &d.UserID, &d.UserAgent, &d.Network, &created, &expires)
	if err != nil {
		return d, notFound(err, "trusted device", "")
	}
	d.CreatedAt, d.ExpiresAt = fromMicros(created), fromMicros(expires)
	return d, nil
}

func (q *queries) CreateTrustedDevice(ctx context.Context, d store.TrustedDevice) error {
	_, err := q.exec(ctx, `INSERT INTO trusted_devices (token_hash, user_id, user_agent, network, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		d.TokenHash, d.UserID, d.UserAgent, d.Network, micros(d.CreatedAt), micros(d.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlstore: create trusted device of %s: %w", d.UserID, err)
	}
	return nil
}

func (q *queries) DeleteTrustedDevicesOfUser(ctx context.Context, userID string) error {
	if _, err := q.exec(ctx, `DELETE FROM trusted_devices WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("sqlstore: delete trusted devices of %s: %w", userID, err)
	}
	return nil
}

// ---- settings ----

func (q *queries) GetSigninSettings(ctx context.Context) ([]byte, error) {
	var doc string
	if err := q.row(ctx, `SELECT document FROM signin_settings WHERE singleton = 1`).Scan(&doc); err != nil {
		return nil, notFound(err, "sign-in settings", 1)
	}
	return []byte(doc), nil
}

func (q *queries) PutSigninSettings(ctx context.Context, doc []byte, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO signin_settings (singleton, document, updated_at) VALUES (1, ?, ?)
		ON CONFLICT (singleton) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
		string(doc), micros(at))
	if err != nil {
		return fmt.Errorf("sqlstore: put sign-in settings: %w", err)
	}
	return nil
}

// ---- mail outbox ----

const mailColumns = `id, recipient, subject, sealed_body, status, attempts, last_error, created_at, next_attempt_at, claimed_until, sent_at`

func scanMail(s scanner) (store.MailMessage, error) {
	var (
		m                              store.MailMessage
		created, next, claimed, sentAt int64
	)
	err := s.Scan(&m.ID, &m.Recipient, &m.Subject, &m.SealedBody, &m.Status, &m.Attempts, &m.LastError,
		&created, &next, &claimed, &sentAt)
	m.CreatedAt, m.NextAttemptAt, m.ClaimedUntil = fromMicros(created), fromMicros(next), fromMicros(claimed)
	if sentAt != 0 {
		m.SentAt = fromMicros(sentAt)
	}
	return m, err
}

func (q *queries) GetMailMessage(ctx context.Context, id string) (store.MailMessage, error) {
	return queryOne(ctx, q, "mail message", id, scanMail, `SELECT `+mailColumns+` FROM mail_outbox WHERE id = ?`, id)
}

func (q *queries) ListMail(ctx context.Context, limit int) ([]store.MailMessage, error) {
	return q.listMail(ctx, `SELECT `+mailColumns+` FROM mail_outbox ORDER BY created_at DESC, id LIMIT ?`, limit)
}

func (q *queries) listMail(ctx context.Context, query string, args ...any) ([]store.MailMessage, error) {
	return queryAll(ctx, q, "list mail", scanMail, query, args...)
}

func (q *queries) EnqueueMail(ctx context.Context, m store.MailMessage) error {
	var sent int64
	if !m.SentAt.IsZero() {
		sent = micros(m.SentAt)
	}
	_, err := q.exec(ctx, `INSERT INTO mail_outbox (`+mailColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Recipient, m.Subject, m.SealedBody, m.Status, m.Attempts, m.LastError,
		micros(m.CreatedAt), micros(m.NextAttemptAt), micros(m.ClaimedUntil), sent)
	if err != nil {
		return fmt.Errorf("sqlstore: enqueue mail %s: %w", m.ID, err)
	}
	return nil
}

func (q *queries) ClaimMail(ctx context.Context, now, until time.Time, limit int) ([]store.MailMessage, error) {
	due, err := q.listMail(ctx, `SELECT `+mailColumns+` FROM mail_outbox
		WHERE status = 'pending' AND next_attempt_at <= ? AND claimed_until <= ?
		ORDER BY next_attempt_at, id LIMIT ?`, micros(now), micros(now), limit)
	if err != nil {
		return nil, err
	}
	out := due[:0]
	for _, m := range due {
		// The conditional UPDATE is the claim: a replica that read the same
		// row but updates second changes nothing and skips it.
		res, err := q.exec(ctx, `UPDATE mail_outbox SET claimed_until = ? WHERE id = ? AND claimed_until <= ?`,
			micros(until), m.ID, micros(now))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: claim mail %s: %w", m.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("sqlstore: claim mail %s: %w", m.ID, err)
		} else if n == 1 {
			m.ClaimedUntil = until
			out = append(out, m)
		}
	}
	return out, nil
}

func (q *queries) FinishMail(ctx context.Context, m store.MailMessage) error {
	var sent int64
	if !m.SentAt.IsZero() {
		sent = micros(m.SentAt)
	}
	res, err := q.exec(ctx, `UPDATE mail_outbox SET sealed_body = ?, status = ?, attempts = ?, last_error = ?,
		next_attempt_at = ?, claimed_until = ?, sent_at = ? WHERE id = ?`,
		m.SealedBody, m.Status, m.Attempts, m.LastError, micros(m.NextAttemptAt), micros(m.ClaimedUntil), sent, m.ID)
	if err != nil {
		return fmt.Errorf("sqlstore: finish mail %s: %w", m.ID, err)
	}
	return mustAffect(res, "mail message", m.ID)
}

// ---- housekeeping ----

func (q *queries) PurgeExpiredSignin(ctx context.Context, now time.Time) (int, error) {
	t := micros(now)
	total := 0
	for _, stmt := range []string{
		`DELETE FROM signin_flows WHERE expires_at <= ?`,
		`DELETE FROM portal_sessions WHERE expires_at <= ?`,
		`DELETE FROM user_tokens WHERE expires_at <= ?`,
		`DELETE FROM trusted_devices WHERE expires_at <= ?`,
	} {
		res, err := q.exec(ctx, stmt, t)
		if err != nil {
			return total, fmt.Errorf("sqlstore: purge expired sign-in state: %w", err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	return total, nil
}
