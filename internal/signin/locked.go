package signin

import (
	"context"
	"fmt"
)

// Locked reports whether a user is locked out now, by too many wrong
// passwords or MFA codes. Other paths to tokens (device approval with a
// surviving session, refresh tokens, code redemption) ask it, so that a
// lockout holds everywhere, not only at the password page.
func (s *Service) Locked(ctx context.Context, userID string) (bool, error) {
	// Both counters (wrong passwords, wrong MFA codes) in one read: every
	// GetRoleCredentials and token grant asks.
	until, err := s.cfg.Store.LockedUntil(ctx, passwordCounterKey(userID, ""), otpCounterKey(userID))
	if err != nil {
		return false, fmt.Errorf("signin: lock state of %s: %w", userID, err)
	}
	return s.now().Before(until), nil
}
