package access

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/directory"
	"github.com/gatehouse/gatehouse/internal/fault"
	"github.com/gatehouse/gatehouse/internal/managedpolicy"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse/gatehouse/internal/store/sqlstore/sqltest"
)

const instanceID = "ssoins-0123456789abcdef"

var loadCatalogue = sync.OnceValues(managedpolicy.Load)

// actx is a context carrying an audit event, as a request's would.
func actx() context.Context {
	return audit.NewContext(context.Background(), audit.NewEvent(time.Now(), "sso.amazonaws.com", "Test"))
}

type fixture struct {
	t     *testing.T
	store store.Store
	svc   *Service
	dir   *directory.Service
}

// openStore opens a SQLite store, or a PostgreSQL one when dsn is set.
func openStore(t *testing.T, dsn string) store.Store {
	t.Helper()
	cfg := sqlstore.Config{Driver: "sqlite", Path: sqltest.SQLitePath(t)}
	if dsn != "" {
		cfg = sqlstore.Config{Driver: "postgres", DSN: dsn, MaxConns: 8}
	}
	db, err := sqlstore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newFixture sets up a store with an instance and accounts 100000000001…
// and an access service on it.
func newFixture(t *testing.T, accounts int) *fixture {
	return fixtureOn(t, openStore(t, ""), accounts)
}

func fixtureOn(t *testing.T, db store.Store, accounts int) *fixture {
	t.Helper()
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = db.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.CreateInstance(ctx, store.Instance{InstanceID: instanceID, IdentityStoreID: "d-0123456789",
			OwnerAccountID: account(1), Status: "ACTIVE", CreatedAt: time.Now()}); err != nil {
			return err
		}
		for i := 1; i <= accounts; i++ {
			if err := tx.CreateAccount(ctx, store.Account{ID: account(i), Name: "a", Email: fmt.Sprint(i, "@example.com"),
				EmailKey: fmt.Sprint(i, "@example.com"), Status: "ACTIVE", JoinedMethod: "CREATED", JoinedAt: time.Now(), ParentID: "r-abcd"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, store: db, dir: directory.New(db, "d-0123456789", nil)}
	f.svc = New(db, cat, instanceID, Options{Poll: 10 * time.Millisecond})
	f.dir.AddHook(f.svc)
	return f
}

func account(i int) string { return fmt.Sprintf("1%011d", i) }

func (f *fixture) permissionSet(name string) store.PermissionSet {
	f.t.Helper()
	ps, err := f.svc.CreatePermissionSet(actx(), NewPermissionSet{Name: name})
	if err != nil {
		f.t.Fatal(err)
	}
	return ps
}

func (f *fixture) user(name string) string {
	f.t.Helper()
	u, err := f.dir.CreateUser(actx(), directory.NewUser{UserName: name, DisplayName: name,
		Profile: store.UserProfile{Name: &store.Name{GivenName: name, FamilyName: "T"}}})
	if err != nil {
		f.t.Fatal(err)
	}
	return u.ID
}

func (f *fixture) group(name string) string {
	f.t.Helper()
	g, err := f.dir.CreateGroup(actx(), name, "", nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return g.ID
}

// run finishes every queued operation.
func (f *fixture) run() {
	f.t.Helper()
	if err := f.svc.RunPending(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) op(kind, id string) store.SSOOperation {
	f.t.Helper()
	op, err := f.svc.Operation(context.Background(), kind, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return op
}

// wait polls an operation until it leaves IN_PROGRESS.
func (f *fixture) wait(kind, id string) store.SSOOperation {
	f.t.Helper()
	for range 2000 {
		if op := f.op(kind, id); op.Status != StatusInProgress {
			return op
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.t.Fatalf("operation %s still in progress", id)
	return store.SSOOperation{}
}

func TestParseSessionDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"PT1H": time.Hour, "PT2H": 2 * time.Hour, "PT12H": 12 * time.Hour, "PT15M": 15 * time.Minute,
		"PT1H30M": 90 * time.Minute, "PT3600S": time.Hour, "PT0.5H": -1, "P0DT2H": 2 * time.Hour, "PT900S": 15 * time.Minute,
	} {
		got, err := ParseSessionDuration(in)
		if want < 0 {
			if err == nil {
				t.Errorf("%s accepted", in)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("ParseSessionDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"PT10M", "PT13H", "P1D", "2 hours", "P1M", "-PT1H", "PT", "P", "PT14M59S", "PT12H1S", "P1Y"} {
		_, err := ParseSessionDuration(in)
		if !fault.Is(err, fault.Invalid) || !strings.Contains(err.Error(), "sessionDuration") {
			t.Errorf("ParseSessionDuration(%q) = %v, want an Invalid fault naming sessionDuration", in, err)
		}
	}
}

func TestRelayState(t *testing.T) {
	for _, ok := range []string{"", "https://s3.console.aws.amazon.com/s3/home?region=us-east-1#", "https://example.com/a/b"} {
		if err := checkRelayState(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://example.com/", "javascript:alert(1)", "//evil.example", "https://user@evil.example/",
		"/relative", "https://", "https://a.example/\\evil", "data:text/html,x", "https://a.example/ x"} {
		if err := checkRelayState(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPermissionSetLifecycle(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	ps := f.permissionSet("DeveloperAccess")
	if ps.SessionDuration != DefaultSessionDuration || ps.Version != 1 {
		t.Fatalf("created %+v", ps)
	}
	if _, err := f.svc.CreatePermissionSet(actx(), NewPermissionSet{Name: "developeraccess"}); !fault.Is(err, fault.Conflict) {
		t.Fatalf("duplicate name (case-insensitive): %v", err)
	}
	if err := f.svc.AttachManagedPolicy(actx(), ps.ID, "arn:aws:iam::aws:policy/AmazonS3FullAccess"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AttachManagedPolicy(actx(), ps.ID, "arn:aws:iam::aws:policy/AmazonS3FullAccess"); !fault.Is(err, fault.Conflict) {
		t.Fatalf("attaching twice: %v", err)
	}
	if err := f.svc.AttachManagedPolicy(actx(), ps.ID, "arn:aws:iam::aws:policy/Imaginary"); !fault.Is(err, fault.NotFound) {
		t.Fatalf("unknown managed policy: %v", err)
	}
	err := f.svc.PutInlinePolicy(actx(), ps.ID, `{"Version":"2025-01-01","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	if !fault.Is(err, fault.Invalid) || !strings.Contains(err.Error(), `"2012-10-17" and "2008-10-17"`) {
		t.Fatalf("bad version: %v", err)
	}
	err = f.svc.PutInlinePolicy(actx(), ps.ID, `{"Version":"2012-10-17","Statement":[{"Effect":"Alow","Action":"s3:*","Resource":"*"}]}`)
	if !fault.Is(err, fault.Invalid) || !strings.Contains(err.Error(), "Statement[0].Effect") {
		t.Fatalf("bad effect: %v", err)
	}
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Sid":"` + strings.Repeat("a", 33000) + `"}]}`
	if err := f.svc.PutInlinePolicy(actx(), ps.ID, big); !fault.Is(err, fault.Invalid) || !strings.Contains(err.Error(), "32768") {
		t.Fatalf("oversized policy: %v", err)
	}
	for i := range 19 {
		if err := f.svc.AttachCustomerManagedPolicy(actx(), ps.ID, store.CustomerPolicyRef{Name: fmt.Sprint("P", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.AttachCustomerManagedPolicy(actx(), ps.ID, store.CustomerPolicyRef{Name: "OneTooMany"}); !fault.Is(err, fault.QuotaExceeded) {
		t.Fatalf("21st policy: %v", err)
	}
	if err := f.svc.PutPermissionsBoundary(actx(), ps.ID, store.Boundary{}); !fault.Is(err, fault.Invalid) {
		t.Fatalf("empty boundary: %v", err)
	}
	if _, err := f.svc.GetPermissionsBoundary(ctx, ps.ID); !fault.Is(err, fault.NotFound) {
		t.Fatalf("no boundary yet: %v", err)
	}
	if err := f.svc.PutPermissionsBoundary(actx(), ps.ID, store.Boundary{CustomerPolicy: &store.CustomerPolicyRef{Name: "Limit"}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := f.svc.GetPermissionsBoundary(ctx, ps.ID); b.CustomerPolicy == nil || b.CustomerPolicy.Path != "/" {
		t.Fatalf("boundary = %+v", b)
	}
	got, _ := f.svc.GetPermissionSet(ctx, ps.ID)
	if got.Version != 1+1+19+1 {
		t.Fatalf("version after 21 changes = %d", got.Version)
	}
	if err := f.svc.DeletePermissionSet(actx(), ps.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetPermissionSet(ctx, ps.ID); !fault.Is(err, fault.NotFound) {
		t.Fatalf("deleted permission set: %v", err)
	}
}

func TestPermissionSetQuota(t *testing.T) {
	f := newFixture(t, 1)
	f.svc.limits.PermissionSets = 3
	for i := range 3 {
		f.permissionSet(fmt.Sprint("Set", i))
	}
	if _, err := f.svc.CreatePermissionSet(actx(), NewPermissionSet{Name: "Fourth"}); !fault.Is(err, fault.QuotaExceeded) {
		t.Fatalf("over quota: %v", err)
	}
}

// TestConcurrentCreateAssignment: 50 concurrent CreateAccountAssignment
// calls for one (principal, permission set, account) create exactly one
// assignment and one role, and every call's operation succeeds.
func TestConcurrentCreateAssignment(t *testing.T) {
	f := newFixture(t, 1)
	ps := f.permissionSet("DeveloperAccess")
	g := f.group("Developers")
	f.svc.Start()
	defer f.svc.Stop()
	const n = 50
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			op, err := f.svc.CreateAccountAssignment(actx(), Assignment{AccountID: account(1), PermissionSetID: ps.ID, PrincipalType: PrincipalGroup, PrincipalID: g})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = op.RequestID
		})
	}
	wg.Wait()
	// The background worker finishes them; poll as a client would.
	for _, id := range ids {
		if op := f.wait(store.OpCreateAssignment, id); op.Status != StatusSucceeded {
			t.Fatalf("operation %s = %+v", id, op)
		}
	}
	as, _, err := f.svc.ListAccountAssignments(context.Background(), account(1), ps.ID, store.AssignmentKey{}, 100)
	if err != nil || len(as) != 1 {
		t.Fatalf("assignments = %+v, %v; want exactly one", as, err)
	}
	roles, _, _ := f.svc.ListAccountsForProvisionedPermissionSet(context.Background(), ps.ID, "", "", 100)
	if len(roles) != 1 {
		t.Fatalf("provisioned to %v", roles)
	}
	r, _ := f.svc.Role(context.Background(), ps.ID, account(1))
	if r.Revision != 1 {
		t.Fatalf("role provisioned %d times, want once", r.Revision)
	}
}

// TestConcurrentProvisioning: edits and ALL_PROVISIONED_ACCOUNTS
// provisionings racing each other leave every role at the final version,
// with one revision per provisioning: none lost.
func TestConcurrentProvisioning(t *testing.T) {
	testConcurrentProvisioning(t, []store.Store{openStore(t, "")})
}

// TestConcurrentProvisioningReplicas runs the same race on PostgreSQL with
// two replicas, each with its own service and workers.
func TestConcurrentProvisioningReplicas(t *testing.T) {
	dsn := sqltest.PostgresDSN(t)
	testConcurrentProvisioning(t, []store.Store{openStore(t, dsn), openStore(t, dsn)})
}

func testConcurrentProvisioning(t *testing.T, replicas []store.Store) {
	const accounts, rounds = 12, 10
	f := fixtureOn(t, replicas[0], accounts)
	svcs := []*Service{f.svc}
	for _, db := range replicas[1:] {
		svcs = append(svcs, New(db, f.svc.catalogue, instanceID, Options{}))
	}
	ps := f.permissionSet("Ops")
	g := f.group("Ops")
	for i := 1; i <= accounts; i++ {
		if _, err := f.svc.CreateAccountAssignment(actx(), Assignment{AccountID: account(i), PermissionSetID: ps.ID, PrincipalType: PrincipalGroup, PrincipalID: g}); err != nil {
			t.Fatal(err)
		}
	}
	f.run()
	var wg sync.WaitGroup
	reqs := make([]string, rounds)
	for i := range rounds {
		wg.Go(func() {
			svc := svcs[i%len(svcs)]
			desc := fmt.Sprint("edit ", i)
			if err := svc.UpdatePermissionSet(actx(), ps.ID, PermissionSetUpdate{Description: &desc}); err != nil {
				t.Error(err)
				return
			}
			op, err := svc.ProvisionPermissionSet(actx(), ps.ID, "")
			if err != nil {
				t.Error(err)
				return
			}
			reqs[i] = op.RequestID
		})
	}
	wg.Wait()
	// Every replica's workers finish operations at the same time.
	for _, svc := range svcs {
		wg.Go(func() {
			if err := svc.RunPending(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, id := range reqs {
		if op := f.op(store.OpProvision, id); op.Status != StatusSucceeded {
			t.Fatalf("provisioning %s = %+v", id, op)
		}
	}
	final, _ := f.svc.GetPermissionSet(context.Background(), ps.ID)
	if final.Version != 1+rounds {
		t.Fatalf("version = %d, want %d (lost edits)", final.Version, 1+rounds)
	}
	for i := 1; i <= accounts; i++ {
		r, err := f.svc.Role(context.Background(), ps.ID, account(i))
		if err != nil {
			t.Fatal(err)
		}
		if r.PermissionSetVersion != final.Version || r.Revision != 1+rounds {
			t.Fatalf("account %d: role at version %d revision %d; want %d and %d", i, r.PermissionSetVersion, r.Revision, final.Version, 1+rounds)
		}
	}
	stale, _, _ := f.svc.ListAccountsForProvisionedPermissionSet(context.Background(), ps.ID, store.RoleOutdated, "", 100)
	if len(stale) != 0 {
		t.Fatalf("outdated accounts after provisioning: %v", stale)
	}
}

func TestOutdatedUntilProvisioned(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	ps := f.permissionSet("Dev")
	u := f.user("ana")
	for _, a := range []string{account(1), account(2)} {
		if _, err := f.svc.CreateAccountAssignment(actx(), Assignment{AccountID: a, PermissionSetID: ps.ID, PrincipalType: PrincipalUser, PrincipalID: u}); err != nil {
			t.Fatal(err)
		}
	}
	f.run()
	if err := f.svc.PutInlinePolicy(actx(), ps.ID, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	stale, _, _ := f.svc.ListPermissionSetsProvisionedToAccount(ctx, account(1), store.RoleOutdated, "", 100)
	if len(stale) != 1 {
		t.Fatalf("outdated = %v", stale)
	}
	// A new assignment does not refresh an existing role.
	v := f.user("ben")
	if _, err := f.svc.CreateAccountAssignment(actx(), Assignment{AccountID: account(1), PermissionSetID: ps.ID, PrincipalType: PrincipalUser, PrincipalID: v}); err != nil {
		t.Fatal(err)
	}
	f.run()
	if r, _ := f.svc.Role(ctx, ps.ID, account(1)); r.Policies.Inline != "" {
		t.Fatal("assignment re-provisioned an existing role")
	}
	op, err := f.svc.ProvisionPermissionSet(actx(), ps.ID, account(1))
	if err != nil {
		t.Fatal(err)
	}
	f.run()
	if got := f.op(store.OpProvision, op.RequestID); got.Status != StatusSucceeded || got.FinishedAt.IsZero() {
		t.Fatalf("provisioning = %+v", got)
	}
	if r, _ := f.svc.Role(ctx, ps.ID, account(1)); r.Policies.Inline == "" {
		t.Fatal("provisioning did not capture the inline policy")
	}
	current, _, _ := f.svc.ListAccountsForProvisionedPermissionSet(ctx, ps.ID, store.RoleCurrent, "", 100)
	if len(current) != 1 || current[0] != account(1) {
		t.Fatalf("current = %v", current)
	}
}

func TestDeletedPrincipalsLoseAssignments(t *testing.T) {
	f := newFixture(t, 1)
	ctx := context.Background()
	ps := f.permissionSet("Dev")
	other := f.permissionSet("Other")
	u, g := f.user("ana"), f.group("devs")
	for _, a := range []Assignment{
		{AccountID: account(1), PermissionSetID: ps.ID, PrincipalType: PrincipalUser, PrincipalID: u},
		{AccountID: account(1), PermissionSetID: ps.ID, PrincipalType: PrincipalGroup, PrincipalID: g},
		{AccountID: account(1), PermissionSetID: other.ID, PrincipalType: PrincipalUser, PrincipalID: u},
	} {
		if _, err := f.svc.CreateAccountAssignment(actx(), a); err != nil {
			t.Fatal(err)
		}
	}
	f.run()
	if err := f.svc.DeletePermissionSet(actx(), ps.ID); !fault.Is(err, fault.Conflict) {
		t.Fatalf("deleting an assigned permission set: %v", err)
	}
	if err := f.dir.DeleteUser(actx(), u); err != nil {
		t.Fatal(err)
	}
	// ps keeps its role (the group still has it); other loses its role.
	if _, err := f.svc.Role(ctx, ps.ID, account(1)); err != nil {
		t.Fatalf("role of ps: %v", err)
	}
	if _, err := f.svc.Role(ctx, other.ID, account(1)); err == nil {
		t.Fatal("role of a permission set nobody is assigned any more survives")
	}
	if err := f.dir.DeleteGroup(actx(), g); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Role(ctx, ps.ID, account(1)); err == nil {
		t.Fatal("role survives its last assignment")
	}
	if err := f.svc.DeletePermissionSet(actx(), ps.ID); err != nil {
		t.Fatal(err)
	}
}

func TestAssignmentOfVanishedPrincipalFails(t *testing.T) {
	f := newFixture(t, 1)
	ps := f.permissionSet("Dev")
	u := f.user("ana")
	op, err := f.svc.CreateAccountAssignment(actx(), Assignment{AccountID: account(1), PermissionSetID: ps.ID, PrincipalType: PrincipalUser, PrincipalID: u})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.dir.DeleteUser(actx(), u); err != nil {
		t.Fatal(err)
	}
	f.run()
	if got := f.op(store.OpCreateAssignment, op.RequestID); got.Status != StatusFailed || !strings.Contains(got.FailureReason, "no longer exists") {
		t.Fatalf("operation = %+v", got)
	}
	_, err = f.svc.CreateAccountAssignment(actx(), Assignment{AccountID: account(1), PermissionSetID: ps.ID, PrincipalType: PrincipalUser, PrincipalID: u})
	if !fault.Is(err, fault.NotFound) {
		t.Fatalf("unknown principal: %v", err)
	}
	_, err = f.svc.CreateAccountAssignment(actx(), Assignment{AccountID: "999999999999", PermissionSetID: ps.ID, PrincipalType: PrincipalGroup, PrincipalID: f.group("g")})
	if !fault.Is(err, fault.NotFound) {
		t.Fatalf("unknown account: %v", err)
	}
}

func TestCustomerManagedPolicyResolvedPerAccount(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	ps := f.permissionSet("Team")
	if err := f.svc.AttachCustomerManagedPolicy(actx(), ps.ID, store.CustomerPolicyRef{Name: "TeamPolicy", Path: "/team/"}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`
	// Only account 1 has the policy.
	err := f.store.Update(ctx, func(tx store.Tx) error {
		p := store.IAMPolicy{AccountID: account(1), ID: "ANPA1", Name: "TeamPolicy", NameKey: "teampolicy", Path: "/team/",
			DefaultVersion: "v1", LastVersion: 1, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		return tx.CreateIAMPolicy(ctx, p, store.IAMPolicyVersion{PolicyID: p.ID, VersionID: "v1", Document: doc, CreatedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	g := f.group("team")
	var ops []string
	for i := 1; i <= 2; i++ {
		op, err := f.svc.CreateAccountAssignment(actx(), Assignment{AccountID: account(i), PermissionSetID: ps.ID, PrincipalType: PrincipalGroup, PrincipalID: g})
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op.RequestID)
	}
	f.run()
	if got := f.op(store.OpCreateAssignment, ops[0]); got.Status != StatusSucceeded {
		t.Fatalf("account 1: %+v", got)
	}
	got := f.op(store.OpCreateAssignment, ops[1])
	if got.Status != StatusFailed || !strings.Contains(got.FailureReason, "arn:aws:iam::"+account(2)+":policy/team/TeamPolicy") {
		t.Fatalf("account 2: %+v", got)
	}
	// A failed creation leaves no assignment behind.
	if as, _, _ := f.svc.ListAccountAssignments(ctx, account(2), ps.ID, store.AssignmentKey{}, 10); len(as) != 0 {
		t.Fatalf("assignment after failure: %+v", as)
	}
	r, _ := f.svc.Role(ctx, ps.ID, account(1))
	if len(r.Policies.CustomerManaged) != 1 || r.Policies.CustomerManaged[0].Document != doc || r.Policies.CustomerManaged[0].VersionID != "v1" {
		t.Fatalf("captured = %+v", r.Policies.CustomerManaged)
	}
}

// TestRestartFinishesPendingWork: operations queued by one process are
// finished by another on the same store, once the first one's lease runs
// out.
func TestRestartFinishesPendingWork(t *testing.T) {
	db := openStore(t, "")
	f := fixtureOn(t, db, 1)
	ps := f.permissionSet("Dev")
	g := f.group("devs")
	op, err := f.svc.CreateAccountAssignment(actx(), Assignment{AccountID: account(1), PermissionSetID: ps.ID, PrincipalType: PrincipalGroup, PrincipalID: g})
	if err != nil {
		t.Fatal(err)
	}
	// The first process claims the operation and dies.
	now := time.Now()
	if err := db.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.ClaimSSOOperations(context.Background(), now, now.Add(opLease), 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	clock := now
	second := New(db, f.svc.catalogue, instanceID, Options{Now: func() time.Time { return clock }})
	if err := second.RunPending(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.op(store.OpCreateAssignment, op.RequestID); got.Status != StatusInProgress {
		t.Fatalf("taken over before the lease ran out: %+v", got)
	}
	clock = now.Add(opLease + time.Second)
	if err := second.RunPending(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.op(store.OpCreateAssignment, op.RequestID); got.Status != StatusSucceeded {
		t.Fatalf("after the lease: %+v", got)
	}
}

func TestListAssignmentsForPrincipalIncludesGroups(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	ps := f.permissionSet("Dev")
	u, g := f.user("ana"), f.group("devs")
	if _, err := f.dir.CreateMembership(actx(), g, u); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		typ, id := PrincipalGroup, g
		if i == 2 {
			typ, id = PrincipalUser, u
		}
		if _, err := f.svc.CreateAccountAssignment(actx(), Assignment{AccountID: account(i), PermissionSetID: ps.ID, PrincipalType: typ, PrincipalID: id}); err != nil {
			t.Fatal(err)
		}
	}
	f.run()
	var all []store.AccountAssignment
	after := store.AssignmentKey{}
	for {
		page, more, err := f.svc.ListAccountAssignmentsForPrincipal(ctx, PrincipalUser, u, "", after, 1)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if !more {
			break
		}
		after = page[len(page)-1].Key()
	}
	if len(all) != 3 || all[0].PrincipalType != PrincipalGroup || all[1].PrincipalType != PrincipalUser {
		t.Fatalf("assignments of the user = %+v", all)
	}
	onlyGroup, _, _ := f.svc.ListAccountAssignmentsForPrincipal(ctx, PrincipalGroup, g, "", store.AssignmentKey{}, 100)
	if len(onlyGroup) != 2 {
		t.Fatalf("assignments of the group = %+v", onlyGroup)
	}
	filtered, _, _ := f.svc.ListAccountAssignmentsForPrincipal(ctx, PrincipalUser, u, account(3), store.AssignmentKey{}, 100)
	if len(filtered) != 1 || filtered[0].AccountID != account(3) {
		t.Fatalf("filtered = %+v", filtered)
	}
}
