package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/gatehouse/gatehouse/internal/store"
)

// consoleFixture is an instance with something in every page: a user with
// a session, two groups, a membership, a permission set assigned to a
// group in the management account.
type consoleFixture struct {
	app                           *portalApp
	victim, other, groupG, groupH string
	membershipG, membershipH      string
	ps, psARN, acct, instance     string
}

func newConsoleFixture(t *testing.T) *consoleFixture {
	t.Helper()
	app := startPortalApp(t)
	f := &consoleFixture{app: app, acct: app.Instance.OwnerAccountID, instance: app.Instance.ARN}
	f.victim = app.createUser(t, "victim", "victim@example.com")
	f.groupG, f.groupH = createGroup(t, app, "Group-G"), createGroup(t, app, "Group-H")
	f.other = app.createUser(t, "other", "other@example.com")
	other := f.other
	for group, dst := range map[string]*string{f.groupG: &f.membershipG, f.groupH: &f.membershipH} {
		code, out := app.identityCall(t, "CreateGroupMembership", map[string]any{"GroupId": group, "MemberId": map[string]string{"UserId": f.victim}})
		if code != 200 {
			t.Fatalf("CreateGroupMembership: %d %v", code, out)
		}
		*dst = out["MembershipId"].(string)
	}
	if code, out := app.identityCall(t, "CreateGroupMembership", map[string]any{"GroupId": f.groupH, "MemberId": map[string]string{"UserId": other}}); code != 200 {
		t.Fatalf("CreateGroupMembership: %d %v", code, out)
	}
	ctx := context.Background()
	sa := ssoadmin.NewFromConfig(app.awsConfig())
	ps, err := sa.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: &f.instance, Name: aws.String("Ops")})
	if err != nil {
		t.Fatal(err)
	}
	f.psARN = *ps.PermissionSet.PermissionSetArn
	f.ps = f.psARN[strings.LastIndexByte(f.psARN, '/')+1:]
	if _, err := sa.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{InstanceArn: &f.instance, PermissionSetArn: &f.psARN,
		TargetId: &f.acct, TargetType: ssotypes.TargetTypeAwsAccount, PrincipalType: ssotypes.PrincipalTypeGroup, PrincipalId: &f.groupG}); err != nil {
		t.Fatal(err)
	}
	return f
}

// stateChanges are every state-changing console request, with a form that
// would succeed for a full administrator.
func (f *consoleFixture) stateChanges() map[string]url.Values {
	u, g, ps := "/admin/users/"+f.victim, "/admin/groups/"+f.groupG, "/admin/permission-sets/"+f.ps
	return map[string]url.Values{
		"/admin/users": {"userName": {"newcomer"}, "displayName": {"New Comer"}, "name.givenName": {"New"}, "name.familyName": {"Comer"},
			"emails.value": {"newcomer@example.com"}, "invite": {"none"}},
		u + "/edit":           {"userName": {"victim"}, "displayName": {"Changed"}, "name.givenName": {"victim"}, "name.familyName": {"Example"}, "emails.value": {"victim@example.com"}},
		u + "/status":         {"status": {"DISABLED"}},
		u + "/delete":         nil,
		u + "/reset-password": {"mode": {"ONE_TIME_PASSWORD"}},
		u + "/invite":         nil,
		u + "/unlock":         nil,
		u + "/devices/mfa-0123456789abcdef01234567/delete": nil,
		u + "/sessions/delete":                             nil,
		u + "/console-access":                              {"accessLevel": {"FULL"}},
		u + "/console-access/delete":                       nil,
		u + "/groups":                                      {"group": {f.groupH}},
		"/admin/groups":                                    {"displayName": {"Intruders"}},
		g + "/edit":                                        {"displayName": {"Renamed"}},
		g + "/delete":                                      nil,
		g + "/members":                                     {"user": {f.victim}},
		g + "/members/remove":                              {"m": {f.membershipG}},
		"/admin/permission-sets":                           {"type": {"custom"}, "name": {"Sneaky"}, "sessionDuration": {"PT1H"}},
		ps + "/edit":                                       {"description": {"changed"}, "sessionDuration": {"PT2H"}},
		ps + "/delete":                                     nil,
		ps + "/managed-policies":                           {"policy": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		ps + "/managed-policies/detach":                    {"arn": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		ps + "/customer-policies":                          {"customerName": {"Team"}},
		ps + "/customer-policies/detach":                   {"name": {"Team"}, "path": {"/"}},
		ps + "/inline":                                     {"inline": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}},
		ps + "/inline/delete":                              nil,
		ps + "/boundary":                                   {"boundaryType": {"managed"}, "boundaryArn": {"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		ps + "/boundary/delete":                            nil,
		ps + "/tags":                                       {"tagKey": {"team"}, "tagValue": {"x"}},
		ps + "/tags/delete":                                {"key": {"team"}},
		ps + "/provision":                                  nil,
		"/admin/accounts/" + f.acct + "/assignments/delete": {"ps": {f.ps}, "type": {"GROUP"}, "principal": {f.groupG}},
		"/admin/assign":                  {"account": {f.acct}, "principal": {"USER:" + f.victim}, "ps": {f.ps}},
		"/admin/settings/authentication": {"mfaMode": {"DISABLED"}, "noDevice": {"ALLOW"}, "passwordPolicy": {"standard"}, "webauthnUV": {"PREFERRED"}, "lockoutThreshold": {"100"}, "typeTOTP": {"true"}},
		"/admin/settings/session":        {"sessionMinutes": {"129600"}},
		"/admin/settings/abac":           {"abac": {"dept=${path:enterprise.department}"}},
		"/admin/settings/abac/delete":    nil,
		"/admin/settings/test-email":     {"testEmail": {"someone@example.com"}},
		"/admin/settings/console-access": {"adminUser": {"victim"}, "adminLevel": {"FULL"}},
	}
}

// pages are the console's GET pages.
func (f *consoleFixture) pages() []string {
	return []string{"/admin/", "/admin/users", "/admin/users/new", "/admin/users/" + f.victim, "/admin/users/" + f.victim + "/edit",
		"/admin/groups", "/admin/groups/" + f.groupG, "/admin/permission-sets", "/admin/permission-sets/" + f.ps,
		"/admin/permission-sets/" + f.ps + "/managed-policies?q=ReadOnly", "/admin/accounts", "/admin/accounts/" + f.acct,
		"/admin/assign", "/admin/settings", "/admin/audit"}
}

// unchanged checks, through the API, that nothing the state changes
// would touch has changed.
func (f *consoleFixture) unchanged(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	s := f.app.app.store
	u, err := s.GetUser(ctx, f.victim)
	if err != nil || u.Status != "ENABLED" || u.DisplayName != "Victim Example" {
		t.Errorf("the victim changed: %+v, %v", u, err)
	}
	if _, err := s.GetUserByKey(ctx, "user_name", "newcomer"); err == nil {
		t.Error("a user was created")
	}
	if g, err := s.GetGroup(ctx, f.groupG); err != nil || g.DisplayName != "Group-G" {
		t.Errorf("group G changed: %+v, %v", g, err)
	}
	if _, err := s.GetGroupByDisplayName(ctx, "intruders"); err == nil {
		t.Error("a group was created")
	}
	if _, err := s.GetMembership(ctx, f.membershipG); err != nil {
		t.Errorf("a membership went: %v", err)
	}
	ps, err := s.GetPermissionSet(ctx, f.ps)
	if err != nil || ps.Description != "" || ps.SessionDuration != "PT1H" || ps.InlinePolicy != "" || ps.Boundary != nil {
		t.Errorf("the permission set changed: %+v, %v", ps, err)
	}
	if n, _ := s.CountPermissionSets(ctx); n != 1 {
		t.Errorf("%d permission sets", n)
	}
	if pols, _ := s.ListManagedPolicyAttachments(ctx, f.ps); len(pols) != 0 {
		t.Errorf("policies attached: %v", pols)
	}
	code, out := f.app.adminCall(t, "DescribeSignInSettings", nil)
	if st := out["Settings"].(map[string]any); code != 200 || st["MfaMode"] != "CONTEXT_AWARE" || st["SessionDurationMinutes"] != float64(480) {
		t.Errorf("settings changed: %v", st)
	}
	if _, err := s.GetConsoleGrant(ctx, f.victim); err == nil {
		t.Error("the victim was granted console access")
	}
	if as, _ := s.ListAccountAssignments(ctx, store.AssignmentQuery{PrincipalType: "USER", PrincipalID: f.victim, Limit: 10}); len(as) != 0 {
		t.Errorf("assignments of the victim: %v", as)
	}
}

// TestConsoleAuthorization (SECURITY D.23): a portal-only user gets 403
// on every console page and every state-changing console URL; a read-only
// console administrator reads every page but gets 403 on every change;
// nothing changes; every refusal is audited with the user as principal.
func TestConsoleAuthorization(t *testing.T) {
	f := newConsoleFixture(t)
	app := f.app
	portalOnly, portalID := consoleAdmin(t, app, "portal-only", "")
	reader, readerID := consoleAdmin(t, app, "auditor", "READ_ONLY")

	for _, path := range f.pages() {
		if p := portalOnly.get(path); p.status != http.StatusForbidden || !strings.Contains(p.body, "You do not have access to the admin console") {
			t.Errorf("portal-only GET %s: %d", path, p.status)
		}
		p := reader.get(path)
		if p.status != http.StatusOK {
			t.Errorf("read-only GET %s: %d\n%s", path, p.status, p.body)
		}
		if m := securityHeaders(p.header); m != "" {
			t.Errorf("GET %s: security headers: %s", path, m)
		}
	}
	portalOnly.get("/start/accounts") // a page of the portal, for a valid CSRF token of its session
	for path, form := range f.stateChanges() {
		if p := portalOnly.post(path, cloneForm(form)); p.status != http.StatusForbidden {
			t.Errorf("portal-only POST %s: %d", path, p.status)
		}
		reader.get("/admin/settings")
		p := reader.post(path, cloneForm(form))
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "is not authorized to perform") {
			t.Errorf("read-only POST %s: %d\n%s", path, p.status, p.body)
		}
		if strings.Contains(p.body, "sqlstore") || strings.Contains(p.body, "SELECT") {
			t.Errorf("read-only POST %s leaks internals:\n%s", path, p.body)
		}
	}
	f.unchanged(t)

	// Every refusal is in the audit log, with the user as the principal.
	app.flushAudit(t)
	for user, min := range map[string]int{portalID: len(f.pages()) + len(f.stateChanges()), readerID: len(f.stateChanges())} {
		evs, err := app.app.store.SearchAuditEvents(context.Background(), store.AuditSearch{Principal: user, Outcome: store.AuditFailure, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		denied := 0
		for _, e := range evs {
			if e.ErrorCode == "AccessDeniedException" {
				denied++
			}
		}
		if denied < min {
			t.Errorf("user %s: %d audited denials, want at least %d", user, denied, min)
		}
	}
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// TestConsoleCSRF (SECURITY D.19): cross-site posts to state-changing
// console URLs, without a token, with another session's token, from a
// foreign origin, change nothing and get 403; GET never changes state.
func TestConsoleCSRF(t *testing.T) {
	f := newConsoleFixture(t)
	app := f.app
	admin, _ := consoleAdmin(t, app, "boss", "FULL")
	other, _ := consoleAdmin(t, app, "other-admin", "FULL")
	admin.get("/admin/")
	good := admin.csrf
	other.get("/admin/")
	for path, form := range f.stateChanges() {
		for name, p := range map[string]page2{
			"no token":            admin.post(path, withCSRF(form, "-")),
			"other session token": admin.post(path, withCSRF(form, other.csrf)),
			"foreign origin":      admin.post(path, withCSRF(form, good), "Origin", "https://evil.example"),
			"cross-site fetch":    admin.post(path, withCSRF(form, good), "Origin", "", "Sec-Fetch-Site", "cross-site"),
		} {
			if p.status != http.StatusForbidden {
				t.Errorf("%s %s: status %d", name, path, p.status)
			}
		}
		if p := admin.get(path); p.status != http.StatusMethodNotAllowed && p.status != http.StatusOK {
			t.Errorf("GET %s: %d", path, p.status)
		}
	}
	f.unchanged(t)
	// The real thing works.
	admin.get("/admin/groups/new")
	if p := admin.post("/admin/groups", url.Values{"displayName": {"Legit"}}); p.status != http.StatusSeeOther {
		t.Fatalf("a real post: %d %s", p.status, p.body)
	}
}

func withCSRF(v url.Values, token string) url.Values {
	out := cloneForm(v)
	out.Set("csrf", token)
	return out
}

// TestConsoleDelegatedToGroup (SECURITY D.23, IDOR): a console
// administrator whose grant names a customer-managed policy that allows
// managing the members of group G only can read and change G, and gets 403
// on group H, on users outside G, and on H's memberships by id.
func TestConsoleDelegatedToGroup(t *testing.T) {
	f := newConsoleFixture(t)
	app := f.app
	doc := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"GroupG","Effect":"Allow","Action":["identitystore:DescribeGroup","identitystore:ListGroupMemberships","identitystore:CreateGroupMembership","identitystore:DeleteGroupMembership"],` +
		`"Resource":["arn:aws:identitystore::*:identitystore/*","arn:aws:identitystore:::group/` + f.groupG + `","arn:aws:identitystore:::membership/*","arn:aws:identitystore:::user/*"]},` +
		`{"Sid":"Members","Effect":"Allow","Action":"identitystore:DescribeUser",` +
		`"Resource":["arn:aws:identitystore::*:identitystore/*","arn:aws:identitystore:::user/` + f.victim + `"]}]}`
	pol, err := iam.NewFromConfig(app.awsConfig()).CreatePolicy(context.Background(), &iam.CreatePolicyInput{
		PolicyName: aws.String("GroupGMembers"), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := consoleAdmin(t, app, "g-admin", "POLICY", *pol.Policy.Arn)
	if p := b.get("/admin/groups/" + f.groupG); p.status != http.StatusOK || !strings.Contains(p.body, "victim") {
		t.Fatalf("group G: %d\n%s", p.status, p.body)
	}
	// The member's page shows what the policy allows; the other user's
	// is refused, without a word of the user's details.
	if p := b.get("/admin/users/" + f.victim); p.status != http.StatusOK || !strings.Contains(p.body, "victim@example.com") {
		t.Fatalf("the member's page: %d\n%s", p.status, p.body)
	}
	if p := b.get("/admin/users/" + f.other); p.status != http.StatusForbidden || strings.Contains(p.body, "other@example.com") {
		t.Errorf("another user's page: %d\n%s", p.status, p.body)
	}
	for _, path := range []string{"/admin/groups/" + f.groupH, "/admin/groups/" + f.groupH + "/edit", "/admin/", "/admin/permission-sets", "/admin/settings", "/admin/users"} {
		if p := b.get(path); p.status != http.StatusForbidden {
			t.Errorf("GET %s: %d", path, p.status)
		}
	}
	b.get("/admin/groups/" + f.groupG)
	for path, form := range map[string]url.Values{
		"/admin/groups/" + f.groupH + "/members":        {"user": {f.victim}},
		"/admin/groups/" + f.groupG + "/members/remove": {"m": {f.membershipH}}, // H's membership through G's URL
		"/admin/groups/" + f.groupH + "/delete":         nil,
		"/admin/groups/" + f.groupG + "/edit":           {"displayName": {"Renamed"}},
	} {
		if p := b.post(path, form); p.status != http.StatusForbidden {
			t.Errorf("POST %s: %d %s", path, p.status, p.body)
		}
	}
	if _, err := app.app.store.GetMembership(context.Background(), f.membershipH); err != nil {
		t.Fatalf("H's membership went: %v", err)
	}
	// Within G it works: remove and add back the victim.
	if p := b.post("/admin/groups/"+f.groupG+"/members/remove", url.Values{"m": {f.membershipG}}); p.status != http.StatusSeeOther {
		t.Fatalf("remove from G: %d %s", p.status, p.body)
	}
	b.get("/admin/groups/" + f.groupG)
	if p := b.post("/admin/groups/"+f.groupG+"/members", url.Values{"user": {f.victim}}); p.status != http.StatusSeeOther {
		t.Fatalf("add to G: %d %s", p.status, p.body)
	}
}
