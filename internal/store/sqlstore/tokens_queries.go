package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
)

// encodeList stores a string list as JSON text (never null).
func encodeList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func decodeList(s string, what string) ([]string, error) {
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("sqlstore: decode %s: %w", what, err)
	}
	return out, nil
}

// ---- OAuth clients ----

func (q *queries) CreateOAuthClient(ctx context.Context, c store.OAuthClient) error {
	_, err := q.exec(ctx, `INSERT INTO oauth_clients (id, secret_hash, name, client_type, scopes, grant_types, redirect_uris,
		issuer_url, source_ip, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.SecretHash, c.Name, c.Type, encodeList(c.Scopes), encodeList(c.GrantTypes), encodeList(c.RedirectURIs),
		c.IssuerURL, c.SourceIP, micros(c.CreatedAt), micros(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlstore: create oauth client %s: %w", c.ID, err)
	}
	return nil
}

func (q *queries) GetOAuthClient(ctx context.Context, id string) (store.OAuthClient, error) {
	var (
		c                    store.OAuthClient
		scopes, grants, uris string
		created, expires     int64
	)
	err := q.row(ctx, `SELECT id, secret_hash, name, client_type, scopes, grant_types, redirect_uris, issuer_url, source_ip,
		created_at, expires_at FROM oauth_clients WHERE id = ?`, id).
		Scan(&c.ID, &c.SecretHash, &c.Name, &c.Type, &scopes, &grants, &uris, &c.IssuerURL, &c.SourceIP, &created, &expires)
	if err != nil {
		return c, notFound(err, "oauth client", id)
	}
	c.CreatedAt, c.ExpiresAt = fromMicros(created), fromMicros(expires)
	if c.Scopes, err = decodeList(scopes, "client scopes"); err != nil {
		return c, err
	}
	if c.GrantTypes, err = decodeList(grants, "client grant types"); err != nil {
		return c, err
	}
	if c.RedirectURIs, err = decodeList(uris, "client redirect uris"); err != nil {
		return c, err
	}
	return c, nil
}

// ---- device authorizations ----

const deviceAuthColumns = `code_hash, user_code_mac, client_id, start_url, scopes, status, user_id, session_id, source_ip, user_agent,
	interval_secs, last_poll_at, fast_polls, created_at, expires_at, decided_at`

func scanDeviceAuth(s scanner) (store.DeviceAuthorization, error) {
	var (
		d                                   store.DeviceAuthorization
		scopes                              string
		lastPoll, created, expires, decided int64
	)
	if err := s.Scan(&d.CodeHash, &d.UserCodeMAC, &d.ClientID, &d.StartURL, &scopes, &d.Status, &d.UserID, &d.SessionID,
		&d.SourceIP, &d.UserAgent, &d.Interval, &lastPoll, &d.FastPolls, &created, &expires, &decided); err != nil {
		return d, err
	}
	d.LastPollAt, d.CreatedAt, d.ExpiresAt, d.DecidedAt = optTime(lastPoll), fromMicros(created), fromMicros(expires), optTime(decided)
	var err error
	d.Scopes, err = decodeList(scopes, "device authorization scopes")
	return d, err
}

// optTime reads a time stored as 0 when unset.
func optTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMicros(v)
}

// optMicros stores the zero time as 0.
func optMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

func (q *queries) CreateDeviceAuthorization(ctx context.Context, d store.DeviceAuthorization) error {
	_, err := q.exec(ctx, `INSERT INTO oauth_device_codes (`+deviceAuthColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.CodeHash, d.UserCodeMAC, d.ClientID, d.StartURL, encodeList(d.Scopes), d.Status, d.UserID, d.SessionID, d.SourceIP,
		d.UserAgent, d.Interval, optMicros(d.LastPollAt), d.FastPolls, micros(d.CreatedAt), micros(d.ExpiresAt), optMicros(d.DecidedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: create device authorization: %w", err)
	}
	return nil
}

func (q *queries) GetDeviceAuthorization(ctx context.Context, codeHash string) (store.DeviceAuthorization, error) {
	return queryOne(ctx, q, "device authorization", "", scanDeviceAuth,
		`SELECT `+deviceAuthColumns+` FROM oauth_device_codes WHERE code_hash = ?`, codeHash)
}

func (q *queries) GetDeviceAuthorizationByUserCode(ctx context.Context, mac string) (store.DeviceAuthorization, error) {
	return queryOne(ctx, q, "device authorization", "", scanDeviceAuth,
		`SELECT `+deviceAuthColumns+` FROM oauth_device_codes WHERE user_code_mac = ?`, mac)
}

func (q *queries) UpdateDeviceAuthorization(ctx context.Context, d store.DeviceAuthorization, fromStatus string) (bool, error) {
	res, err := q.exec(ctx, `UPDATE oauth_device_codes SET status = ?, user_id = ?, session_id = ?, interval_secs = ?,
		last_poll_at = ?, fast_polls = ?, decided_at = ? WHERE code_hash = ? AND status = ?`,
		d.Status, d.UserID, d.SessionID, d.Interval, optMicros(d.LastPollAt), d.FastPolls, optMicros(d.DecidedAt), d.CodeHash, fromStatus)
	if err != nil {
		return false, fmt.Errorf("sqlstore: update device authorization: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ---- authorization codes ----

func (q *queries) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	_, err := q.exec(ctx, `INSERT INTO oauth_auth_codes (code_hash, client_id, redirect_uri, code_challenge, scopes, user_id,
		session_id, family_id, redeemed_at, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.CodeHash, c.ClientID, c.RedirectURI, c.CodeChallenge, encodeList(c.Scopes), c.UserID, c.SessionID, c.FamilyID,
		optMicros(c.RedeemedAt), micros(c.CreatedAt), micros(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlstore: create authorization code: %w", err)
	}
	return nil
}

func (q *queries) GetAuthCode(ctx context.Context, codeHash string) (store.AuthCode, error) {
	var (
		c                          store.AuthCode
		scopes                     string
		redeemed, created, expires int64
	)
	err := q.row(ctx, `SELECT code_hash, client_id, redirect_uri, code_challenge, scopes, user_id, session_id, family_id,
		redeemed_at, created_at, expires_at FROM oauth_auth_codes WHERE code_hash = ?`, codeHash).
		Scan(&c.CodeHash, &c.ClientID, &c.RedirectURI, &c.CodeChallenge, &scopes, &c.UserID, &c.SessionID, &c.FamilyID,
			&redeemed, &created, &expires)
	if err != nil {
		return c, notFound(err, "authorization code", "")
	}
	c.RedeemedAt, c.CreatedAt, c.ExpiresAt = optTime(redeemed), fromMicros(created), fromMicros(expires)
	c.Scopes, err = decodeList(scopes, "authorization code scopes")
	return c, err
}

func (q *queries) RedeemAuthCode(ctx context.Context, codeHash, familyID string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE oauth_auth_codes SET family_id = ?, redeemed_at = ? WHERE code_hash = ? AND redeemed_at = 0`,
		familyID, micros(at), codeHash)
	if err != nil {
		return false, fmt.Errorf("sqlstore: redeem authorization code: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ---- OAuth tokens ----

func (q *queries) CreateOAuthToken(ctx context.Context, t store.OAuthToken) error {
	_, err := q.exec(ctx, `INSERT INTO oauth_tokens (token_hash, kind, family_id, client_id, user_id, session_id, scopes, status,
		created_at, expires_at, rotated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.TokenHash, t.Kind, t.FamilyID, t.ClientID, t.UserID, t.SessionID, encodeList(t.Scopes), t.Status,
		micros(t.CreatedAt), micros(t.ExpiresAt), optMicros(t.RotatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: create oauth token: %w", err)
	}
	return nil
}

func (q *queries) GetOAuthToken(ctx context.Context, tokenHash string) (store.OAuthToken, error) {
	var (
		t                         store.OAuthToken
		scopes                    string
		created, expires, rotated int64
	)
	err := q.row(ctx, `SELECT token_hash, kind, family_id, client_id, user_id, session_id, scopes, status, created_at,
		expires_at, rotated_at FROM oauth_tokens WHERE token_hash = ?`, tokenHash).
		Scan(&t.TokenHash, &t.Kind, &t.FamilyID, &t.ClientID, &t.UserID, &t.SessionID, &scopes, &t.Status, &created, &expires, &rotated)
	if err != nil {
		return t, notFound(err, "oauth token", "")
	}
	t.CreatedAt, t.ExpiresAt, t.RotatedAt = fromMicros(created), fromMicros(expires), optTime(rotated)
	t.Scopes, err = decodeList(scopes, "token scopes")
	return t, err
}

func (q *queries) GetTokenGrant(ctx context.Context, tokenHash string, now time.Time) (store.TokenGrant, error) {
	var (
		g                         store.TokenGrant
		scopes                    string
		created, expires, rotated int64
		userFound, sessionLive    int
		ud                        userDest
		sd                        sessionDest
	)
	t := &g.Token
	dests := []any{&t.TokenHash, &t.Kind, &t.FamilyID, &t.ClientID, &t.UserID, &t.SessionID, &scopes, &t.Status, &created,
		&expires, &rotated, &userFound}
	dests = append(dests, ud.dests()...)
	dests = append(dests, &sessionLive)
	dests = append(dests, sd.dests()...)
	err := q.row(ctx, tokenGrantQuery, micros(now), tokenHash).Scan(dests...)
	if err != nil {
		return g, notFound(err, "oauth token", "")
	}
	t.CreatedAt, t.ExpiresAt, t.RotatedAt = fromMicros(created), fromMicros(expires), optTime(rotated)
	if t.Scopes, err = decodeList(scopes, "token scopes"); err != nil {
		return g, err
	}
	if userFound == 1 {
		if g.User, err = ud.finish(); err != nil {
			return g, err
		}
		g.UserFound = true
	}
	if sessionLive == 1 {
		g.Session, g.SessionLive = sd.finish(), true
	}
	return g, nil
}

// tokenGrantQuery reads a token, its user and its live portal session in
// one statement. The user and the session may be missing (LEFT JOIN): their
// columns are then read as empty values, and a flag says which are there.
var tokenGrantQuery = `SELECT t.token_hash, t.kind, t.family_id, t.client_id, t.user_id, t.session_id, t.scopes, t.status,
	t.created_at, t.expires_at, t.rotated_at,
	CASE WHEN u.id IS NULL THEN 0 ELSE 1 END,
	COALESCE(u.id, ''), COALESCE(u.user_name, ''), COALESCE(u.user_name_key, ''), u.email_key, COALESCE(u.display_name, ''),
	COALESCE(u.status, ''), COALESCE(u.profile, ''), COALESCE(u.created_at, 0), COALESCE(u.created_by, ''),
	COALESCE(u.updated_at, 0), COALESCE(u.updated_by, ''), COALESCE(u.version, 0),
	CASE WHEN s.id IS NULL THEN 0 ELSE 1 END,
	COALESCE(s.id, ''), COALESCE(s.token_hash, ''), COALESCE(s.user_id, ''), COALESCE(s.mfa_method, ''),
	COALESCE(s.source_ip, ''), COALESCE(s.user_agent, ''), COALESCE(s.created_at, 0), COALESCE(s.auth_time, 0),
	COALESCE(s.expires_at, 0), COALESCE(s.last_seen_at, 0)
	FROM oauth_tokens t
	LEFT JOIN users u ON u.id = t.user_id
	LEFT JOIN portal_sessions s ON s.id = t.session_id AND s.user_id = t.user_id AND s.expires_at > ?
	WHERE t.token_hash = ?`

func (q *queries) RotateOAuthToken(ctx context.Context, tokenHash string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE oauth_tokens SET status = ?, rotated_at = ? WHERE token_hash = ? AND status = ?`,
		store.TokenRotated, micros(at), tokenHash, store.TokenActive)
	if err != nil {
		return false, fmt.Errorf("sqlstore: rotate oauth token: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (q *queries) DeleteOAuthFamily(ctx context.Context, familyID string) (int, error) {
	res, err := q.exec(ctx, `DELETE FROM oauth_tokens WHERE family_id = ?`, familyID)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete token family %s: %w", familyID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (q *queries) DeleteOAuthTokensOfUser(ctx context.Context, userID string) (int, error) {
	res, err := q.exec(ctx, `DELETE FROM oauth_tokens WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: delete tokens of %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ---- temporary credentials ----

func (q *queries) CreateTempCredential(ctx context.Context, c store.TempCredential) error {
	tags, err := json.Marshal(c.Tags)
	if err != nil {
		return fmt.Errorf("sqlstore: encode session tags of %s: %w", c.AccessKeyID, err)
	}
	mfa := 0
	if c.MFAPresent {
		mfa = 1
	}
	_, err = q.exec(ctx, `INSERT INTO temp_credentials (access_key_id, secret_sealed, token_hash, user_id, user_name, session_id,
		account_id, permission_set_id, role_name, role_id, mfa_present, auth_time, tags, source_ip, issued_at, expires_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.AccessKeyID, c.SecretSealed, c.TokenHash, c.UserID, c.UserName, c.SessionID, c.AccountID, c.PermissionSetID,
		c.RoleName, c.RoleID, mfa, optMicros(c.AuthTime), string(tags), c.SourceIP, micros(c.IssuedAt), micros(c.ExpiresAt),
		optMicros(c.RevokedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: create temporary credential %s: %w", c.AccessKeyID, err)
	}
	return nil
}

func (q *queries) GetTempCredential(ctx context.Context, id string) (store.TempCredential, error) {
	var (
		c                                  store.TempCredential
		mfa                                int64
		tags                               string
		authTime, issued, expires, revoked int64
	)
	err := q.row(ctx, `SELECT access_key_id, secret_sealed, token_hash, user_id, user_name, session_id, account_id,
		permission_set_id, role_name, role_id, mfa_present, auth_time, tags, source_ip, issued_at, expires_at, revoked_at
		FROM temp_credentials WHERE access_key_id = ?`, id).
		Scan(&c.AccessKeyID, &c.SecretSealed, &c.TokenHash, &c.UserID, &c.UserName, &c.SessionID, &c.AccountID,
			&c.PermissionSetID, &c.RoleName, &c.RoleID, &mfa, &authTime, &tags, &c.SourceIP, &issued, &expires, &revoked)
	if err != nil {
		return c, notFound(err, "temporary credential", id)
	}
	c.MFAPresent = mfa != 0
	c.AuthTime, c.IssuedAt, c.ExpiresAt, c.RevokedAt = optTime(authTime), fromMicros(issued), fromMicros(expires), optTime(revoked)
	if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil {
		return c, fmt.Errorf("sqlstore: decode session tags of %s: %w", id, err)
	}
	return c, nil
}

func (q *queries) RevokeTempCredentialsOfSession(ctx context.Context, sessionID string, at time.Time) (int, error) {
	res, err := q.exec(ctx, `UPDATE temp_credentials SET revoked_at = ? WHERE session_id = ? AND revoked_at = 0`, micros(at), sessionID)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: revoke credentials of session %s: %w", sessionID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (q *queries) GetCredentialRevocation(ctx context.Context, userID string) (time.Time, error) {
	var nb int64
	if err := q.row(ctx, `SELECT not_before FROM credential_revocations WHERE user_id = ?`, userID).Scan(&nb); err != nil {
		return time.Time{}, notFound(err, "credential revocation of", userID)
	}
	return fromMicros(nb), nil
}

func (q *queries) PutCredentialRevocation(ctx context.Context, userID string, notBefore time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO credential_revocations (user_id, not_before) VALUES (?, ?)
		ON CONFLICT (user_id) DO UPDATE SET not_before = excluded.not_before
		WHERE credential_revocations.not_before < excluded.not_before`, userID, micros(notBefore))
	if err != nil {
		return fmt.Errorf("sqlstore: revoke credentials of %s: %w", userID, err)
	}
	return nil
}

// ---- rate limits and expiry ----

func (q *queries) HitRateLimit(ctx context.Context, key string, now time.Time, window time.Duration) (int, error) {
	var (
		start, end int64
		hits       int
	)
	err := q.row(ctx, `SELECT window_start, window_end, hits FROM oauth_rate_limits WHERE limit_key = ?`, key).Scan(&start, &end, &hits)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("sqlstore: read rate limit %s: %w", key, err)
	}
	if end <= micros(now) {
		start, end, hits = micros(now), micros(now.Add(window)), 0
	}
	hits++
	_, err = q.exec(ctx, `INSERT INTO oauth_rate_limits (limit_key, window_start, window_end, hits) VALUES (?, ?, ?, ?)
		ON CONFLICT (limit_key) DO UPDATE SET window_start = excluded.window_start, window_end = excluded.window_end,
		hits = excluded.hits`, key, start, end, hits)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: hit rate limit %s: %w", key, err)
	}
	return hits, nil
}

func (q *queries) PurgeExpiredTokens(ctx context.Context, now time.Time) (int, error) {
	n := 0
	for _, stmt := range []string{
		`DELETE FROM oauth_clients WHERE expires_at <= ?`,
		`DELETE FROM oauth_device_codes WHERE expires_at <= ?`,
		`DELETE FROM oauth_auth_codes WHERE expires_at <= ?`,
		`DELETE FROM oauth_tokens WHERE expires_at <= ?`,
		`DELETE FROM temp_credentials WHERE expires_at <= ?`,
		`DELETE FROM oauth_rate_limits WHERE window_end <= ?`,
	} {
		res, err := q.exec(ctx, stmt, micros(now))
		if err != nil {
			return n, fmt.Errorf("sqlstore: purge expired tokens: %w", err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}
