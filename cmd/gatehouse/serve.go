package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/awsapi/identitystore"
	"github.com/gatehouse/gatehouse/internal/console"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/instance"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/server"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

// app is a wired Gatehouse: its handler and what must be closed after it.
type app struct {
	handler http.Handler
	store   store.Store
	// audit writes the events of reads and failed calls.
	audit    *audit.Recorder
	instance instance.Instance
	boot     *instance.Bootstrap
	signin   *signinParts
	cred     *credentialParts
	// s3 is the S3 gateway's handler, nil when none is configured.
	s3    http.Handler
	close func() error
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newApp opens the store, creates the instance on first start and builds
// every service.
func newApp(ctx context.Context, cfg Config, log *slog.Logger) (*app, error) {
	now := time.Now
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	keys, created, err := keyring.LoadOrCreate(cfg.KeyringFile)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("created keyring", "path", cfg.KeyringFile)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{
		Driver: cfg.Database.Driver, Path: filepath.Join(cfg.DataDir, "gatehouse.db"),
		DSN: cfg.Database.DSN, MaxConns: cfg.Database.MaxConns, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	accessKeys := accesskey.New(db, keys, now)
	inst, boot, err := instance.Ensure(ctx, db, accessKeys, now)
	if err != nil {
		db.Close()
		return nil, err
	}
	dir := directory.New(db, inst.IdentityStoreID, now)
	pager := awsapi.NewPager(keys.MACKey("page-token"), now)
	models, err := newModels()
	if err != nil {
		db.Close()
		return nil, err
	}
	// Events of reads and failed calls; those of changes commit with them.
	recorder := audit.NewRecorder(db)
	if cfg.Audit.ReadEvents == "async" {
		recorder = audit.NewAsyncRecorder(db, audit.AsyncOptions{Log: log})
	}
	// Access keys of administrators; temporary credentials join below.
	prin := &principals{keys: accessKeys}
	router := &awsapi.JSONRouter{
		Services:  map[string]*awsapi.JSONService{},
		Auth:      awsapi.NewSigV4Auth(prin, []string{cfg.Region}, now),
		Audit:     recorder,
		Log:       log,
		Region:    cfg.Region,
		AccountID: inst.OwnerAccountID,
	}
	acc, err := newAccessServices(ctx, db, inst, dir, accessKeys, log, now)
	if err != nil {
		db.Close()
		return nil, err
	}
	// Sign-in, MFA, sessions, mail and the access portal (issue 5).
	// sso-oidc, the portal API, temporary credentials and STS (issue 6).
	cred, err := newCredentialParts(cfg, log, db, keys, dir, inst, acc, prin, router, pager, models, now)
	if err != nil {
		db.Close()
		return nil, err
	}
	sign, err := newSignin(cfg, log, db, keys, dir, inst, cred.roles, cred.issuer, cred.oauth, now)
	if err != nil {
		db.Close()
		return nil, err
	}
	cred.wireSignin(sign.svc)
	// The decision service, the authorization API and the S3 gateway
	// (issue 7).
	az, err := newAuthzParts(cfg, log, db, inst, acc, cred, prin, now)
	if err != nil {
		db.Close()
		return nil, err
	}
	router.Services[az.api.TargetPrefix] = az.api
	// Every identitystore, sso-admin, organizations and IAM call is
	// authorised by the policy engine (issue 4, admin_wiring.go).
	adm, err := newAdminAuthz(cfg, az, acc, inst, now)
	if err != nil {
		db.Close()
		return nil, err
	}
	// The admin console (issue 8): calls made from it are decided by the
	// administrator's console grant, every other call by adm.mgmt.
	grants, err := newConsoleGrants(cfg, db, inst, dir, acc, log, now)
	if err != nil {
		db.Close()
		return nil, err
	}
	mgmt := console.Authorizer{Grants: grants, Next: adm.mgmt, Tags: resourceTags{access: acc.access, org: acc.org, iam: acc.iam}}
	for _, svc := range append([]*awsapi.JSONService{
		identitystore.Service(dir, pager, models.validator("identitystore"), mgmt, inst.OwnerAccountID),
		sign.adminService(dir, grants, pager, mgmt, inst.OwnerAccountID),
	}, acc.jsonServices(pager, models, mgmt)...) {
		router.Services[svc.TargetPrefix] = svc
	}
	adminConsole, err := newConsole(cfg, log, db, inst, dir, acc, sign, router, grants, now)
	if err != nil {
		db.Close()
		return nil, err
	}
	query := acc.queryRouter(router, pager, models, adm.iam)
	if query != nil {
		query.Services[cred.sts.SigningName] = cred.sts
	}
	h := server.New(server.Options{Store: db, JSON: router, Query: query, REST: cred.rest, Log: log, Trusted: cfg.trustedProxies(), Now: now, Web: sign.web, Admin: adminConsole,
		Ready: []func(context.Context) error{func(context.Context) error { return recorder.Healthy() }}})
	acc.start()
	sign.start(log)
	cred.start(db, now)
	return &app{handler: h, store: db, audit: recorder, instance: inst, boot: boot, signin: sign, cred: cred, s3: az.gateway,
		close: func() error { cred.stop(); sign.stop(); acc.stop(); recorder.Close(); return db.Close() }}, nil
}

// serve runs Gatehouse until ctx ends, then shuts down gracefully: the
// listener stops, in-flight requests finish, pending writes commit.
func serve(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	log := newLogger(cfg, stderr)
	if err := servePprof(log); err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	if a.boot != nil {
		if err := writeAdminCredentials(cfg, a.boot); err != nil {
			return err
		}
		printWelcome(stdout, cfg, a)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("gatehouse listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL,
		"instance_arn", a.instance.ARN, "identity_store_id", a.instance.IdentityStoreID, "database", cfg.Database.Driver)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var s3Shutdown func(context.Context) error
	var s3Errc <-chan error
	if a.s3 != nil {
		if s3Shutdown, s3Errc, err = serveS3(cfg, a.s3, log); err != nil {
			srv.Close()
			return err
		}
	}
	select {
	case err := <-errc:
		return err
	case err := <-s3Errc:
		return fmt.Errorf("s3 gateway: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if s3Shutdown != nil {
		if err := s3Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("s3 gateway shutdown: %w", err)
		}
	}
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// writeAdminCredentials writes the bootstrap key in the AWS shared
// credentials format, readable only by the owner.
func writeAdminCredentials(cfg Config, boot *instance.Bootstrap) error {
	path := filepath.Join(cfg.DataDir, "admin-credentials")
	body := fmt.Sprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		instance.AdminUserName, boot.AdminKey.ID, boot.AdminKey.Secret.Reveal())
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}

// endpointServices are the services whose endpoint a client must point at
// Gatehouse.
var endpointServices = []string{"IDENTITYSTORE", "SSO_ADMIN", "ORGANIZATIONS", "IAM", "STS", "SSO", "SSO_OIDC"}

func printWelcome(w io.Writer, cfg Config, a *app) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nGatehouse created a new instance.\n")
	fmt.Fprintf(&b, "  instance ARN:       %s\n  identity store id:  %s\n  management account: %s\n\n",
		a.instance.ARN, a.instance.IdentityStoreID, a.instance.OwnerAccountID)
	fmt.Fprintf(&b, "The administrator's access key is in %s (profile %s).\n",
		filepath.Join(cfg.DataDir, "admin-credentials"), instance.AdminUserName)
	fmt.Fprintf(&b, "It is shown only now; keep the file safe. To use it with the AWS CLI or an SDK:\n\n")
	fmt.Fprintf(&b, "  export AWS_SHARED_CREDENTIALS_FILE=%s\n", filepath.Join(cfg.DataDir, "admin-credentials"))
	fmt.Fprintf(&b, "  export AWS_PROFILE=%s AWS_REGION=%s AWS_DEFAULT_REGION=%s\n", instance.AdminUserName, cfg.Region, cfg.Region)
	for _, s := range endpointServices {
		fmt.Fprintf(&b, "  export AWS_ENDPOINT_URL_%s=%s\n", s, cfg.PublicURL)
	}
	fmt.Fprintf(&b, "\n  aws identitystore list-users --identity-store-id %s\n\n", a.instance.IdentityStoreID)
	fmt.Fprintf(&b, "AWS CLI v2 releases older than 2.13 ignore AWS_ENDPOINT_URL_*; add --endpoint-url %s to each command.\n\n", cfg.PublicURL)
	w.Write([]byte(b.String()))
}
