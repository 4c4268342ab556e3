package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"path/filepath"
	"time"

	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/awsapi/gatehouseadmin"
	"github.com/gatehouse/gatehouse/internal/consoleadmin"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/instance"
	"github.com/gatehouse/gatehouse/internal/keyring"
	gmail "github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/oauth"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/portal"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/web"
)

// MailConfig is the "mail" section of the configuration file.
type MailConfig struct {
	// From is the sender, e.g. "Gatehouse <no-reply@example.com>".
	From string `json:"from"`
	// SMTP, when set, sends through an SMTP server; otherwise messages are
	// written as .eml files under <data_dir>/mail.
	SMTP *SMTPConfig `json:"smtp"`

	// tlsForTests pins the TLS settings of the SMTP client (the tests'
	// server has its own CA); never set from the file.
	tlsForTests *tls.Config
}

// SMTPConfig configures the SMTP relay.
type SMTPConfig struct {
	Host string `json:"host"`
	Port int    `json:"port"`
	// Security is "starttls" (default), "tls" (implicit, port 465) or
	// "none" (loopback relays only).
	Security string `json:"security"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// check validates the mail section.
func (m *MailConfig) check() error {
	if m.From == "" {
		m.From = "Gatehouse <no-reply@gatehouse.invalid>"
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		return fmt.Errorf("mail.from %q: %v", m.From, err)
	}
	if s := m.SMTP; s != nil {
		if s.Host == "" {
			return errors.New("mail.smtp.host must be set")
		}
		if s.Security == "" {
			s.Security = gmail.StartTLS
		}
		switch s.Security {
		case gmail.StartTLS, gmail.ImplicitTLS, gmail.Plain:
		default:
			return fmt.Errorf("mail.smtp.security %q: want starttls, tls or none", s.Security)
		}
		if s.Port == 0 {
			s.Port = map[string]int{gmail.StartTLS: 587, gmail.ImplicitTLS: 465, gmail.Plain: 25}[s.Security]
		}
		if s.Security == gmail.Plain && s.Username != "" {
			return errors.New("mail.smtp: refusing to send a password without TLS (security \"none\")")
		}
	}
	return nil
}

// signinParts are the sign-in services and the access portal.
type signinParts struct {
	svc *signin.Service
	web http.Handler
	// portal is web as the admin console uses it (layout, sessions, CSRF).
	portal *web.Handler
	sender *gmail.Sender
	cancel context.CancelFunc
	done   chan struct{}
}

// newSignin builds the sign-in service, the mail sender and the portal,
// which lists what acc says the user reaches and issues credentials through
// creds.
func newSignin(cfg Config, log *slog.Logger, db store.Store, keys *keyring.Keyring, dir *directory.Service,
	inst instance.Instance, acc portal.Access, creds portal.Credentials, oa *oauth.Service, now func() time.Time) (*signinParts, error) {
	var transport gmail.Transport
	if s := cfg.Mail.SMTP; s != nil {
		transport = &gmail.SMTP{Host: s.Host, Port: s.Port, Security: s.Security, Username: s.Username,
			Password: keyring.Secret(s.Password), TLS: cfg.Mail.tlsForTests}
	} else {
		transport = &gmail.Dir{Path: filepath.Join(cfg.DataDir, "mail")}
	}
	sender := gmail.NewSender(db, keys, transport, cfg.Mail.From, log, now)
	wa, err := mfa.NewWebAuthn(cfg.PublicURL, "Gatehouse")
	if err != nil {
		// Browsers accept only a host name as the WebAuthn relying party,
		// so with the default http://127.0.0.1:8080 security keys are off;
		// authenticator apps work.
		log.Warn("security keys and passkeys are off: public_url needs a host name, not an IP address (for example http://localhost:8080)",
			"public_url", cfg.PublicURL, "err", err)
		wa = nil
	}
	svc := signin.New(signin.Config{
		Store: db, Directory: dir, Keys: keys,
		Hasher:   password.NewHasher(password.DefaultParams, 0, 0),
		Outbox:   gmail.NewOutbox(keys, cfg.Mail.From, now),
		MailSent: sender.Notify, WebAuthn: wa, PublicURL: cfg.PublicURL,
		IdentityStoreARN: "arn:aws:identitystore::" + inst.OwnerAccountID + ":identitystore/" + inst.IdentityStoreID,
		AccountID:        inst.OwnerAccountID, Region: cfg.Region, Log: log, Now: now,
	})
	dir.AddHook(svc.Hook())
	if acc == nil {
		return nil, errors.New("newSignin: the portal needs its accounts and roles (entitlement)")
	}
	if creds == nil {
		creds = portal.Unavailable{}
	}
	h, err := web.New(web.Options{Signin: svc, Access: acc, Credentials: creds, PublicURL: cfg.PublicURL,
		CSRFKey: keys.MACKey("portal-csrf"), Region: cfg.Region, OAuth: oa, Log: log, Now: now})
	if err != nil {
		return nil, err
	}
	if u, _ := url.Parse(cfg.PublicURL); u.Scheme == "http" && !isLoopback(u.Hostname()) {
		log.Warn("public_url is plain http on a non-loopback host: portal cookies are not Secure; use https", "public_url", cfg.PublicURL)
	}
	log.Info("mail delivery", "via", transport.Describe())
	return &signinParts{svc: svc, web: h, portal: h, sender: sender}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// adminService is the GatehouseAdmin JSON service; authz decides its
// calls, grants keeps console access.
func (p *signinParts) adminService(dir *directory.Service, grants *consoleadmin.Service, pager *awsapi.Pager,
	authz awsapi.Authorizer, accountID string) *awsapi.JSONService {
	return gatehouseadmin.Service(gatehouseadmin.Options{Directory: dir, Signin: p.svc, Grants: grants, Mailer: p.sender,
		Pager: pager, Authz: authz, AccountID: accountID})
}

// start runs the mail sender and the hourly purge of expired sign-in state.
func (p *signinParts) start(log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		p.sender.Run(ctx)
	}()
	go func() {
		defer close(p.done)
		defer func() { <-senderDone }()
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if n, err := p.svc.PurgeExpired(ctx); err != nil {
					log.Warn("purge expired sign-in state", "err", err)
				} else if n > 0 {
					log.Info("purged expired sign-in state", "rows", n)
				}
			}
		}
	}()
}

// stop ends the background work.
func (p *signinParts) stop() {
	if p.cancel != nil {
		p.cancel()
		<-p.done
	}
}
