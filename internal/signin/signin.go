// Package signin authenticates people: the sign-in state machine (user
// name, password, then an MFA step or MFA registration), lockout counters,
// portal sessions, invitation and password-reset links, one-time passwords,
// MFA devices and the sign-in settings.
//
// Everything that must hold across replicas lives in the store: flows,
// sessions, counters (read-modify-write inside one transaction, which is
// serialised on SQLite and SERIALIZABLE on PostgreSQL), TOTP steps and
// signature counters (compare-and-set). Tokens handed to browsers or sent in
// email are 256-bit random values of which the store keeps only SHA-256
// hashes. Every step writes a CloudTrail-shaped sign-in event
// (CredentialChallenge, CredentialVerification, UserAuthentication) carrying
// the flow's AuthWorkflowID, the credential type and, for failures, the
// reason, which is never shown to the user.
//
// The package does not know HTTP: the web adapter turns its Next values
// into pages and cookies. Later flows (sso-oidc device approval, PKCE) sign
// people in through the same steps and sessions.
package signin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Credential types, as CloudTrail sign-in events name them.
const (
	CredPassword = "PASSWORD"
	CredTOTP     = "TOTP"
	CredWebAuthn = "WEBAUTHN"
	CredEmailOTP = "EMAIL_OTP"
)

// Device kinds.
const (
	KindTOTP     = "totp"
	KindWebAuthn = "webauthn"
)

// Quotas per user (AWS: 2 authenticator apps and 6 FIDO devices).
const (
	MaxTOTPDevices     = 2
	MaxWebAuthnDevices = 6
)

// Link lifetimes.
const (
	InvitationTTL = 7 * 24 * time.Hour
	ResetTTL      = time.Hour
	// FlowTTL bounds a sign-in in progress.
	FlowTTL = 15 * time.Minute
	// EmailOTPTTL bounds an emailed code.
	EmailOTPTTL = 10 * time.Minute
	// RecentAuth is how fresh a sign-in must be to add or remove devices.
	RecentAuth = 15 * time.Minute
	// TrustedDeviceTTL is how long a browser is remembered for
	// context-aware MFA.
	TrustedDeviceTTL = 30 * 24 * time.Hour
)

// Config wires a Service.
type Config struct {
	Store     store.Store
	Directory *directory.Service
	Keys      *keyring.Keyring
	Hasher    *password.Hasher
	Outbox    *mail.Outbox
	// MailSent is called after a transaction that queued mail commits.
	MailSent func()
	// WebAuthn is the relying party for security keys and passkeys; nil
	// turns them off (a public URL whose host is an IP address).
	WebAuthn *mfa.WebAuthn
	// PublicURL is the base of every link (never a request's Host).
	PublicURL string
	// Issuer names Gatehouse in authenticator apps and emails.
	Issuer           string
	IdentityStoreARN string
	AccountID        string
	Region           string
	Log              *slog.Logger
	Now              func() time.Time
}

// Service is the sign-in domain service.
type Service struct {
	cfg Config
	now func() time.Time
	log *slog.Logger
	// sessionHooks are told when sessions are ended on purpose (hooks.go).
	sessionHooks []SessionHook
}

// New returns the sign-in service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MailSent == nil {
		cfg.MailSent = func() {}
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "Gatehouse"
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	return &Service{cfg: cfg, now: cfg.Now, log: cfg.Log}
}

// PublicURL returns the configured base URL.
func (s *Service) PublicURL() string { return s.cfg.PublicURL }

// newToken returns a 256-bit random token for a browser or a link, and the
// hash the store keeps.
func newToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken is the stored form of a token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// userHandle is the WebAuthn user handle of a user: a MAC of the id, so it
// is stable, opaque and carries no personal data.
func (s *Service) userHandle(userID string) []byte {
	return s.cfg.Keys.MAC("webauthn-user-handle", []byte(userID))[:16]
}

// primaryEmail returns a user's primary (or first) email address.
func primaryEmail(u store.User) string {
	for _, e := range u.Profile.Emails {
		if e.Primary != nil && *e.Primary && e.Value != "" {
			return e.Value
		}
	}
	for _, e := range u.Profile.Emails {
		if e.Value != "" {
			return e.Value
		}
	}
	return ""
}

// lookupUser finds a user by user name or email; ok is false when none
// matches.
func (s *Service) lookupUser(ctx context.Context, name string) (store.User, bool, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 256 {
		return store.User{}, false, nil
	}
	key := directory.Key(name)
	u, err := s.cfg.Store.GetUserByKey(ctx, "user_name", key)
	if errors.Is(err, store.ErrNotFound) && strings.Contains(name, "@") {
		u, err = s.cfg.Store.GetUserByKey(ctx, "email", key)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, nil
	}
	if err != nil {
		return store.User{}, false, fmt.Errorf("signin: look up user: %w", err)
	}
	return u, true, nil
}

// ---- audit ----

// signinEvent starts a CloudTrail sign-in event for the current request.
func (s *Service) signinEvent(ctx context.Context, name, credType, workflowID string, u *store.User, userName string) *audit.Event {
	info := reqinfo.FromContext(ctx)
	ev := audit.NewEvent(s.now(), "signin.amazonaws.com", name)
	ev.EventType = "AwsServiceEvent"
	ev.ManagementEvent = false
	ev.EventCategory = "Management"
	ev.AWSRegion, ev.SourceIPAddress, ev.UserAgent = s.cfg.Region, info.SourceIP, info.UserAgent
	ev.RequestID, ev.RecipientAccountID = info.RequestID, s.cfg.AccountID
	ev.ReadOnly = false
	ev.UserIdentity = audit.UserIdentity{Type: "Unknown", UserName: userName}
	if u != nil {
		ev.UserIdentity.UserName = u.UserName
		ev.UserIdentity.PrincipalID = u.ID
		ev.UserIdentity.OnBehalfOf = &audit.OnBehalfOf{UserID: u.ID, IdentityStoreARN: s.cfg.IdentityStoreARN}
	}
	ev.AdditionalEventData = map[string]any{"AuthWorkflowID": workflowID}
	if credType != "" {
		ev.AdditionalEventData["CredentialType"] = credType
	}
	return ev
}

// outcome completes a sign-in event: result is "Success" or "Failure";
// reason is recorded for failures (audit only).
func outcome(ev *audit.Event, result, reason string) *audit.Event {
	ev.ServiceEventDetails = map[string]any{ev.EventName: result}
	if result != "Success" {
		ev.ErrorMessage = "Failed authentication"
		ev.ServiceEventDetails["FailureReason"] = reason
	}
	return ev
}

// appendEvents writes events inside tx.
func appendEvents(ctx context.Context, tx store.Tx, events ...*audit.Event) error {
	for _, ev := range events {
		if ev == nil {
			continue
		}
		// Stage writes the context's event; give it this one.
		if err := audit.Stage(audit.NewContext(ctx, ev), tx, ev.ResponseElements); err != nil {
			return err
		}
	}
	return nil
}

// stage records a change: inside an admin API call the request's own event
// is staged (with response); otherwise ev (built by the caller) is written.
func stage(ctx context.Context, tx store.Tx, response any, ev *audit.Event) error {
	if _, ok := audit.FromContext(ctx); ok {
		return audit.Stage(ctx, tx, response)
	}
	return appendEvents(ctx, tx, ev)
}

// ---- sealed flow state ----

func (s *Service) seal(purpose string, v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("signin: encode %s: %w", purpose, err)
	}
	return s.cfg.Keys.Seal(purpose, raw), nil
}

func (s *Service) open(purpose string, sealed []byte, v any) error {
	raw, err := s.cfg.Keys.Open(purpose, sealed)
	if err != nil {
		return fmt.Errorf("signin: open %s: %w", purpose, err)
	}
	return json.Unmarshal(raw, v)
}
