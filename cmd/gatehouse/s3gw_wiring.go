package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authz"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/awsapi/authzapi"
	"github.com/gatehouse/gatehouse/internal/instance"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
	"github.com/gatehouse/gatehouse/internal/s3gw"
	"github.com/gatehouse/gatehouse/internal/sigv4"
	"github.com/gatehouse/gatehouse/internal/store"
)

// S3GatewayConfig is the "s3_gateway" section of the configuration file:
// the S3 access gateway (docs/s3-gateway.md).
type S3GatewayConfig struct {
	// Listen is the gateway's own listener; empty runs no gateway.
	Listen string `json:"listen"`
	// Upstream is the S3-compatible service behind the gateway,
	// http(s)://host[:port].
	Upstream string `json:"upstream"`
	// UpstreamAccessKeyID and UpstreamSecretAccessKey are the upstream's
	// own credentials, which sign every forwarded request. The secret may
	// come from the environment instead (GATEHOUSE_S3_UPSTREAM_SECRET_ACCESS_KEY),
	// to keep it out of the file.
	UpstreamAccessKeyID     string `json:"upstream_access_key_id"`
	UpstreamSecretAccessKey string `json:"upstream_secret_access_key"`
	// UpstreamRegion is the Region forwarded requests are signed for;
	// default the Gatehouse region.
	UpstreamRegion string `json:"upstream_region"`
	// Domains are the gateway's host names for virtual-hosted-style
	// requests ("s3.example.com" makes "photos.s3.example.com" bucket
	// "photos"); requests to other hosts are path-style.
	Domains []string `json:"domains"`
}

// upstreamSecretEnv names the environment variable that may hold the
// upstream's secret access key.
const upstreamSecretEnv = "GATEHOUSE_S3_UPSTREAM_SECRET_ACCESS_KEY"

func (c *S3GatewayConfig) check() error {
	if c.Listen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("s3_gateway.listen %q: %v", c.Listen, err)
	}
	u, err := url.Parse(c.Upstream)
	if c.Upstream == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("s3_gateway.upstream %q: the gateway needs its upstream as http(s)://host[:port] (--s3-upstream)", c.Upstream)
	}
	if c.UpstreamSecretAccessKey == "" {
		c.UpstreamSecretAccessKey = os.Getenv(upstreamSecretEnv)
	}
	if c.UpstreamAccessKeyID == "" || c.UpstreamSecretAccessKey == "" {
		return fmt.Errorf("s3_gateway: upstream_access_key_id and upstream_secret_access_key (or %s) are required", upstreamSecretEnv)
	}
	for _, d := range c.Domains {
		if d == "" || strings.ContainsAny(d, "/: ") {
			return fmt.Errorf("s3_gateway.domains: %q is not a host name", d)
		}
	}
	return nil
}

// authzParts are the services of issue 7: the decision service, the
// authorization API and the S3 access gateway.
type authzParts struct {
	svc      *authz.Service
	resolver *authz.Resolver
	api      *awsapi.JSONService
	// gateway is the S3 gateway's handler, nil when none is configured.
	gateway http.Handler
}

func newAuthzParts(cfg Config, log *slog.Logger, db store.Store, inst instance.Instance, acc *accessServices,
	cred *credentialParts, prin *principals, now func() time.Time) (*authzParts, error) {
	admin, ok := acc.access.ManagedDocument(authz.AdministratorAccessARN)
	if !ok {
		return nil, errors.New("authz: the AdministratorAccess policy is missing from the managed policy catalogue")
	}
	adminSet, err := authz.AdminPolicySet(admin)
	if err != nil {
		return nil, err
	}
	// IAM users (delegated administrators) act with their own policies;
	// the bootstrap administrator with adminSet (admin_wiring.go).
	users := authz.NewUsers(iamUsers{acc.iam}, adminSet, 0, now)
	svc, err := authz.New(authz.Options{Roles: authz.NewRoles(db, acc.access, 0, now), AdminPolicy: adminSet, Users: users})
	if err != nil {
		return nil, err
	}
	resolver := authz.NewResolver(prin.keys, cred.creds, now)
	p := &authzParts{
		svc: svc, resolver: resolver,
		api: authzapi.Service(svc, resolver, cfg.Region, authzapi.AdministratorsOnly{AccountID: inst.OwnerAccountID}, now),
	}
	g := cfg.S3Gateway
	if g.Listen == "" {
		return p, nil
	}
	gw, err := s3gw.New(s3gw.Config{
		Upstream:            g.Upstream,
		UpstreamCredentials: sigv4.Credentials{AccessKeyID: g.UpstreamAccessKeyID, SecretAccessKey: g.UpstreamSecretAccessKey},
		UpstreamRegion:      g.UpstreamRegion,
		Region:              cfg.Region,
		Domains:             g.Domains,
		Resolver:            resolver,
		Authz:               svc,
		// Data events are committed in groups (s3gw.Journal).
		Audit: s3gw.NewJournal(audit.NewRecorder(db), 0),
		Log:   log,
		Now:   now,
	})
	if err != nil {
		return nil, err
	}
	p.gateway = reqinfo.Middleware{Trusted: cfg.trustedProxies(), Now: now}.Wrap(gw)
	return p, nil
}

// serveS3 runs the gateway's listener until ctx ends. Its server has no
// read or write timeout beyond the headers': an upload or a download of
// many gigabytes takes as long as it takes.
func serveS3(cfg Config, h http.Handler, log *slog.Logger) (shutdown func(context.Context) error, errc <-chan error, err error) {
	ln, err := net.Listen("tcp", cfg.S3Gateway.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("s3 gateway listen: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("s3 gateway listening", "addr", ln.Addr().String(), "upstream", cfg.S3Gateway.Upstream, "domains", cfg.S3Gateway.Domains)
	ch := make(chan error, 1)
	go func() { ch <- srv.Serve(ln) }()
	return srv.Shutdown, ch, nil
}
