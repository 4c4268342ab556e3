package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/store"
)

// consoleAdmin creates a user with a password and an authenticator app,
// grants it console access at level (FULL, READ_ONLY, POLICY with
// policies; "" grants nothing) through GatehouseAdmin.PutConsoleAccess,
// and returns a browser client signed in with MFA, and the user's id.
func consoleAdmin(t *testing.T, app *portalApp, name, level string, policies ...string) (*browserClient, string) {
	t.Helper()
	const pw = "quiet harbour lantern morning"
	id := app.createUser(t, name, name+"@example.com")
	code, out := app.adminCall(t, "ResetUserPassword", map[string]any{"UserId": id, "Mode": "ONE_TIME_PASSWORD"})
	if code != 200 {
		t.Fatalf("ResetUserPassword: %d %v", code, out)
	}
	b := newBrowserClient(t, app.URL)
	if p := b.signIn(name, out["OneTimePassword"].(string)); p.location != "/start/change-password" {
		t.Fatalf("after the one-time password: %d %s", p.status, p.location)
	}
	b.get("/start/change-password")
	if p := b.post("/start/change-password", url.Values{"password": {pw}, "confirm": {pw}}); p.location != "/start/mfa/register" {
		t.Fatalf("after the change: %d %s", p.status, p.location)
	}
	reg := b.get("/start/mfa/register")
	m := regexp.MustCompile(`id="totp-secret" class="secret">([A-Z2-7]+)<`).FindStringSubmatch(reg.body)
	if m == nil {
		t.Fatal("no TOTP secret on the registration page")
	}
	secret, _ := mfa.DecodeSecret(m[1])
	if p := b.post("/start/mfa/register/totp", url.Values{"code": {mfa.Code(secret, mfa.Step(time.Now()))}, "name": {"phone"}}); p.location != "/start/accounts" {
		t.Fatalf("after registration: %d %s %s", p.status, p.location, p.body)
	}
	if level != "" {
		in := map[string]any{"UserId": id, "AccessLevel": level}
		if len(policies) > 0 {
			in["PolicyArns"] = policies
		}
		if code, out := app.adminCall(t, "PutConsoleAccess", in); code != 200 {
			t.Fatalf("PutConsoleAccess: %d %v", code, out)
		}
	}
	return b, id
}

// securityHeaders reports what is missing from a page's security headers.
func securityHeaders(h http.Header) string {
	var missing []string
	if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") {
		missing = append(missing, "CSP")
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cross-Origin-Opener-Policy": "same-origin",
		"Cache-Control": "no-store", "Referrer-Policy": "same-origin"} {
		if h.Get(k) != v {
			missing = append(missing, k)
		}
	}
	if ct := h.Get("Content-Type"); ct != "" && ct != "text/html; charset=utf-8" && ct != "text/plain; charset=utf-8" {
		missing = append(missing, "Content-Type "+ct)
	}
	return strings.Join(missing, ", ")
}

// TestConsolePages (SECURITY D.22): a full console administrator reaches
// every page; each carries the security headers; GET changes nothing.
func TestConsolePages(t *testing.T) {
	app := startPortalApp(t)
	b, adminID := consoleAdmin(t, app, "root-admin", "FULL")
	groupID := createGroup(t, app, "Platform")
	pages := []string{"/admin/", "/admin/users", "/admin/users?q=root&by=user_name", "/admin/users?q=root-admin%40&by=email",
		"/admin/users/new", "/admin/users/" + adminID, "/admin/users/" + adminID + "/edit",
		"/admin/users/" + adminID + "/confirm?action=disable",
		"/admin/groups", "/admin/groups/new", "/admin/groups/" + groupID, "/admin/groups/" + groupID + "/edit", "/admin/groups/" + groupID + "/add-members",
		"/admin/permission-sets", "/admin/permission-sets/new", "/admin/accounts", "/admin/accounts/" + app.Instance.OwnerAccountID,
		"/admin/assign", "/admin/assign?step=principals", "/admin/assign?step=permission-sets", "/admin/assign?step=review",
		"/admin/settings", "/admin/audit", "/admin/audit?outcome=failure", "/admin/audit?event=CreateUser&from=2020-01-01T00:00"}
	for _, path := range pages {
		p := b.get(path)
		if p.status != http.StatusOK {
			t.Errorf("GET %s: %d\n%s", path, p.status, p.body)
			continue
		}
		if m := securityHeaders(p.header); m != "" {
			t.Errorf("GET %s: security headers: %s", path, m)
		}
	}
	if m := securityHeaders(b.get("/admin/static/console.css").header); strings.Contains(m, "CSP") {
		t.Errorf("static file headers: %s", m)
	}
}

func createGroup(t *testing.T, app *portalApp, name string) string {
	t.Helper()
	g, err := app.app.store.GetGroupByDisplayName(context.Background(), strings.ToLower(name))
	if err == nil {
		return g.ID
	}
	code, out := app.identityCall(t, "CreateGroup", map[string]any{"DisplayName": name})
	if code != 200 {
		t.Fatalf("CreateGroup: %d %v", code, out)
	}
	return out["GroupId"].(string)
}

// identityCall calls an identitystore operation with the admin key.
func (a *portalApp) identityCall(t testing.TB, op string, in map[string]any) (int, map[string]any) {
	t.Helper()
	return a.signedCall(t, "AWSIdentityStore."+op, "identitystore", in)
}

// auditOf returns the stored events named name, newest first.
func auditOf(t *testing.T, app *portalApp, name string) []map[string]any {
	t.Helper()
	app.flushAudit(t)
	evs, err := app.app.store.SearchAuditEvents(context.Background(), store.AuditSearch{EventName: name, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]any, len(evs))
	for i, e := range evs {
		json.Unmarshal(e.Document, &out[i])
	}
	return out
}

// signedCall calls a JSON 1.1 operation (target "Prefix.Op") of the
// service signingName with the admin key.
func (a *portalApp) signedCall(t testing.TB, target, signingName string, in map[string]any) (int, map[string]any) {
	t.Helper()
	if in == nil {
		in = map[string]any{}
	}
	if _, ok := in["IdentityStoreId"]; !ok && signingName == "identitystore" {
		in["IdentityStoreId"] = a.Instance.IdentityStoreID
	}
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: a.KeyID, SecretAccessKey: a.Secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), signingName, "us-east-1", time.Now()); err != nil {
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

// TestConsoleAccessAPI: GatehouseAdmin.PutConsoleAccess,
// DescribeConsoleAccess, ListConsoleAccess and DeleteConsoleAccess with
// the bootstrap key, their validation, and SendTestEmail.
func TestConsoleAccessAPI(t *testing.T) {
	app := startPortalApp(t)
	u1 := app.createUser(t, "first", "first@example.com")
	u2 := app.createUser(t, "second", "second@example.com")
	for _, tc := range []struct {
		in   map[string]any
		code int
		err  string
	}{
		{map[string]any{"UserId": u1, "AccessLevel": "SUPER"}, 400, "ValidationException"},
		{map[string]any{"UserId": u1}, 400, "ValidationException"},
		{map[string]any{"UserId": u1, "AccessLevel": "FULL", "PolicyArns": []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}, 400, "ValidationException"},
		{map[string]any{"UserId": u1, "AccessLevel": "POLICY"}, 400, "ValidationException"},
		{map[string]any{"UserId": u1, "AccessLevel": "POLICY", "PolicyArns": []string{"not-an-arn"}}, 400, "ValidationException"},
		{map[string]any{"UserId": u1, "AccessLevel": "POLICY", "PolicyArns": []string{"arn:aws:iam::aws:policy/NoSuchPolicy"}}, 400, "ResourceNotFoundException"},
		{map[string]any{"UserId": u1, "AccessLevel": "FULL", "Extra": 1}, 400, "SerializationException"},
	} {
		code, out := app.adminCall(t, "PutConsoleAccess", tc.in)
		if code != tc.code || out["__type"] != tc.err {
			t.Errorf("PutConsoleAccess %v: %d %v", tc.in, code, out)
		}
	}
	if code, out := app.adminCall(t, "PutConsoleAccess", map[string]any{"UserId": u1, "AccessLevel": "FULL"}); code != 200 ||
		out["ConsoleAccess"].(map[string]any)["AccessLevel"] != "FULL" || out["ConsoleAccess"].(map[string]any)["GrantedBy"] == "" {
		t.Fatalf("PutConsoleAccess: %d %v", code, out)
	}
	if code, out := app.adminCall(t, "PutConsoleAccess", map[string]any{"UserId": u2, "AccessLevel": "POLICY",
		"PolicyArns": []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}); code != 200 {
		t.Fatalf("PutConsoleAccess POLICY: %d %v", code, out)
	}
	code, out := app.adminCall(t, "ListConsoleAccess", map[string]any{"MaxResults": 1})
	list, _ := out["ConsoleAccess"].([]any)
	if code != 200 || len(list) != 1 || out["NextToken"] == nil {
		t.Fatalf("ListConsoleAccess page 1: %d %v", code, out)
	}
	code, out = app.adminCall(t, "ListConsoleAccess", map[string]any{"MaxResults": 1, "NextToken": out["NextToken"]})
	if list2, _ := out["ConsoleAccess"].([]any); code != 200 || len(list2) != 1 || out["NextToken"] != nil {
		t.Fatalf("ListConsoleAccess page 2: %d %v", code, out)
	}
	if code, out := app.adminCall(t, "DeleteConsoleAccess", map[string]any{"UserId": u1}); code != 200 {
		t.Fatalf("DeleteConsoleAccess: %d %v", code, out)
	}
	if code, out := app.adminCall(t, "DescribeConsoleAccess", map[string]any{"UserId": u1}); code != 400 || out["__type"] != "ResourceNotFoundException" {
		t.Fatalf("DescribeConsoleAccess after delete: %d %v", code, out)
	}
	if code, out := app.adminCall(t, "DescribeConsoleAccess", map[string]any{"UserId": u2}); code != 200 ||
		out["ConsoleAccess"].(map[string]any)["PolicyArns"].([]any)[0] != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Fatalf("DescribeConsoleAccess: %d %v", code, out)
	}
	// Every change is audited under gatehouse.amazonaws.com.
	if evs := auditOf(t, app, "PutConsoleAccess"); len(evs) < 2 || evs[0]["eventSource"] != "gatehouse.amazonaws.com" {
		t.Fatalf("PutConsoleAccess events: %v", evs)
	}
	// The test message goes out at once.
	if code, out := app.adminCall(t, "SendTestEmail", map[string]any{"EmailAddress": "ops@example.com"}); code != 200 {
		t.Fatalf("SendTestEmail: %d %v", code, out)
	}
	if msg := app.smtp.Next(t, 10*time.Second); msg.To[0] != "ops@example.com" {
		t.Fatalf("test message to %v", msg.To)
	}
}
