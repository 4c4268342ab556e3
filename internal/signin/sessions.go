package signin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/store"
)

// ErrNoSession is the fault for a missing, ended or expired session.
var ErrNoSession = &fault.Error{Kind: fault.Unauthenticated, Message: "You are not signed in."}

// Session is a signed-in portal session.
type Session struct {
	store.PortalSession
	User store.User
	// TokenHash identifies the cookie, for binding CSRF tokens.
	TokenHash string
}

// MFAPresent reports whether the session's sign-in used a second factor.
func (s Session) MFAPresent() bool { return MFAPresent(s.MFAMethod) }

// touchEvery bounds how often a session's last-seen time is written.
const touchEvery = 5 * time.Minute

// Session resolves a session cookie. Every call reads the store, so a
// session ended on any replica (sign-out, an administrator, disabling the
// user) stops working at once everywhere.
func (s *Service) Session(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 128 {
		return Session{}, ErrNoSession
	}
	ps, err := s.cfg.Store.GetPortalSession(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	if !now.Before(ps.ExpiresAt) {
		return Session{}, ErrNoSession
	}
	u, err := s.cfg.Store.GetUser(ctx, ps.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	if u.Status != directory.StatusEnabled {
		return Session{}, ErrNoSession
	}
	if now.Sub(ps.LastSeenAt) > touchEvery {
		if err := s.cfg.Store.Update(ctx, func(tx store.Tx) error { return tx.TouchPortalSession(ctx, ps.ID, now) }); err == nil {
			ps.LastSeenAt = now
		}
	}
	return Session{PortalSession: ps, User: u, TokenHash: ps.TokenHash}, nil
}

// SignOut ends the session of a cookie.
func (s *Service) SignOut(ctx context.Context, token string) error {
	sess, err := s.Session(ctx, token)
	if err != nil {
		return nil // nothing to end
	}
	return s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeletePortalSession(ctx, sess.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		ev := outcome(s.signinEvent(ctx, "Logout", "", "", &sess.User, sess.User.UserName), "Success", "")
		ev.AdditionalEventData["SessionId"] = sess.ID
		return appendEvents(ctx, tx, ev)
	})
}

// ListSessions lists a user's live sessions, newest first.
func (s *Service) ListSessions(ctx context.Context, userID string) ([]store.PortalSession, error) {
	return s.cfg.Store.ListPortalSessions(ctx, userID, s.now())
}

// EndSession ends one of a user's sessions (a user ending their own, or an
// administrator).
func (s *Service) EndSession(ctx context.Context, userID, sessionID string) error {
	return s.cfg.Store.Update(ctx, func(tx store.Tx) error {
		list, err := tx.ListPortalSessions(ctx, userID, s.now())
		if err != nil {
			return err
		}
		found := false
		for _, ps := range list {
			found = found || ps.ID == sessionID
		}
		if !found {
			return fault.NotFoundf("SESSION", sessionID, "The session does not exist or has ended.")
		}
		if err := tx.DeletePortalSession(ctx, sessionID); err != nil {
			return err
		}
		if err := s.sessionsEnded(ctx, tx, userID, sessionID); err != nil {
			return err
		}
		return stage(ctx, tx, nil, s.sessionEvent(ctx, tx, userID, "EndSession", sessionID))
	})
}

// EndAllSessions ends every session of a user, and the sign-ins in
// progress, and forgets the user's trusted browsers.
func (s *Service) EndAllSessions(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) (err error) {
		if _, err := tx.GetUser(ctx, userID); errors.Is(err, store.ErrNotFound) {
			return userNotFound(userID)
		} else if err != nil {
			return err
		}
		if n, err = tx.DeletePortalSessionsOfUser(ctx, userID); err != nil {
			return err
		}
		if err := tx.DeleteSigninFlowsOfUser(ctx, userID); err != nil {
			return err
		}
		if err := tx.DeleteTrustedDevicesOfUser(ctx, userID); err != nil {
			return err
		}
		if err := s.sessionsEnded(ctx, tx, userID, ""); err != nil {
			return err
		}
		return stage(ctx, tx, map[string]any{"sessionsEnded": n}, s.sessionEvent(ctx, tx, userID, "EndAllSessions", ""))
	})
	return n, err
}

func (s *Service) sessionEvent(ctx context.Context, tx store.Tx, userID, name, sessionID string) *audit.Event {
	u, err := tx.GetUser(ctx, userID)
	var up *store.User
	if err == nil {
		up = &u
	}
	ev := outcome(s.signinEvent(ctx, name, "", "", up, u.UserName), "Success", "")
	if sessionID != "" {
		ev.AdditionalEventData["SessionId"] = sessionID
	}
	return ev
}

// endSessions ends a user's sessions, flows and trusted browsers.
func (s *Service) endSessions(ctx context.Context, tx store.Tx, userID string) error {
	if _, err := tx.DeletePortalSessionsOfUser(ctx, userID); err != nil {
		return fmt.Errorf("signin: end sessions of %s: %w", userID, err)
	}
	if err := tx.DeleteSigninFlowsOfUser(ctx, userID); err != nil {
		return err
	}
	return tx.DeleteTrustedDevicesOfUser(ctx, userID)
}

// endEverything also revokes the user's outstanding links.
func (s *Service) endEverything(ctx context.Context, tx store.Tx, userID string) error {
	if err := s.endSessions(ctx, tx, userID); err != nil {
		return err
	}
	_, err := tx.DeleteUserTokens(ctx, userID, "")
	return err
}

// Hook ends a user's sign-in state in the transaction that disables or
// deletes the user, so that access stops at the commit, on every replica.
type Hook struct{ s *Service }

// Hook returns the directory hook of the service.
func (s *Service) Hook() Hook { return Hook{s: s} }

var _ directory.Hook = Hook{}

// UserDisabled ends sessions, flows, trusted browsers and links.
func (h Hook) UserDisabled(ctx context.Context, tx store.Tx, userID string) error {
	return h.s.endEverything(ctx, tx, userID)
}

// UserDeleted removes everything sign-in holds about the user.
func (h Hook) UserDeleted(ctx context.Context, tx store.Tx, userID string) error {
	if err := h.s.endEverything(ctx, tx, userID); err != nil {
		return err
	}
	if err := tx.DeletePassword(ctx, userID); err != nil {
		return err
	}
	if err := tx.DeleteMFADevicesOfUser(ctx, userID); err != nil {
		return err
	}
	return h.s.unlock(ctx, tx, userID)
}

// GroupDeleted has nothing to do for sign-in.
func (Hook) GroupDeleted(context.Context, store.Tx, string) error { return nil }

// UserCreated invites a user created through the API when the settings
// ask for it and the user has an email address. A user created in the
// admin console gets what the administrator chose there instead (an
// invitation or a one-time password).
func (h Hook) UserCreated(ctx context.Context, tx store.Tx, u store.User) error {
	if ev, ok := audit.FromContext(ctx); ok && ev.SessionCredentialFromConsole == "true" {
		return nil
	}
	settings, err := h.s.settingsFrom(ctx, tx)
	if err != nil {
		return err
	}
	if !settings.InviteUsersCreatedByAPI || primaryEmail(u) == "" || u.Status != directory.StatusEnabled {
		return nil
	}
	_, err = h.s.invite(ctx, tx, u)
	return err
}

// PurgeExpired deletes expired flows, sessions, links and trusted browsers.
func (s *Service) PurgeExpired(ctx context.Context) (int, error) {
	var n int
	err := s.cfg.Store.Update(ctx, func(tx store.Tx) (err error) {
		n, err = tx.PurgeExpiredSignin(ctx, s.now())
		return err
	})
	return n, err
}
