package signin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Link purposes.
const (
	LinkInvite = "invite"
	LinkReset  = "reset"
)

// ErrBadLink is the fault for a link that cannot be used, for whatever
// reason (unknown, used, expired, superseded, user disabled).
var ErrBadLink = &fault.Error{Kind: fault.Invalid, Message: MsgBadLink}

func userNotFound(id string) error {
	return fault.NotFoundf(directory.ResourceUser, id, "USER not found.")
}

// LinkURL is the address a link token is sent as: always under the
// configured public URL.
func (s *Service) LinkURL(token string) string {
	return s.cfg.PublicURL + "/start/link?token=" + token
}

// Invitation is the result of sending an invitation.
type Invitation struct {
	UserID    string
	Email     string
	ExpiresAt time.Time
}

// Invite emails a user a single-use link (valid 7 days) to set a
// password. Sending again revokes the earlier link.
func (s *Service) Invite(ctx context.Context, userID string) (Invitation, error) {
	var inv Invitation
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		u, err := tx.GetUser(ctx, userID)
		if errors.Is(err, store.ErrNotFound) {
			return userNotFound(userID)
		}
		if err != nil {
			return err
		}
		inv, err = s.invite(ctx, tx, u)
		if err != nil {
			return err
		}
		return stage(ctx, tx, map[string]any{"userId": u.ID, "expiresAt": inv.ExpiresAt.Format(time.RFC3339)}, nil)
	})
	if err == nil {
		s.cfg.MailSent()
	}
	return inv, err
}

func (s *Service) invite(ctx context.Context, tx store.Tx, u store.User) (Invitation, error) {
	to := primaryEmail(u)
	if to == "" {
		return Invitation{}, fault.Invalidf("The user has no email address to send an invitation to.")
	}
	if u.Status != directory.StatusEnabled {
		return Invitation{}, fault.Invalidf("The user is disabled; enable the user before inviting them.")
	}
	exp, err := s.issueLink(ctx, tx, u, LinkInvite, InvitationTTL,
		"You are invited to "+s.cfg.Issuer,
		"an administrator created a "+s.cfg.Issuer+" account for you with the user name %q.\n\n"+
			"Set your password here (the link works once and expires on %s):\n\n%s\n\n"+
			"Afterwards you will register a multi-factor authentication device and land in the access portal.\n")
	return Invitation{UserID: u.ID, Email: to, ExpiresAt: exp}, err
}

// issueLink revokes the user's earlier links and queues a new one.
func (s *Service) issueLink(ctx context.Context, tx store.Tx, u store.User, purpose string, ttl time.Duration, subject, format string) (time.Time, error) {
	if _, err := tx.DeleteUserTokens(ctx, u.ID, ""); err != nil {
		return time.Time{}, err
	}
	token, hash := newToken()
	now := s.now()
	exp := now.Add(ttl)
	if err := tx.CreateUserToken(ctx, store.UserToken{TokenHash: hash, UserID: u.ID, Purpose: purpose, CreatedAt: now, ExpiresAt: exp}); err != nil {
		return exp, err
	}
	return exp, s.cfg.Outbox.Enqueue(ctx, tx, mail.Message{
		To: primaryEmail(u), Subject: subject,
		Text: fmt.Sprintf("Hello %s,\n\n"+format, u.DisplayName, u.UserName, exp.UTC().Format("2 January 2006 15:04 MST"), s.LinkURL(token)),
	})
}

// RevokeInvitation makes the user's outstanding invitation link unusable.
func (s *Service) RevokeInvitation(ctx context.Context, userID string) error {
	return s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.GetUser(ctx, userID); errors.Is(err, store.ErrNotFound) {
			return userNotFound(userID)
		} else if err != nil {
			return err
		}
		n, err := tx.DeleteUserTokens(ctx, userID, LinkInvite)
		if err != nil {
			return err
		}
		if n == 0 {
			return fault.NotFoundf("INVITATION", userID, "The user has no outstanding invitation.")
		}
		return stage(ctx, tx, nil, nil)
	})
}

// RequestReset emails a password-reset link (valid 1 hour) when name is
// an enabled user with an email address, and does nothing otherwise. The
// answer is the same either way, and so is the work: an event is written
// in both cases.
func (s *Service) RequestReset(ctx context.Context, name string) error {
	if len(name) > maxUserNameBytes {
		name = name[:maxUserNameBytes] // no such user; keep the record small
	}
	u, found, err := s.lookupUser(ctx, name)
	if err != nil {
		return err
	}
	sent := false
	workflow := newID("")
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		var up *store.User
		reason := ""
		switch {
		case !found:
			reason = "USER_NOT_FOUND"
		case u.Status != directory.StatusEnabled:
			reason, up = "USER_DISABLED", &u
		case primaryEmail(u) == "":
			reason, up = "NO_EMAIL", &u
		default:
			up = &u
			if _, err := s.reset(ctx, tx, u); err != nil {
				return err
			}
			sent = true
		}
		ev := s.signinEvent(ctx, "PasswordResetRequested", CredPassword, workflow, up, name)
		if reason != "" {
			outcome(ev, "Failure", reason)
		} else {
			outcome(ev, "Success", "")
		}
		return appendEvents(ctx, tx, ev)
	})
	if sent {
		s.cfg.MailSent()
	}
	return err
}

func (s *Service) reset(ctx context.Context, tx store.Tx, u store.User) (time.Time, error) {
	return s.issueLink(ctx, tx, u, LinkReset, ResetTTL,
		"Reset your "+s.cfg.Issuer+" password",
		"someone asked to reset the password of your "+s.cfg.Issuer+" account (user name %q).\n\n"+
			"Choose a new password here (the link works once and expires on %s):\n\n%s\n\n"+
			"If this was not you, ignore this message: your password stays as it is.\n")
}

// Reset modes of AdminResetPassword.
const (
	ResetEmail           = "EMAIL"
	ResetOneTimePassword = "ONE_TIME_PASSWORD"
)

// AdminReset is the outcome of an administrator's password reset.
type AdminReset struct {
	// OneTimePassword is set in ONE_TIME_PASSWORD mode: hand it over; the
	// user must change it at the next sign-in.
	OneTimePassword string
	ExpiresAt       time.Time
}

// AdminResetPassword resets a user's password, either by emailing a reset
// link or by setting a one-time password. Both unlock the user; the
// one-time password also ends the user's sessions.
func (s *Service) AdminResetPassword(ctx context.Context, userID, mode string) (AdminReset, error) {
	u, err := s.cfg.Store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return AdminReset{}, userNotFound(userID)
	}
	if err != nil {
		return AdminReset{}, err
	}
	var out AdminReset
	var hash string
	switch mode {
	case ResetEmail:
		if primaryEmail(u) == "" {
			return out, fault.Invalidf("The user has no email address; use ONE_TIME_PASSWORD.")
		}
	case ResetOneTimePassword:
		out.OneTimePassword = oneTimePassword()
		if hash, err = s.cfg.Hasher.Hash(ctx, out.OneTimePassword); err != nil {
			return AdminReset{}, err
		}
	default:
		return out, fault.Invalidf("Mode must be EMAIL or ONE_TIME_PASSWORD")
	}
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		if err := s.unlock(ctx, tx, u.ID); err != nil {
			return err
		}
		if mode == ResetEmail {
			exp, err := s.reset(ctx, tx, u)
			out.ExpiresAt = exp
			if err != nil {
				return err
			}
			return stage(ctx, tx, map[string]any{"mode": mode, "expiresAt": exp.Format(time.RFC3339)}, nil)
		}
		old, err := tx.GetPassword(ctx, u.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.PutPassword(ctx, store.Password{UserID: u.ID, Hash: hash, MustChange: true,
			History: pushHistory(old), UpdatedAt: s.now()}); err != nil {
			return err
		}
		if _, err := tx.DeleteUserTokens(ctx, u.ID, ""); err != nil {
			return err
		}
		if err := s.endEverything(ctx, tx, u.ID); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, u, "Your "+s.cfg.Issuer+" password was reset",
			"an administrator reset your password and gave you a one-time password; you will choose a new one when you next sign in.\n"); err != nil {
			return err
		}
		// The one-time password itself is never recorded.
		return stage(ctx, tx, map[string]any{"mode": mode, "oneTimePassword": audit.Hidden}, nil)
	})
	if err == nil {
		s.cfg.MailSent()
	}
	return out, err
}

// oneTimePassword returns 16 random characters with every character class,
// so it satisfies either policy.
func oneTimePassword() string {
	const (
		upper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		lower  = "abcdefghijkmnopqrstuvwxyz"
		digits = "23456789"
		symbol = "!#%+-=?@"
	)
	pick := func(set string) byte {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		return set[n.Int64()]
	}
	all := upper + lower + digits + symbol
	b := []byte{pick(upper), pick(lower), pick(digits), pick(symbol)}
	for len(b) < 16 {
		b = append(b, pick(all))
	}
	// Shuffle so the classes are not in fixed places.
	for i := len(b) - 1; i > 0; i-- {
		j, _ := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		b[i], b[j.Int64()] = b[j.Int64()], b[i]
	}
	return string(b)
}

func pushHistory(old store.Password) []string {
	if old.Hash == "" {
		return old.History
	}
	h := append([]string{old.Hash}, old.History...)
	if len(h) > password.HistoryDepth {
		h = h[:password.HistoryDepth]
	}
	return h
}

// Unlock clears a user's password and MFA failure counters.
func (s *Service) Unlock(ctx context.Context, userID string) error {
	return s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.GetUser(ctx, userID); errors.Is(err, store.ErrNotFound) {
			return userNotFound(userID)
		} else if err != nil {
			return err
		}
		if err := s.unlock(ctx, tx, userID); err != nil {
			return err
		}
		return stage(ctx, tx, nil, nil)
	})
}

func (s *Service) unlock(ctx context.Context, tx store.Tx, userID string) error {
	if err := tx.DeleteCounter(ctx, passwordCounterKey(userID, "")); err != nil {
		return err
	}
	return tx.DeleteCounter(ctx, otpCounterKey(userID))
}

// OpenLink starts a flow for an invitation or reset link. The link is not
// used up until a password is set, so opening it twice is harmless; the
// flow cookie replaces the token in the address bar.
func (s *Service) OpenLink(ctx context.Context, token string) (Next, error) {
	if token == "" || len(token) > 128 {
		return Next{}, ErrBadLink
	}
	t, err := s.cfg.Store.GetUserToken(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return Next{}, ErrBadLink
	}
	if err != nil {
		return Next{}, err
	}
	if !s.now().Before(t.ExpiresAt) {
		return Next{}, ErrBadLink
	}
	u, err := s.cfg.Store.GetUser(ctx, t.UserID)
	if err != nil || u.Status != directory.StatusEnabled {
		return Next{}, ErrBadLink
	}
	var flow string
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) (err error) {
		flow, err = s.putFlow(ctx, tx, nil, u.ID, newID(""), StepSetPassword,
			flowState{UserName: u.UserName, Purpose: purposeLink, LinkTokenHash: t.TokenHash})
		return err
	})
	return Next{Step: StepSetPassword, FlowToken: flow}, err
}

// newPassword checks a new password against the policy and (AWS policy)
// the user's last passwords, and returns its hash.
func (s *Service) newPassword(ctx context.Context, user store.User, pw string, settings Settings) (string, store.Password, error) {
	policy, _ := password.ParsePolicy(settings.PasswordPolicy)
	if err := policy.Check(pw, password.Subject{UserName: user.UserName, Email: primaryEmail(user)}); err != nil {
		return "", store.Password{}, err
	}
	old, err := s.cfg.Store.GetPassword(ctx, user.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", old, err
	}
	if policy.Name == password.AWS {
		for _, h := range append([]string{old.Hash}, old.History...) {
			if h == "" {
				continue
			}
			same, _, err := s.cfg.Hasher.Verify(ctx, h, pw)
			if err != nil {
				return "", old, err
			}
			if same {
				return "", old, fault.Invalidf("This password cannot be used: choose one that is not among your last %d passwords.", password.HistoryDepth)
			}
		}
	}
	hash, err := s.cfg.Hasher.Hash(ctx, pw)
	return hash, old, err
}

// passwordChange is a password-setting step (an invitation or reset link's
// set-password, a one-time password's change-password) whose new password
// has passed the policy and is ready to store.
type passwordChange struct {
	flow     store.SigninFlow
	st       flowState
	settings Settings
	user     store.User
	// hash is the new password's; old is the stored one, for the history.
	hash string
	old  store.Password
}

// preparePassword loads the flow of token at step and its user, and checks
// pw against the password policy and the user's last passwords. Both
// password-setting steps do this the same way before they store anything.
// A password the policy refuses comes back as retry (the same step again,
// with the reason) and a nil error. noUser is the answer when the flow's
// user cannot be read: the link page for a link, the expired page for a
// sign-in.
func (s *Service) preparePassword(ctx context.Context, token, step, pw string, noUser error) (p passwordChange, retry *Next, err error) {
	p.flow, p.st, err = s.loadFlow(ctx, s.cfg.Store, token, step)
	if err != nil {
		return p, nil, err
	}
	p.settings, err = s.Settings(ctx)
	if err != nil {
		return p, nil, err
	}
	p.user, err = s.cfg.Store.GetUser(ctx, p.flow.UserID)
	if err != nil {
		return p, nil, noUser
	}
	p.hash, p.old, err = s.newPassword(ctx, p.user, pw, p.settings)
	if err != nil {
		if fault.Is(err, fault.Invalid) {
			return p, &Next{Step: step, FlowToken: token, Message: faultMessage(err)}, nil
		}
		return p, nil, err
	}
	return p, nil, nil
}

// SetPassword redeems an invitation or reset link with a new password.
// Exactly one of several concurrent submissions wins; the others get the
// "link invalid" page. Sign-in then goes on to MFA as usual: a reset never
// skips the second factor.
func (s *Service) SetPassword(ctx context.Context, token, pw string, b Browser) (Next, error) {
	p, retry, err := s.preparePassword(ctx, token, StepSetPassword, pw, ErrBadLink)
	if err != nil {
		return Next{}, err
	}
	if retry != nil {
		return *retry, nil
	}
	var next Next
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		// The store may run this function again when the transaction loses
		// a serialization race (PostgreSQL): it changes copies of the flow
		// and its state, never what a second run would start from.
		flow, st := p.flow, p.st
		t, err := tx.TakeUserToken(ctx, st.LinkTokenHash, s.now())
		if errors.Is(err, store.ErrNotFound) {
			return ErrBadLink
		}
		if err != nil {
			return err
		}
		user, err := tx.GetUser(ctx, t.UserID)
		if err != nil || user.Status != directory.StatusEnabled {
			return ErrBadLink
		}
		if err := tx.PutPassword(ctx, store.Password{UserID: user.ID, Hash: p.hash, History: pushHistory(p.old), UpdatedAt: s.now()}); err != nil {
			return err
		}
		if err := s.unlock(ctx, tx, user.ID); err != nil {
			return err
		}
		// A new password ends the sessions that the old one opened (the
		// flow in progress goes on to MFA).
		if _, err := tx.DeletePortalSessionsOfUser(ctx, user.ID); err != nil {
			return err
		}
		if err := tx.DeleteTrustedDevicesOfUser(ctx, user.ID); err != nil {
			return err
		}
		ev := outcome(s.signinEvent(ctx, "PasswordUpdated", CredPassword, flow.WorkflowID, &user, user.UserName), "Success", "")
		ev.AdditionalEventData["Via"] = t.Purpose
		if err := appendEvents(ctx, tx, ev); err != nil {
			return err
		}
		st.Purpose, st.LinkTokenHash, st.PasswordAt = purposeSignin, "", s.now()
		next, err = s.afterFirstFactor(ctx, tx, &flow, st, user, p.settings, b)
		return err
	})
	if err == nil {
		s.cfg.MailSent()
	}
	return next, err
}

func faultMessage(err error) string {
	if f, ok := fault.As(err); ok {
		return f.Message
	}
	return err.Error()
}

// ChangePassword replaces a one-time password at sign-in.
func (s *Service) ChangePassword(ctx context.Context, token, pw string, b Browser) (Next, error) {
	p, retry, err := s.preparePassword(ctx, token, StepChangePassword, pw, ErrFlow)
	if err != nil {
		return Next{}, err
	}
	if retry != nil {
		return *retry, nil
	}
	user := p.user
	var next Next
	err = s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutPassword(ctx, store.Password{UserID: user.ID, Hash: p.hash, History: pushHistory(p.old), UpdatedAt: s.now()}); err != nil {
			return err
		}
		ev := outcome(s.signinEvent(ctx, "PasswordUpdated", CredPassword, p.flow.WorkflowID, &user, user.UserName), "Success", "")
		ev.AdditionalEventData["Via"] = "one-time password"
		if err := appendEvents(ctx, tx, ev); err != nil {
			return err
		}
		flow := p.flow // a copy: the store may run this function again (see SetPassword)
		next, err = s.afterFirstFactor(ctx, tx, &flow, p.st, user, p.settings, b)
		return err
	})
	return next, err
}
