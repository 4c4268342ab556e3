package authz

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/tempcred"
)

// Errors of credential resolution. Enforcement points map them to their
// protocol's codes: InvalidAccessKeyId, InvalidToken, ExpiredToken and
// AccessDenied for S3.
var (
	// ErrUnknownKey: no such access key, or it is inactive.
	ErrUnknownKey = errors.New("authz: unknown access key")
	// ErrInvalidToken: the session token is not the one issued with the
	// access key (or a long-term key came with a token).
	ErrInvalidToken = errors.New("authz: invalid session token")
	// ErrExpired: the session has expired.
	ErrExpired = errors.New("authz: session expired")
	// ErrRevoked: the session was revoked (one by one, or every session of
	// the user issued before a time). A revoked session's requests are
	// denied, and the denial is audited like any other.
	ErrRevoked = errors.New("authz: session revoked")
)

// AdminKeys resolves administrators' long-term access keys;
// *accesskey.Service provides it.
type AdminKeys interface {
	Lookup(ctx context.Context, id string) (accesskey.Key, error)
}

// Sessions resolves temporary credentials; *tempcred.Service provides it.
type Sessions interface {
	// Resolve returns the session of an ASIA access key, or an error
	// wrapping tempcred.ErrUnknown.
	Resolve(ctx context.Context, accessKeyID string) (tempcred.Session, error)
}

// Resolver turns an access key id into its secret and its principal.
type Resolver struct {
	admins   AdminKeys
	sessions Sessions
	now      func() time.Time
}

// NewResolver returns a resolver of administrator keys and, when sessions
// is not nil, of temporary credentials.
func NewResolver(admins AdminKeys, sessions Sessions, now func() time.Time) *Resolver {
	if now == nil {
		now = time.Now
	}
	return &Resolver{admins: admins, sessions: sessions, now: now}
}

// Credential is an access key found by Lookup: its secret, for signature
// verification, and the principal it signs as, valid once Check passes.
type Credential struct {
	Secret    string
	Principal Principal

	session *tempcred.Session
}

// Lookup finds an access key. ASIA keys are temporary credentials, every
// other key an administrator's. It returns an error wrapping ErrUnknownKey
// for keys that sign nothing.
func (r *Resolver) Lookup(ctx context.Context, accessKeyID string) (*Credential, error) {
	if strings.HasPrefix(accessKeyID, "ASIA") {
		if r.sessions == nil {
			return nil, fmt.Errorf("access key %s: temporary credentials are not served: %w", accessKeyID, ErrUnknownKey)
		}
		s, err := r.sessions.Resolve(ctx, accessKeyID)
		if errors.Is(err, tempcred.ErrUnknown) {
			return nil, fmt.Errorf("access key %s: %w", accessKeyID, ErrUnknownKey)
		}
		if err != nil {
			return nil, err
		}
		return &Credential{Secret: s.Secret.Reveal(), Principal: sessionPrincipal(&s), session: &s}, nil
	}
	k, err := r.admins.Lookup(ctx, accessKeyID)
	if errors.Is(err, accesskey.ErrUnknown) {
		return nil, fmt.Errorf("access key %s: %w", accessKeyID, ErrUnknownKey)
	}
	if err != nil {
		return nil, err
	}
	name := k.UserName()
	return &Credential{Secret: k.Secret.Reveal(), Principal: Principal{
		Kind: KindAdmin, AccessKeyID: k.ID, AccountID: k.AccountID,
		ARN: k.PrincipalARN, PrincipalARN: k.PrincipalARN, PrincipalID: k.UserID(), UserName: name,
	}}, nil
}

func sessionPrincipal(s *tempcred.Session) Principal {
	p := Principal{
		Kind: KindRoleSession, AccessKeyID: s.AccessKeyID, AccountID: s.AccountID,
		ARN:          s.ARN(),
		PrincipalARN: RoleARN(s.AccountID, s.RoleName),
		PrincipalID:  s.PrincipalID(),
		UserName:     s.UserName, UserID: s.UserID,
		RoleName: s.RoleName, RoleID: s.RoleID, PermissionSetID: s.PermissionSetID,
		MFAPresent: s.MFAPresent, AuthTime: s.AuthTime, IssuedAt: s.IssuedAt, ExpiresAt: s.ExpiresAt,
		Tags: s.Tags,
	}
	if !s.IssuedAt.IsZero() {
		p.issued = s.IssuedAt.UTC().Format(time.RFC3339)
	}
	return p
}

// Check validates the rest of a verified request's credentials: the
// session token (temporary credentials need their own; long-term keys take
// none), the expiry and the revocation of a session. It returns
// ErrInvalidToken, ErrExpired or ErrRevoked.
func (c *Credential) Check(token string, now time.Time) error {
	if c.session == nil {
		if token != "" {
			// AWS rejects a session token sent with a long-term key.
			return ErrInvalidToken
		}
		return nil
	}
	if token == "" || subtle.ConstantTimeCompare(tempcred.HashToken(token), c.session.TokenHash) != 1 {
		return ErrInvalidToken
	}
	return c.CheckSession(now)
}

// CheckSession reports whether a session's credentials still work, for
// callers that authenticated the request themselves: ErrExpired,
// ErrRevoked or nil (also for long-term keys).
func (c *Credential) CheckSession(now time.Time) error {
	if c.session == nil {
		return nil
	}
	if !now.Before(c.session.ExpiresAt) {
		return ErrExpired
	}
	if c.session.Revoked {
		return ErrRevoked
	}
	return nil
}
