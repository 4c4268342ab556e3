package signin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Steps of a sign-in flow.
const (
	StepPassword       = "password"
	StepMFA            = "mfa"
	StepRegisterMFA    = "register_mfa"
	StepEmailOTP       = "email_otp"
	StepChangePassword = "change_password"
	StepSetPassword    = "set_password"
	StepDone           = "done"
	StepBlocked        = "blocked"
)

// Flow purposes.
const (
	purposeSignin    = "signin"
	purposeAddDevice = "add_device"
	purposeLink      = "link"
)

// Caller-facing messages. They never say whether a user exists, is
// disabled or is locked.
const (
	MsgBadCredentials = "The user name or password is incorrect, or the account cannot sign in right now. Check them and try again, or reset your password."
	MsgBadCode        = "The code is incorrect or has expired. Try again with a new code."
	MsgCodeUsed       = "This code was already used. Wait for your app to show the next code."
	MsgBadKey         = "The security key could not be verified. Try again."
	MsgExpired        = "Your sign-in has expired or was started elsewhere. Please start again."
	MsgBadLink        = "This link is invalid or has expired. Ask your administrator for a new one, or use \"Forgot password\"."
	MsgBlocked        = "Your account needs a multi-factor authentication device, which you cannot register yourself. Contact your administrator."
	MsgMFALocked      = "Too many incorrect codes. Wait a few minutes and try again."
)

// ErrFlow is the fault for a missing, expired or out-of-step flow.
var ErrFlow = &fault.Error{Kind: fault.Unauthenticated, Message: MsgExpired}

// Next says what the browser does after a step.
type Next struct {
	// Step is the step to show next (StepDone when signed in).
	Step string
	// FlowToken is the new flow cookie; a successful step always issues a
	// new one, so a cookie planted before a step is worthless after it.
	FlowToken string
	// Session is set when the sign-in completed.
	Session *NewSession
	// TrustedDevice is a cookie value that lets this browser skip MFA
	// (context-aware mode).
	TrustedDevice string
	// Message is a caller-safe error about the step just tried.
	Message  string
	ReturnTo string
	// AddedDevice is set when a signed-in user finished adding a device.
	AddedDevice bool
}

// NewSession is a session just created.
type NewSession struct {
	ID      string
	Token   string
	Expires time.Time
}

// Browser is what the browser presents besides the form: its trusted-device
// cookie for context-aware MFA.
type Browser struct {
	DeviceToken string
}

type flowState struct {
	UserName string `json:"u,omitempty"`
	ReturnTo string `json:"r,omitempty"`
	Purpose  string `json:"p"`
	// LinkTokenHash is the invitation or reset link being redeemed.
	LinkTokenHash string    `json:"l,omitempty"`
	PasswordAt    time.Time `json:"pa,omitzero"`
	WebAuthnState []byte    `json:"w,omitempty"`
	PendingTOTP   []byte    `json:"t,omitempty"`
	EmailOTPMAC   []byte    `json:"e,omitempty"`
	EmailOTPUntil time.Time `json:"eu,omitzero"`
	EmailOTPTries int       `json:"et,omitempty"`
	// SessionID ties an add-device flow to the session that started it.
	SessionID string `json:"s,omitempty"`
}

const flowPurpose = "signin-flow"

// loadFlow reads the flow of a cookie and checks its step.
func (s *Service) loadFlow(ctx context.Context, r store.Reader, token string, steps ...string) (store.SigninFlow, flowState, error) {
	var st flowState
	if token == "" {
		return store.SigninFlow{}, st, ErrFlow
	}
	f, err := r.GetSigninFlow(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return f, st, ErrFlow
	}
	if err != nil {
		return f, st, err
	}
	if !s.now().Before(f.ExpiresAt) || !slices.Contains(steps, f.Step) {
		return f, st, ErrFlow
	}
	if err := s.open(flowPurpose+":"+f.WorkflowID, f.State, &st); err != nil {
		return f, st, err
	}
	return f, st, nil
}

// loadFlowUser is loadFlow for the steps that act on a known user (MFA,
// its registration, emailed codes). A flow whose user cannot be read (for
// instance deleted since the password step) is ErrFlow, like an expired
// one, so the answer says nothing about the account.
func (s *Service) loadFlowUser(ctx context.Context, r store.Reader, token string, steps ...string) (store.SigninFlow, flowState, store.User, error) {
	f, st, err := s.loadFlow(ctx, r, token, steps...)
	if err != nil {
		return f, st, store.User{}, err
	}
	user, err := r.GetUser(ctx, f.UserID)
	if err != nil {
		return f, st, store.User{}, ErrFlow
	}
	return f, st, user, nil
}

// FlowStep returns the step a flow cookie is at, or ErrFlow.
func (s *Service) FlowStep(ctx context.Context, token string) (string, error) {
	f, _, err := s.loadFlow(ctx, s.cfg.Store, token, StepPassword, StepMFA, StepRegisterMFA, StepEmailOTP,
		StepChangePassword, StepSetPassword, StepBlocked)
	return f.Step, err
}

// FlowInfo describes a flow for the page that shows its step.
type FlowInfo struct {
	Step     string
	UserName string
	// Methods are the MFA types the user can answer with at StepMFA, or
	// may register at StepRegisterMFA.
	Methods []string
	// AddDevice is set when a signed-in user is adding a device.
	AddDevice bool
}

// Describe returns what the page of a flow's step shows.
func (s *Service) Describe(ctx context.Context, token string) (FlowInfo, error) {
	f, st, err := s.loadFlow(ctx, s.cfg.Store, token, StepPassword, StepMFA, StepRegisterMFA, StepEmailOTP,
		StepChangePassword, StepSetPassword, StepBlocked)
	if err != nil {
		return FlowInfo{}, err
	}
	info := FlowInfo{Step: f.Step, UserName: st.UserName, AddDevice: st.Purpose == purposeAddDevice}
	settings, err := s.Settings(ctx)
	if err != nil {
		return info, err
	}
	switch f.Step {
	case StepMFA:
		devices, err := s.cfg.Store.ListMFADevices(ctx, f.UserID)
		if err != nil {
			return info, err
		}
		for _, t := range []string{TypeTOTP, TypeWebAuthn} {
			if s.allows(settings, t) && slices.ContainsFunc(devices, func(d store.MFADevice) bool { return kindType(d.Kind) == t }) {
				info.Methods = append(info.Methods, t)
			}
		}
	case StepRegisterMFA:
		for _, t := range []string{TypeTOTP, TypeWebAuthn} {
			if s.allows(settings, t) {
				info.Methods = append(info.Methods, t)
			}
		}
	}
	return info, nil
}

func kindType(kind string) string {
	if kind == KindTOTP {
		return TypeTOTP
	}
	return TypeWebAuthn
}

// putFlow stores a flow under a new token (after removing the old one, if
// any) and returns the token.
func (s *Service) putFlow(ctx context.Context, tx store.Tx, old *store.SigninFlow, userID, workflowID, step string, st flowState) (string, error) {
	if old != nil {
		if _, err := tx.TakeSigninFlow(ctx, old.TokenHash); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return "", ErrFlow // another request advanced it first
			}
			return "", err
		}
	}
	token, hash := newToken()
	state, err := s.seal(flowPurpose+":"+workflowID, st)
	if err != nil {
		return "", err
	}
	now := s.now()
	return token, tx.CreateSigninFlow(ctx, store.SigninFlow{
		TokenHash: hash, WorkflowID: workflowID, UserID: userID, Step: step, State: state,
		CreatedAt: now, ExpiresAt: now.Add(FlowTTL),
	})
}

// rewriteFlow keeps the token but replaces the state (a ceremony's
// challenge, a pending secret).
func (s *Service) rewriteFlow(ctx context.Context, tx store.Tx, f store.SigninFlow, st flowState) error {
	if _, err := tx.TakeSigninFlow(ctx, f.TokenHash); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrFlow
		}
		return err
	}
	state, err := s.seal(flowPurpose+":"+f.WorkflowID, st)
	if err != nil {
		return err
	}
	f.State = state
	return tx.CreateSigninFlow(ctx, f)
}

// SubmitUsername starts a sign-in. It answers the same way whether or not
// the user exists: an unknown name goes on to a password step that can
// never succeed.
func (s *Service) SubmitUsername(ctx context.Context, name, returnTo string) (Next, error) {
	if len(name) > maxUserNameBytes {
		// No user name is this long (the identity store allows 128
		// characters); refusing says nothing about anyone.
		return Next{}, fault.Invalidf("The user name is too long.")
	}
	u, found, err := s.lookupUser(ctx, name)
	if err != nil {
		return Next{}, err
	}
	workflow := newID("")
	var userID string
	var up *store.User
	if found {
		userID, up = u.ID, &u
	}
	var token string
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) (err error) {
		token, err = s.putFlow(ctx, tx, nil, userID, workflow, StepPassword,
			flowState{UserName: name, ReturnTo: returnTo, Purpose: purposeSignin})
		if err != nil {
			return err
		}
		return appendEvents(ctx, tx, outcome(s.signinEvent(ctx, "CredentialChallenge", CredPassword, workflow, up, name), "Success", ""))
	})
	if err != nil {
		return Next{}, err
	}
	return Next{Step: StepPassword, FlowToken: token, ReturnTo: returnTo}, nil
}

// maxUserNameBytes bounds what a sign-in accepts as a user name: 128
// characters of any script.
const maxUserNameBytes = 512

// counter keys
func passwordCounterKey(userID, name string) string {
	if userID == "" {
		// Unknown names are counted too, so a lockout looks the same for
		// every name.
		return "pw:?" + directory.Key(name)
	}
	return "pw:" + userID
}

func otpCounterKey(userID string) string { return "otp:" + userID }

// reserve counts one attempt against a counter before the credential is
// checked, so that however many attempts arrive at once, on however many
// replicas, at most threshold of them are ever evaluated. locked reports a
// key that is locked now; last reports that this attempt is the final one
// the window allows (the key locks unless it succeeds).
func reserve(ctx context.Context, tx store.Tx, key string, now time.Time, threshold int, window, lockFor time.Duration) (locked, last bool, err error) {
	c, err := tx.GetCounter(ctx, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, false, err
	}
	if now.Before(c.LockedUntil) {
		return true, false, nil
	}
	if c.WindowStart.IsZero() || !now.Before(c.WindowStart.Add(window)) || !c.LockedUntil.IsZero() {
		// A new window; a lapsed lock starts afresh.
		c = store.Counter{Key: key, WindowStart: now}
	}
	c.Key = key
	c.Failures++
	if c.Failures >= threshold {
		c.LockedUntil = now.Add(lockFor)
		last = true
	}
	return false, last, tx.PutCounter(ctx, c)
}

// SubmitPassword checks the password of a flow's user.
func (s *Service) SubmitPassword(ctx context.Context, token, pw string, b Browser) (Next, error) {
	f, st, err := s.loadFlow(ctx, s.cfg.Store, token, StepPassword)
	if err != nil {
		return Next{}, err
	}
	if len(pw) > password.MaxBytes {
		return Next{}, password.ErrTooLong
	}
	settings, err := s.Settings(ctx)
	if err != nil {
		return Next{}, err
	}
	var (
		user  store.User
		known bool
		cred  store.Password
	)
	if f.UserID != "" {
		user, err = s.cfg.Store.GetUser(ctx, f.UserID)
		known = err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Next{}, err
		}
	}
	var hasPassword bool
	if known {
		cred, err = s.cfg.Store.GetPassword(ctx, user.ID)
		hasPassword = err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Next{}, err
		}
	}
	key := passwordCounterKey(f.UserID, st.UserName)
	now := s.now()
	var locked, last bool
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) (err error) {
		locked, last, err = reserve(ctx, tx, key, now, settings.LockoutThreshold,
			time.Duration(settings.LockoutWindowMinutes)*time.Minute, time.Duration(settings.LockoutDurationMinutes)*time.Minute)
		return err
	})
	if err != nil {
		return Next{}, err
	}
	var up *store.User
	if known {
		up = &user
	}
	fail := func(reason string, lockedNow bool) (Next, error) {
		err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
			events := []*audit.Event{outcome(s.signinEvent(ctx, "CredentialVerification", CredPassword, f.WorkflowID, up, st.UserName), "Failure", reason)}
			if lockedNow {
				lock := s.signinEvent(ctx, "UserLockedOut", CredPassword, f.WorkflowID, up, st.UserName)
				lock.ServiceEventDetails = map[string]any{"LockedUntil": now.Add(time.Duration(settings.LockoutDurationMinutes) * time.Minute).UTC().Format(time.RFC3339)}
				events = append(events, lock)
				if known {
					if err := s.notifyLocked(ctx, tx, user, settings); err != nil {
						return err
					}
				}
			}
			return appendEvents(ctx, tx, events...)
		})
		if err != nil {
			return Next{}, err
		}
		if lockedNow && known {
			s.cfg.MailSent()
		}
		return Next{Step: StepPassword, FlowToken: token, Message: MsgBadCredentials}, nil
	}
	if locked {
		// No hashing for a locked key, yet the answer takes as long as a
		// wrong password does.
		s.cfg.Hasher.Delay(ctx)
		return fail("LOCKED_OUT", false)
	}
	var ok, rehash bool
	if hasPassword {
		ok, rehash, err = s.cfg.Hasher.Verify(ctx, cred.Hash, pw)
	} else {
		err = s.cfg.Hasher.VerifyDummy(ctx, pw)
	}
	if err != nil {
		// A full queue or a cancelled request: the reserved attempt stays
		// counted, which is the safe side.
		return Next{}, err
	}
	switch {
	case !known:
		return fail("USER_NOT_FOUND", last)
	case !hasPassword:
		return fail("NO_PASSWORD", last)
	case !ok:
		return fail("WRONG_PASSWORD", last)
	case user.Status != directory.StatusEnabled:
		return fail("USER_DISABLED", last)
	}
	var newHash string
	if rehash {
		if newHash, err = s.cfg.Hasher.Hash(ctx, pw); err != nil {
			newHash = "" // keep the old hash; re-hash next time
		}
	}
	var next Next
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteCounter(ctx, key); err != nil {
			return err
		}
		if newHash != "" {
			cred.Hash, cred.UpdatedAt = newHash, s.now()
			if err := tx.PutPassword(ctx, cred); err != nil {
				return err
			}
		}
		if err := appendEvents(ctx, tx, outcome(s.signinEvent(ctx, "CredentialVerification", CredPassword, f.WorkflowID, &user, st.UserName), "Success", "")); err != nil {
			return err
		}
		st.PasswordAt = s.now()
		if cred.MustChange {
			tok, err := s.putFlow(ctx, tx, &f, user.ID, f.WorkflowID, StepChangePassword, st)
			next = Next{Step: StepChangePassword, FlowToken: tok}
			return err
		}
		next, err = s.afterFirstFactor(ctx, tx, &f, st, user, settings, b)
		return err
	})
	if err != nil {
		return Next{}, err
	}
	s.cfg.MailSent()
	return next, nil
}

// afterFirstFactor decides the MFA step once the password is proven, or
// completes the sign-in when none is needed.
func (s *Service) afterFirstFactor(ctx context.Context, tx store.Tx, f *store.SigninFlow, st flowState, user store.User, settings Settings, b Browser) (Next, error) {
	if settings.MFAMode == MFADisabled {
		return s.complete(ctx, tx, f, st, user, "NONE", settings, b, false)
	}
	devices, err := tx.ListMFADevices(ctx, user.ID)
	if err != nil {
		return Next{}, err
	}
	usable := slices.ContainsFunc(devices, func(d store.MFADevice) bool { return s.allows(settings, kindType(d.Kind)) })
	if !usable {
		switch settings.NoDeviceBehavior {
		case NoDeviceAllow:
			return s.complete(ctx, tx, f, st, user, "NONE", settings, b, false)
		case NoDeviceBlock:
			// No session, no flow that leads anywhere: a clear page.
			if _, err := tx.TakeSigninFlow(ctx, f.TokenHash); err != nil && !errors.Is(err, store.ErrNotFound) {
				return Next{}, err
			}
			ev := outcome(s.signinEvent(ctx, "UserAuthentication", "", f.WorkflowID, &user, user.UserName), "Failure", "NO_MFA_DEVICE_BLOCKED")
			return Next{Step: StepBlocked, Message: MsgBlocked}, appendEvents(ctx, tx, ev)
		case NoDeviceEmailOTP:
			if primaryEmail(user) != "" {
				if err := s.newEmailOTP(ctx, tx, &st, user, f.WorkflowID); err != nil {
					return Next{}, err
				}
				tok, err := s.putFlow(ctx, tx, f, user.ID, f.WorkflowID, StepEmailOTP, st)
				return Next{Step: StepEmailOTP, FlowToken: tok}, err
			}
			// Without an email address the user must register a device.
		}
		tok, err := s.putFlow(ctx, tx, f, user.ID, f.WorkflowID, StepRegisterMFA, st)
		return Next{Step: StepRegisterMFA, FlowToken: tok}, err
	}
	if settings.MFAMode == MFAContextAware && s.trusted(ctx, tx, user.ID, b) {
		return s.complete(ctx, tx, f, st, user, "TRUSTED_DEVICE", settings, b, false)
	}
	tok, err := s.putFlow(ctx, tx, f, user.ID, f.WorkflowID, StepMFA, st)
	if err != nil {
		return Next{}, err
	}
	return Next{Step: StepMFA, FlowToken: tok}, nil
}

// network is the part of an address that context-aware MFA compares: the
// /24 of IPv4, the /64 of IPv6.
func network(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	bits := 64
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p.String()
}

// trusted reports whether the browser's trusted-device cookie is valid for
// this user, browser and network. The state is server-side, so copying the
// cookie to another browser or network does not carry the trust along.
func (s *Service) trusted(ctx context.Context, tx store.Tx, userID string, b Browser) bool {
	if b.DeviceToken == "" {
		return false
	}
	d, err := tx.GetTrustedDevice(ctx, hashToken(b.DeviceToken))
	if err != nil {
		return false
	}
	info := reqinfo.FromContext(ctx)
	return d.UserID == userID && s.now().Before(d.ExpiresAt) &&
		d.UserAgent == info.UserAgent && d.Network == network(info.SourceIP)
}

// complete ends the flow with a new session.
func (s *Service) complete(ctx context.Context, tx store.Tx, f *store.SigninFlow, st flowState, user store.User, method string, settings Settings, b Browser, trust bool) (Next, error) {
	if _, err := tx.TakeSigninFlow(ctx, f.TokenHash); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Next{}, ErrFlow
		}
		return Next{}, err
	}
	ev := outcome(s.signinEvent(ctx, "UserAuthentication", "", f.WorkflowID, &user, user.UserName), "Success", "")
	ev.AdditionalEventData["MFAMethod"] = method
	if st.Purpose == purposeAddDevice {
		return Next{Step: StepDone, AddedDevice: true, ReturnTo: "/start/devices"}, nil
	}
	now := s.now()
	token, hash := newToken()
	info := reqinfo.FromContext(ctx)
	sess := store.PortalSession{
		ID: newID("ps-"), TokenHash: hash, UserID: user.ID, MFAMethod: method,
		SourceIP: info.SourceIP, UserAgent: truncate(info.UserAgent, 512),
		CreatedAt: now, AuthTime: now, ExpiresAt: now.Add(time.Duration(settings.SessionDurationMinutes) * time.Minute), LastSeenAt: now,
	}
	if err := tx.CreatePortalSession(ctx, sess); err != nil {
		return Next{}, err
	}
	ev.AdditionalEventData["SessionId"] = sess.ID
	next := Next{Step: StepDone, Session: &NewSession{ID: sess.ID, Token: token, Expires: sess.ExpiresAt}, ReturnTo: st.ReturnTo}
	if trust && settings.MFAMode == MFAContextAware {
		dt, dh := newToken()
		if err := tx.CreateTrustedDevice(ctx, store.TrustedDevice{
			TokenHash: dh, UserID: user.ID, UserAgent: info.UserAgent, Network: network(info.SourceIP),
			CreatedAt: now, ExpiresAt: now.Add(TrustedDeviceTTL),
		}); err != nil {
			return Next{}, err
		}
		next.TrustedDevice = dt
	}
	return next, appendEvents(ctx, tx, ev)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// mfaFailure records a failed second factor: the counter keeps the
// reserved attempt, the event says why.
func (s *Service) mfaFailure(ctx context.Context, tx store.Tx, f store.SigninFlow, user store.User, cred, reason string, lockedNow bool) error {
	events := []*audit.Event{outcome(s.signinEvent(ctx, "CredentialVerification", cred, f.WorkflowID, &user, user.UserName), "Failure", reason)}
	if lockedNow {
		events = append(events, s.signinEvent(ctx, "UserLockedOut", cred, f.WorkflowID, &user, user.UserName))
	}
	return appendEvents(ctx, tx, events...)
}

// reserveMFA counts an MFA attempt (5 per 5 minutes by default, separate
// from the password counter).
func reserveMFA(ctx context.Context, tx store.Tx, userID string, now time.Time, settings Settings) (locked, last bool, err error) {
	return reserve(ctx, tx, otpCounterKey(userID), now, settings.MFALockoutThreshold, 5*time.Minute, 5*time.Minute)
}

// SubmitTOTP checks a code from an authenticator app. Each code is good
// once: the device's last used step is advanced with a compare-and-set, so
// neither a replay nor an earlier step within the skew window is accepted,
// on any replica.
func (s *Service) SubmitTOTP(ctx context.Context, token, code string, b Browser) (Next, error) {
	settings, err := s.Settings(ctx)
	if err != nil {
		return Next{}, err
	}
	var (
		next     Next
		replayed bool
	)
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		replayed = false
		f, st, user, err := s.loadFlowUser(ctx, tx, token, StepMFA)
		if err != nil {
			return err
		}
		now := s.now()
		locked, last, err := reserveMFA(ctx, tx, user.ID, now, settings)
		if err != nil {
			return err
		}
		if locked {
			next = Next{Step: StepMFA, FlowToken: token, Message: MsgMFALocked}
			return s.mfaFailure(ctx, tx, f, user, CredTOTP, "LOCKED_OUT", false)
		}
		if !s.allows(settings, TypeTOTP) {
			next = Next{Step: StepMFA, FlowToken: token, Message: MsgBadCode}
			return s.mfaFailure(ctx, tx, f, user, CredTOTP, "TYPE_NOT_ALLOWED", last)
		}
		devices, err := tx.ListMFADevices(ctx, user.ID)
		if err != nil {
			return err
		}
		for _, d := range devices {
			if d.Kind != KindTOTP {
				continue
			}
			secret, err := s.cfg.Keys.Open(totpPurpose(d.ID), d.SecretSealed)
			if err != nil {
				return fmt.Errorf("signin: open TOTP seed of device %s: %w", d.ID, err)
			}
			step, ok := mfa.MatchTOTP(secret, code, now)
			if !ok {
				continue
			}
			advanced, err := tx.AdvanceTOTPStep(ctx, d.ID, step, now)
			if err != nil {
				return err
			}
			if !advanced {
				next = Next{Step: StepMFA, FlowToken: token, Message: MsgCodeUsed}
				s.log.Warn("TOTP code replayed", "user_id", user.ID, "device_id", d.ID, "workflow_id", f.WorkflowID)
				// The user is told: a replayed code may mean someone saw it.
				// The MFA counter bounds how many such notices one sign-in can
				// cause.
				if err := s.notify(ctx, tx, user, "A sign-in code of yours was used twice",
					"someone entered a code from your authenticator app (\""+d.Name+"\") that had already been used. "+
						"If this was not you, change your password: someone may know it and have seen your code.\n"); err != nil {
					return err
				}
				replayed = true
				return s.mfaFailure(ctx, tx, f, user, CredTOTP, "CODE_ALREADY_USED", last)
			}
			if err := tx.DeleteCounter(ctx, otpCounterKey(user.ID)); err != nil {
				return err
			}
			ev := outcome(s.signinEvent(ctx, "CredentialVerification", CredTOTP, f.WorkflowID, &user, user.UserName), "Success", "")
			ev.AdditionalEventData["MfaDeviceId"] = d.ID
			if err := appendEvents(ctx, tx, ev); err != nil {
				return err
			}
			next, err = s.complete(ctx, tx, &f, st, user, CredTOTP, settings, b, true)
			return err
		}
		next = Next{Step: StepMFA, FlowToken: token, Message: MsgBadCode}
		return s.mfaFailure(ctx, tx, f, user, CredTOTP, "WRONG_CODE", last)
	})
	if err == nil && replayed {
		s.cfg.MailSent()
	}
	return next, err
}

func totpPurpose(deviceID string) string { return "totp-seed:" + deviceID }

// webAuthnUser builds the ceremony's view of a user.
func (s *Service) webAuthnUser(ctx context.Context, r store.Reader, user store.User) (mfa.User, []store.MFADevice, error) {
	devices, err := r.ListMFADevices(ctx, user.ID)
	if err != nil {
		return mfa.User{}, nil, err
	}
	wu := mfa.User{Handle: s.userHandle(user.ID), Name: user.UserName, DisplayName: user.DisplayName}
	var keys []store.MFADevice
	for _, d := range devices {
		if d.Kind == KindWebAuthn {
			wu.Credentials = append(wu.Credentials, d.Credential)
			keys = append(keys, d)
		}
	}
	return wu, keys, nil
}

// takeChallenge removes the WebAuthn challenge from the flow before the
// response to it is checked, so that whatever the outcome each challenge is
// answered at most once (sign-in and registration alike). It returns the
// challenge's state: nil when none was begun or it was already used.
func (s *Service) takeChallenge(ctx context.Context, tx store.Tx, f store.SigninFlow, st *flowState) ([]byte, error) {
	state := st.WebAuthnState
	st.WebAuthnState = nil
	if err := s.rewriteFlow(ctx, tx, f, *st); err != nil {
		return nil, err
	}
	return state, nil
}

// completeWebAuthn ends a flow whose WebAuthn ceremony succeeded. The flow
// is read again because takeChallenge rewrote it in this transaction.
func (s *Service) completeWebAuthn(ctx context.Context, tx store.Tx, f store.SigninFlow, st flowState, user store.User, settings Settings, b Browser) (Next, error) {
	current, err := tx.GetSigninFlow(ctx, f.TokenHash)
	if err != nil {
		return Next{}, ErrFlow
	}
	return s.complete(ctx, tx, &current, st, user, CredWebAuthn, settings, b, true)
}

// BeginWebAuthn starts an assertion for the flow's user and returns the
// options for navigator.credentials.get (JSON).
func (s *Service) BeginWebAuthn(ctx context.Context, token string) ([]byte, error) {
	settings, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	var options []byte
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		f, st, user, err := s.loadFlowUser(ctx, tx, token, StepMFA)
		if err != nil {
			return err
		}
		wu, keys, err := s.webAuthnUser(ctx, tx, user)
		if err != nil {
			return err
		}
		if len(keys) == 0 || !s.allows(settings, TypeWebAuthn) {
			return fault.Invalidf("No security key can be used for this account.")
		}
		var state []byte
		options, state, err = s.cfg.WebAuthn.BeginLogin(wu, settings.WebAuthnUserVerification == "REQUIRED")
		if err != nil {
			return err
		}
		st.WebAuthnState = state
		if err := s.rewriteFlow(ctx, tx, f, st); err != nil {
			return err
		}
		return appendEvents(ctx, tx, outcome(s.signinEvent(ctx, "CredentialChallenge", CredWebAuthn, f.WorkflowID, &user, user.UserName), "Success", ""))
	})
	return options, err
}

// FinishWebAuthn verifies an assertion. The challenge is used once (it is
// removed from the flow whatever the outcome); the signature counter must
// grow (unless both stored and asserted counters are zero) and is stored as
// asserted with a compare-and-set.
func (s *Service) FinishWebAuthn(ctx context.Context, token string, response []byte, b Browser) (Next, error) {
	settings, err := s.Settings(ctx)
	if err != nil {
		return Next{}, err
	}
	var next Next
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		f, st, user, err := s.loadFlowUser(ctx, tx, token, StepMFA)
		if err != nil {
			return err
		}
		state, err := s.takeChallenge(ctx, tx, f, &st)
		if err != nil {
			return err
		}
		now := s.now()
		locked, last, err := reserveMFA(ctx, tx, user.ID, now, settings)
		if err != nil {
			return err
		}
		fail := func(reason string) error {
			next = Next{Step: StepMFA, FlowToken: token, Message: MsgBadKey}
			s.log.Info("webauthn assertion refused", "user_id", user.ID, "workflow_id", f.WorkflowID, "reason", reason)
			return s.mfaFailure(ctx, tx, f, user, CredWebAuthn, reason, last)
		}
		if locked {
			next = Next{Step: StepMFA, FlowToken: token, Message: MsgMFALocked}
			return s.mfaFailure(ctx, tx, f, user, CredWebAuthn, "LOCKED_OUT", false)
		}
		if state == nil {
			return fail("NO_CHALLENGE_OR_CHALLENGE_REUSED")
		}
		if !s.allows(settings, TypeWebAuthn) {
			return fail("TYPE_NOT_ALLOWED")
		}
		wu, keys, err := s.webAuthnUser(ctx, tx, user)
		if err != nil {
			return err
		}
		a, err := s.cfg.WebAuthn.FinishLogin(wu, state, response)
		if err != nil {
			if errors.Is(err, mfa.ErrCeremony) {
				return fail(err.Error())
			}
			return err
		}
		i := slices.IndexFunc(keys, func(d store.MFADevice) bool { return d.CredentialID == a.CredentialID })
		if i < 0 {
			return fail("CREDENTIAL_NOT_REGISTERED_TO_USER")
		}
		d := keys[i]
		// The counter must grow (WebAuthn §6.1.1), compared with the value
		// stored for the device, not the one inside the credential blob.
		// Authenticators without a counter send 0 every time.
		regressed := a.CounterRegressed || (int64(a.SignCount) <= d.SignCount && (a.SignCount != 0 || d.SignCount != 0))
		if regressed {
			s.log.Warn("webauthn signature counter did not increase: possible cloned authenticator",
				"user_id", user.ID, "device_id", d.ID, "stored", d.SignCount, "asserted", a.SignCount)
			if settings.SignCountPolicy == "REJECT" {
				return fail(fmt.Sprintf("SIGN_COUNT_REGRESSION stored=%d asserted=%d", d.SignCount, a.SignCount))
			}
		}
		ok, err := tx.SetSignCount(ctx, d.ID, d.SignCount, int64(a.SignCount), now)
		if err != nil {
			return err
		}
		if !ok {
			return fail("SIGN_COUNT_CHANGED_CONCURRENTLY")
		}
		if err := tx.DeleteCounter(ctx, otpCounterKey(user.ID)); err != nil {
			return err
		}
		ev := outcome(s.signinEvent(ctx, "CredentialVerification", CredWebAuthn, f.WorkflowID, &user, user.UserName), "Success", "")
		ev.AdditionalEventData["MfaDeviceId"] = d.ID
		ev.AdditionalEventData["UserVerified"] = a.UserVerified
		if err := appendEvents(ctx, tx, ev); err != nil {
			return err
		}
		next, err = s.completeWebAuthn(ctx, tx, f, st, user, settings, b)
		return err
	})
	return next, err
}

// ---- email one-time passwords ----

// emailOTPMAC binds a code to its flow, so a code from one sign-in is
// useless in another.
func (s *Service) emailOTPMAC(workflowID, code string) []byte {
	return s.cfg.Keys.MAC("email-otp", []byte(workflowID+"\x00"+code))
}

func (s *Service) newEmailOTP(ctx context.Context, tx store.Tx, st *flowState, user store.User, workflowID string) error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	code := fmt.Sprintf("%06d", binary.BigEndian.Uint64(b[:])%1_000_000)
	st.EmailOTPMAC = s.emailOTPMAC(workflowID, code)
	st.EmailOTPUntil = s.now().Add(EmailOTPTTL)
	st.EmailOTPTries = 0
	err := s.cfg.Outbox.Enqueue(ctx, tx, mail.Message{
		To:      primaryEmail(user),
		Subject: "Your " + s.cfg.Issuer + " verification code",
		Text: fmt.Sprintf("Hello %s,\n\nyour verification code is %s. It is valid for 10 minutes and can be used once.\n\n"+
			"If you did not try to sign in, change your password: someone knows it.\n", user.DisplayName, code),
	})
	if err != nil {
		return err
	}
	return appendEvents(ctx, tx, outcome(s.signinEvent(ctx, "CredentialChallenge", CredEmailOTP, workflowID, &user, user.UserName), "Success", ""))
}

// ResendEmailOTP sends a new code (the previous one stops working).
func (s *Service) ResendEmailOTP(ctx context.Context, token string) (Next, error) {
	var next Next
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		f, st, user, err := s.loadFlowUser(ctx, tx, token, StepEmailOTP)
		if err != nil {
			return err
		}
		if err := s.newEmailOTP(ctx, tx, &st, user, f.WorkflowID); err != nil {
			return err
		}
		next = Next{Step: StepEmailOTP, FlowToken: token, Message: "We sent a new code."}
		return s.rewriteFlow(ctx, tx, f, st)
	})
	if err == nil {
		s.cfg.MailSent()
	}
	return next, err
}

// maxEmailOTPTries is how many wrong codes one emailed code allows before a
// new one must be requested.
const maxEmailOTPTries = 5

// SubmitEmailOTP checks an emailed code. A session signed in this way does
// not count as multi-factor (aws:MultiFactorAuthPresent is false).
func (s *Service) SubmitEmailOTP(ctx context.Context, token, code string, b Browser) (Next, error) {
	settings, err := s.Settings(ctx)
	if err != nil {
		return Next{}, err
	}
	var next Next
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		f, st, user, err := s.loadFlowUser(ctx, tx, token, StepEmailOTP)
		if err != nil {
			return err
		}
		now := s.now()
		fail := func(reason string) error {
			next = Next{Step: StepEmailOTP, FlowToken: token, Message: MsgBadCode}
			if err := s.rewriteFlow(ctx, tx, f, st); err != nil {
				return err
			}
			return s.mfaFailure(ctx, tx, f, user, CredEmailOTP, reason, false)
		}
		if st.EmailOTPMAC == nil {
			return fail("NO_CODE_OR_CODE_USED")
		}
		if !now.Before(st.EmailOTPUntil) {
			st.EmailOTPMAC = nil
			return fail("CODE_EXPIRED")
		}
		st.EmailOTPTries++
		if !hmac.Equal(st.EmailOTPMAC, s.emailOTPMAC(f.WorkflowID, code)) {
			if st.EmailOTPTries >= maxEmailOTPTries {
				st.EmailOTPMAC = nil // a new code must be requested
			}
			return fail("WRONG_CODE")
		}
		st.EmailOTPMAC = nil
		if err := appendEvents(ctx, tx, outcome(s.signinEvent(ctx, "CredentialVerification", CredEmailOTP, f.WorkflowID, &user, user.UserName), "Success", "")); err != nil {
			return err
		}
		next, err = s.complete(ctx, tx, &f, st, user, CredEmailOTP, settings, b, false)
		return err
	})
	return next, err
}

// MFAPresent reports whether a session's sign-in used a second factor in
// the sense of aws:MultiFactorAuthPresent. An emailed code never counts.
func MFAPresent(method string) bool { return method == CredTOTP || method == CredWebAuthn }
