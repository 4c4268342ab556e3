package signin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/store"
)

// TOTPEnrollment is what the registration page shows.
type TOTPEnrollment struct {
	// Secret is the base32 seed, for typing into an app.
	Secret string
	// URI is the otpauth:// URI; QR is it as a PNG data: URI.
	URI string
	QR  string
}

// checkQuota refuses a device over the per-user quota (2 TOTP, 6 WebAuthn;
// 8 in all, as AWS). Registration checks it both when it begins and, inside
// the transaction that stores the device, when it finishes, since another
// device may have been added in between.
func checkQuota(ctx context.Context, r store.Reader, userID, kind string) error {
	devices, err := r.ListMFADevices(ctx, userID)
	if err != nil {
		return fmt.Errorf("signin: list MFA devices to check the quota: %w", err)
	}
	n := 0
	for _, d := range devices {
		if d.Kind == kind {
			n++
		}
	}
	switch {
	case kind == KindTOTP && n >= MaxTOTPDevices:
		return &fault.Error{Kind: fault.QuotaExceeded, Message: fmt.Sprintf("You already have %d authenticator apps, the most allowed. Remove one first.", MaxTOTPDevices)}
	case kind == KindWebAuthn && n >= MaxWebAuthnDevices:
		return &fault.Error{Kind: fault.QuotaExceeded, Message: fmt.Sprintf("You already have %d security keys or passkeys, the most allowed. Remove one first.", MaxWebAuthnDevices)}
	}
	return nil
}

// BeginTOTPRegistration creates a seed for the flow's user and keeps it,
// sealed, in the flow until a code from it proves the app has it.
func (s *Service) BeginTOTPRegistration(ctx context.Context, token string) (TOTPEnrollment, error) {
	settings, err := s.Settings(ctx)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	if !s.allows(settings, TypeTOTP) {
		return TOTPEnrollment{}, fault.Invalidf("Authenticator apps are not allowed here.")
	}
	var out TOTPEnrollment
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		f, st, user, err := s.loadFlowUser(ctx, tx, token, StepRegisterMFA)
		if err != nil {
			return err
		}
		if err := checkQuota(ctx, tx, user.ID, KindTOTP); err != nil {
			return err
		}
		if st.PendingTOTP == nil {
			st.PendingTOTP = mfa.NewTOTPSecret()
			if err := s.rewriteFlow(ctx, tx, f, st); err != nil {
				return err
			}
		}
		out.Secret = mfa.EncodeSecret(st.PendingTOTP)
		out.URI = mfa.TOTPURI(s.cfg.Issuer, user.UserName, st.PendingTOTP)
		out.QR, err = mfa.QRDataURI(out.URI)
		return err
	})
	return out, err
}

// cleanDeviceName returns a device name fit to store and show.
func cleanDeviceName(name, fallback string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = fallback
	}
	if utf8.RuneCountInString(name) > 64 {
		return "", fault.Invalidf("Use at most 64 characters for the device name.")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", fault.Invalidf("The device name contains a control character.")
		}
	}
	return name, nil
}

// FinishTOTPRegistration stores the pending seed once code matches it.
// The step of that code is recorded as used, so it cannot sign in again.
func (s *Service) FinishTOTPRegistration(ctx context.Context, token, code, name string, b Browser) (Next, error) {
	name, err := cleanDeviceName(name, "Authenticator app")
	if err != nil {
		return Next{}, err
	}
	settings, err := s.Settings(ctx)
	if err != nil {
		return Next{}, err
	}
	var (
		next  Next
		added store.User
	)
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		// A run the store repeats (a lost serialization race) may take
		// the mismatch path: forget what a rolled-back run added.
		added = store.User{}
		f, st, user, err := s.loadFlowUser(ctx, tx, token, StepRegisterMFA)
		if err != nil {
			return err
		}
		if st.PendingTOTP == nil {
			return fault.Invalidf("Start the registration again.")
		}
		now := s.now()
		step, ok := mfa.MatchTOTP(st.PendingTOTP, code, now)
		if !ok {
			next = Next{Step: StepRegisterMFA, FlowToken: token, Message: "That code does not match. Check the time on your phone and type the current code."}
			return appendEvents(ctx, tx, outcome(s.signinEvent(ctx, "CredentialVerification", CredTOTP, f.WorkflowID, &user, user.UserName), "Failure", "REGISTRATION_CODE_MISMATCH"))
		}
		if err := checkQuota(ctx, tx, user.ID, KindTOTP); err != nil {
			return err
		}
		d := store.MFADevice{ID: newID("mfa-"), UserID: user.ID, Kind: KindTOTP, Name: name, Credential: []byte{},
			LastStep: step, CreatedAt: now, LastUsedAt: now}
		d.SecretSealed = s.cfg.Keys.Seal(totpPurpose(d.ID), st.PendingTOTP)
		if err := tx.CreateMFADevice(ctx, d); err != nil {
			return err
		}
		st.PendingTOTP = nil
		if err := s.deviceAdded(ctx, tx, f.WorkflowID, user, d); err != nil {
			return err
		}
		added = user
		next, err = s.complete(ctx, tx, &f, st, user, CredTOTP, settings, b, true)
		return err
	})
	if err == nil && added.ID != "" {
		s.cfg.MailSent()
	}
	return next, err
}

// deviceAdded audits a registration and tells the user by email.
func (s *Service) deviceAdded(ctx context.Context, tx store.Tx, workflowID string, user store.User, d store.MFADevice) error {
	ev := s.signinEvent(ctx, "RegisterMfaDevice", strings.ToUpper(d.Kind), workflowID, &user, user.UserName)
	ev.EventSource = "identitystore.amazonaws.com"
	ev.ResponseElements = map[string]any{"mfaDeviceId": d.ID, "kind": d.Kind}
	if err := appendEvents(ctx, tx, ev); err != nil {
		return err
	}
	return s.notify(ctx, tx, user, "A sign-in device was added to your account",
		fmt.Sprintf("The device %q (%s) was registered for multi-factor authentication on your %s account.\n\n"+
			"If this was not you, contact your administrator at once.\n", d.Name, kindLabel(d.Kind), s.cfg.Issuer))
}

func kindLabel(kind string) string {
	if kind == KindTOTP {
		return "authenticator app"
	}
	return "security key or passkey"
}

// notify queues a security notice to the user's primary email, if any.
func (s *Service) notify(ctx context.Context, tx store.Tx, user store.User, subject, text string) error {
	to := primaryEmail(user)
	if to == "" {
		return nil
	}
	return s.cfg.Outbox.Enqueue(ctx, tx, mail.Message{To: to, Subject: subject,
		Text: fmt.Sprintf("Hello %s,\n\n%s", user.DisplayName, text)})
}

// notifyLocked tells a user that their account is locked for a while and
// how to unlock it at once.
func (s *Service) notifyLocked(ctx context.Context, tx store.Tx, user store.User, settings Settings) error {
	return s.notify(ctx, tx, user, "Your "+s.cfg.Issuer+" sign-in is locked for a while",
		fmt.Sprintf("There were %d unsuccessful attempts to sign in to your account, so sign-in is locked for %d minutes.\n\n"+
			"To unlock it now, reset your password: %s/start/forgot\n\nIf these attempts were not yours, tell your administrator.\n",
			settings.LockoutThreshold, settings.LockoutDurationMinutes, s.cfg.PublicURL))
}

// BeginWebAuthnRegistration returns the options for
// navigator.credentials.create (JSON).
func (s *Service) BeginWebAuthnRegistration(ctx context.Context, token string) ([]byte, error) {
	settings, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if !s.allows(settings, TypeWebAuthn) {
		return nil, fault.Invalidf("Security keys are not allowed here.")
	}
	var options []byte
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		f, st, user, err := s.loadFlowUser(ctx, tx, token, StepRegisterMFA)
		if err != nil {
			return err
		}
		if err := checkQuota(ctx, tx, user.ID, KindWebAuthn); err != nil {
			return err
		}
		wu, _, err := s.webAuthnUser(ctx, tx, user)
		if err != nil {
			return err
		}
		var state []byte
		options, state, err = s.cfg.WebAuthn.BeginRegistration(wu, settings.WebAuthnUserVerification == "REQUIRED")
		if err != nil {
			return err
		}
		st.WebAuthnState = state
		return s.rewriteFlow(ctx, tx, f, st)
	})
	return options, err
}

// FinishWebAuthnRegistration verifies the attestation response and stores
// the credential. A refused response stores nothing and its reason is
// audited; a credential id registered to anyone already is refused.
func (s *Service) FinishWebAuthnRegistration(ctx context.Context, token string, response []byte, name string, b Browser) (Next, error) {
	name, err := cleanDeviceName(name, "Security key")
	if err != nil {
		return Next{}, err
	}
	settings, err := s.Settings(ctx)
	if err != nil {
		return Next{}, err
	}
	var (
		next  Next
		added bool
	)
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		added = false // as in FinishTOTPRegistration: a repeated run may refuse
		f, st, user, err := s.loadFlowUser(ctx, tx, token, StepRegisterMFA)
		if err != nil {
			return err
		}
		state, err := s.takeChallenge(ctx, tx, f, &st)
		if err != nil {
			return err
		}
		refuse := func(reason string) error {
			next = Next{Step: StepRegisterMFA, FlowToken: token, Message: "The security key could not be registered. Try again."}
			s.log.Info("webauthn registration refused", "user_id", user.ID, "workflow_id", f.WorkflowID, "reason", reason)
			return appendEvents(ctx, tx, outcome(s.signinEvent(ctx, "CredentialVerification", CredWebAuthn, f.WorkflowID, &user, user.UserName), "Failure", reason))
		}
		if state == nil {
			return refuse("NO_CHALLENGE_OR_CHALLENGE_REUSED")
		}
		wu, _, err := s.webAuthnUser(ctx, tx, user)
		if err != nil {
			return err
		}
		cred, credID, err := s.cfg.WebAuthn.FinishRegistration(wu, state, response)
		if err != nil {
			if errors.Is(err, mfa.ErrCeremony) {
				return refuse(err.Error())
			}
			return err
		}
		if _, err := tx.GetMFADeviceByCredentialID(ctx, credID); err == nil {
			return refuse("CREDENTIAL_ALREADY_REGISTERED")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := checkQuota(ctx, tx, user.ID, KindWebAuthn); err != nil {
			return err
		}
		now := s.now()
		d := store.MFADevice{ID: newID("mfa-"), UserID: user.ID, Kind: KindWebAuthn, Name: name,
			CredentialID: credID, Credential: cred, CreatedAt: now, LastUsedAt: now}
		if err := tx.CreateMFADevice(ctx, d); err != nil {
			if _, ok := store.IsConflict(err); ok {
				return refuse("CREDENTIAL_ALREADY_REGISTERED")
			}
			return err
		}
		if err := s.deviceAdded(ctx, tx, f.WorkflowID, user, d); err != nil {
			return err
		}
		added = true
		next, err = s.completeWebAuthn(ctx, tx, f, st, user, settings, b)
		return err
	})
	if err == nil && added {
		s.cfg.MailSent()
	}
	return next, err
}
