package mail

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/store"
)

// MaxAttempts is how often a message is tried before it is marked failed.
// With the backoff below the last try is about a day after the first.
const MaxAttempts = 12

// claimFor is how long a replica owns a claimed message; a replica that
// dies mid-send lets the claim lapse and another one retries.
const claimFor = 2 * time.Minute

// Sender delivers queued messages.
type Sender struct {
	store     store.Store
	keys      *keyring.Keyring
	transport Transport
	from      string
	log       *slog.Logger
	now       func() time.Time
	// Poll is how often the outbox is checked without a Notify.
	Poll time.Duration
	// Backoff returns the wait after the n-th failed attempt.
	Backoff func(n int) time.Duration

	wake chan struct{}
}

// NewSender returns a sender. from is the envelope and header sender.
func NewSender(s store.Store, keys *keyring.Keyring, t Transport, from string, log *slog.Logger, now func() time.Time) *Sender {
	if now == nil {
		now = time.Now
	}
	return &Sender{
		store: s, keys: keys, transport: t, from: from, log: log, now: now,
		Poll: 2 * time.Second,
		Backoff: func(n int) time.Duration {
			d := 30 * time.Second << min(n-1, 10)
			return min(d, 4*time.Hour)
		},
		wake: make(chan struct{}, 1),
	}
}

// Notify wakes the sender after a message was committed.
func (s *Sender) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.Poll)
	defer t.Stop()
	for {
		if err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("mail outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// SendDue sends every message that is due now, in batches.
func (s *Sender) SendDue(ctx context.Context) error {
	for {
		now := s.now()
		var batch []store.MailMessage
		err := s.store.Update(ctx, func(tx store.Tx) (err error) {
			batch, err = tx.ClaimMail(ctx, now, now.Add(claimFor), 10)
			return err
		})
		if err != nil {
			return fmt.Errorf("claim mail: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, m := range batch {
			s.deliver(ctx, m)
		}
	}
}

func (s *Sender) deliver(ctx context.Context, m store.MailMessage) {
	m.Attempts++
	err := s.try(ctx, m)
	now := s.now().UTC()
	m.ClaimedUntil = time.Time{}
	switch {
	case err == nil:
		m.Status, m.SentAt, m.SealedBody, m.LastError = StatusSent, now, nil, ""
		s.log.Info("mail sent", "mail_id", m.ID, "to", m.Recipient, "subject", m.Subject, "via", s.transport.Describe())
	case m.Attempts >= MaxAttempts:
		m.Status, m.LastError = StatusFailed, err.Error()
		s.log.Error("mail failed for good", "mail_id", m.ID, "to", m.Recipient, "attempts", m.Attempts, "err", err)
	default:
		m.LastError, m.NextAttemptAt = err.Error(), now.Add(s.Backoff(m.Attempts))
		s.log.Warn("mail send failed; will retry", "mail_id", m.ID, "to", m.Recipient, "attempt", m.Attempts,
			"retry_at", m.NextAttemptAt, "err", err)
	}
	// The outcome must be recorded even when ctx is ending: a sent message
	// left pending would be sent again. The statement needs the detached
	// context too (PostgreSQL runs it on the context it is given).
	ctx = context.WithoutCancel(ctx)
	if err := s.store.Update(ctx, func(tx store.Tx) error { return tx.FinishMail(ctx, m) }); err != nil {
		s.log.Error("record mail outcome", "mail_id", m.ID, "err", err)
	}
}

func (s *Sender) try(ctx context.Context, m store.MailMessage) error {
	raw, err := s.keys.Open(sealPurpose(m.ID), m.SealedBody)
	if err != nil {
		return fmt.Errorf("open sealed body: %w", err)
	}
	from, to, err := Envelope(s.from, m.Recipient)
	if err != nil {
		return err
	}
	return s.transport.Send(ctx, m.ID, from, to, raw)
}
