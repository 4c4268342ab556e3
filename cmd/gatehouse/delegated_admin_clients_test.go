package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// platformAdminPolicy lets a delegated administrator manage the permission
// sets tagged team=platform (and act on the instance, which every
// permission set operation also needs), read the directory, and never
// create users. Its statements start and end at the positions
// delegatedAdminSession checks in the simulator's MatchedStatements
// (computed independently from the text).
const platformAdminPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "TaggedPermissionSets",
      "Effect": "Allow",
      "Action": "sso:*",
      "Resource": "arn:aws:sso:::permissionSet/*",
      "Condition": {"StringEquals": {"aws:ResourceTag/team": "platform"}}
    },
    {"Sid": "Instance", "Effect": "Allow", "Action": "sso:*", "Resource": "arn:aws:sso:::instance/*"},
    {"Sid": "ReadDirectory", "Effect": "Allow", "Action": ["identitystore:Describe*", "identitystore:List*"], "Resource": "*"},
    {"Sid": "NoUserCreation", "Effect": "Deny", "Action": "identitystore:CreateUser", "Resource": "*"}
  ]
}`

// dynamoAfterDate is the AWS CLI documentation's simulate-custom-policy
// example; IAM reports its statement at line 1, columns 38 to 167.
const dynamoAfterDate = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`

// runCLIAs runs a CLI command with a profile of credentials (a file with
// the bootstrap administrator's and the delegated administrators' keys).
func runCLIAs(t *testing.T, app *testApp, credentials, profile string, argv []string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(argv[0], append(append(argv[1:], "--output", "json"), args...)...)
	for _, e := range app.clientEnv(t) {
		switch {
		case strings.HasPrefix(e, "AWS_SHARED_CREDENTIALS_FILE="):
			e = "AWS_SHARED_CREDENTIALS_FILE=" + credentials
		case strings.HasPrefix(e, "AWS_PROFILE="):
			e = "AWS_PROFILE=" + profile
		}
		cmd.Env = append(cmd.Env, e)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliResult{stderr: stderr.String(), ok: err == nil}
	if r.ok && stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &r.out); err != nil {
			t.Fatalf("%v: output is not JSON: %s", args, stdout.String())
		}
	}
	return r
}

// jsonAt walks decoded JSON: map keys and list indexes.
func jsonAt(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func jsonStr(v any, keys ...any) string {
	s, _ := jsonAt(v, keys...).(string)
	return s
}

// wantPosition checks a matched statement's source and position.
func wantPosition(t *testing.T, what string, st any, id, typ string, start, end [2]int) {
	t.Helper()
	got := fmt.Sprintf("%s %s %v:%v-%v:%v", jsonStr(st, "SourcePolicyId"), jsonStr(st, "SourcePolicyType"),
		jsonAt(st, "StartPosition", "Line"), jsonAt(st, "StartPosition", "Column"), jsonAt(st, "EndPosition", "Line"), jsonAt(st, "EndPosition", "Column"))
	want := fmt.Sprintf("%s %s %d:%d-%d:%d", id, typ, start[0], start[1], end[0], end[1])
	if got != want {
		t.Fatalf("%s: matched statement %s, want %s", what, got, want)
	}
}

// delegatedAdminSession is issue 4's delegated administration with a CLI:
// the bootstrap administrator creates an IAM user whose policy allows sso:*
// only on permission sets tagged team=platform, gives it an access key,
// and that key can manage the tagged permission set but is refused the
// untagged one, user creation and the organization, each refusal audited
// with the statement that decided; the simulator explains the decisions;
// the bootstrap key keeps every right. extra are arguments every command
// needs (v2 before 2.13 needs --endpoint-url).
func delegatedAdminSession(t *testing.T, app *testApp, cli []string, extra ...string) {
	inst, sid, acct := app.Instance.ARN, app.Instance.IdentityStoreID, app.Instance.OwnerAccountID
	creds := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(creds, []byte(fmt.Sprintf("[gatehouse-admin]\naws_access_key_id = %s\naws_secret_access_key = %s\n", app.KeyID, app.Secret)), 0o600); err != nil {
		t.Fatal(err)
	}
	admin := func(args ...string) cliResult {
		t.Helper()
		return runCLIAs(t, app, creds, "gatehouse-admin", cli, append(append([]string{}, extra...), args...)...)
	}
	as := func(args ...string) cliResult {
		t.Helper()
		return runCLIAs(t, app, creds, "platform-admin", cli, append(append([]string{}, extra...), args...)...)
	}

	// The bootstrap administrator sets the scene.
	tagged := jsonStr(admin("sso-admin", "create-permission-set", "--instance-arn", inst, "--name", "PlatformAccess",
		"--tags", "Key=team,Value=platform").must(t, "create tagged permission set"), "PermissionSet", "PermissionSetArn")
	untagged := jsonStr(admin("sso-admin", "create-permission-set", "--instance-arn", inst, "--name", "DataAccess").must(t, "create untagged permission set"),
		"PermissionSet", "PermissionSetArn")
	user := admin("iam", "create-user", "--user-name", "platform-admin", "--tags", "Key=team,Value=platform").must(t, "iam create-user")
	userARN := jsonStr(user, "User", "Arn")
	if userARN != "arn:aws:iam::"+acct+":user/platform-admin" || !strings.HasPrefix(jsonStr(user, "User", "UserId"), "AIDA") {
		t.Fatalf("create-user = %v", user)
	}
	admin("iam", "create-user", "--user-name", "PLATFORM-ADMIN").mustFail(t, "duplicate user", "EntityAlreadyExists")
	admin("iam", "put-user-policy", "--user-name", "platform-admin", "--policy-name", "PlatformPermissionSets",
		"--policy-document", platformAdminPolicy).must(t, "put-user-policy")
	admin("iam", "put-user-policy", "--user-name", "platform-admin", "--policy-name", "Broken",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}`).mustFail(t, "malformed inline policy", "MalformedPolicyDocument")
	admin("iam", "attach-user-policy", "--user-name", "platform-admin", "--policy-arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess").must(t, "attach-user-policy")
	admin("iam", "attach-user-policy", "--user-name", "platform-admin", "--policy-arn", "arn:aws:iam::aws:policy/NoSuchPolicy").mustFail(t, "unknown policy", "NoSuchEntity")
	if names := jsonAt(admin("iam", "list-user-policies", "--user-name", "platform-admin").must(t, "list-user-policies"), "PolicyNames"); fmt.Sprint(names) != "[PlatformPermissionSets]" {
		t.Fatalf("list-user-policies = %v", names)
	}
	if arn := jsonStr(admin("iam", "list-attached-user-policies", "--user-name", "platform-admin").must(t, "list-attached-user-policies"),
		"AttachedPolicies", 0, "PolicyArn"); arn != "arn:aws:iam::aws:policy/IAMReadOnlyAccess" {
		t.Fatalf("attached = %s", arn)
	}
	key := admin("iam", "create-access-key", "--user-name", "platform-admin").must(t, "create-access-key")
	keyID, secret := jsonStr(key, "AccessKey", "AccessKeyId"), jsonStr(key, "AccessKey", "SecretAccessKey")
	if !strings.HasPrefix(keyID, "AKIA") || len(secret) != 40 || jsonStr(key, "AccessKey", "Status") != "Active" {
		t.Fatalf("create-access-key = %v", key)
	}
	f, err := os.OpenFile(creds, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "[platform-admin]\naws_access_key_id = %s\naws_secret_access_key = %s\n", keyID, secret)
	f.Close()

	// The delegated administrator at work.
	if arn := jsonStr(as("sts", "get-caller-identity").must(t, "get-caller-identity"), "Arn"); arn != userARN {
		t.Fatalf("caller = %s", arn)
	}
	as("sso-admin", "list-permission-sets", "--instance-arn", inst).must(t, "list-permission-sets (the instance)")
	as("sso-admin", "describe-permission-set", "--instance-arn", inst, "--permission-set-arn", tagged).must(t, "describe tagged")
	as("sso-admin", "put-inline-policy-to-permission-set", "--instance-arn", inst, "--permission-set-arn", tagged,
		"--inline-policy", readBucketPolicy).must(t, "put inline policy on the tagged permission set")
	as("sso-admin", "update-permission-set", "--instance-arn", inst, "--permission-set-arn", tagged, "--session-duration", "PT4H").must(t, "update tagged")
	denied := as("sso-admin", "describe-permission-set", "--instance-arn", inst, "--permission-set-arn", untagged)
	denied.mustFail(t, "describe untagged", "AccessDeniedException")
	if want := "User: " + userARN + " is not authorized to perform: sso:DescribePermissionSet on resource: " + untagged +
		" because no identity-based policy allows the sso:DescribePermissionSet action"; !strings.Contains(denied.stderr, want) {
		t.Fatalf("denial message: %s\nwant %s", denied.stderr, want)
	}
	// Tagging the untagged permission set would be a way in: refused too.
	as("sso-admin", "tag-resource", "--instance-arn", inst, "--resource-arn", untagged, "--tags", "Key=team,Value=platform").mustFail(t, "self-tagging", "AccessDeniedException")
	as("sso-admin", "delete-permission-set", "--instance-arn", inst, "--permission-set-arn", untagged).mustFail(t, "delete untagged", "AccessDeniedException")
	as("identitystore", "list-users", "--identity-store-id", sid).must(t, "list-users")
	explicit := as("identitystore", "create-user", "--identity-store-id", sid, "--user-name", "mallory", "--display-name", "Mallory",
		"--name", "GivenName=M,FamilyName=M")
	explicit.mustFail(t, "create-user", "AccessDeniedException")
	if !strings.Contains(explicit.stderr, "is not authorized to perform: identitystore:CreateUser on resource: arn:aws:identitystore::"+acct+
		":identitystore/"+sid+" with an explicit deny in an identity-based policy") {
		t.Fatalf("explicit deny message: %s", explicit.stderr)
	}
	as("organizations", "list-accounts").mustFail(t, "list-accounts", "AccessDeniedException")
	as("iam", "list-users").must(t, "iam list-users through IAMReadOnlyAccess")
	as("iam", "create-user", "--user-name", "eve").mustFail(t, "iam create-user", "AccessDenied")
	as("iam", "create-access-key", "--user-name", "gatehouse-admin").mustFail(t, "minting a bootstrap key", "AccessDenied")

	// The simulator explains the same decisions.
	ctx := []string{"--context-entries", "ContextKeyName=aws:ResourceTag/team,ContextKeyValues=platform,ContextKeyType=string"}
	sim := as(append([]string{"iam", "simulate-principal-policy", "--policy-source-arn", userARN, "--action-names", "sso:DescribePermissionSet",
		"--resource-arns", tagged}, ctx...)...).must(t, "simulate-principal-policy tagged")
	r := jsonAt(sim, "EvaluationResults", 0)
	if jsonStr(r, "EvalDecision") != "allowed" || jsonStr(r, "EvalResourceName") != tagged {
		t.Fatalf("simulate tagged = %v", r)
	}
	wantPosition(t, "tagged", jsonAt(r, "MatchedStatements", 0), "PlatformPermissionSets", "user", [2]int{4, 6}, [2]int{10, 6})
	wantPosition(t, "tagged, per resource", jsonAt(r, "ResourceSpecificResults", 0, "MatchedStatements", 0), "PlatformPermissionSets", "user", [2]int{4, 6}, [2]int{10, 6})
	sim = as("iam", "simulate-principal-policy", "--policy-source-arn", userARN, "--action-names", "sso:DescribePermissionSet",
		"--resource-arns", untagged).must(t, "simulate-principal-policy untagged")
	r = jsonAt(sim, "EvaluationResults", 0)
	if jsonStr(r, "EvalDecision") != "implicitDeny" || fmt.Sprint(jsonAt(r, "ResourceSpecificResults", 0, "MissingContextValues")) != "[aws:ResourceTag/team]" ||
		fmt.Sprint(jsonAt(r, "MatchedStatements")) != "[]" {
		t.Fatalf("simulate untagged = %v", r)
	}
	sim = as("iam", "simulate-principal-policy", "--policy-source-arn", userARN, "--action-names", "identitystore:CreateUser", "identitystore:ListUsers",
		"iam:ListRoles").must(t, "simulate-principal-policy directory")
	r = jsonAt(sim, "EvaluationResults", 0)
	if jsonStr(r, "EvalDecision") != "explicitDeny" {
		t.Fatalf("simulate create-user = %v", r)
	}
	wantPosition(t, "explicit deny", jsonAt(r, "MatchedStatements", 0), "PlatformPermissionSets", "user", [2]int{13, 6}, [2]int{13, 103})
	wantPosition(t, "list-users", jsonAt(sim, "EvaluationResults", 1, "MatchedStatements", 0), "PlatformPermissionSets", "user", [2]int{12, 6}, [2]int{12, 127})
	if st := jsonAt(sim, "EvaluationResults", 2, "MatchedStatements", 0); jsonStr(st, "SourcePolicyId") != "IAMReadOnlyAccess" || jsonStr(st, "SourcePolicyType") != "aws-managed" {
		t.Fatalf("iam:ListRoles matched %v", st)
	}
	custom := as("iam", "simulate-custom-policy", "--policy-input-list", dynamoAfterDate, "--action-names", "dynamodb:CreateBackup",
		"--context-entries", "ContextKeyName=aws:CurrentTime,ContextKeyValues=2019-04-25T11:00:00Z,ContextKeyType=date").must(t, "simulate-custom-policy")
	r = jsonAt(custom, "EvaluationResults", 0)
	if jsonStr(r, "EvalDecision") != "allowed" || jsonStr(r, "EvalResourceName") != "*" || fmt.Sprint(jsonAt(r, "MissingContextValues")) != "[]" {
		t.Fatalf("simulate-custom-policy = %v", r)
	}
	wantPosition(t, "custom", jsonAt(r, "MatchedStatements", 0), "PolicyInputList.1", "none", [2]int{1, 38}, [2]int{1, 167})
	custom = as("iam", "simulate-custom-policy", "--policy-input-list", dynamoAfterDate, "--action-names", "dynamodb:CreateBackup").must(t, "simulate without context")
	if r := jsonAt(custom, "EvaluationResults", 0); jsonStr(r, "EvalDecision") != "implicitDeny" || fmt.Sprint(jsonAt(r, "MissingContextValues")) != "[aws:CurrentTime]" {
		t.Fatalf("simulate without context = %v", r)
	}
	as("iam", "simulate-custom-policy", "--policy-input-list", `{"Version":"2012-10-17"}`, "--action-names", "s3:GetObject").mustFail(t, "bad simulation input", "InvalidInput")

	// Every refusal is in the audit log with what decided it.
	var sawImplicit, sawExplicit bool
	for _, ev := range app.auditEvents(t) {
		if jsonStr(ev, "userIdentity", "arn") != userARN || jsonStr(ev, "errorCode") == "" {
			continue
		}
		if c := jsonStr(ev, "errorCode"); c != "AccessDeniedException" && c != "AccessDenied" {
			continue
		}
		d := jsonAt(ev, "additionalEventData", "authorization")
		if d == nil {
			t.Fatalf("denial without decisions: %v", ev)
		}
		switch jsonStr(ev, "eventName") {
		case "DescribePermissionSet":
			for _, dd := range d.([]any) {
				if jsonStr(dd, "resource") == untagged && jsonStr(dd, "decision") == "ImplicitDeny" && jsonStr(dd, "layer") == "identity" {
					sawImplicit = true
				}
			}
		case "CreateUser":
			if jsonStr(ev, "eventSource") == "identitystore.amazonaws.com" && jsonStr(d, 0, "decision") == "ExplicitDeny" &&
				jsonStr(d, 0, "sid") == "NoUserCreation" && jsonStr(d, 0, "policy") == "PlatformPermissionSets" && jsonAt(d, 0, "statement") == float64(3) {
				sawExplicit = true
			}
		}
	}
	if !sawImplicit || !sawExplicit {
		t.Fatalf("audit: implicit deny recorded %v, explicit deny with its statement %v", sawImplicit, sawExplicit)
	}

	// The bootstrap key keeps every right, and no policy can touch it.
	admin("sso-admin", "describe-permission-set", "--instance-arn", inst, "--permission-set-arn", untagged).must(t, "bootstrap describe untagged")
	admin("identitystore", "create-user", "--identity-store-id", sid, "--user-name", "mallory", "--display-name", "Mallory",
		"--name", "GivenName=M,FamilyName=M").must(t, "bootstrap create-user")
	admin("iam", "put-user-policy", "--user-name", "gatehouse-admin", "--policy-name", "Deny",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`).mustFail(t, "policy on the bootstrap user", "UnmodifiableEntity")

	// A deactivated key stops working; the user is deleted once it is bare.
	admin("iam", "update-access-key", "--user-name", "platform-admin", "--access-key-id", keyID, "--status", "Inactive").must(t, "deactivate key")
	as("sts", "get-caller-identity").mustFail(t, "inactive key", "InvalidClientTokenId")
	admin("iam", "delete-user", "--user-name", "platform-admin").mustFail(t, "delete with policies", "DeleteConflict")
	admin("iam", "delete-user-policy", "--user-name", "platform-admin", "--policy-name", "PlatformPermissionSets").must(t, "delete-user-policy")
	admin("iam", "detach-user-policy", "--user-name", "platform-admin", "--policy-arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess").must(t, "detach-user-policy")
	admin("iam", "delete-user", "--user-name", "platform-admin").mustFail(t, "delete with keys", "DeleteConflict")
	admin("iam", "delete-access-key", "--user-name", "platform-admin", "--access-key-id", keyID).must(t, "delete-access-key")
	admin("iam", "delete-user", "--user-name", "platform-admin").must(t, "delete-user")
	admin("iam", "get-user", "--user-name", "platform-admin").mustFail(t, "deleted user", "NoSuchEntity")
}

// roleSimulation simulates a provisioned AWSReservedSSO_* role: the
// policies captured when it was provisioned, boundary included.
func roleSimulation(t *testing.T, app *testApp, cli []string, extra ...string) {
	inst, sid, acct := app.Instance.ARN, app.Instance.IdentityStoreID, app.Instance.OwnerAccountID
	run := func(args ...string) cliResult {
		t.Helper()
		return runCLI(t, app, cli, append(append([]string{}, extra...), args...)...)
	}
	ps := jsonStr(run("sso-admin", "create-permission-set", "--instance-arn", inst, "--name", "Readers").must(t, "create-permission-set"),
		"PermissionSet", "PermissionSetArn")
	run("sso-admin", "attach-managed-policy-to-permission-set", "--instance-arn", inst, "--permission-set-arn", ps,
		"--managed-policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess").must(t, "attach")
	run("sso-admin", "put-inline-policy-to-permission-set", "--instance-arn", inst, "--permission-set-arn", ps,
		"--inline-policy", `{"Version":"2012-10-17","Statement":[{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::secrets/*"}]}`).must(t, "inline")
	run("sso-admin", "put-permissions-boundary-to-permission-set", "--instance-arn", inst, "--permission-set-arn", ps,
		"--permissions-boundary", "ManagedPolicyArn=arn:aws:iam::aws:policy/ReadOnlyAccess").must(t, "boundary")
	g := jsonStr(run("identitystore", "create-group", "--identity-store-id", sid, "--display-name", "Readers").must(t, "create-group"), "GroupId")
	as := run("sso-admin", "create-account-assignment", "--instance-arn", inst, "--permission-set-arn", ps, "--target-id", acct,
		"--target-type", "AWS_ACCOUNT", "--principal-type", "GROUP", "--principal-id", g).must(t, "create-account-assignment")
	req := jsonStr(as, "AccountAssignmentCreationStatus", "RequestId")
	for i := 0; ; i++ {
		st := run("sso-admin", "describe-account-assignment-creation-status", "--instance-arn", inst,
			"--account-assignment-creation-request-id", req).must(t, "creation status")
		if s := jsonStr(st, "AccountAssignmentCreationStatus", "Status"); s == "SUCCEEDED" {
			break
		} else if s == "FAILED" || i > 200 {
			t.Fatalf("assignment: %v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	role := jsonStr(run("iam", "list-roles", "--path-prefix", "/aws-reserved/sso.amazonaws.com/").must(t, "list-roles"), "Roles", 0, "Arn")
	if !strings.Contains(role, ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Readers_") {
		t.Fatalf("role = %s", role)
	}
	sim := run("iam", "simulate-principal-policy", "--policy-source-arn", role, "--action-names", "s3:GetObject", "s3:PutObject",
		"--resource-arns", "arn:aws:s3:::reports/q1.csv", "arn:aws:s3:::secrets/key").must(t, "simulate role")
	results := jsonAt(sim, "EvaluationResults").([]any)
	if len(results) != 4 {
		t.Fatalf("results = %v", results)
	}
	get := results[0]
	if jsonStr(get, "EvalDecision") != "allowed" || jsonAt(get, "PermissionsBoundaryDecisionDetail", "AllowedByPermissionsBoundary") != true {
		t.Fatalf("s3:GetObject on reports = %v", get)
	}
	if st := jsonAt(get, "MatchedStatements", 0); jsonStr(st, "SourcePolicyId") != "AmazonS3ReadOnlyAccess" || jsonStr(st, "SourcePolicyType") != "aws-managed" {
		t.Fatalf("matched = %v", st)
	}
	secret := results[1]
	if jsonStr(secret, "EvalDecision") != "explicitDeny" {
		t.Fatalf("s3:GetObject on secrets = %v", secret)
	}
	wantPosition(t, "role inline deny", jsonAt(secret, "MatchedStatements", 0), "AwsSSOInlinePolicy", "role", [2]int{1, 39}, [2]int{1, 133})
	if put := results[2]; jsonStr(put, "EvalDecision") != "implicitDeny" || jsonAt(put, "PermissionsBoundaryDecisionDetail", "AllowedByPermissionsBoundary") != false {
		t.Fatalf("s3:PutObject = %v", put)
	}
	run("iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::"+acct+":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Nope_0123456789abcdef",
		"--action-names", "s3:GetObject").mustFail(t, "unknown role", "NoSuchEntity")
}

func TestDelegatedAdminWithCLIv1(t *testing.T) {
	t.Parallel()
	requireTool(t, cliV1, "aws-cli/1.")
	app := startApp(t)
	delegatedAdminSession(t, app, cliV1)
	roleSimulation(t, app, cliV1)
}

func TestDelegatedAdminWithCLIv2(t *testing.T) {
	t.Parallel()
	requireTool(t, cliV2, "aws-cli/2.")
	app := startApp(t)
	// Debian's CLI v2 (2.9) predates AWS_ENDPOINT_URL_*: --endpoint-url.
	delegatedAdminSession(t, app, cliV2, "--endpoint-url", app.URL)
	roleSimulation(t, app, cliV2, "--endpoint-url", app.URL)
}

func TestDelegatedAdminWithBoto3(t *testing.T) {
	t.Parallel()
	requireBoto3(t)
	app := startApp(t)
	cmd := exec.Command("python3", "testdata/clients/delegated_admin.py", app.Instance.ARN, app.Instance.IdentityStoreID, app.Instance.OwnerAccountID, app.URL)
	cmd.Env = app.clientEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 session failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "boto3 delegated-admin session: ok") {
		t.Fatalf("boto3 session did not finish: %s", out)
	}
}
