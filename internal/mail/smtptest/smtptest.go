// Package smtptest runs a small but real SMTP server on loopback for tests:
// it speaks RFC 5321 over TCP with EHLO, STARTTLS (RFC 3207) or implicit
// TLS, AUTH PLAIN (RFC 4954), MAIL, RCPT, DATA, RSET, NOOP and QUIT, with a
// fresh self-signed certificate. Gatehouse's SMTP client talks to it over a
// socket exactly as it would to a mail relay, so the tests exercise the TLS
// upgrade and the authentication for real.
package smtptest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one accepted message.
type Message struct {
	From     string
	To       []string
	Data     []byte
	TLS      bool
	AuthUser string
}

// Options configure the server.
type Options struct {
	// Username and Password, when set, are required (AUTH PLAIN, after
	// TLS) before MAIL.
	Username, Password string
	// ImplicitTLS serves TLS from the first byte instead of STARTTLS.
	ImplicitTLS bool
	// FailFirst answers the first n messages with a temporary failure
	// (451) after DATA, to test retries.
	FailFirst int
}

// Server is a running test SMTP server.
type Server struct {
	// Host and Port are where it listens (127.0.0.1).
	Host string
	Port int
	// Messages receives every accepted message.
	Messages chan Message

	opts   Options
	ln     net.Listener
	tlsCfg *tls.Config
	pool   *x509.CertPool

	mu       sync.Mutex
	failLeft int
	wg       sync.WaitGroup
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cert, pool, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		Messages: make(chan Message, 100),
		opts:     opts, ln: ln, pool: pool, failLeft: opts.FailFirst,
		tlsCfg: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// ClientTLS returns a client TLS configuration that trusts the server.
func (s *Server) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Next waits for the next message.
func (s *Server) Next(t testing.TB, timeout time.Duration) Message {
	t.Helper()
	select {
	case m := <-s.Messages:
		return m
	case <-time.After(timeout):
		t.Fatalf("no message arrived at the SMTP server within %v", timeout)
		return Message{}
	}
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(time.Minute))
			if s.opts.ImplicitTLS {
				tc := tls.Server(c, s.tlsCfg)
				if err := tc.Handshake(); err != nil {
					return
				}
				s.session(tc, true)
				return
			}
			s.session(c, false)
		}()
	}
}

// session runs one SMTP conversation.
func (s *Server) session(c net.Conn, secure bool) {
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	reply := func(format string, args ...any) {
		fmt.Fprintf(w, format+"\r\n", args...)
		w.Flush()
	}
	reply("220 smtptest ESMTP ready")
	var (
		msg    Message
		authed string
		helo   bool
	)
	msg.TLS = secure
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			helo = true
			fmt.Fprintf(w, "250-smtptest greets %s\r\n", arg)
			if !secure {
				fmt.Fprintf(w, "250-STARTTLS\r\n")
			}
			if secure && s.opts.Username != "" {
				fmt.Fprintf(w, "250-AUTH PLAIN\r\n")
			}
			reply("250 8BITMIME")
		case "STARTTLS":
			if secure {
				reply("503 already in TLS")
				continue
			}
			reply("220 go ahead")
			tc := tls.Server(c, s.tlsCfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			// RFC 3207: the session starts over after the upgrade.
			s.session2(tc)
			return
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			if !secure || !strings.EqualFold(mech, "PLAIN") {
				reply("504 unsupported authentication")
				continue
			}
			if initial == "" {
				reply("334 ")
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				initial = strings.TrimSpace(l)
			}
			raw, err := base64.StdEncoding.DecodeString(initial)
			parts := strings.Split(string(raw), "\x00")
			if err != nil || len(parts) != 3 || parts[1] != s.opts.Username || parts[2] != s.opts.Password {
				reply("535 5.7.8 authentication credentials invalid")
				continue
			}
			authed = parts[1]
			reply("235 2.7.0 authentication succeeded")
		case "MAIL":
			if !helo {
				reply("503 say EHLO first")
				continue
			}
			if s.opts.Username != "" && authed == "" {
				reply("530 5.7.0 authentication required")
				continue
			}
			msg = Message{TLS: secure, AuthUser: authed, From: addr(arg)}
			reply("250 ok")
		case "RCPT":
			msg.To = append(msg.To, addr(arg))
			reply("250 ok")
		case "DATA":
			if msg.From == "" || len(msg.To) == 0 {
				reply("503 need MAIL and RCPT first")
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				l = strings.TrimPrefix(l, ".") // dot-unstuffing
				data.WriteString(l)
			}
			s.mu.Lock()
			fail := s.failLeft > 0
			if fail {
				s.failLeft--
			}
			s.mu.Unlock()
			if fail {
				reply("451 4.3.0 try again later")
				continue
			}
			msg.Data = []byte(data.String())
			s.Messages <- msg
			reply("250 queued as %s", strconv.FormatInt(time.Now().UnixNano(), 36))
		case "RSET":
			msg = Message{TLS: secure, AuthUser: authed}
			reply("250 ok")
		case "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 command not implemented")
		}
	}
}

// session2 continues on the upgraded connection. RFC 3207: the client
// starts over with EHLO, and the server sends no new greeting.
func (s *Server) session2(c net.Conn) {
	s.session(&skipFirstLine{Conn: c}, true)
}

// skipFirstLine drops the first line written (session's 220 greeting),
// which RFC 3207 forbids after STARTTLS.
type skipFirstLine struct {
	net.Conn
	skipped bool
}

func (c *skipFirstLine) Write(p []byte) (int, error) {
	if !c.skipped {
		if i := strings.Index(string(p), "\r\n"); i >= 0 {
			c.skipped = true
			n := i + 2
			if n == len(p) {
				return len(p), nil
			}
			m, err := c.Conn.Write(p[n:])
			return n + m, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func addr(arg string) string {
	_, v, _ := strings.Cut(arg, ":")
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ' '); i >= 0 {
		v = v[:i]
	}
	return strings.Trim(v, "<>")
}

func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "smtptest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool, nil
}
