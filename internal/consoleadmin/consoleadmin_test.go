package consoleadmin_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/consoleadmin"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

// docs is a fixed set of managed policy documents.
type docs map[string]string

func (d docs) PolicyDocument(_ context.Context, arn string) (string, error) {
	if doc, ok := d[arn]; ok {
		return doc, nil
	}
	return "", fault.NotFoundf("POLICY", arn, "Policy %s does not exist or is not attachable.", arn)
}

const groupPolicy = "arn:aws:iam::111122223333:policy/GroupAdmins"

var policies = docs{
	consoleadmin.AdministratorAccessARN: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	groupPolicy: `{"Version":"2012-10-17","Statement":[
		{"Sid":"G","Effect":"Allow","Action":"identitystore:*GroupMembership","Resource":["arn:aws:identitystore:::group/g-1","arn:aws:identitystore:::membership/*"]},
		{"Sid":"NoDelete","Effect":"Deny","Action":"identitystore:DeleteGroupMembership","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`,
	"arn:aws:iam::111122223333:policy/Broken": `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}`,
}

type fixture struct {
	svc   *consoleadmin.Service
	db    store.Store
	dir   *directory.Service
	users map[string]string
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Path: filepath.Join(t.TempDir(), "c.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, users: map[string]string{}, now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	f.dir = directory.New(db, "d-0123456789", func() time.Time { return f.now })
	f.svc, err = consoleadmin.New(consoleadmin.Options{Store: db, Documents: policies, AccountID: "111122223333", Region: "eu-west-1",
		Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	f.dir.AddHook(f.svc)
	for _, name := range []string{"full", "reader", "grouper", "nobody"} {
		u, err := f.dir.CreateUser(call(), directory.NewUser{UserName: name, DisplayName: name, Profile: store.UserProfile{Name: &store.Name{GivenName: name, FamilyName: "X"}}})
		if err != nil {
			t.Fatal(err)
		}
		f.users[name] = u.ID
	}
	return f
}

// call is the context of an admin call: changes need an audit event.
func call() context.Context {
	return audit.NewContext(context.Background(), audit.NewEvent(time.Now(), "gatehouse.amazonaws.com", "PutConsoleAccess"))
}

func (f *fixture) principal(name string, mfa bool) consoleadmin.Principal {
	return consoleadmin.Principal{UserID: f.users[name], UserName: name, MFAPresent: mfa, AuthTime: f.now.Add(-time.Minute), SourceIP: "192.0.2.1"}
}

func TestGrantsDecide(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for name, g := range map[string][2]any{"full": {consoleadmin.LevelFull, nil}, "reader": {consoleadmin.LevelReadOnly, nil},
		"grouper": {consoleadmin.LevelPolicy, []string{groupPolicy}}} {
		arns, _ := g[1].([]string)
		if _, err := f.svc.Put(call(), f.users[name], g[0].(string), arns); err != nil {
			t.Fatalf("Put %s: %v", name, err)
		}
	}
	store := "arn:aws:identitystore::111122223333:identitystore/d-0123456789"
	for _, tc := range []struct {
		who       string
		mfa       bool
		action    string
		resources []string
		want      policy.Decision
	}{
		{"full", true, "identitystore:DeleteUser", []string{store, "arn:aws:identitystore:::user/x"}, policy.Allow},
		{"full", true, "gatehouse:PutConsoleAccess", nil, policy.Allow},
		{"reader", true, "identitystore:DescribeUser", []string{store}, policy.Allow},
		{"reader", true, "sso:ListPermissionSets", nil, policy.Allow},
		{"reader", true, "gatehouse:ListMfaDevices", nil, policy.Allow},
		{"reader", true, "cloudtrail:LookupEvents", nil, policy.Allow},
		{"reader", true, "identitystore:CreateUser", []string{store}, policy.ImplicitDeny},
		{"reader", true, "gatehouse:PutConsoleAccess", nil, policy.ImplicitDeny},
		{"reader", true, "sso:CreateAccountAssignment", nil, policy.ImplicitDeny},
		{"grouper", true, "identitystore:CreateGroupMembership", []string{"arn:aws:identitystore:::group/g-1"}, policy.Allow},
		{"grouper", true, "identitystore:CreateGroupMembership", []string{"arn:aws:identitystore:::group/g-2"}, policy.ImplicitDeny},
		{"grouper", true, "identitystore:DeleteGroupMembership", []string{"arn:aws:identitystore:::membership/m-1"}, policy.Allow},
		// The Deny reads the session's MFA fact.
		{"grouper", false, "identitystore:DeleteGroupMembership", []string{"arn:aws:identitystore:::membership/m-1"}, policy.ExplicitDeny},
		{"nobody", true, "identitystore:DescribeUser", nil, policy.ImplicitDeny},
	} {
		ds, err := f.svc.Decide(ctx, f.principal(tc.who, tc.mfa), tc.action, tc.resources, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := policy.Allow
		for _, d := range ds {
			if d.Decision != policy.Allow {
				got = d.Decision
				break
			}
		}
		if got != tc.want {
			t.Errorf("%s %s on %v: %v, want %v (%+v)", tc.who, tc.action, tc.resources, got, tc.want, ds)
		}
		err = f.svc.Authorize(ctx, f.principal(tc.who, tc.mfa), tc.action, tc.resources, nil)
		if (err == nil) != (tc.want == policy.Allow) || (err != nil && !fault.Is(err, fault.Denied)) {
			t.Errorf("%s %s: Authorize = %v", tc.who, tc.action, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "User: arn:aws:identitystore:::user/"+f.users[tc.who]+" is not authorized to perform: "+tc.action) {
			t.Errorf("message %q", err)
		}
	}
}

func TestGrantsLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.principal("full", true)
	for _, tc := range []struct {
		level string
		arns  []string
		kind  fault.Kind
	}{
		{"SUPER", nil, fault.Invalid},
		{consoleadmin.LevelFull, []string{groupPolicy}, fault.Invalid},
		{consoleadmin.LevelPolicy, nil, fault.Invalid},
		{consoleadmin.LevelPolicy, []string{"arn:aws:iam::111122223333:policy/Missing"}, fault.NotFound},
		{consoleadmin.LevelPolicy, []string{"arn:aws:iam::111122223333:policy/Broken"}, fault.Invalid},
	} {
		if _, err := f.svc.Put(call(), p.UserID, tc.level, tc.arns); !fault.Is(err, tc.kind) {
			t.Errorf("Put(%s, %v) = %v, want %v", tc.level, tc.arns, err, tc.kind)
		}
	}
	if _, err := f.svc.Put(call(), "no-such-user", consoleadmin.LevelFull, nil); !fault.Is(err, fault.NotFound) {
		t.Errorf("Put for a missing user = %v", err)
	}
	// A change needs its audit event.
	if _, err := f.svc.Put(context.Background(), p.UserID, consoleadmin.LevelFull, nil); !errors.Is(err, audit.ErrNoEvent) {
		t.Errorf("Put without an event = %v", err)
	}
	if _, err := f.svc.Put(call(), p.UserID, consoleadmin.LevelFull, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Authorize(ctx, p, "sso:CreatePermissionSet", nil, nil); err != nil {
		t.Fatalf("full: %v", err)
	}
	// Downgrading applies at once, whatever the cache holds.
	if _, err := f.svc.Put(call(), p.UserID, consoleadmin.LevelReadOnly, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Authorize(ctx, p, "sso:CreatePermissionSet", nil, nil); !fault.Is(err, fault.Denied) {
		t.Fatalf("after the downgrade: %v", err)
	}
	gs, more, err := f.svc.List(ctx, "", 10)
	if err != nil || more || len(gs) != 1 || gs[0].Level != consoleadmin.LevelReadOnly {
		t.Fatalf("List = %+v %v %v", gs, more, err)
	}
	// Revoking applies at once too.
	if err := f.svc.Delete(call(), p.UserID); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.svc.HasAccess(ctx, p.UserID); ok {
		t.Fatal("access after revocation")
	}
	if err := f.svc.Delete(call(), p.UserID); !fault.Is(err, fault.NotFound) {
		t.Fatalf("second Delete = %v", err)
	}
	// Deleting the user deletes the grant with it.
	if _, err := f.svc.Put(call(), f.users["reader"], consoleadmin.LevelFull, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.dir.DeleteUser(call(), f.users["reader"]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.GetConsoleGrant(ctx, f.users["reader"]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the grant of a deleted user: %v", err)
	}
}
