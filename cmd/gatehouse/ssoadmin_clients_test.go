package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ssoAdminSession runs the tutorial's admin steps with a CLI: a permission
// set with a managed and an inline policy, a group assigned to the
// management account, the provisioned role seen through IAM, an edit, the
// account out of date, re-provisioning, then deleting everything; with the
// errors an admin runs into on the way. extra are arguments every command
// needs (v2 before 2.13 needs --endpoint-url).
func ssoAdminSession(t *testing.T, app *testApp, cli []string, extra ...string) {
	inst, sid, acct := app.Instance.ARN, app.Instance.IdentityStoreID, app.Instance.OwnerAccountID
	run := func(args ...string) cliResult {
		return runCLI(t, app, cli, append(append([]string{}, extra...), args...)...)
	}
	str := func(m map[string]any, path ...string) string {
		var v any = m
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		s, _ := v.(string)
		return s
	}
	waitStatus := func(what string, args ...string) map[string]any {
		t.Helper()
		for range 200 {
			out := run(args...).must(t, what)
			for _, v := range out {
				if st, ok := v.(map[string]any); ok && st["Status"] != "IN_PROGRESS" {
					return st
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s still in progress", what)
		return nil
	}

	// Accounts: the management account, and a new one created asynchronously.
	orgOut := run("organizations", "describe-organization").must(t, "describe-organization")
	if str(orgOut, "Organization", "MasterAccountId") != acct {
		t.Fatalf("describe-organization = %v", orgOut)
	}
	ca := run("organizations", "create-account", "--account-name", "Sandbox", "--email", "sandbox@example.com").must(t, "create-account")
	reqID := str(ca, "CreateAccountStatus", "Id")
	for range 200 {
		st := run("organizations", "describe-create-account-status", "--create-account-request-id", reqID).must(t, "describe-create-account-status")
		if str(st, "CreateAccountStatus", "State") == "SUCCEEDED" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(run("organizations", "list-accounts").must(t, "list-accounts")["Accounts"].([]any)); n != 2 {
		t.Fatalf("list-accounts: %d accounts", n)
	}

	ps := run("sso-admin", "create-permission-set", "--instance-arn", inst, "--name", "DeveloperAccess",
		"--description", "Developers", "--session-duration", "PT2H").must(t, "create-permission-set")
	psArn := str(ps, "PermissionSet", "PermissionSetArn")
	run("sso-admin", "attach-managed-policy-to-permission-set", "--instance-arn", inst, "--permission-set-arn", psArn,
		"--managed-policy-arn", "arn:aws:iam::aws:policy/AmazonS3FullAccess").must(t, "attach-managed-policy")
	run("sso-admin", "put-inline-policy-to-permission-set", "--instance-arn", inst, "--permission-set-arn", psArn,
		"--inline-policy", mfaS3Policy).must(t, "put-inline-policy")

	g := run("identitystore", "create-group", "--identity-store-id", sid, "--display-name", "Developers").must(t, "create-group")
	group := str(g, "GroupId")
	as := run("sso-admin", "create-account-assignment", "--instance-arn", inst, "--permission-set-arn", psArn,
		"--target-id", acct, "--target-type", "AWS_ACCOUNT", "--principal-type", "GROUP", "--principal-id", group).must(t, "create-account-assignment")
	if str(as, "AccountAssignmentCreationStatus", "Status") != "IN_PROGRESS" {
		t.Fatalf("create-account-assignment = %v", as)
	}
	st := waitStatus("describe-account-assignment-creation-status", "sso-admin", "describe-account-assignment-creation-status",
		"--instance-arn", inst, "--account-assignment-creation-request-id", str(as, "AccountAssignmentCreationStatus", "RequestId"))
	if st["Status"] != "SUCCEEDED" {
		t.Fatalf("assignment = %v", st)
	}
	prov := run("sso-admin", "list-permission-sets-provisioned-to-account", "--instance-arn", inst, "--account-id", acct).must(t, "list-permission-sets-provisioned-to-account")
	if sets := prov["PermissionSets"].([]any); len(sets) != 1 || sets[0] != psArn {
		t.Fatalf("provisioned = %v", prov)
	}

	// The role, through IAM.
	roles := run("iam", "list-roles", "--path-prefix", "/aws-reserved/sso.amazonaws.com/").must(t, "iam list-roles")["Roles"].([]any)
	if len(roles) != 1 {
		t.Fatalf("roles = %v", roles)
	}
	roleName := roles[0].(map[string]any)["RoleName"].(string)
	if !strings.HasPrefix(roleName, "AWSReservedSSO_DeveloperAccess_") {
		t.Fatalf("role name %s", roleName)
	}
	run("iam", "get-role", "--role-name", roleName).must(t, "iam get-role")
	inline := run("iam", "get-role-policy", "--role-name", roleName, "--policy-name", "AwsSSOInlinePolicy").must(t, "iam get-role-policy")
	if inline["PolicyDocument"] == nil {
		t.Fatalf("get-role-policy = %v", inline)
	}

	// Edit, out of date, re-provision.
	run("sso-admin", "update-permission-set", "--instance-arn", inst, "--permission-set-arn", psArn, "--session-duration", "PT4H").must(t, "update-permission-set")
	stale := run("sso-admin", "list-accounts-for-provisioned-permission-set", "--instance-arn", inst, "--permission-set-arn", psArn,
		"--provisioning-status", "LATEST_PERMISSION_SET_NOT_PROVISIONED").must(t, "list-accounts-for-provisioned-permission-set")
	if ids := stale["AccountIds"].([]any); len(ids) != 1 || ids[0] != acct {
		t.Fatalf("outdated = %v", stale)
	}
	pp := run("sso-admin", "provision-permission-set", "--instance-arn", inst, "--permission-set-arn", psArn,
		"--target-type", "ALL_PROVISIONED_ACCOUNTS").must(t, "provision-permission-set")
	st = waitStatus("describe-permission-set-provisioning-status", "sso-admin", "describe-permission-set-provisioning-status",
		"--instance-arn", inst, "--provision-permission-set-request-id", str(pp, "PermissionSetProvisioningStatus", "RequestId"))
	if st["Status"] != "SUCCEEDED" {
		t.Fatalf("provisioning = %v", st)
	}
	stale = run("sso-admin", "list-accounts-for-provisioned-permission-set", "--instance-arn", inst, "--permission-set-arn", psArn,
		"--provisioning-status", "LATEST_PERMISSION_SET_NOT_PROVISIONED").must(t, "list-accounts-for-provisioned-permission-set")
	if ids, _ := stale["AccountIds"].([]any); len(ids) != 0 {
		t.Fatalf("still outdated: %v", stale)
	}

	// Errors.
	run("sso-admin", "create-permission-set", "--instance-arn", inst, "--name", "DeveloperAccess").mustFail(t, "duplicate", "ConflictException")
	run("sso-admin", "describe-permission-set", "--instance-arn", inst, "--permission-set-arn",
		"arn:aws:sso:::permissionSet/"+app.Instance.InstanceID+"/ps-0000000000000000").mustFail(t, "unknown", "ResourceNotFoundException")
	run("sso-admin", "describe-permission-set", "--instance-arn", inst, "--permission-set-arn", "not-an-arn").mustFail(t, "malformed arn", "ValidationException")
	for _, d := range []string{"2 hours", "PT10M", "PT13H"} {
		run("sso-admin", "create-permission-set", "--instance-arn", inst, "--name", "Bad", "--session-duration", d).mustFail(t, "duration "+d, "ValidationException")
	}
	run("sso-admin", "create-permission-set", "--instance-arn", inst, "--name", "bad name!").mustFail(t, "bad name", "ValidationException")
	run("sso-admin", "list-permission-sets", "--instance-arn", inst, "--max-results", "101").mustFail(t, "max results", "ValidationException")
	bad := run("sso-admin", "put-inline-policy-to-permission-set", "--instance-arn", inst, "--permission-set-arn", psArn,
		"--inline-policy", strings.Replace(mfaS3Policy, "2012-10-17", "2025-01-01", 1))
	bad.mustFail(t, "policy version", "ValidationException")
	if !strings.Contains(bad.stderr, "2012-10-17") {
		t.Fatalf("policy version message does not name the valid versions: %s", bad.stderr)
	}
	run("sso-admin", "delete-permission-set", "--instance-arn", inst, "--permission-set-arn", psArn).mustFail(t, "delete assigned", "ConflictException")
	run("iam", "get-role", "--role-name", "NoSuchRole").mustFail(t, "iam get-role", "NoSuchEntity")

	// Delete everything.
	da := run("sso-admin", "delete-account-assignment", "--instance-arn", inst, "--permission-set-arn", psArn,
		"--target-id", acct, "--target-type", "AWS_ACCOUNT", "--principal-type", "GROUP", "--principal-id", group).must(t, "delete-account-assignment")
	st = waitStatus("describe-account-assignment-deletion-status", "sso-admin", "describe-account-assignment-deletion-status",
		"--instance-arn", inst, "--account-assignment-deletion-request-id", str(da, "AccountAssignmentDeletionStatus", "RequestId"))
	if st["Status"] != "SUCCEEDED" {
		t.Fatalf("deletion = %v", st)
	}
	run("sso-admin", "delete-permission-set", "--instance-arn", inst, "--permission-set-arn", psArn).must(t, "delete-permission-set")
	run("identitystore", "delete-group", "--identity-store-id", sid, "--group-id", group).must(t, "delete-group")
	if sets, _ := run("sso-admin", "list-permission-sets", "--instance-arn", inst).must(t, "list-permission-sets")["PermissionSets"].([]any); len(sets) != 0 {
		t.Fatalf("permission sets left: %v", sets)
	}
	if roles, _ := run("iam", "list-roles").must(t, "iam list-roles")["Roles"].([]any); len(roles) != 0 {
		t.Fatalf("roles left: %v", roles)
	}

	// Customer-managed policies, as `aws iam` sends them.
	pol := run("iam", "create-policy", "--policy-name", "TeamRead", "--path", "/team/", "--policy-document", readBucketPolicy).must(t, "iam create-policy")
	polArn := str(pol, "Policy", "Arn")
	run("iam", "create-policy-version", "--policy-arn", polArn, "--policy-document", readBucketPolicy, "--set-as-default").must(t, "create-policy-version")
	ver := run("iam", "get-policy-version", "--policy-arn", polArn, "--version-id", "v2").must(t, "get-policy-version")
	if doc := ver["PolicyVersion"].(map[string]any)["Document"]; doc == nil {
		t.Fatalf("get-policy-version = %v", ver)
	}
	run("iam", "tag-policy", "--policy-arn", polArn, "--tags", "Key=env,Value=prod").must(t, "tag-policy")
	run("iam", "create-policy", "--policy-name", "TeamRead", "--policy-document", readBucketPolicy).mustFail(t, "duplicate policy", "EntityAlreadyExists")
	run("iam", "create-policy", "--policy-name", "Broken", "--policy-document", `{"Version":"2012-10-17"`).mustFail(t, "malformed", "MalformedPolicyDocument")
	run("iam", "delete-policy", "--policy-arn", polArn).mustFail(t, "delete with versions", "DeleteConflict")
	run("iam", "delete-policy-version", "--policy-arn", polArn, "--version-id", "v1").must(t, "delete-policy-version")
	run("iam", "delete-policy", "--policy-arn", polArn).must(t, "delete-policy")
}

func TestSSOAdminWithCLIv1(t *testing.T) {
	t.Parallel()
	requireTool(t, cliV1, "aws-cli/1.")
	app := startApp(t)
	ssoAdminSession(t, app, cliV1)
}

func TestSSOAdminWithCLIv2(t *testing.T) {
	t.Parallel()
	requireTool(t, cliV2, "aws-cli/2.")
	app := startApp(t)
	// Debian's CLI v2 (2.9) predates AWS_ENDPOINT_URL_*: --endpoint-url.
	ssoAdminSession(t, app, cliV2, "--endpoint-url", app.URL)
}

func TestSSOAdminWithBoto3(t *testing.T) {
	t.Parallel()
	requireBoto3(t)
	app := startApp(t)
	cmd := exec.Command("python3", "testdata/clients/ssoadmin_session.py", app.Instance.ARN, app.Instance.IdentityStoreID, app.Instance.OwnerAccountID)
	cmd.Env = app.clientEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 session failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "boto3 sso-admin session: ok") {
		t.Fatalf("boto3 session did not finish: %s", out)
	}
}

// requireJSClients checks that node and the npm modules of testdata/js are
// installed (.ci/run runs `npm ci` there).
func requireJSClients(t *testing.T) {
	t.Helper()
	msg := ""
	if _, err := exec.LookPath("node"); err != nil {
		msg = "node is not installed"
	} else if err := jsModuleCheck().Run(); err != nil {
		msg = "the JS SDK is not installed: run `npm ci` in cmd/gatehouse/testdata/js"
	}
	if msg == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func TestSSOAdminWithJSSDK(t *testing.T) {
	t.Parallel()
	requireJSClients(t)
	app := startApp(t)
	cmd := exec.Command("node", "ssoadmin_session.mjs", app.Instance.ARN, app.Instance.IdentityStoreID, app.Instance.OwnerAccountID)
	cmd.Dir = "testdata/js"
	cmd.Env = append(app.clientEnv(t), "GATEHOUSE_URL="+app.URL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("JS SDK session failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "js sso-admin session: ok") {
		t.Fatalf("JS SDK session did not finish: %s", out)
	}
}

func jsModuleCheck() *exec.Cmd {
	cmd := exec.Command("node", "-e", `require.resolve("@aws-sdk/client-sso-admin"); require.resolve("@aws-sdk/client-identitystore")`)
	cmd.Dir = "testdata/js"
	return cmd
}
