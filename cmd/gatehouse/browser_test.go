package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/mfa"
)

// chromiumPath is Debian's chromium, installed by .ci/run.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a headless Chromium driven over the DevTools protocol.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is not installed at %s", chromiumPath)
		}
		t.Skipf("chromium is not installed at %s (apt-get install chromium)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.WindowSize(1100, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel3)
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot saves the page as artifacts/screenshots/<name>.png.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var buf []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&buf, 100)); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "..", "artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func browse(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	// Each step gets its own time limit, so a stuck step still leaves time
	// to report where the browser is.
	step, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(step, actions...); err != nil {
		var url, body string
		_ = chromedp.Run(ctx, chromedp.Location(&url), chromedp.Text("body", &body, chromedp.ByQuery))
		t.Fatalf("%s: %v\n(at %s)\n%s", what, err, url, body)
	}
}

func location(t *testing.T, ctx context.Context) string {
	var u string
	browse(t, ctx, "read location", chromedp.Location(&u))
	return u
}

// TestBrowserJourneyTOTP walks the whole journey in a real browser: an
// administrator creates a user and invites them; the invitation arrives over
// SMTP (STARTTLS + AUTH); the user opens the link, sets a password,
// registers an authenticator app with codes computed from the secret the
// page shows, lands in the portal, opens an account, a role and its access
// keys; signs out and signs in again with password and TOTP.
func TestBrowserJourneyTOTP(t *testing.T) {
	app := startPortalApp(t)
	userID := app.createUser(t, "alice", "alice@example.com")
	access := grantRealAccess(t, app, userID)
	prodLink := `a[href="/start/accounts/` + access.production + `"]`
	if code, out := app.adminCall(t, "InviteUser", map[string]any{"UserId": userID}); code != 200 {
		t.Fatalf("InviteUser: %d %v", code, out)
	}
	msg := app.smtp.Next(t, 30*time.Second)
	if !msg.TLS || msg.AuthUser != "gatehouse" || msg.To[0] != "alice@example.com" {
		t.Fatalf("invitation envelope: %+v", msg)
	}
	link := linkFrom(t, msg)
	if !strings.HasPrefix(link, app.URL+"/start/link?token=") {
		t.Fatalf("link %q does not use the public URL %s", link, app.URL)
	}

	ctx := newBrowser(t)
	browse(t, ctx, "open invitation", chromedp.Navigate(link), chromedp.WaitVisible("#password", chromedp.ByID))
	if u := location(t, ctx); strings.Contains(u, "token=") {
		t.Fatalf("the token stays in the address bar: %s", u)
	}
	screenshot(t, ctx, "01-set-password")
	const pw = "correct horse battery staple"
	browse(t, ctx, "set password",
		chromedp.SendKeys("#password", pw, chromedp.ByID),
		chromedp.SendKeys("#confirm", pw, chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID),
		chromedp.WaitVisible("#totp-secret", chromedp.ByID))
	screenshot(t, ctx, "02-register-mfa")
	var secretText string
	browse(t, ctx, "read secret", chromedp.Text("#totp-secret", &secretText, chromedp.ByID))
	secret, err := mfa.DecodeSecret(secretText)
	if err != nil {
		t.Fatalf("secret %q: %v", secretText, err)
	}
	regStep := mfa.Step(time.Now())
	browse(t, ctx, "register app",
		chromedp.SetValue("#device-name", "Alice's phone", chromedp.ByID),
		chromedp.SendKeys("#code", mfa.Code(secret, regStep), chromedp.ByID),
		chromedp.Submit("#code", chromedp.ByID),
		chromedp.WaitVisible("ul.accounts", chromedp.ByQuery))
	screenshot(t, ctx, "03-accounts")

	browse(t, ctx, "search", chromedp.SetValue("#q", "prod", chromedp.ByID), chromedp.Submit("#q", chromedp.ByID),
		chromedp.WaitVisible(prodLink, chromedp.ByQuery))
	var listed string
	browse(t, ctx, "read list", chromedp.Text("ul.accounts", &listed, chromedp.ByQuery))
	if strings.Contains(listed, "Development") || !strings.Contains(listed, "Production") {
		t.Fatalf("search for prod lists %q", listed)
	}
	browse(t, ctx, "open account", chromedp.Click(prodLink, chromedp.ByQuery),
		chromedp.WaitVisible("ul.roles", chromedp.ByQuery))
	screenshot(t, ctx, "04-roles")
	browse(t, ctx, "access keys",
		chromedp.Click(`a[href="/start/accounts/`+access.production+`/roles/AdministratorAccess/credentials"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#c-bash", chromedp.ByID))
	var bash, ps, cmd, file string
	browse(t, ctx, "read keys", chromedp.Text("#c-bash", &bash, chromedp.ByID), chromedp.Text("#c-ps", &ps, chromedp.ByID),
		chromedp.Text("#c-cmd", &cmd, chromedp.ByID), chromedp.Text("#c-file", &file, chromedp.ByID))
	if !strings.Contains(ps, `$Env:AWS_SESSION_TOKEN=`) || !strings.Contains(cmd, "set AWS_SECRET_ACCESS_KEY=") ||
		!strings.Contains(file, "["+access.production+"_AdministratorAccess]") {
		t.Fatalf("access keys:\n%s\n%s\n%s\n%s", bash, ps, cmd, file)
	}
	checkShownCredentials(t, app, bash, access.production, access.permissionSet, "alice")
	screenshot(t, ctx, "05-access-keys")
	browse(t, ctx, "devices", chromedp.Navigate(app.URL+"/start/devices"), chromedp.WaitVisible("ul.roles", chromedp.ByQuery))
	screenshot(t, ctx, "06-devices")
	browse(t, ctx, "sessions", chromedp.Navigate(app.URL+"/start/sessions"), chromedp.WaitVisible("ul.roles", chromedp.ByQuery))
	screenshot(t, ctx, "07-sessions")

	// Ask for MFA at every sign-in, then sign out and in again.
	if code, out := app.adminCall(t, "UpdateSignInSettings", map[string]any{"Settings": map[string]any{"MfaMode": "ALWAYS_ON"}}); code != 200 {
		t.Fatalf("UpdateSignInSettings: %d %v", code, out)
	}
	browse(t, ctx, "sign out", chromedp.Click(`button.link`, chromedp.ByQuery), chromedp.WaitVisible("#username", chromedp.ByID))
	screenshot(t, ctx, "08-sign-in")
	browse(t, ctx, "user name", chromedp.SendKeys("#username", "alice", chromedp.ByID), chromedp.Submit("#username", chromedp.ByID),
		chromedp.WaitVisible("#password", chromedp.ByID))
	browse(t, ctx, "password", chromedp.SendKeys("#password", pw, chromedp.ByID), chromedp.Submit("#password", chromedp.ByID),
		chromedp.WaitVisible("#code", chromedp.ByID))
	screenshot(t, ctx, "09-mfa")
	// The registration code's step is used up; wait for the next one.
	for mfa.Step(time.Now()) <= regStep {
		time.Sleep(200 * time.Millisecond)
	}
	browse(t, ctx, "TOTP", chromedp.SendKeys("#code", mfa.Code(secret, mfa.Step(time.Now())), chromedp.ByID),
		chromedp.Submit("#code", chromedp.ByID), chromedp.WaitVisible("ul.accounts", chromedp.ByQuery))
	if u := location(t, ctx); !strings.HasSuffix(u, "/start/accounts") {
		t.Fatalf("after sign-in at %s", u)
	}
	// A phone-sized window: the page must not scroll sideways.
	var wide bool
	browse(t, ctx, "phone", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible("ul.accounts", chromedp.ByQuery),
		chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &wide))
	if wide {
		t.Error("the accounts page scrolls sideways on a 390 px wide screen")
	}
	screenshot(t, ctx, "11-accounts-phone")
	// Cookies: HttpOnly, SameSite=Lax; this development URL is http, so
	// not Secure (https public URLs get __Host- and Secure).
	var cookies []*network.Cookie
	browse(t, ctx, "cookies", chromedp.ActionFunc(func(ctx context.Context) (err error) {
		cookies, err = network.GetCookies().Do(ctx)
		return err
	}))
	for _, c := range cookies {
		if c.Name == "gh_session" && (!c.HTTPOnly || c.SameSite != network.CookieSameSiteLax) {
			t.Fatalf("session cookie %+v", c)
		}
	}
}

// TestBrowserJourneyWebAuthn registers a security key through Chromium's
// DevTools virtual authenticator and signs in with it.
func TestBrowserJourneyWebAuthn(t *testing.T) {
	app := startPortalApp(t)
	userID := app.createUser(t, "bob", "bob@example.com")
	grantRealAccess(t, app, userID)
	code, out := app.adminCall(t, "ResetUserPassword", map[string]any{"UserId": userID, "Mode": "ONE_TIME_PASSWORD"})
	if code != 200 {
		t.Fatalf("ResetUserPassword: %d %v", code, out)
	}
	otp, _ := out["OneTimePassword"].(string)
	if len(otp) != 16 {
		t.Fatalf("one-time password %q", otp)
	}
	ctx := newBrowser(t)
	var authID cdpwebauthn.AuthenticatorID
	browse(t, ctx, "virtual authenticator", chromedp.Navigate(app.URL+"/start/login"), chromedp.ActionFunc(func(ctx context.Context) (err error) {
		if err := cdpwebauthn.Enable().Do(ctx); err != nil {
			return err
		}
		authID, err = cdpwebauthn.AddVirtualAuthenticator(&cdpwebauthn.VirtualAuthenticatorOptions{
			Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Transport: cdpwebauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}).Do(ctx)
		return err
	}))
	browse(t, ctx, "user name", chromedp.WaitVisible("#username", chromedp.ByID), chromedp.SendKeys("#username", "bob", chromedp.ByID),
		chromedp.Submit("#username", chromedp.ByID), chromedp.WaitVisible("#password", chromedp.ByID))
	browse(t, ctx, "one-time password", chromedp.SendKeys("#password", otp, chromedp.ByID), chromedp.Submit("#password", chromedp.ByID),
		chromedp.WaitVisible("#confirm", chromedp.ByID))
	const pw = "bright lantern over quiet harbour"
	browse(t, ctx, "change password", chromedp.SendKeys("#password", pw, chromedp.ByID), chromedp.SendKeys("#confirm", pw, chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID), chromedp.WaitVisible("#webauthn-register", chromedp.ByID))
	browse(t, ctx, "register key", chromedp.SetValue("#key-name", "Bob's key", chromedp.ByID),
		chromedp.Click("#webauthn-register", chromedp.ByID), chromedp.WaitVisible("ul.accounts", chromedp.ByQuery))

	creds, err := cdpwebauthnCredentials(ctx, authID)
	if err != nil || len(creds) != 1 {
		t.Fatalf("virtual authenticator credentials: %v, %v", creds, err)
	}
	if code, out := app.adminCall(t, "UpdateSignInSettings", map[string]any{"Settings": map[string]any{"MfaMode": "ALWAYS_ON"}}); code != 200 {
		t.Fatalf("UpdateSignInSettings: %d %v", code, out)
	}
	browse(t, ctx, "sign out", chromedp.Click(`button.link`, chromedp.ByQuery), chromedp.WaitVisible("#username", chromedp.ByID))
	browse(t, ctx, "user name again", chromedp.SendKeys("#username", "bob", chromedp.ByID), chromedp.Submit("#username", chromedp.ByID),
		chromedp.WaitVisible("#password", chromedp.ByID))
	browse(t, ctx, "password again", chromedp.SendKeys("#password", pw, chromedp.ByID), chromedp.Submit("#password", chromedp.ByID),
		chromedp.WaitVisible("#webauthn-login", chromedp.ByID))
	screenshot(t, ctx, "10-mfa-security-key")
	browse(t, ctx, "use key", chromedp.Click("#webauthn-login", chromedp.ByID), chromedp.WaitVisible("ul.accounts", chromedp.ByQuery))

	code, out = app.adminCall(t, "ListMfaDevices", map[string]any{"UserId": userID})
	devs, _ := out["MfaDevices"].([]any)
	if code != 200 || len(devs) != 1 || devs[0].(map[string]any)["Type"] != "WEBAUTHN" || devs[0].(map[string]any)["Name"] != "Bob's key" {
		t.Fatalf("ListMfaDevices: %d %v", code, out)
	}
	// The stored signature counter is the one the key asserted.
	d, err := app.app.store.GetMFADevice(context.Background(), devs[0].(map[string]any)["DeviceId"].(string))
	creds, _ = cdpwebauthnCredentials(ctx, authID)
	if err != nil || d.SignCount != creds[0].SignCount {
		t.Fatalf("stored sign count %d, authenticator %d (%v)", d.SignCount, creds[0].SignCount, err)
	}
}

func cdpwebauthnCredentials(ctx context.Context, id cdpwebauthn.AuthenticatorID) ([]*cdpwebauthn.Credential, error) {
	var out []*cdpwebauthn.Credential
	err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) (err error) {
		out, err = cdpwebauthn.GetCredentials(id).Do(ctx)
		return err
	}))
	return out, err
}
