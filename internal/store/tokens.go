package store

import (
	"context"
	"time"
)

// OAuthClient is a client registered through sso-oidc RegisterClient (the
// AWS CLI and SDKs register one per SSO session). The secret is kept only
// as its SHA-256 hash.
type OAuthClient struct {
	ID           string
	SecretHash   string
	Name         string
	Type         string // "public"
	Scopes       []string
	GrantTypes   []string
	RedirectURIs []string
	IssuerURL    string
	SourceIP     string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// Device authorization statuses.
const (
	DevicePending  = "pending"
	DeviceApproved = "approved"
	DeviceDenied   = "denied"
	DeviceRedeemed = "redeemed"
)

// DeviceAuthorization is one StartDeviceAuthorization: the device code
// (kept as its hash) the client polls with, and the user code (kept as a
// MAC) the user types or confirms in the portal.
type DeviceAuthorization struct {
	CodeHash    string
	UserCodeMAC string
	ClientID    string
	StartURL    string
	Scopes      []string
	Status      string
	// UserID and SessionID are set when the user decides.
	UserID    string
	SessionID string
	// SourceIP and UserAgent are the requesting client's, shown on the
	// consent page.
	SourceIP  string
	UserAgent string
	// Interval is the polling interval in seconds; slow_down raises it.
	Interval   int
	LastPollAt time.Time
	// FastPolls counts polls closer than Interval since the last
	// well-spaced one.
	FastPolls int
	CreatedAt time.Time
	ExpiresAt time.Time
	DecidedAt time.Time
}

// AuthCode is an authorization code of the PKCE flow, kept as its hash and
// bound to the client, the exact redirect URI and the code challenge.
type AuthCode struct {
	CodeHash      string
	ClientID      string
	RedirectURI   string
	CodeChallenge string
	Scopes        []string
	UserID        string
	SessionID     string
	// FamilyID is set when the code is redeemed: the token family it
	// started, revoked if the code is presented again.
	FamilyID   string
	RedeemedAt time.Time
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// Kinds of OAuth tokens.
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// Statuses of OAuth tokens.
const (
	TokenActive  = "active"
	TokenRotated = "rotated"
)

// OAuthToken is an access or refresh token, kept as its hash. Tokens
// issued from one grant form a family; refreshing rotates the refresh
// token within the family, and a family is revoked as a whole.
type OAuthToken struct {
	TokenHash string
	Kind      string
	FamilyID  string
	ClientID  string
	UserID    string
	// SessionID is the portal session the grant came from; the token dies
	// with it.
	SessionID string
	Scopes    []string
	Status    string
	CreatedAt time.Time
	ExpiresAt time.Time
	RotatedAt time.Time
}

// TokenGrant is a token with what a bearer of it acts as: its user
// (UserFound false once the user is deleted) and its portal session
// (SessionLive false once the session ended or expired, or if it is not the
// user's).
type TokenGrant struct {
	Token       OAuthToken
	User        User
	UserFound   bool
	Session     PortalSession
	SessionLive bool
}

// TempCredential is an issued set of temporary credentials (ASIA key). The
// secret is sealed by the keyring; the session token is kept only as its
// hash.
type TempCredential struct {
	AccessKeyID     string
	SecretSealed    []byte
	TokenHash       string
	UserID          string
	UserName        string
	SessionID       string
	AccountID       string
	PermissionSetID string
	RoleName        string
	RoleID          string
	MFAPresent      bool
	AuthTime        time.Time
	// Tags are the session tags (attributes for access control).
	Tags      map[string]string
	SourceIP  string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// RevokedAt is set when the credentials were revoked one by one.
	RevokedAt time.Time
}

// TokenReader reads OAuth clients, codes, tokens and temporary
// credentials.
type TokenReader interface {
	GetOAuthClient(ctx context.Context, id string) (OAuthClient, error)
	GetDeviceAuthorization(ctx context.Context, codeHash string) (DeviceAuthorization, error)
	GetDeviceAuthorizationByUserCode(ctx context.Context, userCodeMAC string) (DeviceAuthorization, error)
	GetAuthCode(ctx context.Context, codeHash string) (AuthCode, error)
	GetOAuthToken(ctx context.Context, tokenHash string) (OAuthToken, error)
	// GetTokenGrant reads, in one query, a token with its user and its
	// portal session; ErrNotFound when the token does not exist.
	GetTokenGrant(ctx context.Context, tokenHash string, now time.Time) (TokenGrant, error)
	GetTempCredential(ctx context.Context, accessKeyID string) (TempCredential, error)
	// GetCredentialRevocation returns the time before which every
	// credential of the user is revoked, or ErrNotFound.
	GetCredentialRevocation(ctx context.Context, userID string) (time.Time, error)
}

// TokenWriter changes them. Single-use transitions are compare-and-set
// operations that report whether this caller made them.
type TokenWriter interface {
	CreateOAuthClient(ctx context.Context, c OAuthClient) error
	CreateDeviceAuthorization(ctx context.Context, d DeviceAuthorization) error
	// UpdateDeviceAuthorization writes d's mutable fields (status, user,
	// session, polling state, decision time) if the stored status is
	// still fromStatus.
	UpdateDeviceAuthorization(ctx context.Context, d DeviceAuthorization, fromStatus string) (ok bool, err error)
	CreateAuthCode(ctx context.Context, c AuthCode) error
	// RedeemAuthCode marks a code redeemed into familyID if it was not
	// redeemed before.
	RedeemAuthCode(ctx context.Context, codeHash, familyID string, at time.Time) (ok bool, err error)
	CreateOAuthToken(ctx context.Context, t OAuthToken) error
	// RotateOAuthToken marks an active token rotated.
	RotateOAuthToken(ctx context.Context, tokenHash string, at time.Time) (ok bool, err error)
	// DeleteOAuthFamily deletes every token of a family.
	DeleteOAuthFamily(ctx context.Context, familyID string) (int, error)
	// DeleteOAuthTokensOfUser deletes every token of a user.
	DeleteOAuthTokensOfUser(ctx context.Context, userID string) (int, error)
	CreateTempCredential(ctx context.Context, c TempCredential) error
	// RevokeTempCredentialsOfSession revokes the credentials issued under
	// a portal session.
	RevokeTempCredentialsOfSession(ctx context.Context, sessionID string, at time.Time) (int, error)
	// PutCredentialRevocation revokes every credential of the user issued
	// before notBefore (a later notBefore replaces an earlier one, never
	// the reverse).
	PutCredentialRevocation(ctx context.Context, userID string, notBefore time.Time) error
	// HitRateLimit counts one hit against key in a fixed window that
	// starts at the first hit, and returns the hits in the current window
	// including this one.
	HitRateLimit(ctx context.Context, key string, now time.Time, window time.Duration) (int, error)
	// PurgeExpiredTokens deletes expired clients, codes, tokens,
	// credentials and rate-limit windows, and says how many rows went.
	PurgeExpiredTokens(ctx context.Context, now time.Time) (int, error)
}
