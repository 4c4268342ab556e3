package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	istypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	satypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/gatehouse/gatehouse/internal/s3gw/mototest"
)

// withS3Gateway runs the S3 gateway in front of upstream (moto accepts
// any credentials).
func withS3Gateway(upstream string) func(*Config) {
	return func(c *Config) {
		c.S3Gateway = S3GatewayConfig{Listen: "127.0.0.1:0", Upstream: upstream,
			UpstreamAccessKeyID: "moto", UpstreamSecretAccessKey: "moto-secret"}
	}
}

// startGateway serves the app's S3 gateway on a loopback listener of its
// own, as `gatehouse serve --s3-listen` does, and returns its URL.
func startGateway(t *testing.T, a *testApp) string {
	t.Helper()
	if a.app.s3 == nil {
		t.Fatal("the app has no S3 gateway; start it withS3Gateway")
	}
	srv := httptest.NewServer(a.app.s3)
	t.Cleanup(srv.Close)
	return srv.URL
}

// s3App is a portal app with its S3 gateway in front of a fresh moto.
type s3App struct {
	*portalApp
	S3URL string
	moto  *mototest.Server
}

func startS3App(t *testing.T) *s3App {
	t.Helper()
	m := mototest.Start(t)
	app := startPortalApp(t, portalOption(withS3Gateway(m.URL)))
	return &s3App{portalApp: app, S3URL: startGateway(t, app.testApp), moto: m}
}

// setPolicies gives the user's permission set an inline policy and
// AWS-managed policies, and provisions it again so that the role in the
// account carries them.
func (a *s3App) setPolicies(t *testing.T, e *entitled, inline string, managed ...string) {
	t.Helper()
	ctx := context.Background()
	sa := ssoadmin.NewFromConfig(a.awsConfig())
	inst := a.Instance.ARN
	if inline != "" {
		if _, err := sa.PutInlinePolicyToPermissionSet(ctx, &ssoadmin.PutInlinePolicyToPermissionSetInput{InstanceArn: &inst,
			PermissionSetArn: &e.permissionSetARN, InlinePolicy: aws.String(inline)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range managed {
		if _, err := sa.AttachManagedPolicyToPermissionSet(ctx, &ssoadmin.AttachManagedPolicyToPermissionSetInput{InstanceArn: &inst,
			PermissionSetArn: &e.permissionSetARN, ManagedPolicyArn: aws.String(m)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := sa.ProvisionPermissionSet(ctx, &ssoadmin.ProvisionPermissionSetInput{InstanceArn: &inst,
		PermissionSetArn: &e.permissionSetARN, TargetType: satypes.ProvisionTargetTypeAwsAccount, TargetId: &e.accountID})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitProvisioning(t, sa, inst, aws.ToString(out.PermissionSetProvisioningStatus.RequestId)); st.Status != satypes.StatusValuesSucceeded {
		t.Fatalf("provisioning: %+v", st)
	}
}

// roleCredentials gets the user's role credentials as the CLI and SDKs
// do: the device flow approved in the user's current portal session, then
// the portal API's GetRoleCredentials.
func (a *s3App) roleCredentials(t *testing.T, e *entitled) (id, secret, token string) {
	t.Helper()
	_, tok := deviceLogin(t, a.portalApp, e, []string{"sso:account:access"})
	out, err := a.portalClient().GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
		AccessToken: tok.AccessToken, AccountId: &e.accountID, RoleName: &e.permissionSet})
	if err != nil {
		t.Fatal(err)
	}
	rc := out.RoleCredentials
	return aws.ToString(rc.AccessKeyId), aws.ToString(rc.SecretAccessKey), aws.ToString(rc.SessionToken)
}

// s3Client is an aws-sdk-go-v2 client of the gateway.
func (a *s3App) s3Client(id, secret, token string) *s3.Client {
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(a.S3URL), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: aws.NewCredentialsCache(staticCreds{id, secret, token})})
}

type staticCreds struct{ id, secret, token string }

func (s staticCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: s.id, SecretAccessKey: s.secret, SessionToken: s.token, Source: "test"}, nil
}

// cliRun runs a CLI command and returns its combined output and whether it
// succeeded.
func cliRun(t *testing.T, env []string, argv ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func mustCLI(t *testing.T, env []string, argv ...string) string {
	t.Helper()
	out, ok := cliRun(t, env, argv...)
	if !ok {
		t.Fatalf("%s: %s", strings.Join(argv[1:], " "), out)
	}
	return out
}

func mustFailCLI(t *testing.T, env []string, code string, argv ...string) {
	t.Helper()
	out, ok := cliRun(t, env, argv...)
	if ok || !strings.Contains(out, "("+code+")") {
		t.Fatalf("%s: want %s, got ok=%v: %s", strings.Join(argv[1:], " "), code, ok, out)
	}
}

// writeTestData writes n deterministic bytes and returns the path and their
// SHA-256.
func writeTestData(t *testing.T, dir, name string, n int) (string, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	block := make([]byte, 1<<20)
	for off := 0; off < n; off += len(block) {
		for i := range block {
			block[i] = byte((off+i)*7 + (off+i)/4093)
		}
		b := block[:min(len(block), n-off)]
		f.Write(b)
		h.Write(b)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, hex.EncodeToString(h.Sum(nil))
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}

// tutorialPolicy allows S3 only to sessions that used MFA.
const tutorialPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"S3OnlyWithMFA","Effect":"Allow","Action":"s3:*","Resource":"*",
 "Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}}]}`

// TestS3GatewayTutorialWithCLIv2 is the tutorial's last step with
// Debian's unmodified CLI v2: a user signs in to the portal with MFA,
// `aws sso login` gets the profile's credentials, and `aws s3 ls`,
// `aws s3 cp` (small, and a 64 MiB multipart upload) and `aws s3 rm` work
// through the gateway against moto. Then the same user signs in without
// MFA (the administrator turned MFA off), logs in again, and the
// tutorial's policy refuses every S3 request.
func TestS3GatewayTutorialWithCLIv2(t *testing.T) {
	requireTool(t, cliV2, "aws-cli/2.")
	app := startS3App(t)
	e := newEntitledUser(t, app.portalApp, "dana")
	if e.totp == nil {
		t.Fatal("the default sign-in settings should have made dana register an authenticator app")
	}
	app.setPolicies(t, e, tutorialPolicy)
	env, home := cliEnv(t, app.portalApp)
	config := fmt.Sprintf(`[sso-session gatehouse]
sso_start_url = %s/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile my-dev-profile]
sso_session = gatehouse
sso_account_id = %s
sso_role_name = %s
region = us-east-1
output = json
`, app.URL, e.accountID, e.permissionSet)
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	login := func() {
		t.Helper()
		cmd := exec.Command(cliV2[0], "sso", "login", "--profile", "my-dev-profile", "--no-browser")
		cmd.Env = env
		out := runWithCode(t, cmd, func(code string) { e.approveDevice(t, code, true) })
		if !strings.Contains(out, "Successfully logged into Start URL") {
			t.Fatalf("sso login:\n%s", out)
		}
	}
	login()
	// CLI v2 2.9 predates AWS_ENDPOINT_URL_*: the gateway is named on the
	// command line, as docs/s3-gateway.md tells its users.
	aws3 := func(args ...string) []string {
		return append([]string{cliV2[0], "--profile", "my-dev-profile", "--endpoint-url", app.S3URL, "s3"}, args...)
	}
	mustCLI(t, env, aws3("mb", "s3://tutorial-bucket")...)
	dir := t.TempDir()
	small, _ := writeTestData(t, dir, "hello.txt", 1234)
	mustCLI(t, env, aws3("cp", small, "s3://tutorial-bucket/docs/hello.txt")...)
	big, bigSum := writeTestData(t, dir, "big.bin", 64<<20)
	mustCLI(t, env, aws3("cp", big, "s3://tutorial-bucket/data/big.bin")...)
	ls := mustCLI(t, env, aws3("ls", "s3://tutorial-bucket/", "--recursive")...)
	if !strings.Contains(ls, "docs/hello.txt") || !strings.Contains(ls, "67108864 data/big.bin") {
		t.Fatalf("aws s3 ls:\n%s", ls)
	}
	if out := mustCLI(t, env, aws3("ls")...); !strings.Contains(out, "tutorial-bucket") {
		t.Fatalf("aws s3 ls (buckets):\n%s", out)
	}
	back := filepath.Join(dir, "big.back")
	mustCLI(t, env, aws3("cp", "s3://tutorial-bucket/data/big.bin", back)...)
	if got := fileSHA256(t, back); got != bigSum {
		t.Fatal("the 64 MiB object came back different")
	}
	mustCLI(t, env, aws3("rm", "s3://tutorial-bucket/docs/hello.txt")...)
	if out := mustCLI(t, env, aws3("ls", "s3://tutorial-bucket/", "--recursive")...); strings.Contains(out, "hello.txt") {
		t.Fatalf("after aws s3 rm:\n%s", out)
	}
	// The upload went to moto in parts, each one decided and audited.
	parts, allowed := 0, 0
	for _, ev := range app.auditEvents(t) {
		if ev["eventSource"] != "s3.amazonaws.com" {
			continue
		}
		if ev["eventName"] == "UploadPart" {
			parts++
		}
		if ds, ok := ev["additionalEventData"].(map[string]any)["authorization"].([]any); ok && ev["errorCode"] == nil {
			d := ds[0].(map[string]any)
			if d["decision"] != "Allow" || d["sid"] != "S3OnlyWithMFA" {
				t.Fatalf("decision %v", d)
			}
			allowed++
		}
	}
	if parts < 8 || allowed < parts+4 {
		t.Fatalf("%d UploadPart events, %d allowed decisions", parts, allowed)
	}

	// The same user, signed in without MFA.
	if code, out := app.adminCall(t, "UpdateSignInSettings", map[string]any{"Settings": map[string]any{"MfaMode": "DISABLED"}}); code != 200 {
		t.Fatalf("UpdateSignInSettings: %d %v", code, out)
	}
	e.totp = nil // signIn then stops at the password
	e.browser = e.signIn(t, app.portalApp)
	mustCLI(t, env, cliV2[0], "sso", "logout")
	login()
	mustFailCLI(t, env, "AccessDenied", aws3("ls", "s3://tutorial-bucket/")...)
	mustFailCLI(t, env, "AccessDenied", aws3("cp", small, "s3://tutorial-bucket/docs/again.txt")...)
	var denied map[string]any
	for _, ev := range app.auditEvents(t) {
		if ev["eventSource"] == "s3.amazonaws.com" && ev["errorCode"] == "AccessDenied" {
			denied = ev
			break
		}
	}
	if denied == nil {
		t.Fatal("no audited denial")
	}
	d := denied["additionalEventData"].(map[string]any)["authorization"].([]any)[0].(map[string]any)
	sc := denied["additionalEventData"].(map[string]any)["sessionContext"].(map[string]any)["attributes"].(map[string]any)
	if d["decision"] != "ImplicitDeny" || d["layer"] != "identity" || sc["mfaAuthenticated"] != "false" {
		t.Fatalf("the denial's audit: %v", denied)
	}
}

// TestS3GatewayPoliciesWithCLIv1 runs the permission-set cases with the
// v1 CLI and credentials from the portal API: a ReadOnly set lists and
// reads but does not write; an ABAC policy on ${aws:PrincipalTag/team}
// (the session tag of the user's title) allows only the team's prefix.
func TestS3GatewayPoliciesWithCLIv1(t *testing.T) {
	requireTool(t, cliV1, "aws-cli/1.")
	app := startS3App(t)
	ctx := context.Background()
	admin := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(app.S3URL), UsePathStyle: true, RetryMaxAttempts: 1,
		Credentials: aws.NewCredentialsCache(staticCreds{app.KeyID, app.Secret, ""})})
	if _, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared")}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"blue/report.txt", "red/report.txt", "top.txt"} {
		if _, err := admin.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	local, _ := writeTestData(t, dir, "note.txt", 100)
	cli := func(t *testing.T, e *entitled) (env []string, run func(args ...string) []string) {
		id, secret, token := app.roleCredentials(t, e)
		home := t.TempDir()
		creds := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n", id, secret, token)
		if err := os.WriteFile(filepath.Join(home, "credentials"), []byte(creds), 0o600); err != nil {
			t.Fatal(err)
		}
		env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
			"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1"}
		if v := os.Getenv("PYENV_VERSION"); v != "" {
			env = append(env, "PYENV_VERSION="+v)
		}
		return env, func(args ...string) []string {
			return append(append([]string{}, cliV1...), append([]string{"--endpoint-url", app.S3URL, "s3"}, args...)...)
		}
	}

	t.Run("ReadOnly", func(t *testing.T) {
		e := newEntitledUser(t, app.portalApp, "erin")
		app.setPolicies(t, e, "", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
		env, s3 := cli(t, e)
		if out := mustCLI(t, env, s3("ls", "s3://shared/", "--recursive")...); !strings.Contains(out, "red/report.txt") {
			t.Fatalf("ls: %s", out)
		}
		if out := mustCLI(t, env, s3("cp", "s3://shared/top.txt", "-")...); out != "top.txt" {
			t.Fatalf("get: %q", out)
		}
		mustFailCLI(t, env, "AccessDenied", s3("cp", local, "s3://shared/erin.txt")...)
		mustFailCLI(t, env, "AccessDenied", s3("rm", "s3://shared/top.txt")...)
	})

	t.Run("ABAC", func(t *testing.T) {
		sa := ssoadmin.NewFromConfig(app.awsConfig())
		if _, err := sa.CreateInstanceAccessControlAttributeConfiguration(ctx, &ssoadmin.CreateInstanceAccessControlAttributeConfigurationInput{
			InstanceArn: aws.String(app.Instance.ARN), InstanceAccessControlAttributeConfiguration: &satypes.InstanceAccessControlAttributeConfiguration{
				AccessControlAttributes: []satypes.AccessControlAttribute{{Key: aws.String("team"),
					Value: &satypes.AccessControlAttributeValue{Source: []string{"${path:title}"}}}}}}); err != nil {
			t.Fatal(err)
		}
		e := newEntitledUser(t, app.portalApp, "finn")
		is := identitystore.NewFromConfig(app.awsConfig())
		if _, err := is.UpdateUser(ctx, &identitystore.UpdateUserInput{IdentityStoreId: aws.String(app.Instance.IdentityStoreID), UserId: &e.userID,
			Operations: []istypes.AttributeOperation{{AttributePath: aws.String("title"), AttributeValue: document.NewLazyDocument("blue")}}}); err != nil {
			t.Fatal(err)
		}
		app.setPolicies(t, e, `{"Version":"2012-10-17","Statement":[
 {"Sid":"ListOwnPrefix","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::shared",
  "Condition":{"StringLike":{"s3:prefix":["${aws:PrincipalTag/team}/*"]}}},
 {"Sid":"OwnPrefixObjects","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],
  "Resource":"arn:aws:s3:::shared/${aws:PrincipalTag/team}/*"}]}`)
		env, s3 := cli(t, e)
		if out := mustCLI(t, env, s3("ls", "s3://shared/blue/")...); !strings.Contains(out, "report.txt") {
			t.Fatalf("ls blue/: %s", out)
		}
		mustFailCLI(t, env, "AccessDenied", s3("ls", "s3://shared/red/")...)
		mustFailCLI(t, env, "AccessDenied", s3("ls", "s3://shared/")...)
		mustCLI(t, env, s3("cp", local, "s3://shared/blue/finn.txt")...)
		mustFailCLI(t, env, "AccessDenied", s3("cp", local, "s3://shared/red/finn.txt")...)
		if out := mustCLI(t, env, s3("cp", "s3://shared/blue/report.txt", "-")...); out != "blue/report.txt" {
			t.Fatalf("get blue: %q", out)
		}
		// The CLI starts a download with HeadObject, whose refusal has no
		// body in S3 (and so no code): a bare 403.
		mustFailCLI(t, env, "403", s3("cp", "s3://shared/red/report.txt", "-")...)
		mustCLI(t, env, s3("rm", "s3://shared/blue/finn.txt")...)
	})
}
