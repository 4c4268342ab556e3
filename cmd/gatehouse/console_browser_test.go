package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/mfa"
)

// registerTOTPInBrowser completes a sign-in's MFA registration step: it
// reads the secret the page shows and submits a code from it. It returns
// the secret and the step the code was for.
func registerTOTPInBrowser(t *testing.T, ctx context.Context, deviceName string) ([]byte, int64) {
	t.Helper()
	var secretText string
	browse(t, ctx, "read the TOTP secret", chromedp.WaitVisible("#totp-secret", chromedp.ByID), chromedp.Text("#totp-secret", &secretText, chromedp.ByID))
	secret, err := mfa.DecodeSecret(secretText)
	if err != nil {
		t.Fatalf("secret %q: %v", secretText, err)
	}
	step := mfa.Step(time.Now())
	browse(t, ctx, "register the authenticator app",
		chromedp.SetValue("#device-name", deviceName, chromedp.ByID),
		chromedp.SendKeys("#code", mfa.Code(secret, step), chromedp.ByID),
		chromedp.Submit("#code", chromedp.ByID))
	return secret, step
}

// click clicks the element with the given id and waits for the next page
// to show sel.
func click(t *testing.T, ctx context.Context, what, id, sel string) {
	t.Helper()
	browse(t, ctx, what, chromedp.Click("#"+id, chromedp.ByID), chromedp.WaitVisible(sel, chromedp.ByQuery))
}

// waitFor evaluates js until it is true, through the reloads of a page
// that refreshes itself (an asynchronous status).
func waitFor(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ok bool
		step, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := chromedp.Run(step, chromedp.Evaluate(js, &ok))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func pageText(t *testing.T, ctx context.Context) string {
	t.Helper()
	var s string
	browse(t, ctx, "read the page", chromedp.Text("main", &s, chromedp.ByQuery))
	return s
}

// TestConsoleWalkthrough is the seed 003 walkthrough in the admin console,
// in headless Chromium: an administrator (granted console access with the
// bootstrap key through GatehouseAdmin.PutConsoleAccess) signs in through
// the portal with MFA, requires MFA at every sign-in and turns on the email
// for users created from the API, creates a permission set from
// AdministratorAccess, creates a group, assigns it to the management
// account and waits for the assignment, adds a user into the group with an
// invitation; the user completes the invitation in another browser and
// sees the account and the role in the portal; the administrator disables
// the user and the user's open portal session is gone. Screenshots of the
// main pages go to artifacts/screenshots.
func TestConsoleWalkthrough(t *testing.T) {
	app := startPortalApp(t)
	adminID := app.createUser(t, "ops-admin", "ops-admin@example.com")
	code, out := app.adminCall(t, "ResetUserPassword", map[string]any{"UserId": adminID, "Mode": "ONE_TIME_PASSWORD"})
	if code != 200 {
		t.Fatalf("ResetUserPassword: %d %v", code, out)
	}
	otp := out["OneTimePassword"].(string)
	if code, out := app.adminCall(t, "PutConsoleAccess", map[string]any{"UserId": adminID, "AccessLevel": "FULL"}); code != 200 {
		t.Fatalf("PutConsoleAccess: %d %v", code, out)
	}

	// The administrator signs in: the console sends the browser to the
	// portal's sign-in and back.
	ctx := newBrowser(t)
	browse(t, ctx, "open the console", chromedp.Navigate(app.URL+"/admin/"), chromedp.WaitVisible("#username", chromedp.ByID))
	if u := location(t, ctx); !strings.Contains(u, "/start/login?return_to=%2Fadmin%2F") {
		t.Fatalf("the console sent the browser to %s", u)
	}
	browse(t, ctx, "user name", chromedp.SendKeys("#username", "ops-admin", chromedp.ByID), chromedp.Submit("#username", chromedp.ByID),
		chromedp.WaitVisible("#password", chromedp.ByID))
	browse(t, ctx, "one-time password", chromedp.SendKeys("#password", otp, chromedp.ByID), chromedp.Submit("#password", chromedp.ByID),
		chromedp.WaitVisible("#confirm", chromedp.ByID))
	const adminPW = "granite orchard evening lamp"
	browse(t, ctx, "choose a password", chromedp.SendKeys("#password", adminPW, chromedp.ByID), chromedp.SendKeys("#confirm", adminPW, chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID))
	registerTOTPInBrowser(t, ctx, "ops phone")
	browse(t, ctx, "dashboard", chromedp.WaitVisible("#h-instance", chromedp.ByID))
	dash := pageText(t, ctx)
	for _, want := range []string{app.Instance.ARN, app.Instance.IdentityStoreID, "us-east-1", app.URL + "/start", "ops-admin"} {
		if !strings.Contains(dash, want) {
			t.Errorf("the dashboard does not show %q", want)
		}
	}
	screenshot(t, ctx, "console-01-dashboard")

	// Settings: MFA at every sign-in, register a device if none, and the
	// email for users created from the API.
	browse(t, ctx, "settings", chromedp.Navigate(app.URL+"/admin/settings"), chromedp.WaitVisible("#save-auth", chromedp.ByID),
		chromedp.SetValue("#f-mfaMode", "ALWAYS_ON", chromedp.ByID),
		chromedp.SetValue("#f-noDevice", "REQUIRE_REGISTRATION", chromedp.ByID))
	var emailOTP bool
	browse(t, ctx, "email OTP setting", chromedp.Evaluate(`document.getElementById("f-emailOTP").checked`, &emailOTP))
	if !emailOTP {
		browse(t, ctx, "turn on email OTP", chromedp.Click("#f-emailOTP", chromedp.ByID))
	}
	click(t, ctx, "save authentication settings", "save-auth", ".alert.notice")
	code, out = app.adminCall(t, "DescribeSignInSettings", nil)
	st, _ := out["Settings"].(map[string]any)
	if code != 200 || st["MfaMode"] != "ALWAYS_ON" || st["InviteUsersCreatedByApi"] != true || st["NoMfaDeviceBehavior"] != "REQUIRE_REGISTRATION" {
		t.Fatalf("settings after saving: %d %v", code, out)
	}
	screenshot(t, ctx, "console-02-settings")

	// A permission set from AdministratorAccess.
	browse(t, ctx, "permission sets", chromedp.Navigate(app.URL+"/admin/permission-sets"), chromedp.WaitVisible("#create-ps", chromedp.ByID))
	click(t, ctx, "create permission set", "create-ps", "#save-ps")
	browse(t, ctx, "choose AdministratorAccess", chromedp.Click("#pre-AdministratorAccess", chromedp.ByID))
	screenshot(t, ctx, "console-03-permission-set-new")
	click(t, ctx, "create it", "save-ps", "#h-managed")
	if s := pageText(t, ctx); !strings.Contains(s, "arn:aws:iam::aws:policy/AdministratorAccess") || !strings.Contains(s, "The permission set was created.") {
		t.Fatalf("the new permission set:\n%s", s)
	}
	screenshot(t, ctx, "console-04-permission-set")

	// A group.
	browse(t, ctx, "new group", chromedp.Navigate(app.URL+"/admin/groups/new"), chromedp.WaitVisible("#save-group", chromedp.ByID),
		chromedp.SendKeys("#f-displayName", "Administrators-Team", chromedp.ByID),
		chromedp.SendKeys("#f-description", "People who run the platform", chromedp.ByID))
	click(t, ctx, "create group", "save-group", "#h-members")
	var groupURL string
	browse(t, ctx, "group address", chromedp.Location(&groupURL))

	// Assign the group to the management account with the permission set.
	acct := app.Instance.OwnerAccountID
	browse(t, ctx, "assign", chromedp.Navigate(app.URL+"/admin/accounts"), chromedp.WaitVisible("#assign", chromedp.ByID))
	screenshot(t, ctx, "console-05-accounts")
	click(t, ctx, "start assigning", "assign", "#next-step")
	browse(t, ctx, "choose the account", chromedp.Click("#c-"+acct, chromedp.ByID))
	click(t, ctx, "to users and groups", "next-step", "#q")
	browse(t, ctx, "choose the group", chromedp.Click(`//label[contains(., "Administrators-Team")]/input`, chromedp.BySearch))
	click(t, ctx, "to permission sets", "next-step", "#next-step")
	browse(t, ctx, "choose the permission set", chromedp.Click(`//label[contains(., "AdministratorAccess")]/input`, chromedp.BySearch))
	click(t, ctx, "to the review", "next-step", "#submit-assign")
	if s := pageText(t, ctx); !strings.Contains(s, "Administrators-Team") || !strings.Contains(s, acct) || !strings.Contains(s, "AdministratorAccess") {
		t.Fatalf("review:\n%s", s)
	}
	screenshot(t, ctx, "console-06-assign-review")
	click(t, ctx, "submit", "submit-assign", "#assign-progress")
	waitFor(t, ctx, "the assignment", `!!document.getElementById("assign-progress") && document.getElementById("assign-progress").textContent.startsWith("Done")`)
	if s := pageText(t, ctx); !strings.Contains(s, "Succeeded") {
		var html string
		_ = chromedp.Run(ctx, chromedp.OuterHTML("main", &html, chromedp.ByQuery))
		t.Fatalf("assignment status:\n%s\n%s", s, html)
	}
	screenshot(t, ctx, "console-07-assign-status")

	// Add a user into the group, with an invitation.
	browse(t, ctx, "add user", chromedp.Navigate(app.URL+"/admin/users/new"), chromedp.WaitVisible("#create-user", chromedp.ByID),
		chromedp.SendKeys("#f-userName", "alice", chromedp.ByID),
		chromedp.SendKeys("#f-emails-value", "alice@example.com", chromedp.ByID),
		chromedp.SendKeys("#f-name-givenName", "Alice", chromedp.ByID),
		chromedp.SendKeys("#f-name-familyName", "Liddell", chromedp.ByID),
		chromedp.SendKeys("#f-displayName", "Alice Liddell", chromedp.ByID),
		chromedp.SendKeys("#f-title", "Platform engineer", chromedp.ByID),
		chromedp.SendKeys("#f-enterprise-department", "Platform", chromedp.ByID),
		chromedp.SendKeys("#f-addresses-locality", "Oxford", chromedp.ByID),
		chromedp.SendKeys("#f-preferredLanguage", "en-GB", chromedp.ByID),
		chromedp.Click(`//label[contains(., "Administrators-Team")]/input`, chromedp.BySearch))
	screenshot(t, ctx, "console-08-user-new")
	click(t, ctx, "create the user", "create-user", "#open-user")
	if s := pageText(t, ctx); !strings.Contains(s, "An invitation was emailed to alice@example.com") {
		t.Fatalf("user created:\n%s", s)
	}
	// Earlier messages (the administrator's new MFA device) come first.
	msg := app.smtp.Next(t, 30*time.Second)
	for i := 0; i < 5 && msg.To[0] != "alice@example.com"; i++ {
		msg = app.smtp.Next(t, 30*time.Second)
	}
	if msg.To[0] != "alice@example.com" {
		t.Fatalf("no invitation for alice; the last message went to %v", msg.To)
	}
	link := linkFrom(t, msg)

	// The user completes the invitation in a browser of their own.
	user := newBrowser(t)
	browse(t, user, "open the invitation", chromedp.Navigate(link), chromedp.WaitVisible("#password", chromedp.ByID))
	const userPW = "copper kettle winter field"
	browse(t, user, "set a password", chromedp.SendKeys("#password", userPW, chromedp.ByID), chromedp.SendKeys("#confirm", userPW, chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID))
	registerTOTPInBrowser(t, user, "alice phone")
	browse(t, user, "the portal lists the account", chromedp.WaitVisible(`a[href="/start/accounts/`+acct+`"]`, chromedp.ByQuery))
	browse(t, user, "open the account", chromedp.Click(`a[href="/start/accounts/`+acct+`"]`, chromedp.ByQuery), chromedp.WaitVisible("ul.roles", chromedp.ByQuery))
	var roles string
	browse(t, user, "read the roles", chromedp.Text("ul.roles", &roles, chromedp.ByQuery))
	if !strings.Contains(roles, "AdministratorAccess") {
		t.Fatalf("the user's roles in %s: %q", acct, roles)
	}
	screenshot(t, user, "console-09-user-portal-roles")

	// The administrator looks at the user, then disables them.
	browse(t, ctx, "find the user", chromedp.Navigate(app.URL+"/admin/users?q=ali"), chromedp.WaitVisible(`//a[text()="alice"]`, chromedp.BySearch))
	screenshot(t, ctx, "console-10-users")
	browse(t, ctx, "open the user", chromedp.Click(`//a[text()="alice"]`, chromedp.BySearch), chromedp.WaitVisible("#h-sessions", chromedp.ByID))
	if s := pageText(t, ctx); !strings.Contains(s, "Administrators-Team") || !strings.Contains(s, "AdministratorAccess") || !strings.Contains(s, "alice phone") ||
		!strings.Contains(s, "Platform engineer") {
		t.Fatalf("user page:\n%s", s)
	}
	screenshot(t, ctx, "console-11-user")
	click(t, ctx, "disable", "disable-user", "#confirm")
	screenshot(t, ctx, "console-12-confirm-disable")
	click(t, ctx, "confirm", "confirm", ".alert.notice")
	if s := pageText(t, ctx); !strings.Contains(s, "Disabled") || !strings.Contains(s, "No active sessions.") {
		t.Fatalf("after disabling:\n%s", s)
	}
	// The user's open portal session is gone.
	browse(t, user, "reload the portal", chromedp.Navigate(app.URL+"/start/accounts"), chromedp.WaitVisible("#username", chromedp.ByID))
	if u := location(t, user); !strings.Contains(u, "/start/login") {
		t.Fatalf("the disabled user's browser is at %s", u)
	}

	// The console's calls are the API's, with the administrator as the
	// principal, marked as made from the console.
	evs := auditOf(t, app, "CreatePermissionSet")
	if len(evs) != 1 {
		t.Fatalf("%d CreatePermissionSet events", len(evs))
	}
	ev := evs[0]
	ui := ev["userIdentity"].(map[string]any)
	if ev["eventSource"] != "sso.amazonaws.com" || ev["sessionCredentialFromConsole"] != "true" || ui["type"] != "IdentityCenterUser" ||
		ui["userName"] != "ops-admin" || ui["onBehalfOf"].(map[string]any)["userId"] != adminID {
		t.Fatalf("CreatePermissionSet event: %v", ev)
	}
	if dec, _ := ev["additionalEventData"].(map[string]any)["authorization"].([]any); len(dec) == 0 || dec[0].(map[string]any)["decision"] != "Allow" {
		t.Fatalf("the event does not record the decision: %v", ev["additionalEventData"])
	}
	for _, name := range []string{"UpdateSignInSettings", "CreateGroup", "CreateAccountAssignment", "CreateUser", "CreateGroupMembership", "InviteUser", "UpdateUser"} {
		evs := auditOf(t, app, name)
		if len(evs) == 0 || evs[0]["sessionCredentialFromConsole"] != "true" {
			t.Errorf("%s: no console event (%d events)", name, len(evs))
		}
	}

	// The audit page shows those events, filtered, with their JSON.
	browse(t, ctx, "audit log", chromedp.Navigate(app.URL+"/admin/audit?event=CreatePermissionSet"), chromedp.WaitVisible("#filter", chromedp.ByID))
	screenshot(t, ctx, "console-13-audit")
	browse(t, ctx, "an event", chromedp.Click(`table tbody a`, chromedp.ByQuery), chromedp.WaitVisible("#event-json", chromedp.ByID))
	var doc string
	browse(t, ctx, "read the JSON", chromedp.Text("#event-json", &doc, chromedp.ByID))
	if !strings.Contains(doc, `"eventName": "CreatePermissionSet"`) || !strings.Contains(doc, `"sessionCredentialFromConsole": "true"`) {
		t.Fatalf("event JSON:\n%s", doc)
	}
	screenshot(t, ctx, "console-14-audit-event")

	browse(t, ctx, "dashboard at the end", chromedp.Navigate(app.URL+"/admin/"), chromedp.WaitVisible("#h-instance", chromedp.ByID))
	screenshot(t, ctx, "console-16-dashboard")

	// A narrow window: no page scrolls sideways.
	for _, path := range []string{"/admin/", "/admin/users", groupURL[len(app.URL):], "/admin/settings", "/admin/audit"} {
		var wide bool
		browse(t, ctx, "narrow "+path, chromedp.EmulateViewport(390, 844), chromedp.Navigate(app.URL+path), chromedp.WaitVisible("main", chromedp.ByQuery),
			chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth`, &wide))
		if wide {
			t.Errorf("%s scrolls sideways in a 390 px wide window", path)
		}
	}
	screenshot(t, ctx, "console-15-audit-narrow")
}
