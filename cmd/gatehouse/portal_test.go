package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	istypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"

	gmail "github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/mail/smtptest"
)

// portalApp is a Gatehouse whose public URL is http://localhost:<port>
// (WebAuthn needs a host name as RP id, and browsers treat localhost as a
// secure context), sending mail through a real SMTP server on loopback with
// STARTTLS and AUTH.
type portalApp struct {
	*testApp
	smtp *smtptest.Server
}

type portalOption func(*Config)

func startPortalApp(t testing.TB, opts ...portalOption) *portalApp {
	t.Helper()
	srv := smtptest.Start(t, smtptest.Options{Username: "gatehouse", Password: "smtp-secret"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Listen = ln.Addr().String()
	cfg.PublicURL = "http://localhost:" + itoa(port)
	cfg.Mail = MailConfig{From: "Gatehouse <no-reply@gatehouse.test>",
		SMTP: &SMTPConfig{Host: srv.Host, Port: srv.Port, Security: gmail.StartTLS, Username: "gatehouse", Password: "smtp-secret"}}
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	cfg.Mail.tlsForTests = srv.ClientTLS()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("GATEHOUSE_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := newApp(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	hs := &httptest.Server{Listener: ln, Config: &http.Server{Handler: a.handler}}
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		a.close()
	})
	ta := &testApp{URL: cfg.PublicURL, Instance: a.instance, Config: cfg, app: a}
	if a.boot != nil {
		ta.KeyID, ta.Secret = a.boot.AdminKey.ID, a.boot.AdminKey.Secret.Reveal()
	}
	return &portalApp{testApp: ta, smtp: srv}
}

func itoa(n int) string { return strconv.Itoa(n) }

// adminCall calls a GatehouseAdmin operation, signed with the admin key.
func (a *portalApp) adminCall(t testing.TB, op string, in map[string]any) (int, map[string]any) {
	t.Helper()
	if in == nil {
		in = map[string]any{}
	}
	if _, ok := in["IdentityStoreId"]; !ok {
		in["IdentityStoreId"] = a.Instance.IdentityStoreID
	}
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "GatehouseAdmin."+op)
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: a.KeyID, SecretAccessKey: a.Secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "gatehouse", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// createUser creates a user with the identitystore API (the AWS SDK) and
// returns its id.
func (a *portalApp) createUser(t testing.TB, name, email string) string {
	t.Helper()
	c := identitystore.NewFromConfig(a.awsConfig())
	out, err := c.CreateUser(context.Background(), &identitystore.CreateUserInput{
		IdentityStoreId: aws.String(a.Instance.IdentityStoreID),
		UserName:        aws.String(name), DisplayName: aws.String(strings.ToUpper(name[:1]) + name[1:] + " Example"),
		Name:   &istypes.Name{GivenName: aws.String(name), FamilyName: aws.String("Example")},
		Emails: []istypes.Email{{Value: aws.String(email), Type: aws.String("work"), Primary: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return *out.UserId
}

// linkFrom returns the /start/link address in a received message.
func linkFrom(t *testing.T, m smtptest.Message) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if strings.Contains(line, "/start/link?token=") {
			return line
		}
	}
	t.Fatalf("no link in the message:\n%s", body)
	return ""
}
