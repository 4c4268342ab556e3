package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gatehouse.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigFile(t *testing.T) {
	p := writeFile(t, `{"listen": "127.0.0.1:9999", "region": "eu-west-1", "trusted_proxies": ["10.0.0.0/8"]}`)
	cfg, err := parseServeFlags([]string{"--config", p, "--region", "us-west-2"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9999" || cfg.Region != "us-west-2" || cfg.PublicURL != "http://localhost:9999" || len(cfg.trustedProxies()) != 1 {
		t.Fatalf("config = %+v (file must override defaults, flags must override the file)", cfg)
	}
	if !filepath.IsAbs(cfg.DataDir) || cfg.KeyringFile != filepath.Join(cfg.DataDir, "keyring.json") {
		t.Fatalf("derived paths: data %q keyring %q", cfg.DataDir, cfg.KeyringFile)
	}
	for _, c := range []struct{ body, want string }{
		{`{"listen": "127.0.0.1:1", "lisen": "x"}`, `unknown field "lisen"`},
		{`{"database": {"driver": "mysql"}}`, `database.driver "mysql"`},
		{`{"database": {"driver": "postgres"}}`, "database.dsn is required"},
		{"{\n\"region\": \"us-east-1\",\n}", "line 3"},
		{`{"public_url": "ftp://x"}`, "public_url"},
		{`{"trusted_proxies": ["10.0.0.1/33"]}`, "trusted_proxies"},
		{`{"log_level": "loud"}`, "log_level"},
		{`{} {}`, "unexpected data"},
	} {
		_, err := parseServeFlags([]string{"--config", writeFile(t, c.body)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %s: err = %v, want it to mention %q", c.body, err, c.want)
		}
	}
	if _, err := parseServeFlags([]string{"--config", filepath.Join(t.TempDir(), "missing.json")}); err == nil {
		t.Error("a missing config file was accepted")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	app := startApp(t)
	get := func(path string) int {
		resp, err := http.Get(app.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/healthz") != 200 || get("/readyz") != 200 {
		t.Fatal("a fresh app is not healthy and ready")
	}
	app.app.store.Close()
	if got := get("/readyz"); got != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with the store closed = %d, want 503", got)
	}
	if get("/healthz") != 200 {
		t.Fatal("/healthz must answer while the process lives")
	}
}

// TestNoPlaintextSecretsAtRest: the bootstrap secret is in the credentials
// file for its owner, and nowhere in the database, its WAL or the logs.
func TestNoPlaintextSecretsAtRest(t *testing.T) {
	dir := t.TempDir()
	cfg := defaultConfig()
	cfg.DataDir, cfg.Listen = dir, "127.0.0.1:0"
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a, err := newApp(context.Background(), cfg, newLogger(cfg, &logs))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.handler)
	secret := a.boot.AdminKey.Secret.Reveal()
	var out bytes.Buffer
	printWelcome(&out, cfg, a)
	if err := writeAdminCredentials(cfg, a.boot); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	a.close()
	info, err := os.Stat(filepath.Join(dir, "admin-credentials"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("admin-credentials mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() == "admin-credentials" || e.IsDir() {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the secret access key in plaintext", e.Name())
		}
		if info, _ := e.Info(); strings.HasPrefix(e.Name(), "gatehouse.db") && info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is readable by others (%v)", e.Name(), info.Mode().Perm())
		}
	}
	if bytes.Contains(logs.Bytes(), []byte(secret)) {
		t.Error("the secret reached the log")
	}
	if bytes.Contains(out.Bytes(), []byte(secret)) {
		t.Error("the welcome text prints the secret; it belongs only in the credentials file")
	}
}

// TestDefaultPublicURL: a loopback IP becomes localhost (WebAuthn refuses IP
// relying party ids); any other listen address is used as it is.
func TestDefaultPublicURL(t *testing.T) {
	for listen, want := range map[string]string{
		"127.0.0.1:8080": "http://localhost:8080",
		"[::1]:8080":     "http://localhost:8080",
		"127.0.0.2:9000": "http://localhost:9000",
		"10.1.2.3:8080":  "http://10.1.2.3:8080",
		"0.0.0.0:8080":   "http://0.0.0.0:8080",
		"gh.example:443": "http://gh.example:443",
	} {
		if got := defaultPublicURL(listen); got != want {
			t.Errorf("defaultPublicURL(%q) = %q, want %q", listen, got, want)
		}
	}
}
