package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	orgs "github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	satypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/gatehouse/gatehouse/internal/mfa"
)

// entitled is a user who holds a permission set in a member account:
// what every test of the terminal-to-credentials path starts from.
type entitled struct {
	userID, userName, password string
	totp                       []byte
	lastStep                   int64
	accountID                  string
	permissionSet              string // name
	permissionSetARN           string
	browser                    *browserClient
}

// newEntitledUser creates, through the real APIs, a member account, a
// permission set (session duration PT2H), a user with a password (and an
// authenticator app when the sign-in settings ask for one) and an
// assignment of the permission set to the user, and signs the user in to
// the portal with a cookie-keeping HTTP client.
func newEntitledUser(t *testing.T, app *portalApp, name string) *entitled {
	t.Helper()
	ctx := context.Background()
	e := &entitled{userName: name, password: "copper meadow violin tandem", permissionSet: "Developer"}
	oc := orgs.NewFromConfig(app.awsConfig())
	e.accountID = createAccount(t, oc, "Dev "+name, name+"-dev@example.com")
	sa := ssoadmin.NewFromConfig(app.awsConfig())
	inst := app.Instance.ARN
	ps, err := sa.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: &inst,
		Name: aws.String(e.permissionSet + strings.ToUpper(name[:1]) + name[1:]), SessionDuration: aws.String("PT2H")})
	if err != nil {
		t.Fatal(err)
	}
	e.permissionSet = aws.ToString(ps.PermissionSet.Name)
	e.permissionSetARN = aws.ToString(ps.PermissionSet.PermissionSetArn)
	e.userID, e.totp, e.lastStep = signUpUser(t, app, name, e.password)
	ca, err := sa.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{InstanceArn: &inst,
		PermissionSetArn: &e.permissionSetARN, TargetId: &e.accountID, TargetType: satypes.TargetTypeAwsAccount,
		PrincipalType: satypes.PrincipalTypeUser, PrincipalId: &e.userID})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitCreation(t, sa, inst, aws.ToString(ca.AccountAssignmentCreationStatus.RequestId)); st.Status != satypes.StatusValuesSucceeded {
		t.Fatalf("assignment: %+v", st)
	}
	e.browser = e.signIn(t, app)
	return e
}

// signUpUser creates a user with a one-time password, changes it at the
// first sign-in and registers an authenticator app if asked to.
func signUpUser(t *testing.T, app *portalApp, name, pw string) (string, []byte, int64) {
	t.Helper()
	id := app.createUser(t, name, name+"@example.com")
	code, out := app.adminCall(t, "ResetUserPassword", map[string]any{"UserId": id, "Mode": "ONE_TIME_PASSWORD"})
	if code != 200 {
		t.Fatalf("ResetUserPassword: %d %v", code, out)
	}
	b := newBrowserClient(t, app.URL)
	p := b.signIn(name, out["OneTimePassword"].(string))
	if p.location != "/start/change-password" {
		t.Fatalf("after the one-time password: %d %s", p.status, p.location)
	}
	b.get("/start/change-password")
	p = b.post("/start/change-password", url.Values{"password": {pw}, "confirm": {pw}})
	var (
		secret []byte
		step   int64
	)
	if p.location == "/start/mfa/register" {
		reg := b.get("/start/mfa/register")
		m := regexp.MustCompile(`id="totp-secret" class="secret">([A-Z2-7]+)<`).FindStringSubmatch(reg.body)
		if m == nil {
			t.Fatalf("registration page: %d %s", reg.status, reg.body)
		}
		secret, _ = mfa.DecodeSecret(m[1])
		step = mfa.Step(time.Now())
		p = b.post("/start/mfa/register/totp", url.Values{"code": {mfa.Code(secret, step)}, "name": {"phone"}})
	}
	if !strings.HasPrefix(p.location, "/start/accounts") {
		t.Fatalf("sign-up of %s ended at %d %s %s", name, p.status, p.location, p.body)
	}
	return id, secret, step
}

// nextCode returns a TOTP code of a step not used yet, waiting for the
// clock when the last used step is ahead of it (each step signs in once).
func (e *entitled) nextCode() string {
	for mfa.Step(time.Now())+1 <= e.lastStep {
		time.Sleep(500 * time.Millisecond)
	}
	e.lastStep = max(mfa.Step(time.Now()), e.lastStep+1)
	return mfa.Code(e.totp, e.lastStep)
}

// signIn signs the user in with a new browser (password, then TOTP when
// the user has an app; a code of the next step, since the current one may
// have been used).
func (e *entitled) signIn(t *testing.T, app *portalApp) *browserClient {
	t.Helper()
	b := newBrowserClient(t, app.URL)
	p := b.signIn(e.userName, e.password)
	if p.location == "/start/mfa" {
		b.get("/start/mfa")
		p = b.post("/start/mfa", url.Values{"code": {e.nextCode()}})
	}
	if !strings.HasPrefix(p.location, "/start/accounts") {
		t.Fatalf("sign-in of %s ended at %d %s %s", e.userName, p.status, p.location, p.body)
	}
	return b
}

var (
	requestField = regexp.MustCompile(`name="request" value="([^"]+)"`)
	bindingField = regexp.MustCompile(`name="binding" value="([^"]+)"`)
)

// approveDevice enters a user code in the portal and answers the consent
// page, as a person would.
func (e *entitled) approveDevice(t *testing.T, userCode string, allow bool) {
	t.Helper()
	b := e.browser
	page := b.get("/start/device?user_code=" + url.QueryEscape(userCode))
	if page.status != http.StatusOK || !strings.Contains(page.body, userCode) {
		t.Fatalf("verification page: %d %s", page.status, page.body)
	}
	consent := b.post("/start/device", url.Values{"user_code": {userCode}})
	if consent.status != http.StatusOK || !strings.Contains(consent.body, "Allow") {
		t.Fatalf("consent page: %d %s", consent.status, consent.body)
	}
	decision := "deny"
	if allow {
		decision = "allow"
	}
	done := b.post("/start/device/decide", url.Values{"request": {requestField.FindStringSubmatch(consent.body)[1]},
		"binding": {bindingField.FindStringSubmatch(consent.body)[1]}, "decision": {decision}})
	if done.status != http.StatusOK {
		t.Fatalf("decision: %d %s", done.status, done.body)
	}
}

// oidcClient is an sso-oidc client of the app (unsigned, as the SDKs send
// it).
func (a *testApp) oidcClient() *ssooidc.Client {
	return ssooidc.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1, BaseEndpoint: aws.String(a.URL)})
}

func (a *testApp) portalClient() *sso.Client {
	return sso.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1, BaseEndpoint: aws.String(a.URL)})
}

// stsWith is an STS client signing with the given credentials.
func (a *testApp) stsWith(id, secret, token string) *sts.Client {
	return sts.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1, BaseEndpoint: aws.String(a.URL),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, token)})
}

// errCode returns the error code of an SDK error.
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "?" + err.Error()
	}
	return ""
}

func wantAPIError(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := errCode(err); got != code {
		t.Fatalf("%s: error %q (%v), want %s", what, got, err, code)
	}
}

// deviceLogin runs the device flow with the Go SDK up to the tokens: the
// client registers, starts the flow, the user approves in the portal, the
// client polls.
func deviceLogin(t *testing.T, app *portalApp, e *entitled, scopes []string) (*ssooidc.RegisterClientOutput, *ssooidc.CreateTokenOutput) {
	t.Helper()
	ctx := context.Background()
	oc := app.oidcClient()
	reg, err := oc.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("botocore-client-dev"),
		ClientType: aws.String("public"), Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	start, err := oc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{ClientId: reg.ClientId,
		ClientSecret: reg.ClientSecret, StartUrl: aws.String(app.URL + "/start")})
	if err != nil {
		t.Fatal(err)
	}
	e.approveDevice(t, aws.ToString(start.UserCode), true)
	tok, err := oc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: start.DeviceCode})
	if err != nil {
		t.Fatal(err)
	}
	return reg, tok
}

// TestTerminalToCredentialsWithGoSDK walks the whole path with
// aws-sdk-go-v2: device flow, portal API, temporary credentials, STS,
// refresh with rotation, logout, and revocation by disabling the user.
func TestTerminalToCredentialsWithGoSDK(t *testing.T) {
	app := startPortalApp(t)
	e := newEntitledUser(t, app, "alice")
	ctx := context.Background()
	oc := app.oidcClient()

	reg, err := oc.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("botocore-client-dev"),
		ClientType: aws.String("public"), Scopes: []string{"sso:account:access"}})
	if err != nil {
		t.Fatal(err)
	}
	if exp := time.Unix(reg.ClientSecretExpiresAt, 0); exp.Sub(time.Now()) < 89*24*time.Hour || exp.Sub(time.Now()) > 91*24*time.Hour {
		t.Fatalf("clientSecretExpiresAt = %v, want 90 days", exp)
	}
	start, err := oc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{ClientId: reg.ClientId,
		ClientSecret: reg.ClientSecret, StartUrl: aws.String(app.URL + "/start")})
	if err != nil {
		t.Fatal(err)
	}
	code := aws.ToString(start.UserCode)
	if !regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`).MatchString(code) || start.ExpiresIn != 600 ||
		start.Interval != 1 || aws.ToString(start.VerificationUri) != app.URL+"/start/device" ||
		aws.ToString(start.VerificationUriComplete) != app.URL+"/start/device?user_code="+code {
		t.Fatalf("StartDeviceAuthorization = %+v", start)
	}
	poll := func() error {
		_, err := oc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
			GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: start.DeviceCode})
		return err
	}
	var pending *smithy.GenericAPIError
	_ = pending
	wantAPIError(t, "poll before approval", poll(), "AuthorizationPendingException")
	e.approveDevice(t, code, true)
	tok, err := oc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: start.DeviceCode})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(tok.TokenType) != "Bearer" || tok.ExpiresIn < 3500 || tok.ExpiresIn > 3600 || aws.ToString(tok.RefreshToken) == "" {
		t.Fatalf("CreateToken = %+v", tok)
	}
	wantAPIError(t, "device code used twice", poll(), "InvalidGrantException")

	// The portal API.
	pc := app.portalClient()
	accts, err := pc.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: tok.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(accts.AccountList) != 1 || aws.ToString(accts.AccountList[0].AccountId) != e.accountID ||
		aws.ToString(accts.AccountList[0].AccountName) != "Dev alice" {
		t.Fatalf("ListAccounts = %+v", accts.AccountList)
	}
	roles, err := pc.ListAccountRoles(ctx, &sso.ListAccountRolesInput{AccessToken: tok.AccessToken, AccountId: &e.accountID})
	if err != nil || len(roles.RoleList) != 1 || aws.ToString(roles.RoleList[0].RoleName) != e.permissionSet {
		t.Fatalf("ListAccountRoles = %+v, %v", roles, err)
	}
	before := time.Now()
	rc, err := pc.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken, AccountId: &e.accountID,
		RoleName: aws.String(e.permissionSet)})
	if err != nil {
		t.Fatal(err)
	}
	c := rc.RoleCredentials
	exp := time.UnixMilli(c.Expiration)
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || len(aws.ToString(c.SecretAccessKey)) != 40 ||
		aws.ToString(c.SessionToken) == "" || exp.Before(before.Add(2*time.Hour-2*time.Second)) || exp.After(time.Now().Add(2*time.Hour)) {
		t.Fatalf("GetRoleCredentials = %+v (expires %v)", c, exp)
	}
	_, err = pc.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken, AccountId: &e.accountID,
		RoleName: aws.String("AdministratorAccess")})
	wantAPIError(t, "unassigned role", err, "ForbiddenException")
	_, err = pc.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: aws.String("ghat_nonsense")})
	wantAPIError(t, "unknown token", err, "UnauthorizedException")

	// The portal's "Configure your CLI" page lists the same profile.
	if page := e.browser.get("/start/cli"); !strings.Contains(page.body, "[profile Dev-alice."+e.permissionSet+"]") ||
		!strings.Contains(page.body, "AWS_ENDPOINT_URL_SSO_OIDC="+app.URL) {
		t.Fatalf("CLI page: %d %s", page.status, page.body)
	}

	// STS: the role session's identity.
	id, err := app.stsWith(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	arnRE := regexp.MustCompile(`^arn:aws:sts::` + e.accountID + `:assumed-role/AWSReservedSSO_` + e.permissionSet + `_[0-9a-f]{16}/alice$`)
	if aws.ToString(id.Account) != e.accountID || !arnRE.MatchString(aws.ToString(id.Arn)) ||
		!regexp.MustCompile(`^AROA[A-Z0-9]+:alice$`).MatchString(aws.ToString(id.UserId)) {
		t.Fatalf("GetCallerIdentity = %s %s %s", aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId))
	}
	info, err := app.stsWith(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)).
		GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: c.AccessKeyId})
	if err != nil || aws.ToString(info.Account) != e.accountID {
		t.Fatalf("GetAccessKeyInfo = %+v, %v", info, err)
	}
	_, err = app.stsWith(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), "").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, "no session token", err, "InvalidClientTokenId")
	_, err = app.stsWith(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)+"x").
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, "another token", err, "InvalidClientTokenId")
	_, err = app.stsWith(aws.ToString(c.AccessKeyId), "x"+aws.ToString(c.SecretAccessKey)[1:], aws.ToString(c.SessionToken)).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, "wrong secret", err, "SignatureDoesNotMatch")
	_, err = app.stsWith("ASIAAAAAAAAAAAAAAAAA", aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, "unknown key", err, "InvalidClientTokenId")
	admin, err := sts.NewFromConfig(app.awsConfig()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(admin.Account) != app.Instance.OwnerAccountID || !strings.HasSuffix(aws.ToString(admin.Arn), ":user/gatehouse-admin") {
		t.Fatalf("admin GetCallerIdentity = %+v, %v", admin, err)
	}

	// Refresh rotates the refresh token; the old one, reused after the
	// grace window, revokes the family (tested in the security cases).
	ref, err := oc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("refresh_token"), RefreshToken: tok.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ref.RefreshToken) == aws.ToString(tok.RefreshToken) || aws.ToString(ref.AccessToken) == aws.ToString(tok.AccessToken) {
		t.Fatal("refresh did not rotate the tokens")
	}
	if _, err := pc.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: ref.AccessToken}); err != nil {
		t.Fatalf("refreshed access token: %v", err)
	}

	// Logout revokes the token and its family.
	if _, err := pc.Logout(ctx, &sso.LogoutInput{AccessToken: ref.AccessToken}); err != nil {
		t.Fatal(err)
	}
	_, err = pc.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: ref.AccessToken})
	wantAPIError(t, "after logout", err, "UnauthorizedException")
	_, err = oc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("refresh_token"), RefreshToken: ref.RefreshToken})
	wantAPIError(t, "refresh after logout", err, "InvalidGrantException")

	// Disabling the user revokes the credentials already issued.
	if err := disableUser(newIdentityClient(app), app, e.userID); err != nil {
		t.Fatal(err)
	}
	_, err = app.stsWith(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, "after disabling the user", err, "AccessDenied")
}
