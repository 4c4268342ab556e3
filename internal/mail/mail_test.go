package mail_test

import (
	"context"
	"io"
	"log/slog"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/keyring"
	gmail "github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/mail/smtptest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore/sqltest"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "g.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

const from = "Gatehouse <no-reply@gatehouse.test>"

func enqueue(t *testing.T, s store.Store, o *gmail.Outbox, m gmail.Message) {
	t.Helper()
	if err := s.Update(context.Background(), func(tx store.Tx) error { return o.Enqueue(context.Background(), tx, m) }); err != nil {
		t.Fatal(err)
	}
}

// TestSMTPStartTLSAuthAndRetry sends through a real SMTP server on loopback
// with STARTTLS and AUTH PLAIN; the server refuses the first attempt, and
// the sender retries until it is accepted.
func TestSMTPStartTLSAuthAndRetry(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Username: "gatehouse", Password: "relay-pass", FailFirst: 1})
	s := openStore(t)
	keys := keyring.NewForTest()
	o := gmail.NewOutbox(keys, from, nil)
	transport := &gmail.SMTP{Host: srv.Host, Port: srv.Port, Security: gmail.StartTLS, Username: "gatehouse",
		Password: "relay-pass", TLS: srv.ClientTLS()}
	snd := gmail.NewSender(s, keys, transport, from, discard, nil)
	snd.Backoff = func(int) time.Duration { return 0 }
	enqueue(t, s, o, gmail.Message{To: "Alice <alice@example.com>", Subject: "Invitation — Gatehouse", Text: "Hello Ålice,\nline two\n"})

	ctx := context.Background()
	if err := snd.SendDue(ctx); err != nil { // first attempt: 451, retried in the same pass (backoff 0)
		t.Fatal(err)
	}
	m := srv.Next(t, 10*time.Second)
	if !m.TLS || m.AuthUser != "gatehouse" || m.From != "no-reply@gatehouse.test" || len(m.To) != 1 || m.To[0] != "alice@example.com" {
		t.Fatalf("envelope = %+v", m)
	}
	parsed, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subj, _ := dec.DecodeHeader(parsed.Header.Get("Subject"))
	if subj != "Invitation — Gatehouse" {
		t.Fatalf("subject %q", subj)
	}
	list, _ := s.ListMail(ctx, 10)
	if len(list) != 1 || list[0].Status != gmail.StatusSent || list[0].Attempts != 2 || list[0].SealedBody != nil {
		t.Fatalf("outbox after send = %+v", list)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{ImplicitTLS: true, Username: "u", Password: "p"})
	tr := &gmail.SMTP{Host: srv.Host, Port: srv.Port, Security: gmail.ImplicitTLS, Username: "u", Password: "p", TLS: srv.ClientTLS()}
	if err := tr.Send(context.Background(), "id1", "a@example.com", "b@example.com", []byte("Subject: x\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	if m := srv.Next(t, 5*time.Second); !m.TLS || string(m.Data) != "Subject: x\r\n\r\nhi\r\n" {
		t.Fatalf("message = %+v", m)
	}
}

func TestSMTPWrongPasswordIsAnError(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Username: "u", Password: "p"})
	tr := &gmail.SMTP{Host: srv.Host, Port: srv.Port, Security: gmail.StartTLS, Username: "u", Password: "wrong", TLS: srv.ClientTLS()}
	err := tr.Send(context.Background(), "id1", "a@example.com", "b@example.com", []byte("x\r\n"))
	if err == nil || !strings.Contains(err.Error(), "AUTH") {
		t.Fatalf("Send with a wrong password = %v", err)
	}
}

// TestFailedForGood: a message that never goes through is retried up to
// MaxAttempts and then marked failed, not dropped.
func TestFailedForGood(t *testing.T) {
	s := openStore(t)
	keys := keyring.NewForTest()
	o := gmail.NewOutbox(keys, from, nil)
	tr := &gmail.SMTP{Host: "127.0.0.1", Port: 1, Security: gmail.Plain, Timeout: time.Second}
	snd := gmail.NewSender(s, keys, tr, from, discard, nil)
	snd.Backoff = func(int) time.Duration { return 0 }
	enqueue(t, s, o, gmail.Message{To: "bob@example.com", Subject: "s", Text: "t"})
	if err := snd.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	list, _ := s.ListMail(context.Background(), 10)
	if len(list) != 1 || list[0].Status != gmail.StatusFailed || list[0].Attempts != gmail.MaxAttempts || list[0].LastError == "" {
		t.Fatalf("outbox = %+v", list)
	}
}

func TestDirTransport(t *testing.T) {
	s := openStore(t)
	keys := keyring.NewForTest()
	dir := &gmail.Dir{Path: filepath.Join(t.TempDir(), "mail")}
	snd := gmail.NewSender(s, keys, dir, from, discard, nil)
	enqueue(t, s, gmail.NewOutbox(keys, from, nil), gmail.Message{To: "carol@example.com", Subject: "Reset", Text: "link: https://x/y"})
	if err := snd.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	list, _ := s.ListMail(context.Background(), 10)
	data, err := os.ReadFile(dir.PathOf(list[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "link: https://x/y") || !strings.Contains(string(data), "To: <carol@example.com>") {
		t.Fatalf("eml = %s", data)
	}
	if info, _ := os.Stat(dir.PathOf(list[0].ID)); info.Mode().Perm() != 0o600 {
		t.Fatalf("eml mode %v", info.Mode().Perm())
	}
}

// TestBodySealedAtRest: the link in a queued message is not readable from
// the database row.
func TestBodySealedAtRest(t *testing.T) {
	s := openStore(t)
	o := gmail.NewOutbox(keyring.NewForTest(), from, nil)
	enqueue(t, s, o, gmail.Message{To: "dan@example.com", Subject: "s", Text: "secret-token-abc"})
	list, _ := s.ListMail(context.Background(), 10)
	if strings.Contains(string(list[0].SealedBody), "secret-token-abc") {
		t.Fatal("the message body is stored in the clear")
	}
}

// stopsSender is a transport that delivers, and meanwhile the sender is
// told to stop (its context is cancelled), as at a shutdown mid-send.
type stopsSender struct{ stop context.CancelFunc }

func (s stopsSender) Send(context.Context, string, string, string, []byte) error {
	s.stop()
	return nil
}
func (stopsSender) Describe() string { return "test" }

// TestOutcomeRecordedWhenStoppedMidSend: a message handed over while the
// sender stops is still recorded as sent, on both backends, so it is not
// sent again once its claim lapses.
func TestOutcomeRecordedWhenStoppedMidSend(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			cfg := sqlstore.Config{Driver: "sqlite", Path: sqltest.SQLitePath(t)}
			if backend == "postgres" {
				cfg = sqlstore.Config{Driver: "postgres", DSN: sqltest.PostgresDSN(t)}
			}
			s, err := sqlstore.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			keys := keyring.NewForTest()
			enqueue(t, s, gmail.NewOutbox(keys, from, nil), gmail.Message{To: "erin@example.com", Subject: "s", Text: "t"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_ = gmail.NewSender(s, keys, stopsSender{stop: cancel}, from, discard, nil).SendDue(ctx) // ends with ctx's error
			list, err := s.ListMail(context.Background(), 10)
			if err != nil || len(list) != 1 || list[0].Status != gmail.StatusSent {
				t.Fatalf("outbox: %d messages, first %q (want one, %q), %v", len(list), status(list), gmail.StatusSent, err)
			}
		})
	}
}

func status(list []store.MailMessage) string {
	if len(list) == 0 {
		return ""
	}
	return list[0].Status
}
