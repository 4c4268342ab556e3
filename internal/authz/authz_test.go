package authz

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/access"
	"github.com/gatehouse/gatehouse/internal/accesskey"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/entitlement"
	"github.com/gatehouse/gatehouse/internal/keyring"
	"github.com/gatehouse/gatehouse/internal/managedpolicy"
	"github.com/gatehouse/gatehouse/internal/org"
	"github.com/gatehouse/gatehouse/internal/policy"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore/sqltest"
	"github.com/gatehouse/gatehouse/internal/tempcred"
)

const (
	instanceID = "ssoins-0123456789abcdef"
	accountID  = "111122223333"
)

var loadCatalogue = sync.OnceValues(managedpolicy.Load)

// actx carries an audit event, as a request's context would.
func actx() context.Context {
	return audit.NewContext(context.Background(), audit.NewEvent(time.Now(), "test", "Test"))
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a real store with an organization, a user, a permission set
// assigned to the user in the management account, and the services of the
// decision path built on them.
type fixture struct {
	t      *testing.T
	db     store.Store
	clock  *fakeClock
	acc    *access.Service
	creds  *tempcred.Service
	keys   *accesskey.Service
	svc    *Service
	res    *Resolver
	userID string
	psID   string
	role   store.ProvisionedRole
}

func newFixture(t *testing.T, inline string) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Config{Driver: "sqlite", Path: sqltest.SQLitePath(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &fakeClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	if err := db.Update(ctx, func(tx store.Tx) error {
		_, err := tx.CreateInstance(ctx, store.Instance{InstanceID: instanceID, IdentityStoreID: "d-0123456789",
			OwnerAccountID: accountID, Status: "ACTIVE", CreatedAt: clk.now()})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	o := org.New(db, org.Options{Now: clk.now})
	if _, err := o.Ensure(ctx, org.Management{AccountID: accountID, Name: "Management", Email: "m@example.com"}); err != nil {
		t.Fatal(err)
	}
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	acc := access.New(db, cat, instanceID, access.Options{Now: clk.now})
	dir := directory.New(db, "d-0123456789", clk.now)
	dir.AddHook(acc)
	u, err := dir.CreateUser(actx(), directory.NewUser{UserName: "alice", DisplayName: "Alice",
		Profile: store.UserProfile{Name: &store.Name{GivenName: "Alice", FamilyName: "L"}}})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := acc.CreatePermissionSet(actx(), access.NewPermissionSet{Name: "Data"})
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.PutInlinePolicy(actx(), ps.ID, inline); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.CreateAccountAssignment(actx(), access.Assignment{AccountID: accountID, PermissionSetID: ps.ID,
		PrincipalType: access.PrincipalUser, PrincipalID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if err := acc.RunPending(ctx); err != nil {
		t.Fatal(err)
	}
	role, err := acc.Role(ctx, ps.ID, accountID)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := cat.Get(AdministratorAccessARN)
	adminSet, err := AdminPolicySet(admin.Document)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Options{Roles: NewRoles(db, acc, time.Second, clk.now), AdminPolicy: adminSet})
	if err != nil {
		t.Fatal(err)
	}
	creds := tempcred.New(db, keyring.NewForTest(), entitlement.New(db, acc, o), tempcred.Options{Now: clk.now, CacheTTL: -1})
	keys := accesskey.New(db, keyring.NewForTest(), clk.now)
	return &fixture{t: t, db: db, clock: clk, acc: acc, creds: creds, keys: keys, svc: svc,
		res: NewResolver(keys, creds, clk.now), userID: u.ID, psID: ps.ID, role: role}
}

// mint issues temporary credentials of the fixture's role to its user.
func (f *fixture) mint(mfa bool, tags map[string]string) tempcred.Credentials {
	f.t.Helper()
	var c tempcred.Credentials
	err := f.db.Update(context.Background(), func(tx store.Tx) (err error) {
		c, err = f.creds.Mint(context.Background(), tx, tempcred.Request{UserID: f.userID, UserName: "alice", SessionID: "sess-1",
			AccountID: accountID, PermissionSetID: f.psID, RoleName: f.role.RoleName, RoleID: f.role.RoleID,
			Duration: time.Hour, MFAPresent: mfa, AuthTime: f.clock.now().Add(-5 * time.Minute), Tags: tags})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// decide resolves a key and decides one check as an enforcement point
// would.
func (f *fixture) decide(keyID, action, resource string, extra map[string]string) Decision {
	f.t.Helper()
	cred, err := f.res.Lookup(context.Background(), keyID)
	if err != nil {
		f.t.Fatal(err)
	}
	c := f.svc.GetContext()
	defer f.svc.PutContext(c)
	f.svc.AddPrincipalKeys(c, &cred.Principal, f.clock.now())
	for k, v := range extra {
		c.Add(k, v)
	}
	ds, err := f.svc.Evaluate(context.Background(), &cred.Principal, []Check{{Action: action, Resource: resource}}, c, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return ds[0]
}

const mfaPolicy = `{"Version":"2012-10-17","Statement":[
 {"Sid":"S3OnlyWithMFA","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}},
 {"Sid":"TeamPrefix","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/${aws:PrincipalTag/team}/*"},
 {"Sid":"FreshMFA","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*","Condition":{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}},
 {"Sid":"OldTokens","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::old/*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-05-01T12:30:00Z"}}}
]}`

// TestSessionDecisions decides for real temporary credentials: the
// session's MFA fact, its tags as aws:PrincipalTag, aws:MultiFactorAuthAge
// and aws:TokenIssueTime all reach the policy, and the decision names the
// statement.
func TestSessionDecisions(t *testing.T) {
	f := newFixture(t, mfaPolicy)
	withMFA := f.mint(true, map[string]string{"team": "blue"})
	noMFA := f.mint(false, map[string]string{"team": "red"})

	d := f.decide(withMFA.AccessKeyID, "s3:ListBucket", "arn:aws:s3:::b", nil)
	if !d.Allowed() || d.Policy != InlinePolicyName || d.Statement != 0 || d.Sid != "S3OnlyWithMFA" {
		t.Fatalf("with MFA: %+v", d)
	}
	d = f.decide(noMFA.AccessKeyID, "s3:ListBucket", "arn:aws:s3:::b", nil)
	if d.Decision != policy.ImplicitDeny || d.Layer != policy.LayerIdentity {
		t.Fatalf("without MFA: %+v", d)
	}
	if d := f.decide(noMFA.AccessKeyID, "s3:GetObject", "arn:aws:s3:::shared/red/x", nil); !d.Allowed() || d.Sid != "TeamPrefix" {
		t.Fatalf("own team prefix: %+v", d)
	}
	if d := f.decide(noMFA.AccessKeyID, "s3:GetObject", "arn:aws:s3:::shared/blue/x", nil); d.Allowed() {
		t.Fatalf("another team's prefix: %+v", d)
	}
	if d := f.decide(withMFA.AccessKeyID, "s3:DeleteObject", "arn:aws:s3:::b/k", nil); !d.Allowed() {
		t.Fatalf("delete with fresh MFA: %+v", d)
	}
	if d := f.decide(withMFA.AccessKeyID, "s3:PutObject", "arn:aws:s3:::old/k", nil); d.Decision != policy.ExplicitDeny || d.Sid != "OldTokens" {
		t.Fatalf("token issued before the cut-off: %+v", d)
	}
	f.clock.advance(56 * time.Minute) // MFA now 61 minutes old; the session still has 4.
	if d := f.decide(withMFA.AccessKeyID, "s3:DeleteObject", "arn:aws:s3:::b/k", nil); d.Decision != policy.ExplicitDeny || d.Sid != "FreshMFA" {
		t.Fatalf("delete with old MFA: %+v", d)
	}
}

// TestResolverChecks covers the session checks after a signature holds:
// the session token, expiry and revocation.
func TestResolverChecks(t *testing.T) {
	f := newFixture(t, mfaPolicy)
	ctx := context.Background()
	c := f.mint(true, nil)
	other := f.mint(true, nil)
	cred, err := f.res.Lookup(ctx, c.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	p := cred.Principal
	if p.Kind != KindRoleSession || p.ARN != "arn:aws:sts::"+accountID+":assumed-role/"+f.role.RoleName+"/alice" ||
		p.PrincipalARN != "arn:aws:iam::"+accountID+":role/aws-reserved/sso.amazonaws.com/"+f.role.RoleName ||
		p.PrincipalID != f.role.RoleID+":alice" || !p.MFAPresent || p.UserID != f.userID {
		t.Fatalf("principal %+v", p)
	}
	now := f.clock.now()
	if err := cred.Check(c.SessionToken.Reveal(), now); err != nil {
		t.Fatalf("own token: %v", err)
	}
	for name, tok := range map[string]string{"missing": "", "another session's": other.SessionToken.Reveal(), "altered": c.SessionToken.Reveal() + "x"} {
		if err := cred.Check(tok, now); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s token: %v", name, err)
		}
	}
	if err := cred.Check(c.SessionToken.Reveal(), c.Expiration); !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: %v", err)
	}
	if _, err := f.res.Lookup(ctx, "ASIAAAAAAAAAAAAAAAAA"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown temporary key: %v", err)
	}
	if _, err := f.res.Lookup(ctx, "AKIAAAAAAAAAAAAAAAAA"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown long-term key: %v", err)
	}
	// "Revoke older sessions": every credential issued so far stops.
	f.clock.advance(time.Second)
	if err := f.db.Update(ctx, func(tx store.Tx) error { return f.creds.RevokeUser(ctx, tx, f.userID) }); err != nil {
		t.Fatal(err)
	}
	cred, err = f.res.Lookup(ctx, c.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if err := cred.Check(c.SessionToken.Reveal(), f.clock.now()); !errors.Is(err, ErrRevoked) {
		t.Fatalf("after revocation: %v", err)
	}
}

// TestRolesFollowProvisioning: a changed permission set reaches decisions
// once it is provisioned and the cached set's TTL has passed; a removed
// assignment (deprovisioned role) denies with a reason.
func TestRolesFollowProvisioning(t *testing.T) {
	f := newFixture(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	ctx := context.Background()
	c := f.mint(true, nil)
	if d := f.decide(c.AccessKeyID, "s3:PutObject", "arn:aws:s3:::b/k", nil); d.Allowed() {
		t.Fatalf("before the change: %+v", d)
	}
	if err := f.acc.PutInlinePolicy(actx(), f.psID, `{"Version":"2012-10-17","Statement":[{"Sid":"Now","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.acc.ProvisionPermissionSet(actx(), f.psID, accountID); err != nil {
		t.Fatal(err)
	}
	if err := f.acc.RunPending(ctx); err != nil {
		t.Fatal(err)
	}
	if d := f.decide(c.AccessKeyID, "s3:PutObject", "arn:aws:s3:::b/k", nil); d.Allowed() {
		t.Fatalf("within the TTL the cached set still decides: %+v", d)
	}
	f.clock.advance(time.Second)
	if d := f.decide(c.AccessKeyID, "s3:PutObject", "arn:aws:s3:::b/k", nil); !d.Allowed() || d.Sid != "Now" {
		t.Fatalf("after the TTL: %+v", d)
	}
	if _, err := f.acc.DeleteAccountAssignment(actx(), access.Assignment{AccountID: accountID, PermissionSetID: f.psID,
		PrincipalType: access.PrincipalUser, PrincipalID: f.userID}); err != nil {
		t.Fatal(err)
	}
	if err := f.acc.RunPending(ctx); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(time.Second)
	// tempcred would now call the credentials revoked (assignment removed);
	// the decision service, asked directly, denies for the missing role.
	set, err := f.svc.PolicySetFor(ctx, &Principal{Kind: KindRoleSession, PermissionSetID: f.psID, AccountID: accountID})
	if !errors.Is(err, ErrNotProvisioned) || set != nil {
		t.Fatalf("deprovisioned role: %v, %v", set, err)
	}
	ds := EvaluateSet(nil, &Principal{RoleName: f.role.RoleName, AccountID: accountID}, []Check{{Action: "s3:GetObject", Resource: "*"}}, nil, nil)
	if ds[0].Allowed() || !strings.Contains(ds[0].Reason, "no longer provisioned") {
		t.Fatalf("decision without a role: %+v", ds[0])
	}
}

// TestAdminAndRolePrincipals: administrator keys act with
// AdministratorAccess and carry no MFA key; a role named by ARN resolves
// to its permission set.
func TestAdminAndRolePrincipals(t *testing.T) {
	f := newFixture(t, mfaPolicy)
	ctx := context.Background()
	var key accesskey.Key
	if err := f.db.Update(ctx, func(tx store.Tx) (err error) {
		key, err = f.keys.Create(ctx, tx, "arn:aws:iam::"+accountID+":user/gatehouse-admin", accountID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	cred, err := f.res.Lookup(ctx, key.ID)
	if err != nil || cred.Principal.Kind != KindAdmin || cred.Principal.UserName != "gatehouse-admin" {
		t.Fatalf("admin key: %+v, %v", cred, err)
	}
	if err := cred.Check("", f.clock.now()); err != nil {
		t.Fatal(err)
	}
	c := f.svc.GetContext()
	f.svc.AddPrincipalKeys(c, &cred.Principal, f.clock.now())
	if c.Values(policy.KeyMultiFactorAuthPresent) != nil || c.Values(policy.KeyUsername)[0] != "gatehouse-admin" ||
		c.Values(policy.KeyPrincipalType)[0] != "User" {
		t.Fatalf("admin context keys")
	}
	ds, err := f.svc.Evaluate(ctx, &cred.Principal, []Check{{Action: "s3:DeleteBucket", Resource: "arn:aws:s3:::x"}}, c, nil)
	if err != nil || !ds[0].Allowed() || ds[0].Policy != AdministratorAccessARN {
		t.Fatalf("admin decision: %+v, %v", ds, err)
	}
	f.svc.PutContext(c)

	roleARN := RoleARN(accountID, f.role.RoleName)
	p, err := f.svc.RolePrincipal(ctx, roleARN)
	if err != nil || p.PermissionSetID != f.psID || p.Kind != KindRole {
		t.Fatalf("role principal: %+v, %v", p, err)
	}
	for _, bad := range []string{RoleARN(accountID, "AWSReservedSSO_Nope_0000000000000000"), "arn:aws:iam::" + accountID + ":role/" + f.role.RoleName, "not-an-arn"} {
		if _, err := f.svc.RolePrincipal(ctx, bad); !errors.Is(err, ErrNotProvisioned) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestEvaluateDoesNotAllocate: with a warm context and a destination with
// room, deciding allocates nothing; filling an administrator's keys
// neither.
func TestEvaluateDoesNotAllocate(t *testing.T) {
	f := newFixture(t, mfaPolicy)
	cred, err := f.res.Lookup(context.Background(), f.mint(true, map[string]string{"team": "blue"}).AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	set, err := f.svc.PolicySetFor(context.Background(), &cred.Principal)
	if err != nil {
		t.Fatal(err)
	}
	c := f.svc.GetContext()
	f.svc.AddPrincipalKeys(c, &cred.Principal, f.clock.now())
	c.Add("aws:SourceIp", "192.0.2.1")
	checks := []Check{{Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/blue/k"}, {Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}}
	dst := make([]Decision, 0, 4)
	allocs := testing.AllocsPerRun(200, func() {
		dst = EvaluateSet(set, &cred.Principal, checks, c, dst[:0])
	})
	if allocs != 0 || !dst[0].Allowed() || !dst[1].Allowed() {
		t.Fatalf("%v allocations per decision; decisions %+v", allocs, dst)
	}
}
