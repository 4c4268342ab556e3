package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/keyring"
)

// Transport delivers one message.
type Transport interface {
	// Send delivers raw (a complete RFC 5322 message) from the envelope
	// sender to the recipient; id names the message for logs and files.
	Send(ctx context.Context, id, from, to string, raw []byte) error
	// Describe says where messages go, for the startup log.
	Describe() string
}

// SMTP security modes.
const (
	// StartTLS connects in plain text and upgrades with STARTTLS, which
	// the server must offer (port 587).
	StartTLS = "starttls"
	// ImplicitTLS connects with TLS from the first byte (port 465).
	ImplicitTLS = "tls"
	// Plain sends without encryption; only for a relay on loopback.
	Plain = "none"
)

// SMTP delivers through an SMTP server.
type SMTP struct {
	Host     string
	Port     int
	Security string
	Username string
	Password keyring.Secret
	// HeloName is sent in EHLO; default "localhost".
	HeloName string
	// TLS overrides the TLS settings (tests pin the test server's CA
	// here); ServerName defaults to Host.
	TLS *tls.Config
	// Timeout bounds one delivery; default 30 s.
	Timeout time.Duration
}

// Describe names the server.
func (s *SMTP) Describe() string {
	return fmt.Sprintf("smtp://%s (%s)", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), s.Security)
}

func (s *SMTP) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLS != nil {
		c = s.TLS.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = s.Host
	}
	return c
}

// Send delivers one message in its own SMTP session.
func (s *SMTP) Send(ctx context.Context, id, from, to string, raw []byte) error {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	var (
		conn net.Conn
		err  error
	)
	d := &net.Dialer{}
	if s.Security == ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: d, Config: s.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("mail: connect %s: %w", addr, err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: smtp greeting from %s: %w", addr, err)
	}
	defer c.Close()
	helo := s.HeloName
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return fmt.Errorf("mail: EHLO: %w", err)
	}
	if s.Security == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("mail: the server does not offer STARTTLS, which the configuration requires")
		}
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			return fmt.Errorf("mail: STARTTLS: %w", err)
		}
	}
	if s.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("mail: the server does not offer AUTH, which the configuration requires")
		}
		// PlainAuth refuses to send credentials without TLS except to
		// localhost, which is what we want.
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password.Reveal(), s.Host)); err != nil {
			return fmt.Errorf("mail: AUTH: %w", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("mail: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: end of data: %w", err)
	}
	return c.Quit()
}

// Dir writes each message as <id>.eml in a directory: the default when no
// SMTP server is configured, so that a fresh `gatehouse serve` can show its
// invitation links.
type Dir struct {
	Path string
}

// Describe names the directory.
func (d *Dir) Describe() string { return "files in " + d.Path }

// Send writes the message atomically (write, sync, rename).
func (d *Dir) Send(_ context.Context, id, _, _ string, raw []byte) error {
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return fmt.Errorf("mail: create %s: %w", d.Path, err)
	}
	final := filepath.Join(d.Path, id+".eml")
	tmp, err := os.CreateTemp(d.Path, ".tmp-*")
	if err != nil {
		return fmt.Errorf("mail: create message file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("mail: chmod message file: %w", err)
	}
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("mail: write message file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("mail: sync message file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("mail: close message file: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("mail: store message file: %w", err)
	}
	return nil
}

// PathOf returns the file a message id is written to.
func (d *Dir) PathOf(id string) string { return filepath.Join(d.Path, id+".eml") }
