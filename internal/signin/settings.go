package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
)

// MFA modes (AWS: "Prompt users for MFA").
const (
	MFAAlwaysOn     = "ALWAYS_ON"
	MFAContextAware = "CONTEXT_AWARE"
	MFADisabled     = "DISABLED"
)

// What happens when a user has no MFA device.
const (
	NoDeviceRequireRegistration = "REQUIRE_REGISTRATION"
	NoDeviceEmailOTP            = "EMAIL_OTP"
	NoDeviceBlock               = "BLOCK"
	NoDeviceAllow               = "ALLOW"
)

// MFA types a user may register and use.
const (
	TypeTOTP     = "TOTP"
	TypeWebAuthn = "WEBAUTHN"
)

// Settings are the instance's sign-in settings. JSON member names are those
// of the GatehouseAdmin API.
type Settings struct {
	MFAMode            string   `json:"MfaMode"`
	AllowedMFATypes    []string `json:"AllowedMfaTypes"`
	NoDeviceBehavior   string   `json:"NoMfaDeviceBehavior"`
	UsersManageDevices bool     `json:"UsersCanManageMfaDevices"`
	// WebAuthnUserVerification is "PREFERRED" or "REQUIRED".
	WebAuthnUserVerification string `json:"WebAuthnUserVerification"`
	// SignCountPolicy is "REJECT" (default) or "WARN" for an assertion
	// whose signature counter went backwards.
	SignCountPolicy        string `json:"SignCountPolicy"`
	SessionDurationMinutes int    `json:"SessionDurationMinutes"`
	PasswordPolicy         string `json:"PasswordPolicy"`
	LockoutThreshold       int    `json:"LockoutThreshold"`
	LockoutWindowMinutes   int    `json:"LockoutWindowMinutes"`
	LockoutDurationMinutes int    `json:"LockoutDurationMinutes"`
	MFALockoutThreshold    int    `json:"MfaLockoutThreshold"`
	// InviteUsersCreatedByAPI sends an invitation to every user created
	// through the identitystore API who has an email address (AWS: "Send
	// email OTP for users created from API").
	InviteUsersCreatedByAPI bool `json:"InviteUsersCreatedByApi"`
}

// DefaultSettings are AWS's defaults where AWS has one, and the security
// catalogue's otherwise.
func DefaultSettings() Settings {
	return Settings{
		MFAMode:                  MFAContextAware,
		AllowedMFATypes:          []string{TypeTOTP, TypeWebAuthn},
		NoDeviceBehavior:         NoDeviceRequireRegistration,
		UsersManageDevices:       true,
		WebAuthnUserVerification: "PREFERRED",
		SignCountPolicy:          "REJECT",
		SessionDurationMinutes:   8 * 60,
		PasswordPolicy:           password.Standard,
		LockoutThreshold:         10,
		LockoutWindowMinutes:     60,
		LockoutDurationMinutes:   15,
		MFALockoutThreshold:      5,
	}
}

// Validate checks every field and returns an Invalid fault naming the
// first one that is wrong.
func (st Settings) Validate() error {
	switch st.MFAMode {
	case MFAAlwaysOn, MFAContextAware, MFADisabled:
	default:
		return fault.Invalidf("MfaMode must be one of ALWAYS_ON, CONTEXT_AWARE, DISABLED")
	}
	if len(st.AllowedMFATypes) == 0 {
		return fault.Invalidf("AllowedMfaTypes must name at least one of TOTP, WEBAUTHN")
	}
	for _, t := range st.AllowedMFATypes {
		if t != TypeTOTP && t != TypeWebAuthn {
			return fault.Invalidf("AllowedMfaTypes: %q is not TOTP or WEBAUTHN", t)
		}
	}
	switch st.NoDeviceBehavior {
	case NoDeviceRequireRegistration, NoDeviceEmailOTP, NoDeviceBlock, NoDeviceAllow:
	default:
		return fault.Invalidf("NoMfaDeviceBehavior must be one of REQUIRE_REGISTRATION, EMAIL_OTP, BLOCK, ALLOW")
	}
	if st.WebAuthnUserVerification != "PREFERRED" && st.WebAuthnUserVerification != "REQUIRED" {
		return fault.Invalidf("WebAuthnUserVerification must be PREFERRED or REQUIRED")
	}
	if st.SignCountPolicy != "REJECT" && st.SignCountPolicy != "WARN" {
		return fault.Invalidf("SignCountPolicy must be REJECT or WARN")
	}
	// AWS: portal sessions last 15 minutes to 90 days.
	if st.SessionDurationMinutes < 15 || st.SessionDurationMinutes > 90*24*60 {
		return fault.Invalidf("SessionDurationMinutes must be between 15 and 129600 (90 days)")
	}
	if _, err := password.ParsePolicy(st.PasswordPolicy); err != nil {
		return fault.Invalidf("PasswordPolicy must be standard or aws")
	}
	if st.LockoutThreshold < 1 || st.LockoutThreshold > 100 {
		return fault.Invalidf("LockoutThreshold must be between 1 and 100")
	}
	if st.LockoutWindowMinutes < 1 || st.LockoutWindowMinutes > 24*60 {
		return fault.Invalidf("LockoutWindowMinutes must be between 1 and 1440")
	}
	if st.LockoutDurationMinutes < 1 || st.LockoutDurationMinutes > 24*60 {
		return fault.Invalidf("LockoutDurationMinutes must be between 1 and 1440")
	}
	if st.MFALockoutThreshold < 1 || st.MFALockoutThreshold > 100 {
		return fault.Invalidf("MfaLockoutThreshold must be between 1 and 100")
	}
	return nil
}

// allows reports whether an MFA type is allowed.
func (st Settings) allows(t string) bool { return slices.Contains(st.AllowedMFATypes, t) }

// allows reports whether an MFA type is allowed and available: security
// keys need a relying party, which a public URL with an IP address cannot
// be (browsers refuse IP addresses as RP ids).
func (s *Service) allows(st Settings, t string) bool {
	if t == TypeWebAuthn && s.cfg.WebAuthn == nil {
		return false
	}
	return st.allows(t)
}

// Settings returns the current settings (the defaults until an
// administrator changes them).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	return s.settingsFrom(ctx, s.cfg.Store)
}

func (s *Service) settingsFrom(ctx context.Context, r store.Reader) (Settings, error) {
	st := DefaultSettings()
	doc, err := r.GetSigninSettings(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("signin: read settings: %w", err)
	}
	// Stored documents are overlaid on the defaults, so a field added in
	// a later release starts at its default.
	if err := json.Unmarshal(doc, &st); err != nil {
		return st, fmt.Errorf("signin: decode settings: %w", err)
	}
	return st, nil
}

// SettingsPatch holds the fields of an update; nil fields are unchanged.
type SettingsPatch struct {
	MFAMode                  *string   `json:"MfaMode"`
	AllowedMFATypes          *[]string `json:"AllowedMfaTypes"`
	NoDeviceBehavior         *string   `json:"NoMfaDeviceBehavior"`
	UsersManageDevices       *bool     `json:"UsersCanManageMfaDevices"`
	WebAuthnUserVerification *string   `json:"WebAuthnUserVerification"`
	SignCountPolicy          *string   `json:"SignCountPolicy"`
	SessionDurationMinutes   *int      `json:"SessionDurationMinutes"`
	PasswordPolicy           *string   `json:"PasswordPolicy"`
	LockoutThreshold         *int      `json:"LockoutThreshold"`
	LockoutWindowMinutes     *int      `json:"LockoutWindowMinutes"`
	LockoutDurationMinutes   *int      `json:"LockoutDurationMinutes"`
	MFALockoutThreshold      *int      `json:"MfaLockoutThreshold"`
	InviteUsersCreatedByAPI  *bool     `json:"InviteUsersCreatedByApi"`
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// UpdateSettings applies a patch. Session durations apply to sessions
// created afterwards, as with AWS.
func (s *Service) UpdateSettings(ctx context.Context, p SettingsPatch) (Settings, error) {
	var out Settings
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		st, err := s.settingsFrom(ctx, tx)
		if err != nil {
			return err
		}
		setIf(&st.MFAMode, p.MFAMode)
		setIf(&st.AllowedMFATypes, p.AllowedMFATypes)
		setIf(&st.NoDeviceBehavior, p.NoDeviceBehavior)
		setIf(&st.UsersManageDevices, p.UsersManageDevices)
		setIf(&st.WebAuthnUserVerification, p.WebAuthnUserVerification)
		setIf(&st.SignCountPolicy, p.SignCountPolicy)
		setIf(&st.SessionDurationMinutes, p.SessionDurationMinutes)
		setIf(&st.PasswordPolicy, p.PasswordPolicy)
		setIf(&st.LockoutThreshold, p.LockoutThreshold)
		setIf(&st.LockoutWindowMinutes, p.LockoutWindowMinutes)
		setIf(&st.LockoutDurationMinutes, p.LockoutDurationMinutes)
		setIf(&st.MFALockoutThreshold, p.MFALockoutThreshold)
		setIf(&st.InviteUsersCreatedByAPI, p.InviteUsersCreatedByAPI)
		if err := st.Validate(); err != nil {
			return err
		}
		doc, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("signin: encode settings: %w", err)
		}
		if err := tx.PutSigninSettings(ctx, doc, s.now()); err != nil {
			return err
		}
		out = st
		return audit.Stage(ctx, tx, st)
	})
	return out, err
}
