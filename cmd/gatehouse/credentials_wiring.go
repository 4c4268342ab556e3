package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/awsapi/portal"
	"github.com/gatehouse/gatehouse/internal/awsapi/ssooidc"
	"github.com/gatehouse/gatehouse/internal/awsapi/sts"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/entitlement"
	"github.com/gatehouse/gatehouse/internal/instance"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/oauth"
	"github.com/gatehouse/gatehouse/internal/signin"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/tempcred"
)

// TokensConfig is the "tokens" section of the configuration file: sso-oidc
// and temporary credentials.
type TokensConfig struct {
	// CredentialCacheTTL bounds how long a replica reuses the resolution
	// of temporary credentials, and so how long a revocation made on
	// another replica takes to be seen: "0s" reads the database on every
	// request; default "2s", at most "5s".
	CredentialCacheTTL string `json:"credential_cache_ttl"`
	// AuthCodeTTL bounds authorization codes: "60s" to "10m" (default).
	AuthCodeTTL string `json:"auth_code_ttl"`
	// DisableDeviceGrant refuses the device authorization grant (the AWS
	// CLI then needs its authorization code flow, 2.22+).
	DisableDeviceGrant bool `json:"disable_device_grant"`

	cacheTTL, codeTTL time.Duration
}

func (t *TokensConfig) check() error {
	parse := func(name, v string, def, lo, hi time.Duration) (time.Duration, error) {
		if v == "" {
			return def, nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			return 0, fmt.Errorf("tokens.%s %q: want a duration from %v to %v", name, v, lo, hi)
		}
		return d, nil
	}
	var err error
	if t.cacheTTL, err = parse("credential_cache_ttl", t.CredentialCacheTTL, tempcred.DefaultCacheTTL, 0, tempcred.MaxCacheTTL); err != nil {
		return err
	}
	if t.cacheTTL == 0 {
		t.cacheTTL = -1 // tempcred: negative disables the cache
	}
	t.codeTTL, err = parse("auth_code_ttl", t.AuthCodeTTL, oauth.DefaultAuthCodeTTL, time.Minute, oauth.DefaultAuthCodeTTL)
	return err
}

// credentialParts are the services of issue 6: sso-oidc, the portal API,
// temporary credentials and STS.
type credentialParts struct {
	roles  *entitlement.Service
	creds  *tempcred.Service
	oauth  *oauth.Service
	issuer *tempcred.Issuer
	locks  *lateLocks
	rest   *awsapi.RESTRouter
	sts    *awsapi.QueryService
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
}

// lateLocks lets the OAuth service ask sign-in about lockouts although
// sign-in is built after it (sign-in's pages need the OAuth service).
type lateLocks struct{ s *signin.Service }

func (l *lateLocks) Locked(ctx context.Context, userID string) (bool, error) {
	if l.s == nil {
		return false, errors.New("sign-in is not wired")
	}
	return l.s.Locked(ctx, userID)
}

func newCredentialParts(cfg Config, log *slog.Logger, db store.Store, keys *keyring.Keyring, dir *directory.Service,
	inst instance.Instance, acc *accessServices, prin *principals, json *awsapi.JSONRouter, pager *awsapi.Pager,
	models modelSet, now func() time.Time) (*credentialParts, error) {
	storeARN := "arn:aws:identitystore::" + inst.OwnerAccountID + ":identitystore/" + inst.IdentityStoreID
	roles := entitlement.New(db, acc.access, acc.org)
	creds := tempcred.New(db, keys, roles, tempcred.Options{Now: now, Log: log, CacheTTL: cfg.Tokens.cacheTTL})
	prin.temp = creds
	locks := &lateLocks{}
	o := oauth.New(oauth.Config{Store: db, Keys: keys, Locks: locks, PublicURL: cfg.PublicURL, AuthCodeTTL: cfg.Tokens.codeTTL,
		DisableDeviceGrant: cfg.Tokens.DisableDeviceGrant, Region: cfg.Region, AccountID: inst.OwnerAccountID,
		IdentityStoreARN: storeARN, Log: log, Now: now})
	issuer := &tempcred.Issuer{Creds: creds, Roles: roles, Access: acc.access, Store: db, Region: cfg.Region,
		AccountID: inst.OwnerAccountID, IdentityStoreARN: storeARN}
	// Disabling or deleting a user ends the user's tokens and revokes the
	// user's credentials in the same transaction.
	dir.AddHook(o.Hook())
	dir.AddHook(creds.Hook())
	p := &credentialParts{roles: roles, creds: creds, oauth: o, issuer: issuer, locks: locks, log: log,
		rest: &awsapi.RESTRouter{
			Services: []*awsapi.RESTService{
				ssooidc.Service(o, models["sso-oidc"]),
				portal.Service(o, roles, issuer, pager, storeARN, models["sso"]),
			},
			Audit: json.Audit, Log: log, Region: cfg.Region, AccountID: inst.OwnerAccountID,
		},
		sts: sts.Service(keyAccounts{keys: prin}, models["sts"]),
	}
	return p, nil
}

// wireSignin gives sign-in what it needs from these services: the lockout
// state for grants, and the revocation of credentials when sessions are
// ended on purpose.
func (p *credentialParts) wireSignin(s *signin.Service) {
	p.locks.s = s
	s.AddSessionHook(p.creds.Hook())
}

// start runs the hourly purge of expired clients, codes, tokens and
// credentials.
func (p *credentialParts) start(db store.Store, now func() time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				var n int
				err := db.Update(ctx, func(tx store.Tx) (err error) { n, err = tx.PurgeExpiredTokens(ctx, now()); return })
				if err != nil {
					p.log.Warn("purge expired tokens", "err", err)
				} else if n > 0 {
					p.log.Info("purged expired tokens and credentials", "rows", n)
				}
			}
		}
	}()
}

func (p *credentialParts) stop() {
	if p.cancel != nil {
		p.cancel()
		<-p.done
	}
}

// principals resolves access keys for SigV4 verification: AKIA… keys of
// administrators (accesskey) and ASIA… temporary credentials (tempcred).
type principals struct {
	keys *accesskey.Service
	temp *tempcred.Service
}

func (p *principals) Resolve(ctx context.Context, id string) (awsapi.Principal, error) {
	if strings.HasPrefix(id, "ASIA") {
		if p.temp == nil {
			return awsapi.Principal{}, awsapi.ErrUnknownKey
		}
		s, err := p.temp.Resolve(ctx, id)
		if errors.Is(err, tempcred.ErrUnknown) {
			return awsapi.Principal{}, awsapi.ErrUnknownKey
		}
		if err != nil {
			return awsapi.Principal{}, err
		}
		return awsapi.Principal{
			Secret: s.Secret.Reveal(), TokenHash: s.TokenHash, Expires: s.ExpiresAt, Revoked: s.Revoked,
			Caller: awsapi.Caller{AccessKeyID: id, PrincipalARN: s.ARN(), PrincipalID: s.PrincipalID(), AccountID: s.AccountID,
				Type: "AssumedRole", UserName: s.UserName,
				Session: &awsapi.SessionContext{UserID: s.UserID, MFAPresent: s.MFAPresent, AuthTime: s.AuthTime,
					IssuedAt: s.IssuedAt, ExpiresAt: s.ExpiresAt, Tags: s.Tags}},
		}, nil
	}
	k, err := p.keys.Lookup(ctx, id)
	if errors.Is(err, accesskey.ErrUnknown) {
		return awsapi.Principal{}, awsapi.ErrUnknownKey
	}
	if err != nil {
		return awsapi.Principal{}, err
	}
	return awsapi.Principal{Secret: k.Secret.Reveal(), Caller: awsapi.Caller{
		AccessKeyID: k.ID, PrincipalARN: k.PrincipalARN, AccountID: k.AccountID,
		Type: "IAMUser", UserName: k.UserName(), PrincipalID: k.UserID(),
	}}, nil
}

// keyAccounts answers GetAccessKeyInfo from both kinds of keys.
type keyAccounts struct{ keys awsapi.Principals }

func (k keyAccounts) KeyAccount(ctx context.Context, id string) (string, bool, error) {
	p, err := k.keys.Resolve(ctx, id)
	if errors.Is(err, awsapi.ErrUnknownKey) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return p.Caller.AccountID, true, nil
}
