package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // the AWS CLI's cache file name
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/cliconfig"
)

// approveInChromium opens a verification address in headless Chromium,
// signs in (password, then TOTP when the user has an app), confirms the
// code and clicks "Allow" on the consent page.
func (e *entitled) approveInChromium(t *testing.T, ctx context.Context, verification, shot string) {
	t.Helper()
	browse(t, ctx, "open "+verification, chromedp.Navigate(verification), chromedp.WaitVisible("#username", chromedp.ByID))
	browse(t, ctx, "user name", chromedp.SendKeys("#username", e.userName, chromedp.ByID), chromedp.Submit("#username", chromedp.ByID),
		chromedp.WaitVisible("#password", chromedp.ByID))
	browse(t, ctx, "password", chromedp.SendKeys("#password", e.password, chromedp.ByID), chromedp.Submit("#password", chromedp.ByID))
	if e.totp != nil {
		browse(t, ctx, "mfa page", chromedp.WaitVisible("#code", chromedp.ByID))
		browse(t, ctx, "totp", chromedp.SendKeys("#code", e.nextCode(), chromedp.ByID),
			chromedp.Submit("#code", chromedp.ByID))
	}
	browse(t, ctx, "verification page", chromedp.WaitVisible("#confirm-code", chromedp.ByID))
	screenshot(t, ctx, shot+"-1-code")
	browse(t, ctx, "confirm code", chromedp.Click("#confirm-code", chromedp.ByID), chromedp.WaitVisible("#allow", chromedp.ByID))
	var client string
	browse(t, ctx, "consent", chromedp.Text("#client-name", &client, chromedp.ByID))
	if !strings.HasPrefix(client, "botocore-client-") {
		t.Fatalf("the consent page names the client %q", client)
	}
	screenshot(t, ctx, shot+"-2-consent")
	browse(t, ctx, "allow", chromedp.Click("#allow", chromedp.ByID), chromedp.WaitVisible("#outcome", chromedp.ByID))
}

// cliEnv is the environment of Debian's CLI v2 (2.9) pointed at the app
// with what `gatehouse cli-config` generates: the AWS_DATA_PATH rulesets
// (2.9 ignores AWS_ENDPOINT_URL_*) and a home of its own.
func cliEnv(t *testing.T, app *portalApp) (env []string, home string) {
	t.Helper()
	home = t.TempDir()
	dp := filepath.Join(home, "gatehouse-endpoints")
	cfg := cliconfig.Config{BaseURL: app.URL, Region: "us-east-1"}
	if err := cfg.WriteDataPath(dp); err != nil {
		t.Fatal(err)
	}
	env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_DATA_PATH=" + dp,
		"AWS_CONFIG_FILE=" + filepath.Join(home, ".aws", "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, ".aws", "credentials"),
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", "BROWSER=true", "TERM=dumb"}
	return env, home
}

var userCodeLine = regexp.MustCompile(`(?m)^([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\s*$`)

// runWithCode starts a command whose output shows a device code, hands
// the code to approve while the command waits, and returns the output.
func runWithCode(t *testing.T, cmd *exec.Cmd, approve func(code string)) string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	r := bufio.NewReader(out)
	approved := false
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		all.Write(buf[:n])
		if m := userCodeLine.FindStringSubmatch(all.String()); m != nil && !approved {
			approved = true
			approve(m[1])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %v\n%s\n%s", cmd.Args, err, all.String(), stderr.String())
	}
	if !approved {
		t.Fatalf("%v showed no device code:\n%s", cmd.Args, all.String())
	}
	return all.String()
}

// cachedAccessToken reads the CLI's token cache of an sso-session.
func cachedAccessToken(t *testing.T, home, session string) string {
	t.Helper()
	sum := sha1.Sum([]byte(session)) //nolint:gosec // the CLI's naming
	raw, err := os.ReadFile(filepath.Join(home, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken  string `json:"accessToken"`
		RefreshToken string `json:"refreshToken"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// TestAWSCLIv2ConfigureSSOLoginLogout is the seed tutorial's terminal
// part with Debian's unmodified CLI v2: `aws configure sso` answered through
// a pseudo-terminal, `aws sso login` approved in headless Chromium,
// `aws sts get-caller-identity` with the profile, `aws sso logout` — after
// which the token is dead on the server.
func TestAWSCLIv2ConfigureSSOLoginLogout(t *testing.T) {
	requireTool(t, cliV2, "aws-cli/2.")
	app := startPortalApp(t)
	e := newEntitledUser(t, app, "carol")
	env, home := cliEnv(t, app)

	rules, _ := json.Marshal([][2]string{
		{`SSO session name.*:\s*$`, "gatehouse"},
		{`SSO start URL.*:\s*$`, app.URL + "/start"},
		{`SSO region.*:\s*$`, "us-east-1"},
		{`SSO registration scopes.*:\s*$`, "sso:account:access"},
		{`CLI default client Region.*:\s*$`, "us-east-1"},
		{`CLI default output format.*:\s*$`, "json"},
		{`CLI profile name.*:\s*$`, "dev"},
	})
	configure := exec.Command("python3", "testdata/clients/pty_answer.py", string(rules), "--", cliV2[0], "configure", "sso")
	configure.Env = env
	out := runWithCode(t, configure, func(code string) { e.approveDevice(t, code, true) })
	if !strings.Contains(out, e.accountID) || !strings.Contains(out, e.permissionSet) {
		t.Fatalf("configure sso did not pick the account and role:\n%s", out)
	}
	cfgText, _ := os.ReadFile(filepath.Join(home, ".aws", "config"))
	for _, want := range []string{"[sso-session gatehouse]", "sso_start_url = " + app.URL + "/start", "[profile dev]",
		"sso_account_id = " + e.accountID, "sso_role_name = " + e.permissionSet} {
		if !strings.Contains(string(cfgText), want) {
			t.Fatalf("~/.aws/config lacks %q:\n%s", want, cfgText)
		}
	}

	// aws sso login, approved in a real browser.
	bctx := newBrowser(t)
	login := exec.Command(cliV2[0], "sso", "login", "--profile", "dev", "--no-browser")
	login.Env = env
	out = runWithCode(t, login, func(code string) {
		e.approveInChromium(t, bctx, app.URL+"/start/device?user_code="+code, "cli-v2-sso-login")
	})
	if !strings.Contains(out, "Successfully logged into Start URL") {
		t.Fatalf("sso login:\n%s", out)
	}

	who := exec.Command(cliV2[0], "sts", "get-caller-identity", "--profile", "dev", "--output", "json")
	who.Env = env
	raw, err := who.CombinedOutput()
	if err != nil {
		t.Fatalf("get-caller-identity: %v\n%s", err, raw)
	}
	var id struct{ Account, Arn, UserId string }
	if err := json.Unmarshal(raw, &id); err != nil {
		t.Fatalf("%s", raw)
	}
	if id.Account != e.accountID || !strings.Contains(id.Arn, ":assumed-role/AWSReservedSSO_"+e.permissionSet+"_") ||
		!strings.HasSuffix(id.Arn, "/carol") {
		t.Fatalf("get-caller-identity = %+v", id)
	}

	// gatehouse cli-config --profiles lists the roles with the cached
	// token, as aws-sso-util populate does.
	var gen bytes.Buffer
	if err := run([]string{"cli-config", "--url", app.URL, "--profiles", "--sso-cache", filepath.Join(home, ".aws", "sso", "cache"),
		"--data-path", filepath.Join(home, "dp2")}, &gen, &gen); err != nil {
		t.Fatalf("cli-config: %v\n%s", err, gen.String())
	}
	for _, want := range []string{"[profile Dev-carol." + e.permissionSet + "]", "sso_account_id = " + e.accountID,
		"export AWS_ENDPOINT_URL_SSO_OIDC=" + app.URL, "export AWS_DATA_PATH=" + filepath.Join(home, "dp2")} {
		if !strings.Contains(gen.String(), want) {
			t.Fatalf("cli-config output lacks %q:\n%s", want, gen.String())
		}
	}
	if _, err := os.Stat(filepath.Join(home, "dp2", "sts", "2011-06-15", "endpoint-rule-set-1.json")); err != nil {
		t.Fatal(err)
	}

	token := cachedAccessToken(t, home, "gatehouse")
	logout := exec.Command(cliV2[0], "sso", "logout")
	logout.Env = env
	if raw, err := logout.CombinedOutput(); err != nil {
		t.Fatalf("sso logout: %v\n%s", err, raw)
	}
	_, err = app.portalClient().ListAccounts(context.Background(), &sso.ListAccountsInput{AccessToken: aws.String(token)})
	wantAPIError(t, "the token after sso logout", err, "UnauthorizedException")
	who = exec.Command(cliV2[0], "sts", "get-caller-identity", "--profile", "dev")
	who.Env = env
	if raw, err := who.CombinedOutput(); err == nil {
		t.Fatalf("get-caller-identity after logout succeeded: %s", raw)
	}
}
