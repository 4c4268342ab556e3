// Package mail sends Gatehouse's email (invitations, password resets,
// security notices) through a transactional outbox.
//
// A change that causes a message queues it with Outbox.Enqueue in the same
// store transaction, so the message exists exactly when the change commits.
// A Sender goroutine on every replica claims due messages (a claim is a
// compare-and-set in the store, so two replicas never send one message
// twice at the same time), hands them to a Transport and records the
// outcome; failures are retried with exponential backoff and, after
// MaxAttempts, marked failed and logged as errors: nothing is dropped
// silently. Message bodies carry single-use links, so they are sealed by the
// keyring at rest and erased once sent.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Message is an email to queue.
type Message struct {
	To      string
	Subject string
	// Text is the plain-text body.
	Text string
}

// Message statuses in the outbox.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
)

// Outbox queues messages inside store transactions.
type Outbox struct {
	keys *keyring.Keyring
	from string
	now  func() time.Time
}

// NewOutbox returns an outbox sending from the given address
// ("Gatehouse <no-reply@example.com>").
func NewOutbox(keys *keyring.Keyring, from string, now func() time.Time) *Outbox {
	if now == nil {
		now = time.Now
	}
	return &Outbox{keys: keys, from: from, now: now}
}

// From returns the sender address.
func (o *Outbox) From() string { return o.from }

// sealPurpose binds a sealed body to its message id.
func sealPurpose(id string) string { return "mail:" + id }

// Enqueue renders m and queues it in tx.
func (o *Outbox) Enqueue(ctx context.Context, tx store.Tx, m Message) error {
	if _, err := mail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("mail: recipient %q: %w", m.To, err)
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	now := o.now().UTC()
	raw, err := render(o.from, m, id, now)
	if err != nil {
		return err
	}
	return tx.EnqueueMail(ctx, store.MailMessage{
		ID: id, Recipient: m.To, Subject: m.Subject, SealedBody: o.keys.Seal(sealPurpose(id), raw),
		Status: StatusPending, CreatedAt: now, NextAttemptAt: now,
	})
}

// render builds the RFC 5322 message: UTF-8 text, quoted-printable.
func render(from string, m Message, id string, at time.Time) ([]byte, error) {
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: sender %q: %w", from, err)
	}
	toAddr, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("mail: recipient %q: %w", m.To, err)
	}
	domain := "gatehouse.invalid"
	if _, d, ok := strings.Cut(fromAddr.Address, "@"); ok {
		domain = d
	}
	var buf bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	header("From", fromAddr.String())
	header("To", toAddr.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", at.Format(time.RFC1123Z))
	header("Message-ID", "<"+id+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", `text/plain; charset="utf-8"`)
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	buf.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&buf)
	text := strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(text)); err != nil {
		return nil, fmt.Errorf("mail: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("mail: encode body: %w", err)
	}
	return buf.Bytes(), nil
}

// Envelope returns the SMTP envelope addresses of a sender and recipient.
func Envelope(from, to string) (string, string, error) {
	f, err := mail.ParseAddress(from)
	if err != nil {
		return "", "", fmt.Errorf("mail: sender %q: %w", from, err)
	}
	t, err := mail.ParseAddress(to)
	if err != nil {
		return "", "", fmt.Errorf("mail: recipient %q: %w", to, err)
	}
	return f.Address, t.Address, nil
}
