// Package tempcred mints, resolves and revokes temporary credentials: the
// ASIA… access key, secret access key and session token of a role session
// that GetRoleCredentials hands out.
//
// The store keeps the secret sealed by the keyring and the session token
// only as its SHA-256 hash, so a database dump holds nothing that signs a
// request. Resolving a key (for SigV4 verification) reads the credential,
// the user's revocation time and whether the user still holds the
// permission set in the account; the answer is cached for at most
// CacheTTL, which is the documented bound on how long a revocation made on
// another replica takes to be seen (the replica that revokes forgets its
// own cache at once). Expiry is checked on every use.
//
// Revocation has three forms: every credential of a user issued before a
// time (disabling or deleting the user, an administrator revoking the
// user's sessions: AWS's "revoke older sessions"), the credentials of one
// portal session (an administrator ending that session), and, implicitly,
// the loss of the assignment that granted the role.
package tempcred

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/arn"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Bounds of the resolution cache.
const (
	// DefaultCacheTTL is how long a resolved credential is trusted without
	// reading the store again.
	DefaultCacheTTL = 2 * time.Second
	// MaxCacheTTL is the documented upper bound on revocation propagation.
	MaxCacheTTL = 5 * time.Second
	// maxCached bounds the cache; many distinct keys only come from misuse.
	maxCached = 100_000
)

// Entitlements says whether a user still holds a permission set in an
// account, directly or through a group.
type Entitlements interface {
	Entitled(ctx context.Context, userID, accountID, permissionSetID string) (bool, error)
}

// Options configure the service.
type Options struct {
	Now func() time.Time
	Log *slog.Logger
	// CacheTTL bounds how long a resolution is reused; 0 means
	// DefaultCacheTTL, a negative value disables the cache, and values
	// above MaxCacheTTL are lowered to it.
	CacheTTL time.Duration
}

// Service mints, resolves and revokes temporary credentials.
type Service struct {
	store        store.Store
	keys         *keyring.Keyring
	entitlements Entitlements
	now          func() time.Time
	log          *slog.Logger
	ttl          time.Duration

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	session Session
	until   time.Time
}

// New returns the service.
func New(s store.Store, keys *keyring.Keyring, e Entitlements, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.CacheTTL == 0:
		o.CacheTTL = DefaultCacheTTL
	case o.CacheTTL > MaxCacheTTL:
		o.CacheTTL = MaxCacheTTL
	}
	return &Service{store: s, keys: keys, entitlements: e, now: o.Now, log: o.Log, ttl: o.CacheTTL, cache: map[string]cached{}}
}

// CacheTTL returns the propagation bound in force.
func (s *Service) CacheTTL() time.Duration { return max(s.ttl, 0) }

// Request is what a role session is minted for.
type Request struct {
	UserID   string
	UserName string
	// SessionID is the portal session whose token asked.
	SessionID       string
	AccountID       string
	PermissionSetID string
	// RoleName is the provisioned AWSReservedSSO_… role, RoleID its AROA…
	// id.
	RoleName   string
	RoleID     string
	Duration   time.Duration
	MFAPresent bool
	AuthTime   time.Time
	Tags       map[string]string
	SourceIP   string
}

// Credentials are freshly minted temporary credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey keyring.Secret
	SessionToken    keyring.Secret
	Expiration      time.Time
}

func sealPurpose(id string) string { return "temp-credential:" + id }

// newSessionToken returns an opaque random session token (as long as a
// typical AWS one, so that clients sized for those are fine with it).
func newSessionToken() string {
	b := make([]byte, 192)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// HashToken returns the stored form of a session token.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Mint issues credentials inside the caller's transaction (which also
// stages the audit event).
func (s *Service) Mint(ctx context.Context, tx store.Tx, r Request) (Credentials, error) {
	if r.Duration <= 0 {
		return Credentials{}, errors.New("tempcred: a session needs a positive duration")
	}
	now := s.now().UTC()
	c := Credentials{
		AccessKeyID:     arn.NewAccessKeyID("ASIA"),
		SecretAccessKey: keyring.Secret(arn.NewSecretAccessKey()),
		SessionToken:    keyring.Secret(newSessionToken()),
		Expiration:      now.Add(r.Duration).Truncate(time.Second),
	}
	rec := store.TempCredential{
		AccessKeyID:     c.AccessKeyID,
		SecretSealed:    s.keys.Seal(sealPurpose(c.AccessKeyID), []byte(c.SecretAccessKey.Reveal())),
		TokenHash:       base64.RawStdEncoding.EncodeToString(HashToken(c.SessionToken.Reveal())),
		UserID:          r.UserID,
		UserName:        r.UserName,
		SessionID:       r.SessionID,
		AccountID:       r.AccountID,
		PermissionSetID: r.PermissionSetID,
		RoleName:        r.RoleName,
		RoleID:          r.RoleID,
		MFAPresent:      r.MFAPresent,
		AuthTime:        r.AuthTime,
		Tags:            r.Tags,
		SourceIP:        r.SourceIP,
		IssuedAt:        now,
		ExpiresAt:       c.Expiration,
	}
	if err := tx.CreateTempCredential(ctx, rec); err != nil {
		return Credentials{}, fmt.Errorf("tempcred: store %s: %w", c.AccessKeyID, err)
	}
	return c, nil
}

// Session is a resolved credential: what SigV4 verification and the
// caller's identity need.
type Session struct {
	AccessKeyID     string
	Secret          keyring.Secret
	TokenHash       []byte
	UserID          string
	UserName        string
	AccountID       string
	PermissionSetID string
	RoleName        string
	RoleID          string
	MFAPresent      bool
	AuthTime        time.Time
	Tags            map[string]string
	IssuedAt        time.Time
	ExpiresAt       time.Time
	// Revoked reports credentials that must no longer work; the reason
	// is in the log, never on the wire.
	Revoked bool
}

// ARN returns the assumed-role session ARN:
// arn:aws:sts::<account>:assumed-role/<role>/<user>.
func (s Session) ARN() string {
	return "arn:aws:sts::" + s.AccountID + ":assumed-role/" + s.RoleName + "/" + s.UserName
}

// PrincipalID returns the session's userid: <role id>:<user>.
func (s Session) PrincipalID() string { return s.RoleID + ":" + s.UserName }

// ErrUnknown is returned for an access key id that Gatehouse never issued
// (or whose record expired and was purged).
var ErrUnknown = errors.New("tempcred: unknown access key")

// Resolve returns the session of an access key id. Expiry is the caller's
// to check against its clock; Revoked is decided here.
func (s *Service) Resolve(ctx context.Context, id string) (Session, error) {
	now := s.now()
	if s.ttl > 0 {
		s.mu.Lock()
		c, ok := s.cache[id]
		s.mu.Unlock()
		if ok && now.Before(c.until) {
			return c.session, nil
		}
	}
	sess, err := s.load(ctx, id)
	if err != nil {
		return Session{}, err
	}
	if s.ttl > 0 {
		s.mu.Lock()
		if len(s.cache) >= maxCached {
			clear(s.cache)
		}
		s.cache[id] = cached{session: sess, until: now.Add(s.ttl)}
		s.mu.Unlock()
	}
	return sess, nil
}

func (s *Service) load(ctx context.Context, id string) (Session, error) {
	rec, err := s.store.GetTempCredential(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrUnknown
	}
	if err != nil {
		return Session{}, fmt.Errorf("tempcred: look up %s: %w", id, err)
	}
	secret, err := s.keys.Open(sealPurpose(id), rec.SecretSealed)
	if err != nil {
		return Session{}, fmt.Errorf("tempcred: open secret of %s: %w", id, err)
	}
	hash, err := base64.RawStdEncoding.DecodeString(rec.TokenHash)
	if err != nil {
		return Session{}, fmt.Errorf("tempcred: token hash of %s: %w", id, err)
	}
	sess := Session{
		AccessKeyID: id, Secret: keyring.Secret(secret), TokenHash: hash, UserID: rec.UserID, UserName: rec.UserName,
		AccountID: rec.AccountID, PermissionSetID: rec.PermissionSetID, RoleName: rec.RoleName, RoleID: rec.RoleID,
		MFAPresent: rec.MFAPresent, AuthTime: rec.AuthTime, Tags: rec.Tags, IssuedAt: rec.IssuedAt, ExpiresAt: rec.ExpiresAt,
	}
	reason, err := s.revocation(ctx, rec)
	if err != nil {
		return Session{}, err
	}
	if reason != "" {
		sess.Revoked = true
		s.log.Debug("temporary credentials revoked", "access_key_id", id, "user_id", rec.UserID, "reason", reason)
	}
	return sess, nil
}

// revocation says why a credential no longer works, or "".
func (s *Service) revocation(ctx context.Context, rec store.TempCredential) (string, error) {
	if !rec.RevokedAt.IsZero() {
		return "session ended", nil
	}
	nb, err := s.store.GetCredentialRevocation(ctx, rec.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("tempcred: revocation of %s: %w", rec.UserID, err)
	}
	if err == nil && !rec.IssuedAt.After(nb) {
		return "issued before the user's revocation", nil
	}
	u, err := s.store.GetUser(ctx, rec.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return "user deleted", nil
	}
	if err != nil {
		return "", fmt.Errorf("tempcred: user of %s: %w", rec.AccessKeyID, err)
	}
	if u.Status != directory.StatusEnabled {
		return "user disabled", nil
	}
	ok, err := s.entitlements.Entitled(ctx, rec.UserID, rec.AccountID, rec.PermissionSetID)
	if err != nil {
		return "", fmt.Errorf("tempcred: entitlement of %s: %w", rec.AccessKeyID, err)
	}
	if !ok {
		return "assignment removed", nil
	}
	return "", nil
}

// forget drops cached resolutions after a revocation on this replica.
func (s *Service) forget() {
	s.mu.Lock()
	clear(s.cache)
	s.mu.Unlock()
}

// RevokeUser revokes, inside tx, every credential of the user issued up to
// now. This replica forgets its cache when tx commits; other replicas see
// the revocation within CacheTTL.
func (s *Service) RevokeUser(ctx context.Context, tx store.Tx, userID string) error {
	if err := tx.PutCredentialRevocation(ctx, userID, s.now().UTC()); err != nil {
		return fmt.Errorf("tempcred: revoke credentials of %s: %w", userID, err)
	}
	// After the commit, not now: a resolution running meanwhile reads the
	// state from before it and would cache that as still valid.
	tx.AfterCommit(s.forget)
	return nil
}

// RevokeSession revokes, inside tx, the credentials issued under one
// portal session; this replica forgets its cache when tx commits.
func (s *Service) RevokeSession(ctx context.Context, tx store.Tx, sessionID string) error {
	if _, err := tx.RevokeTempCredentialsOfSession(ctx, sessionID, s.now().UTC()); err != nil {
		return fmt.Errorf("tempcred: revoke credentials of session %s: %w", sessionID, err)
	}
	tx.AfterCommit(s.forget)
	return nil
}

// Hook revokes a user's credentials in the transaction that disables or
// deletes the user.
type Hook struct{ s *Service }

// Hook returns the directory hook of the service.
func (s *Service) Hook() Hook { return Hook{s: s} }

var _ directory.Hook = Hook{}

// UserDisabled revokes every credential of the user.
func (h Hook) UserDisabled(ctx context.Context, tx store.Tx, userID string) error {
	return h.s.RevokeUser(ctx, tx, userID)
}

// UserDeleted revokes every credential of the user.
func (h Hook) UserDeleted(ctx context.Context, tx store.Tx, userID string) error {
	return h.s.RevokeUser(ctx, tx, userID)
}

// GroupDeleted needs nothing: credentials that came through the group
// fail the entitlement check at their next resolution.
func (Hook) GroupDeleted(context.Context, store.Tx, string) error { return nil }

// SessionsEnded implements signin.SessionHook: ending one portal session
// revokes the credentials issued under it; ending all of a user's sessions
// (an administrator's "revoke sessions") revokes every credential of the
// user issued until now.
func (h Hook) SessionsEnded(ctx context.Context, tx store.Tx, userID, sessionID string) error {
	if sessionID == "" {
		return h.s.RevokeUser(ctx, tx, userID)
	}
	return h.s.RevokeSession(ctx, tx, sessionID)
}
