package signin

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/store"
)

// SessionHook is told, inside the ending transaction, when portal sessions
// are ended on purpose (a user ending one of their sessions, an
// administrator ending one or all of a user's sessions), so that what was
// issued under them (temporary credentials) ends in the same commit.
// sessionID is empty when every session of the user ended.
type SessionHook interface {
	SessionsEnded(ctx context.Context, tx store.Tx, userID, sessionID string) error
}

// AddSessionHook registers a hook; call it while wiring, before serving.
func (s *Service) AddSessionHook(h SessionHook) { s.sessionHooks = append(s.sessionHooks, h) }

// sessionsEnded runs the hooks.
func (s *Service) sessionsEnded(ctx context.Context, tx store.Tx, userID, sessionID string) error {
	for _, h := range s.sessionHooks {
		if err := h.SessionsEnded(ctx, tx, userID, sessionID); err != nil {
			return err
		}
	}
	return nil
}
