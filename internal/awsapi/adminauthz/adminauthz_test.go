package adminauthz

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/authz"
	"github.com/gatehouse/gatehouse/internal/awsapi"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/reqinfo"
)

const acct = "111111111111"

// keys resolves every key id to the user of the same name.
type keys struct{}

func (keys) Lookup(_ context.Context, id string) (accesskey.Key, error) {
	return accesskey.Key{ID: id, PrincipalARN: "arn:aws:iam::" + acct + ":user/" + strings.ToLower(id), AccountID: acct,
		PrincipalID: "AIDA" + id, Status: accesskey.Active}, nil
}

// users gives each user its policies.
type users map[string]authz.UserPolicies

func (u users) UserPolicies(_ context.Context, arn string) (authz.UserPolicies, error) {
	p := u[arn[strings.LastIndexByte(arn, '/')+1:]]
	p.Signature = sha256.Sum256([]byte(arn))
	return p, nil
}

// tags serves resource tags and counts reads.
type tags struct {
	m     map[string]map[string]string
	reads int
}

func (t *tags) ResourceTags(_ context.Context, arn string) (map[string]string, error) {
	t.reads++
	return t.m[arn], nil
}

func newEnforcer(t *testing.T, us users, tg *tags, account string) *Enforcer {
	t.Helper()
	admin, err := authz.AdminPolicySet(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) }
	az, err := authz.New(authz.Options{Roles: authz.NewRoles(nil, nil, 0, now), AdminPolicy: admin, Users: authz.NewUsers(us, admin, 0, now)})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{Authz: az, Resolver: authz.NewResolver(keys{}, nil, now), Tags: tg, AccountID: account, Region: "us-east-1", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func doc(statements string) authz.UserDocument {
	return authz.UserDocument{Name: "admin", Document: `{"Version":"2012-10-17","Statement":[` + statements + `]}`}
}

func callerOf(name string) awsapi.Caller {
	return awsapi.Caller{AccessKeyID: strings.ToUpper(name), PrincipalARN: "arn:aws:iam::" + acct + ":user/" + name, AccountID: acct, Type: "IAMUser", UserName: name}
}

// decide authorises r in a request context with an audit event and
// returns the recorded decisions and the error.
func decide(e *Enforcer, r awsapi.AuthzRequest) ([]authz.AuditDecision, error) {
	ev := audit.NewEvent(time.Now(), "sso.amazonaws.com", "Test")
	ctx := audit.NewContext(reqinfo.NewContext(context.Background(), reqinfo.Info{SourceIP: "192.0.2.7", Secure: true}), ev)
	err := e.Authorize(ctx, r)
	ds, _ := ev.AdditionalEventData[authz.AuditKey].([]authz.AuditDecision)
	return ds, err
}

func TestAuthorize(t *testing.T) {
	const ps, other = "arn:aws:sso:::permissionSet/ssoins-1/ps-1", "arn:aws:sso:::permissionSet/ssoins-1/ps-2"
	us := users{
		"platform": {Identity: []authz.UserDocument{doc(`
			{"Effect":"Allow","Action":"sso:*","Resource":"arn:aws:sso:::permissionSet/*","Condition":{"StringEquals":{"aws:ResourceTag/team":"platform"}}},
			{"Effect":"Allow","Action":"sso:*","Resource":"arn:aws:sso:::instance/*","Condition":{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}},
			{"Sid":"NoDelete","Effect":"Deny","Action":"sso:Delete*","Resource":"*"},
			{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringEquals":{"iam:ResourceTag/team":"platform"}}}`)}},
		"bounded": {Identity: []authz.UserDocument{doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`)},
			Boundary: &authz.UserDocument{Name: "boundary", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sso:Describe*","Resource":"*"}]}`}},
		"reader": {Identity: []authz.UserDocument{doc(`{"Effect":"Allow","Action":"identitystore:*","Resource":["arn:aws:identitystore:::membership/*"]}`)}},
	}
	tg := &tags{m: map[string]map[string]string{ps: {"team": "platform"}, "arn:aws:iam::" + acct + ":user/bob": {"team": "platform"}}}
	e := newEnforcer(t, us, tg, acct)
	inst := "arn:aws:sso:::instance/ssoins-1"

	ds, err := decide(e, awsapi.AuthzRequest{Caller: callerOf("platform"), Action: "sso:DescribePermissionSet", Resources: []string{inst, ps}})
	if err != nil || len(ds) != 2 || ds[0].Decision != "Allow" || ds[1].Decision != "Allow" {
		t.Fatalf("tagged permission set: %v %+v", err, ds)
	}
	ds, err = decide(e, awsapi.AuthzRequest{Caller: callerOf("platform"), Action: "sso:DescribePermissionSet", Resources: []string{inst, other}})
	want := "User: arn:aws:iam::" + acct + ":user/platform is not authorized to perform: sso:DescribePermissionSet on resource: " + other +
		" because no identity-based policy allows the sso:DescribePermissionSet action"
	if !fault.Is(err, fault.Denied) || err.Error() != want || ds[1].Decision != "ImplicitDeny" || ds[1].Layer != "identity" {
		t.Fatalf("untagged permission set: %v %+v", err, ds)
	}
	ds, err = decide(e, awsapi.AuthzRequest{Caller: callerOf("platform"), Action: "sso:DeletePermissionSet", Resources: []string{inst, ps}})
	if err == nil || !strings.HasSuffix(err.Error(), "on resource: "+inst+" with an explicit deny in an identity-based policy") ||
		ds[0].Sid != "NoDelete" || ds[0].Statement == nil || *ds[0].Statement != 2 {
		t.Fatalf("explicit deny: %v %+v", err, ds)
	}
	_, err = decide(e, awsapi.AuthzRequest{Caller: callerOf("platform"), Action: "organizations:ListAccounts"})
	if err == nil || strings.Contains(err.Error(), "on resource") {
		t.Fatalf("action on *: %v", err)
	}
	// IAM resources carry iam:ResourceTag too.
	if _, err := decide(e, awsapi.AuthzRequest{Caller: callerOf("platform"), Action: "iam:GetUser",
		Resources: []string{"arn:aws:iam::" + acct + ":user/bob"}}); err != nil {
		t.Fatalf("iam:ResourceTag: %v", err)
	}

	_, err = decide(e, awsapi.AuthzRequest{Caller: callerOf("bounded"), Action: "sso:UpdateInstance", Resources: []string{inst}})
	if err == nil || !strings.HasSuffix(err.Error(), "because no permissions boundary allows the sso:UpdateInstance action") {
		t.Fatalf("boundary: %v", err)
	}
	if _, err := decide(e, awsapi.AuthzRequest{Caller: callerOf("bounded"), Action: "sso:DescribeInstance", Resources: []string{inst}}); err != nil {
		t.Fatalf("within the boundary: %v", err)
	}

	// A derived resource is decided and audited but never named.
	ds, err = decide(e, awsapi.AuthzRequest{Caller: callerOf("reader"), Action: "identitystore:DeleteGroupMembership",
		Resources: []string{"arn:aws:identitystore:::membership/m-1"}, Derived: []string{"arn:aws:identitystore:::group/secret-group"}})
	if err == nil || strings.Contains(err.Error(), "secret-group") || !strings.Contains(err.Error(), "membership/m-1") ||
		len(ds) != 2 || ds[1].Resource != "arn:aws:identitystore:::group/secret-group" || ds[1].Decision != "ImplicitDeny" {
		t.Fatalf("derived resource: %v %+v", err, ds)
	}

	// Tags are read only for policies that test them.
	reads := tg.reads
	if _, err := decide(e, awsapi.AuthzRequest{Caller: callerOf("reader"), Action: "identitystore:ListUsers", Resources: []string{ps}}); err == nil {
		t.Fatal("reader allowed on a permission set")
	}
	if tg.reads != reads {
		t.Fatalf("tags read %d times for a policy without aws:ResourceTag", tg.reads-reads)
	}
}

func TestAuthorizeOtherAccount(t *testing.T) {
	e := newEnforcer(t, users{}, &tags{}, "999999999999")
	ds, err := decide(e, awsapi.AuthzRequest{Caller: callerOf("anyone"), Action: "sso:ListInstances"})
	if !fault.Is(err, fault.Denied) || len(ds) != 1 || !strings.Contains(ds[0].Reason, "management account 999999999999") ||
		!strings.Contains(err.Error(), "because IAM Identity Center is administered from the management account") {
		t.Fatalf("other account: %v %+v", err, ds)
	}
}
