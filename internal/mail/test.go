package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// SendTest sends a message to to at once, through the configured
// transport and not through the outbox, so that an administrator checking
// the mail settings sees the transport's answer (an SMTP error, say)
// straight away.
func (s *Sender) SendTest(ctx context.Context, to string) error {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	id := "test-" + hex.EncodeToString(b)
	raw, err := render(s.from, Message{To: to, Subject: "Gatehouse test message",
		Text: "This is a test message from Gatehouse. Mail delivery works.\n"}, id, s.now().UTC())
	if err != nil {
		return err
	}
	from, rcpt, err := Envelope(s.from, to)
	if err != nil {
		return err
	}
	if err := s.transport.Send(ctx, id, from, rcpt, raw); err != nil {
		return fmt.Errorf("mail: send test message via %s: %w", s.transport.Describe(), err)
	}
	return nil
}
