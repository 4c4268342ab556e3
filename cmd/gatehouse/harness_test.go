package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/gatehouse/gatehouse/internal/instance"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore/sqltest"
)

// testApp is a fully wired Gatehouse on a loopback listener, as
// `gatehouse serve` would run it.
type testApp struct {
	URL      string
	Instance instance.Instance
	KeyID    string
	Secret   string
	Config   Config
	app      *app
}

type appOption func(*Config)

// withPostgres runs the app on a fresh PostgreSQL database.
func withPostgres(dsn string) appOption {
	return func(c *Config) { c.Database = DatabaseConfig{Driver: "postgres", DSN: dsn} }
}

// withDataDir shares a data directory (and so a keyring) between apps.
func withDataDir(dir string) appOption { return func(c *Config) { c.DataDir = dir } }

func startApp(t testing.TB, opts ...appOption) *testApp {
	t.Helper()
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("GATEHOUSE_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := newApp(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.handler)
	t.Cleanup(func() {
		srv.Close()
		a.close()
	})
	ta := &testApp{URL: srv.URL, Instance: a.instance, Config: cfg, app: a}
	if a.boot != nil {
		ta.KeyID, ta.Secret = a.boot.AdminKey.ID, a.boot.AdminKey.Secret.Reveal()
		if err := writeAdminCredentials(cfg, a.boot); err != nil {
			t.Fatal(err)
		}
	}
	return ta
}

// credentialsFile is the admin-credentials file the app wrote.
func (a *testApp) credentialsFile() string {
	return filepath.Join(a.Config.DataDir, "admin-credentials")
}

// awsConfig is an SDK configuration signing with the admin key. Retries are
// off so that tests see each error as the server sent it.
func (a *testApp) awsConfig() aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(a.KeyID, a.Secret, ""),
		RetryMaxAttempts: 1,
		BaseEndpoint:     aws.String(a.URL),
	}
}

// postgresDSN returns a fresh PostgreSQL database for the test (or skips;
// under CI it fails instead).
func postgresDSN(t testing.TB) string { return sqltest.PostgresDSN(t) }
