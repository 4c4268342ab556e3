package main

import (
	"context"
	"crypto/sha1" //nolint:gosec // the AWS CLI's cache file name
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/cliconfig"
)

// ssoHome is a home directory with an sso-session configuration for the
// app (as `gatehouse cli-config` writes it, one profile "dev") and a
// token cache holding tokens of a real device login, expired on purpose
// so that the client under test must refresh them.
type ssoHome struct {
	dir, cacheFile string
}

func newSSOHome(t *testing.T, app *portalApp, e *entitled) *ssoHome {
	t.Helper()
	reg, tok := deviceLogin(t, app, e, []string{"sso:account:access"})
	h := &ssoHome{dir: t.TempDir()}
	cfg := cliconfig.Config{BaseURL: app.URL, Region: "us-east-1"}
	text := cfg.AWSConfig() + "\n[profile dev]\nsso_session = gatehouse\nsso_account_id = " + e.accountID +
		"\nsso_role_name = " + e.permissionSet + "\nregion = us-east-1\n"
	if err := os.MkdirAll(filepath.Join(h.dir, ".aws", "sso", "cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.dir, ".aws", "config"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum([]byte("gatehouse")) //nolint:gosec // the CLI's naming
	h.cacheFile = filepath.Join(h.dir, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json")
	cache := map[string]any{
		"startUrl": app.URL + "/start", "region": "us-east-1", "accessToken": aws.ToString(tok.AccessToken),
		"expiresAt": time.Now().Add(-time.Minute).UTC().Format("2006-01-02T15:04:05Z"), "refreshToken": aws.ToString(tok.RefreshToken),
		"clientId": aws.ToString(reg.ClientId), "clientSecret": aws.ToString(reg.ClientSecret),
		"registrationExpiresAt": time.Unix(reg.ClientSecretExpiresAt, 0).UTC().Format("2006-01-02T15:04:05Z"),
	}
	raw, _ := json.Marshal(cache)
	if err := os.WriteFile(h.cacheFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// tokens reads the cached access and refresh tokens.
func (h *ssoHome) tokens(t *testing.T) (access, refresh string) {
	t.Helper()
	raw, err := os.ReadFile(h.cacheFile)
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ AccessToken, RefreshToken string }
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c.AccessToken, c.RefreshToken
}

// expire marks the cached access token expired, keeping the tokens.
func (h *ssoHome) expire(t *testing.T) {
	t.Helper()
	raw, _ := os.ReadFile(h.cacheFile)
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	c["expiresAt"] = time.Now().Add(-time.Minute).UTC().Format("2006-01-02T15:04:05Z")
	raw, _ = json.Marshal(c)
	if err := os.WriteFile(h.cacheFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// env is a client environment using the home and the app's endpoints.
func (h *ssoHome) env(app *portalApp) []string {
	env := []string{"HOME=" + h.dir, "PATH=" + os.Getenv("PATH"), "AWS_CONFIG_FILE=" + filepath.Join(h.dir, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(h.dir, ".aws", "credentials"), "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1"}
	for _, s := range cliconfig.Services {
		env = append(env, "AWS_ENDPOINT_URL_"+s.Env+"="+app.URL)
	}
	if v := os.Getenv("PYENV_VERSION"); v != "" {
		env = append(env, "PYENV_VERSION="+v)
	}
	return env
}

// checkRefreshed asserts that the client replaced an expired access token
// by refreshing (a new access and a rotated refresh token in the cache)
// and that the old refresh token is spent.
func (h *ssoHome) checkRefreshed(t *testing.T, app *portalApp, client, oldAccess, oldRefresh string) {
	t.Helper()
	access, refresh := h.tokens(t)
	if access == oldAccess || refresh == oldRefresh || refresh == "" {
		t.Fatalf("%s did not refresh the cached token", client)
	}
	if _, err := app.portalClient().ListAccounts(context.Background(), &sso.ListAccountsInput{AccessToken: &access}); err != nil {
		t.Fatalf("%s: the refreshed access token: %v", client, err)
	}
}

// TestSSOClientsRefreshAndGetCredentials runs the SSO credential providers
// of boto3, the v1 CLI, the JavaScript SDK (fromSSO) and aws-sdk-go-v2
// (ssocreds) against Gatehouse, each starting from an expired access token
// it must refresh with the refresh token.
func TestSSOClientsRefreshAndGetCredentials(t *testing.T) {
	app := startPortalApp(t)
	e := newEntitledUser(t, app, "dave")
	h := newSSOHome(t, app, e)
	arnPart := ":assumed-role/AWSReservedSSO_" + e.permissionSet + "_"

	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		a0, r0 := h.tokens(t)
		for _, kv := range h.env(app) {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
		cfg, err := config.LoadDefaultConfig(context.Background(), config.WithSharedConfigProfile("dev"), config.WithRetryMaxAttempts(1))
		if err != nil {
			t.Fatal(err)
		}
		id, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(id.Account) != e.accountID || !strings.Contains(aws.ToString(id.Arn), arnPart) {
			t.Fatalf("GetCallerIdentity = %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
		}
		h.checkRefreshed(t, app, "aws-sdk-go-v2", a0, r0)
	})

	t.Run("boto3", func(t *testing.T) {
		requireBoto3(t)
		h.expire(t)
		a0, r0 := h.tokens(t)
		cmd := exec.Command("python3", "testdata/clients/sso_session.py", "dev")
		cmd.Env = h.env(app)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), e.accountID) || !strings.Contains(string(out), arnPart) {
			t.Fatalf("boto3: %v\n%s", err, out)
		}
		h.checkRefreshed(t, app, "boto3", a0, r0)
	})

	t.Run("cli-v1", func(t *testing.T) {
		requireTool(t, cliV1, "aws-cli/1.")
		h.expire(t)
		a0, r0 := h.tokens(t)
		cmd := exec.Command(cliV1[0], append(cliV1[1:], "sts", "get-caller-identity", "--profile", "dev", "--output", "json")...)
		cmd.Env = h.env(app)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), arnPart) {
			t.Fatalf("CLI v1: %v\n%s", err, out)
		}
		h.checkRefreshed(t, app, "CLI v1", a0, r0)
	})

	t.Run("javascript", func(t *testing.T) {
		requireNodeModules(t, "@aws-sdk/credential-providers", "@aws-sdk/client-sts")
		h.expire(t)
		a0, r0 := h.tokens(t)
		cmd := exec.Command("node", "testdata/js/sso_session.mjs", "dev")
		cmd.Env = h.env(app)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), arnPart) {
			t.Fatalf("JavaScript SDK: %v\n%s", err, out)
		}
		h.checkRefreshed(t, app, "JavaScript SDK", a0, r0)
	})
}

// requireNodeModules checks that the JavaScript clients are installed
// (.ci/run runs npm ci in testdata/js).
func requireNodeModules(t *testing.T, mods ...string) {
	t.Helper()
	for _, m := range mods {
		if _, err := os.Stat(filepath.Join("testdata", "js", "node_modules", m)); err != nil {
			msg := "node module " + m + " is not installed (cd cmd/gatehouse/testdata/js && npm ci)"
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// TestPKCEFlowAsCLI222 performs the authorization code flow exactly as AWS
// CLI 2.22+ does (awscli/botocore/utils.py SSOTokenFetcherAuth and
// awscli/customizations/sso/utils.py AuthCodeFetcher): RegisterClient with
// grantTypes [authorization_code, refresh_token], redirectUris
// [http://127.0.0.1/oauth/callback] (no port) and issuerUrl = the start
// URL; a loopback listener on a random port; /authorize opened in a real
// browser at the root of the sso-oidc endpoint with response_type,
// client_id, redirect_uri (with the port), state (a UUID),
// code_challenge_method=S256, scopes and the code_challenge without its
// padding; then CreateToken with the code, the redirect URI and the
// 64-character verifier. Debian ships CLI 2.9, which predates the flow, so
// the requests are made here with the Go SDK and Chromium.
func TestPKCEFlowAsCLI222(t *testing.T) {
	app := startPortalApp(t)
	e := newEntitledUser(t, app, "erin")
	ctx := context.Background()
	oc := app.oidcClient()
	reg, err := oc.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("botocore-client-gatehouse"),
		ClientType: aws.String("public"), GrantTypes: []string{"authorization_code", "refresh_token"},
		RedirectUris: []string{"http://127.0.0.1/oauth/callback"}, IssuerUrl: aws.String(app.URL + "/start"),
		Scopes: []string{"sso:account:access"}})
	if err != nil {
		t.Fatal(err)
	}
	// The CLI's loopback server.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan url.Values, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/callback" {
			select {
			case got <- r.URL.Query():
			default:
			}
		}
		w.Write([]byte("<html><body id=cli-done>You can close this window.</body></html>"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	redirect := "http://127.0.0.1:" + itoa(ln.Addr().(*net.TCPAddr).Port) + "/oauth/callback"
	verifier := strings.Repeat("AbC9-._~xY", 7)[:64]
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.URLEncoding.EncodeToString(sum[:]) // padded, as urlsafe_b64encode
	state := "6f1c2a8e-1b7d-4c55-9a3e-2f9d3c1b0a77"
	q := url.Values{"response_type": {"code"}, "client_id": {aws.ToString(reg.ClientId)}, "redirect_uri": {redirect},
		"state": {state}, "code_challenge_method": {"S256"}, "scopes": {"sso:account:access"}}
	authorize := app.URL + "/authorize?" + q.Encode() + "&code_challenge=" + strings.TrimSuffix(challenge, "=")

	bctx := newBrowser(t)
	browse(t, bctx, "open /authorize", chromedp.Navigate(authorize), chromedp.WaitVisible("#username", chromedp.ByID))
	browse(t, bctx, "user name", chromedp.SendKeys("#username", e.userName, chromedp.ByID), chromedp.Submit("#username", chromedp.ByID),
		chromedp.WaitVisible("#password", chromedp.ByID))
	browse(t, bctx, "password", chromedp.SendKeys("#password", e.password, chromedp.ByID), chromedp.Submit("#password", chromedp.ByID))
	if e.totp != nil {
		browse(t, bctx, "mfa", chromedp.WaitVisible("#code", chromedp.ByID), chromedp.SendKeys("#code", e.nextCode(), chromedp.ByID),
			chromedp.Submit("#code", chromedp.ByID))
	}
	browse(t, bctx, "consent", chromedp.WaitVisible("#allow", chromedp.ByID))
	screenshot(t, bctx, "pkce-consent")
	browse(t, bctx, "allow", chromedp.Click("#allow", chromedp.ByID), chromedp.WaitVisible("#cli-done", chromedp.ByID))
	var cb url.Values
	select {
	case cb = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the browser never reached the loopback callback")
	}
	if cb.Get("state") != state || cb.Get("code") == "" {
		t.Fatalf("callback %v", cb)
	}
	tok, err := oc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("authorization_code"), Code: aws.String(cb.Get("code")), RedirectUri: aws.String(redirect),
		CodeVerifier: aws.String(verifier)})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := app.portalClient().GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken,
		AccountId: &e.accountID, RoleName: &e.permissionSet})
	if err != nil || !strings.HasPrefix(aws.ToString(rc.RoleCredentials.AccessKeyId), "ASIA") {
		t.Fatalf("GetRoleCredentials = %+v, %v", rc, err)
	}
	// The code is single use; the second redemption also revokes the
	// tokens of the first.
	_, err = oc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("authorization_code"), Code: aws.String(cb.Get("code")), RedirectUri: aws.String(redirect),
		CodeVerifier: aws.String(verifier)})
	wantAPIError(t, "second redemption", err, "InvalidGrantException")
	_, err = app.portalClient().ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: tok.AccessToken})
	wantAPIError(t, "tokens of a code redeemed twice", err, "UnauthorizedException")
}
