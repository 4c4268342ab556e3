package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Config is everything `gatehouse serve` can be told. Defaults need no
// file; a JSON file given with --config overrides them, and flags set on
// the command line override the file.
type Config struct {
	// Listen is the address of the one HTTP listener.
	Listen string `json:"listen"`
	// PublicURL is the base of every link Gatehouse hands out (portal,
	// emails, CLI configuration). Default: http://<listen>.
	PublicURL string `json:"public_url"`
	// DataDir holds the SQLite database, the keyring and the bootstrap
	// administrator's credentials.
	DataDir string `json:"data_dir"`
	// Region is the AWS region the APIs answer for; signatures must be
	// scoped to it.
	Region   string         `json:"region"`
	Database DatabaseConfig `json:"database"`
	// KeyringFile is the master key file; default <data_dir>/keyring.json.
	// Replicas sharing a PostgreSQL database must share this file.
	KeyringFile string `json:"keyring_file"`
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []string `json:"trusted_proxies"`
	// Audit tunes how events are written.
	Audit     AuditConfig `json:"audit"`
	LogLevel  string      `json:"log_level"`
	LogFormat string      `json:"log_format"`
	// Mail configures outgoing email (signin_wiring.go).
	Mail MailConfig `json:"mail"`
	// Tokens configures sso-oidc and temporary credentials
	// (credentials_wiring.go).
	Tokens TokensConfig `json:"tokens"`
	// S3Gateway configures the S3 access gateway (s3gw_wiring.go).
	S3Gateway S3GatewayConfig `json:"s3_gateway"`
}

// AuditConfig tunes the audit log.
type AuditConfig struct {
	// ReadEvents is "async" (default: events of reads and failed calls are
	// written in the background in large batches; a crash can lose those of
	// the last moments) or "sync" (each is durable before the answer).
	// Events of changes always commit with the change.
	ReadEvents string `json:"read_events"`
}

// DatabaseConfig selects the store.
type DatabaseConfig struct {
	// Driver is "sqlite" (default) or "postgres".
	Driver string `json:"driver"`
	// DSN is the PostgreSQL connection string.
	DSN string `json:"dsn"`
	// MaxConns bounds the connection pool (0 picks a default).
	MaxConns int `json:"max_conns"`
}

func defaultConfig() Config {
	return Config{
		Listen:    "127.0.0.1:8080",
		DataDir:   "./gatehouse-data",
		Region:    "us-east-1",
		Database:  DatabaseConfig{Driver: "sqlite"},
		LogLevel:  "info",
		LogFormat: "text",
	}
}

// loadConfig reads a config file strictly: unknown fields and trailing data
// are errors that name what was wrong.
func loadConfig(path string, into *Config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line := 1 + bytes.Count(data[:syn.Offset], []byte("\n"))
			return fmt.Errorf("config %s: line %d: %v", path, line, err)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return fmt.Errorf("config %s: unknown field %s (see docs/configuration.md for the fields)", path, f)
		}
		return fmt.Errorf("config %s: %v", path, err)
	}
	if dec.More() {
		return fmt.Errorf("config %s: unexpected data after the JSON object", path)
	}
	return nil
}

// parseServeFlags builds the configuration of `gatehouse serve`.
func parseServeFlags(args []string) (Config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	configPath := fs.String("config", "", "JSON configuration file")
	listen := fs.String("listen", cfg.Listen, "address of the HTTP listener")
	publicURL := fs.String("public-url", "", "base URL for links (default http://<listen>, with localhost for a loopback IP)")
	dataDir := fs.String("data-dir", cfg.DataDir, "directory for the database, keyring and admin credentials")
	region := fs.String("region", cfg.Region, "AWS region the APIs answer for")
	dbDriver := fs.String("db-driver", cfg.Database.Driver, "database: sqlite or postgres")
	dbDSN := fs.String("db-dsn", "", "PostgreSQL connection string")
	keyringFile := fs.String("keyring", "", "master key file (default <data-dir>/keyring.json)")
	logLevel := fs.String("log-level", cfg.LogLevel, "debug, info, warn or error")
	s3Listen := fs.String("s3-listen", "", "address of the S3 gateway's listener (none by default)")
	s3Upstream := fs.String("s3-upstream", "", "the S3-compatible upstream of the gateway, http(s)://host[:port]")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *configPath != "" {
		if err := loadConfig(*configPath, &cfg); err != nil {
			return cfg, err
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "listen":
			cfg.Listen = *listen
		case "public-url":
			cfg.PublicURL = *publicURL
		case "data-dir":
			cfg.DataDir = *dataDir
		case "region":
			cfg.Region = *region
		case "db-driver":
			cfg.Database.Driver = *dbDriver
		case "db-dsn":
			cfg.Database.DSN = *dbDSN
		case "keyring":
			cfg.KeyringFile = *keyringFile
		case "log-level":
			cfg.LogLevel = *logLevel
		case "s3-listen":
			cfg.S3Gateway.Listen = *s3Listen
		case "s3-upstream":
			cfg.S3Gateway.Upstream = *s3Upstream
		}
	})
	return cfg, cfg.finish()
}

// defaultPublicURL derives the public URL from the listen address. A
// loopback IP becomes "localhost": browsers accept only host names as
// WebAuthn relying party ids, so security keys and passkeys work out of the
// box on a developer's machine, and the address still reaches this
// listener.
func defaultPublicURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsLoopback() {
		return "http://" + net.JoinHostPort("localhost", port)
	}
	return "http://" + listen
}

// finish fills derived defaults and checks the whole configuration.
func (c *Config) finish() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen %q: %v", c.Listen, err)
	}
	if c.PublicURL == "" {
		c.PublicURL = defaultPublicURL(c.Listen)
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("public_url %q must be an http(s) URL without query or fragment", c.PublicURL)
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if c.DataDir == "" {
		return errors.New("data_dir must not be empty")
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return fmt.Errorf("data_dir: %w", err)
	}
	c.DataDir = abs
	if c.KeyringFile == "" {
		c.KeyringFile = filepath.Join(c.DataDir, "keyring.json")
	}
	switch c.Database.Driver {
	case "", "sqlite":
		c.Database.Driver = "sqlite"
	case "postgres":
		if c.Database.DSN == "" {
			return errors.New("database.dsn is required with the postgres driver")
		}
	default:
		return fmt.Errorf("database.driver %q: want sqlite or postgres", c.Database.Driver)
	}
	if c.Region == "" {
		return errors.New("region must not be empty")
	}
	switch c.Audit.ReadEvents {
	case "":
		c.Audit.ReadEvents = "async"
	case "async", "sync":
	default:
		return fmt.Errorf("audit.read_events %q: want async or sync", c.Audit.ReadEvents)
	}
	for _, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			return fmt.Errorf("trusted_proxies: %q is not a CIDR prefix", p)
		}
	}
	if err := c.Mail.check(); err != nil {
		return err
	}
	if err := c.Tokens.check(); err != nil {
		return err
	}
	if err := c.S3Gateway.check(); err != nil {
		return err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log_format %q: want text or json", c.LogFormat)
	}
	return nil
}

func (c *Config) trustedProxies() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(c.TrustedProxies))
	for _, p := range c.TrustedProxies {
		out = append(out, netip.MustParsePrefix(p)) // checked by finish
	}
	return out
}
