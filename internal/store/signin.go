package store

import (
	"context"
	"time"
)

// Password is a user's password credential. Hash is a PHC-format string
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash); the plaintext never reaches the
// store.
type Password struct {
	UserID string
	Hash   string
	// MustChange is set for one-time passwords an administrator handed
	// over: the user must choose a new password at the next sign-in.
	MustChange bool
	// History holds earlier hashes, newest first, for reuse rules.
	History   []string
	UpdatedAt time.Time
}

// Counter counts failed sign-in attempts for one key (a user and a factor)
// in a window, and says until when the key is locked.
type Counter struct {
	Key         string
	Failures    int
	WindowStart time.Time
	LockedUntil time.Time
}

// SigninFlow is a sign-in in progress (username, password, MFA steps). The
// browser holds the token; the store keeps only its hash. State is the
// step's data sealed by the keyring.
type SigninFlow struct {
	TokenHash  string
	WorkflowID string
	// UserID is empty while the username is unknown (the flow still runs,
	// so that an unknown user looks like a known one).
	UserID    string
	Step      string
	State     []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PortalSession is a signed-in browser session of the access portal.
type PortalSession struct {
	// ID is public (shown in session lists); TokenHash identifies the
	// cookie.
	ID         string
	TokenHash  string
	UserID     string
	MFAMethod  string
	SourceIP   string
	UserAgent  string
	CreatedAt  time.Time
	AuthTime   time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
}

// UserToken is a single-use link token (invitation or password reset),
// stored as its hash.
type UserToken struct {
	TokenHash string
	UserID    string
	Purpose   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// MFADevice is a registered authenticator: a TOTP app (SecretSealed, LastStep)
// or a WebAuthn credential (CredentialID, Credential, SignCount).
type MFADevice struct {
	ID           string
	UserID       string
	Kind         string
	Name         string
	SecretSealed []byte
	CredentialID string
	Credential   []byte
	SignCount    int64
	// LastStep is the last accepted TOTP time step; a code of this step or
	// an earlier one is never accepted again.
	LastStep   int64
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// TrustedDevice remembers a browser that completed MFA, for context-aware
// MFA. The cookie holds the token; the store its hash.
type TrustedDevice struct {
	TokenHash string
	UserID    string
	UserAgent string
	Network   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// MailMessage is a queued email. SealedBody is the complete RFC 5322
// message sealed by the keyring; it is cleared once the message is sent.
type MailMessage struct {
	ID            string
	Recipient     string
	Subject       string
	SealedBody    []byte
	Status        string // "pending", "sent" or "failed"
	Attempts      int
	LastError     string
	CreatedAt     time.Time
	NextAttemptAt time.Time
	ClaimedUntil  time.Time
	SentAt        time.Time
}

// SigninReader reads sign-in state.
type SigninReader interface {
	GetPassword(ctx context.Context, userID string) (Password, error)
	GetCounter(ctx context.Context, key string) (Counter, error)
	// LockedUntil returns the latest LockedUntil of the named counters in
	// one read (the zero time when none of them exists).
	LockedUntil(ctx context.Context, keys ...string) (time.Time, error)
	GetSigninFlow(ctx context.Context, tokenHash string) (SigninFlow, error)
	GetPortalSession(ctx context.Context, tokenHash string) (PortalSession, error)
	// ListPortalSessions lists a user's sessions that have not expired at
	// now, newest first.
	ListPortalSessions(ctx context.Context, userID string, now time.Time) ([]PortalSession, error)
	GetUserToken(ctx context.Context, tokenHash string) (UserToken, error)
	// ListUserTokens lists a user's live tokens of one purpose.
	ListUserTokens(ctx context.Context, userID, purpose string, now time.Time) ([]UserToken, error)
	GetMFADevice(ctx context.Context, id string) (MFADevice, error)
	GetMFADeviceByCredentialID(ctx context.Context, credentialID string) (MFADevice, error)
	// ListMFADevices lists a user's devices in registration order.
	ListMFADevices(ctx context.Context, userID string) ([]MFADevice, error)
	GetTrustedDevice(ctx context.Context, tokenHash string) (TrustedDevice, error)
	// GetSigninSettings returns the settings document, or ErrNotFound when
	// none was ever saved.
	GetSigninSettings(ctx context.Context) ([]byte, error)
	GetMailMessage(ctx context.Context, id string) (MailMessage, error)
	// ListMail lists messages newest first (for operators and tests).
	ListMail(ctx context.Context, limit int) ([]MailMessage, error)
}

// SigninWriter changes sign-in state. Writes that must hold across replicas
// (counters, TOTP steps, signature counters, single-use tokens) are
// compare-and-set operations.
type SigninWriter interface {
	PutPassword(ctx context.Context, p Password) error
	DeletePassword(ctx context.Context, userID string) error

	// PutCounter stores a counter as computed inside the transaction.
	PutCounter(ctx context.Context, c Counter) error
	DeleteCounter(ctx context.Context, key string) error

	CreateSigninFlow(ctx context.Context, f SigninFlow) error
	// TakeSigninFlow deletes the flow and returns it; exactly one of
	// several concurrent callers gets it, the others ErrNotFound.
	TakeSigninFlow(ctx context.Context, tokenHash string) (SigninFlow, error)
	DeleteSigninFlowsOfUser(ctx context.Context, userID string) error

	CreatePortalSession(ctx context.Context, s PortalSession) error
	TouchPortalSession(ctx context.Context, id string, at time.Time) error
	DeletePortalSession(ctx context.Context, id string) error
	// DeletePortalSessionsOfUser ends every session of the user and says
	// how many there were.
	DeletePortalSessionsOfUser(ctx context.Context, userID string) (int, error)

	CreateUserToken(ctx context.Context, t UserToken) error
	// TakeUserToken deletes a live token and returns it; exactly one of
	// several concurrent callers gets it.
	TakeUserToken(ctx context.Context, tokenHash string, now time.Time) (UserToken, error)
	// DeleteUserTokens deletes a user's tokens of one purpose, or of every
	// purpose when purpose is empty, and says how many there were.
	DeleteUserTokens(ctx context.Context, userID, purpose string) (int, error)

	CreateMFADevice(ctx context.Context, d MFADevice) error
	RenameMFADevice(ctx context.Context, id, name string) error
	DeleteMFADevice(ctx context.Context, id string) error
	DeleteMFADevicesOfUser(ctx context.Context, userID string) error
	// AdvanceTOTPStep records step as used if it is later than the last
	// used step; ok is false when the step (or a later one) was used.
	AdvanceTOTPStep(ctx context.Context, id string, step int64, at time.Time) (ok bool, err error)
	// SetSignCount replaces the signature counter if it still holds old.
	SetSignCount(ctx context.Context, id string, old, count int64, at time.Time) (ok bool, err error)

	CreateTrustedDevice(ctx context.Context, d TrustedDevice) error
	DeleteTrustedDevicesOfUser(ctx context.Context, userID string) error

	PutSigninSettings(ctx context.Context, doc []byte, at time.Time) error

	EnqueueMail(ctx context.Context, m MailMessage) error
	// ClaimMail marks up to limit due pending messages as claimed until
	// the given time and returns them; a message claimed by one replica is
	// not returned to another until its claim lapses.
	ClaimMail(ctx context.Context, now, until time.Time, limit int) ([]MailMessage, error)
	// FinishMail records the outcome of a send attempt.
	FinishMail(ctx context.Context, m MailMessage) error

	// PurgeExpiredSignin deletes expired flows, sessions, tokens and
	// trusted devices, and says how many rows went.
	PurgeExpiredSignin(ctx context.Context, now time.Time) (int, error)
}
