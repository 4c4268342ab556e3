// Package oauth holds the semantics of sso-oidc: registered public clients,
// the device authorization grant (RFC 8628), the authorization code grant
// with PKCE (RFC 7636) and loopback redirect URIs (RFC 8252), access and
// refresh tokens with rotation and reuse detection (RFC 9700), and the
// checks every grant makes (client, user enabled and unlocked, the portal
// session still alive).
//
// All state lives in the store, so any replica serves any step: single-use
// transitions (a device code decided, a code redeemed, a refresh token
// rotated) are compare-and-set writes that exactly one caller wins. Codes,
// secrets and tokens are 256-bit random values kept only as SHA-256 hashes;
// user codes, short by design, are kept as keyed MACs and protected by
// rate limits.
//
// Tokens belong to a portal session: they expire with it and stop working
// when it ends (sign-out, an administrator, disabling the user). The
// package does not know HTTP; the sso-oidc and portal adapters and the web
// pages call it.
package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Lifetimes and limits. AWS's values where AWS has one.
const (
	ClientSecretTTL = 90 * 24 * time.Hour
	DeviceCodeTTL   = 10 * time.Minute
	// DefaultInterval is the polling interval handed out (AWS: 1 s).
	DefaultInterval = 1
	// SlowDownStep is what each slow_down adds to the interval (RFC 8628).
	SlowDownStep = 5
	// DefaultAuthCodeTTL bounds an authorization code (RFC 9700: short).
	DefaultAuthCodeTTL = 10 * time.Minute
	// AccessTokenTTL is the lifetime of access tokens that come with a
	// refresh token; without one (legacy clients) an access token lives as
	// long as the portal session.
	AccessTokenTTL = time.Hour
	// ReuseGrace is how long after a rotation a second use of the old
	// refresh token is taken for a client's concurrent retry (refused,
	// family kept) rather than for theft (family revoked).
	ReuseGrace = 10 * time.Second
)

// Scope the AWS CLI and SDKs ask for.
const ScopeAccountAccess = "sso:account:access"

// Grant types.
const (
	GrantDeviceCode   = "urn:ietf:params:oauth:grant-type:device_code"
	GrantAuthCode     = "authorization_code"
	GrantRefreshToken = "refresh_token"
)

// Limits are the rate limits of the endpoints people and clients can hit
// without credentials.
type Limits struct {
	// RegistrationsPerIP bounds RegisterClient per source address per
	// Window.
	RegistrationsPerIP int
	// UserCodeFailuresPerIP, PerSession and Global bound wrong user codes
	// at the verification page per Window.
	UserCodeFailuresPerIP      int
	UserCodeFailuresPerSession int
	UserCodeFailuresGlobal     int
	Window                     time.Duration
}

// DefaultLimits are generous for people and tight for scripts.
var DefaultLimits = Limits{RegistrationsPerIP: 30, UserCodeFailuresPerIP: 20, UserCodeFailuresPerSession: 10,
	UserCodeFailuresGlobal: 500, Window: 10 * time.Minute}

// LockChecker says whether a user is locked out of sign-in.
type LockChecker interface {
	Locked(ctx context.Context, userID string) (bool, error)
}

// Config wires a Service.
type Config struct {
	Store store.Store
	Keys  *keyring.Keyring
	Locks LockChecker
	// PublicURL is the base of the verification and authorization pages.
	PublicURL string
	// AuthCodeTTL bounds authorization codes (60 s to 10 min; default
	// 10 min).
	AuthCodeTTL time.Duration
	// DisableDeviceGrant refuses the device authorization grant (an
	// administrator's defence against device-code phishing).
	DisableDeviceGrant bool
	Limits             Limits
	// Region, AccountID and IdentityStoreARN go into audit events.
	Region           string
	AccountID        string
	IdentityStoreARN string
	Log              *slog.Logger
	Now              func() time.Time
}

// Service implements the OAuth flows.
type Service struct {
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	macKey []byte
}

// New returns the service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.AuthCodeTTL <= 0 || cfg.AuthCodeTTL > DefaultAuthCodeTTL {
		cfg.AuthCodeTTL = DefaultAuthCodeTTL
	}
	cfg.AuthCodeTTL = max(cfg.AuthCodeTTL, time.Minute)
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	return &Service{cfg: cfg, now: cfg.Now, log: cfg.Log, macKey: cfg.Keys.MACKey("oauth-user-code")}
}

// PublicURL returns the configured base URL.
func (s *Service) PublicURL() string { return s.cfg.PublicURL }

// ---- errors (AWS sso-oidc exception names) ----

// Exception names of sso-oidc.
const (
	ExcInvalidRequest        = "InvalidRequestException"
	ExcInvalidClient         = "InvalidClientException"
	ExcInvalidGrant          = "InvalidGrantException"
	ExcUnauthorizedClient    = "UnauthorizedClientException"
	ExcUnsupportedGrantType  = "UnsupportedGrantTypeException"
	ExcInvalidScope          = "InvalidScopeException"
	ExcAuthorizationPending  = "AuthorizationPendingException"
	ExcSlowDown              = "SlowDownException"
	ExcAccessDenied          = "AccessDeniedException"
	ExcExpiredToken          = "ExpiredTokenException"
	ExcInvalidClientMetadata = "InvalidClientMetadataException"
	ExcInvalidRedirectURI    = "InvalidRedirectUriException"
)

func oerr(code, format string, args ...any) *fault.Error {
	kind := fault.Invalid
	switch code {
	case ExcInvalidClient:
		kind = fault.Unauthenticated
	case ExcAccessDenied:
		kind = fault.Denied
	case ExcSlowDown:
		kind = fault.Throttled
	}
	e := fault.New(kind, format, args...)
	e.Code = code
	return e
}

// ErrorCode returns the sso-oidc exception name of an error from this
// package, or "".
func ErrorCode(err error) string {
	if f, ok := fault.As(err); ok {
		return f.Code
	}
	return ""
}

// ---- random values, hashes, MACs ----

func random(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// hash is the stored form of a code, secret or token.
func hash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// hashEqual compares a presented value with a stored hash in constant time.
func hashEqual(presented, stored string) bool {
	return subtle.ConstantTimeCompare([]byte(hash(presented)), []byte(stored)) == 1
}

// Token prefixes name the kind of a value, so a token of one kind is never
// taken for another (it is also checked against the stored kind).
const (
	prefixAccess  = "ghat_"
	prefixRefresh = "ghrt_"
	prefixDevice  = "ghdc_"
	prefixCode    = "ghac_"
	prefixSecret  = "ghcs_"
)

// ---- users and sessions ----

// Grant is what a valid access token stands for.
type Grant struct {
	UserID    string
	UserName  string
	SessionID string
	ClientID  string
	FamilyID  string
	Scopes    []string
	// MFAPresent and AuthTime come from the portal sign-in.
	MFAPresent bool
	AuthTime   time.Time
	ExpiresAt  time.Time
	// User is the user record read to check the grant (enabled, not
	// locked), for callers that need more of it than the name.
	User store.User
}

// errUserCannot is the caller-safe failure of a grant for a user who may
// not have tokens any more; the reason goes to the log.
var errUserCannot = oerr(ExcInvalidGrant, "The grant is no longer valid.")

// usableUser checks that the user exists, is enabled and is not locked.
func (s *Service) usableUser(ctx context.Context, r store.Reader, userID string) (store.User, error) {
	u, err := r.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Info("grant refused", "user_id", userID, "reason", "user deleted")
		return u, errUserCannot
	}
	if err != nil {
		return u, fmt.Errorf("oauth: user %s: %w", userID, err)
	}
	return u, s.checkUser(ctx, u)
}

// checkUser checks that a user record read is enabled and not locked.
func (s *Service) checkUser(ctx context.Context, u store.User) error {
	userID := u.ID
	if u.Status != directory.StatusEnabled {
		s.log.Info("grant refused", "user_id", userID, "reason", "user disabled")
		return errUserCannot
	}
	if s.cfg.Locks != nil {
		locked, err := s.cfg.Locks.Locked(ctx, userID)
		if err != nil {
			return fmt.Errorf("oauth: lock state of %s: %w", userID, err)
		}
		if locked {
			s.log.Info("grant refused", "user_id", userID, "reason", "user locked")
			return errUserCannot
		}
	}
	return nil
}

// liveSession returns the user's portal session if it has not ended.
func (s *Service) liveSession(ctx context.Context, r store.Reader, userID, sessionID string) (store.PortalSession, bool, error) {
	list, err := r.ListPortalSessions(ctx, userID, s.now())
	if err != nil {
		return store.PortalSession{}, false, fmt.Errorf("oauth: sessions of %s: %w", userID, err)
	}
	for _, ps := range list {
		if ps.ID == sessionID {
			return ps, true, nil
		}
	}
	return store.PortalSession{}, false, nil
}

// ---- clients ----

// authClient checks a client's id and secret.
func (s *Service) authClient(ctx context.Context, r store.Reader, id, secret string) (store.OAuthClient, error) {
	c, err := r.GetOAuthClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// Spend the same time as a real comparison.
		hashEqual(secret, hash("x"))
		return c, oerr(ExcInvalidClient, "Invalid client credentials.")
	}
	if err != nil {
		return c, fmt.Errorf("oauth: client %s: %w", id, err)
	}
	if !hashEqual(secret, c.SecretHash) {
		return c, oerr(ExcInvalidClient, "Invalid client credentials.")
	}
	if !s.now().Before(c.ExpiresAt) {
		return c, oerr(ExcInvalidClient, "The client registration has expired. Register the client again.")
	}
	return c, nil
}

// allows reports whether a client may use a grant type. Clients that
// registered without grant types (the CLI's device flow) may use the
// device and refresh grants.
func (c clientView) allows(grant string) bool {
	if len(c.GrantTypes) == 0 {
		return grant == GrantDeviceCode || grant == GrantRefreshToken
	}
	return slices.Contains(c.GrantTypes, grant)
}

type clientView store.OAuthClient

// issueRefresh reports whether a client gets refresh tokens: clients
// registered with scopes (sso-session configurations), as in AWS.
func (c clientView) issueRefresh() bool {
	return len(c.Scopes) > 0 && (len(c.GrantTypes) == 0 || slices.Contains(c.GrantTypes, GrantRefreshToken))
}

// ---- tokens ----

// TokenSet is what CreateToken returns.
type TokenSet struct {
	AccessToken  keyring.Secret
	RefreshToken keyring.Secret
	ExpiresIn    int
	// UserID and FamilyID name what was issued, for the audit record.
	UserID   string
	FamilyID string
}

// mintTokens issues an access token (and a refresh token for clients that
// get one) in family for the session, inside tx.
func (s *Service) mintTokens(ctx context.Context, tx store.Tx, c store.OAuthClient, ps store.PortalSession, familyID string, scopes []string) (TokenSet, error) {
	now := s.now().UTC()
	cv := clientView(c)
	accessExp := ps.ExpiresAt
	if cv.issueRefresh() && now.Add(AccessTokenTTL).Before(accessExp) {
		accessExp = now.Add(AccessTokenTTL)
	}
	set := TokenSet{AccessToken: keyring.Secret(random(prefixAccess, 32)), UserID: ps.UserID, FamilyID: familyID}
	set.ExpiresIn = max(int(accessExp.Sub(now).Seconds()), 1)
	base := store.OAuthToken{FamilyID: familyID, ClientID: c.ID, UserID: ps.UserID, SessionID: ps.ID, Scopes: scopes,
		Status: store.TokenActive, CreatedAt: now}
	at := base
	at.TokenHash, at.Kind, at.ExpiresAt = hash(set.AccessToken.Reveal()), store.TokenAccess, accessExp
	if err := tx.CreateOAuthToken(ctx, at); err != nil {
		return TokenSet{}, err
	}
	if cv.issueRefresh() {
		set.RefreshToken = keyring.Secret(random(prefixRefresh, 32))
		rt := base
		// A refresh token never outlives the portal session (the absolute
		// expiry); rotation does not extend it.
		rt.TokenHash, rt.Kind, rt.ExpiresAt = hash(set.RefreshToken.Reveal()), store.TokenRefresh, ps.ExpiresAt
		if err := tx.CreateOAuthToken(ctx, rt); err != nil {
			return TokenSet{}, err
		}
	}
	return set, nil
}

// Authenticate resolves an access token for the portal API: it must be an
// active access token of a live family, for a live portal session of a
// usable user.
func (s *Service) Authenticate(ctx context.Context, accessToken string) (Grant, error) {
	bad := fault.New(fault.Unauthenticated, "Session token not found or invalid")
	if len(accessToken) < len(prefixAccess) || len(accessToken) > 256 || accessToken[:len(prefixAccess)] != prefixAccess {
		return Grant{}, bad
	}
	// The token, its user and its portal session in one read: every
	// portal API call (GetRoleCredentials above all) starts here.
	now := s.now()
	tg, err := s.cfg.Store.GetTokenGrant(ctx, hash(accessToken), now)
	if errors.Is(err, store.ErrNotFound) {
		return Grant{}, bad
	}
	if err != nil {
		return Grant{}, fmt.Errorf("oauth: access token: %w", err)
	}
	t, u, ps := tg.Token, tg.User, tg.Session
	if t.Kind != store.TokenAccess || t.Status != store.TokenActive || !now.Before(t.ExpiresAt) {
		return Grant{}, bad
	}
	if !tg.UserFound {
		s.log.Info("grant refused", "user_id", t.UserID, "reason", "user deleted")
		return Grant{}, bad
	}
	if err := s.checkUser(ctx, u); err != nil {
		if errors.Is(err, errUserCannot) {
			return Grant{}, bad
		}
		return Grant{}, err
	}
	if !tg.SessionLive {
		return Grant{}, bad
	}
	return Grant{UserID: u.ID, UserName: u.UserName, SessionID: ps.ID, ClientID: t.ClientID, FamilyID: t.FamilyID,
		Scopes: t.Scopes, MFAPresent: signin.MFAPresent(ps.MFAMethod), AuthTime: ps.AuthTime, ExpiresAt: t.ExpiresAt, User: u}, nil
}

// Logout revokes an access token's whole family (its refresh tokens
// included). stage records the audit event in the same transaction.
func (s *Service) Logout(ctx context.Context, g Grant, stage func(tx store.Tx) error) error {
	return s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.DeleteOAuthFamily(ctx, g.FamilyID); err != nil {
			return err
		}
		return stage(tx)
	})
}

// ---- directory hook ----

// Hook ends a user's tokens in the transaction that disables or deletes
// the user.
type Hook struct{ s *Service }

// Hook returns the directory hook of the service.
func (s *Service) Hook() Hook { return Hook{s: s} }

var _ directory.Hook = Hook{}

// UserDisabled deletes the user's tokens.
func (h Hook) UserDisabled(ctx context.Context, tx store.Tx, userID string) error {
	_, err := tx.DeleteOAuthTokensOfUser(ctx, userID)
	return err
}

// UserDeleted deletes the user's tokens.
func (h Hook) UserDeleted(ctx context.Context, tx store.Tx, userID string) error {
	_, err := tx.DeleteOAuthTokensOfUser(ctx, userID)
	return err
}

// GroupDeleted has nothing to do.
func (Hook) GroupDeleted(context.Context, store.Tx, string) error { return nil }

// userCodeMAC is the stored form of a normalised user code.
func (s *Service) userCodeMAC(code string) string {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}
