package signin

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Locked reports whether a user is locked out now, by too many wrong
// passwords or MFA codes. Other paths to tokens (device approval with a
// surviving session, refresh tokens, code redemption) ask it, so that a
// lockout holds everywhere, not only at the password page.
func (s *Service) Locked(ctx context.Context, userID string) (bool, error) {
	now := s.now()
	for _, key := range []string{passwordCounterKey(userID, ""), otpCounterKey(userID)} {
		c, err := s.cfg.Store.GetCounter(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("signin: lock state of %s: %w", userID, err)
		}
		if now.Before(c.LockedUntil) {
			return true, nil
		}
	}
	return false, nil
}
