package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The real AWS clients on the machine: the preinstalled v1 CLI and boto3
// (Python), and Debian's awscli package (CLI v2). Under CI a missing client
// fails the test; elsewhere it is skipped with the reason.
var (
	cliV1 = []string{"python3", "-m", "awscli"}
	cliV2 = []string{"/usr/bin/aws"}
)

func requireTool(t *testing.T, argv []string, versionPrefix string) {
	t.Helper()
	out, err := exec.Command(argv[0], append(argv[1:], "--version")...).CombinedOutput()
	if err == nil && strings.HasPrefix(string(out), versionPrefix) {
		return
	}
	msg := "client " + strings.Join(argv, " ") + " (" + versionPrefix + ") is not available: " + strings.TrimSpace(string(out))
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// requireBoto3 checks that python3 can import boto3.
func requireBoto3(t *testing.T) {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import boto3").CombinedOutput()
	if err == nil {
		return
	}
	msg := "boto3 is not importable: " + strings.TrimSpace(string(out))
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// clientEnv is the environment of a real client pointed at the app with the
// admin credentials file, and nothing of the caller's own AWS setup.
func (a *testApp) clientEnv(t *testing.T) []string {
	home := t.TempDir()
	env := []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"AWS_SHARED_CREDENTIALS_FILE=" + a.credentialsFile(),
		"AWS_CONFIG_FILE=" + home + "/config",
		"AWS_PROFILE=gatehouse-admin",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1",
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	}
	for _, s := range endpointServices {
		env = append(env, "AWS_ENDPOINT_URL_"+s+"="+a.URL)
	}
	if v := os.Getenv("PYENV_VERSION"); v != "" {
		env = append(env, "PYENV_VERSION="+v)
	}
	return env
}

// cliResult is the outcome of one CLI command.
type cliResult struct {
	out    map[string]any
	stderr string
	ok     bool
}

func runCLI(t *testing.T, app *testApp, argv []string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(argv[0], append(append(argv[1:], "--output", "json"), args...)...)
	cmd.Env = app.clientEnv(t)
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

func (r cliResult) must(t *testing.T, what string) map[string]any {
	t.Helper()
	if !r.ok {
		t.Fatalf("%s failed: %s", what, r.stderr)
	}
	return r.out
}

func (r cliResult) mustFail(t *testing.T, what, code string) {
	t.Helper()
	if r.ok || !strings.Contains(r.stderr, "("+code+")") {
		t.Fatalf("%s: want error %s, got ok=%v stderr=%s", what, code, r.ok, r.stderr)
	}
}

// identityStoreSession runs an admin session with a CLI and checks each
// answer. extra are arguments every command needs (v2 before 2.13 needs
// --endpoint-url).
func identityStoreSession(t *testing.T, app *testApp, cli []string, extra ...string) {
	sid := app.Instance.IdentityStoreID
	run := func(args ...string) cliResult { return runCLI(t, app, cli, append(extra, args...)...) }

	g := run("identitystore", "create-group", "--identity-store-id", sid, "--display-name", "Developers", "--description", "devs").must(t, "create-group")
	gid := g["GroupId"].(string)
	var users []string
	for _, n := range []string{"dana", "eli"} {
		u := run("identitystore", "create-user", "--identity-store-id", sid, "--user-name", n, "--display-name", n,
			"--name", "GivenName="+n+",FamilyName=Tester", "--emails", "Value="+n+"@example.com,Type=work,Primary=true").must(t, "create-user")
		users = append(users, u["UserId"].(string))
		run("identitystore", "create-group-membership", "--identity-store-id", sid, "--group-id", gid, "--member-id", "UserId="+u["UserId"].(string)).must(t, "create-group-membership")
	}
	got := run("identitystore", "get-user-id", "--identity-store-id", sid, "--alternate-identifier",
		`{"UniqueAttribute":{"AttributePath":"userName","AttributeValue":"eli"}}`).must(t, "get-user-id")
	if got["UserId"] != users[1] {
		t.Fatalf("get-user-id = %v", got)
	}
	// The CLI follows NextToken itself; --max-items/--page-size 1 makes it
	// fetch one user per request.
	list := run("identitystore", "list-users", "--identity-store-id", sid, "--page-size", "1").must(t, "list-users")
	if n := len(list["Users"].([]any)); n != 2 {
		t.Fatalf("list-users returned %d users, want 2", n)
	}
	first := run("identitystore", "list-users", "--identity-store-id", sid, "--max-items", "1").must(t, "list-users --max-items 1")
	if len(first["Users"].([]any)) != 1 || first["NextToken"] == nil {
		t.Fatalf("list-users --max-items 1 = %v", first)
	}
	members := run("identitystore", "list-group-memberships", "--identity-store-id", sid, "--group-id", gid).must(t, "list-group-memberships")
	if n := len(members["GroupMemberships"].([]any)); n != 2 {
		t.Fatalf("%d memberships", n)
	}
	desc := run("identitystore", "describe-user", "--identity-store-id", sid, "--user-id", users[0]).must(t, "describe-user")
	if desc["UserName"] != "dana" || desc["DisplayName"] != "dana" {
		t.Fatalf("describe-user = %v", desc)
	}

	run("identitystore", "create-user", "--identity-store-id", sid, "--user-name", "DANA", "--display-name", "x",
		"--name", "GivenName=x,FamilyName=y").mustFail(t, "duplicate user", "ConflictException")
	run("identitystore", "describe-group", "--identity-store-id", sid, "--group-id", "nope").mustFail(t, "bad group id", "ValidationException")
	run("identitystore", "describe-group", "--identity-store-id", sid, "--group-id",
		strings.TrimPrefix(sid, "d-")+"-00000000-0000-4000-8000-000000000000").mustFail(t, "missing group", "ResourceNotFoundException")

	for _, u := range users {
		run("identitystore", "delete-user", "--identity-store-id", sid, "--user-id", u).must(t, "delete-user")
	}
	run("identitystore", "delete-group", "--identity-store-id", sid, "--group-id", gid).must(t, "delete-group")
	if n := len(run("identitystore", "list-groups", "--identity-store-id", sid).must(t, "list-groups")["Groups"].([]any)); n != 0 {
		t.Fatalf("%d groups left", n)
	}
}

func TestIdentityStoreWithCLIv1(t *testing.T) {
	t.Parallel()
	requireTool(t, cliV1, "aws-cli/1.")
	app := startApp(t)
	identityStoreSession(t, app, cliV1)
}

func TestIdentityStoreWithCLIv2(t *testing.T) {
	t.Parallel()
	requireTool(t, cliV2, "aws-cli/2.")
	app := startApp(t)
	// Debian's CLI v2 (2.9) predates AWS_ENDPOINT_URL_*: point it with
	// --endpoint-url, as the README tells its users.
	identityStoreSession(t, app, cliV2, "--endpoint-url", app.URL)
}

func TestIdentityStoreWithBoto3(t *testing.T) {
	t.Parallel()
	requireBoto3(t)
	app := startApp(t)
	cmd := exec.Command("python3", "testdata/clients/identitystore_session.py", app.Instance.IdentityStoreID)
	cmd.Env = app.clientEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 session failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "boto3 identitystore session: ok") {
		t.Fatalf("boto3 session did not finish: %s", out)
	}
}
